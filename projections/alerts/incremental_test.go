package alerts_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/policy"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/projections/alerts"
	"github.com/chipledger/chipledger/simulate"
)

func openIDs(d *alerts.Detector) []string {
	var out []string
	for _, a := range d.Alerts(alerts.Filter{State: alerts.StateOpen}) {
		out = append(out, a.ID)
	}
	slices.Sort(out)
	return out
}

func evaluate(t testing.TB, d *alerts.Detector, w *world) {
	t.Helper()
	_, err := d.Evaluate(w.p, w.src)
	require.NoError(t, err)
}

// A retracted event withdraws the alert it was the evidence of; the
// alert stays, withdrawn, with the sequence that withdrew it.
func TestRetractionWithdraws(t *testing.T) {
	s := newStory(t)
	s.deliver("P-DE", "S-DE", "DE")
	bad := s.ev("2025-07-01", &events.LocationAttested{Units: []events.UnitID{"sys:S1"}, Country: "RU", Method: "telemetry", Attestor: "P-NVIDIA"})
	d := alerts.New(alerts.Options{})
	evaluate(t, d, s.w)
	open := d.Alerts(alerts.Filter{Subject: "sys:S1", Rule: "R1"})
	require.Len(t, open, 1)
	require.Equal(t, alerts.StateOpen, open[0].State)
	require.Equal(t, bad, open[0].FirstEvent)
	require.Equal(t, "R1:sys:S1:"+bad, open[0].ID)
	require.Equal(t, alerts.SeverityCritical, open[0].CaseSeverity, "R1 and R9 on one chain")

	s.ev("2025-07-02", &events.Corrected{Target: bad, Action: events.ActionRetract, Reason: "typed RU for DE"})
	evaluate(t, d, s.w)
	a, err := d.Alert(open[0].ID)
	require.NoError(t, err)
	require.Equal(t, alerts.StateWithdrawn, a.State)
	require.Equal(t, s.w.p.Seq(), a.WithdrawnSeq)
	require.Empty(t, d.Alerts(alerts.Filter{Subject: "sys:S1", State: alerts.StateOpen}))
}

// A late install (occurred in time, delivered later) withdraws gone dark.
func TestLateEventReevaluates(t *testing.T) {
	s := newStory(t)
	s.ship("2025-02-02", "sys:S1", "P-OEM", "US", "P-IN", "S-IN", "IN")
	s.receive("2025-02-05", "sys:S1", "P-IN", "S-IN", "IN")
	s.attest("sys:SX", "DE", "2025-06-30", "2025-06-30")
	d := alerts.New(alerts.Options{})
	evaluate(t, d, s.w)
	require.NotEmpty(t, d.Alerts(alerts.Filter{Subject: "sys:S1", Rule: "R8", State: alerts.StateOpen}))

	s.install("2025-02-20", "sys:S1", "S-IN", "IN", "")
	s.attest("sys:S1", "IN", "2025-02-21", "2025-06-30")
	evaluate(t, d, s.w)
	require.Empty(t, d.Alerts(alerts.Filter{Subject: "sys:S1", Rule: "R8", State: alerts.StateOpen}))
	require.NotEmpty(t, d.Alerts(alerts.Filter{Subject: "sys:S1", Rule: "R8", State: alerts.StateWithdrawn}))
}

// A new policy version re-judges what it touches from its effective date:
// a longer hub-dwell threshold raises R7 on a dwell the old one allowed.
func TestNewPolicyReevaluates(t *testing.T) {
	s := newStory(t)
	s.ship("2025-02-02", "sys:S1", "P-OEM", "US", "P-FWD", "S-FWD", "SG")
	s.receive("2025-02-05", "sys:S1", "P-FWD", "S-FWD", "SG")
	s.ship("2025-02-25", "sys:S1", "P-FWD", "SG", "P-DE", "S-DE", "DE")
	d := alerts.New(alerts.Options{})
	evaluate(t, d, s.w)
	require.Empty(t, d.Alerts(alerts.Filter{Subject: "sys:S1", Rule: "R7"}))
	old := d.Stats().Policies
	require.Len(t, old, 1)

	data := bytes.Replace(policy.DefaultBundleJSON(), []byte(`"hub_dwell_days": 14,`), []byte(`"hub_dwell_days": 30,`), 1)
	_, err := policy.LoadBundle(data)
	require.NoError(t, err)
	s.ev("2025-03-01", &events.PolicyActivated{Document: events.Document{Name: policy.BundleName, Version: "test-2", Digest: events.Digest(data),
		Effective: "2025-01-01", Source: "test", Content: string(data)}})
	evaluate(t, d, s.w)
	got := d.Alerts(alerts.Filter{Subject: "sys:S1", Rule: "R7", State: alerts.StateOpen})
	require.Len(t, got, 1)
	require.Equal(t, events.Digest(data), got[0].Policy.Digest, "the alert cites the policy it was judged under")
	require.Len(t, d.Stats().Policies, 2)
}

// A policy document whose content is not a valid bundle is a problem the
// detector reports; the valid versions stay in force.
func TestBrokenPolicyReported(t *testing.T) {
	s := newStory(t)
	content := `{"name":"chipledger-policy"}`
	s.ev("2025-03-01", &events.PolicyActivated{Document: events.Document{Name: policy.BundleName, Version: "broken", Digest: events.Digest([]byte(content)),
		Effective: "2025-01-01", Source: "test", Content: content}})
	s.deliver("P-CN", "S-CN", "CN")
	d := alerts.New(alerts.Options{})
	evaluate(t, d, s.w)
	st := d.Stats()
	require.Len(t, st.Problems, 1)
	require.Equal(t, "broken", st.Problems[0].Version)
	require.NotEmpty(t, d.Alerts(alerts.Filter{Subject: "sys:S1", Rule: "R1"}))
}

// The same story ingested in another order gives the same alert ids, and
// evaluating as entries arrive ends where one evaluation at the end does.
func TestOrderAndEvaluationIndependence(t *testing.T) {
	sim, err := simulate.New(simulate.Options{Seed: 3, Chips: 200})
	require.NoError(t, err)
	var lines [][]byte
	_, err = sim.Run(context.Background(), sinkFunc(func(line []byte) { lines = append(lines, bytes.Clone(line)) }))
	require.NoError(t, err)

	build := func(order [][]byte, evalEvery int) *alerts.Detector {
		w := &world{p: projections.New(policy.Default()), src: &memSource{}}
		d := alerts.New(alerts.Options{})
		seen := map[string]bool{}
		for i, l := range order {
			ev, err := events.Decode(l)
			require.NoError(t, err)
			if seen[ev.ID] {
				continue
			}
			seen[ev.ID] = true
			require.NoError(t, w.apply(ev))
			if evalEvery > 0 && i%evalEvery == evalEvery-1 {
				evaluate(t, d, w)
			}
		}
		evaluate(t, d, w)
		return d
	}
	once := build(lines, 0)
	ids := openIDs(once)
	require.NotEmpty(t, ids)

	shuffled := slices.Clone(lines)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	require.Equal(t, ids, openIDs(build(shuffled, 0)), "another ingestion order")

	stream := build(lines, len(lines)/4+1)
	require.Equal(t, ids, openIDs(stream), "evaluated as entries arrive")
	var withdrawn int
	for _, a := range stream.Alerts(alerts.Filter{State: alerts.StateWithdrawn}) {
		require.Truef(t, strings.HasPrefix(a.ID, a.Rule+":"), "id %s", a.ID)
		withdrawn++
	}
	t.Logf("%d open alerts, %d withdrawn while streaming", len(ids), withdrawn)
}

type sinkFunc func(line []byte)

func (f sinkFunc) Event(line, _ []byte) error { f(line); return nil }

// An investigator's decision in the ledger is the alert's state; the
// detector's withdrawal overrides it; a decision does not move the clock.
func TestDecisionsSetState(t *testing.T) {
	s := newStory(t)
	s.deliver("P-DE", "S-DE", "DE", payer("P-CN"))
	d := alerts.New(alerts.Options{})
	evaluate(t, d, s.w)
	got := d.Alerts(alerts.Filter{Subject: "sys:S1", Rule: "R6"})
	require.Len(t, got, 1)
	id := got[0].ID
	now := s.w.p.Now()

	s.ev("2026-11-30", &events.AlertAcknowledged{Triage: events.Triage{Alert: id, Investigator: "alice"}})
	evaluate(t, d, s.w)
	a, err := d.Alert(id)
	require.NoError(t, err)
	require.Equal(t, alerts.StateAcknowledged, a.State)
	require.Equal(t, now, s.w.p.Now(), "a decision does not move the ledger's clock")

	s.ev("2026-12-01", &events.AlertDismissed{Triage: events.Triage{Alert: id, Investigator: "bob", Reason: "the payer is the consignee's parent"}})
	evaluate(t, d, s.w)
	a, err = d.Alert(id)
	require.NoError(t, err)
	require.Equal(t, alerts.StateDismissed, a.State)
	require.Len(t, a.Decisions, 2)
	require.Equal(t, "bob", a.Decisions[1].Investigator)
	require.Equal(t, "the payer is the consignee's parent", a.Decisions[1].Reason)
	require.Equal(t, 1, d.Stats().ByState[alerts.StateDismissed])
}
