package projections

import (
	"slices"

	"github.com/chipledger/chipledger/policy"
)

// maxDepth bounds how deep containment is followed (a chip in a server on
// a pallet in a container is depth 3).
const maxDepth = 16

// propagates reports whether event r, which names unit u, applies to the
// units inside u: custody events do, and containment events where u is
// the child (u packed onto a pallet carries its chips with it); u's own
// commissioning and lab tests, and containment events where u is the
// parent (other units going in or out of it), do not.
func (p *Projection) propagates(r *evRec, u uint32) bool {
	switch r.typ {
	case tShipped, tReceived, tOwnership, tExport, tInstalled, tAttested, tReturned, tDestroyed, tLost:
		return true
	case tAssembled, tDisassembled, tPacked, tUnpacked:
		return p.subjects[r.sub] != u
	}
	return false
}

// effect applies event r to state st of unit u. direct is true when r
// names u itself, false when it comes through a container (and is then a
// custody event or a containment event of that container as the child).
func (p *Projection) effect(st *ustate, u uint32, r *evRec, direct, chip bool) {
	switch r.typ {
	case tCommissioned:
		st.holder, st.owner, st.site = r.a, r.a, r.b
		if r.c != 0 {
			st.country = r.c
		}
		st.status = sCommissioned
		if st.model == 0 {
			st.model = r.d // the first commissioning names the model
		}
	case tAssembled, tPacked:
		status := sAssembled
		if r.typ == tPacked {
			status = sPacked
		}
		parent := p.subjects[r.sub]
		if direct && parent == u { // units went into u
			if r.b != 0 {
				st.site = r.b
			}
			if st.status == sNone {
				st.status = status
			}
			return
		}
		if r.b != 0 {
			st.site = r.b
		}
		st.status = status
		if direct {
			st.container = parent + 1 // a unit has one direct container: a new one ends the last
		}
	case tDisassembled, tUnpacked:
		status := sDisassembled
		if r.typ == tUnpacked {
			status = sUnpacked
		}
		parent := p.subjects[r.sub]
		if direct && parent == u {
			if r.b != 0 {
				st.site = r.b
			}
			return
		}
		if direct {
			if st.container != parent+1 {
				return // taken out of a container it is not in: an anomaly for the rules, no effect
			}
			st.container = 0
		}
		if r.b != 0 {
			st.site = r.b
		}
		st.status = status
	case tShipped:
		st.holder, st.site, st.country, st.status = r.a, 0, r.c, sInTransit
	case tReceived:
		st.holder, st.site, st.country, st.status = r.a, r.b, r.c, sReceived
		if chip {
			st.addRecv(tagParty, r.a)
			st.addRecv(tagSite, r.b)
			st.addRecv(tagCountry, r.c)
		}
	case tOwnership:
		st.owner = r.a
	case tExport:
		st.dest = r.c
	case tInstalled:
		st.site, st.country, st.status = r.b, r.c, sInstalled
	case tAttested:
		st.country = r.c
	case tReturned:
		st.holder, st.site, st.status = r.a, 0, sReturned
	case tDestroyed:
		st.status = sDestroyed
	case tLost:
		st.status = sLost
	}
}

func (st *ustate) addRecv(tag, s uint32) {
	if s == 0 {
		return
	}
	k := tag | s
	if !slices.Contains(st.recv, k) {
		st.recv = append(st.recv, k)
	}
}

// integrate brings the state of every unit event ei concerns up to date.
// The common case is an event later than everything its units have seen:
// its effect is folded into their state, and into the state of every unit
// inside them, one step each. A late event (or one that lands before a
// unit's last step) makes the units it concerns, and every unit ever
// inside them, recompute their state from their chains.
func (p *Projection) integrate(ei uint32) {
	r := &p.evs[ei]
	k := r.key()
	p.nextGen()
	var redo []uint32
	subs := p.subjectsOf(r)
	down := make([]bool, 0, 8) // carry the event down to what the subject holds
	for _, u := range subs {
		p.units[u].stamp = p.gen
		if !p.last(u).less(k) {
			redo = append(redo, u)
			down = append(down, false)
			continue
		}
		// An end that does not end u's containment is an anomaly without
		// effect, on u or on what it holds.
		ends := !containmentEnd(r.typ) || p.subjects[r.sub] == u || p.units[u].container == p.subjects[r.sub]+1
		p.step(u, ei, true)
		down = append(down, ends && p.propagates(r, u))
	}
	for i, u := range subs {
		if down[i] {
			redo = p.propagate(u, ei, k, redo)
		}
	}
	if len(redo) > 0 {
		p.recomputeAll(redo)
	}
}

// nextGen starts a new stamp generation (see unitRec.stamp).
func (p *Projection) nextGen() {
	p.gen++
	if p.gen == 0 { // wrapped: forget every old stamp
		for i := range p.units {
			p.units[i].stamp, p.units[i].pstamp = 0, 0
		}
		p.gen = 1
	}
}

// propagate applies event ei (at key k) to the units inside u, recursively:
// one step where k is after everything they have seen, otherwise they are
// added to redo.
func (p *Projection) propagate(u, ei uint32, k key, redo []uint32) []uint32 {
	if p.units[u].pstamp == p.gen {
		return redo // its contents are done
	}
	p.units[u].pstamp = p.gen
	if end, ok := p.departed[u]; ok && k.less(end) {
		// A unit left u for another container after k without an end
		// event of u's: it is no longer among u's contents but was inside
		// at k. Recompute everything that was ever inside u.
		redo = append(redo, p.everInside(u)...)
	}
	if !p.units[u].hasKids {
		return redo
	}
	for _, c := range p.kids[u] {
		if cr := &p.units[c]; cr.stamp != p.gen { // else named by the event itself, or reached another way
			cr.stamp = p.gen
			if p.last(c).less(k) {
				p.step(c, ei, false)
			} else {
				redo = append(redo, c)
			}
		}
		// Its contents, even when it was named by the event in a role the
		// event does not carry down (the parent of a containment): they
		// may be inside u through it.
		redo = p.propagate(c, ei, k, redo)
	}
	return redo
}

// step folds event ei into unit u's current state.
func (p *Projection) step(u, ei uint32, direct bool) {
	ur := &p.units[u]
	st := ur.ustate
	st.recv = slices.Clip(st.recv) // appends must not write into the current slice
	p.noteDeparture(&st, u, &p.evs[ei], direct)
	p.effect(&st, u, &p.evs[ei], direct, ur.kind == kChip)
	p.setState(u, st)
	p.units[u].lastEv = ei + 1
	p.touched[u] = struct{}{}
}

// noteDeparture records, before event r applies to state st of unit u,
// when r takes u into a new container while it is in another without an
// end event: the other container's departed key (see propagate). A stale
// record (of an event since retracted) only costs a recompute.
func (p *Projection) noteDeparture(st *ustate, u uint32, r *evRec, direct bool) {
	if !direct || !containmentStart(r.typ) || st.container == 0 {
		return
	}
	parent := p.subjects[r.sub]
	if parent == u || st.container == parent+1 {
		return
	}
	old := st.container - 1
	if end, ok := p.departed[old]; !ok || end.less(r.key()) {
		p.departed[old] = r.key()
	}
}

// recomputeAll recomputes units and every unit ever inside them.
func (p *Projection) recomputeAll(units []uint32) {
	set := make(map[uint32]bool, len(units))
	var order []uint32
	var visit func(u uint32)
	visit = func(u uint32) {
		if set[u] {
			return
		}
		set[u] = true
		order = append(order, u)
		for _, c := range p.everInside(u) {
			visit(c)
		}
	}
	for _, u := range units {
		visit(u)
	}
	var buf []item
	for _, u := range order {
		buf = p.recompute(u, buf[:0])
	}
}

// everInside returns the units that were ever put directly into u
// (including by events since retracted).
func (p *Projection) everInside(u uint32) []uint32 {
	var out []uint32
	for _, ei := range p.units[u].refs {
		r := &p.evs[ei]
		if containmentStart(r.typ) && p.subjects[r.sub] == u {
			out = append(out, p.subjectsOf(r)[1:]...)
		}
	}
	return out
}

// recompute computes unit u's state from its chain.
func (p *Projection) recompute(u uint32, buf []item) []item {
	buf = p.expand(u, buf)
	var st ustate
	chip := p.units[u].kind == kChip
	for _, it := range buf {
		p.noteDeparture(&st, u, &p.evs[it.ev], it.depth == 0)
		p.effect(&st, u, &p.evs[it.ev], it.depth == 0, chip)
	}
	p.setState(u, st)
	p.touched[u] = struct{}{}
	if n := len(buf); n > 0 {
		p.units[u].lastEv = buf[n-1].ev + 1
	} else {
		p.units[u].lastEv = 0
	}
	return buf
}

// setState replaces unit u's state, keeping the holdings counters and the
// container's contents in step.
func (p *Projection) setState(u uint32, st ustate) {
	ur := &p.units[u]
	old := ur.ustate
	if old.container != st.container {
		if old.container != 0 {
			p.removeKid(old.container-1, u)
		}
		if st.container != 0 {
			p.addKid(st.container-1, u)
		}
	}
	counted := old.holder != st.holder || old.site != st.site || old.country != st.country ||
		old.status != st.status || old.model != st.model || !slices.Equal(old.recv, st.recv)
	if counted {
		p.count(u, -1)
	}
	ur.ustate = st
	if counted {
		p.count(u, +1)
	}
}

func (p *Projection) addKid(parent, u uint32) {
	p.kids[parent] = append(p.kids[parent], u)
	p.units[parent].hasKids = true
}

func (p *Projection) removeKid(parent, u uint32) {
	ks := p.kids[parent]
	if i := slices.Index(ks, u); i >= 0 {
		ks[i] = ks[len(ks)-1]
		ks = ks[:len(ks)-1]
	}
	if len(ks) == 0 {
		delete(p.kids, parent)
		p.units[parent].hasKids = false
	} else {
		p.kids[parent] = ks
	}
}

// item is one event in a unit's expanded chain.
type item struct {
	ev    uint32
	via   uint32 // unit index + 1 of the container the event names; 0: direct
	depth uint8
}

// interval is a containment: the unit was inside parent strictly between
// the keys of the events that started and ended it.
type interval struct {
	parent     uint32
	start, end key
}

// intervals returns the containments of unit u, in order. A unit has one
// direct container at a time: a new assembly or packing ends the open one;
// an end naming another parent than the open one is ignored.
func (p *Projection) intervals(u uint32, buf []interval) []interval {
	open := false
	for _, ei := range p.units[u].refs {
		r := &p.evs[ei]
		if r.flags&fDead != 0 || !containment(r.typ) {
			continue
		}
		parent := p.subjects[r.sub]
		if parent == u {
			continue
		}
		k := r.key()
		if containmentStart(r.typ) {
			if open {
				buf[len(buf)-1].end = k
			}
			buf = append(buf, interval{parent: parent, start: k, end: maxKey})
			open = true
		} else if open && buf[len(buf)-1].parent == parent {
			buf[len(buf)-1].end = k
			open = false
		}
	}
	return buf
}

// ends reports whether one of the intervals ends with parent at k.
func ends(ivs []interval, parent uint32, k key) bool {
	for _, iv := range ivs {
		if iv.parent == parent && iv.end == k {
			return true
		}
	}
	return false
}

// expand returns unit u's chain: its own live events and, recursively,
// the propagating events of its containers while it was inside them,
// sorted by key, each event once (the nearest way it reaches u).
func (p *Projection) expand(u uint32, buf []item) []item {
	var path [maxDepth + 1]uint32
	path[0] = u
	buf = p.expandInto(buf, u, minKey, maxKey, 0, 0, path[:1])
	if len(buf) < 2 {
		return buf
	}
	slices.SortFunc(buf, func(a, b item) int {
		ka, kb := p.evs[a.ev].key(), p.evs[b.ev].key()
		switch {
		case ka.less(kb):
			return -1
		case kb.less(ka):
			return 1
		case a.ev != b.ev:
			return int(int64(a.ev) - int64(b.ev))
		}
		return int(a.depth) - int(b.depth)
	})
	out := buf[:1]
	for _, it := range buf[1:] {
		if it.ev != out[len(out)-1].ev {
			out = append(out, it)
		}
	}
	return out
}

func (p *Projection) expandInto(buf []item, u uint32, lo, hi key, depth uint8, via uint32, path []uint32) []item {
	var ivBuf [4]interval
	ivs := p.intervals(u, ivBuf[:0])
	refs := p.units[u].refs
	i := 0
	if depth > 0 {
		i = p.afterRefs(refs, lo)
	}
	for ; i < len(refs); i++ {
		r := &p.evs[refs[i]]
		if depth > 0 && !r.key().less(hi) {
			break
		}
		if r.flags&fDead != 0 || (depth > 0 && !p.propagates(r, u)) {
			continue
		}
		if depth > 0 && containmentEnd(r.typ) && !ends(ivs, p.subjects[r.sub], r.key()) {
			continue // an end that ends nothing: no effect on what u holds
		}
		buf = append(buf, item{ev: refs[i], via: via, depth: depth})
	}
	if depth >= maxDepth {
		return buf
	}
	for _, iv := range ivs {
		if slices.Contains(path, iv.parent) {
			continue // a containment cycle: an anomaly, followed once
		}
		l, h := iv.start, iv.end
		if l.less(lo) {
			l = lo
		}
		if hi.less(h) {
			h = hi
		}
		if !l.less(h) {
			continue
		}
		buf = p.expandInto(buf, iv.parent, l, h, depth+1, iv.parent+1, append(path, iv.parent))
	}
	return buf
}

// ---- holdings counters ------------------------------------------------

// counts are a holding's counters. Sums of TPP are computed at query time
// from the per-model counts, so they never drift with additions and
// subtractions.
type counts struct {
	units, chips, received, installed int
	models                            []modelCount // chips per model string (0: none)
}

type modelCount struct {
	model uint32
	n     int
}

// tagIndex maps a tag to its row in Projection.hold.
func tagIndex(tag uint32) int { return int(tag>>30) - 1 }

// counter returns the counters of a party, site or country (tag and
// interned id). The pointer is valid until the next call.
func (p *Projection) counter(tag, id uint32) *counts {
	row := &p.hold[tagIndex(tag)]
	if int(id) >= len(*row) {
		*row = append(*row, make([]counts, len(p.strs)-len(*row))...)
	}
	return &(*row)[id]
}

// holding returns the counters of a party, site or country, or nil.
func (p *Projection) holding(tag, id uint32) *counts {
	row := p.hold[tagIndex(tag)]
	if int(id) >= len(row) {
		return nil
	}
	return &row[id]
}

// count adds (sign +1) or removes (-1) unit u's contribution to the
// holdings counters. Destroyed and lost units are held by no one; a
// chip's receipts count wherever they happened, whatever its status.
func (p *Projection) count(u uint32, sign int) {
	ur := &p.units[u]
	chip := ur.kind == kChip
	if ur.status != sDestroyed && ur.status != sLost {
		for _, hk := range [3][2]uint32{{tagParty, ur.holder}, {tagSite, ur.site}, {tagCountry, ur.country}} {
			if hk[1] == 0 {
				continue
			}
			c := p.counter(hk[0], hk[1])
			c.units += sign
			if !chip {
				continue
			}
			c.chips += sign
			c.addModel(ur.model, sign)
			if ur.status == sInstalled {
				c.installed += sign
			}
		}
	}
	if chip {
		for _, k := range ur.recv {
			p.counter(k&tagMask, k&^tagMask).received += sign
		}
	}
}

func (c *counts) addModel(m uint32, sign int) {
	for i := range c.models {
		if c.models[i].model == m {
			c.models[i].n += sign
			if c.models[i].n == 0 {
				c.models[i] = c.models[len(c.models)-1]
				c.models = c.models[:len(c.models)-1]
			}
			return
		}
	}
	c.models = append(c.models, modelCount{m, sign})
}

// catalogue caches the catalogue entry of model string m.
func (p *Projection) catalogue(m uint32) {
	if _, ok := p.modelCat[m]; ok || p.cat == nil {
		return
	}
	if ch, ok := p.cat.Lookup(p.strs[m]); ok {
		p.modelCat[m] = ch
	}
}

// chipOf returns the catalogue entry of model string m.
func (p *Projection) chipOf(m uint32) (policy.Chip, bool) {
	if m == 0 {
		return policy.Chip{}, false
	}
	ch, ok := p.modelCat[m]
	return ch, ok
}
