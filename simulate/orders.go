package simulate

import (
	"strconv"
	"time"

	"github.com/chipledger/chipledger/events"
)

// Route kinds of a benign order.
const (
	routeDirect   = iota // OEM -> customer (domestic or export)
	routeDist            // OEM -> distributor in the customer's country -> customer
	routeReexport        // OEM -> distributor in a Tier 1 country -> customer in a neighbour (re-export)
)

// reexportFrom maps a destination to the country of the regional
// distributor that re-exports to it. No hub appears on either side.
var reexportFrom = map[string]string{
	"BE": "NL", "DK": "NL", "NO": "NL", "PL": "DE", "CH": "DE", "SE": "DE", "FI": "DE",
	"IT": "FR", "ES": "FR", "IE": "GB", "IL": "GB", "MX": "US", "NZ": "AU",
}

// transit lanes: via countries for through bills of lading.
var (
	viaJP = []string{"JP"}
	viaKR = []string{"KR"}
	viaDE = []string{"DE"}
	viaSG = []string{"SG"}
	viaMY = []string{"MY"}
)

// wleg is one move of a benign order: an optional sale, an optional
// export declaration, a shipment and its receipt.
type wleg struct {
	seller, buyer    *party
	from, to         *party
	fromSite, toSite *site
	export           bool
	licence          string
	via              []string
	permit           string
	tSale, tShip     int64
	tArrive          int64
}

// order is the plan of one benign order: a pure function of the seed and
// the order index (see plan), recomputed whenever it is needed.
type order struct {
	j        int
	key      uint64
	chipBase int64
	nChips   int
	nSys     int
	nPal     int
	sysBase  int64
	m        *model
	fab      *site
	o        *oem
	cu       *customer
	site     *site
	tenant   *party
	route    int
	legs     [2]wleg
	nLegs    int
	tCom     int64
	tShip0   int64 // case leaves the fab
	tArr0    int64 // case arrives at the OEM
	tAsm     int64
	tPack    int64
	tInstall int64
	attestor *party
	method   string
	rmaSys   int
	rmaPos   int
	tRMA     int64
	amend    bool
	licKey   string
	attDay   int64 // weekday (days since 1970 mod 7) of the weekly attestations
	attTOD   int64 // their time of day
}

// rmaTime returns when order key (commissioned around ct) sends a chip
// back under an RMA, or 0: about 6% of orders, 100 to 280 days after
// commissioning, at least 45 days before the end.
func (s *Sim) rmaTime(key uint64, ct int64) int64 {
	h := mix(key ^ 0x4a4a)
	if h%1000 >= 60 {
		return 0
	}
	at := ct + 100*day + int64(h>>16%uint64(180*day))
	if at >= s.end-45*day {
		return 0
	}
	return at
}

// orderChips returns the size of order j starting at chipBase: 1 to 32
// servers of 8 chips, the last order taking what is left.
func (s *Sim) orderChips(j int, chipBase int64) int {
	h := hash(s.seed, 0x5a1e, uint64(j))
	var sys int64
	switch p := h % 100; {
	case p < 30:
		sys = 1 + int64(h>>8%2)
	case p < 75:
		sys = 3 + int64(h>>8%6)
	case p < 95:
		sys = 9 + int64(h>>8%8)
	default:
		sys = 17 + int64(h>>8%16)
	}
	n := sys * 8
	if rest := s.n - chipBase; n > rest {
		n = rest
	}
	return int(n)
}

// commissionTime is when the order starting at chipBase is commissioned
// (before jitter): production is spread evenly over [start, prod].
func (s *Sim) commissionTime(chipBase int64) int64 {
	return s.start + 6*hour + chipBase*(s.prod-s.start-6*hour)/s.n
}

func monthOf(t int64) string { return time.Unix(t, 0).UTC().Format("2006-01") }

// plan fills o with the plan of order j.
func (s *Sim) plan(o *order, j int, chipBase int64, nChips int) {
	w := s.w
	*o = order{j: j, chipBase: chipBase, nChips: nChips, key: hash(s.seed, 0x07de, uint64(j))}
	r := newRNG(o.key)
	o.nSys = (nChips + 7) / 8
	o.nPal = (o.nSys + 1) / 2
	o.sysBase = chipBase / 8
	o.tCom = s.commissionTime(chipBase) + int64(r.intn(6*3600))
	ym := monthOf(o.tCom)

	// Model by the month's mix.
	var mw [8]float64
	for i, m := range w.models {
		x := m.weight
		if m.from != "" && ym < m.from {
			x = 0
		}
		if m.fadeFrom != "" && ym >= m.fadeFrom {
			x /= 10
		}
		mw[i] = x
	}
	o.m = w.models[r.weighted(mw[:len(w.models)])]
	o.fab = w.makers[o.m.maker]

	// Destination and customer.
	c := w.dests[r.weighted(w.destW)]
	cus := w.custByC[c.code]
	var cw [8]float64
	for i, cu := range cus {
		cw[i] = cu.weight
	}
	o.cu = cus[r.weighted(cw[:len(cus)])]
	o.site = o.cu.sites[r.intn(len(o.cu.sites))]
	if o.cu.cloud {
		o.tenant = w.tenants[r.intn(len(w.tenants))]
	}

	// OEM: one that builds the model; US OEMs for licensed destinations
	// (the licence holder exports from the US), TW OEMs mostly for Taiwan.
	var cand [8]*oem
	nc := 0
	for _, oe := range w.oems {
		ok := false
		for _, mm := range oe.models {
			ok = ok || mm == o.m.name
		}
		if !ok || (c.licensed && oe.p.info.Country != "US") {
			continue
		}
		cand[nc] = oe
		nc++
	}
	o.o = cand[r.intn(nc)]
	if c.code == "TW" && r.chance(0.7) {
		for _, oe := range cand[:nc] {
			if oe.p.info.Country == "TW" {
				o.o = oe
				break
			}
		}
	}
	oc := o.o.p.info.Country

	// Chips: commissioned at the packaging site, cased, shipped to the OEM.
	o.tShip0 = o.tCom + day + int64(r.intn(int(day)))
	if oc == "TW" {
		o.tArr0 = o.tShip0 + 6*hour + int64(r.intn(int(12*hour)))
		// Chips received in Taiwan (a hub) stay at least 15 days: assembly
		// and burn-in. Never a short hub dwell.
		o.tAsm = o.tArr0 + 14*day + int64(r.intn(int(2*day)))
	} else {
		o.tArr0 = o.tShip0 + 2*day + int64(r.intn(int(2*day)))
		o.tAsm = o.tArr0 + 5*day + int64(r.intn(int(7*day)))
	}
	o.tPack = o.tAsm + day + int64(r.intn(int(day)))

	// Route.
	o.route = routeDirect
	if !c.licensed && !c.hub {
		p := r.float()
		switch {
		case w.dists[c.code] != nil && p < 0.35:
			o.route = routeDist
		case reexportFrom[c.code] != "" && p < 0.55:
			o.route = routeReexport
		}
	}
	t := o.tPack + hour*12 + int64(r.intn(int(2*day)))
	transit := func(from, to string) int64 {
		if from == to {
			return day + int64(r.intn(int(2*day)))
		}
		return 2*day + int64(r.intn(int(4*day)))
	}
	addLeg := func(seller, buyer *party, fromSite, toSite *site) *wleg {
		l := &o.legs[o.nLegs]
		o.nLegs++
		l.seller, l.buyer = seller, buyer
		l.from, l.to = fromSite.owner, toSite.owner
		l.fromSite, l.toSite = fromSite, toSite
		l.export = fromSite.country.code != toSite.country.code
		l.tSale = t
		l.tShip = t + day + int64(r.intn(int(day)))
		l.tArrive = l.tShip + transit(fromSite.country.code, toSite.country.code)
		return l
	}
	switch o.route {
	case routeDirect:
		l := addLeg(o.o.p, o.cu.p, o.o.factory, o.site)
		if c.licensed {
			o.licKey = o.o.p.id + "|" + o.cu.p.id
			l.licence = s.licenceNumber(o.licKey)
		}
		if l.export && r.chance(0.15) {
			switch {
			case oc == "US" && c.lon > 60:
				if r.chance(0.5) {
					l.via = viaJP
				} else {
					l.via = viaKR
				}
			case oc == "US" && c.code != "DE":
				l.via = viaDE
			case oc == "TW" && c.code != "SG" && c.code != "MY":
				if r.chance(0.5) {
					l.via = viaSG
				} else {
					l.via = viaMY
				}
			}
		}
	case routeDist:
		d, ds := w.dists[c.code], w.distSite[c.code]
		l := addLeg(o.o.p, d, o.o.factory, ds)
		t = l.tArrive + 3*day + int64(r.intn(int(6*day)))
		addLeg(d, o.cu.p, ds, o.site)
	case routeReexport:
		dc := reexportFrom[c.code]
		d, ds := w.dists[dc], w.distSite[dc]
		l := addLeg(o.o.p, d, o.o.factory, ds)
		t = l.tArrive + 2*day + int64(r.intn(int(7*day)))
		addLeg(d, o.cu.p, ds, o.site)
	}
	for i := 0; i < o.nLegs; i++ {
		l := &o.legs[i]
		if (l.from.info.Country == "MY" || len(l.via) > 0 && l.via[0] == "MY") && l.tShip >= s.th.MalaysiaPermitEffective.Time().Unix() {
			l.permit = "MY-STP-" + strconv.FormatUint(mix(o.key^uint64(i))%9000000+1000000, 10)
		}
	}
	last := &o.legs[o.nLegs-1]
	o.tInstall = last.tArrive + 2*day + int64(r.intn(int(6*day)))

	// Attestations: the maker's telemetry or the operator's inspection.
	switch {
	case o.m.maker == "P-NVIDIA" && r.chance(0.5):
		o.attestor, o.method = w.byID[o.m.maker], "telemetry"
	case r.chance(0.5):
		o.attestor, o.method = o.site.owner, "inspection"
	default:
		o.attestor, o.method = o.site.owner, "ip-latency"
	}

	// A failed chip goes back under an RMA now and then (not from
	// Malaysia, whose exports need a permit the return does not carry).
	// Whether and when derive from the key alone (see rmaTime), so a day
	// without RMA events skips the plan.
	o.rmaSys = -1
	if at := s.rmaTime(o.key, s.commissionTime(chipBase)); at > 0 && c.code != "MY" {
		o.rmaSys, o.rmaPos, o.tRMA = r.intn(o.nSys), r.intn(8), at
		if n := o.nChips - o.rmaSys*8; o.rmaPos >= n {
			o.rmaPos = n - 1
		}
	}
	o.attDay = int64(mix(o.key^0xa77e) % 7)
	o.attTOD = hour + int64(mix(o.key^0x70d)%uint64(20*hour))
	if o.tInstall+2*day > s.commissionTime(chipBase)+lifecycle {
		panic("simulate: an order's lifecycle is longer than the lifecycle bound")
	}
	o.amend = r.chance(0.04)
}

func (s *Sim) licenceNumber(key string) string {
	return "D" + strconv.FormatUint(hash(s.seed, hstr(key))%9000000+1000000, 10)
}

// ---- unit ids ---------------------------------------------------------

func appendPad(b []byte, n int64, width int) []byte {
	var tmp [20]byte
	d := strconv.AppendInt(tmp[:0], n, 10)
	for i := len(d); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, d...)
}

func (o *order) chip(i int) events.UnitID {
	var b [40]byte
	x := append(b[:0], "chip:"...)
	x = append(x, o.m.prefix...)
	return events.UnitID(appendPad(x, o.chipBase+int64(i), 9))
}

func (o *order) sys(i int) events.UnitID {
	var b [40]byte
	return events.UnitID(o.appendSys(b[:0], i))
}

func (o *order) appendSys(b []byte, i int) []byte {
	b = append(b, "sys:"...)
	b = append(b, o.o.prefix...)
	b = append(b, '-')
	return appendPad(b, o.sysBase+int64(i), 8)
}

func (o *order) pallet(i int) events.UnitID { return sscc(o.o.p.gs1, o.sysBase+2*int64(i)) }
func (o *order) caseID() events.UnitID      { return sscc(o.fab.owner.gs1, o.sysBase) }

// ---- aggregates (pre-pass) -----------------------------------------------

type licUse struct {
	holder, endUser *party
	dest            string
	chips           int64
	first, last     int64
	models          map[string]bool
}

type capKey struct {
	who  string // party id or country code
	year int
}

// aggregates are what reference data must agree with: site capacities,
// licence quantities and validity, and the cap accounting of R20.
type aggregates struct {
	orders, servers int64
	siteChips       map[string]int64
	lic             map[string]*licUse
	consigneeH100   map[capKey]float64
	countryTPP      map[capKey]float64
	usH200          int64
}

// prepass walks every order plan once (no events) and sums what the
// reference data must agree with.
func (s *Sim) prepass() *aggregates {
	a := &aggregates{siteChips: map[string]int64{}, lic: map[string]*licUse{},
		consigneeH100: map[capKey]float64{}, countryTPP: map[capKey]float64{}}
	var o order
	chipBase := int64(0)
	for j := 0; chipBase < s.n; j++ {
		n := s.orderChips(j, chipBase)
		s.plan(&o, j, chipBase, n)
		a.orders++
		a.servers += int64(o.nSys)
		a.siteChips[o.site.id] += int64(n)
		for i := 0; i < o.nLegs; i++ {
			l := &o.legs[i]
			if !l.export {
				continue
			}
			if l.licence != "" {
				u := a.lic[o.licKey]
				if u == nil {
					u = &licUse{holder: l.from, endUser: o.cu.p, dest: l.toSite.country.code, first: l.tShip, models: map[string]bool{}}
					a.lic[o.licKey] = u
				}
				u.chips += int64(n)
				u.first = min(u.first, l.tShip)
				u.last = max(u.last, l.tShip)
				u.models[o.m.name] = true
			}
			if l.toSite.country.tier == 2 {
				y := time.Unix(l.tShip-3*hour, 0).UTC().Year()
				a.consigneeH100[capKey{l.to.id, y}] += float64(n) * o.m.h100eq
				a.countryTPP[capKey{l.toSite.country.code, y}] += float64(n) * o.m.tpp
			}
		}
		if o.m.name == "H200-SXM5-141GB" && o.site.country.code == "US" {
			a.usH200 += int64(n)
		}
		chipBase += int64(n)
	}
	return a
}

// ---- emission -------------------------------------------------------------

// Step numbers: part of every event's key, so ids never depend on the day
// an event is generated in.
const (
	stCommission = iota + 1
	stCasePack
	stCaseExport
	stCaseShip
	stCaseReceive
	stCaseUnpack
	stSysCommission
	stAssemble
	stPack
	stInstall
	stAttest
	stAmend
	stDisassemble
	stReturn
	stDestroy
	stLeg = 32 // + 8*leg + sub
)

// scratch holds reusable bodies so the world path does not allocate one
// per event.
type scratch struct {
	com   events.Commissioned
	asm   events.Assembled
	dis   events.Disassembled
	pk    events.Packed
	upk   events.Unpacked
	shp   events.Shipped
	rcv   events.Received
	own   events.OwnershipTransferred
	exp   events.ExportDeclared
	ins   events.Installed
	ret   events.Returned
	des   events.Destroyed
	units []events.UnitID
	kids  []events.UnitID
	tpp   float64
	buf   []byte
}

// emitWorldDay generates the world events that occur in g's window (one
// day). Orders are planned only when they can have an event that day: in
// their lifecycle, on their attestation weekday, or on an RMA day.
func (s *Sim) emitWorldDay(g *gen) {
	lo, hi := g.lo, g.hi
	wd := floorDiv(lo, day) % 7
	var o order
	chipBase := int64(0)
	for j := 0; chipBase < s.n; j++ {
		ct := s.commissionTime(chipBase)
		if ct > hi {
			break
		}
		n := s.orderChips(j, chipBase)
		key := hash(s.seed, 0x07de, uint64(j))
		need := ct+lifecycle > lo || int64(mix(key^0xa77e)%7) == wd
		if !need {
			if t := s.rmaTime(key, ct); t > 0 && (t+31*day > lo && t < hi) {
				need = between(t, lo, hi) || between(t+2*day, lo, hi) || between(t+30*day, lo, hi)
			}
		}
		if need {
			s.plan(&o, j, chipBase, n)
			g.emitOrder(&o, lo, hi)
		}
		chipBase += int64(n)
	}
}

func ek(o *order, step, sub int) uint64 { return hash(o.key, uint64(step)<<32|uint64(sub)) }

func between(t, lo, hi int64) bool { return t >= lo && t < hi }

// emitOrder emits the events of o whose delivery falls in g's day; lo and
// hi bound the occurred times worth looking at.
func (g *gen) emitOrder(o *order, lo, hi int64) {
	if lo < o.tCom+lifecycle {
		g.emitLifecycle(o, lo, hi)
	}
	g.emitService(o, lo, hi)
}

// emitLifecycle emits the order's custody events up to the final receipt.
func (g *gen) emitLifecycle(o *order, lo, hi int64) {
	w, sc := g.s.w, &g.scr
	maker := w.byID[o.m.maker]
	oemP := o.o.p
	if o.tCom < hi && o.tCom+int64(o.nChips)*6 >= lo {
		for i := 0; i < o.nChips; i++ {
			t := o.tCom + int64(i)*6
			if !between(t, lo, hi) || !g.want(t, maker, ek(o, stCommission, i)) {
				continue
			}
			u := o.chip(i)
			sc.tpp = o.m.tpp
			sc.com = events.Commissioned{Unit: u, Manufacturer: maker.id, Model: o.m.name, Serial: u.Serial(), DeclaredECCN: o.m.eccn, Site: o.fab.id, Country: "TW"}
			if o.m.tpp > 0 {
				sc.com.DeclaredTPP = &sc.tpp
			}
			g.put(t, maker.id, &sc.com)
		}
	}
	caseID := o.caseID()
	if t := o.tShip0 - 2*hour; between(t, lo, hi) && g.want(t, maker, ek(o, stCasePack, 0)) {
		sc.pk = events.Packed{Parent: caseID, Children: g.chips(o, 0, o.nChips), Site: o.fab.id}
		g.put(t, maker.id, &sc.pk)
	}
	caseGoods := strconv.Itoa(o.nChips) + "x " + o.m.label + " GPU modules"
	caseEx := oemP.info.Country != "TW"
	shipID := "SHP-" + strconv.FormatUint(ek(o, stCaseShip, 0)%1e10, 10)
	if t := o.tShip0 - hour; caseEx && between(t, lo, hi) && g.want(t, maker, ek(o, stCaseExport, 0)) {
		sc.exp = events.ExportDeclared{Units: g.one(caseID), Exporter: maker.id, OriginCountry: "TW", DestinationCountry: oemP.info.Country,
			ECCN: o.m.eccn, LicenceException: "NLR", GoodsDescription: caseGoods, EndUser: oemP.id, DeclarationID: g.itn(o, stCaseExport, o.tShip0)}
		g.put(t, maker.id, &sc.exp)
	}
	if t := o.tShip0; between(t, lo, hi) && g.want(t, maker, ek(o, stCaseShip, 0)) {
		sc.shp = events.Shipped{Units: g.one(caseID),
			From:    events.Place{Party: maker.id, Site: o.fab.id, Country: "TW"},
			To:      events.Place{Party: oemP.id, Site: o.o.factory.id, Country: oemP.info.Country},
			Carrier: w.carrierFor("TW", oemP.info.Country, o.key).id, FinalConsignee: oemP.id, DeclaredEndUser: oemP.id,
			GoodsDescription: caseGoods, DeclaredECCN: o.m.eccn, ShipmentID: shipID,
			Transaction: events.Transaction{PO: "PO-" + o.o.prefix + "-" + strconv.FormatUint(o.key%1e7, 10), Payer: oemP.id}}
		if caseEx {
			sc.shp.LicenceException = "NLR"
		}
		g.put(t, maker.id, &sc.shp)
	}
	if t := o.tArr0; between(t, lo, hi) && g.want(t, oemP, ek(o, stCaseReceive, 0)) {
		sc.rcv = events.Received{Units: g.one(caseID), At: events.Place{Party: oemP.id, Site: o.o.factory.id, Country: oemP.info.Country}, ShipmentID: shipID}
		g.put(t, oemP.id, &sc.rcv)
	}
	if t := o.tArr0 + 2*hour; between(t, lo, hi) && g.want(t, oemP, ek(o, stCaseUnpack, 0)) {
		sc.upk = events.Unpacked{Parent: caseID, Children: g.chips(o, 0, o.nChips), Site: o.o.factory.id}
		g.put(t, oemP.id, &sc.upk)
	}
	if o.tAsm-2*hour < hi && o.tAsm+int64(o.nSys)*600 >= lo {
		for i := 0; i < o.nSys; i++ {
			if t := o.tAsm - 2*hour + int64(i)*60; between(t, lo, hi) && g.want(t, oemP, ek(o, stSysCommission, i)) {
				u := o.sys(i)
				sc.com = events.Commissioned{Unit: u, Manufacturer: oemP.id, Model: o.o.sysModel, Serial: u.Serial(), DeclaredECCN: "4A090.a", Site: o.o.factory.id, Country: oemP.info.Country}
				g.put(t, oemP.id, &sc.com)
			}
			if t := o.tAsm + int64(i)*600; between(t, lo, hi) && g.want(t, oemP, ek(o, stAssemble, i)) {
				sc.asm = events.Assembled{Parent: o.sys(i), Children: g.chips(o, i*8, min(i*8+8, o.nChips)), Site: o.o.factory.id}
				g.put(t, oemP.id, &sc.asm)
			}
		}
	}
	for i := 0; i < o.nPal; i++ {
		if t := o.tPack + int64(i)*300; between(t, lo, hi) && g.want(t, oemP, ek(o, stPack, i)) {
			sc.pk = events.Packed{Parent: o.pallet(i), Children: g.servers(o, i*2, min(i*2+2, o.nSys)), Site: o.o.factory.id}
			g.put(t, oemP.id, &sc.pk)
		}
	}
	goods := "GPU server, 8x " + o.m.label + " (" + o.o.label + ")"
	if o.nSys > 1 {
		goods = strconv.Itoa(o.nSys) + " GPU servers, 8x " + o.m.label + " each (" + o.o.label + ")"
	}
	price := int64(o.nSys)*40000 + int64(o.nChips)*int64(o.m.price)
	for li := 0; li < o.nLegs; li++ {
		l := &o.legs[li]
		base := stLeg + 8*li
		lastLeg := li == o.nLegs-1
		sid := "SHP-" + strconv.FormatUint(ek(o, base+2, 0)%1e10, 10)
		if l.seller != nil && between(l.tSale, lo, hi) && g.want(l.tSale, l.seller, ek(o, base, 0)) {
			p := price
			if li == 1 {
				p = p * 108 / 100
			}
			sc.own = events.OwnershipTransferred{Units: g.pallets(o), Seller: l.seller.id, Buyer: l.buyer.id,
				Price:    events.Money{Amount: strconv.FormatInt(p, 10) + ".00", Currency: "USD"},
				Contract: "SA-" + strconv.FormatUint(ek(o, base, 0)%1e8, 10)}
			g.put(l.tSale, l.seller.id, &sc.own)
		}
		exc := ""
		if l.export && l.licence == "" {
			exc = "NLR"
		}
		if t := l.tShip - 3*hour; l.export && between(t, lo, hi) && g.want(t, l.from, ek(o, base+1, 0)) {
			sc.exp = events.ExportDeclared{Units: g.pallets(o), Exporter: l.from.id, OriginCountry: l.fromSite.country.code,
				DestinationCountry: l.toSite.country.code, ECCN: "4A090.a", Licence: l.licence, LicenceException: exc,
				GoodsDescription: goods, EndUser: o.cu.p.id, DeclarationID: g.itn(o, base+1, l.tShip)}
			g.put(t, l.from.id, &sc.exp)
		}
		if between(l.tShip, lo, hi) && g.want(l.tShip, l.from, ek(o, base+2, 0)) {
			sc.shp = events.Shipped{Units: g.pallets(o),
				From:    events.Place{Party: l.from.id, Site: l.fromSite.id, Country: l.fromSite.country.code},
				To:      events.Place{Party: l.to.id, Site: l.toSite.id, Country: l.toSite.country.code},
				Via:     l.via,
				Carrier: w.carrierFor(l.fromSite.country.code, l.toSite.country.code, o.key).id, DeclaredEndUser: o.cu.p.id,
				FinalConsignee: l.to.id, GoodsDescription: goods, DeclaredECCN: "4A090.a", Licence: l.licence, LicenceException: exc,
				Transaction: events.Transaction{PO: "PO-" + strconv.FormatUint(ek(o, base, 1)%1e8, 10), Invoice: "INV-" + strconv.FormatUint(ek(o, base, 2)%1e8, 10),
					Payer: l.to.id, BillOfLading: "AWB " + strconv.FormatUint(ek(o, base, 3)%1e8+1e8, 10)},
				MalaysiaPermit: l.permit, ShipmentID: sid}
			g.put(l.tShip, l.from.id, &sc.shp)
		}
		if between(l.tArrive, lo, hi) && g.want(l.tArrive, l.to, ek(o, base+3, 0)) {
			sc.rcv = events.Received{Units: g.pallets(o), At: events.Place{Party: l.to.id, Site: l.toSite.id, Country: l.toSite.country.code}, ShipmentID: sid}
			g.put(l.tArrive, l.to.id, &sc.rcv)
		}
		if lastLeg {
			for i := 0; i < o.nPal; i++ {
				if t := l.tArrive + 3*hour + int64(i)*120; between(t, lo, hi) && g.want(t, l.to, ek(o, base+4, i)) {
					sc.upk = events.Unpacked{Parent: o.pallet(i), Children: g.servers(o, i*2, min(i*2+2, o.nSys)), Site: l.toSite.id}
					g.put(t, l.to.id, &sc.upk)
				}
			}
		}
	}
}

// emitService emits the installs, weekly attestations, corrections and
// returns of the order.
func (g *gen) emitService(o *order, lo, hi int64) {
	s, sc := g.s, &g.scr
	oemP := o.o.p
	op := o.site.owner
	for i := 0; i < o.nSys; i++ {
		t := o.tInstall + int64(i)*900
		if between(t, lo, hi) && g.want(t, op, ek(o, stInstall, i)) {
			g.put(t, op.id, o.installBody(sc, g, i, false))
		}
		// Weekly attestations on the order's weekday, from the day after
		// the install to the end.
		if at := o.attestAt(i, lo); at > t && at >= lo && at < hi && at < s.end && g.want(at, o.attestor, ek(o, stAttest, i)^uint64(at/day)<<20) {
			h := mix(g.k)
			lat := round4(o.site.lat + (unitFloat(h)-0.5)*0.001)
			lon := round4(o.site.lon + (unitFloat(mix(h))-0.5)*0.001)
			sc.buf = o.appendSys(sc.buf[:0], i)
			g.putAttestation(at, o.attestor.id, nil, sc.buf, o.site.country.code, lat, lon, o.method, o.attestor.id)
		}
	}
	if o.amend {
		if t := o.tInstall + day + 5*hour; between(t, lo, hi) && g.want(t, op, ek(o, stAmend, 0)) {
			orig := o.tInstall
			orec, _, _, _ := s.timing(orig, op, ek(o, stInstall, 0), true)
			var idb [36]byte
			oid := string(appendUUID7(idb[:0], orec*1000+int64(mix(ek(o, stInstall, 0))%1000), mix(ek(o, stInstall, 0)^1), mix(ek(o, stInstall, 0)^2)))
			amended := events.Event{ID: oid, Type: events.TypeInstalled, OccurredAt: time.Unix(orig, 0), RecordedAt: time.Unix(orec, 0),
				Publisher: op.id, Body: o.installBody(&scratch{}, g, 0, true)}
			g.put(t, op.id, &events.Corrected{Target: oid, Action: events.ActionAmend, Reason: "rack position mistyped at install", Amended: &amended})
		}
	}
	if o.rmaSys >= 0 {
		chip := o.chip(o.rmaSys*8 + o.rmaPos)
		rma := "RMA-" + o.o.prefix + "-" + strconv.FormatUint(ek(o, stReturn, 0)%1e6+1e5, 10)
		if t := o.tRMA; between(t, lo, hi) && g.want(t, op, ek(o, stDisassemble, 0)) {
			sc.dis = events.Disassembled{Parent: o.sys(o.rmaSys), Children: g.one(chip), Site: o.site.id}
			g.put(t, op.id, &sc.dis)
		}
		if t := o.tRMA + 2*day; between(t, lo, hi) && g.want(t, op, ek(o, stReturn, 0)) {
			sc.ret = events.Returned{Units: g.one(chip), From: o.cu.p.id, To: oemP.id, RMA: rma}
			g.put(t, op.id, &sc.ret)
		}
		if t := o.tRMA + 30*day; between(t, lo, hi) && g.want(t, oemP, ek(o, stDestroy, 0)) {
			sc.des = events.Destroyed{Units: g.one(chip), Certificate: "COD-" + o.o.prefix + "-" + strconv.FormatUint(ek(o, stDestroy, 0)%1e6+1e5, 10), By: oemP.id}
			g.put(t, oemP.id, &sc.des)
		}
	}
}

// attestAt returns the time of server i's attestation on the day starting
// at lo, or 0 when it has none that day (not the order's weekday, or
// before its first attestation, which is at least a day after the install).
func (o *order) attestAt(i int, lo int64) int64 {
	d := floorDiv(lo, day)
	if d%7 != o.attDay || lo < o.tInstall+int64(i)*900+day {
		return 0
	}
	k := mix(o.key ^ uint64(d)<<8 ^ uint64(i))
	return lo + o.attTOD + int64(i)*60 + int64(k%1800)
}

func (o *order) installBody(sc *scratch, g *gen, i int, amended bool) events.Body {
	rack := "R" + strconv.Itoa(1+int(o.key>>8%40)) + "-" + strconv.Itoa(1+(i+int(o.key>>16%20))%48)
	if amended {
		rack += "A"
	}
	sc.ins = events.Installed{Units: []events.UnitID{o.sys(i)}, Site: o.site.id, Country: o.site.country.code, Rack: rack}
	if o.tenant != nil {
		sc.ins.Tenant = o.tenant.id
	}
	return &sc.ins
}

// emitWeekly emits one event every period from first (with up to three
// hours of jitter either side) until before until.
func (g *gen) emitWeekly(key uint64, first, until, period, lo, hi int64, pub *party, emit func(t int64)) {
	const jit = 3 * hour
	if until > g.s.end {
		until = g.s.end
	}
	m0 := (lo - first - jit) / period
	if m0 < 0 {
		m0 = 0
	}
	for m := m0; ; m++ {
		base := first + m*period
		if base-jit >= hi || base+jit >= until+jit {
			return
		}
		k := hash(key, uint64(m))
		t := base + int64(k%uint64(2*jit)) - jit
		if t >= until || !between(t, lo, hi) || !g.want(t, pub, k) {
			continue
		}
		emit(t)
	}
}

func (g *gen) one(u events.UnitID) []events.UnitID {
	g.scr.units = append(g.scr.units[:0], u)
	return g.scr.units
}

func (g *gen) chips(o *order, from, to int) []events.UnitID {
	g.scr.kids = g.scr.kids[:0]
	for i := from; i < to; i++ {
		g.scr.kids = append(g.scr.kids, o.chip(i))
	}
	return g.scr.kids
}

func (g *gen) servers(o *order, from, to int) []events.UnitID {
	g.scr.kids = g.scr.kids[:0]
	for i := from; i < to; i++ {
		g.scr.kids = append(g.scr.kids, o.sys(i))
	}
	return g.scr.kids
}

func (g *gen) pallets(o *order) []events.UnitID {
	g.scr.units = g.scr.units[:0]
	for i := 0; i < o.nPal; i++ {
		g.scr.units = append(g.scr.units, o.pallet(i))
	}
	return g.scr.units
}

// itn returns an AES internal transaction number: X, the date, 6 digits.
func (g *gen) itn(o *order, step int, t int64) string {
	b := append(g.scr.buf[:0], 'X')
	y, m, d := civil(t / day)
	b = append4(b, y)
	b = append2(b, m)
	b = append2(b, d)
	b = appendPad(b, int64(ek(o, step, 9)%1e6), 6)
	return string(b)
}
