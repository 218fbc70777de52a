package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/ledger"
	"github.com/chipledger/chipledger/ledger/ledgertest"
)

// run runs the ingest command line and returns its exit code and output.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func examples(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../events/testdata/examples.jsonl")
	require.NoError(t, err)
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func TestImportQuarantinesBadLinesAndGoesOn(t *testing.T) {
	good := examples(t)
	require.Greater(t, len(good), 10)
	units := make([]string, 10000)
	for i := range units {
		units[i] = fmt.Sprintf(`"chip:BULK-%05d"`, i)
	}
	bad := []struct{ reason, line string }{
		{"not_json", `{"id": "x", `},
		{"unknown_type", `{"id":"0193a000-0000-7000-8000-000000000001","type":"unit.teleported.v1","occurred_at":"2025-01-01T00:00:00Z","recorded_at":"2025-01-01T00:00:00Z","publisher":"P1","body":{}}`},
		{"missing_field", `{"id":"0193a000-0000-7000-8000-000000000002","type":"unit.received.v1","occurred_at":"2025-01-01T00:00:00Z","recorded_at":"2025-01-01T00:00:00Z","publisher":"P1","body":{"units":["chip:A1"]}}`},
		{"invalid_utf8", "{\"id\":\"0193a000-0000-7000-8000-000000000003\",\"type\":\"unit.lost.v1\",\"occurred_at\":\"2025-01-01T00:00:00Z\",\"recorded_at\":\"2025-01-01T00:00:00Z\",\"publisher\":\"P\xff\",\"body\":{}}"},
		{"duplicate_key", `{"id":"a","id":"b"}`},
		{"too_large", `{"id":"0193a000-0000-7000-8000-000000000004","pad":"` + strings.Repeat("x", 300<<10) + `"}`},
		{"too_many_units", `{"id":"0193a000-0000-7000-8000-000000000005","type":"unit.lost.v1","occurred_at":"2025-01-01T00:00:00Z","recorded_at":"2025-01-01T00:00:00Z","publisher":"P1","body":{"units":[` + strings.Join(units, ",") + `],"party":"P1"}}`},
	}
	// Interleave: a bad line after each of the first good lines.
	var lines []string
	for i, g := range good {
		lines = append(lines, g)
		if i < len(bad) {
			lines = append(lines, bad[i].line)
		}
	}
	file := filepath.Join(t.TempDir(), "events.jsonl")
	require.NoError(t, os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644))
	dir := filepath.Join(t.TempDir(), "ledger")

	code, out, stderr := run(t, "", "import", "--ledger", dir, file)
	require.Equal(t, 0, code, "stdout %s stderr %s", out, stderr)
	assert.Contains(t, out, fmt.Sprintf("appended %d, duplicate 0, rejected %d", len(good), len(bad)))

	s, err := ledger.Open(dir, nil)
	require.NoError(t, err)
	qs, err := s.Quarantine(ledger.QuarantineFilter{})
	require.NoError(t, err)
	require.Len(t, qs, len(bad))
	for i, q := range qs {
		assert.Equal(t, bad[i].reason, q.Reason, "line %d: %s", q.Source.Offset, q.Detail)
		assert.Equal(t, []byte(bad[i].line), q.Original, "quarantine keeps line %d byte for byte", q.Source.Offset)
		assert.Equal(t, int64(2*i+2), q.Source.Offset, "the line number is kept")
	}
	assert.Equal(t, uint64(len(good)), s.Head().Seq)
	require.NoError(t, s.Close())

	// Importing the same file again appends nothing.
	code, out, _ = run(t, "", "import", "--ledger", dir, file)
	require.Equal(t, 0, code)
	assert.Contains(t, out, fmt.Sprintf("appended 0, duplicate %d", len(good)))

	code, out, _ = run(t, "", "verify", "--ledger", dir)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, fmt.Sprintf("ok: %d entries verified", len(good)))
}

func TestImportFromStdinAndConflict(t *testing.T) {
	good := examples(t)
	dir := filepath.Join(t.TempDir(), "ledger")
	code, out, stderr := run(t, strings.Join(good[:3], "\n"), "import", "--ledger", dir, "-")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "appended 3")

	// The same id with other content is a conflict, quarantined.
	var ev map[string]any
	require.NoError(t, json.Unmarshal([]byte(good[0]), &ev))
	ev["recorded_at"] = "2030-01-01T00:00:00Z"
	changed, err := json.Marshal(ev)
	require.NoError(t, err)
	code, out, _ = run(t, string(changed)+"\n", "import", "--ledger", dir, "-")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "rejected 1 (conflict=1)")
}

func TestVerifyNamesTheFirstBadSequence(t *testing.T) {
	good := examples(t)
	dir := filepath.Join(t.TempDir(), "ledger")
	code, _, stderr := run(t, strings.Join(good, "\n"), "import", "--ledger", dir, "-")
	require.Equal(t, 0, code, stderr)
	require.NoError(t, ledgertest.FlipByte(dir, 5))

	code, _, stderr = run(t, "", "verify", "--ledger", dir)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "chain broken at sequence 5")
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"nope"}, {"import"}, {"import", "--ledger"}, {"verify", "extra"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, _, _ := run(t, "", args...)
			assert.Equal(t, 2, code)
		})
	}
	code, _, stderr := run(t, "", "verify")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "--ledger DIR")
}
