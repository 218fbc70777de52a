package simulate

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/chipledger/chipledger/events"
)

const (
	tyOther    = events.PartyOther
	tyEndUser  = events.PartyEndUser
	tyCloud    = events.PartyCloud
	tyDC       = events.PartyDatacenter
	tyDist     = events.PartyDistributor
	tyReseller = events.PartyReseller
	tyFwd      = events.PartyFreightForwarder
	tyTrading  = events.PartyTradingCompany
	tyOEM      = events.PartyOEM
	tyBank     = events.PartyBank
	tyGov      = events.PartyGovernment
)

func types(t ...string) []string { return t }

// deliver sells the lot from its holder to buyer, ships it to st (an
// export when abroad), installs it two to five days after arrival and
// attests it weekly to the end. It returns the install time.
func (b *sb) deliver(l *lot, buyer *party, st *site, t int64, o mv, tenant *party) int64 {
	b.sell(l, l.holder, buyer, o.payer, t)
	arr := b.move(l, buyer, st, t+day, o)
	return b.install(l, st, tenant, arr+2*day+int64(b.r.intn(int(3*day))), 0)
}

// buildStories builds every scenario and twin. Their sizes do not depend
// on the number of chips; their parameters are jittered by the seed.
func (s *Sim) buildStories() *stories {
	st := &stories{nextChip: 900_000_000, nextPkg: 950_000_000, capExtra: map[capKey]float64{}, capExtraTPP: map[capKey]float64{}}
	for _, f := range []func(*stories){
		s.alx, s.janford, s.gatekeeper, s.transplant, s.aperia, s.megaspeed,
		s.r01, s.r02, s.r03, s.r04, s.r05, s.r06, s.r07, s.r08, s.r09, s.r10, s.r11,
		s.r12, s.r13, s.r14, s.r15, s.r16, s.r17, s.r18, s.r19, s.r20, s.r21, s.r22,
	} {
		f(st)
	}
	s.twins(st)
	// R20 lists every consignee and country over a cap: the world's, and
	// the stories' own exports (the R20 scenario's are in capExtra too).
	s.capSubjects(st.r20, st.capExtra, st.capExtraTPP)
	st.r20.finish()
	return st
}

// ---- real cases ---------------------------------------------------------

// alx: ALX Solutions (US, complaint Aug 2025).
func (s *Sim) alx(st *stories) {
	b := s.story(st, false, "alx-solutions", "ALX Solutions (US, complaint Aug 2025)",
		"OEM -> US shell formed after the 2022 rule -> freight forwarders in SG and MY (named as consignee; the invoiced SG end user does not exist) -> CN; payers in HK and CN; one Dec 2024 box of H100 and RTX 4090 falsely labelled")
	shell := b.party("P-ALXON", "Alxon Solutions LLC", "US", types(tyReseller), fmt.Sprintf("2023-%02d-%02d", 3+b.r.intn(4), 1+b.r.intn(28)),
		"IT consulting and hardware resale", "1209 Orange Street, Suite 400, Wilmington, DE 19801, United States", "KWAN Lee")
	office := b.site("S-ALXON-OFFICE", shell, events.SiteOffice, 0)
	fwdSG := b.party("P-HARBOURFRONT-FWD", "Harbourfront Freight Forwarding Pte. Ltd.", "SG", types(tyFwd), "2015-04-20", "freight forwarding",
		"2 Pandan Loop, Free Trade Zone, Singapore", "ONG Kah Wai")
	whSG := b.site("S-HARBOURFRONT-FTZ", fwdSG, events.SiteFreeTradeZone, 0)
	fwdMY := b.party("P-STRAITS-FWD", "Straits Link Logistics Sdn. Bhd.", "MY", types(tyFwd), "2017-09-02", "freight forwarding",
		"Lot 7, Jalan Perindustrian, Pasir Gudang, Johor, Malaysia", "AZMAN bin Yusof")
	whMY := b.site("S-STRAITS-WH", fwdMY, events.SiteWarehouse, 0)
	hk := b.party("P-HARBOURLINE", "Harbourline Trading Limited", "HK", types(tyTrading), "2023-06-14", "general trading",
		"Unit 1203, 12/F, 88 Queensway, Admiralty, Hong Kong", "CHAN Tai Man")
	cn := b.party("P-KUNPENG", "Shenzhen Qianhai Kunpeng Technology Co., Ltd.", "CN", types(tyTrading), "2021-03-08", "electronic components trading",
		"Room 201, Building A, 1 Qianwan Road, Qianhai, Shenzhen, China", "LIU Jian")
	st.restricted = append(st.restricted, restricted{srcEL, "EAR", "Shenzhen Qianhai Kunpeng Technology Co., Ltd.", "Kunpeng Qianhai Tech",
		"Room 201, Building A, 1 Qianwan Road, Qianhai", "CN", "89 FR 86712", "2024-10-29", false})
	dest := b.party("P-TIANHE-ZS", "Guangzhou Tianhe Zhisuan Technology Co., Ltd.", "CN", types(tyEndUser), "2022-05-10", "computing power services",
		"88 Huacheng Avenue, Tianhe, Guangzhou, China", "HUANG Zhiqiang")
	smc := b.oem("P-SUPERMICRO")
	k := 6 + b.r.intn(5)
	t0 := b.at(2024, 9, 10, 10)
	step := (b.at(2025, 5, 10, 0) - t0) / int64(k)
	dec := b.at(2024, 12, 3, 20)
	for i := 0; i < k; i++ {
		t := t0 + int64(i)*step + int64(b.r.intn(int(3*day)))
		m := b.model("H100-SXM5-80GB")
		lots := []*lot{b.make(m, smc, 1+b.r.intn(2), t-28*day)}
		false4090 := i == k/2
		if false4090 {
			t = dec
			lots[0] = b.make(m, smc, 1, t-28*day)
			lots = append(lots, b.make(b.model("RTX-4090"), smc, 1, t-28*day))
		}
		payer := hk
		if i%2 == 1 {
			payer = cn
		}
		fwd, wh := fwdSG, whSG
		if i%3 == 2 {
			fwd, wh = fwdMY, whMY
		}
		for _, l := range lots {
			b.sell(l, smc.p, shell, payer, t-6*day)
			b.move(l, shell, office, t-5*day, mv{payer: payer, days: 2})
			o := mv{endUser: "P-ORCHID-AI-SG", consignee: fwd, payer: payer}
			if false4090 {
				o.goods, o.eccn = "computer parts", "EAR99"
			}
			arr := b.move(l, fwd, wh, t, o)
			b.move(l, dest, nil, arr+int64(2+b.r.intn(6))*day, mv{toCountry: "CN", noExport: true, noReceive: true, exception: "-",
				goods: "server equipment", noPayer: true})
			r := rules("R1", "R2", "R3", "R5", "R6", "R7", "R8", "R13")
			if payer == cn {
				r = append(r, "R4")
			}
			if false4090 {
				r = append(r, "R11")
			}
			b.flag(r, l)
		}
	}
	b.finish()
}

// janford: Janford Realtor (US, indictment Nov 2025).
func (s *Sim) janford(st *stories) {
	b := s.story(st, false, "janford-realtor", "Janford Realtor (US, indictment Nov 2025)",
		"OEM -> Alabama distributor -> real-estate front company (business line does not fit, CN payer) -> trading companies in MY and TH -> CN, Oct 2024 to Jan 2025; 10 H100 servers and 50 H200 seized before export")
	front := b.party("P-JANWOOD", "Janwood Realty LLC", "US", types(tyOther), fmt.Sprintf("2023-%02d-%02d", 2+b.r.intn(8), 1+b.r.intn(28)),
		"residential real estate brokerage", "Suite 12, 400 Peachtree Industrial Blvd, Suwanee, GA 30024, United States", "WEN Ho")
	frontSite := b.site("S-JANWOOD-OFFICE", front, events.SiteOffice, 0)
	dist := b.party("P-GULFCOAST", "Gulf Coast Technology Supply Inc.", "US", types(tyDist), "2009-05-11", "IT hardware distribution",
		"4900 Corporate Drive NW, Huntsville, AL 35805, United States", "BAKER Thomas", "HILL Karen")
	distWH := b.site("S-GULFCOAST-WH", dist, events.SiteWarehouse, 0)
	myTr := b.party("P-BAYAN-LEPAS", "Bayan Lepas Trading Sdn. Bhd.", "MY", types(tyTrading), "2022-11-30", "general trading",
		"Plot 88, Bayan Lepas Free Industrial Zone, Penang, Malaysia", "TEOH Chee Keong")
	myWH := b.site("S-BAYAN-LEPAS-WH", myTr, events.SiteWarehouse, 0)
	thTr := b.party("P-LAEM-CHABANG", "Laem Chabang Global Trading Co., Ltd.", "TH", types(tyTrading), "2023-01-16", "import and export",
		"99 Moo 3, Sukhumvit Road, Laem Chabang, Chonburi, Thailand", "WONGSAWAT Anan")
	thWH := b.site("S-LAEM-CHABANG-WH", thTr, events.SiteWarehouse, 0)
	payer := b.party("P-XINYUAN", "Hangzhou Xinyuan Digital Technology Co., Ltd.", "CN", types(tyOther), "2020-08-19", "digital technology",
		"1 Wensan Road, Xihu, Hangzhou, China", "ZHAO Lei")
	dest := b.party("P-NINGBO-SUANLI", "Ningbo Suanli Computing Co., Ltd.", "CN", types(tyEndUser), "2021-12-01", "computing power leasing",
		"16 Jiangnan Road, Beilun, Ningbo, China", "SUN Hao")
	hsi := b.party("P-US-HSI", "U.S. Homeland Security Investigations", "US", types(tyGov), "", "law enforcement", "")
	evidence := b.site("S-HSI-EVIDENCE", hsi, events.SiteWarehouse, 0)
	hpe := b.oem("P-HPE")
	n := 5 + b.r.intn(3)
	t0 := b.at(2024, 10, 1, 7)
	for i := 0; i < n; i++ {
		t := t0 + int64(i)*(105*day/int64(n)) + int64(b.r.intn(int(2*day)))
		l := b.make(b.model("A100-SXM4-80GB"), hpe, 6+b.r.intn(4), t-30*day)
		b.sell(l, hpe.p, dist, nil, t-8*day)
		b.move(l, dist, distWH, t-7*day, mv{days: 2})
		b.sell(l, dist, front, payer, t-4*day)
		b.move(l, front, frontSite, t-3*day, mv{payer: payer, days: 1})
		tr, wh := myTr, myWH
		if i%2 == 1 {
			tr, wh = thTr, thWH
		}
		arr := b.move(l, tr, wh, t, mv{endUser: tr.id, payer: payer})
		b.move(l, dest, nil, arr+int64(2+b.r.intn(7))*day, mv{toCountry: "CN", noExport: true, noReceive: true, exception: "-", goods: "used servers", noPayer: true})
		b.flag(rules("R1", "R2", "R3", "R5", "R6", "R7", "R8", "R13"), l)
	}
	// Seized before export: 10 HPE servers with H100 and 50 loose H200.
	ts := b.at(2025, 1, 6, 6)
	h100 := b.make(b.model("H100-SXM5-80GB"), hpe, 10, ts-30*day)
	b.sell(h100, hpe.p, dist, nil, ts-8*day)
	b.move(h100, dist, distWH, ts-7*day, mv{days: 2})
	b.sell(h100, dist, front, payer, ts-4*day)
	b.move(h100, front, frontSite, ts-3*day, mv{payer: payer, days: 1})
	h200 := b.makeChips(b.model("H200-SXM5-141GB"), 50, ts-20*day, dist, distWH)
	b.sell(h200, dist, front, payer, ts-4*day)
	b.move(h200, front, frontSite, ts-3*day, mv{payer: payer, days: 1, goods: "50x NVIDIA H200 SXM 141GB GPU modules", eccn: "3A090.a"})
	seize := ts + 2*day
	for _, l := range []*lot{h100, h200} {
		b.ev(seize, hsi, &events.Received{Units: l.units(), At: events.Place{Party: hsi.id, Site: evidence.id, Country: "US"}})
		b.flag(rules("R6", "R8", "R13"), l)
	}
	b.finish()
}

// gatekeeper: Operation Gatekeeper (US, Dec 2025).
func (s *Sim) gatekeeper(st *stories) {
	b := s.story(st, false, "operation-gatekeeper", "Operation Gatekeeper (US, Dec 2025)",
		"straw buyers (new, sharing a director and an HK payer, each under the order-splitting threshold) buy H100/H200 'for domestic use' -> US warehouse strips the labels -> exported as generic computer parts (EAR99) to HK, and under unknown SANDKYAN serials to CN")
	wh := b.party("P-COASTAL-BAY-WH", "Coastal Bay Warehousing LLC", "US", types(tyOther), "2021-06-30", "warehousing",
		"1500 Harbor Way, Building 4, Carson, CA 90745, United States", "LIN Bo")
	whSite := b.site("S-COASTAL-BAY-WH", wh, events.SiteWarehouse, 0)
	payer := b.party("P-WAH-FUNG", "Wah Fung International Trading Limited", "HK", types(tyTrading), "2022-12-05", "general trading",
		"Flat 9, 23/F, 168 Des Voeux Road Central, Hong Kong", "LEUNG Ka Ming")
	hk := b.party("P-KOWLOON-BAY-ET", "Kowloon Bay Electronics Trading Limited", "HK", types(tyTrading), "2023-03-21", "electronics trading",
		"Unit 5, 8/F, 9 Wang Kwong Road, Kowloon Bay, Hong Kong", "CHEUNG Wai")
	cn := b.party("P-DONGGUAN-HY", "Dongguan Huiyuan Electronic Technology Co., Ltd.", "CN", types(tyEndUser), "2019-07-07", "electronic technology",
		"3 Songshan Lake Road, Dongguan, China", "XU Feng")
	dist := s.w.dists["US"]
	distWH := s.w.distSite["US"]
	names := []string{"Sunbelt Compute Holdings LLC", "Lone Star Digital Assets LLC", "Gulf Breeze IT Solutions LLC",
		"Magnolia Data Services LLC", "Bayou Systems Integration LLC", "Palmetto Tech Resale LLC"}
	streetsGK := []string{"100 Main Street, Suite 5, Houston, TX", "2200 Ross Avenue, Dallas, TX", "75 Palafox Place, Pensacola, FL",
		"410 Capitol Street, Jackson, MS", "301 Main Street, Baton Rouge, LA", "1 Broad Street, Charleston, SC"}
	n := 4 + b.r.intn(3)
	t0 := b.at(2025, 3, 3, 10)
	var straws []*party
	var lots []*lot
	for i := 0; i < n; i++ {
		p := b.party("P-STRAW-"+strconv.Itoa(i+1), names[i], "US", types(tyEndUser), fmt.Sprintf("2024-%02d-%02d", 1+b.r.intn(5), 1+b.r.intn(28)),
			"IT services", streetsGK[i]+", United States", "ZHANG Michael", s.w.names.director())
		ps := b.site("S-STRAW-"+strconv.Itoa(i+1), p, events.SiteOffice, 0)
		straws = append(straws, p)
		m := b.model(b.pick("H100-SXM5-80GB", "H200-SXM5-141GB"))
		nchips := 8 * (10 + b.r.intn(6)) // 80..120 chips, under 256
		t := t0 + int64(i)*7*day
		l := b.makeChips(m, nchips, t-25*day, dist, distWH)
		b.sell(l, dist, p, payer, t)
		b.move(l, p, ps, t+day, mv{payer: payer, goods: strconv.Itoa(nchips) + "x " + m.label + " GPU modules", eccn: m.eccn, days: 2})
		b.move(l, wh, whSite, t+5*day, mv{goods: strconv.Itoa(nchips) + "x " + m.label + " GPU modules", eccn: m.eccn, noPayer: true, days: 1})
		lots = append(lots, l)
	}
	tx := t0 + int64(n)*7*day + 10*day
	for i, l := range lots {
		base := rules("R6", "R8", "R13")
		if i%2 == 0 {
			// Repacked and exported to HK as generic computer parts.
			st.nextPkg++
			box := sscc(wh.gs1, st.nextPkg)
			b.ev(tx-day, wh, &events.Unpacked{Parent: l.caseID, Children: slices.Clone(l.chips), Site: whSite.id})
			b.ev(tx-day+hour, wh, &events.Packed{Parent: box, Children: slices.Clone(l.chips), Site: whSite.id})
			l.caseID = box
			b.move(l, hk, nil, tx+int64(i)*day, mv{toCountry: "HK", goods: "generic computer parts (SANDKYAN)", eccn: "EAR99",
				exception: "NLR", payer: payer, noReceive: true})
			b.flag(append(base, "R1", "R2", "R3", "R5", "R11"), l)
			continue
		}
		// Relabelled: the same GPUs leave under serials nobody commissioned.
		b.flag(base, l)
		var fake []events.UnitID
		for j := range l.chips {
			fake = append(fake, events.UnitID(fmt.Sprintf("chip:SANDKYAN-%06d", mix(b.key^uint64(i*1000+j))%1000000)))
		}
		fake = uniqUnits(fake)
		fakeRules := rules("R1", "R2", "R3", "R8", "R10")
		st.nextPkg++
		box := sscc(wh.gs1, st.nextPkg)
		b.ev(tx-day+2*hour, wh, &events.Packed{Parent: box, Children: fake, Site: whSite.id})
		fl := &lot{m: l.m, caseID: box, holder: wh, at: whSite, country: "US"}
		b.move(fl, cn, nil, tx+int64(i)*day, mv{toCountry: "CN", goods: "generic computer parts (SANDKYAN)", eccn: "EAR99",
			exception: "NLR", noReceive: true, noPayer: true})
		b.flagUnits(fakeRules, fake...)
	}
	for _, p := range straws {
		b.subject("party", p.id, "R14")
	}
	b.finish()
}

func uniqUnits(us []events.UnitID) []events.UnitID {
	seen := map[events.UnitID]bool{}
	out := us[:0]
	for _, u := range us {
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}

// transplant: the server OEM co-founder case (US, indictment Mar 2026).
func (s *Sim) transplant(st *stories) {
	b := s.story(st, false, "oem-serial-transplant", "Server OEM co-founder (US, indictment Mar 2026)",
		"OEM -> South-East Asian pass-through reseller (declared end user, 'installed' at its own site) -> CN in unmarked boxes; dummy servers with transplanted serial labels pass the weekly inspection while the real chips report from Shenzhen")
	op := b.party("P-APEXION", "Apexion Server Systems, Inc.", "US", types(tyOEM), "1998-02-17", "server manufacturing",
		"2750 Zanker Road, San Jose, CA 95134, United States", "CHOU Victor", "MILLER Dana")
	fac := b.site("S-APEXION-SJC", op, events.SiteFactory, 0)
	ap := &oem{p: op, factory: fac, sysModel: "APX-8GPU-HGX", label: "Apexion APX-8GPU", prefix: "APX"}
	res := b.party("P-ANDAMAN", "Andaman Compute Solutions Co., Ltd.", "TH", types(tyReseller, tyDC), "2019-08-08", "IT solutions and data center services",
		"128 Rama IX Road, Huai Khwang, Bangkok, Thailand", "SRISUK Prasert")
	dc := b.site("S-ANDAMAN-DC1", res, events.SiteDatacenter, 4096)
	nvidia := b.p("P-NVIDIA")
	for i, mname := range []string{b.pick("B200-SXM-192GB", "H200-SXM5-141GB"), "B200-SXM-192GB"} {
		t := b.at(2025, 2+i*2, 3, 20)
		l := b.make(b.model(mname), ap, 4+b.r.intn(5), t-30*day)
		b.sell(l, op, res, nil, t)
		arr := b.move(l, res, dc, t+day, mv{})
		inst := b.install(l, dc, nil, arr+3*day, 0)
		gone := inst + int64(4+b.r.intn(5))*7*day
		for j, u := range l.sys {
			_ = u
			b.attestAt(l.sysChips[j], b.c("CN"), gone+2*hour+int64(j)*600, 0, nvidia, "telemetry")
		}
		b.flag(rules("R1", "R9", "R10"), l)
	}
	b.finish()
}

// aperia: Aperia Cloud, Singapore (charged Feb 2025).
func (s *Sim) aperia(st *stories) {
	b := s.story(st, false, "aperia-cloud", "Aperia Cloud, Singapore (charged Feb 2025)",
		"OEMs -> SG cloud that declares itself the end user and promises the servers stay with authorised users -> MY within days, to the buyer's own trading company named as end user; never installed")
	cl := b.party("P-APERTURE", "Aperture Cloud Pte. Ltd.", "SG", types(tyCloud, tyDC), "2020-02-11", "GPU cloud services",
		"71 Ayer Rajah Crescent, Singapore", "GOH Eng Seng")
	dc := b.site("S-APERTURE-DC1", cl, events.SiteDatacenter, 2048)
	my := b.party("P-SKYBRIDGE", "Skybridge Ventures Sdn. Bhd.", "MY", types(tyTrading), "2021-05-05", "investment holding and trading",
		"Level 15, Menara Hap Seng, Jalan P. Ramlee, Kuala Lumpur, Malaysia", "LIM Boon Huat")
	myWH := b.site("S-SKYBRIDGE-WH", my, events.SiteWarehouse, 0)
	n := 3 + b.r.intn(3)
	for i := 0; i < n; i++ {
		t := b.at(2024, 8, 5, 0) + int64(i)*(110*day/int64(n)) + int64(b.r.intn(int(3*day)))
		o := b.oem(b.pick("P-DELL", "P-SUPERMICRO"))
		l := b.make(b.model(b.pick("H100-SXM5-80GB", "H200-SXM5-141GB")), o, 4+b.r.intn(7), t-30*day)
		b.sell(l, o.p, cl, nil, t)
		arr := b.move(l, cl, dc, t+day, mv{})
		t2 := arr + int64(3+b.r.intn(7))*day
		b.sell(l, cl, my, nil, t2)
		b.move(l, my, myWH, t2+day/2, mv{endUser: my.id})
		b.flag(rules("R5", "R7", "R8"), l)
	}
	b.subject("site", dc.id, "R12") // received much, installed nothing
	b.finish()
}

// megaspeed: the Megaspeed investigation.
func (s *Sim) megaspeed(st *stories) {
	b := s.story(st, false, "megaspeed", "Megaspeed (investigated)",
		"a declared neocloud imports far more GPUs than its site can hold while inspectors see only a few servers installed")
	cl := b.party("P-MEGAFLUX", "Megaflux Compute Pte. Ltd.", "SG", types(tyCloud, tyDC), "2021-07-19", "GPU cloud services",
		"10 Tai Seng Drive, Singapore", "NG Wei Jie")
	dc := b.site("S-MEGAFLUX-DC1", cl, events.SiteDatacenter, 256)
	n := 6 + b.r.intn(3)
	for i := 0; i < n; i++ {
		t := b.at(2024, 9, 2, 0) + int64(i)*(240*day/int64(n)) + int64(b.r.intn(int(4*day)))
		o := b.oem(b.pick("P-DELL", "P-SUPERMICRO", "P-FOXCONN"))
		mname := b.pick("H100-SXM5-80GB", "H200-SXM5-141GB")
		if o.p.id == "P-FOXCONN" {
			mname = "H100-SXM5-80GB"
		}
		l := b.make(b.model(mname), o, 8+b.r.intn(5), t-30*day)
		b.sell(l, o.p, cl, nil, t)
		arr := b.move(l, cl, dc, t+day, mv{unpack: true})
		if i == 0 {
			// Four servers installed and attested; the rest stay in boxes.
			inst := &lot{m: l.m, sys: l.sys[:4], sysChips: l.sysChips[:4], chips: l.chips[:32]}
			b.install(inst, dc, nil, arr+3*day, 0)
			b.flag(nil, inst)
			rest := &lot{sys: l.sys[4:], chips: l.chips[32:]}
			b.flag(rules("R7", "R8"), rest)
			continue
		}
		b.flag(rules("R7", "R8"), l)
	}
	b.subject("site", dc.id, "R12")
	b.finish()
}
