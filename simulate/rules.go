package simulate

import (
	"github.com/chipledger/chipledger/events"
)

// One scenario per rule of the domain brief, each as clean as the rule
// allows (the real-case scenarios combine many rules).

func (s *Sim) r01(st *stories) {
	b := s.story(st, false, "r01-embargoed-attestation", "R1 embargoed destination",
		"servers exported to the UAE under a valid licence, installed and inspected there, then report by telemetry from Tehran")
	p := b.party("P-FALCON", "Falcon Compute LLC", "AE", types(tyCloud, tyDC), "2017-03-05", "GPU cloud services",
		"Building 4, Masdar City, Abu Dhabi, United Arab Emirates", "AL MANSOORI Khalid")
	dc := b.site("S-FALCON-DC1", p, events.SiteDatacenter, 2048)
	smc := b.oem("P-SUPERMICRO")
	t := b.at(2024, 11, 4, 20)
	l := b.make(b.model("H100-SXM5-80GB"), smc, 4+b.r.intn(3), t-30*day)
	lic := b.licence(smc.p, p, "AE", 128, t-40*day, t+500*day, t-45*day, "H100-SXM5-80GB")
	b.sell(l, smc.p, p, nil, t)
	arr := b.move(l, p, dc, t+day, mv{licence: lic})
	inst := arr + 3*day
	gone := inst + int64(8+b.r.intn(5))*7*day
	for i, u := range l.sys {
		b.ev(inst+int64(i)*900, p, &events.Installed{Units: []events.UnitID{u}, Site: dc.id, Country: "AE"})
		b.attest(u, dc, inst+int64(i)*900+day, gone, nil, "")
		b.attestAt([]events.UnitID{u}, b.c("IR"), gone+3*day+int64(i)*600, 0, b.p("P-NVIDIA"), "telemetry")
	}
	b.unpack(l, inst-6*hour, p, dc)
	b.flag(rules("R1", "R9"), l)
	b.finish()
}

func (s *Sim) r02(st *stories) {
	b := s.story(st, false, "r02-no-licence", "R2 licence required, none recorded",
		"servers exported from the US to Saudi Arabia (D:4, not A:5/A:6) as NLR, no licence")
	p := b.party("P-NAJD", "Najd Data Systems Co.", "SA", types(tyDC), "2012-09-23", "data center services",
		"King Fahd Road, Al Olaya, Riyadh, Saudi Arabia", "AL QAHTANI Faisal")
	dc := b.site("S-NAJD-DC1", p, events.SiteDatacenter, 2048)
	t := b.at(2025, 2, 10, 30)
	l := b.make(b.model("H200-SXM5-141GB"), b.oem("P-DELL"), 4+b.r.intn(4), t-30*day)
	b.deliver(l, p, dc, t, mv{}, nil)
	b.flag(rules("R2"), l)
	b.finish()
}

func (s *Sim) r03(st *stories) {
	b := s.story(st, false, "r03-d5-parent", "R3 D:5-headquartered party",
		"a Singapore company whose ultimate parent is headquartered in China buys and installs B200 servers (no licence under the headquarters rule)")
	parent := b.party("P-ZHIYUAN-GROUP", "Beijing Zhiyuan Compute Group Co., Ltd.", "CN", types(tyOther), "2008-04-01", "investment holding",
		"12 Zhongguancun Street, Haidian, Beijing, China", "WU Gang")
	p := b.party("P-LIONGATE", "Lion Gate AI Pte. Ltd.", "SG", types(tyEndUser), "2016-10-10", "AI model training",
		"1 Fusionopolis Way, Singapore", "TAY Hui Min")
	p.info.UltimateParent = parent.id
	dc := b.site("S-LIONGATE-DC1", p, events.SiteDatacenter, 1024)
	t := b.at(2025, 3, 3, 30)
	l := b.make(b.model("B200-SXM-192GB"), b.oem("P-SUPERMICRO"), 4+b.r.intn(3), t-30*day)
	b.deliver(l, p, dc, t, mv{}, nil)
	b.flag(rules("R3"), l)
	b.finish()
}

func (s *Sim) r04(st *stories) {
	b := s.story(st, false, "r04-restricted-party", "R4 restricted party",
		"an Entity-List distributor in Turkey (exact name) buys servers and resells them to a research center; a UK buyer matches a listed entity's alias")
	p := b.party("P-ANATOLIA", "Anatolia Bilisim Dis Ticaret A.S.", "TR", types(tyDist), "2014-06-12", "IT hardware import and distribution",
		"Buyukdere Caddesi 185, Levent, Istanbul, Turkey", "DEMIR Mehmet")
	st.restricted = append(st.restricted, restricted{srcEL, "EAR", "Anatolia Bilisim Dis Ticaret A.S.", "Anatolia IT Foreign Trade",
		"Buyukdere Caddesi 185, Levent", "TR", "89 FR 60541", "2024-07-26", false})
	wh := b.site("S-ANATOLIA-WH", p, events.SiteWarehouse, 0)
	uni := b.party("P-MARMARA-RCC", "Marmara Research Computing Center", "TR", types(tyEndUser), "1998-01-05", "university high-performance computing",
		"Goztepe Kampusu, Kadikoy, Istanbul, Turkey", "KARA Zeynep")
	dc := b.site("S-MARMARA-DC1", uni, events.SiteDatacenter, 1024)
	t := b.at(2024, 10, 7, 40)
	l := b.make(b.model("H100-SXM5-80GB"), b.oem("P-DELL"), 4, t-30*day)
	b.sell(l, l.holder, p, nil, t)
	arr := b.move(l, p, wh, t+day, mv{endUser: uni.id})
	b.deliver(l, uni, dc, arr+5*day, mv{}, nil)
	b.flag(rules("R4"), l)

	pe := b.party("P-PETREL", "Petrel Electronics Ltd", "GB", types(tyDist), "2013-02-14", "electronics distribution",
		"Unit 3, Thames Gateway Park, Dagenham, United Kingdom", "PRICE Owen")
	st.restricted = append(st.restricted, restricted{srcEL, "EAR", "Petrel Trade Holdings Limited", "Petrel Electronics Ltd; Petrel Trading HK",
		"Room 1901, 19/F, 181 Queen's Road Central", "HK", "88 FR 66271", "2023-09-27", false})
	pdc := b.site("S-PETREL-DC1", pe, events.SiteDatacenter, 512)
	t2 := b.at(2025, 4, 14, 30)
	l2 := b.make(b.model("H100-SXM5-80GB"), b.oem("P-SUPERMICRO"), 2, t2-30*day)
	b.deliver(l2, pe, pdc, t2, mv{}, nil)
	b.flag(rules("R4"), l2)
	b.finish()
}

func (s *Sim) r05(st *stories) {
	b := s.story(st, false, "r05-forwarder-end-user", "R5 forwarder as end user",
		"a Japanese freight forwarder is named as end user and consignee (servers later reach a data center); a Philippine bank is the declared end user of another export")
	f := b.party("P-KANTO-FWD", "Kanto Forwarding K.K.", "JP", types(tyFwd), "2001-11-01", "freight forwarding",
		"2-1 Haneda Airport, Ota-ku, Tokyo, Japan", "SUZUKI Kenta")
	fwh := b.site("S-KANTO-WH", f, events.SiteWarehouse, 0)
	dcp := b.party("P-MUSASHI-DC", "Musashi Compute K.K.", "JP", types(tyDC), "2010-04-01", "colocation data centers",
		"3-5 Shinkiba, Koto-ku, Tokyo, Japan", "ITO Haruto")
	dc := b.site("S-MUSASHI-DC1", dcp, events.SiteDatacenter, 1024)
	t := b.at(2024, 12, 2, 30)
	l := b.make(b.model("H100-SXM5-80GB"), b.oem("P-SUPERMICRO"), 2+b.r.intn(3), t-30*day)
	// The forwarder buys (and pays), so payer and consignee agree: R5 alone.
	b.sell(l, l.holder, f, nil, t)
	arr := b.move(l, f, fwh, t+day, mv{endUser: f.id})
	b.deliver(l, dcp, dc, arr+int64(5+b.r.intn(5))*day, mv{}, nil)
	b.flag(rules("R5"), l)

	bank := b.party("P-MANILA-PACIFIC-BANK", "Manila Pacific Bank Corporation", "PH", types(tyBank), "1972-03-01", "commercial banking",
		"6750 Ayala Avenue, Makati, Philippines", "REYES Antonio")
	ph := b.party("P-LUZON-DC", "Luzon Data Hub Inc.", "PH", types(tyDC), "2011-08-18", "data center services",
		"Bonifacio Global City, Taguig, Philippines", "SANTOS Maria")
	phdc := b.site("S-LUZON-DC1", ph, events.SiteDatacenter, 512)
	t2 := b.at(2025, 5, 5, 30)
	l2 := b.make(b.model("H200-SXM5-141GB"), b.oem("P-DELL"), 2, t2-30*day)
	b.deliver(l2, ph, phdc, t2, mv{endUser: bank.id}, nil)
	b.flag(rules("R5"), l2)
	b.finish()
}

func (s *Sim) r06(st *stories) {
	b := s.story(st, false, "r06-third-party-payer", "R6 payer differs from consignee",
		"an Indian AI lab's servers are paid for by a Hong Kong company")
	p := b.party("P-DECCAN-AI", "Deccan AI Labs Pvt. Ltd.", "IN", types(tyEndUser), "2015-07-07", "AI research",
		"Survey 115, Gachibowli, Hyderabad, India", "REDDY Srinivas")
	dc := b.site("S-DECCAN-DC1", p, events.SiteDatacenter, 512)
	hk := b.party("P-VICTORIA-HC", "Victoria Harbour Capital Limited", "HK", types(tyOther), "2020-10-20", "investment",
		"Level 40, 1 Harbour View Street, Central, Hong Kong", "HO Ka Fai")
	t := b.at(2025, 1, 13, 40)
	l := b.make(b.model("H100-SXM5-80GB"), b.oem("P-DELL"), 4, t-30*day)
	b.deliver(l, p, dc, t, mv{payer: hk}, nil)
	b.flag(rules("R6"), l)
	b.finish()
}

func (s *Sim) r07(st *stories) {
	b := s.story(st, false, "r07-hub-short-dwell", "R7 hub re-export after short dwell",
		"a Singapore distributor receives servers and re-exports them to Indonesia within days (installed there)")
	d := b.party("P-KEPPEL-BAY", "Keppel Bay Components Pte. Ltd.", "SG", types(tyDist), "2010-01-18", "IT hardware distribution",
		"21 Keppel Road, Singapore", "CHUA Kok Leong")
	wh := b.site("S-KEPPEL-BAY-WH", d, events.SiteWarehouse, 0)
	p := b.party("P-NUSA-DC", "PT Nusa Data Center", "ID", types(tyDC), "2013-05-27", "data center services",
		"Jl. Jend. Sudirman Kav. 52, Jakarta, Indonesia", "WIJAYA Budi")
	dc := b.site("S-NUSA-DC1", p, events.SiteDatacenter, 1024)
	t := b.at(2025, 4, 7, 40)
	l := b.make(b.model("H200-SXM5-141GB"), b.oem("P-SUPERMICRO"), 4, t-30*day)
	b.sell(l, l.holder, d, nil, t)
	arr := b.move(l, d, wh, t+day, mv{endUser: p.id})
	dwell := int64(2+b.r.intn(s.th.HubDwellDays-4)) * day
	b.deliver(l, p, dc, arr+dwell, mv{}, nil)
	b.flag(rules("R7"), l)
	b.finish()
}

func (s *Sim) r08(st *stories) {
	b := s.story(st, false, "r08-gone-dark", "R8 gone dark",
		"servers exported to India are received and never installed; other servers installed in India stop attesting")
	p := b.party("P-PUNE-ANALYTICS", "Pune Analytics Pvt. Ltd.", "IN", types(tyDC), "2011-02-02", "data center services",
		"Hinjewadi Phase 2, Pune, India", "KULKARNI Amit")
	wh := b.site("S-PUNE-WH", p, events.SiteWarehouse, 0)
	dc := b.site("S-PUNE-DC1", p, events.SiteDatacenter, 1024)
	t := b.at(2025, 3, 10, 60)
	l := b.make(b.model("H100-SXM5-80GB"), b.oem("P-HPE"), 2+b.r.intn(3), t-30*day)
	b.sell(l, l.holder, p, nil, t)
	b.move(l, p, wh, t+day, mv{})
	b.flag(rules("R8"), l)

	t2 := b.at(2024, 10, 14, 40)
	l2 := b.make(b.model("H200-SXM5-141GB"), b.oem("P-DELL"), 2+b.r.intn(3), t2-30*day)
	b.sell(l2, l2.holder, p, nil, t2)
	arr := b.move(l2, p, dc, t2+day, mv{})
	inst := arr + 3*day
	stop := inst + int64(6+b.r.intn(6))*7*day
	b.unpack(l2, inst-6*hour, p, dc)
	for i, u := range l2.sys {
		b.ev(inst+int64(i)*900, p, &events.Installed{Units: []events.UnitID{u}, Site: dc.id, Country: "IN"})
		b.attest(u, dc, inst+int64(i)*900+day, stop, nil, "")
	}
	b.flag(rules("R8"), l2)
	b.finish()
}

func (s *Sim) r09(st *stories) {
	b := s.story(st, false, "r09-impossible-travel", "R9 location mismatch",
		"servers installed in Japan are attested in Frankfurt by telemetry two hours after an inspection in Tokyo")
	p := b.party("P-HOKUSEI", "Hokusei Research Cloud K.K.", "JP", types(tyCloud, tyDC), "2009-06-30", "GPU cloud services",
		"1-1 Minatomirai, Nishi-ku, Yokohama, Japan", "WATANABE Sho")
	dc := b.site("S-HOKUSEI-DC1", p, events.SiteDatacenter, 512)
	t := b.at(2024, 9, 16, 30)
	l := b.make(b.model("H100-SXM5-80GB"), b.oem("P-SUPERMICRO"), 2, t-30*day)
	inst := b.deliver(l, p, dc, t, mv{}, nil)
	x := inst + int64(10+b.r.intn(20))*7*day
	for i, u := range l.sys {
		b.ev(x+int64(i)*600, p, &events.LocationAttested{Units: []events.UnitID{u}, Country: "JP", Lat: fp(dc.lat), Lon: fp(dc.lon), Method: "inspection", Attestor: p.id})
		de := b.c("DE")
		b.ev(x+2*hour+int64(i)*600, b.p("P-NVIDIA"), &events.LocationAttested{Units: []events.UnitID{u}, Country: "DE", Lat: fp(de.lat), Lon: fp(de.lon), Method: "telemetry", Attestor: "P-NVIDIA"})
	}
	b.flag(rules("R9"), l)
	b.finish()
}

func fp(x float64) *float64 { return &x }

func (s *Sim) r10(st *stories) {
	b := s.story(st, false, "r10-serial-integrity", "R10 serial integrity",
		"a chip installed in Korea shows up assembled into another chassis in Taiwan; a destroyed chip reports again; a server and its chips that were never commissioned are sold and installed")
	p := b.party("P-HANGANG-DC", "Hangang Compute Co., Ltd.", "KR", types(tyDC), "2008-08-08", "colocation data centers",
		"25 Gasan Digital 1-ro, Geumcheon-gu, Seoul, South Korea", "LEE Jun-ho")
	dc := b.site("S-HANGANG-DC1", p, events.SiteDatacenter, 1024)
	t := b.at(2024, 10, 1, 30)
	l := b.make(b.model("H100-SXM5-80GB"), b.oem("P-SUPERMICRO"), 2, t-30*day)
	inst := b.deliver(l, p, dc, t, mv{}, nil)
	b.flag(nil, l)
	// (a) the same chip in a second chassis.
	fx := b.oem("P-FOXCONN")
	clone := sysID(fx.prefix, 90_000_000+st.nextSys+500_000)
	cloneChip := l.chips[3]
	ta := inst + int64(8+b.r.intn(8))*7*day
	b.ev(ta-2*hour, fx.p, &events.Commissioned{Unit: clone, Manufacturer: fx.p.id, Model: fx.sysModel, Serial: clone.Serial(), DeclaredECCN: "4A090.a", Site: fx.factory.id, Country: "TW"})
	b.ev(ta, fx.p, &events.Assembled{Parent: clone, Children: []events.UnitID{cloneChip}, Site: fx.factory.id})
	b.flagUnits(rules("R10"), cloneChip, clone)
	// (b) destroyed, then seen again.
	dead := l.chips[12]
	smc := b.p("P-SUPERMICRO")
	td := inst + int64(5+b.r.intn(5))*7*day
	b.ev(td, p, &events.Disassembled{Parent: l.sys[1], Children: []events.UnitID{dead}, Site: dc.id})
	b.ev(td+2*day, p, &events.Returned{Units: []events.UnitID{dead}, From: p.id, To: smc.id, RMA: "RMA-SMC-" + itoa6(b.key)})
	b.ev(td+20*day, smc, &events.Destroyed{Units: []events.UnitID{dead}, Certificate: "COD-SMC-" + itoa6(b.key^1), By: smc.id})
	b.ev(td+50*day, b.p("P-NVIDIA"), &events.LocationAttested{Units: []events.UnitID{dead}, Country: "KR", Lat: fp(dc.lat), Lon: fp(dc.lon), Method: "telemetry", Attestor: "P-NVIDIA"})
	b.flagUnits(rules("R10"), dead)
	// (c) a server and chips nobody commissioned.
	maple := b.party("P-MAPLE-DC", "Maple Leaf Compute Inc.", "CA", types(tyDC), "2012-12-12", "colocation data centers",
		"1250 Rene-Levesque Blvd W, Montreal, Canada", "TREMBLAY Louis")
	mdc := b.site("S-MAPLE-DC1", maple, events.SiteDatacenter, 512)
	dist := s.w.dists["US"]
	ghost := events.UnitID("sys:SMC-" + "X" + itoa6(b.key^2))
	var kids []events.UnitID
	for i := 0; i < 8; i++ {
		kids = append(kids, events.UnitID("chip:1652"+"77"+itoa6(b.key ^ uint64(i+3))[:6]+string(rune('0'+i))))
	}
	tc := b.at(2025, 2, 17, 30)
	b.ev(tc, dist, &events.Assembled{Parent: ghost, Children: kids, Site: s.w.distSite["US"].id})
	gl := &lot{m: l.m, sys: []events.UnitID{ghost}, sysChips: [][]events.UnitID{kids}, chips: kids, holder: dist, at: s.w.distSite["US"], country: "US"}
	b.deliver(gl, maple, mdc, tc+2*day, mv{}, nil)
	b.flag(rules("R10"), gl)
	b.finish()
}

func itoa6(k uint64) string {
	s := "000000" + uitoa(mix(k)%1000000)
	return s[len(s)-6:]
}

func uitoa(x uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + x%10)
		x /= 10
		if x == 0 {
			return string(b[i:])
		}
	}
}

func (s *Sim) r11(st *stories) {
	b := s.story(st, false, "r11-description-mismatch", "R11 description mismatch",
		"H100 servers exported to Mexico as 'generic computer parts' (EAR99); H200 servers declared as another brand's accelerators")
	p := b.party("P-QUERETARO-DC", "Queretaro Datacenter S.A. de C.V.", "MX", types(tyDC), "2014-09-01", "data center services",
		"Parque Industrial El Marques, Queretaro, Mexico", "HERNANDEZ Jorge")
	dc := b.site("S-QUERETARO-DC1", p, events.SiteDatacenter, 1024)
	t := b.at(2024, 11, 11, 40)
	l := b.make(b.model("H100-SXM5-80GB"), b.oem("P-DELL"), 2+b.r.intn(3), t-30*day)
	b.deliver(l, p, dc, t, mv{goods: "generic computer parts", eccn: "EAR99"}, nil)
	t2 := b.at(2025, 6, 2, 40)
	l2 := b.make(b.model("H200-SXM5-141GB"), b.oem("P-SUPERMICRO"), 2, t2-30*day)
	b.deliver(l2, p, dc, t2, mv{goods: "2 servers with AMD Instinct MI300X accelerators"}, nil)
	b.flag(rules("R11"), l, l2)
	b.finish()
}

func (s *Sim) r12(st *stories) {
	b := s.story(st, false, "r12-capacity", "R12 capacity mismatch",
		"a Brazilian data center declaring room for 256 chips receives and installs several times that")
	p := b.party("P-PAULISTA-DC", "Paulista Compute Ltda.", "BR", types(tyDC), "2016-03-03", "data center services",
		"Avenida Paulista 1000, Sao Paulo, Brazil", "OLIVEIRA Paulo")
	dc := b.site("S-PAULISTA-DC1", p, events.SiteDatacenter, 256)
	n := 3 + b.r.intn(2)
	for i := 0; i < n; i++ {
		t := b.at(2025, 1, 6, 0) + int64(i)*40*day + int64(b.r.intn(int(5*day)))
		// 12 to 16 servers a lot: three lots already hold more chips (288)
		// than the 256 declared.
		l := b.make(b.model(b.pick("H100-SXM5-80GB", "B200-SXM-192GB")), b.oem(b.pick("P-SUPERMICRO", "P-DELL")), 12+b.r.intn(5), t-30*day)
		b.deliver(l, p, dc, t, mv{}, nil)
		b.flag(nil, l)
	}
	b.subject("site", dc.id, "R12")
	b.finish()
}

func (s *Sim) r13(st *stories) {
	b := s.story(st, false, "r13-new-customer", "R13 new or thin customer",
		"a real-estate company formed in 2024 places a first order of 64 H100 and installs them in a rented cage")
	p := b.party("P-BRIGHTSTAR", "Brightstar Realty Partners LLC", "US", types(tyOther), "2024-02-"+pad2(1+b.r.intn(28)), "commercial real estate",
		"600 Brickell Avenue, Suite 1700, Miami, FL 33131, United States", "MORALES Andrea")
	dc := b.site("S-BRIGHTSTAR-CAGE", p, events.SiteDatacenter, 128)
	t := b.at(2025, 5, 5, 40)
	l := b.make(b.model("H100-SXM5-80GB"), b.oem("P-SUPERMICRO"), 8, t-30*day)
	b.deliver(l, p, dc, t, mv{}, nil)
	b.flag(rules("R13"), l)
	b.finish()
}

func pad2(n int) string {
	if n < 10 {
		return "0" + uitoa(uint64(n))
	}
	return uitoa(uint64(n))
}

func (s *Sim) r14(st *stories) {
	b := s.story(st, false, "r14-order-splitting", "R14 order splitting",
		"four to six US buyers sharing a registered address and a director each order under the threshold; together far above it within weeks")
	n := 4 + b.r.intn(3)
	t0 := b.at(2025, 2, 3, 20)
	for i := 0; i < n; i++ {
		p := b.party("P-SPLIT-"+uitoa(uint64(i+1)), []string{"Redline", "Bluegate", "Greenfield", "Whitestone", "Blackrock Ridge", "Silverlake Ridge"}[i]+" Computing LLC",
			"US", types(tyEndUser), "20"+pad2(15+i)+"-0"+uitoa(uint64(1+i))+"-15", "machine learning services",
			"2150 W Commerce Street, Suite 210, Dallas, TX 75212, United States", "REYES Daniel", s.w.names.director())
		dc := b.site("S-SPLIT-"+uitoa(uint64(i+1)), p, events.SiteDatacenter, 512)
		t := t0 + int64(i)*9*day + int64(b.r.intn(int(3*day)))
		units := s.th.OrderSplittingUnits/8 - 1 - b.r.intn(s.th.OrderSplittingUnits/16) // servers, each buyer under the threshold
		l := b.make(b.model("H100-SXM5-80GB"), b.oem(b.pick("P-SUPERMICRO", "P-DELL")), units, t-30*day)
		b.deliver(l, p, dc, t, mv{}, nil)
		b.flag(nil, l)
		b.subject("party", p.id, "R14")
	}
	b.finish()
}

func (s *Sim) r15(st *stories) {
	b := s.story(st, false, "r15-remote-access", "R15 remote access for D:5",
		"a Japanese cloud installs servers for a tenant headquartered in China and others for a tenant headquartered in Macau")
	p := b.party("P-HOKUTO-CLOUD", "Hokuto Cloud K.K.", "JP", types(tyCloud, tyDC), "2012-05-15", "GPU cloud services",
		"4-1 Umeda, Kita-ku, Osaka, Japan", "KOBAYASHI Ren")
	dc := b.site("S-HOKUTO-DC1", p, events.SiteDatacenter, 1024)
	cn := b.party("P-YUANJING-AI", "Shenzhen Yuanjing AI Technology Co., Ltd.", "CN", types(tyEndUser), "2018-03-12", "AI model development",
		"9 Keyuan Road, Nanshan, Shenzhen, China", "DENG Yu")
	mo := b.party("P-LOTUS-MO", "Lotus Digital Macau Limitada", "MO", types(tyEndUser), "2019-11-20", "digital services",
		"Avenida da Praia Grande 429, Macau", "LEONG Chi Kin")
	t := b.at(2024, 12, 9, 30)
	l := b.make(b.model("H100-SXM5-80GB"), b.oem("P-SUPERMICRO"), 4, t-30*day)
	b.deliver(l, p, dc, t, mv{}, cn)
	t2 := b.at(2025, 3, 17, 30)
	l2 := b.make(b.model("H200-SXM5-141GB"), b.oem("P-DELL"), 2, t2-30*day)
	b.deliver(l2, p, dc, t2, mv{}, mo)
	b.flag(rules("R3", "R15"), l, l2)
	b.finish()
}

func (s *Sim) r16(st *stories) {
	b := s.story(st, false, "r16-rapid-resale", "R16 rapid resale chain",
		"servers sold four times across NL, DE, PL and CH within three weeks before anyone installs them")
	nl := b.party("P-RIJNMOND-IT", "Rijnmond IT Trading B.V.", "NL", types(tyReseller), "2011-03-30", "IT hardware trading",
		"Waalhaven Oostzijde 1, Rotterdam, Netherlands", "DE JONG Pieter")
	nlw := b.site("S-RIJNMOND-WH", nl, events.SiteWarehouse, 0)
	de := b.party("P-ELBE-HW", "Elbe Hardware Handel GmbH", "DE", types(tyReseller), "2007-07-07", "IT hardware trading",
		"Am Sandtorkai 50, Hamburg, Germany", "BECKER Jonas")
	dew := b.site("S-ELBE-WH", de, events.SiteWarehouse, 0)
	pl := b.party("P-WISLA-SYS", "Wisla Systems Sp. z o.o.", "PL", types(tyReseller), "2012-10-10", "IT hardware trading",
		"ul. Marszalkowska 100, Warsaw, Poland", "WOZNIAK Piotr")
	plw := b.site("S-WISLA-WH", pl, events.SiteWarehouse, 0)
	ch := b.party("P-ALPENRECHEN", "Alpenrechen AG", "CH", types(tyDC), "2005-05-05", "data center services",
		"Hardturmstrasse 161, Zurich, Switzerland", "MEIER Lukas")
	dc := b.site("S-ALPENRECHEN-DC1", ch, events.SiteDatacenter, 512)
	t := b.at(2025, 6, 2, 30)
	l := b.make(b.model("H100-SXM5-80GB"), b.oem("P-DELL"), 4, t-30*day)
	b.sell(l, l.holder, nl, nil, t)
	arr := b.move(l, nl, nlw, t+day, mv{days: 2})
	for _, h := range []struct {
		p *party
		s *site
	}{{de, dew}, {pl, plw}} {
		t = arr + int64(1+b.r.intn(2))*day
		b.sell(l, l.holder, h.p, nil, t)
		arr = b.move(l, h.p, h.s, t+day/2, mv{days: 1})
	}
	b.deliver(l, ch, dc, arr+day, mv{days: 1}, nil)
	b.flag(rules("R16"), l)
	b.finish()
}

func (s *Sim) r17(st *stories) {
	b := s.story(st, false, "r17-china-h200", "R17 China H200 quota (lab test missing)",
		"H200 servers exported from the US to a Chinese cloud under a 2026 case-by-case licence; half the chips never went through the required third-party lab test")
	p := b.party("P-XILING-CLOUD", "Hangzhou Xiling Cloud Computing Co., Ltd.", "CN", types(tyCloud, tyDC), "2015-06-01", "cloud computing",
		"88 Jiangnan Avenue, Binjiang, Hangzhou, China", "CHEN Hao")
	dc := b.site("S-XILING-DC1", p, events.SiteDatacenter, 512)
	b.chinaH200(p, dc, 8, 4, 2026, 1, 20)
	b.finish()
}

// chinaH200 exports nSys H200 servers to a Chinese end user under a
// licence; the chips of the first tested servers pass a lab test, the rest
// get none (R17).
func (b *sb) chinaH200(p *party, dc *site, nSys, tested int, y, m, d int) {
	smc := b.oem("P-SUPERMICRO")
	t := b.at(y, m, d, 3)
	l := b.make(b.model("H200-SXM5-141GB"), smc, nSys, t-30*day)
	lic := b.licence(smc.p, p, "CN", int64(nSys*8), b.at(2026, 1, 16, 0), b.at(2026, 12, 31, 0), b.at(2026, 1, 16, 0), "H200-SXM5-141GB")
	lab := b.p("P-VERILAB")
	for i := 0; i < tested; i++ {
		for j, c := range l.sysChips[i] {
			b.ev(t-3*day+int64(i*8+j)*300, lab, &events.LabTestRecorded{Unit: c, Lab: lab.id, Result: events.ResultPass, Report: "VHL-" + itoa6(b.key^uint64(i*8+j)), Licence: lic})
		}
	}
	b.deliver(l, p, dc, t, mv{licence: lic}, nil)
	for i := range l.sys {
		one := &lot{sys: l.sys[i : i+1], chips: l.sysChips[i]}
		if i < tested {
			b.flag(nil, one)
		} else {
			b.flag(rules("R17"), one)
		}
	}
}

func (s *Sim) r18(st *stories) {
	b := s.story(st, false, "r18-malaysia-permit", "R18 Malaysia permit missing",
		"a Malaysian distributor re-exports to Singapore after 2025-07-14 without a Strategic Trade Permit; a US export to India transits Malaysia without one")
	d := b.party("P-PENANG-SUPPLY", "Penang Compute Supply Sdn. Bhd.", "MY", types(tyDist), "2012-04-04", "IT hardware distribution",
		"Lot 12, Jalan Sultan Azlan Shah, Bayan Lepas, Penang, Malaysia", "KHOO Boon Teik")
	wh := b.site("S-PENANG-SUPPLY-WH", d, events.SiteWarehouse, 0)
	sg := b.party("P-MARINA-COMPUTE", "Marina Bay Compute Pte. Ltd.", "SG", types(tyDC), "2014-02-14", "data center services",
		"8 Marina View, Singapore", "KOH Siew Ling")
	sgdc := b.site("S-MARINA-DC1", sg, events.SiteDatacenter, 1024)
	t := b.at(2025, 8, 4, 10)
	l := b.make(b.model("H100-SXM5-80GB"), b.oem("P-SUPERMICRO"), 4, t-30*day)
	b.sell(l, l.holder, d, nil, t)
	arr := b.move(l, d, wh, t+day, mv{})
	b.deliver(l, sg, sgdc, arr+int64(s.th.HubDwellDays+6+b.r.intn(10))*day, mv{}, nil)
	in := b.party("P-COROMANDEL-DC", "Coromandel Data Centers Pvt. Ltd.", "IN", types(tyDC), "2013-01-21", "data center services",
		"Old Mahabalipuram Road, Chennai, India", "IYER Lakshmi")
	indc := b.site("S-COROMANDEL-DC1", in, events.SiteDatacenter, 512)
	t2 := b.at(2025, 9, 1, 20)
	l2 := b.make(b.model("H200-SXM5-141GB"), b.oem("P-DELL"), 2, t2-30*day)
	b.deliver(l2, in, indc, t2, mv{via: []string{"MY"}}, nil)
	b.flag(rules("R18"), l, l2)
	b.finish()
}

func (s *Sim) r19(st *stories) {
	b := s.story(st, false, "r19-return-anomaly", "R19 return or destroy anomaly",
		"a chip returned without an RMA; a chip destroyed without a certificate; an RMA return of a serial nobody shipped")
	p := b.party("P-NORDLYS-DC", "Nordlys Datasenter AS", "NO", types(tyDC), "2010-10-01", "data center services",
		"Lysaker Torg 5, Oslo, Norway", "HANSEN Ola")
	dc := b.site("S-NORDLYS-DC1", p, events.SiteDatacenter, 512)
	smc := b.p("P-SUPERMICRO")
	t := b.at(2024, 10, 21, 20)
	l := b.make(b.model("H100-SXM5-80GB"), b.oem("P-SUPERMICRO"), 2, t-30*day)
	inst := b.deliver(l, p, dc, t, mv{}, nil)
	b.flag(nil, l)
	c1, c2 := l.chips[2], l.chips[10]
	t1 := inst + int64(6+b.r.intn(6))*7*day
	b.ev(t1, p, &events.Disassembled{Parent: l.sys[0], Children: []events.UnitID{c1}, Site: dc.id})
	b.ev(t1+2*day, p, &events.Returned{Units: []events.UnitID{c1}, From: p.id, To: smc.id})
	t2 := t1 + int64(3+b.r.intn(4))*7*day
	b.ev(t2, p, &events.Disassembled{Parent: l.sys[1], Children: []events.UnitID{c2}, Site: dc.id})
	b.ev(t2+2*day, p, &events.Returned{Units: []events.UnitID{c2}, From: p.id, To: smc.id, RMA: "RMA-SMC-" + itoa6(b.key)})
	b.ev(t2+30*day, smc, &events.Destroyed{Units: []events.UnitID{c2}, By: smc.id})
	b.flagUnits(rules("R19"), c1, c2)
	stray := events.UnitID("chip:1652" + "88" + itoa6(b.key^5) + "1")
	b.ev(t2+40*day, p, &events.Returned{Units: []events.UnitID{stray}, From: p.id, To: smc.id, RMA: "RMA-SMC-" + itoa6(b.key^9)})
	b.flagUnits(rules("R10", "R19"), stray)
	b.finish()
}

func (s *Sim) r20(st *stories) {
	b := s.story(st, false, "r20-cap-accounting", "R20 cap accounting (report)",
		"an Indian cloud receives B200 servers worth more than the Jan 2025 per-customer cap of H100-equivalents in 2025; every other Tier 2 consignee or country over a cap is listed too")
	p := b.party("P-BHARAT-CLOUD", "Bharat Compute Cloud Pvt. Ltd.", "IN", types(tyCloud, tyDC), "2014-11-11", "GPU cloud services",
		"Bandra Kurla Complex, Mumbai, India", "MEHTA Rohan")
	dc := b.site("S-BHARAT-DC1", p, events.SiteDatacenter, 4096)
	m := b.model("B200-SXM-192GB")
	need := int(s.th.CapH100PerConsignee/m.h100eq)/8 + 2 + b.r.intn(12) // servers over the cap
	n := 4
	t0 := b.at(2025, 2, 3, 5)
	for i := 0; i < n; i++ {
		k := need / n
		if i == n-1 {
			k = need - k*(n-1)
		}
		t := t0 + int64(i)*18*day
		l := b.make(m, b.oem(b.pick("P-SUPERMICRO", "P-DELL")), k, t-30*day)
		b.deliver(l, p, dc, t, mv{}, nil)
		b.flag(nil, l)
	}
	st.r20 = b
	// finished in buildStories, once every story's exports are known
}

func (s *Sim) r21(st *stories) {
	b := s.story(st, false, "r21-licence-use", "R21 licence use",
		"a UAE licence is used beyond its quantity, after its expiry and for Saudi Arabia; another is used after its revocation")
	p := b.party("P-OASIS-COMPUTE", "Oasis Compute LLC", "AE", types(tyCloud, tyDC), "2016-01-31", "GPU cloud services",
		"Dubai Internet City, Dubai, United Arab Emirates", "AL SUWAIDI Omar")
	dc := b.site("S-OASIS-DC1", p, events.SiteDatacenter, 2048)
	dell := b.oem("P-DELL")
	smc := b.oem("P-SUPERMICRO")
	l1 := b.licence(dell.p, p, "AE", 64, b.at(2024, 9, 1, 0), b.at(2025, 6, 30, 0), b.at(2024, 8, 20, 0), "H100-SXM5-80GB")
	// Within the quantity, then 32 more.
	t := b.at(2024, 10, 7, 10)
	ok := b.make(b.model("H100-SXM5-80GB"), dell, 8, t-30*day)
	b.deliver(ok, p, dc, t, mv{licence: l1}, nil)
	b.flag(nil, ok)
	t = b.at(2024, 12, 9, 10)
	over := b.make(b.model("H100-SXM5-80GB"), dell, 4, t-30*day)
	b.deliver(over, p, dc, t, mv{licence: l1}, nil)
	b.flag(rules("R21"), over)
	// After expiry.
	t = b.at(2025, 8, 4, 10)
	late := b.make(b.model("H100-SXM5-80GB"), dell, 2, t-30*day)
	b.deliver(late, p, dc, t, mv{licence: l1}, nil)
	b.flag(rules("R21"), late)
	// Another destination.
	sa := b.party("P-TUWAIQ-DATA", "Tuwaiq Data Company", "SA", types(tyDC), "2015-03-15", "data center services",
		"Tuwaiq District, Riyadh, Saudi Arabia", "AL OTAIBI Saad")
	sadc := b.site("S-TUWAIQ-DC1", sa, events.SiteDatacenter, 512)
	t = b.at(2025, 2, 3, 10)
	wrong := b.make(b.model("H100-SXM5-80GB"), dell, 2, t-30*day)
	b.deliver(wrong, sa, sadc, t, mv{licence: l1}, nil)
	b.flag(rules("R21"), wrong)
	// After revocation.
	l3 := b.licence(smc.p, p, "AE", 32, b.at(2024, 11, 1, 0), b.at(2026, 10, 31, 0), b.at(2024, 10, 25, 0), "H200-SXM5-141GB")
	b.ev(b.at(2025, 3, 3, 0), b.s.w.operator, &events.LicenceRevoked{Licence: l3, Reason: "revoked by BIS: end-use check failed"})
	t = b.at(2025, 3, 24, 5)
	rev := b.make(b.model("H200-SXM5-141GB"), smc, 2, t-30*day)
	b.deliver(rev, p, dc, t, mv{licence: l3}, nil)
	b.flag(rules("R21"), rev)
	b.finish()
}

func (s *Sim) r22(st *stories) {
	b := s.story(st, false, "r22-backdating", "R22 backdating",
		"a Malaysian re-export to Singapore recorded two weeks late and dated before the permit rule; a US shipment to Germany recorded ten days after it happened")
	d := b.party("P-KLANG-VALLEY", "Klang Valley Compute Sdn. Bhd.", "MY", types(tyDist), "2011-06-06", "IT hardware distribution",
		"Jalan Klang Lama, Kuala Lumpur, Malaysia", "TAN Chee Meng")
	wh := b.site("S-KLANG-VALLEY-WH", d, events.SiteWarehouse, 0)
	sg := b.party("P-JURONG-AI", "Jurong AI Labs Pte. Ltd.", "SG", types(tyEndUser), "2017-09-09", "AI research",
		"2 Jurong East Street 21, Singapore", "YEO Jia Hui")
	sgdc := b.site("S-JURONG-AI-DC1", sg, events.SiteDatacenter, 512)
	t := b.at(2025, 5, 5, 10)
	l := b.make(b.model("H100-SXM5-80GB"), b.oem("P-SUPERMICRO"), 2, t-30*day)
	b.sell(l, l.holder, d, nil, t)
	b.move(l, d, wh, t+day, mv{})
	claimed := s.th.MalaysiaPermitEffective.Time().Unix() - int64(2+b.r.intn(5))*day
	b.sell(l, d, sg, nil, claimed-day)
	arr := b.move(l, sg, sgdc, claimed, mv{lag: int64(12+b.r.intn(6)) * day, days: 1})
	b.install(l, sgdc, nil, arr+15*day, 0)
	b.flag(rules("R18", "R22"), l)
	de := b.party("P-ISAR-RZ", "Isar Rechenzentrum GmbH", "DE", types(tyDC), "2006-02-02", "data center services",
		"Leopoldstrasse 250, Munich, Germany", "HUBER Stefan")
	dedc := b.site("S-ISAR-DC1", de, events.SiteDatacenter, 512)
	t2 := b.at(2025, 3, 10, 30)
	l2 := b.make(b.model("B200-SXM-192GB"), b.oem("P-DELL"), 2, t2-30*day)
	b.sell(l2, l2.holder, de, nil, t2)
	arr = b.move(l2, de, dedc, t2+day, mv{lag: int64(9+b.r.intn(4)) * day})
	b.install(l2, dedc, nil, arr+3*day, 0)
	b.flag(rules("R22"), l2)
	b.finish()
}
