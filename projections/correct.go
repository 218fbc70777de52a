package projections

import (
	"github.com/chipledger/chipledger/events"
)

// corrState is the correction in force for a target: the latest by key.
type corrState struct {
	key     key
	amended uint32 // evs index (or refTag|refs index) + 1 of the amendment in force; 0: retracted
}

// pendingCorrection is a correction whose target has not been applied yet.
type pendingCorrection struct {
	key     key // the correction's occurred_at and sequence
	seq     uint64
	hash    string
	amended *events.Event // nil: retract
}

// correct applies a correction: to its target when the target is known,
// otherwise it waits for the target.
func (p *Projection) correct(seq uint64, hash string, ev events.Event, c *events.Corrected) {
	if c.Target == "" {
		return
	}
	pc := pendingCorrection{key: key{ev.OccurredAt.UnixNano(), seq}, seq: seq, hash: hash}
	switch c.Action {
	case events.ActionRetract:
	case events.ActionAmend:
		if c.Amended == nil || c.Amended.Body == nil {
			return
		}
		a := *c.Amended
		pc.amended = &a
	default:
		return
	}
	k := keyOf(c.Target)
	if target, ok := p.ids[k]; ok {
		p.applyCorrection(target, pc)
		return
	}
	p.pending[k] = append(p.pending[k], pc)
}

// applyCorrection puts correction pc in force for target (an evs index,
// or refTag|refs index) unless a later correction of it already is: the
// latest correction by occurred_at (then sequence) wins, whatever order
// they were applied in. An amendment of another type than its target's
// is ignored (the ledger rejects it; a projection never guesses).
func (p *Projection) applyCorrection(target uint32, pc pendingCorrection) {
	prev, corrected := p.corr[target]
	if corrected && pc.key.less(prev.key) {
		return
	}
	if target&refTag != 0 {
		p.correctRef(target, prev, corrected, pc)
		return
	}
	orig := &p.evs[target]
	if pc.amended != nil && pc.amended.Type != typeNames[orig.typ] {
		return
	}
	var affected []uint32
	affected = append(affected, p.subjectsOf(orig)...)
	orig.flags |= fDead
	if corrected && prev.amended != 0 {
		old := &p.evs[prev.amended-1]
		old.flags |= fDead
		affected = append(affected, p.subjectsOf(old)...)
		delete(p.amendSrc, prev.amended-1)
	}
	cs := corrState{key: pc.key}
	if pc.amended != nil {
		if ai, ok := p.addUnitEvent(*pc.amended, orig.seq); ok {
			p.evs[ai].flags |= fAmended
			p.amendSrc[ai] = pc.seq
			cs.amended = ai + 1
			affected = append(affected, p.subjectsOf(&p.evs[ai])...)
		}
	}
	p.corr[target] = cs
	p.recomputeAll(affected)
}

// correctRef applies a correction to a reference-data version.
func (p *Projection) correctRef(target uint32, prev corrState, corrected bool, pc pendingCorrection) {
	v := &p.refs[target&^refTag]
	if pc.amended != nil && pc.amended.Type != v.ev.Type {
		return
	}
	v.dead = true
	p.refsChanged = true
	if corrected && prev.amended != 0 {
		p.refs[(prev.amended-1)&^refTag].dead = true
	}
	cs := corrState{key: pc.key}
	if pc.amended != nil {
		if ai, ok := p.addRef(*pc.amended, v.seq, pc.seq, pc.hash); ok {
			p.refs[ai].amended = true
			cs.amended = (refTag | ai) + 1
		}
	}
	p.corr[target] = cs
}
