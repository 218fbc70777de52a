package alerts_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/policy"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/projections/alerts"
	"github.com/chipledger/chipledger/simulate"
)

// memSource is a ledger in memory: entries by sequence.
type memSource struct{ entries []projections.Entry }

func (m *memSource) Entry(seq uint64) (projections.Entry, error) {
	if seq == 0 || seq > uint64(len(m.entries)) {
		return projections.Entry{}, fmt.Errorf("entry %d: %w", seq, projections.ErrNotFound)
	}
	return m.entries[seq-1], nil
}

// world is a simulated world applied to a projection, the way ingest and a
// replica would: repeats of an event id skipped, sequences in delivery order.
type world struct {
	p     *projections.Projection
	src   *memSource
	truth *alerts.Truth
}

type sink struct {
	w    *world
	seen map[string]bool
	err  error
}

func (s *sink) Event(line, _ []byte) error {
	ev, err := events.Decode(line)
	if err != nil {
		return err
	}
	if s.seen[ev.ID] {
		return nil
	}
	s.seen[ev.ID] = true
	return s.w.apply(ev)
}

func (w *world) apply(ev events.Event) error {
	e := projections.Entry{Seq: uint64(len(w.src.entries) + 1), Event: ev}
	e.Hash = fmt.Sprintf("%064x", e.Seq)
	w.src.entries = append(w.src.entries, e)
	return w.p.Apply(e)
}

func simulated(t testing.TB, chips int, seed int64) *world {
	t.Helper()
	sim, err := simulate.New(simulate.Options{Seed: seed, Chips: chips})
	require.NoError(t, err)
	w := &world{p: projections.New(policy.Default()), src: &memSource{}}
	_, err = sim.Run(context.Background(), &sink{w: w, seen: map[string]bool{}})
	require.NoError(t, err)
	var buf strings.Builder
	require.NoError(t, sim.WriteTruth(&buf))
	w.truth, err = alerts.ReadTruth(strings.NewReader(buf.String()))
	require.NoError(t, err)
	return w
}

func unitIDs(p *projections.Projection) []string {
	var out []string
	for _, u := range p.Units() {
		if k := u.Kind(); k == events.KindChip || k == events.KindSys {
			out = append(out, string(u))
		}
	}
	return out
}

// TestSimulatedWorld judges a simulated world and scores it against the
// simulator's truth: every expected rule found on every scenario subject,
// and at most 0.5% of the benign units with a high or critical alert.
func TestSimulatedWorld(t *testing.T) {
	chips, seed := 2000, int64(7)
	if v := os.Getenv("ALERTS_WORLD_CHIPS"); v != "" { // a larger world, e.g. the 100,000-chip measurement
		chips, _ = strconv.Atoi(v)
	}
	if v := os.Getenv("ALERTS_WORLD_SEED"); v != "" {
		seed, _ = strconv.ParseInt(v, 10, 64)
	}
	w := simulated(t, chips, seed)
	d := alerts.New(alerts.Options{})
	_, err := d.Evaluate(w.p, w.src)
	require.NoError(t, err)
	score := alerts.Eval(w.truth, d.Alerts(alerts.Filter{}), unitIDs(w.p))
	if os.Getenv("ALERTS_SCORE") != "" {
		b, _ := json.MarshalIndent(score, "", "  ")
		t.Log(string(b))
	}
	for _, r := range score.Recall {
		require.Equalf(t, r.Expected, r.Found, "scenario %s rule %s (%s): found %d of %d, missed %v", r.Scenario, r.Rule, r.Kind, r.Found, r.Expected, r.Missed)
	}
	require.LessOrEqualf(t, score.BenignShare, 0.005, "benign units with a high or critical alert: %d of %d, e.g. %v", score.BenignFlagged, score.BenignUnits, score.BenignFlaggedIDs)
}
