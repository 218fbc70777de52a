package reports

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/ledger"
	"github.com/chipledger/chipledger/projections"
)

// TestIndexAgreesWithChains: for every flow event of the world, the units
// the index says it reached are exactly the units whose custody chain
// holds it, and the index's event is the chain's step (amended content
// and entry).
func TestIndexAgreesWithChains(t *testing.T) {
	w := theWorld
	flows := map[string]bool{events.TypeShipped: true, events.TypeExportDeclared: true, events.TypeReceived: true, events.TypeInstalled: true}
	fromChains := map[string]map[events.UnitID]bool{} // event id -> units whose chain holds it
	cites := map[string]uint64{}
	require.NoError(t, w.r.View(func(p *projections.Projection, src projections.Source) error {
		c := projections.CachedSource(src, 1<<16)
		for _, u := range p.Units() {
			steps, err := p.Chain(c, u)
			require.NoError(t, err)
			for _, s := range steps {
				if !flows[s.Type] {
					continue
				}
				if fromChains[s.EventID] == nil {
					fromChains[s.EventID] = map[events.UnitID]bool{}
				}
				fromChains[s.EventID][u] = true
				cites[s.EventID] = s.Seq
			}
		}
		return nil
	}))
	res := w.idx.resolve()
	fromIndex := map[string]map[events.UnitID]bool{}
	amended := 0
	for _, ev := range res.live {
		if !flows[ev.Type] {
			continue
		}
		got := map[events.UnitID]bool{}
		res.reach(ev, func(u events.UnitID, _ bool) { got[u] = true })
		fromIndex[ev.ID] = got
		assert.Equal(t, cites[ev.ID], ev.Cite, "event %s: the entry its content comes from", ev.ID)
		if ev.Amended {
			amended++
		}
	}
	require.Greater(t, len(fromChains), 1000, "the world has flows")
	assert.Equal(t, len(fromChains), len(fromIndex), "the same flow events")
	for id, want := range fromChains {
		got := fromIndex[id]
		if !assert.NotNil(t, got, "event %s is in the index", id) {
			continue
		}
		if !maps.Equal(want, got) {
			extra, missing := diff(got, want), diff(want, got)
			t.Errorf("event %s: index reaches %d units, chains %d; extra %v, missing %v", id, len(got), len(want), extra, missing)
		}
	}
	assert.Positive(t, amended, "the world amends installs: the index applies the amendments")
}

func diff(a, b map[events.UnitID]bool) []events.UnitID {
	var out []events.UnitID
	for u := range a {
		if !b[u] {
			out = append(out, u)
		}
	}
	slices.Sort(out)
	if len(out) > 5 {
		out = out[:5]
	}
	return out
}

// TestIndexCorrectionsAndContainment applies stories the simulated world
// does not tell: a retracted shipment, an amendment that changes a
// shipment's units, an amendment of the wrong type, two corrections out of
// order, a correction before its target, a double containment and an
// unmatched end, and checks the index against the projection's chains.
func TestIndexCorrectionsAndContainment(t *testing.T) {
	l := &memLedger{}
	p := projections.New(nil)
	add := func(ev events.Event) {
		t.Helper()
		l.add(t, p, ev)
	}
	at := func(day int) string { return "2025-01-" + two(day) + "T10:00:00Z" }
	ship := func(id string, day int, units ...events.UnitID) events.Event {
		return events.Event{ID: id, Type: events.TypeShipped, OccurredAt: mustTime(at(day)), RecordedAt: mustTime(at(day)), Publisher: "P",
			Body: &events.Shipped{Units: units, From: events.Place{Party: "A", Country: "US"}, To: events.Place{Party: "B", Country: "DE"}}}
	}
	cont := func(id, typ string, day int, parent events.UnitID, kids ...events.UnitID) events.Event {
		ev := events.Event{ID: id, Type: typ, OccurredAt: mustTime(at(day)), RecordedAt: mustTime(at(day)), Publisher: "P"}
		switch typ {
		case events.TypeAssembled:
			ev.Body = &events.Assembled{Parent: parent, Children: kids}
		case events.TypeDisassembled:
			ev.Body = &events.Disassembled{Parent: parent, Children: kids}
		case events.TypePacked:
			ev.Body = &events.Packed{Parent: parent, Children: kids}
		case events.TypeUnpacked:
			ev.Body = &events.Unpacked{Parent: parent, Children: kids}
		}
		return ev
	}
	corr := func(id string, day int, target, action string, amended *events.Event) events.Event {
		return events.Event{ID: id, Type: events.TypeCorrected, OccurredAt: mustTime(at(day)), RecordedAt: mustTime(at(day)), Publisher: "P",
			Body: &events.Corrected{Target: target, Action: action, Reason: "test", Amended: amended}}
	}
	c1, c2, c3, c4 := events.UnitID("chip:1"), events.UnitID("chip:2"), events.UnitID("chip:3"), events.UnitID("chip:4")
	s1, s2, pal := events.UnitID("sys:S1"), events.UnitID("sys:S2"), events.UnitID("pkg:P1")
	add(cont("00000000-0000-7000-8000-000000000001", events.TypeAssembled, 1, s1, c1, c2))
	add(cont("00000000-0000-7000-8000-000000000002", events.TypeAssembled, 2, s2, c3))
	add(cont("00000000-0000-7000-8000-000000000003", events.TypePacked, 3, pal, s1, s2))
	add(ship("00000000-0000-7000-8000-000000000004", 4, pal))                             // reaches S1, S2, c1, c2, c3
	add(cont("00000000-0000-7000-8000-000000000005", events.TypeAssembled, 5, s2, c2))    // c2 leaves S1 without an end
	add(cont("00000000-0000-7000-8000-000000000006", events.TypeDisassembled, 6, s1, c3)) // ends nothing
	add(ship("00000000-0000-7000-8000-000000000007", 7, s1))                              // c1 only (c2 is in S2)
	add(ship("00000000-0000-7000-8000-000000000008", 8, s2))                              // c2, c3
	add(corr("00000000-0000-7000-8000-000000000009", 9, "00000000-0000-7000-8000-000000000008", events.ActionRetract, nil))
	amend := ship("00000000-0000-7000-8000-000000000007", 7, s1, c4) // adds a chip
	add(corr("00000000-0000-7000-8000-00000000000a", 11, "00000000-0000-7000-8000-000000000007", events.ActionAmend, &amend))
	older := ship("00000000-0000-7000-8000-000000000007", 7, c3)
	add(corr("00000000-0000-7000-8000-00000000000b", 10, "00000000-0000-7000-8000-000000000007", events.ActionAmend, &older)) // earlier: not in force
	wrong := cont("00000000-0000-7000-8000-000000000004", events.TypeUnpacked, 3, pal, s1)
	add(corr("00000000-0000-7000-8000-00000000000c", 12, "00000000-0000-7000-8000-000000000004", events.ActionAmend, &wrong)) // wrong type: ignored
	early := ship("00000000-0000-7000-8000-00000000000e", 14, c4)
	add(corr("00000000-0000-7000-8000-00000000000d", 13, "00000000-0000-7000-8000-00000000000e", events.ActionAmend, &early)) // before its target
	add(ship("00000000-0000-7000-8000-00000000000e", 14, c1))
	add(cont("00000000-0000-7000-8000-00000000000f", events.TypeUnpacked, 15, pal, s2))
	add(ship("00000000-0000-7000-8000-000000000010", 16, pal))                                                               // S1 only (S2 unpacked): S1, c1
	add(corr("00000000-0000-7000-8000-000000000011", 17, "00000000-0000-7000-8000-00000000000a", events.ActionRetract, nil)) // a correction of a correction: never applied

	ix := NewIndex()
	require.NoError(t, ix.Update(l, l.seq()))
	res := ix.resolve()
	chainsOf := map[string]map[events.UnitID]bool{}
	for _, u := range p.Units() {
		steps, err := p.Chain(l.source(), u)
		require.NoError(t, err)
		for _, s := range steps {
			if s.Type == events.TypeShipped {
				if chainsOf[s.EventID] == nil {
					chainsOf[s.EventID] = map[events.UnitID]bool{}
				}
				chainsOf[s.EventID][u] = true
			}
		}
	}
	got := map[string]map[events.UnitID]bool{}
	for _, ev := range res.live {
		if ev.Type == events.TypeShipped {
			m := map[events.UnitID]bool{}
			res.reach(ev, func(u events.UnitID, _ bool) { m[u] = true })
			got[ev.ID] = m
		}
	}
	assert.Equal(t, chainsOf, got)
	// And what that is, spelled out.
	set := func(us ...events.UnitID) map[events.UnitID]bool {
		m := map[events.UnitID]bool{}
		for _, u := range us {
			m[u] = true
		}
		return m
	}
	assert.Equal(t, set(pal, s1, s2, c1, c2, c3), got["00000000-0000-7000-8000-000000000004"])
	assert.Equal(t, set(s1, c1, c4), got["00000000-0000-7000-8000-000000000007"], "the amendment in force: the latest")
	assert.NotContains(t, got, "00000000-0000-7000-8000-000000000008", "retracted")
	assert.Equal(t, set(c4), got["00000000-0000-7000-8000-00000000000e"], "amended before it arrived")
	assert.Equal(t, set(pal, s1, c1), got["00000000-0000-7000-8000-000000000010"])
}

// memLedger is a ledger in memory for the index and a projection: real
// entries (encoded, hashed, chained), served as both a Ledger and a
// projections.Source.
type memLedger struct {
	entries []ledger.Entry
	evs     []events.Event
}

func (m *memLedger) seq() uint64 { return uint64(len(m.entries)) }

func (m *memLedger) add(t *testing.T, p *projections.Projection, ev events.Event) {
	t.Helper()
	canonical, err := events.Encode(ev)
	require.NoError(t, err)
	var prev ledger.Hash
	if n := len(m.entries); n > 0 {
		prev = m.entries[n-1].Hash
	}
	seq := m.seq() + 1
	raw := ledger.EncodeEntry(seq, mustTime("2026-01-01T00:00:00Z"), ledger.Source{Name: "test", Partition: -1, Offset: int64(seq)}, ev.ID, canonical, canonical, prev)
	e, err := ledger.DecodeEntry(raw)
	require.NoError(t, err)
	m.entries = append(m.entries, e)
	m.evs = append(m.evs, ev)
	require.NoError(t, p.Apply(projections.Entry{Seq: seq, Hash: e.Hash.String(), Event: ev}))
}

func (m *memLedger) Entry(seq uint64) (ledger.Entry, error) {
	if seq == 0 || seq > m.seq() {
		return ledger.Entry{}, ledger.ErrNotFound
	}
	return m.entries[seq-1], nil
}

// memSource serves the same entries decoded.
func (m *memLedger) source() projections.Source { return memSrc{m} }

type memSrc struct{ m *memLedger }

func (s memSrc) Entry(seq uint64) (projections.Entry, error) {
	if seq == 0 || seq > s.m.seq() {
		return projections.Entry{}, projections.ErrNotFound
	}
	return projections.Entry{Seq: seq, Hash: s.m.entries[seq-1].Hash.String(), Event: s.m.evs[seq-1]}, nil
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func two(n int) string { return fmt.Sprintf("%02d", n) }

// pointReads hides a replica's Scan: the index then reads entry by entry.
type pointReads struct{ l Ledger }

func (p pointReads) Entry(seq uint64) (ledger.Entry, error) { return p.l.Entry(seq) }

// The index built by one sequential scan equals the one built by point
// reads on every core.
func TestIndexScanEqualsPointReads(t *testing.T) {
	w := theWorld
	head := w.r.Head().Seq
	scanned, pointed := NewIndex(), NewIndex()
	require.NoError(t, scanned.Update(w.r, head/3))
	require.NoError(t, scanned.Update(w.r, head))
	require.NoError(t, pointed.Update(pointReads{w.r}, head))
	require.Equal(t, pointed.Seq(), scanned.Seq())
	require.True(t, reflect.DeepEqual(pointed.resolve(), scanned.resolve()), "the same index either way")
}
