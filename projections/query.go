package projections

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/policy"
)

// read returns the entry event ei comes from and the event as it stands
// (for an amendment, the correction's entry and its amended event).
func (p *Projection) read(src Source, ei uint32) (Entry, events.Event, error) {
	r := &p.evs[ei]
	seq := r.seq
	amended := r.flags&fAmended != 0
	if amended {
		seq = p.amendSrc[ei]
	}
	e, err := src.Entry(seq)
	if err != nil {
		return Entry{}, events.Event{}, fmt.Errorf("projections: entry %d: %w", seq, err)
	}
	ev := e.Event
	if amended {
		c, ok := ev.Body.(*events.Corrected)
		if !ok || c == nil || c.Amended == nil {
			return Entry{}, events.Event{}, fmt.Errorf("projections: entry %d is not the correction the projection applied", seq)
		}
		ev = *c.Amended
	}
	if ev.Type != typeNames[r.typ] {
		return Entry{}, events.Event{}, fmt.Errorf("projections: entry %d holds %q, the projection applied %q: source and projection disagree", seq, ev.Type, typeNames[r.typ])
	}
	return e, ev, nil
}

// find returns the index of unit u if it has a live event: a unit named
// only by events since retracted or replaced is unknown, as if it had never
// been named (so the answer does not depend on the order corrections came
// in).
func (p *Projection) find(u events.UnitID) (uint32, bool) {
	ui, ok := p.unitIdx[u]
	if !ok || !p.alive(ui) {
		return 0, false
	}
	return ui, true
}

func (p *Projection) alive(ui uint32) bool {
	for _, ei := range p.units[ui].refs {
		if p.evs[ei].flags&fDead == 0 {
			return true
		}
	}
	return false
}

// citeSeq returns the sequence of the entry event ei's content comes from.
func (p *Projection) citeSeq(ei uint32) uint64 {
	if p.evs[ei].flags&fAmended != 0 {
		return p.amendSrc[ei]
	}
	return p.evs[ei].seq
}

// Chain returns unit u's custody chain: every live event that names it
// and, while it was inside a container (recursively), the container's
// custody events, ordered by occurred_at then sequence, each with the
// entry that proves it and the unit's state after it. Events are read
// back from src.
func (p *Projection) Chain(src Source, u events.UnitID) ([]Step, error) {
	var steps []Step
	err := p.walk(src, u, func(s Step, _ events.Event, _ bool) { steps = append(steps, s) })
	return steps, err
}

// Record is one step of a custody chain with the event it comes from, as
// it stands (an amended event's replacement), for the detection rules.
type Record struct {
	Step
	Event  events.Event
	Direct bool // the event names the unit itself, not a container it was in
}

// History returns unit u's custody chain like Chain, with each step's
// event.
func (p *Projection) History(src Source, u events.UnitID) ([]Record, error) {
	var out []Record
	err := p.walk(src, u, func(s Step, ev events.Event, direct bool) {
		out = append(out, Record{Step: s, Event: ev, Direct: direct})
	})
	return out, err
}

func (p *Projection) walk(src Source, u events.UnitID, fn func(Step, events.Event, bool)) error {
	ui, ok := p.find(u)
	if !ok {
		return fmt.Errorf("%w: unit %s", ErrNotFound, u)
	}
	items := p.expand(ui, nil)
	var st ustate
	chip := p.units[ui].kind == kChip
	for _, it := range items {
		r := &p.evs[it.ev]
		p.effect(&st, ui, r, it.depth == 0, chip)
		e, ev, err := p.read(src, it.ev)
		if err != nil {
			return err
		}
		s := Step{
			Seq: e.Seq, Hash: e.Hash, EventID: ev.ID, Type: ev.Type, OccurredAt: ev.OccurredAt, RecordedAt: ev.RecordedAt,
			Holder: p.str(st.holder), Owner: p.str(st.owner), Site: p.str(st.site), Country: p.str(st.country),
			Status: statusNames[st.status], Summary: summarize(ev),
		}
		if it.via != 0 {
			s.Via = p.units[it.via-1].id
		}
		if r.flags&fAmended != 0 {
			s.Amended, s.Original = true, r.seq
		}
		fn(s, ev, it.depth == 0)
	}
	return nil
}

// Unit returns unit u's current state. Declared figures are read back
// from its commissioning entry in src.
func (p *Projection) Unit(src Source, u events.UnitID) (UnitState, error) {
	ui, ok := p.find(u)
	if !ok {
		return UnitState{}, fmt.Errorf("%w: unit %s", ErrNotFound, u)
	}
	ur := &p.units[ui]
	s := UnitState{
		Unit: ur.id, Kind: ur.id.Kind(), Model: p.str(ur.model),
		Holder: p.str(ur.holder), Owner: p.str(ur.owner), Site: p.str(ur.site), Country: p.str(ur.country),
		Status: statusNames[ur.status], ExportDestination: p.str(ur.dest), Contents: p.contents(ui),
	}
	if ur.container != 0 {
		s.Container = p.units[ur.container-1].id
	}
	if ur.lastEv != 0 {
		s.LastSeq = p.citeSeq(ur.lastEv - 1)
		s.LastOccurred = time.Unix(0, p.evs[ur.lastEv-1].occ).UTC()
	}
	if ch, ok := p.chipOf(ur.model); ok {
		s.CatalogueModel, s.ECCN = ch.Model, ch.ECCN
	}
	var a, b bool
	s.TPP, a, b = p.tpp(ui, map[uint32]bool{})
	if ur.kind == kSys && s.ECCN == "" {
		switch { // a server inherits its chips' control status
		case a:
			s.ECCN = "4A090.a"
		case b:
			s.ECCN = "4A090.b"
		}
	}
	s.H100Equivalents = s.TPP / policy.H100TPP
	for _, ei := range ur.refs { // the first live commissioning declares
		r := &p.evs[ei]
		if r.flags&fDead != 0 || r.typ != tCommissioned {
			continue
		}
		_, ev, err := p.read(src, ei)
		if err != nil {
			return UnitState{}, err
		}
		if c, ok := ev.Body.(*events.Commissioned); ok && c != nil {
			if c.DeclaredTPP != nil {
				v := *c.DeclaredTPP
				s.DeclaredTPP = &v
			}
			s.DeclaredECCN = c.DeclaredECCN
		}
		break
	}
	return s, nil
}

// tpp returns the TPP of unit u: a chip's from the catalogue, any other
// unit's the sum over what it contains now; and whether it holds a chip
// classified 3A090.a or 3A090.b.
func (p *Projection) tpp(u uint32, seen map[uint32]bool) (tpp float64, a, b bool) {
	ur := &p.units[u]
	if ur.kind == kChip {
		ch, ok := p.chipOf(ur.model)
		if !ok {
			return 0, false, false
		}
		return ch.TPP, ch.ECCN == policy.ECCN3A090a, ch.ECCN == policy.ECCN3A090b
	}
	seen[u] = true
	for _, c := range p.sortedKids(u) {
		if seen[c] {
			continue
		}
		t, ca, cb := p.tpp(c, seen)
		tpp, a, b = tpp+t, a || ca, b || cb
	}
	return tpp, a, b
}

// sortedKids returns the current direct children of u, sorted by id.
func (p *Projection) sortedKids(u uint32) []uint32 {
	ks := slices.Clone(p.kids[u])
	slices.SortFunc(ks, func(a, b uint32) int { return cmp.Compare(p.units[a].id, p.units[b].id) })
	return ks
}

func (p *Projection) contents(u uint32) []events.UnitID {
	ks := p.sortedKids(u)
	if len(ks) == 0 {
		return nil
	}
	out := make([]events.UnitID, len(ks))
	for i, k := range ks {
		out[i] = p.units[k].id
	}
	return out
}

// Tree returns unit u's containment tree now: u, what it contains
// (recursively) and the chain of its containers upward.
func (p *Projection) Tree(_ Source, u events.UnitID) (Node, error) {
	ui, ok := p.find(u)
	if !ok {
		return Node{}, fmt.Errorf("%w: unit %s", ErrNotFound, u)
	}
	root := p.node(ui, map[uint32]bool{}, true)
	seen := map[uint32]bool{ui: true}
	for c := p.units[ui].container; c != 0 && !seen[c-1]; c = p.units[c-1].container {
		seen[c-1] = true
		up := p.node(c-1, nil, false)
		root.Containers = append(root.Containers, up)
	}
	return root, nil
}

func (p *Projection) node(u uint32, seen map[uint32]bool, deep bool) Node {
	ur := &p.units[u]
	n := Node{
		Unit: ur.id, Kind: ur.id.Kind(), Model: p.str(ur.model), Status: statusNames[ur.status],
		Holder: p.str(ur.holder), Site: p.str(ur.site), Country: p.str(ur.country),
	}
	if ur.kind == kChip {
		if ch, ok := p.chipOf(ur.model); ok {
			n.TPP = ch.TPP
		}
	}
	if !deep {
		n.TPP, _, _ = p.tpp(u, map[uint32]bool{})
		return n
	}
	seen[u] = true
	for _, c := range p.sortedKids(u) {
		if seen[c] {
			continue // a containment cycle: an anomaly, shown once
		}
		cn := p.node(c, seen, true)
		n.TPP += cn.TPP
		n.Contents = append(n.Contents, cn)
	}
	return n
}

// Holdings returns what a party holds, a site keeps or a country has now
// (by is ByParty, BySite or ByCountry). Chips count once, by their own
// state, whether or not they sit in a server on a pallet; a server's or
// pallet's TPP is its chips'. Destroyed and lost units count nowhere. An
// id that holds nothing has zero holdings (whether it exists is for Party
// and Site to say): the answer depends only on the entries applied, not
// on their order.
func (p *Projection) Holdings(_ Source, by, id string) (Holdings, error) {
	tag, err := byTag(by)
	if err != nil {
		return Holdings{}, err
	}
	c := &counts{}
	if sid, ok := p.strIdx[id]; ok && id != "" {
		if cc := p.holding(tag, sid); cc != nil {
			c = cc
		}
	}
	h := Holdings{By: by, ID: id, Units: c.units, Chips: c.chips, Received: c.received, Installed: c.installed}
	type row struct {
		name      string
		n         int
		tpp, h100 float64
	}
	rows := make([]row, 0, len(c.models))
	for _, mc := range c.models {
		m := mc.model
		r := row{name: p.str(m), n: mc.n}
		if ch, ok := p.chipOf(m); ok {
			r.name, r.tpp, r.h100 = ch.Model, ch.TPP, ch.H100Equivalents
		}
		if r.name == "" {
			r.name = "unknown"
		}
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Compare(a.name, b.name) }) // a fixed order: the same sums every time
	if len(rows) > 0 {
		h.ByModel = make(map[string]int, len(rows))
	}
	for _, r := range rows {
		h.ByModel[r.name] += r.n
		h.TPP += float64(r.n) * r.tpp
		h.H100Equivalents += float64(r.n) * r.h100
	}
	return h, nil
}

func byTag(by string) (uint32, error) {
	switch by {
	case ByParty:
		return tagParty, nil
	case BySite:
		return tagSite, nil
	case ByCountry:
		return tagCountry, nil
	}
	return 0, fmt.Errorf("projections: holdings by %q: want party, site or country", by)
}

// HeldUnits lists the units counted in Holdings(by, id), sorted. It scans
// every unit: for reports, not for every request.
func (p *Projection) HeldUnits(by, id string) ([]events.UnitID, error) {
	tag, err := byTag(by)
	if err != nil {
		return nil, err
	}
	sid, ok := p.strIdx[id]
	if !ok || id == "" {
		return nil, nil
	}
	var out []events.UnitID
	for i := range p.units {
		ur := &p.units[i]
		if ur.status == sDestroyed || ur.status == sLost {
			continue
		}
		if (tag == tagParty && ur.holder == sid) || (tag == tagSite && ur.site == sid) || (tag == tagCountry && ur.country == sid) {
			out = append(out, ur.id)
		}
	}
	slices.Sort(out)
	return out, nil
}
