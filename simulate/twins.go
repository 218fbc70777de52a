package simulate

import (
	"strconv"

	"github.com/chipledger/chipledger/events"
)

// twins builds the benign look-alikes: near-threshold twins of each
// scenario that a good detector must not flag.
func (s *Sim) twins(st *stories) {
	th := s.th
	ev := func(b *sb) { b.finish() }

	// R2: licensed exports to the UAE and Saudi Arabia.
	{
		b := s.story(st, true, "twin-licensed-ae", "R2 look-alike: export to the UAE under a valid licence", "US OEM -> UAE cloud, licence with quantity, end user and validity")
		p := b.party("P-DUNE-AI", "Dune AI LLC", "AE", types(tyCloud, tyDC), "2018-12-02", "GPU cloud services", "Khalifa Park, Abu Dhabi, United Arab Emirates", "AL HASHIMI Reem")
		dc := b.site("S-DUNE-DC1", p, events.SiteDatacenter, 1024)
		smc := b.oem("P-SUPERMICRO")
		t := b.at(2025, 2, 3, 40)
		l := b.make(b.model("H100-SXM5-80GB"), smc, 4, t-30*day)
		lic := b.licence(smc.p, p, "AE", 512, t-60*day, t+700*day, t-65*day, "H100-SXM5-80GB")
		inst := b.deliver(l, p, dc, t, mv{licence: lic}, nil)
		fixed := *b.lastInstall.Body.(*events.Installed)
		fixed.Rack += "A"
		b.correct(inst+day+3*hour, b.lastInstall, &fixed, "rack position mistyped at install")
		b.flag(nil, l)
		ev(b)
	}
	{
		b := s.story(st, true, "twin-licensed-sa", "R2 look-alike: export to Saudi Arabia under a valid licence", "US OEM -> Saudi data center, licence")
		p := b.party("P-RED-SEA-COMPUTE", "Red Sea Compute Company", "SA", types(tyDC), "2013-04-17", "data center services", "Prince Sultan Road, Jeddah, Saudi Arabia", "AL GHAMDI Huda")
		dc := b.site("S-RED-SEA-DC1", p, events.SiteDatacenter, 1024)
		dell := b.oem("P-DELL")
		t := b.at(2024, 11, 18, 40)
		l := b.make(b.model("H200-SXM5-141GB"), dell, 4, t-30*day)
		lic := b.licence(dell.p, p, "SA", 256, t-50*day, t+600*day, t-55*day, "H200-SXM5-141GB")
		b.deliver(l, p, dc, t, mv{licence: lic}, nil)
		b.flag(nil, l)
		ev(b)
	}
	// R5/R7: transit through a hub on a through bill of lading, the
	// forwarder as carrier, the real end user as consignee.
	{
		b := s.story(st, true, "twin-through-bol", "R5/R7 look-alike: transit through Singapore on a through bill of lading", "US -> India via SG, forwarder carries, never received in SG")
		p := b.party("P-KAVERI-RC", "Kaveri Research Computing Pvt. Ltd.", "IN", types(tyEndUser), "2009-01-26", "university high-performance computing", "Indian Institute Campus, Bengaluru, India", "RAO Ananya")
		dc := b.site("S-KAVERI-DC1", p, events.SiteDatacenter, 512)
		t := b.at(2025, 1, 20, 40)
		l := b.make(b.model("H100-SXM5-80GB"), b.oem("P-HPE"), 2, t-30*day)
		b.deliver(l, p, dc, t, mv{via: []string{"SG"}, carrier: s.w.forwarder}, nil)
		b.flag(nil, l)
		ev(b)
	}
	// R18: transit through Malaysia with a permit; a Malaysian re-export
	// before the permit rule.
	{
		b := s.story(st, true, "twin-my-transit-permit", "R18 look-alike: transit through Malaysia with a Strategic Trade Permit", "US -> Thailand via MY after 2025-07-14, permit on the shipment")
		p := b.party("P-CHAO-PHRAYA", "Chao Phraya Cloud Co., Ltd.", "TH", types(tyCloud, tyDC), "2016-06-16", "GPU cloud services", "Silom Road, Bang Rak, Bangkok, Thailand", "CHAIYAPORN Niran")
		dc := b.site("S-CHAO-PHRAYA-DC1", p, events.SiteDatacenter, 512)
		t := b.at(2025, 8, 18, 30)
		l := b.make(b.model("H200-SXM5-141GB"), b.oem("P-SUPERMICRO"), 2, t-30*day)
		b.deliver(l, p, dc, t, mv{via: []string{"MY"}, permit: "MY-STP-" + itoa6(b.key)}, nil)
		b.flag(nil, l)
		ev(b)
	}
	{
		b := s.story(st, true, "twin-my-before-permit", "R18 look-alike: Malaysian re-export before 2025-07-14", "MY distributor holds servers for weeks, re-exports to Singapore before the permit rule")
		d := b.party("P-SELANGOR-SUPPLY", "Selangor Server Supply Sdn. Bhd.", "MY", types(tyDist), "2008-08-28", "IT hardware distribution", "Shah Alam Industrial Park, Selangor, Malaysia", "RAJ Kumar")
		wh := b.site("S-SELANGOR-WH", d, events.SiteWarehouse, 0)
		p := b.party("P-CLEMENTI-COMPUTE", "Clementi Compute Pte. Ltd.", "SG", types(tyDC), "2015-10-05", "data center services", "3 Clementi Road, Singapore", "SIM Wen Hui")
		dc := b.site("S-CLEMENTI-DC1", p, events.SiteDatacenter, 512)
		t := b.at(2025, 4, 7, 10)
		l := b.make(b.model("H100-SXM5-80GB"), b.oem("P-DELL"), 2, t-30*day)
		b.sell(l, l.holder, d, nil, t)
		arr := b.move(l, d, wh, t+day, mv{})
		b.deliver(l, p, dc, arr+int64(th.HubDwellDays+6+b.r.intn(10))*day, mv{}, nil)
		b.flag(nil, l)
		ev(b)
	}
	// Tier 1 re-export after a short stay in a non-hub country.
	{
		b := s.story(st, true, "twin-tier1-reexport", "R2/R7 look-alike: Tier 1 re-export", "US -> Dutch distributor -> Belgian research center within days (no hub, no licence needed)")
		d := b.party("P-ZEELAND-HW", "Zeeland Hardware Distribution B.V.", "NL", types(tyDist), "2004-03-03", "IT hardware distribution", "Industrieweg 20, Vlissingen, Netherlands", "VISSER Sanne")
		wh := b.site("S-ZEELAND-WH", d, events.SiteWarehouse, 0)
		p := b.party("P-FLANDERS-AI", "Flanders AI Research VZW", "BE", types(tyEndUser), "2017-09-01", "AI research", "Kapeldreef 75, Leuven, Belgium", "PEETERS Lotte")
		dc := b.site("S-FLANDERS-DC1", p, events.SiteDatacenter, 512)
		t := b.at(2024, 9, 9, 30)
		l := b.make(b.model("H100-SXM5-80GB"), b.oem("P-SUPERMICRO"), 2, t-30*day)
		b.sell(l, l.holder, d, nil, t)
		arr := b.move(l, d, wh, t+day, mv{endUser: p.id})
		b.deliver(l, p, dc, arr+3*day, mv{}, nil)
		b.flag(nil, l)
		ev(b)
	}
	// R10/R19: an RMA with its number and certificate and a spare fitted;
	// a chip moved between two chassis with both halves recorded.
	{
		b := s.story(st, true, "twin-rma-and-chip-swap", "R10/R19 look-alike: RMA return, destruction, replacement and a chip moved between chassis", "returns with RMA numbers, destruction certificates, disassembly before every assembly")
		p := b.party("P-KANSAI-SC", "Kansai Supercomputing K.K.", "JP", types(tyEndUser), "2003-04-01", "national research laboratory", "2-1 Yamadaoka, Suita, Osaka, Japan", "MORI Aoi")
		dc := b.site("S-KANSAI-DC1", p, events.SiteDatacenter, 512)
		smc := b.oem("P-SUPERMICRO")
		t := b.at(2024, 10, 14, 20)
		l := b.make(b.model("H100-SXM5-80GB"), smc, 3, t-30*day)
		inst := b.deliver(l, p, dc, t, mv{}, nil)
		b.flag(nil, l)
		bad, bad2, moved := l.sysChips[0][5], l.sysChips[1][2], l.sysChips[2][7]
		tr := inst + 70*day
		b.ev(tr, p, &events.Disassembled{Parent: l.sys[0], Children: []events.UnitID{bad}, Site: dc.id})
		b.ev(tr+2*day, p, &events.Returned{Units: []events.UnitID{bad}, From: p.id, To: smc.p.id, RMA: "RMA-SMC-" + itoa6(b.key)})
		b.ev(tr+25*day, smc.p, &events.Destroyed{Units: []events.UnitID{bad}, Certificate: "COD-SMC-" + itoa6(b.key^1), By: smc.p.id})
		spare := b.makeChips(b.model("H100-SXM5-80GB"), 1, tr-5*day, smc.p, smc.factory)
		arr := b.move(spare, p, dc, tr+8*day, mv{goods: "1x NVIDIA H100 SXM5 80GB GPU module (RMA replacement)", eccn: "3A090.a"})
		b.ev(arr+3*hour, p, &events.Unpacked{Parent: spare.caseID, Children: spare.chips, Site: dc.id})
		b.ev(arr+5*hour, p, &events.Assembled{Parent: l.sys[0], Children: spare.chips, Site: dc.id})
		b.ev(arr+6*hour, p, &events.Installed{Units: spare.chips, Site: dc.id, Country: "JP"})
		b.flag(nil, spare)
		ts := tr + 40*day
		b.ev(ts, p, &events.Disassembled{Parent: l.sys[1], Children: []events.UnitID{bad2}, Site: dc.id})
		b.ev(ts+2*day, p, &events.Returned{Units: []events.UnitID{bad2}, From: p.id, To: smc.p.id, RMA: "RMA-SMC-" + itoa6(b.key^2)})
		b.ev(ts+26*day, smc.p, &events.Destroyed{Units: []events.UnitID{bad2}, Certificate: "COD-SMC-" + itoa6(b.key^3), By: smc.p.id})
		b.ev(ts+3*day, p, &events.Disassembled{Parent: l.sys[2], Children: []events.UnitID{moved}, Site: dc.id})
		b.ev(ts+3*day+hour, p, &events.Assembled{Parent: l.sys[1], Children: []events.UnitID{moved}, Site: dc.id})
		ev(b)
	}
	// R7: a Singapore cloud installs what it receives; R9: it later moves
	// a server to Japan with every step recorded.
	{
		b := s.story(st, true, "twin-sg-cloud-and-relocation", "R7/R9/R3/R15 look-alike: a Singapore cloud installs within days, later relocates servers to Japan; a tenant whose parent is Japanese", "received in a hub and installed at the declared site; a relocation with export, receipt and a new install")
		p := b.party("P-TANJONG-CLOUD", "Tanjong Pagar Cloud Pte. Ltd.", "SG", types(tyCloud, tyDC), "2012-12-12", "GPU cloud services", "7 Tanjong Pagar Plaza, Singapore", "LOW Mei Xin")
		dc := b.site("S-TANJONG-DC1", p, events.SiteDatacenter, 1024)
		jp := b.s.w.addSite("S-TANJONG-JP1", p, "JP", "Tanjong Pagar Cloud Tokyo data center", events.SiteDatacenter, 35.62, 139.78)
		jp.dc = true
		t := b.at(2024, 8, 19, 30)
		l := b.make(b.model("H100-SXM5-80GB"), b.oem("P-DELL"), 2, t-30*day)
		b.sell(l, l.holder, p, nil, t)
		arr := b.move(l, p, dc, t+day, mv{})
		inst := arr + int64(1+b.r.intn(4))*day
		move := inst + int64(20+b.r.intn(10))*7*day
		b.install(l, dc, nil, inst, move-day)
		b.flag(nil, l)
		arr = b.move(l, p, jp, move, mv{days: 1})
		b.install(l, jp, nil, arr+2*day, 0)
		fixed := *b.lastInstall.Body.(*events.Installed)
		fixed.Rack = "J" + fixed.Rack
		b.correct(arr+4*day, b.lastInstall, &fixed, "rack numbering of the Tokyo hall")
		// A Japanese group's Singapore arm, a tenant and a buyer (R3/R15).
		parent := b.party("P-NIHON-KAIYO", "Nihon Kaiyo Holdings K.K.", "JP", types(tyOther), "1971-05-01", "investment holding", "1-2 Marunouchi, Chiyoda-ku, Tokyo, Japan", "YAMAMOTO Daichi")
		sub := b.party("P-KAIYO-DIGITAL-SG", "Kaiyo Digital Asia Pte. Ltd.", "SG", types(tyEndUser), "2014-08-08", "AI services", "9 Raffles Place, Singapore", "FOO Kai Ling")
		sub.info.UltimateParent = parent.id
		t2 := b.at(2025, 3, 10, 30)
		l2 := b.make(b.model("H200-SXM5-141GB"), b.oem("P-SUPERMICRO"), 2, t2-30*day)
		b.deliver(l2, p, dc, t2, mv{}, sub)
		b.flag(nil, l2)
		ev(b)
	}
	{
		b := s.story(st, true, "twin-similar-name", "R4 look-alike: a buyer whose name shares a word with a listed entity",
			"a Turkish medical research foundation named 'Anatolia ...' (the listed Anatolia Bilisim Dis Ticaret A.S. is another company at another address)")
		p := b.party("P-ANATOLIA-MED", "Anatolia Tip Arastirma Vakfi", "TR", types(tyEndUser), "1994-10-10", "medical research",
			"Sihhiye Kampusu, Ankara, Turkey", "OZTURK Selin")
		dc := b.site("S-ANATOLIA-MED-DC1", p, events.SiteDatacenter, 256)
		t := b.at(2025, 1, 27, 30)
		l := b.make(b.model("H100-SXM5-80GB"), b.oem("P-DELL"), 2, t-30*day)
		b.deliver(l, p, dc, t, mv{}, nil)
		b.flag(nil, l)
		ev(b)
	}
	{
		b := s.story(st, true, "twin-payer-is-buyer", "R6 look-alike: a sale whose recorded payer is the buyer itself",
			"an Indian AI lab buys servers, the payer field names the lab, the shipment's payer is the consignee")
		p := b.party("P-GODAVARI-AI", "Godavari AI Labs Pvt. Ltd.", "IN", types(tyEndUser), "2016-01-15", "AI research", "HITEC City, Hyderabad, India", "NAIDU Kiran")
		dc := b.site("S-GODAVARI-DC1", p, events.SiteDatacenter, 256)
		t := b.at(2025, 2, 17, 30)
		l := b.make(b.model("H100-SXM5-80GB"), b.oem("P-DELL"), 4, t-30*day)
		b.deliver(l, p, dc, t, mv{payer: p}, nil)
		b.flag(nil, l)
		ev(b)
	}
	{
		b := s.story(st, true, "twin-hub-dwell-just-over", "R7 look-alike: hub dwell just over the threshold",
			"Singapore distributor holds servers one or two days longer than the hub-dwell threshold, then re-exports to Australia")
		d := b.party("P-PASIR-PANJANG", "Pasir Panjang Distribution Pte. Ltd.", "SG", types(tyDist), "2006-06-06", "IT hardware distribution", "30 Pasir Panjang Road, Singapore", "LEE Hong Wei")
		wh := b.site("S-PASIR-PANJANG-WH", d, events.SiteWarehouse, 0)
		p := b.party("P-DARLING-AI", "Darling Harbour AI Pty Ltd", "AU", types(tyEndUser), "2016-11-30", "AI research", "50 Bridge Street, Sydney, Australia", "CLARKE Olivia")
		dc := b.site("S-DARLING-DC1", p, events.SiteDatacenter, 512)
		t := b.at(2025, 5, 12, 30)
		l := b.make(b.model("B200-SXM-192GB"), b.oem("P-SUPERMICRO"), 2, t-30*day)
		b.sell(l, l.holder, d, nil, t)
		arr := b.move(l, d, wh, t+day, mv{endUser: p.id})
		b.deliver(l, p, dc, arr+int64(th.HubDwellDays+b.r.intn(2))*day+6*hour, mv{}, nil) // shipped a day after the sale
		b.flag(nil, l)
		ev(b)
	}
	{
		b := s.story(st, true, "twin-order-split-under", "R14 look-alike: buyers under the order-splitting threshold",
			"one buyer just under the threshold; two buyers sharing an address whose orders together stay under it")
		t := b.at(2025, 6, 9, 20)
		p := b.party("P-COPPERLINE", "Copperline Analytics Inc.", "US", types(tyEndUser), "2012-02-02", "machine learning services", "400 Market Street, Philadelphia, PA, United States", "GRANT Evelyn")
		dc := b.site("S-COPPERLINE-DC1", p, events.SiteDatacenter, 512)
		l := b.make(b.model("H100-SXM5-80GB"), b.oem("P-DELL"), th.OrderSplittingUnits/8-1, t-30*day)
		b.deliver(l, p, dc, t, mv{}, nil)
		b.flag(nil, l)
		for i, n := range []string{"Elmwood Vision Labs Inc.", "Elmwood Speech Labs Inc."} {
			q := b.party("P-ELMWOOD-"+strconv.Itoa(i+1), n, "US", types(tyEndUser), "2016-0"+strconv.Itoa(3+i)+"-01", "machine learning services",
				"77 Elmwood Avenue, Buffalo, NY, United States", s.w.names.director())
			qdc := b.site("S-ELMWOOD-DC"+strconv.Itoa(i+1), q, events.SiteDatacenter, 256)
			lq := b.make(b.model("H100-SXM5-80GB"), b.oem("P-SUPERMICRO"), (th.OrderSplittingUnits/8-2)/2, t-30*day+int64(i)*5*day)
			b.deliver(lq, q, qdc, t+int64(i)*5*day, mv{}, nil)
			b.flag(nil, lq)
		}
		ev(b)
	}
	{
		b := s.story(st, true, "twin-late-install-and-gap", "R8 look-alike: an install just inside the deadline; an attestation gap just under the limit",
			"installed 50 days after export; weekly attestations that pause 20 days for maintenance")
		p := b.party("P-RHEINLAND-COMPUTE", "Rheinland Compute GmbH", "DE", types(tyDC), "2011-11-11", "data center services", "Kaiserstrasse 10, Cologne, Germany", "KOCH Felix")
		dc := b.site("S-RHEINLAND-DC1", p, events.SiteDatacenter, 512)
		t := b.at(2025, 3, 3, 30)
		l := b.make(b.model("H100-SXM5-80GB"), b.oem("P-SUPERMICRO"), 2, t-13*day)
		b.sell(l, l.holder, p, nil, t-6*hour)
		b.move(l, p, dc, t, mv{days: 3})
		b.install(l, dc, nil, t+int64(th.InstallDeadlineDays-10)*day, 0)
		b.flag(nil, l)
		q := b.party("P-CASCADE-RC", "Cascade Research Computing Inc.", "US", types(tyEndUser), "2001-07-01", "university high-performance computing", "1410 NE Campus Parkway, Seattle, WA, United States", "NGUYEN Thao")
		qdc := b.site("S-CASCADE-DC1", q, events.SiteDatacenter, 512)
		t2 := b.at(2024, 11, 4, 20)
		l2 := b.make(b.model("A100-SXM4-80GB"), b.oem("P-HPE"), 2, t2-30*day)
		b.sell(l2, l2.holder, q, nil, t2)
		arr := b.move(l2, q, qdc, t2+day, mv{})
		inst := arr + 2*day
		b.unpack(l2, inst-6*hour, q, qdc)
		for i, u := range l2.sys {
			ti := inst + int64(i)*900
			b.ev(ti, q, &events.Installed{Units: []events.UnitID{u}, Site: qdc.id, Country: "US"})
			first := ti + day
			m := int64(12 + b.r.intn(10))
			b.attest(u, qdc, first, first+m*7*day+12*hour, nil, "")
			b.attest(u, qdc, first+m*7*day+int64(th.AttestationGapDays-1)*day, 0, nil, "")
		}
		b.flag(nil, l2)
		ev(b)
	}
	{
		b := s.story(st, true, "twin-recorded-late-under-threshold", "R22 look-alike: events recorded just under the backdating threshold",
			"a Polish shipment and its export declaration recorded about 70 hours after they happened")
		p := b.party("P-VISTULA-DC", "Vistula Data Center Sp. z o.o.", "PL", types(tyDC), "2012-05-20", "data center services", "ul. Prosta 51, Warsaw, Poland", "ZIELINSKI Marek")
		dc := b.site("S-VISTULA-DC1", p, events.SiteDatacenter, 512)
		t := b.at(2025, 6, 16, 30)
		l := b.make(b.model("H100-SXM5-80GB"), b.oem("P-DELL"), 2, t-30*day)
		b.sell(l, l.holder, p, nil, t)
		arr := b.move(l, p, dc, t+day, mv{lag: int64(th.BackdatingGapHours-2) * hour})
		b.install(l, dc, nil, arr+3*day, 0)
		b.flag(nil, l)
		ev(b)
	}
	{
		b := s.story(st, true, "twin-h20-china-2024", "R1/R3/R11 look-alike: H20 (below the 3A090 thresholds) to a Chinese cloud in 2024",
			"TW OEM exports H20 servers to China in 2024, declared 4A994: not 3A090/4A090, no licence needed then")
		p := b.party("P-QIANXUN-CLOUD", "Chengdu Qianxun Cloud Technology Co., Ltd.", "CN", types(tyCloud, tyDC), "2014-04-04", "cloud computing", "1 Tianfu Avenue, Chengdu, China", "YANG Lin")
		dc := b.site("S-QIANXUN-DC1", p, events.SiteDatacenter, 512)
		t := b.at(2024, 8, 12, 20)
		l := b.make(b.model("H20-96GB"), b.oem("P-FOXCONN"), 4, t-30*day)
		b.deliver(l, p, dc, t, mv{eccn: "4A994"}, nil)
		b.flag(nil, l)
		ev(b)
	}
	{
		b := s.story(st, true, "twin-capacity-near", "R12 look-alike: a data center filled to about 94% of its declared capacity",
			"a Swedish data center declaring 256 chips receives and installs 240")
		p := b.party("P-SKARGARD-COMPUTE", "Skargard Compute AB", "SE", types(tyDC), "2013-09-09", "data center services", "Kista Science Tower, Stockholm, Sweden", "LINDQVIST Erik")
		dc := b.site("S-SKARGARD-DC1", p, events.SiteDatacenter, 256)
		for i, n := range []int{12, 10, 8} {
			t := b.at(2024, 10, 7, 0) + int64(i)*45*day + int64(b.r.intn(int(5*day)))
			l := b.make(b.model("H100-SXM5-80GB"), b.oem("P-DELL"), n, t-30*day)
			b.deliver(l, p, dc, t, mv{}, nil)
			b.flag(nil, l)
		}
		ev(b)
	}
	{
		b := s.story(st, true, "twin-incorporated-before-cutoff", "R13 look-alike: a customer formed just before 2022-10-07 with a large first order",
			"an inference-hosting company formed in September 2022 buys 64 H100")
		cut := th.NewCustomerAfter.Time()
		inc := cut.AddDate(0, 0, -1-b.r.intn(20)).Format("2006-01-02")
		p := b.party("P-NEWLEAF", "Newleaf Systems Inc.", "US", types(tyEndUser), inc, "AI inference hosting", "88 Colin P Kelly Jr Street, San Francisco, CA, United States", "PATEL Nikhil")
		dc := b.site("S-NEWLEAF-DC1", p, events.SiteDatacenter, 256)
		t := b.at(2025, 4, 21, 30)
		l := b.make(b.model("H100-SXM5-80GB"), b.oem("P-SUPERMICRO"), th.NewCustomerLargeOrder/8, t-30*day)
		b.deliver(l, p, dc, t, mv{}, nil)
		b.flag(nil, l)
		ev(b)
	}
	{
		b := s.story(st, true, "twin-two-sales", "R16 look-alike: two sales across two countries before the install",
			"Dell -> Dutch reseller -> German analytics company within ten days")
		d := b.party("P-MAAS-SYSTEMS", "Maas Systems B.V.", "NL", types(tyReseller), "2009-09-19", "IT hardware trading", "Maasboulevard 100, Rotterdam, Netherlands", "BAKKER Daan")
		wh := b.site("S-MAAS-WH", d, events.SiteWarehouse, 0)
		p := b.party("P-SPREE-ANALYTICS", "Spree Analytics GmbH", "DE", types(tyEndUser), "2014-02-28", "analytics", "Friedrichstrasse 68, Berlin, Germany", "SCHULZ Mia")
		dc := b.site("S-SPREE-DC1", p, events.SiteDatacenter, 256)
		t := b.at(2025, 7, 7, 30)
		l := b.make(b.model("H100-SXM5-80GB"), b.oem("P-DELL"), 2, t-30*day)
		b.sell(l, l.holder, d, nil, t)
		arr := b.move(l, d, wh, t+day, mv{days: 2})
		b.deliver(l, p, dc, arr+2*day, mv{days: 1}, nil)
		b.flag(nil, l)
		ev(b)
	}
	{
		b := s.story(st, true, "twin-china-h200-licensed", "R17/R1/R3 look-alike: licensed H200 export to China, every chip lab-tested",
			"a 2026 case-by-case licence, exports from the US, third-party lab tests passed, China volume under half the US volume")
		p := b.party("P-SUZHOU-AI", "Suzhou Lakeside AI Computing Co., Ltd.", "CN", types(tyCloud, tyDC), "2016-08-08", "cloud computing", "99 Renai Road, Suzhou Industrial Park, China", "GU Xin")
		dc := b.site("S-SUZHOU-DC1", p, events.SiteDatacenter, 512)
		b.chinaH200(p, dc, 4, 4, 2026, 1, 26)
		// The US end-user volume the quota is measured against.
		q := b.party("P-PRAIRIE-HYPERSCALE", "Prairie Hyperscale Inc.", "US", types(tyCloud, tyDC), "2005-05-05", "GPU cloud services", "1 Data Center Drive, Council Bluffs, IA, United States", "JENSEN Carl")
		qdc := b.site("S-PRAIRIE-DC1", q, events.SiteDatacenter, 1024)
		for i := 0; i < 4; i++ {
			t := b.at(2026, 1, 16, 2) + int64(i)*6*day
			l := b.make(b.model("H200-SXM5-141GB"), b.oem(b.pick("P-SUPERMICRO", "P-DELL")), 8, t-30*day)
			b.deliver(l, q, qdc, t, mv{}, nil)
			b.flag(nil, l)
		}
		ev(b)
	}
	{
		b := s.story(st, true, "twin-licence-exact", "R21 look-alike: a licence used exactly to its quantity, the last shipment on its last day",
			"two UAE shipments under one licence, together exactly its quantity, the second on valid_until")
		p := b.party("P-KHALIFA-HUB", "Khalifa Compute Hub LLC", "AE", types(tyDC), "2015-12-01", "data center services", "Khalifa Industrial Zone, Abu Dhabi, United Arab Emirates", "AL NAHYAN Saeed")
		dc := b.site("S-KHALIFA-DC1", p, events.SiteDatacenter, 512)
		hpe := b.oem("P-HPE")
		t1 := b.at(2025, 2, 10, 10)
		until := t1 + 90*day
		lic := b.licence(hpe.p, p, "AE", 32, t1-30*day, until, t1-35*day, "H100-SXM5-80GB")
		l := b.make(b.model("H100-SXM5-80GB"), hpe, 2, t1-30*day)
		b.deliver(l, p, dc, t1, mv{licence: lic}, nil)
		l2 := b.make(b.model("H100-SXM5-80GB"), hpe, 2, until-30*day)
		b.sell(l2, l2.holder, p, nil, until-day)
		ts := until/day*day + 12*hour + day // shipped on valid_until, noon UTC (the sale above is the day before)
		ts -= day
		arr := b.move(l2, p, dc, ts, mv{licence: lic})
		b.install(l2, dc, nil, arr+2*day, 0)
		b.flag(nil, l, l2)
		ev(b)
	}
	{
		b := s.story(st, true, "twin-cap-under", "R20 look-alike: a Tier 2 consignee just under the per-customer cap in 2025",
			"an Indian cloud receives B200 servers worth just under 1,699 H100-equivalents in 2025")
		p := b.party("P-KARNATAKA-CLOUD", "Karnataka Cloud Pvt. Ltd.", "IN", types(tyCloud, tyDC), "2012-07-07", "GPU cloud services", "Whitefield Main Road, Bengaluru, India", "HEGDE Kavya")
		dc := b.site("S-KARNATAKA-DC1", p, events.SiteDatacenter, 2048)
		m := b.model("B200-SXM-192GB")
		total := int(th.CapH100PerConsignee/m.h100eq) / 8 // servers
		for i, k := range []int{total / 3, total / 3, total - 2*(total/3)} {
			t := b.at(2025, 3, 3, 3) + int64(i)*30*day
			l := b.make(m, b.oem("P-SUPERMICRO"), k, t-30*day)
			b.deliver(l, p, dc, t, mv{}, nil)
			b.flag(nil, l)
		}
		ev(b)
	}
	{
		b := s.story(st, true, "twin-corrected-attestation", "R1/R9 look-alike: a wrong-country attestation retracted by its publisher",
			"an attestation mistyped as RU is retracted the next day with event.corrected.v1")
		p := b.party("P-THAMES-VALLEY", "Thames Valley Compute Ltd", "GB", types(tyDC), "2010-01-11", "colocation data centers", "Green Park, Reading, United Kingdom", "EVANS Harriet")
		dc := b.site("S-THAMES-DC1", p, events.SiteDatacenter, 512)
		t := b.at(2024, 12, 2, 20)
		l := b.make(b.model("H100-SXM5-80GB"), b.oem("P-HPE"), 2, t-30*day)
		inst := b.deliver(l, p, dc, t, mv{}, nil)
		b.flag(nil, l)
		x := inst + int64(10+b.r.intn(10))*7*day + 3*day
		ru := b.c("RU")
		id := b.ev(x, p, &events.LocationAttested{Units: []events.UnitID{l.sys[0]}, Country: "RU", Lat: fp(ru.lat), Lon: fp(ru.lon), Method: "inspection", Attestor: p.id})
		b.ev(x+day, p, &events.Corrected{Target: id, Action: events.ActionRetract, Reason: "country code mistyped: the server is in Reading, GB"})
		ev(b)
	}
}
