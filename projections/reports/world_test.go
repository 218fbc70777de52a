package reports

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/ingest"
	"github.com/chipledger/chipledger/ledger"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/projections/alerts"
	"github.com/chipledger/chipledger/replica"
	"github.com/chipledger/chipledger/simulate"
)

// testWorld is a small simulated world (every scenario and its benign
// twins) imported into a ledger and copied into a replica whose detector
// has evaluated it: what `query serve` holds.
type testWorld struct {
	r     *replica.Replica
	truth *alerts.Truth
	idx   *Index
}

var theWorld *testWorld

func TestMain(m *testing.M) {
	tmp, err := os.MkdirTemp("", "reports-world-")
	if err != nil {
		panic(err)
	}
	code := func() int {
		w, err := buildWorld(tmp)
		if err != nil {
			fmt.Fprintln(os.Stderr, "reports: building the test world:", err)
			return 1
		}
		theWorld = w
		defer w.r.Close()
		return m.Run()
	}()
	_ = os.RemoveAll(tmp)
	os.Exit(code)
}

func buildWorld(tmp string) (*testWorld, error) {
	ctx := context.Background()
	sim, err := simulate.New(simulate.Options{Seed: 7, Chips: simulate.MinChips})
	if err != nil {
		return nil, err
	}
	var world bytes.Buffer
	ws := simulate.NewWriterSink(&world)
	if _, err := sim.Run(ctx, ws); err != nil {
		return nil, err
	}
	if err := ws.Flush(); err != nil {
		return nil, err
	}
	var truth bytes.Buffer
	if err := sim.WriteTruth(&truth); err != nil {
		return nil, err
	}
	t, err := alerts.ReadTruth(&truth)
	if err != nil {
		return nil, err
	}
	s, err := ledger.Open(filepath.Join(tmp, "ledger"), nil)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	c, err := ingest.Import(ctx, s, &world, "world.jsonl", ingest.ImportOptions{})
	if err != nil {
		return nil, err
	}
	if c.Rejected != 0 {
		return nil, fmt.Errorf("%d lines rejected", c.Rejected)
	}
	r, err := replica.Open(filepath.Join(tmp, "replica"), replica.Options{})
	if err != nil {
		return nil, err
	}
	if err := r.SyncLedger(ctx, s); err != nil {
		_ = r.Close()
		return nil, err
	}
	if _, err := r.Detect(); err != nil {
		_ = r.Close()
		return nil, err
	}
	ix := NewIndex()
	if err := ix.Update(r, r.Head().Seq); err != nil {
		_ = r.Close()
		return nil, err
	}
	return &testWorld{r: r, truth: t, idx: ix}, nil
}

// view runs fn with the world's input (the replica's alerts at the head).
func (w *testWorld) view(t *testing.T, fn func(in Input)) {
	t.Helper()
	require.NoError(t, w.r.View(func(p *projections.Projection, src projections.Source) error {
		h := w.r.Head()
		pols, problems := LoadPolicies(p, nil, p.Now())
		require.Empty(t, problems)
		fn(Input{Projection: p, Source: src, Ledger: w.r, Index: w.idx, Alerts: w.r.Alerts(alerts.Filter{}), Detection: w.r.AlertStats().Seq,
			Policies: pols, Head: Head{Seq: h.Seq, Hash: h.Hash.String()}})
		return nil
	}))
}

// scenario returns a scenario of the truth.
func (w *testWorld) scenario(t *testing.T, name string) alerts.TruthScenario {
	t.Helper()
	i := slices.IndexFunc(w.truth.Scenarios, func(s alerts.TruthScenario) bool { return s.Name == name })
	require.GreaterOrEqual(t, i, 0, "scenario %s", name)
	return w.truth.Scenarios[i]
}

// subjectUnits returns the unit subjects of a scenario.
func subjectUnits(sc alerts.TruthScenario, kind string) []events.UnitID {
	var out []events.UnitID
	for _, s := range sc.Subjects {
		if s.Kind == alerts.KindUnit && events.UnitID(s.ID).Kind() == kind {
			out = append(out, events.UnitID(s.ID))
		}
	}
	return out
}
