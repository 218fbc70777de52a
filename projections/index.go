package projections

import (
	"crypto/sha256"
	"strings"

	"github.com/chipledger/chipledger/events"
)

// Unit event types, as stored in evRec.typ.
const (
	tNone uint8 = iota
	tCommissioned
	tAssembled
	tDisassembled
	tPacked
	tUnpacked
	tShipped
	tReceived
	tOwnership
	tExport
	tInstalled
	tAttested
	tReturned
	tDestroyed
	tLost
	tLabTest
)

var typeNames = [...]string{
	tCommissioned: events.TypeCommissioned,
	tAssembled:    events.TypeAssembled,
	tDisassembled: events.TypeDisassembled,
	tPacked:       events.TypePacked,
	tUnpacked:     events.TypeUnpacked,
	tShipped:      events.TypeShipped,
	tReceived:     events.TypeReceived,
	tOwnership:    events.TypeOwnershipTransferred,
	tExport:       events.TypeExportDeclared,
	tInstalled:    events.TypeInstalled,
	tAttested:     events.TypeLocationAttested,
	tReturned:     events.TypeReturned,
	tDestroyed:    events.TypeDestroyed,
	tLost:         events.TypeReportedLost,
	tLabTest:      events.TypeLabTestRecorded,
}

func containmentStart(t uint8) bool { return t == tAssembled || t == tPacked }
func containmentEnd(t uint8) bool   { return t == tDisassembled || t == tUnpacked }
func containment(t uint8) bool      { return containmentStart(t) || containmentEnd(t) }

// Unit statuses, as stored in ustate.status.
const (
	sNone uint8 = iota
	sCommissioned
	sAssembled
	sPacked
	sDisassembled
	sUnpacked
	sInTransit
	sReceived
	sInstalled
	sReturned
	sDestroyed
	sLost
)

var statusNames = [...]string{
	sNone:         "",
	sCommissioned: "commissioned",
	sAssembled:    "assembled",
	sPacked:       "packed",
	sDisassembled: "disassembled",
	sUnpacked:     "unpacked",
	sInTransit:    "in_transit",
	sReceived:     "received",
	sInstalled:    "installed",
	sReturned:     "returned",
	sDestroyed:    "destroyed",
	sLost:         "lost",
}

// Unit kinds, as stored in unitRec.kind.
const (
	kOther uint8 = iota
	kChip
	kSys
	kPkg
)

func kindOf(u events.UnitID) uint8 {
	switch u.Kind() {
	case events.KindChip:
		return kChip
	case events.KindSys:
		return kSys
	case events.KindPkg:
		return kPkg
	}
	return kOther
}

// evRec is the compact index of one unit event: its order key, type,
// subjects and the operands its effect on state needs (interned strings,
// meaning by type: see eventRec). The event itself stays in the ledger.
type evRec struct {
	occ   int64  // occurred_at, Unix nanoseconds
	seq   uint64 // ledger sequence (of the replaced event, for an amendment)
	sub   uint32 // offset of the subjects in Projection.subjects
	nsub  uint16 // number of subjects
	typ   uint8
	flags uint8
	a     uint32 // party: holder, owner or manufacturer
	b     uint32 // site
	c     uint32 // country
	d     uint32 // model (commissioned)
}

const (
	fDead    uint8 = 1 << iota // retracted, or replaced by an amendment
	fAmended                   // the content comes from a correction's amended event
)

// key orders events: occurred_at, then sequence.
type key struct {
	occ int64
	seq uint64
}

func (k key) less(o key) bool { return k.occ < o.occ || (k.occ == o.occ && k.seq < o.seq) }

var (
	minKey = key{occ: -1 << 63}
	maxKey = key{occ: 1<<63 - 1, seq: 1<<64 - 1}
)

func (r *evRec) key() key { return key{r.occ, r.seq} }

// ustate is a unit's state: what a fold over its chain computes.
type ustate struct {
	holder, owner, site, country, dest, model uint32 // interned strings
	container                                 uint32 // unit index + 1; 0: none
	status                                    uint8
	recv                                      []uint32 // chips: places received at (tagged interned strings)
}

// unitRec is one unit: its direct events and its current state.
type unitRec struct {
	id   events.UnitID
	refs []uint32 // evs indexes of the events naming the unit, sorted by key
	ustate
	lastEv  uint32 // evs index + 1 of the chain's last step; 0: none
	stamp   uint32 // marks the unit's state as handled in the current integrate
	pstamp  uint32 // marks the unit's contents as handled in the current integrate
	kind    uint8
	hasKids bool // something is inside it now (Projection.kids)
}

// last returns the key of the unit's last chain step.
func (p *Projection) last(u uint32) key {
	if l := p.units[u].lastEv; l != 0 {
		return p.evs[l-1].key()
	}
	return minKey
}

// Received-place tags: the top two bits of a recv entry.
const (
	tagParty   uint32 = 1 << 30
	tagSite    uint32 = 2 << 30
	tagCountry uint32 = 3 << 30
	tagMask    uint32 = 3 << 30
)

// refTag marks an ids value (or corr key) as a refs index.
const refTag uint32 = 1 << 31

// intern returns the index of s in the string table, adding a copy of it
// (never a substring of an event's source bytes) if new.
func (p *Projection) intern(s string) uint32 {
	if s == "" {
		return 0
	}
	if i, ok := p.strIdx[s]; ok {
		return i
	}
	s = strings.Clone(s)
	i := uint32(len(p.strs))
	p.strs = append(p.strs, s)
	p.strIdx[s] = i
	return i
}

func (p *Projection) str(i uint32) string { return p.strs[i&^tagMask] }

// unit returns the index of unit u, adding it if new.
func (p *Projection) unit(u events.UnitID) uint32 {
	if i, ok := p.unitIdx[u]; ok {
		return i
	}
	u = events.UnitID(strings.Clone(string(u)))
	i := uint32(len(p.units))
	p.units = append(p.units, unitRec{id: u, kind: kindOf(u)})
	p.unitIdx[u] = i
	return i
}

// idKey identifies an event id in 16 bytes: a canonical lowercase UUID is
// its own 16 bytes; any other id (an EPCIS hash id) the first 16 bytes of
// its SHA-256, where a collision is as likely as guessing a 128-bit key.
type idKey [16]byte

func keyOf(id string) (k idKey) {
	if len(id) == 36 && id[8] == '-' && id[13] == '-' && id[18] == '-' && id[23] == '-' {
		j, ok := 0, true
		for i := 0; i < 36 && ok; i += 2 {
			if i == 8 || i == 13 || i == 18 || i == 23 {
				i--
				continue
			}
			hi, ok1 := hexVal(id[i])
			lo, ok2 := hexVal(id[i+1])
			ok = ok1 && ok2
			k[j] = hi<<4 | lo
			j++
		}
		if ok && j == 16 {
			return k
		}
		k = idKey{}
	}
	sum := sha256.Sum256([]byte(id))
	copy(k[:], sum[:16])
	return k
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// addUnitEvent indexes a unit event: an evRec with its operands and
// subjects, and a ref in every subject's list. seq orders it (for an
// amendment, the replaced event's sequence). It returns false for a body
// that is not a unit event or names no unit.
func (p *Projection) addUnitEvent(ev events.Event, seq uint64) (uint32, bool) {
	r := evRec{occ: ev.OccurredAt.UnixNano(), seq: seq}
	var parent events.UnitID
	var units []events.UnitID
	var one [1]events.UnitID
	switch b := ev.Body.(type) {
	case *events.Commissioned:
		if b == nil {
			return 0, false
		}
		r.typ, r.a, r.b, r.c, r.d = tCommissioned, p.intern(b.Manufacturer), p.intern(b.Site), p.intern(b.Country), p.intern(b.Model)
		one[0], units = b.Unit, one[:]
		if r.d != 0 {
			p.catalogue(r.d)
		}
	case *events.Assembled:
		if b == nil {
			return 0, false
		}
		r.typ, r.b, parent, units = tAssembled, p.intern(b.Site), b.Parent, b.Children
	case *events.Disassembled:
		if b == nil {
			return 0, false
		}
		r.typ, r.b, parent, units = tDisassembled, p.intern(b.Site), b.Parent, b.Children
	case *events.Packed:
		if b == nil {
			return 0, false
		}
		r.typ, r.b, parent, units = tPacked, p.intern(b.Site), b.Parent, b.Children
	case *events.Unpacked:
		if b == nil {
			return 0, false
		}
		r.typ, r.b, parent, units = tUnpacked, p.intern(b.Site), b.Parent, b.Children
	case *events.Shipped:
		if b == nil {
			return 0, false
		}
		holder := b.Carrier
		if holder == "" {
			holder = b.From.Party
		}
		r.typ, r.a, r.c, units = tShipped, p.intern(holder), p.intern(b.From.Country), b.Units
	case *events.Received:
		if b == nil {
			return 0, false
		}
		r.typ, r.a, r.b, r.c, units = tReceived, p.intern(b.At.Party), p.intern(b.At.Site), p.intern(b.At.Country), b.Units
	case *events.OwnershipTransferred:
		if b == nil {
			return 0, false
		}
		r.typ, r.a, units = tOwnership, p.intern(b.Buyer), b.Units
	case *events.ExportDeclared:
		if b == nil {
			return 0, false
		}
		r.typ, r.c, units = tExport, p.intern(b.DestinationCountry), b.Units
	case *events.Installed:
		if b == nil {
			return 0, false
		}
		r.typ, r.b, r.c, units = tInstalled, p.intern(b.Site), p.intern(b.Country), b.Units
	case *events.LocationAttested:
		if b == nil {
			return 0, false
		}
		r.typ, r.c, units = tAttested, p.intern(b.Country), b.Units
	case *events.Returned:
		if b == nil {
			return 0, false
		}
		r.typ, r.a, units = tReturned, p.intern(b.To), b.Units
	case *events.Destroyed:
		if b == nil {
			return 0, false
		}
		r.typ, units = tDestroyed, b.Units
	case *events.ReportedLost:
		if b == nil {
			return 0, false
		}
		r.typ, units = tLost, b.Units
	case *events.LabTestRecorded:
		if b == nil {
			return 0, false
		}
		r.typ = tLabTest
		one[0], units = b.Unit, one[:]
	default:
		return 0, false
	}
	if containment(r.typ) && parent == "" {
		return 0, false // containment without a parent: nothing to follow
	}
	p.nextGen()
	r.sub = uint32(len(p.subjects))
	add := func(u events.UnitID) {
		if u == "" || r.nsub == 1<<16-1 {
			return
		}
		i := p.unit(u)
		if p.units[i].stamp == p.gen {
			return // listed twice
		}
		p.units[i].stamp = p.gen
		p.subjects = append(p.subjects, i)
		r.nsub++
	}
	if parent != "" {
		add(parent)
	}
	for _, u := range units {
		add(u)
	}
	if r.nsub == 0 || (containment(r.typ) && r.nsub < 2) {
		p.subjects = p.subjects[:r.sub]
		return 0, false
	}
	ei := uint32(len(p.evs))
	p.evs = append(p.evs, r)
	for _, u := range p.subjects[r.sub : r.sub+uint32(r.nsub)] {
		p.insertRef(u, ei)
	}
	return ei, true
}

// subjectsOf returns an event's subjects (for containment, parent first).
func (p *Projection) subjectsOf(r *evRec) []uint32 {
	return p.subjects[r.sub : r.sub+uint32(r.nsub)]
}

// insertRef adds event ei to unit u's refs in key order.
func (p *Projection) insertRef(u, ei uint32) {
	ur := &p.units[u]
	k := p.evs[ei].key()
	n := len(ur.refs)
	if n == 0 || p.evs[ur.refs[n-1]].key().less(k) {
		ur.refs = append(ur.refs, ei)
		return
	}
	i := p.searchRefs(ur.refs, k)
	ur.refs = append(ur.refs, 0)
	copy(ur.refs[i+1:], ur.refs[i:])
	ur.refs[i] = ei
}

// searchRefs returns the index of the first ref whose key is not less
// than k.
func (p *Projection) searchRefs(refs []uint32, k key) int {
	lo, hi := 0, len(refs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if p.evs[refs[m]].key().less(k) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// afterRefs returns the index of the first ref whose key is greater than k.
func (p *Projection) afterRefs(refs []uint32, k key) int {
	lo, hi := 0, len(refs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if !k.less(p.evs[refs[m]].key()) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}
