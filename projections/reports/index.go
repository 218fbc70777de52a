package reports

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/ledger"
)

// Index holds what the reports need and the projection does not keep: the
// flows (shipments, export declarations, receipts and installs, with their
// parties, countries and authorisations) and every containment event, so
// that the chips inside a shipment's units at its time can be counted
// without reading custody chains (a chip's chain is mostly its server's
// weekly attestations: reading every chain of a large world takes minutes).
//
// It follows the projection's semantics exactly: corrections (the latest
// valid one by occurred_at, then sequence, is in force; an amendment of
// another type is ignored; a correction of a correction never applies),
// containment intervals (a new containment start ends the unit's current
// one; an end naming another container has no effect; a container's event
// reaches what is strictly inside it; cycles are followed once, depth at
// most 16). A test compares it with every custody chain of a simulated
// world.
//
// An Index is built incrementally: Update reads the entries after the last
// one it saw. It is not safe for concurrent use: the caller serialises
// Update and the reports that read it.
type Index struct {
	seq  uint64
	evs  []ixEvent      // indexed unit events, in sequence order
	byID map[string]int // event id -> first indexed event with it
	corr []ixCorrection // every correction, in sequence order
	res  *resolved      // the live view; nil: to be recomputed
}

// ixEvent is one unit event as it stands.
type ixEvent struct {
	ID         string
	Type       string
	OccurredAt time.Time
	RecordedAt time.Time
	Seq        uint64 // orders it: for an amendment, the replaced event's sequence
	Cite       uint64 // the entry its content comes from (the correction's, for an amendment)
	Amended    bool
	Units      []events.UnitID // its subjects, each once (containment: the parent first)
	Body       events.Body
}

func (e *ixEvent) key() ixKey { return ixKey{e.OccurredAt.UnixNano(), e.Seq} }

type ixCorrection struct {
	target  string
	key     ixKey
	seq     uint64
	amended *events.Event // nil: retract
}

// ixKey orders events: occurred_at, then sequence.
type ixKey struct {
	occ int64
	seq uint64
}

func (k ixKey) less(o ixKey) bool { return k.occ < o.occ || (k.occ == o.occ && k.seq < o.seq) }

var ixMax = ixKey{occ: 1<<63 - 1, seq: 1<<64 - 1}

// maxDepth bounds how deep containment is followed, as in the projection.
const maxDepth = 16

// resolved is the index with corrections applied: the live events and the
// containment intervals of every container.
type resolved struct {
	live []*ixEvent                  // by key
	kids map[events.UnitID][]stretch // container -> the units inside it and when
}

// stretch is a unit's time inside a container: strictly between two keys.
type stretch struct {
	unit       events.UnitID
	start, end ixKey
}

// NewIndex returns an empty index.
func NewIndex() *Index { return &Index{byID: map[string]int{}} }

// Seq returns the last sequence the index has read.
func (ix *Index) Seq() uint64 { return ix.seq }

// indexed are the event types the index keeps.
var indexed = map[string]bool{
	events.TypeShipped: true, events.TypeExportDeclared: true, events.TypeReceived: true, events.TypeInstalled: true,
	events.TypeAssembled: true, events.TypeDisassembled: true, events.TypePacked: true, events.TypeUnpacked: true,
	events.TypeCorrected: true,
}

// peekType returns the type of a canonical event (its envelope names the
// id, then the type), or "" when it cannot tell.
func peekType(canonical []byte) string {
	const k = `"type":"`
	i := bytes.Index(canonical, []byte(k))
	if i < 0 {
		return ""
	}
	rest := canonical[i+len(k):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}

// scanned is what one entry adds to the index.
type scanned struct {
	seq uint64
	ev  *events.Event // an indexed event, or nil
}

// Update reads the entries after the last one the index saw, up to
// sequence to, from l (on every core), and adds the events it keeps. On an
// error the index keeps what it read before the failing block.
func (ix *Index) Update(l Ledger, to uint64) error {
	if to <= ix.seq {
		return nil
	}
	if sc, ok := l.(Scanner); ok {
		return ix.scan(sc, to)
	}
	const block = 4096
	from := ix.seq + 1
	nblocks := int((to-from)/block + 1)
	out := make([][]scanned, nblocks)
	errs := make([]error, nblocks)
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	workers := min(runtime.GOMAXPROCS(0), nblocks)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				b := int(next.Add(1) - 1)
				if b >= nblocks || failed.Load() {
					return
				}
				lo := from + uint64(b)*block
				hi := min(to, lo+block-1)
				var got []scanned
				for s := lo; s <= hi; s++ {
					e, err := l.Entry(s)
					if err != nil {
						errs[b] = fmt.Errorf("reports: index: entry %d: %w", s, err)
						failed.Store(true)
						return
					}
					typ := peekType(e.Canonical)
					sc := scanned{seq: s}
					if typ == "" || indexed[typ] {
						ev, err := events.Decode(e.Canonical)
						if err == nil && indexed[ev.Type] {
							sc.ev = &ev
						}
					}
					got = append(got, sc)
				}
				out[b] = got
			}
		}()
	}
	wg.Wait()
	for b := range nblocks {
		if errs[b] != nil || out[b] == nil {
			if errs[b] == nil {
				errs[b] = fmt.Errorf("reports: index: block at %d not read", from+uint64(b)*block)
			}
			return errs[b]
		}
		for _, sc := range out[b] {
			ix.add(sc)
		}
	}
	return nil
}

// Scanner is a Ledger that reads entries in order (the replica's store):
// one sequential walk instead of a point read per entry, which a block
// cache smaller than the store would thrash.
type Scanner interface {
	Scan(from uint64, fn func(ledger.Entry) error) error
}

// scan adds the entries after the last one the index saw, up to to, read
// in order from sc; the events kept are decoded on every core and added in
// sequence order.
func (ix *Index) scan(sc Scanner, to uint64) error {
	type block struct {
		seqs       []uint64
		canonicals [][]byte
		done       chan []scanned
	}
	work := make(chan *block, 16)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for b := range work {
				out := make([]scanned, len(b.seqs))
				for i, c := range b.canonicals {
					out[i] = scanned{seq: b.seqs[i]}
					if typ := peekType(c); typ == "" || indexed[typ] {
						if ev, err := events.Decode(c); err == nil && indexed[ev.Type] {
							out[i].ev = &ev
						}
					}
				}
				b.done <- out
			}
		})
	}
	order := make(chan *block, 64) // blocks in sequence order, for the adder
	var scanErr error
	go func() {
		defer close(order)
		defer close(work)
		cur := &block{done: make(chan []scanned, 1)}
		flush := func() {
			if len(cur.seqs) == 0 {
				return
			}
			order <- cur
			work <- cur
			cur = &block{done: make(chan []scanned, 1)}
		}
		scanErr = sc.Scan(ix.seq+1, func(e ledger.Entry) error {
			if e.Seq > to {
				return ledger.ErrStop
			}
			cur.seqs = append(cur.seqs, e.Seq)
			cur.canonicals = append(cur.canonicals, e.Canonical)
			if len(cur.seqs) == 4096 {
				flush()
			}
			return nil
		})
		flush()
	}()
	var got [][]scanned
	for b := range order {
		got = append(got, <-b.done)
	}
	wg.Wait()
	if scanErr != nil && !errors.Is(scanErr, ledger.ErrStop) {
		return fmt.Errorf("reports: index: %w", scanErr)
	}
	for _, blk := range got {
		for _, s := range blk {
			ix.add(s)
		}
	}
	return nil
}

func (ix *Index) add(sc scanned) {
	ix.seq = sc.seq
	ix.res = nil
	if sc.ev == nil {
		return
	}
	ev := *sc.ev
	if c, ok := ev.Body.(*events.Corrected); ok {
		if c != nil && c.Target != "" {
			ic := ixCorrection{target: c.Target, key: ixKey{ev.OccurredAt.UnixNano(), sc.seq}, seq: sc.seq}
			switch c.Action {
			case events.ActionRetract:
				ix.corr = append(ix.corr, ic)
			case events.ActionAmend:
				if c.Amended != nil && c.Amended.Body != nil {
					a := *c.Amended
					ic.amended = &a
					ix.corr = append(ix.corr, ic)
				}
			}
		}
		return // a correction has no id of its own to be corrected by
	}
	e, ok := unitEvent(ev, sc.seq, sc.seq)
	if !ok {
		return
	}
	if _, dup := ix.byID[ev.ID]; !dup && ev.ID != "" {
		ix.byID[ev.ID] = len(ix.evs) // ids are unique in the ledger; were one repeated, the first is the one corrections reach
	}
	ix.evs = append(ix.evs, e)
}

// unitEvent makes an index event of ev: its subjects each once, the parent
// of a containment first. It returns false for an event that names no
// unit, or a containment without a parent or child (the projection skips
// them too).
func unitEvent(ev events.Event, seq, cite uint64) (ixEvent, bool) {
	if ev.Body == nil {
		return ixEvent{}, false
	}
	var parent events.UnitID
	var units []events.UnitID
	containment := false
	switch b := ev.Body.(type) {
	case *events.Shipped:
		if b == nil {
			return ixEvent{}, false
		}
		units = b.Units
	case *events.ExportDeclared:
		if b == nil {
			return ixEvent{}, false
		}
		units = b.Units
	case *events.Received:
		if b == nil {
			return ixEvent{}, false
		}
		units = b.Units
	case *events.Installed:
		if b == nil {
			return ixEvent{}, false
		}
		units = b.Units
	case *events.Assembled:
		if b == nil {
			return ixEvent{}, false
		}
		parent, units, containment = b.Parent, b.Children, true
	case *events.Disassembled:
		if b == nil {
			return ixEvent{}, false
		}
		parent, units, containment = b.Parent, b.Children, true
	case *events.Packed:
		if b == nil {
			return ixEvent{}, false
		}
		parent, units, containment = b.Parent, b.Children, true
	case *events.Unpacked:
		if b == nil {
			return ixEvent{}, false
		}
		parent, units, containment = b.Parent, b.Children, true
	default:
		return ixEvent{}, false
	}
	if containment && parent == "" {
		return ixEvent{}, false
	}
	var subj []events.UnitID
	seen := map[events.UnitID]bool{}
	add := func(u events.UnitID) {
		if u != "" && !seen[u] && len(subj) < 1<<16-1 {
			seen[u] = true
			subj = append(subj, u)
		}
	}
	if parent != "" {
		add(parent)
	}
	for _, u := range units {
		add(u)
	}
	if len(subj) == 0 || (containment && len(subj) < 2) {
		return ixEvent{}, false
	}
	return ixEvent{ID: ev.ID, Type: ev.Type, OccurredAt: ev.OccurredAt, RecordedAt: ev.RecordedAt, Seq: seq, Cite: cite,
		Units: subj, Body: ev.Body}, true
}

func isContainment(t string) bool {
	return t == events.TypeAssembled || t == events.TypePacked || t == events.TypeDisassembled || t == events.TypeUnpacked
}

func isStart(t string) bool { return t == events.TypeAssembled || t == events.TypePacked }

// resolve applies the corrections and computes the containment intervals
// (once per Update).
func (ix *Index) resolve() *resolved {
	if ix.res != nil {
		return ix.res
	}
	// The correction in force for each target: the latest valid one.
	inForce := map[int]*ixCorrection{}
	for i := range ix.corr {
		c := &ix.corr[i]
		t, ok := ix.byID[c.target]
		if !ok {
			continue // not an event the index keeps (or a correction: never corrected)
		}
		if c.amended != nil && c.amended.Type != ix.evs[t].Type {
			continue // an amendment of another type is ignored
		}
		if prev, ok := inForce[t]; ok && c.key.less(prev.key) {
			continue
		}
		inForce[t] = c
	}
	r := &resolved{kids: map[events.UnitID][]stretch{}}
	for i := range ix.evs {
		c, corrected := inForce[i]
		if !corrected {
			r.live = append(r.live, &ix.evs[i])
			continue
		}
		if c.amended == nil {
			continue // retracted
		}
		if a, ok := unitEvent(*c.amended, ix.evs[i].Seq, c.seq); ok {
			a.Amended = true
			r.live = append(r.live, &a)
		}
	}
	slices.SortFunc(r.live, func(a, b *ixEvent) int {
		ka, kb := a.key(), b.key()
		switch {
		case ka.less(kb):
			return -1
		case kb.less(ka):
			return 1
		}
		return 0
	})
	// Each unit's containment events as a child, in key order, make its
	// intervals: a start ends the current one, an end closes it only when
	// it names the current container.
	type cev struct {
		parent events.UnitID
		key    ixKey
		start  bool
	}
	asChild := map[events.UnitID][]cev{}
	for _, e := range r.live {
		if !isContainment(e.Type) {
			continue
		}
		for _, c := range e.Units[1:] {
			asChild[c] = append(asChild[c], cev{parent: e.Units[0], key: e.key(), start: isStart(e.Type)})
		}
	}
	for child, cs := range asChild { // r.live is in key order, so cs is too
		var cur []stretch
		open := false
		for _, c := range cs {
			if c.start {
				if open {
					cur[len(cur)-1].end = c.key
				}
				cur = append(cur, stretch{unit: events.UnitID(c.parent), start: c.key, end: ixMax})
				open = true
			} else if open && cur[len(cur)-1].unit == c.parent {
				cur[len(cur)-1].end = c.key
				open = false
			}
		}
		for _, s := range cur {
			parent := s.unit
			r.kids[parent] = append(r.kids[parent], stretch{unit: child, start: s.start, end: s.end})
		}
	}
	for p := range r.kids {
		slices.SortFunc(r.kids[p], func(a, b stretch) int { return cmp.Compare(a.unit, b.unit) })
	}
	ix.res = r
	return r
}

// reach calls fn once for every unit event e reaches: the units it names
// and, recursively, what was strictly inside them at its time.
func (r *resolved) reach(e *ixEvent, fn func(u events.UnitID, direct bool)) {
	k := e.key()
	seen := map[events.UnitID]bool{}
	var path []events.UnitID
	var walk func(u events.UnitID, depth int, direct bool)
	walk = func(u events.UnitID, depth int, direct bool) {
		if !seen[u] {
			seen[u] = true
			fn(u, direct)
		}
		if depth >= maxDepth {
			return
		}
		path = append(path, u)
		for _, s := range r.kids[u] {
			if s.start.less(k) && k.less(s.end) && !slices.Contains(path, s.unit) {
				walk(s.unit, depth+1, false)
			}
		}
		path = path[:len(path)-1]
	}
	for _, u := range e.Units {
		walk(u, 0, true)
	}
}

// chips returns the chips e reaches, sorted, and every unit it reaches.
func (r *resolved) chips(e *ixEvent) (chips, all []events.UnitID) {
	r.reach(e, func(u events.UnitID, _ bool) {
		all = append(all, u)
		if u.Kind() == events.KindChip {
			chips = append(chips, u)
		}
	})
	slices.Sort(chips)
	slices.Sort(all)
	return chips, all
}
