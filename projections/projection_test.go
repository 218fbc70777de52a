package projections_test

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/policy"
	"github.com/chipledger/chipledger/projections"
)

const (
	chip1  = "chip:1652423000001"
	chip2  = "chip:1652423000002"
	server = "sys:SMC-A1"
	pallet = "pkg:00012345678901234567"
)

func TestExamples(t *testing.T) {
	l := newLedger(t)
	exs := examples(t)
	l.apply(exs...)

	t.Run("every example applies", func(t *testing.T) {
		assert.Equal(t, uint64(len(exs)), l.p.Seq())
		assert.Equal(t, time.Date(2025, 4, 30, 12, 0, 0, 0, time.UTC), l.p.Now(), "now is the latest occurred_at")
		assert.Equal(t, []events.UnitID{chip1, chip2, pallet, server, "sys:SMC-B7"}, l.p.Units())
	})

	t.Run("the H100's chain shows the pallet's shipment through the server", func(t *testing.T) {
		steps := l.chain(chip1)
		assert.Equal(t, []string{
			events.TypeCommissioned, events.TypeAssembled, events.TypePacked, events.TypeExportDeclared,
			events.TypeShipped, events.TypeReceived, events.TypeUnpacked, events.TypeOwnershipTransferred,
			events.TypeShipped, events.TypeReceived, events.TypeInstalled, events.TypeLocationAttested,
		}, types(steps))
		vias := make([]events.UnitID, len(steps))
		for i, s := range steps {
			vias[i] = s.Via
		}
		assert.Equal(t, []events.UnitID{"", "", server, pallet, pallet, pallet, server, server, server, server, server, ""}, vias)

		shipped := steps[4]
		assert.Equal(t, "01944f3a-3f88-7754-8b47-08faa6e54492", shipped.EventID)
		assert.Equal(t, events.UnitID(pallet), shipped.Via)
		assert.Equal(t, "shipped from P-SUPERMICRO (US) to P-LIONCITY (SG) by P-PACAIR, declared end user P-MERLION-CLOUD, licence exception NLR", shipped.Summary)
		assert.Equal(t, l.src[shipped.Seq].Hash, shipped.Hash, "the step cites its entry")
		assert.Equal(t, "P-PACAIR", shipped.Holder, "in transit the carrier holds it")
		assert.Equal(t, "US", shipped.Country, "country stays the origin's until received")
		assert.Equal(t, "in_transit", shipped.Status)
		assert.Equal(t, "P-NVIDIA", shipped.Owner)

		received := steps[5]
		assert.Equal(t, []string{"P-LIONCITY", "S-LIONCITY-WH1", "SG", "received"}, []string{received.Holder, received.Site, received.Country, received.Status})
		assert.Equal(t, "P-MERLION-CLOUD", steps[7].Owner, "the server's sale sells its chips")
		assert.Equal(t, "P-LIONCITY", steps[8].Holder, "a shipment without a carrier: the sender holds it")

		installed := steps[10]
		assert.True(t, installed.Amended, "the installation was amended")
		assert.Equal(t, "019482f0-c608-7b79-a36a-a9bf2641b023", installed.EventID)
		assert.Equal(t, "installed at S-MERLION-DC1 (SG) rack H12-R09", installed.Summary, "the amended rack")
		assert.Equal(t, events.TypeCorrected, l.src[installed.Seq].Event.Type, "an amended step cites the correction")
		assert.Equal(t, events.TypeInstalled, l.src[installed.Original].Event.Type, "and the event it replaced")
		for i := 1; i < len(steps); i++ {
			assert.False(t, steps[i].OccurredAt.Before(steps[i-1].OccurredAt), "ordered by occurred_at")
		}
	})

	t.Run("unit states", func(t *testing.T) {
		c1 := l.unit(chip1)
		assert.Equal(t, "H100-SXM5-80GB", c1.Model)
		assert.Equal(t, 15832.0, c1.TPP)
		assert.Equal(t, 1.0, c1.H100Equivalents)
		assert.Equal(t, "3A090.a", c1.ECCN)
		require.NotNil(t, c1.DeclaredTPP)
		assert.Equal(t, 15832.0, *c1.DeclaredTPP)
		assert.Equal(t, "3A090.a", c1.DeclaredECCN)
		assert.Equal(t, []string{"P-MERLION-CLOUD", "P-MERLION-CLOUD", "S-MERLION-DC1", "SG", "installed"},
			[]string{c1.Holder, c1.Owner, c1.Site, c1.Country, c1.Status})
		assert.Equal(t, events.UnitID(server), c1.Container)
		assert.Equal(t, "SG", c1.ExportDestination)

		c2 := l.unit(chip2)
		assert.Equal(t, "destroyed", c2.Status)
		assert.Equal(t, "P-SUPERMICRO", c2.Holder, "returned to Supermicro")
		assert.Empty(t, c2.Container, "taken out of the server")
		assert.Equal(t, []string{events.TypeLabTestRecorded, events.TypeDisassembled, events.TypeReturned, events.TypeDestroyed},
			types(l.chain(chip2))[12:])

		sys := l.unit(server)
		assert.Equal(t, []events.UnitID{chip1}, sys.Contents)
		assert.Equal(t, 15832.0, sys.TPP, "a server's TPP is its chips'")
		assert.Equal(t, "4A090.a", sys.ECCN, "a server inherits its chips' control status")
		assert.Empty(t, sys.Container)

		lost := l.unit("sys:SMC-B7")
		assert.Equal(t, "lost", lost.Status)
	})

	t.Run("tree", func(t *testing.T) {
		n, err := l.p.Tree(l.src, chip1)
		require.NoError(t, err)
		require.Len(t, n.Containers, 1)
		assert.Equal(t, events.UnitID(server), n.Containers[0].Unit)
		n, err = l.p.Tree(l.src, server)
		require.NoError(t, err)
		require.Len(t, n.Contents, 1)
		assert.Equal(t, events.UnitID(chip1), n.Contents[0].Unit)
		assert.Equal(t, 15832.0, n.TPP)
	})

	t.Run("reference data", func(t *testing.T) {
		pt, ok := l.p.Party("P-LIONCITY")
		require.True(t, ok)
		assert.Equal(t, []string{"distributor", "reseller"}, pt.Types, "the update replaced the registration")
		assert.Equal(t, time.Date(2025, 1, 2, 10, 2, 0, 0, time.UTC), pt.Registered)
		s, ok := l.p.Site("S-MERLION-DC1")
		require.True(t, ok)
		assert.Equal(t, "SG", s.Country)
		lic, ok := l.p.Licence("D1234567")
		require.True(t, ok)
		assert.True(t, lic.Revoked)
		assert.Equal(t, time.Date(2025, 4, 15, 16, 0, 0, 0, time.UTC), lic.RevokedAt)
		assert.Len(t, l.p.Policies(), 1)
		assert.Len(t, l.p.Screenings(), 1)
		assert.Contains(t, l.p.Parties(), "P-HARBOURLINE")
		assert.Equal(t, []string{"D1234567"}, l.p.Licences())
		tests, err := l.p.LabTests(l.src, chip2)
		require.NoError(t, err)
		require.Len(t, tests, 1)
		assert.Equal(t, "fail", tests[0].Result)
		_, ok = l.p.Party("P-NOBODY")
		assert.False(t, ok)
	})

	t.Run("unknown unit", func(t *testing.T) {
		_, err := l.p.Chain(l.src, "chip:NOPE")
		assert.ErrorIs(t, err, projections.ErrNotFound)
		_, err = l.p.Unit(l.src, "chip:NOPE")
		assert.ErrorIs(t, err, projections.ErrNotFound)
		_, err = l.p.Tree(l.src, "chip:NOPE")
		assert.ErrorIs(t, err, projections.ErrNotFound)
	})
}

func TestApply(t *testing.T) {
	t.Run("sequences must increase", func(t *testing.T) {
		p := projections.New(policy.Default())
		require.NoError(t, p.Apply(projections.Entry{Seq: 5}))
		assert.Equal(t, uint64(5), p.Seq(), "an empty event advances the sequence")
		for _, seq := range []uint64{0, 4, 5} {
			err := p.Apply(projections.Entry{Seq: seq})
			assert.ErrorIs(t, err, projections.ErrOutOfOrder, "sequence %d", seq)
		}
		require.NoError(t, p.Apply(projections.Entry{Seq: 7}))
	})
	t.Run("never an error for content", func(t *testing.T) {
		p := projections.New(nil)
		bad := []events.Event{
			{ID: "x1", Type: events.TypeShipped, Body: &events.Shipped{}},                                        // no units
			{ID: "x2", Type: events.TypeAssembled, Body: &events.Assembled{Children: []events.UnitID{"chip:A"}}}, // no parent
			{ID: "x3", Type: events.TypeShipped, Body: (*events.Shipped)(nil)},
			{ID: "x4", Type: events.TypeCorrected, Body: &events.Corrected{Target: "nothing", Action: "amend"}},
			{ID: "x5", Type: events.TypePartyRegistered, Body: (*events.PartyRegistered)(nil)},
			{ID: "x6", Type: events.TypeReceived, Body: &events.Received{Units: []events.UnitID{"chip:A", "chip:A"}}},
		}
		for i, ev := range bad {
			require.NoError(t, p.Apply(projections.Entry{Seq: uint64(i + 1), Event: ev}))
		}
		assert.Equal(t, []events.UnitID{"chip:A"}, p.Units())
	})
}

// TestLateEvent: an event applied after others but that occurred before
// them takes its place in the chain, and the state follows.
func TestLateEvent(t *testing.T) {
	story := func(t *testing.T) []events.Event {
		return []events.Event{
			commission(t, "e1", "2025-01-01T00:00:00Z", "chip:L1", "H100-SXM5-80GB"),
			receive(t, "e2", "2025-01-03T00:00:00Z", "P-A", "S-A", "US", "chip:L1"),
			ship(t, "e3", "2025-01-05T00:00:00Z", "P-A", "US", "P-B", "SG", "chip:L1"),
			install(t, "e4", "2025-01-09T00:00:00Z", "S-B", "SG", "chip:L1"),
		}
	}
	t.Run("reorders the chain", func(t *testing.T) {
		evs := story(t)
		l := newLedger(t)
		l.apply(evs[0], evs[2], evs[3], evs[1]) // the receipt lands last
		steps := l.chain("chip:L1")
		assert.Equal(t, []string{events.TypeCommissioned, events.TypeReceived, events.TypeShipped, events.TypeInstalled}, types(steps))
		assert.Equal(t, uint64(4), steps[1].Seq, "the late step keeps its own sequence")
		assert.Equal(t, "P-A", steps[1].Holder)
		assert.Equal(t, "P-DHL", steps[2].Holder)
		st := l.unit("chip:L1")
		assert.Equal(t, "installed", st.Status, "the late receipt does not override the later installation")
		assert.Equal(t, "S-B", st.Site)
		assert.Equal(t, uint64(3), st.LastSeq)
	})
	t.Run("the latest step decides the state", func(t *testing.T) {
		evs := story(t)
		l := newLedger(t)
		l.apply(evs[0], evs[1], evs[3])
		assert.Equal(t, "installed", l.unit("chip:L1").Status)
		l.apply(evs[2]) // the shipment, before the installation
		st := l.unit("chip:L1")
		assert.Equal(t, "installed", st.Status)
		assert.Equal(t, "P-DHL", st.Holder, "the shipment's carrier still holds it: no receipt after it")
		assert.Equal(t, "SG", st.Country)
	})
}

// TestContainment: a chip in a server on a pallet follows the pallet only
// while it is inside.
func TestContainment(t *testing.T) {
	story := func(t *testing.T) []events.Event {
		return []events.Event{
			commission(t, "c1", "2025-02-01T00:00:00Z", "chip:K1", "H100-SXM5-80GB"),
			contain(t, "c2", events.TypeAssembled, "2025-02-02T00:00:00Z", "sys:K", "chip:K1"),
			contain(t, "c3", events.TypePacked, "2025-02-03T00:00:00Z", "pkg:K", "sys:K"),
			ship(t, "c4", "2025-02-04T00:00:00Z", "P-OEM", "US", "P-DIST", "SG", "pkg:K"),
			receive(t, "c5", "2025-02-05T00:00:00Z", "P-DIST", "S-WH", "SG", "pkg:K"),
			contain(t, "c6", events.TypeUnpacked, "2025-02-06T00:00:00Z", "pkg:K", "sys:K"),
			ship(t, "c7", "2025-02-07T00:00:00Z", "P-DIST", "SG", "P-OTHER", "HK", "pkg:K"), // the empty pallet moves on
			contain(t, "c8", events.TypeDisassembled, "2025-02-08T00:00:00Z", "sys:K", "chip:K1"),
			ship(t, "c9", "2025-02-09T00:00:00Z", "P-DIST", "SG", "P-ELSE", "MY", "sys:K"), // the empty server moves on
		}
	}
	want := []string{
		events.TypeCommissioned, events.TypeAssembled, events.TypePacked, events.TypeShipped,
		events.TypeReceived, events.TypeUnpacked, events.TypeDisassembled,
	}
	check := func(t *testing.T, l *ledger) {
		steps := l.chain("chip:K1")
		assert.Equal(t, want, types(steps))
		assert.Equal(t, "c4", steps[3].EventID)
		assert.Equal(t, events.UnitID("pkg:K"), steps[3].Via)
		assert.Equal(t, events.UnitID("sys:K"), steps[5].Via, "the server left the pallet")
		st := l.unit("chip:K1")
		assert.Equal(t, []string{"P-DIST", "S-WH", "SG", "disassembled"}, []string{st.Holder, st.Site, st.Country, st.Status})
		assert.Empty(t, st.Container)
		assert.Equal(t, "in_transit", l.unit("sys:K").Status)
		assert.Equal(t, []string{"in_transit", "SG"}, []string{l.unit("pkg:K").Status, l.unit("pkg:K").Country}, "in transit: the origin's country")
		assert.Equal(t, 1, l.holdings(projections.ByParty, "P-DIST").Chips)
		assert.Equal(t, 0, l.holdings(projections.ByParty, "P-DHL").Chips, "the chip was not on the later shipments")
	}
	t.Run("in order", func(t *testing.T) {
		l := newLedger(t)
		l.apply(story(t)...)
		check(t, l)
	})
	t.Run("a late unpacking cuts the pallet's later events", func(t *testing.T) {
		evs := story(t)
		l := newLedger(t)
		l.apply(evs[0], evs[1], evs[2], evs[3], evs[4], evs[6])
		assert.Contains(t, find(l.chain("chip:K1"), events.TypeShipped)[1].EventID, "c7", "still on the pallet as far as the ledger knows")
		l.apply(evs[5], evs[7], evs[8])
		check(t, l)
	})
	t.Run("a late packing brings the pallet's events in", func(t *testing.T) {
		evs := story(t)
		l := newLedger(t)
		l.apply(evs[0], evs[1], evs[3], evs[4], evs[5], evs[6], evs[7], evs[8])
		assert.Equal(t, []string{events.TypeCommissioned, events.TypeAssembled, events.TypeDisassembled}, types(l.chain("chip:K1")))
		l.apply(evs[2])
		check(t, l)
	})
	t.Run("a new container ends the last", func(t *testing.T) {
		l := newLedger(t)
		l.apply(story(t)[:4]...)
		l.apply(contain(t, "n1", events.TypeAssembled, "2025-02-04T12:00:00Z", "sys:NEW", "chip:K1"))
		l.apply(receive(t, "n2", "2025-02-05T00:00:00Z", "P-DIST", "S-WH", "SG", "pkg:K"))
		st := l.unit("chip:K1")
		assert.Equal(t, events.UnitID("sys:NEW"), st.Container)
		assert.Equal(t, "assembled", st.Status, "the pallet's receipt no longer reaches it")
		assert.Empty(t, l.unit("sys:K").Contents)
		assert.Equal(t, []events.UnitID{"chip:K1"}, l.unit("sys:NEW").Contents)
	})
}

func TestCorrections(t *testing.T) {
	base := func(t *testing.T) []events.Event {
		return []events.Event{
			commission(t, "k1", "2025-03-01T00:00:00Z", "chip:C1", "H100-SXM5-80GB"),
			ship(t, "k2", "2025-03-02T00:00:00Z", "P-A", "US", "P-B", "SG", "chip:C1"),
			receive(t, "k3", "2025-03-03T00:00:00Z", "P-B", "S-B", "SG", "chip:C1"),
		}
	}
	wrongParty := func(t *testing.T) events.Event {
		return receive(t, "k3", "2025-03-03T00:00:00Z", "P-C", "S-C", "SG", "chip:C1")
	}
	t.Run("retract removes the step and its effect", func(t *testing.T) {
		l := newLedger(t)
		l.apply(base(t)...)
		assert.Equal(t, 1, l.holdings(projections.BySite, "S-B").Received)
		l.apply(retract(t, "r1", "2025-03-04T00:00:00Z", "k3"))
		assert.Equal(t, []string{events.TypeCommissioned, events.TypeShipped}, types(l.chain("chip:C1")))
		st := l.unit("chip:C1")
		assert.Equal(t, []string{"P-DHL", "in_transit", "US"}, []string{st.Holder, st.Status, st.Country})
		assert.Equal(t, 0, l.holdings(projections.BySite, "S-B").Received)
		assert.Equal(t, 0, l.holdings(projections.ByParty, "P-B").Chips)
	})
	t.Run("amend replaces the step", func(t *testing.T) {
		l := newLedger(t)
		l.apply(base(t)...)
		l.apply(amend(t, "a1", "2025-03-04T00:00:00Z", wrongParty(t)))
		steps := l.chain("chip:C1")
		require.Len(t, steps, 3)
		s := steps[2]
		assert.Equal(t, []string{"k3", "P-C", "S-C"}, []string{s.EventID, s.Holder, s.Site})
		assert.True(t, s.Amended)
		assert.Equal(t, uint64(4), s.Seq, "cites the correction")
		assert.Equal(t, uint64(3), s.Original)
		assert.Equal(t, "P-C", l.unit("chip:C1").Holder)
		assert.Equal(t, 0, l.holdings(projections.ByParty, "P-B").Chips)
		assert.Equal(t, 1, l.holdings(projections.ByParty, "P-C").Chips)
	})
	t.Run("a correction before its target waits for it", func(t *testing.T) {
		evs := base(t)
		l := newLedger(t)
		l.apply(evs[0], evs[1], retract(t, "r1", "2025-03-04T00:00:00Z", "k3"))
		l.apply(evs[2])
		assert.Equal(t, []string{events.TypeCommissioned, events.TypeShipped}, types(l.chain("chip:C1")))
		assert.Equal(t, "in_transit", l.unit("chip:C1").Status)

		l2 := newLedger(t)
		l2.apply(evs[0], amend(t, "a1", "2025-03-04T00:00:00Z", wrongParty(t)), evs[1], evs[2])
		assert.Equal(t, "P-C", l2.unit("chip:C1").Holder)
		assert.True(t, l2.chain("chip:C1")[2].Amended)
	})
	t.Run("the latest correction wins in any order", func(t *testing.T) {
		evs := base(t)
		a := amend(t, "a1", "2025-03-04T00:00:00Z", wrongParty(t))
		r := retract(t, "r1", "2025-03-05T00:00:00Z", "k3")
		l1, l2 := newLedger(t), newLedger(t)
		l1.apply(append(evs, a, r)...)
		l2.apply(append(evs, r, a)...)
		for _, l := range []*ledger{l1, l2} {
			assert.Equal(t, []string{events.TypeCommissioned, events.TypeShipped}, types(l.chain("chip:C1")))
		}
		assert.Equal(t, l1.dump(false), l2.dump(false))
	})
	t.Run("a unit named only by a replaced amendment is unknown", func(t *testing.T) {
		evs := base(t)
		a := amend(t, "a1", "2025-03-04T00:00:00Z", receive(t, "k3", "2025-03-03T00:00:00Z", "P-B", "S-B", "SG", "chip:C1", "chip:ZZ"))
		r := retract(t, "r1", "2025-03-05T00:00:00Z", "k3")
		l1, l2 := newLedger(t), newLedger(t)
		l1.apply(append(evs, a, r)...) // the amendment applies, then the retraction replaces it
		l2.apply(append(evs, r, a)...) // the amendment is never in force
		for _, l := range []*ledger{l1, l2} {
			assert.Equal(t, []events.UnitID{"chip:C1"}, l.p.Units())
			_, err := l.p.Unit(l.src, "chip:ZZ")
			assert.ErrorIs(t, err, projections.ErrNotFound)
		}
		assert.Equal(t, l1.dump(false), l2.dump(false))
	})
	t.Run("retracting an assembly stops the chip following the server", func(t *testing.T) {
		l := newLedger(t)
		l.apply(
			commission(t, "m1", "2025-03-01T00:00:00Z", "chip:M1", "H100-SXM5-80GB"),
			contain(t, "m2", events.TypeAssembled, "2025-03-02T00:00:00Z", "sys:M", "chip:M1"),
			ship(t, "m3", "2025-03-03T00:00:00Z", "P-A", "US", "P-B", "SG", "sys:M"),
		)
		assert.Len(t, l.chain("chip:M1"), 3)
		l.apply(retract(t, "r1", "2025-03-04T00:00:00Z", "m2"))
		assert.Equal(t, []string{events.TypeCommissioned}, types(l.chain("chip:M1")))
		st := l.unit("chip:M1")
		assert.Equal(t, "commissioned", st.Status)
		assert.Empty(t, st.Container)
		assert.Empty(t, l.unit("sys:M").Contents)
	})
	t.Run("reference data", func(t *testing.T) {
		reg := mk(t, "p1", events.TypePartyRegistered, "2025-01-01T00:00:00Z",
			`{"party":"P-X","name":"X Ltd","country":"SG","hq_country":"SG","types":["distributor"]}`)
		fixed := mk(t, "p1", events.TypePartyRegistered, "2025-01-01T00:00:00Z",
			`{"party":"P-X","name":"X Ltd","country":"SG","hq_country":"CN","types":["distributor"]}`)
		l := newLedger(t)
		l.apply(reg, amend(t, "a1", "2025-01-02T00:00:00Z", fixed))
		pt, ok := l.p.Party("P-X")
		require.True(t, ok)
		assert.Equal(t, "CN", pt.HQCountry)
		assert.True(t, pt.Amended)
		assert.Equal(t, uint64(2), pt.Seq)
		l.apply(retract(t, "r1", "2025-01-03T00:00:00Z", "p1"))
		_, ok = l.p.Party("P-X")
		assert.False(t, ok)
	})
	t.Run("an amendment of another type is ignored", func(t *testing.T) {
		l := newLedger(t)
		l.apply(base(t)...)
		other := install(t, "k3", "2025-03-03T00:00:00Z", "S-Z", "SG", "chip:C1")
		l.apply(amend(t, "a1", "2025-03-04T00:00:00Z", other))
		assert.Equal(t, "received", l.unit("chip:C1").Status)
	})
}

func TestHoldings(t *testing.T) {
	chips := []string{"chip:H1", "chip:H2", "chip:H3", "chip:H4"}
	var evs []events.Event
	for i, c := range chips {
		model := "H100-SXM5-80GB"
		if i == 3 {
			model = "b200" // an alias, any case
		}
		evs = append(evs, commission(t, "h-c"+c, "2025-04-01T00:00:00Z", c, model))
	}
	evs = append(evs,
		contain(t, "h1", events.TypeAssembled, "2025-04-02T00:00:00Z", "sys:H", chips...),
		contain(t, "h2", events.TypePacked, "2025-04-03T00:00:00Z", "pkg:H", "sys:H"),
		ship(t, "h3", "2025-04-04T00:00:00Z", "P-OEM", "US", "P-DC", "SG", "pkg:H"),
		receive(t, "h4", "2025-04-05T00:00:00Z", "P-DC", "S-DC1", "SG", "pkg:H"),
	)
	l := newLedger(t)
	l.apply(evs...)

	t.Run("chips count once, wherever they sit", func(t *testing.T) {
		for _, tc := range []struct{ by, id string }{{projections.ByParty, "P-DC"}, {projections.BySite, "S-DC1"}, {projections.ByCountry, "SG"}} {
			h := l.holdings(tc.by, tc.id)
			assert.Equal(t, 6, h.Units, "%s %s: 4 chips, a server and a pallet", tc.by, tc.id)
			assert.Equal(t, 4, h.Chips)
			assert.Equal(t, 3*15832.0+36000, h.TPP)
			assert.InDelta(t, 3+36000.0/15832, h.H100Equivalents, 1e-9)
			assert.Equal(t, map[string]int{"H100-SXM5-80GB": 3, "B200-SXM-192GB": 1}, h.ByModel)
			assert.Equal(t, 4, h.Received)
			assert.Equal(t, 0, h.Installed)
		}
		assert.Equal(t, 3*15832.0+36000, l.unit("pkg:H").TPP, "a pallet's TPP is its chips'")
	})
	t.Run("received vs installed per site", func(t *testing.T) {
		l.apply(
			contain(t, "h5", events.TypeUnpacked, "2025-04-06T00:00:00Z", "pkg:H", "sys:H"),
			contain(t, "h6", events.TypeDisassembled, "2025-04-06T01:00:00Z", "sys:H", "chip:H3", "chip:H4"),
			install(t, "h7", "2025-04-07T00:00:00Z", "S-DC1", "SG", "sys:H"),
			ship(t, "h8", "2025-04-08T00:00:00Z", "P-DC", "SG", "P-FAR", "AE", "chip:H3"),
			receive(t, "h9", "2025-04-09T00:00:00Z", "P-FAR", "S-FAR", "AE", "chip:H3"),
			mk(t, "h10", events.TypeDestroyed, "2025-04-10T00:00:00Z", `{"units":["chip:H4"],"by":"P-DC"}`),
		)
		h := l.holdings(projections.BySite, "S-DC1")
		assert.Equal(t, 4, h.Received, "every chip was received there")
		assert.Equal(t, 2, h.Installed, "two are installed there now")
		assert.Equal(t, 2, h.Chips, "one left, one was destroyed")
		assert.Equal(t, map[string]int{"H100-SXM5-80GB": 2}, h.ByModel)
		far := l.holdings(projections.ByCountry, "AE")
		assert.Equal(t, []int{1, 1, 0}, []int{far.Chips, far.Received, far.Installed})
		held, err := l.p.HeldUnits(projections.BySite, "S-DC1")
		require.NoError(t, err)
		assert.Equal(t, []events.UnitID{"chip:H1", "chip:H2", "pkg:H", "sys:H"}, held)
	})
	t.Run("nothing held", func(t *testing.T) {
		assert.Equal(t, projections.Holdings{By: projections.ByParty, ID: "P-NOBODY"}, l.holdings(projections.ByParty, "P-NOBODY"))
		_, err := l.p.Holdings(l.src, "planet", "earth")
		require.Error(t, err)
		assert.False(t, errors.Is(err, projections.ErrNotFound))
	})
}

// story returns a generated story of several pallets of servers of chips,
// with reuse of containers, late-free distinct occurred_at times, and
// corrections.
func story(t testing.TB) []events.Event {
	base := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	tick := 0
	at := func() string { tick++; return base.Add(time.Duration(tick) * time.Hour).Format(time.RFC3339) }
	var evs []events.Event
	id := func(s string, i int) string { return s + "-" + string(rune('a'+i)) }
	for pl := 0; pl < 3; pl++ {
		pkg := id("pkg:P", pl)
		var servers []string
		for sv := 0; sv < 2; sv++ {
			sys := id("sys:S", pl*2+sv)
			servers = append(servers, sys)
			var chips []string
			for c := 0; c < 3; c++ {
				chip := id("chip:X", pl*6+sv*3+c)
				chips = append(chips, chip)
				evs = append(evs, commission(t, "cm-"+chip, at(), chip, []string{"H100-SXM5-80GB", "H20", "MI300X"}[c]))
			}
			evs = append(evs, contain(t, "as-"+sys, events.TypeAssembled, at(), sys, chips...))
		}
		evs = append(evs,
			contain(t, "pk-"+pkg, events.TypePacked, at(), pkg, servers...),
			ship(t, "sh-"+pkg, at(), "P-OEM", "US", "P-HUB", "SG", pkg),
			receive(t, "rc-"+pkg, at(), "P-HUB", "S-HUB", "SG", pkg),
			contain(t, "up-"+pkg, events.TypeUnpacked, at(), pkg, servers[0]),
			ship(t, "s2-"+pkg, at(), "P-HUB", "SG", "P-END", "MY", pkg),
			receive(t, "r2-"+pkg, at(), "P-END", "S-END", "MY", pkg),
			install(t, "in-"+servers[0], at(), "S-HUB", "SG", servers[0]),
			mk(t, "ow-"+pkg, events.TypeOwnershipTransferred, at(), `{"units":["`+pkg+`"],"seller":"P-HUB","buyer":"P-END"}`),
			retract(t, "rt-"+pkg, at(), "s2-"+pkg),
		)
	}
	return evs
}

func TestDump(t *testing.T) {
	evs := story(t)
	ordered := newLedger(t)
	ordered.apply(evs...)
	want := ordered.dump(false)

	t.Run("same entries, same bytes", func(t *testing.T) {
		again := newLedger(t)
		again.apply(evs...)
		assert.Equal(t, ordered.dump(true), again.dump(true))
		assert.Equal(t, want, again.dump(false))
	})
	t.Run("same story in other orders, same dump without coordinates", func(t *testing.T) {
		for seed := range uint64(8) {
			shuffled := append([]events.Event(nil), evs...)
			rand.New(rand.NewPCG(seed, 1)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			l := newLedger(t)
			l.apply(shuffled...)
			require.Equal(t, want, l.dump(false), "seed %d", seed)
			assert.NotEqual(t, ordered.dump(true), l.dump(true), "the coordinates differ")
			for _, tc := range []struct{ by, id string }{
				{projections.ByParty, "P-HUB"}, {projections.ByParty, "P-END"}, {projections.ByParty, "P-DHL"},
				{projections.BySite, "S-HUB"}, {projections.BySite, "S-END"}, {projections.ByCountry, "SG"}, {projections.ByCountry, "MY"},
			} {
				assert.Equal(t, ordered.holdings(tc.by, tc.id), l.holdings(tc.by, tc.id), "seed %d: %s %s", seed, tc.by, tc.id)
			}
		}
	})
	t.Run("holdings agree with the unit states", func(t *testing.T) {
		chips := map[string]int{}
		for _, u := range ordered.p.Units() {
			st := ordered.unit(string(u))
			if st.Kind == events.KindChip && st.Holder != "" && st.Status != "destroyed" && st.Status != "lost" {
				chips[st.Holder]++
			}
		}
		require.NotEmpty(t, chips)
		for party, n := range chips {
			assert.Equal(t, n, ordered.holdings(projections.ByParty, party).Chips, party)
		}
	})
}

func TestSnapshot(t *testing.T) {
	exs := examples(t)
	for _, cut := range []int{0, 10, 20, 26, len(exs)} {
		t.Run("after "+time.Duration(cut).String()[:len(time.Duration(cut).String())-2]+" entries", func(t *testing.T) {
			l := newLedger(t)
			l.apply(exs[:cut]...)
			snap, err := l.p.MarshalBinary()
			require.NoError(t, err)
			snap2, err := l.p.MarshalBinary()
			require.NoError(t, err)
			assert.Equal(t, snap, snap2, "the same state gives the same bytes")

			restored := &ledger{t: t, p: projections.New(policy.Default()), src: l.src, seq: l.seq}
			require.NoError(t, restored.p.UnmarshalBinary(snap))
			assert.Equal(t, l.p.Seq(), restored.p.Seq())
			assert.Equal(t, l.p.Now(), restored.p.Now())
			assert.Equal(t, l.dump(true), restored.dump(true))

			l.apply(exs[cut:]...)
			restored.seq = uint64(cut)
			for _, ev := range exs[cut:] { // the same entries, continued
				restored.seq++
				require.NoError(t, restored.p.Apply(l.src[restored.seq]), ev.ID)
			}
			assert.Equal(t, l.dump(true), restored.dump(true))
			for _, id := range []string{"P-MERLION-CLOUD", "P-SUPERMICRO", "P-LIONCITY"} {
				assert.Equal(t, l.holdings(projections.ByParty, id), restored.holdings(projections.ByParty, id))
			}
		})
	}
	t.Run("pending corrections survive", func(t *testing.T) {
		l := newLedger(t)
		l.apply(commission(t, "s1", "2025-01-01T00:00:00Z", "chip:S1", "A100"), retract(t, "r1", "2025-01-03T00:00:00Z", "s2"))
		snap, err := l.p.MarshalBinary()
		require.NoError(t, err)
		p := projections.New(policy.Default())
		require.NoError(t, p.UnmarshalBinary(snap))
		l.p = p
		l.apply(ship(t, "s2", "2025-01-02T00:00:00Z", "P-A", "US", "P-B", "SG", "chip:S1"))
		assert.Equal(t, "commissioned", l.unit("chip:S1").Status)
	})
	t.Run("garbage is refused", func(t *testing.T) {
		p := projections.New(policy.Default())
		require.Error(t, p.UnmarshalBinary([]byte("not a snapshot")))
	})
}
