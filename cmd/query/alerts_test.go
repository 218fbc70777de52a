package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/httpapi"
	"github.com/chipledger/chipledger/ingest"
	"github.com/chipledger/chipledger/ledger"
	"github.com/chipledger/chipledger/projections/alerts"
	"github.com/chipledger/chipledger/replica"
	"github.com/chipledger/chipledger/simulate"
)

// importFile appends a JSON Lines file to a new ledger and closes it.
func importFile(t *testing.T, dir, file string) {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	s, err := ledger.Open(dir, nil)
	require.NoError(t, err)
	c, err := ingest.Import(context.Background(), s, f, filepath.Base(file), ingest.ImportOptions{})
	require.NoError(t, err)
	require.Zero(t, c.Rejected)
	require.NoError(t, s.Close())
}

// simulatedLedger writes a small simulated world (100 benign chips and
// every scenario with its benign twins) and its truth file, and imports the
// world into a closed ledger.
func simulatedLedger(t *testing.T) (dir, truthFile string, truth *alerts.Truth) {
	t.Helper()
	tmp := t.TempDir()
	sim, err := simulate.New(simulate.Options{Seed: 7, Chips: simulate.MinChips})
	require.NoError(t, err)
	world := filepath.Join(tmp, "world.jsonl")
	f, err := os.Create(world)
	require.NoError(t, err)
	ws := simulate.NewWriterSink(f)
	_, err = sim.Run(context.Background(), ws)
	require.NoError(t, err)
	require.NoError(t, ws.Flush())
	require.NoError(t, f.Close())
	truthFile = filepath.Join(tmp, "truth.json")
	tf, err := os.Create(truthFile)
	require.NoError(t, err)
	require.NoError(t, sim.WriteTruth(tf))
	require.NoError(t, tf.Close())
	tf, err = os.Open(truthFile)
	require.NoError(t, err)
	defer tf.Close()
	truth, err = alerts.ReadTruth(tf)
	require.NoError(t, err)
	dir = filepath.Join(tmp, "ledger")
	importFile(t, dir, world)
	return dir, truthFile, truth
}

func scenario(t *testing.T, truth *alerts.Truth, name string) alerts.TruthScenario {
	t.Helper()
	i := slices.IndexFunc(truth.Scenarios, func(s alerts.TruthScenario) bool { return s.Name == name })
	require.GreaterOrEqual(t, i, 0, "scenario %s in the truth", name)
	return truth.Scenarios[i]
}

// TestAlertCommandsOnASimulatedWorld runs query alerts, alert and eval
// offline on a simulated world and checks them against the simulator's
// truth.
func TestAlertCommandsOnASimulatedWorld(t *testing.T) {
	dir, truthFile, truth := simulatedLedger(t)
	alx := scenario(t, truth, "alx-solutions")
	alxUnits := map[string]bool{}
	for _, s := range alx.Subjects {
		if s.Kind == alerts.KindUnit && slices.Contains(s.Rules, "R1") {
			alxUnits[s.ID] = true
		}
	}
	require.NotEmpty(t, alxUnits, "alx-solutions expects R1 on its units")

	// query alerts --json: the API's list.
	code, out, stderr := run(t, "alerts", "--ledger", dir, "--rule", "R1", "--json", "--log-level", "warn")
	require.Equal(t, 0, code, stderr)
	var list httpapi.AlertList
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	require.NotEmpty(t, list.Alerts)
	assert.Equal(t, len(list.Alerts), list.Total)
	assert.Equal(t, list.Detection.ByRule["R1"], list.Total, "every R1 alert is open")
	assert.Empty(t, list.Detection.Problems, "the simulated world carries its policy and screening list")
	require.NotEmpty(t, list.Detection.Policies)
	assert.Equal(t, "chipledger-policy", list.Detection.Policies[0].Name)
	var alxAlert *alerts.Alert
	for i, a := range list.Alerts {
		assert.Equal(t, "R1", a.Rule)
		if alxAlert == nil && alxUnits[a.Subject] {
			alxAlert = &list.Alerts[i]
		}
	}
	require.NotNil(t, alxAlert, "an R1 alert on a unit of scenario alx-solutions")
	assert.Equal(t, alerts.KindUnit, alxAlert.SubjectKind)
	assert.Equal(t, alerts.StateOpen, alxAlert.State)
	assert.True(t, strings.HasPrefix(alxAlert.ID, "R1:"+alxAlert.Subject+":"), alxAlert.ID)
	require.NotEmpty(t, alxAlert.Evidence)

	// Its evidence is ledger entries anyone can look up.
	ev := alxAlert.Evidence[0]
	code, out, stderr = run(t, "entry", fmt.Sprint(ev.Seq), "--ledger", dir, "--json", "--log-level", "warn")
	require.Equal(t, 0, code, stderr)
	var e replica.EntryView
	require.NoError(t, json.Unmarshal([]byte(out), &e))
	assert.Equal(t, e.Hash, ev.Hash)
	assert.Equal(t, e.EventID, ev.EventID)

	// query alert ID: fields, evidence, citation.
	code, out, stderr = run(t, "alert", alxAlert.ID, "--ledger", dir, "--log-level", "warn")
	require.Equal(t, 0, code, stderr)
	for _, want := range []string{alxAlert.ID, alxAlert.Sentence, "evidence (", ev.EventID, ev.Hash[:12], ev.Type,
		"chipledger-policy " + alxAlert.Policy.Version + " " + alxAlert.Policy.Digest, "fact source", alxAlert.Fact} {
		assert.Contains(t, out, want)
	}
	code, _, stderr = run(t, "alert", "R1:chip:NOPE:x", "--ledger", dir, "--log-level", "warn")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "not found")

	// The table ends with the count by rule.
	code, out, stderr = run(t, "alerts", "--ledger", dir, "--rule", "R1", "--severity", "critical", "--log-level", "warn")
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Greater(t, len(lines), 3)
	assert.Regexp(t, `^SEVERITY\s+CASE\s+RULE\s+STATE\s+SUBJECT\s+COUNTRY\s+FIRST EVENT\s+SENTENCE$`, lines[0])
	critical := 0
	for _, a := range list.Alerts {
		if a.Severity == alerts.SeverityCritical {
			critical++
		}
	}
	require.Positive(t, critical)
	assert.Regexp(t, fmt.Sprintf(`^R1\s+%d$`, critical), lines[len(lines)-1])
	assert.Contains(t, out, fmt.Sprintf("\n%d alerts (state all)", critical))

	// query eval: every expected rule found on every scenario subject.
	code, out, stderr = run(t, "eval", "--truth", truthFile, "--ledger", dir, "--json", "--log-level", "warn")
	require.Equal(t, 0, code, stderr)
	var score alerts.Score
	require.NoError(t, json.Unmarshal([]byte(out), &score))
	assert.EqualValues(t, 7, score.Seed)
	require.NotEmpty(t, score.Recall)
	for _, r := range score.Recall {
		assert.Equalf(t, r.Expected, r.Found, "scenario %s rule %s (%s): missed %v", r.Scenario, r.Rule, r.Kind, r.Missed)
	}
	assert.Equal(t, 1.0, score.RecallAll, "overall recall")
	assert.Positive(t, score.BenignUnits)
	assert.LessOrEqual(t, score.BenignShare, 0.005, "benign units flagged high or critical: %v", score.BenignFlaggedIDs)

	code, out, stderr = run(t, "eval", "--truth", truthFile, "--ledger", dir, "--log-level", "warn")
	require.Equal(t, 0, code, stderr)
	assert.Regexp(t, `(?m)^alx-solutions\s+R1\s+unit\s+(\d+)/(\d+)\s+1\.000\s+-$`, out)
	assert.Contains(t, out, "overall recall: 1.0000")
	assert.Regexp(t, regexp.MustCompile(fmt.Sprintf(`benign units with a high or critical alert: %d of %d`, score.BenignFlagged, score.BenignUnits)), out)

	// --as-of before the world: nothing had happened yet, nothing is found.
	code, out, stderr = run(t, "eval", "--truth", truthFile, "--ledger", dir, "--as-of", "2024-01-01", "--json", "--log-level", "warn")
	require.Equal(t, 0, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(out), &score))
	assert.Zero(t, score.RecallAll, "judged as of 2024-01-01")
}

func TestAlertCommandUsage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"unknown severity", []string{"alerts", "--severity", "urgent", "--ledger", "x"}, 2, `severity "urgent"`},
		{"bad since", []string{"alerts", "--since", "last week", "--ledger", "x"}, 2, "YYYY-MM-DD"},
		{"unknown state", []string{"alerts", "--alert-state", "closed", "--ledger", "x"}, 2, `state "closed"`},
		{"alert without id", []string{"alert", "--ledger", "x"}, 2, "usage"},
		{"eval without truth", []string{"eval", "--ledger", "x"}, 2, "--truth FILE is required"},
		{"eval bad as-of", []string{"eval", "--truth", "t.json", "--as-of", "soon", "--ledger", "x"}, 2, "--as-of"},
		{"eval against a server", []string{"eval", "--truth", "t.json", "--server", "http://127.0.0.1:1"}, 1, "offline only"},
		{"eval without ledger", []string{"eval", "--truth", "t.json"}, 1, "--ledger DIR is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CHIPLEDGER_LEDGER", "")
			t.Setenv("CHIPLEDGER_SERVER", "")
			code, _, stderr := run(t, tc.args...)
			assert.Equal(t, tc.code, code, stderr)
			assert.Contains(t, stderr, tc.stderr)
		})
	}
}

// TestReferenceDirectory: a screening list activated by digest only is
// found under --reference DIR, under any file name; without it, it is a
// problem the alerts report.
func TestReferenceDirectory(t *testing.T) {
	sim, err := simulate.New(simulate.Options{Seed: 3, Chips: simulate.MinChips})
	require.NoError(t, err)
	csv := sim.Screening()
	digest := events.Digest(csv)
	tmp := t.TempDir()
	examples, err := os.ReadFile("../../events/testdata/examples.jsonl")
	require.NoError(t, err)
	activation := fmt.Sprintf(`{"id":"01950000-0000-7000-8000-00000000aaaa","type":"screening.activated.v1","occurred_at":"2025-02-01T00:00:00Z","recorded_at":"2025-02-01T00:00:00Z","publisher":"P-CHIPLEDGER","body":{"name":"us-csl","version":"2025-02-01","digest":%q,"effective":"2025-02-01","source":"test"}}`, digest)
	world := filepath.Join(tmp, "world.jsonl")
	require.NoError(t, os.WriteFile(world, append(append(examples, activation...), '\n'), 0o644))
	dir := filepath.Join(tmp, "ledger")
	importFile(t, dir, world)
	ref := filepath.Join(tmp, "reference")
	require.NoError(t, os.Mkdir(ref, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(ref, "consolidated.csv"), csv, 0o644))

	stats := func(args ...string) alerts.Stats {
		t.Helper()
		code, out, stderr := run(t, append([]string{"alerts", "--ledger", dir, "--json", "--log-level", "warn"}, args...)...)
		require.Equal(t, 0, code, stderr)
		var l httpapi.AlertList
		require.NoError(t, json.Unmarshal([]byte(out), &l))
		return l.Detection
	}
	digests := func(cs []alerts.Citation) (out []string) {
		for _, c := range cs {
			out = append(out, c.Digest)
		}
		return out
	}
	problems := func(ps []alerts.Problem) (out []string) {
		for _, p := range ps {
			out = append(out, p.Digest)
		}
		return out
	}

	without := stats()
	assert.Contains(t, problems(without.Problems), digest, "without --reference the list is not found")
	assert.NotContains(t, digests(without.Lists), digest)
	for _, p := range without.Problems {
		if p.Digest == digest {
			assert.Contains(t, p.Error, "--reference DIR")
		}
	}

	with := stats("--reference", ref)
	assert.NotContains(t, problems(with.Problems), digest)
	assert.Contains(t, digests(with.Lists), digest, "the list is found by its digest under --reference")

	t.Setenv("CHIPLEDGER_REFERENCE", ref)
	assert.Contains(t, digests(stats().Lists), digest, "$CHIPLEDGER_REFERENCE")
}
