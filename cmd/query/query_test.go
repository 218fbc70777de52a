package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/httpapi"
	"github.com/chipledger/chipledger/ingest"
	"github.com/chipledger/chipledger/ledger"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/replica"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// exampleLedger writes the examples of docs/events.md into a closed ledger
// directory and returns it.
func exampleLedger(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ledger")
	f, err := os.Open("../../events/testdata/examples.jsonl")
	require.NoError(t, err)
	defer f.Close()
	s, err := ledger.Open(dir, nil)
	require.NoError(t, err)
	_, err = ingest.Import(context.Background(), s, f, "examples.jsonl", ingest.ImportOptions{})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	return dir
}

func TestOfflineCommands(t *testing.T) {
	dir := exampleLedger(t)
	code, out, stderr := run(t, "chain", "chip:1652423000001", "--ledger", dir)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "unit.shipped.v1", "the chip's chain shows the shipment of the pallet it was on")
	assert.Contains(t, out, "pkg:", "the shipment is shown through its pallet")

	code, out, stderr = run(t, "chain", "chip:1652423000001", "--ledger", dir, "--json")
	require.Equal(t, 0, code, stderr)
	var steps []projections.Step
	require.NoError(t, json.Unmarshal([]byte(out), &steps))
	require.NotEmpty(t, steps)
	for i := 1; i < len(steps); i++ {
		assert.False(t, steps[i].OccurredAt.Before(steps[i-1].OccurredAt), "steps in occurred_at order")
	}

	code, out, stderr = run(t, "unit", "1652423000001", "--ledger", dir, "--json")
	require.Equal(t, 0, code, stderr)
	var u projections.UnitState
	require.NoError(t, json.Unmarshal([]byte(out), &u))
	assert.Equal(t, "chip:1652423000001", string(u.Unit), "a bare serial resolves to the chip")
	assert.Greater(t, u.TPP, 0.0, "TPP comes from the chip catalogue")

	// Every step cites an entry whose hash anyone can recompute.
	code, out, stderr = run(t, "entry", "1", "--ledger", dir, "--json")
	require.Equal(t, 0, code, stderr)
	var e replica.EntryView
	require.NoError(t, json.Unmarshal([]byte(out), &e))
	sum := sha256.Sum256(e.Raw)
	assert.Equal(t, hex.EncodeToString(sum[:]), e.Hash)

	code, out, _ = run(t, "holdings", "country", "SG", "--ledger", dir)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "chips")

	code, out, _ = run(t, "verify", "--ledger", dir)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "ok:")

	_, d1, _ := run(t, "dump", "--ledger", dir)
	_, d2, _ := run(t, "dump", "--ledger", dir)
	assert.NotEmpty(t, d1)
	assert.Equal(t, d1, d2, "the dump is canonical, and the kept state resumes to the same answer")
	_, err := os.Stat(dir + ".query-state")
	assert.NoError(t, err, "the state is kept beside the ledger")

	code, _, stderr = run(t, "chain", "chip:NOPE", "--ledger", dir)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "not found")
	code, _, _ = run(t, "chain", "chip:X", "--ledger", dir, "--server", "http://127.0.0.1:1")
	assert.Equal(t, 1, code, "--server and --ledger are exclusive")
	code, _, _ = run(t, "chain")
	assert.Equal(t, 2, code)
}

func TestServeLedgerAPI(t *testing.T) {
	dir := exampleLedger(t)
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"serve", "--ledger", dir, "--state", filepath.Join(t.TempDir(), "state"), "--addr", "127.0.0.1:0", "--token", "t0k"}, pw, io.Discard)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var base string
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
			base = u
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	require.NotEmpty(t, base)
	defer func() {
		cancel()
		assert.Equal(t, 0, <-done)
	}()

	get := func(path, token string) (int, map[string]any) {
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	for _, tc := range []struct {
		name, path, token string
		status            int
		code              string
	}{
		{"unit", "/api/v1/units/chip:1652423000001", "t0k", 200, ""},
		{"chain page", "/api/v1/units/chip:1652423000001/chain?limit=2", "t0k", 200, ""},
		{"tree", "/api/v1/units/chip:1652423000001/tree", "t0k", 200, ""},
		{"entry", "/api/v1/entries/1", "t0k", 200, ""},
		{"holdings", "/api/v1/holdings/country/SG", "t0k", 200, ""},
		{"head", "/api/v1/head", "t0k", 200, ""},
		{"no token", "/api/v1/head", "", 401, "unauthorized"},
		{"wrong token", "/api/v1/head", "nope", 401, "unauthorized"},
		{"unknown unit", "/api/v1/units/chip:NOPE", "t0k", 404, "not_found"},
		{"unknown entry", "/api/v1/entries/999999", "t0k", 404, "not_found"},
		{"bad sequence", "/api/v1/entries/x", "t0k", 400, "bad_request"},
		{"bad limit", "/api/v1/units/chip:1652423000001/chain?limit=0", "t0k", 400, "bad_request"},
		{"bad holdings kind", "/api/v1/holdings/planet/X", "t0k", 400, "bad_request"},
		{"bad unit id", "/api/v1/units/chip:", "t0k", 400, "bad_request"},
		{"health without token", "/healthz", "", 200, ""},
		{"alerts", "/api/v1/alerts?severity=high&since=2025-01-01", "t0k", 200, ""},
		{"alerts: unknown severity", "/api/v1/alerts?severity=urgent", "t0k", 400, "bad_request"},
		{"alerts without token", "/api/v1/alerts", "", 401, "unauthorized"},
		{"unknown alert", "/api/v1/alerts/R1:chip:NOPE:x", "t0k", 404, "not_found"},
		{"detection", "/api/v1/detection", "t0k", 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := get(tc.path, tc.token)
			assert.Equal(t, tc.status, status, "%v", body)
			if tc.code != "" {
				e, _ := body["error"].(map[string]any)
				assert.Equal(t, tc.code, e["code"], "%v", body)
			}
		})
	}
	_, page := get("/api/v1/units/chip:1652423000001/chain?limit=2", "t0k")
	assert.Len(t, page["items"], 2)
	assert.NotNil(t, page["next"], "a chain longer than the page has a next offset")

	// The CLI against the server gives what it gives offline.
	code, viaServer, stderr := run(t, "chain", "chip:1652423000001", "--server", base, "--token", "t0k", "--json")
	require.Equal(t, 0, code, stderr)
	_, offline, _ := run(t, "chain", "chip:1652423000001", "--ledger", dir, "--json")
	assert.JSONEq(t, offline, viaServer)

	// Detection runs beside the server; once it has evaluated the head, the
	// alerts are those of an offline evaluation.
	require.Eventually(t, func() bool {
		_, st := get("/api/v1/status", "t0k")
		d, _ := st["detection"].(map[string]any)
		return d != nil && d["evaluations"] == 1.0 && d["seq"] == st["head"]
	}, time.Minute, 10*time.Millisecond, "the server's detector evaluates the head")
	code, viaServer, stderr = run(t, "alerts", "--server", base, "--token", "t0k", "--json")
	require.Equal(t, 0, code, stderr)
	code, offline, stderr = run(t, "alerts", "--ledger", dir, "--json")
	require.Equal(t, 0, code, stderr)
	assert.JSONEq(t, offline, viaServer)
	var list httpapi.AlertList
	require.NoError(t, json.Unmarshal([]byte(viaServer), &list))
	require.NotEmpty(t, list.Alerts)
	id := list.Alerts[0].ID
	code, viaServer, stderr = run(t, "alert", id, "--server", base, "--token", "t0k")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, viaServer, id)
	_, offline, _ = run(t, "alert", id, "--ledger", dir)
	assert.Equal(t, offline, viaServer)
	code, _, stderr = run(t, "alert", "R1:chip:NOPE:x", "--server", base, "--token", "t0k")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "not found")
	code, _, stderr = run(t, "alerts", "--server", base, "--token", "t0k", "--since", "2025-13-01")
	assert.Equal(t, 2, code, "a bad date is a usage error before asking the server: %s", stderr)
}
