package simulate

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/chipledger/chipledger/events"
)

// storyEvent is one pre-encoded event of a scenario or twin, or of the
// reference data.
type storyEvent struct {
	dels [2]int64
	dup  bool
	corr bool
	late bool
	line []byte
	key  []byte
}

// delivery is one copy of a story event in delivery order.
type delivery struct {
	del  int64
	idx  int32
	copy int8
}

// sched is a weekly attestation schedule of one unit list.
type sched struct {
	key      uint64
	units    []events.UnitID
	country  string
	lat, lon float64
	method   string
	attestor *party
	first    int64
	until    int64
	period   int64
}

// stories holds the scenarios and twins: their events (bounded in number,
// independent of the world's size), their attestation schedules and truth.
type stories struct {
	events    []storyEvent
	dlv       []delivery
	scheds    []sched
	chips     int64
	servers   int64
	scenarios []*Scenario
	twins     []*Scenario
	// unit serial counters, far from the world's ranges
	nextChip, nextSys, nextPkg int64
	restricted                 []restricted
	// cap accounting of the stories' own exports (R20)
	capExtra    map[capKey]float64
	capExtraTPP map[capKey]float64
	r20         *sb
}

// emitSched emits the schedule's attestations delivered in g's day.
func (g *gen) emitSched(sc *sched) {
	lo, hi := g.lo, g.hi
	g.emitWeekly(sc.key, sc.first, sc.until, sc.period, lo, hi, sc.attestor, func(t int64) {
		h := mix(g.k)
		lat := round4(sc.lat + (unitFloat(h)-0.5)*0.001)
		lon := round4(sc.lon + (unitFloat(mix(h))-0.5)*0.001)
		g.putAttestation(t, sc.attestor.id, sc.units, nil, sc.country, lat, lon, sc.method, sc.attestor.id)
	})
}

// sb builds one story.
type sb struct {
	s    *Sim
	st   *stories
	sc   *Scenario
	r    rng
	key  uint64
	n    uint64
	subj map[string]*Subject
	// the last install event, to amend
	lastInstall events.Event
}

func (s *Sim) story(st *stories, twin bool, name, real, pattern string) *sb {
	b := &sb{s: s, st: st, key: hash(s.seed, hstr("story:"+name)), subj: map[string]*Subject{}}
	b.r = newRNG(b.key)
	b.sc = &Scenario{Name: name, Case: real, Pattern: pattern}
	if twin {
		st.twins = append(st.twins, b.sc)
	} else {
		st.scenarios = append(st.scenarios, b.sc)
	}
	return b
}

// finish sorts the subjects and the rule union into the truth entry.
func (b *sb) finish() {
	keys := make([]string, 0, len(b.subj))
	for k := range b.subj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	all := map[string]bool{}
	for _, k := range keys {
		s := b.subj[k]
		s.Rules = sortRules(s.Rules)
		for _, r := range s.Rules {
			all[r] = true
		}
		b.sc.Subjects = append(b.sc.Subjects, *s)
	}
	b.sc.Rules = sortRules(sortedKeys(all))
}

func sortRules(rs []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, r := range rs {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b string) int {
		x, _ := strconv.Atoi(strings.TrimPrefix(a, "R"))
		y, _ := strconv.Atoi(strings.TrimPrefix(b, "R"))
		return x - y
	})
	return out
}

// subject records rules for a subject of the story (kind unit, party,
// site or country).
func (b *sb) subject(kind, id string, rules ...string) {
	k := kind + "\x00" + id
	s := b.subj[k]
	if s == nil {
		s = &Subject{Kind: kind, ID: id, Rules: []string{}}
		b.subj[k] = s
	}
	s.Rules = append(s.Rules, rules...)
}

// flag records rules for every chip and server of the lots.
func (b *sb) flag(rules []string, lots ...*lot) {
	for _, l := range lots {
		for _, u := range l.chips {
			b.subject("unit", string(u), rules...)
		}
		for _, u := range l.sys {
			b.subject("unit", string(u), rules...)
		}
	}
}

func (b *sb) flagUnits(rules []string, units ...events.UnitID) {
	for _, u := range units {
		b.subject("unit", string(u), rules...)
	}
}

// ev adds an event at t published by pub, recorded with the usual lag.
func (b *sb) ev(t int64, pub *party, body events.Body) string { return b.evLag(t, pub, body, -1) }

// evLag adds an event recorded lag seconds after t (lag < 0: the usual
// timing of the publisher). It returns the event id.
func (b *sb) evLag(t int64, pub *party, body events.Body, lag int64) string {
	return b.evE(t, pub, body, lag).ID
}

// evE adds an event (see evLag) and returns it.
func (b *sb) evE(t int64, pub *party, body events.Body, lag int64) events.Event {
	b.n++
	k := hash(b.key, b.n)
	rec, dels, dup, late := b.s.timing(t, pub, k, true)
	if lag >= 0 {
		rec = t + lag
		dels = [2]int64{rec + 2 + int64(k%5), 0}
		dup, late = false, false
	}
	ev := b.st.add(t, rec, dels, dup, k, pub.id, body)
	b.st.events[len(b.st.events)-1].late = late
	return ev
}

// correct publishes an event.corrected.v1 at t about orig: an amendment
// to body, or a retraction when body is nil.
func (b *sb) correct(t int64, orig events.Event, body events.Body, reason string) {
	c := &events.Corrected{Target: orig.ID, Action: events.ActionRetract, Reason: reason}
	if body != nil {
		am := orig
		am.Body = body
		c.Action, c.Amended = events.ActionAmend, &am
	}
	b.ev(t, b.s.w.byID[orig.Publisher], c)
}

// add encodes an event and records its deliveries.
func (st *stories) add(t, rec int64, dels [2]int64, dup bool, k uint64, pub string, body events.Body) events.Event {
	var idb [36]byte
	id := string(appendUUID7(idb[:0], rec*1000+int64(mix(k)%1000), mix(k^1), mix(k^2)))
	ev := events.Event{ID: id, Type: body.Type(), OccurredAt: time.Unix(t, 0), RecordedAt: time.Unix(rec, 0), Publisher: pub, Body: body}
	if err := ev.Validate(); err != nil {
		panic(fmt.Sprintf("simulate: story event %s does not validate: %v", ev.Type, err))
	}
	line := appendEvent(nil, &ev)
	st.events = append(st.events, storyEvent{dels: dels, dup: dup, corr: body.Type() == events.TypeCorrected, line: line, key: []byte(ev.Primary())})
	i := int32(len(st.events) - 1)
	st.dlv = append(st.dlv, delivery{del: dels[0], idx: i})
	if dup {
		st.dlv = append(st.dlv, delivery{del: dels[1], idx: i, copy: 1})
	}
	return ev
}

// ---- lots --------------------------------------------------------------

// lot is a group of units that travel together in a story.
type lot struct {
	m        *model
	oem      *oem
	chips    []events.UnitID
	sys      []events.UnitID
	sysChips [][]events.UnitID
	pallets  []events.UnitID
	palSys   [][]events.UnitID
	caseID   events.UnitID // chips-only lots travel in a case
	packed   bool
	holder   *party
	at       *site
	ready    int64 // when the lot is ready for its next move
	country  string
}

// units returns what ships: the case, the pallets, or the loose servers.
func (l *lot) units() []events.UnitID {
	switch {
	case l.caseID != "":
		return []events.UnitID{l.caseID}
	case l.packed:
		return slices.Clone(l.pallets)
	}
	return slices.Clone(l.sys)
}

func (st *stories) chipID(m *model) events.UnitID {
	st.nextChip++
	st.chips++
	return events.UnitID("chip:" + m.prefix + fmt.Sprintf("%09d", st.nextChip))
}

// make manufactures nSys servers of model m at OEM o: chips commissioned
// in Taiwan, cased, shipped to the OEM, servers commissioned, assembled and
// packed two to a pallet. The lot is ready at the OEM about three weeks
// after at.
func (b *sb) make(m *model, o *oem, nSys int, at int64) *lot {
	l := &lot{m: m, oem: o, packed: true}
	maker := b.s.w.byID[m.maker]
	fab := b.s.w.makers[m.maker]
	for i := 0; i < nSys*8; i++ {
		u := b.st.chipID(m)
		l.chips = append(l.chips, u)
		tpp := m.tpp
		c := &events.Commissioned{Unit: u, Manufacturer: maker.id, Model: m.name, Serial: u.Serial(), DeclaredECCN: m.eccn, Site: fab.id, Country: "TW"}
		if tpp > 0 {
			c.DeclaredTPP = &tpp
		}
		b.ev(at+int64(i)*6, maker, c)
	}
	oc := o.p.info.Country
	b.st.nextPkg++
	caseID := sscc(fab.owner.gs1, b.st.nextPkg)
	t := at + day + int64(b.r.intn(int(day)))
	b.ev(t-2*hour, maker, &events.Packed{Parent: caseID, Children: slices.Clone(l.chips), Site: fab.id})
	goods := strconv.Itoa(len(l.chips)) + "x " + m.label + " GPU modules"
	sid := b.shipID()
	shp := &events.Shipped{Units: []events.UnitID{caseID}, From: events.Place{Party: maker.id, Site: fab.id, Country: "TW"},
		To: events.Place{Party: o.p.id, Site: o.factory.id, Country: oc}, Carrier: b.s.w.carrierFor("TW", oc, b.key).id,
		DeclaredEndUser: o.p.id, FinalConsignee: o.p.id, GoodsDescription: goods, DeclaredECCN: m.eccn, ShipmentID: sid}
	arr := t + 12*hour
	if oc != "TW" {
		b.ev(t-hour, maker, &events.ExportDeclared{Units: []events.UnitID{caseID}, Exporter: maker.id, OriginCountry: "TW",
			DestinationCountry: oc, ECCN: m.eccn, LicenceException: "NLR", GoodsDescription: goods, EndUser: o.p.id, DeclarationID: b.itn(t)})
		shp.LicenceException = "NLR"
		arr = t + 2*day + int64(b.r.intn(int(day)))
	}
	b.ev(t, maker, shp)
	b.ev(arr, o.p, &events.Received{Units: []events.UnitID{caseID}, At: events.Place{Party: o.p.id, Site: o.factory.id, Country: oc}, ShipmentID: sid})
	b.ev(arr+2*hour, o.p, &events.Unpacked{Parent: caseID, Children: slices.Clone(l.chips), Site: o.factory.id})
	asm := arr + 6*day
	if oc == "TW" {
		asm = arr + 15*day
	}
	for i := 0; i < nSys; i++ {
		b.st.nextSys++
		b.st.servers++
		u := sysID(o.prefix, 90_000_000+b.st.nextSys)
		l.sys = append(l.sys, u)
		kids := slices.Clone(l.chips[i*8 : i*8+8])
		l.sysChips = append(l.sysChips, kids)
		b.ev(asm-2*hour+int64(i)*60, o.p, &events.Commissioned{Unit: u, Manufacturer: o.p.id, Model: o.sysModel, Serial: u.Serial(), DeclaredECCN: "4A090.a", Site: o.factory.id, Country: oc})
		b.ev(asm+int64(i)*600, o.p, &events.Assembled{Parent: u, Children: kids, Site: o.factory.id})
	}
	pack := asm + day
	for i := 0; i < nSys; i += 2 {
		b.st.nextPkg++
		p := sscc(o.p.gs1, b.st.nextPkg)
		kids := slices.Clone(l.sys[i:min(i+2, nSys)])
		l.pallets = append(l.pallets, p)
		l.palSys = append(l.palSys, kids)
		b.ev(pack+int64(i)*150, o.p, &events.Packed{Parent: p, Children: kids, Site: o.factory.id})
	}
	l.holder, l.at, l.country, l.ready = o.p, o.factory, oc, pack+day
	return l
}

// makeChips commissions n loose chips and ships them in a case from the
// fab to a distributor (exported from Taiwan when abroad).
func (b *sb) makeChips(m *model, n int, at int64, to *party, toSite *site) *lot {
	l := &lot{m: m}
	maker := b.s.w.byID[m.maker]
	fab := b.s.w.makers[m.maker]
	for i := 0; i < n; i++ {
		u := b.st.chipID(m)
		l.chips = append(l.chips, u)
		tpp := m.tpp
		c := &events.Commissioned{Unit: u, Manufacturer: maker.id, Model: m.name, Serial: u.Serial(), DeclaredECCN: m.eccn, Site: fab.id, Country: "TW"}
		if tpp > 0 {
			c.DeclaredTPP = &tpp
		}
		b.ev(at+int64(i)*6, maker, c)
	}
	b.st.nextPkg++
	l.caseID = sscc(fab.owner.gs1, b.st.nextPkg)
	t := at + day
	b.ev(t-2*hour, maker, &events.Packed{Parent: l.caseID, Children: slices.Clone(l.chips), Site: fab.id})
	l.holder, l.at, l.country, l.ready = maker, fab, "TW", t
	b.move(l, to, toSite, t, mv{goods: strconv.Itoa(n) + "x " + m.label + " GPU modules", eccn: m.eccn})
	return l
}

func (b *sb) shipID() string { return "SHP-" + strconv.FormatUint(mix(b.key+b.n*7919)%1e10, 10) }

func (b *sb) itn(t int64) string {
	y, m, d := civil(t / day)
	return fmt.Sprintf("X%04d%02d%02d%06d", y, m, d, mix(b.key^b.n)%1e6)
}

// sell records a sale of the lot.
func (b *sb) sell(l *lot, seller, buyer, payer *party, at int64) {
	o := &events.OwnershipTransferred{Units: l.units(), Seller: seller.id, Buyer: buyer.id,
		Price:    events.Money{Amount: strconv.Itoa(len(l.chips)*l.m.price+len(l.sys)*40000) + ".00", Currency: "USD"},
		Contract: "SA-" + strconv.FormatUint(mix(b.key^b.n^0x5a)%1e8, 10)}
	if payer != nil {
		o.Payer = payer.id
	}
	b.ev(at, seller, o)
}

// mv tunes a move.
type mv struct {
	exporter  *party
	endUser   string // declared end user (party id, may be unregistered)
	consignee *party
	payer     *party
	carrier   *party
	via       []string
	goods     string
	eccn      string
	licence   string
	exception string // "" -> NLR on exports without licence; "-" none
	permit    string
	noExport  bool // cross-border without a declaration
	noReceive bool // nobody records the arrival
	unpack    bool
	days      int   // transit days (0: 1-3 domestic, 2-5 abroad)
	lag       int64 // recording lag of the export, shipment and receipt (-1 usual)
	toCountry string
	units     []events.UnitID
	noPayer   bool
}

// move ships the lot from its holder to (to, toSite) at t, with an export
// declaration when it crosses a border, and records the receipt. It
// returns the arrival time.
func (b *sb) move(l *lot, to *party, toSite *site, t int64, o mv) int64 {
	from, fromSite := l.holder, l.at
	fc := l.country
	tc := o.toCountry
	if tc == "" {
		tc = toSite.country.code
	}
	units := o.units
	if units == nil {
		units = l.units()
	}
	if o.goods == "" {
		n := len(l.sys)
		o.goods = strconv.Itoa(n) + " GPU servers, 8x " + l.m.label + " each"
		if l.oem != nil {
			o.goods += " (" + l.oem.label + ")"
		}
		if n == 1 {
			o.goods = "GPU server, 8x " + l.m.label
		}
	}
	if o.eccn == "" {
		o.eccn = "4A090.a"
	}
	endUser := o.endUser
	if endUser == "" {
		endUser = to.id
	}
	cons := to
	if o.consignee != nil {
		cons = o.consignee
	}
	exc := o.exception
	export := fc != tc
	if export && exc == "" && o.licence == "" {
		exc = "NLR"
	}
	if exc == "-" {
		exc = ""
	}
	lag := int64(-1)
	if o.lag > 0 {
		lag = o.lag
	}
	exporter := from
	if o.exporter != nil {
		exporter = o.exporter
	}
	if export && b.s.w.countries[tc].tier == 2 && l.m != nil {
		y := time.Unix(t-3*hour, 0).UTC().Year()
		b.st.capExtra[capKey{cons.id, y}] += float64(len(l.chips)) * l.m.h100eq
		b.st.capExtraTPP[capKey{tc, y}] += float64(len(l.chips)) * l.m.tpp
	}
	if export && !o.noExport {
		ed := &events.ExportDeclared{Units: slices.Clone(units), Exporter: exporter.id, OriginCountry: fc, DestinationCountry: tc,
			ECCN: o.eccn, Licence: o.licence, LicenceException: exc, GoodsDescription: o.goods, EndUser: endUser, DeclarationID: b.itn(t)}
		b.evLag(t-3*hour, exporter, ed, lag)
	}
	sid := b.shipID()
	carrier := o.carrier
	if carrier == nil {
		carrier = b.s.w.carrierFor(fc, tc, b.key^b.n)
	}
	payer := cons.id
	if o.payer != nil {
		payer = o.payer.id
	}
	if o.noPayer {
		payer = ""
	}
	shp := &events.Shipped{Units: slices.Clone(units), From: events.Place{Party: from.id, Country: fc}, To: events.Place{Party: to.id, Country: tc},
		Via: o.via, Carrier: carrier.id, DeclaredEndUser: endUser, FinalConsignee: cons.id, GoodsDescription: o.goods, DeclaredECCN: o.eccn,
		Licence: o.licence, MalaysiaPermit: o.permit, ShipmentID: sid,
		Transaction: events.Transaction{PO: "PO-" + strconv.FormatUint(mix(b.key^b.n^0x70)%1e8, 10), Payer: payer}}
	if export {
		shp.LicenceException = exc
	}
	if fromSite != nil {
		shp.From.Site = fromSite.id
	}
	if toSite != nil {
		shp.To.Site = toSite.id
	}
	b.evLag(t, from, shp, lag)
	days := o.days
	if days == 0 {
		days = 1 + b.r.intn(3)
		if export {
			days = 2 + b.r.intn(4)
		}
	}
	arr := t + int64(days)*day + int64(b.r.intn(int(8*hour)))
	if !o.noReceive {
		rc := &events.Received{Units: slices.Clone(units), At: events.Place{Party: to.id, Country: tc}, ShipmentID: sid}
		if toSite != nil {
			rc.At.Site = toSite.id
		}
		b.evLag(arr, to, rc, lag)
		if o.unpack && l.packed {
			b.unpack(l, arr+3*hour, to, toSite)
		}
	}
	l.holder, l.at, l.country, l.ready = to, toSite, tc, arr+day
	return arr
}

func (b *sb) unpack(l *lot, t int64, by *party, at *site) {
	for i, p := range l.pallets {
		b.ev(t+int64(i)*120, by, &events.Unpacked{Parent: p, Children: slices.Clone(l.palSys[i]), Site: at.id})
	}
	l.packed = false
}

// install installs every server of the lot at site (tenant optional) and
// schedules weekly attestations from the next day until until (0: the
// end). It returns the install time.
func (b *sb) install(l *lot, st *site, tenant *party, t int64, until int64) int64 {
	if l.packed {
		b.unpack(l, t-6*hour, st.owner, st)
	}
	for i, u := range l.sys {
		in := &events.Installed{Units: []events.UnitID{u}, Site: st.id, Country: st.country.code, Rack: fmt.Sprintf("R%d-%d", 1+b.r.intn(30), 1+i%48)}
		if tenant != nil {
			in.Tenant = tenant.id
		}
		b.lastInstall = b.evE(t+int64(i)*900, st.owner, in, -1)
		b.attest(u, st, t+int64(i)*900+day, until, nil, "")
	}
	l.holder, l.at, l.country = st.owner, st, st.country.code
	return t
}

// attest schedules weekly attestations of unit u at site st.
func (b *sb) attest(u events.UnitID, st *site, from, until int64, attestor *party, method string) {
	if attestor == nil {
		attestor, method = st.owner, "inspection"
	}
	if until == 0 {
		until = b.s.end
	}
	b.n++
	b.st.scheds = append(b.st.scheds, sched{key: hash(b.key, b.n, 0xa7), units: []events.UnitID{u}, country: st.country.code,
		lat: st.lat, lon: st.lon, method: method, attestor: attestor, first: from, until: until, period: 7 * day})
}

// attestAt schedules weekly attestations of units at a place that is not a
// registered site (a diversion seen by telemetry).
func (b *sb) attestAt(units []events.UnitID, c *country, from, until int64, attestor *party, method string) {
	if until == 0 {
		until = b.s.end
	}
	b.n++
	b.st.scheds = append(b.st.scheds, sched{key: hash(b.key, b.n, 0xa8), units: units, country: c.code,
		lat: c.lat, lon: c.lon, method: method, attestor: attestor, first: from, until: until, period: 7 * day})
}

// ---- story parties -----------------------------------------------------

// party registers a story party (reference data at the start).
func (b *sb) party(id, name, c string, types []string, inc, bl, addr string, directors ...string) *party {
	w := b.s.w
	if w.byID[id] != nil {
		panic("simulate: duplicate party " + id)
	}
	p := w.addParty(&b.r, id, name, c, types, inc, bl, false)
	p.info.Address = addr
	p.info.Directors = directors
	return p
}

// site registers a story site; capacity 0 leaves it undeclared.
func (b *sb) site(id string, p *party, kind string, capacity int64) *site {
	c := b.s.w.countries[p.info.Country]
	s := b.s.w.addSite(id, p, c.code, p.info.Name+" "+kind, kind, c.lat+(b.r.float()-0.5)*0.3, c.lon+(b.r.float()-0.5)*0.3)
	if capacity > 0 {
		cp := capacity
		kw := float64(capacity) * 1.4
		s.reg.DeclaredCapacityUnits, s.reg.DeclaredPowerKW = &cp, &kw
	}
	s.dc = kind == events.SiteDatacenter
	return s
}

// licence grants a licence at t (a story event) and returns its number.
func (b *sb) licence(holder, endUser *party, dest string, qty int64, from, until int64, t int64, models ...string) string {
	num := "D" + strconv.FormatUint(mix(b.key^uint64(qty)^b.n^0x11c)%9000000+1000000, 10)
	b.ev(t, b.s.w.operator, &events.LicenceGranted{Licence: num, Holder: holder.id, DestinationCountry: dest, EndUser: endUser.id,
		ECCN: "4A090.a", Quantity: qty, ValidFrom: dateOf(from), ValidUntil: dateOf(until), Models: models})
	return num
}

func dateOf(t int64) events.Date { return events.Date(time.Unix(t, 0).UTC().Format(time.DateOnly)) }

// at returns a time from a date and the story's jitter of up to jit days.
func (b *sb) at(y, m, d int, jit int) int64 {
	t := time.Date(y, time.Month(m), d, 8, 0, 0, 0, time.UTC).Unix()
	if jit > 0 {
		t += int64(b.r.intn(jit*86400 + 1))
	}
	return t
}

func (b *sb) oem(id string) *oem {
	for _, o := range b.s.w.oems {
		if o.p.id == id {
			return o
		}
	}
	panic("simulate: no oem " + id)
}

func (b *sb) model(name string) *model { return b.s.w.modelBy[name] }

func (b *sb) p(id string) *party { return b.s.w.byID[id] }

func (b *sb) c(code string) *country { return b.s.w.countries[code] }

// pick returns one of the strings.
func (b *sb) pick(xs ...string) string { return xs[b.r.intn(len(xs))] }

func rules(rs ...string) []string { return rs }
