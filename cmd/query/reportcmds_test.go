package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/projections/alerts"
	"github.com/chipledger/chipledger/projections/reports"
)

// TestReportCommands runs query report offline and against a server on a
// simulated world: each report in its formats, the same JSON either way,
// an as-of report judged by a detector of its own offline, and the exit
// codes.
func TestReportCommands(t *testing.T) {
	dir, _, truth := simulatedLedger(t)
	alx := scenario(t, truth, "alx-solutions")
	var chip string
	for _, s := range alx.Subjects {
		if s.Kind == alerts.KindUnit && events.UnitID(s.ID).Kind() == events.KindChip {
			chip = s.ID
			break
		}
	}
	require.NotEmpty(t, chip)
	site := ""
	for _, s := range scenario(t, truth, "r12-capacity").Subjects {
		if s.Kind == alerts.KindSite {
			site = s.ID
		}
	}
	require.NotEmpty(t, site)

	// Offline: the exporter report as JSON.
	code, offline, stderr := run(t, "report", "exporter", "P-DELL", "--ledger", dir, "--json", "--log-level", "warn")
	require.Equal(t, 0, code, stderr)
	var exp reports.ExporterReport
	require.NoError(t, json.Unmarshal([]byte(offline), &exp))
	assert.Equal(t, "P-DELL", exp.Party.ID)
	require.NotEmpty(t, exp.Rows)
	require.NotEmpty(t, exp.Totals)
	for _, tot := range exp.Totals {
		chips := 0
		for _, r := range exp.Rows {
			if r.Kind == tot.Kind {
				chips += r.Chips
			}
		}
		assert.Equal(t, tot.Chips, chips, tot.Kind)
	}
	assert.Contains(t, exp.Basis.Scope, "the replica's, evaluated at ledger sequence")
	assert.Equal(t, exp.Basis.Head.Seq, exp.Basis.Detection, "offline, the alerts are evaluated at the head first")

	// The dossier as a table: verified, exit 0.
	code, out, stderr := run(t, "report", "dossier", strings.TrimPrefix(chip, "chip:"), "--ledger", dir, "--log-level", "warn")
	require.Equal(t, 0, code, stderr)
	assert.True(t, strings.HasPrefix(out, "Dossier: "+chip), out[:min(len(out), 200)])
	assert.Contains(t, strings.SplitN(out, "\n", 2)[0], "verified")
	assert.Regexp(t, `(?m)^ok\s+true$`, out)

	// As of a date, offline: judged by a detector of its own.
	code, out, stderr = run(t, "report", "site", site, "--ledger", dir, "--as-of", "2025-03-01", "--format", "csv", "--log-level", "warn")
	require.Equal(t, 0, code, stderr)
	cr := csv.NewReader(strings.NewReader(out))
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	require.NoError(t, err)
	kv := map[string]string{}
	section := ""
	for _, rec := range recs {
		if rec[0] == "#section" {
			section = rec[1]
			continue
		}
		if len(rec) == 2 && (section == "basis" || section == "capacity") {
			kv[section+"."+rec[0]] = rec[1]
		}
	}
	assert.Equal(t, "2025-03-01T00:00:00Z", kv["basis.as_of"])
	assert.Equal(t, "true", kv["basis.as_of_given"])
	assert.NotEmpty(t, kv["capacity.received"])

	// A server over the same ledger answers the same reports.
	base := serveLedger(t, dir)
	code, viaServer, stderr := run(t, "report", "exporter", "P-DELL", "--server", base, "--json")
	require.Equal(t, 0, code, stderr)
	assert.JSONEq(t, offline, viaServer)
	code, html, stderr := run(t, "report", "country", "IN", "--server", base, "--format", "html")
	require.Equal(t, 0, code, stderr)
	assert.True(t, strings.HasPrefix(html, "<!DOCTYPE html>"))
	assert.Contains(t, html, `<section id="caps_consignees">`)
	assert.Contains(t, html, "P-BHARAT-CLOUD")
	code, out, stderr = run(t, "report", "dossier", chip, "--server", base, "--walk", "--json")
	require.Equal(t, 0, code, stderr)
	var dos reports.DossierReport
	require.NoError(t, json.Unmarshal([]byte(out), &dos))
	assert.True(t, dos.Verification.OK)
	require.NotNil(t, dos.Verification.Walk)
	assert.True(t, dos.Verification.Walk.OK)

	// Exit codes: not found 1, usage 2 (checked before any backend).
	code, _, stderr = run(t, "report", "exporter", "P-NOBODY", "--server", base)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "not found")
	code, _, stderr = run(t, "report", "site", "S-NOWHERE", "--server", base, "--format", "csv")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "not found")
	for _, args := range [][]string{
		{"report"},
		{"report", "exporter"},
		{"report", "planet", "X"},
		{"report", "exporter", "P-DELL", "--from", "yesterday"},
		{"report", "site", site, "--to", "2025-01-01"},
		{"report", "country", "IN", "--as-of", "soon"},
		{"report", "exporter", "P-DELL", "--walk"},
	} {
		code, _, stderr := run(t, append(args, "--server", "http://127.0.0.1:1")...)
		assert.Equal(t, 2, code, "%v: %s", args, stderr)
	}
}

// serveLedger runs `query serve --ledger dir` in this process until the
// test ends and returns its URL once its detector has evaluated the head.
func serveLedger(t *testing.T, dir string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"serve", "--ledger", dir, "--state", filepath.Join(t.TempDir(), "state"), "--addr", "127.0.0.1:0", "--log-level", "warn"}, pw, io.Discard)
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
	t.Cleanup(func() {
		cancel()
		assert.Equal(t, 0, <-done)
	})
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/api/v1/status")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var st struct {
			Head      uint64 `json:"head"`
			Detection struct {
				Seq         uint64 `json:"seq"`
				Evaluations uint64 `json:"evaluations"`
			} `json:"detection"`
		}
		return json.NewDecoder(resp.Body).Decode(&st) == nil && st.Detection.Evaluations > 0 && st.Detection.Seq == st.Head
	}, 2*time.Minute, 20*time.Millisecond, "the server's detector evaluates the head")
	return base
}
