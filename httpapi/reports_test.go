package httpapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/httpapi"
	"github.com/chipledger/chipledger/ingest"
	"github.com/chipledger/chipledger/ledger"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/projections/alerts"
	"github.com/chipledger/chipledger/projections/reports"
	"github.com/chipledger/chipledger/replica"
	"github.com/chipledger/chipledger/simulate"
)

// simWorld writes a simulated world (every scenario and its benign twins)
// into a ledger in dir (kept when it is already there) and returns the
// ledger directory and the truth.
func simWorld(tb testing.TB, dir string, chips int, seed int64) (string, *alerts.Truth) {
	tb.Helper()
	ledgerDir, truthFile := filepath.Join(dir, "ledger"), filepath.Join(dir, "truth.json")
	if _, err := os.Stat(filepath.Join(dir, "DONE")); err != nil {
		require.NoError(tb, os.RemoveAll(dir))
		require.NoError(tb, os.MkdirAll(dir, 0o755))
		sim, err := simulate.New(simulate.Options{Seed: seed, Chips: chips})
		require.NoError(tb, err)
		world := filepath.Join(dir, "world.jsonl")
		f, err := os.Create(world)
		require.NoError(tb, err)
		ws := simulate.NewWriterSink(f)
		_, err = sim.Run(context.Background(), ws)
		require.NoError(tb, err)
		require.NoError(tb, ws.Flush())
		require.NoError(tb, f.Close())
		tf, err := os.Create(truthFile)
		require.NoError(tb, err)
		require.NoError(tb, sim.WriteTruth(tf))
		require.NoError(tb, tf.Close())
		s, err := ledger.Open(ledgerDir, nil)
		require.NoError(tb, err)
		f, err = os.Open(world)
		require.NoError(tb, err)
		c, err := ingest.Import(context.Background(), s, f, "world.jsonl", ingest.ImportOptions{})
		require.NoError(tb, err)
		require.Zero(tb, c.Rejected)
		require.NoError(tb, f.Close())
		require.NoError(tb, s.Close())
		require.NoError(tb, os.Remove(world))
		require.NoError(tb, os.WriteFile(filepath.Join(dir, "DONE"), nil, 0o644))
	}
	tf, err := os.Open(truthFile)
	require.NoError(tb, err)
	defer tf.Close()
	truth, err := alerts.ReadTruth(tf)
	require.NoError(tb, err)
	return ledgerDir, truth
}

// worldReplica copies the ledger into a replica in state and evaluates its
// alerts.
func worldReplica(tb testing.TB, ledgerDir, state string) *replica.Replica {
	tb.Helper()
	s, err := ledger.Open(ledgerDir, nil)
	require.NoError(tb, err)
	defer s.Close()
	r, err := replica.Open(state, replica.Options{})
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = r.Close() })
	require.NoError(tb, r.SyncLedger(context.Background(), s))
	_, err = r.Detect()
	require.NoError(tb, err)
	return r
}

func scenarioUnits(truth *alerts.Truth, name, kind string) []string {
	var out []string
	for _, sc := range truth.Scenarios {
		if sc.Name != name {
			continue
		}
		for _, s := range sc.Subjects {
			if s.Kind == alerts.KindUnit && events.UnitID(s.ID).Kind() == kind || s.Kind == kind {
				out = append(out, s.ID)
			}
		}
	}
	return out
}

func TestReportsAPI(t *testing.T) {
	tmp := t.TempDir()
	ledgerDir, truth := simWorld(t, filepath.Join(tmp, "world"), simulate.MinChips, 7)
	r := worldReplica(t, ledgerDir, filepath.Join(tmp, "replica"))
	srv := httptest.NewServer(httpapi.Query(r, httpapi.QueryOptions{Token: "t0k"}))
	defer srv.Close()
	alx := scenarioUnits(truth, "alx-solutions", events.KindChip)[0]
	r12 := scenarioUnits(truth, "r12-capacity", alerts.KindSite)[0]
	get := func(t *testing.T, path, token string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, body
	}
	head := r.Head()
	for _, tc := range []struct {
		name, path, token string
		status            int
		ctype, code       string
	}{
		{"exporter json", "/api/v1/reports/exporter/P-DELL?from=2024-07-01&to=2025-12-31", "t0k", 200, "application/json", ""},
		{"exporter csv", "/api/v1/reports/exporter/P-DELL?format=csv", "t0k", 200, "text/csv", ""},
		{"exporter html", "/api/v1/reports/exporter/P-SUPERMICRO?format=html&as_of=2025-06-01", "t0k", 200, "text/html", ""},
		{"country", "/api/v1/reports/country/IN", "t0k", 200, "application/json", ""},
		{"country lower case", "/api/v1/reports/country/in?format=csv", "t0k", 200, "text/csv", ""},
		{"site", "/api/v1/reports/site/" + r12, "t0k", 200, "application/json", ""},
		{"site html", "/api/v1/reports/site/" + r12 + "?format=html", "t0k", 200, "text/html", ""},
		{"dossier", "/api/v1/reports/dossier/" + url.PathEscape(alx) + "?walk=1", "t0k", 200, "application/json", ""},
		{"dossier by serial", "/api/v1/reports/dossier/" + strings.TrimPrefix(alx, "chip:") + "?format=csv", "t0k", 200, "text/csv", ""},
		{"no token", "/api/v1/reports/exporter/P-DELL", "", 401, "application/json", "unauthorized"},
		{"unknown kind", "/api/v1/reports/planet/X", "t0k", 404, "application/json", "not_found"},
		{"unknown party", "/api/v1/reports/exporter/P-NOBODY", "t0k", 404, "application/json", "not_found"},
		{"unknown site", "/api/v1/reports/site/S-NOWHERE", "t0k", 404, "application/json", "not_found"},
		{"unknown unit", "/api/v1/reports/dossier/chip:NOPE-1", "t0k", 404, "application/json", "not_found"},
		{"unknown serial", "/api/v1/reports/dossier/NOPE-1", "t0k", 404, "application/json", "not_found"},
		{"bad unit id", "/api/v1/reports/dossier/planet:1", "t0k", 400, "application/json", "bad_request"},
		{"bad format", "/api/v1/reports/exporter/P-DELL?format=pdf", "t0k", 400, "application/json", "bad_request"},
		{"bad from", "/api/v1/reports/exporter/P-DELL?from=yesterday", "t0k", 400, "application/json", "bad_request"},
		{"bad to", "/api/v1/reports/country/IN?to=2025-02-30", "t0k", 400, "application/json", "bad_request"},
		{"period backwards", "/api/v1/reports/exporter/P-DELL?from=2025-06-01&to=2025-01-01", "t0k", 400, "application/json", "bad_request"},
		{"period on a site", "/api/v1/reports/site/" + r12 + "?from=2025-01-01", "t0k", 400, "application/json", "bad_request"},
		{"bad as_of", "/api/v1/reports/site/" + r12 + "?as_of=soon", "t0k", 400, "application/json", "bad_request"},
		{"bad country", "/api/v1/reports/country/IND", "t0k", 400, "application/json", "bad_request"},
		{"walk on an exporter", "/api/v1/reports/exporter/P-DELL?walk=1", "t0k", 400, "application/json", "bad_request"},
		{"bad walk", "/api/v1/reports/dossier/" + url.PathEscape(alx) + "?walk=yes", "t0k", 400, "application/json", "bad_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, tc.path, tc.token)
			require.Equal(t, tc.status, resp.StatusCode, "%s", body)
			mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
			require.NoError(t, err)
			assert.Equal(t, tc.ctype, mt)
			if tc.code != "" {
				var e httpapi.ErrorBody
				require.NoError(t, json.Unmarshal(body, &e), "%s", body)
				assert.Equal(t, tc.code, e.Error.Code)
				assert.NotEmpty(t, e.Error.Message)
				return
			}
			switch mt {
			case "application/json":
				var rep struct {
					Basis reports.Basis `json:"basis"`
				}
				require.NoError(t, json.Unmarshal(body, &rep))
				assert.Equal(t, head.Seq, rep.Basis.Head.Seq)
				assert.Equal(t, head.Hash.String(), rep.Basis.Head.Hash)
				assert.NotEmpty(t, rep.Basis.Policy.Digest)
			case "text/csv":
				_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
				require.NoError(t, err)
				assert.True(t, strings.HasPrefix(params["filename"], "chipledger-"), params["filename"])
				assert.True(t, strings.HasSuffix(params["filename"], "-"+strconv.FormatUint(head.Seq, 10)+".csv"), params["filename"])
				cr := csv.NewReader(bytes.NewReader(body))
				cr.FieldsPerRecord = -1
				recs, err := cr.ReadAll()
				require.NoError(t, err)
				require.NotEmpty(t, recs)
				assert.Equal(t, []string{"#section", "basis"}, recs[0])
			case "text/html":
				assert.True(t, strings.HasPrefix(string(body), "<!DOCTYPE html>"))
				assert.Contains(t, string(body), "</html>")
			}
		})
	}

	// The JSON is each report's own struct.
	_, body := get(t, "/api/v1/reports/dossier/"+url.PathEscape(alx)+"?walk=1", "t0k")
	var d reports.DossierReport
	require.NoError(t, json.Unmarshal(body, &d))
	assert.True(t, d.Verification.OK)
	require.NotNil(t, d.Verification.Walk)
	assert.True(t, d.Verification.Walk.OK)
	assert.NotEmpty(t, d.Entries)
	assert.Equal(t, d.Verification.Entries, len(d.Entries))

	_, body = get(t, "/api/v1/reports/site/"+r12, "t0k")
	var s reports.SiteReport
	require.NoError(t, json.Unmarshal(body, &s))
	require.NotNil(t, s.Site.DeclaredCapacity)
	assert.Greater(t, int64(s.Received), *s.Site.DeclaredCapacity)
	assert.NotEmpty(t, s.R12)

	// As of an earlier time, the API lists the replica's alerts whose first
	// triggering event occurred by then, and says so.
	asOf := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	_, body = get(t, "/api/v1/reports/exporter/P-DELL?as_of=2025-01-01", "t0k")
	var e reports.ExporterReport
	require.NoError(t, json.Unmarshal(body, &e))
	assert.True(t, e.Basis.AsOfGiven)
	assert.True(t, e.Basis.AsOf.Equal(asOf))
	assert.Contains(t, e.Basis.Scope, "limited to those whose first triggering event occurred by the as-of time")
	for _, a := range e.Alerts.Alerts {
		assert.False(t, a.OccurredAt.After(asOf), a.ID)
	}
	for _, doc := range e.Documents {
		assert.False(t, doc.OccurredAt.After(asOf), doc.EventID)
	}
	_, body = get(t, "/api/v1/reports/exporter/P-DELL", "t0k")
	var now reports.ExporterReport
	require.NoError(t, json.Unmarshal(body, &now))
	assert.Greater(t, len(now.Documents), len(e.Documents))
	assert.Greater(t, now.Alerts.Open, e.Alerts.Open)
}

// TestReporterOwnDetector: offline, an as-of report is judged by a
// detector of its own as of that time; an alert the replica raises later
// (R8: gone dark, measured against the ledger's clock) is not in it.
func TestReporterOwnDetector(t *testing.T) {
	tmp := t.TempDir()
	ledgerDir, _ := simWorld(t, filepath.Join(tmp, "world"), simulate.MinChips, 7)
	r := worldReplica(t, ledgerDir, filepath.Join(tmp, "replica"))
	asOf := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	build := func(own bool) *reports.ExporterReport {
		rp := httpapi.NewReporter(r, httpapi.ReporterOptions{OwnDetector: own})
		rep, err := rp.Build(context.Background(), httpapi.ReportRequest{Kind: reports.KindExporter, Subject: "P-SUPERMICRO", AsOf: asOf})
		require.NoError(t, err)
		return rep.(*reports.ExporterReport)
	}
	own, shared := build(true), build(false)
	assert.Contains(t, own.Basis.Scope, "detector of the report's own")
	assert.Equal(t, own.Documents, shared.Documents, "the same documents either way")
	// The detector of its own judges the ledger as of then: its alerts
	// are a subset of those the replica's alerts, cut at the time, hold
	// for rules that do not depend on the clock, and it can differ for
	// those that do.
	sharedIDs := map[string]bool{}
	for _, id := range shared.Alerts.IDs {
		sharedIDs[id] = true
	}
	clock := map[string]bool{"R7": true, "R8": true, "R12": true, "R14": true, "R17": true, "R20": true, "R21": true}
	for _, a := range own.Alerts.Alerts {
		if !clock[a.Rule] {
			assert.True(t, sharedIDs[a.ID], "%s is raised as of %s and at the head", a.ID, asOf)
		}
	}
	assert.NotEqual(t, own.Alerts.ByRule["R8"], shared.Alerts.ByRule["R8"], "gone dark is judged against the clock")
}

func TestParseReportRequest(t *testing.T) {
	for _, tc := range []struct {
		name, kind, subject, query string
		ok                         bool
		check                      func(t *testing.T, rr httpapi.ReportRequest)
	}{
		{name: "defaults", kind: "exporter", subject: "P-X", ok: true, check: func(t *testing.T, rr httpapi.ReportRequest) {
			assert.Equal(t, reports.FormatJSON, rr.Format)
			assert.True(t, rr.Period.From.IsZero() && rr.Period.To.IsZero() && rr.AsOf.IsZero())
		}},
		{name: "a day is included", kind: "country", subject: "SG", query: "from=2025-01-01&to=2025-01-31", ok: true, check: func(t *testing.T, rr httpapi.ReportRequest) {
			assert.Equal(t, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), rr.Period.From)
			assert.Equal(t, time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), rr.Period.To)
		}},
		{name: "a time is exclusive", kind: "exporter", subject: "P-X", query: "to=2025-01-31T12:00:00Z", ok: true, check: func(t *testing.T, rr httpapi.ReportRequest) {
			assert.Equal(t, time.Date(2025, 1, 31, 12, 0, 0, 0, time.UTC), rr.Period.To)
		}},
		{name: "as of midnight", kind: "dossier", subject: "chip:1", query: "as_of=2025-03-01&walk=1&format=html", ok: true, check: func(t *testing.T, rr httpapi.ReportRequest) {
			assert.Equal(t, time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), rr.AsOf)
			assert.True(t, rr.Walk)
			assert.Equal(t, reports.FormatHTML, rr.Format)
		}},
		{name: "one day", kind: "exporter", subject: "P-X", query: "from=2025-01-01&to=2025-01-01", ok: true},
		{name: "empty period", kind: "exporter", subject: "P-X", query: "from=2025-01-02T00:00:00Z&to=2025-01-02T00:00:00Z"},
		{name: "unknown kind", kind: "planet", subject: "X"},
		{name: "no subject", kind: "site"},
		{name: "table is the CLI's", kind: "site", subject: "S", query: "format=table"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := url.ParseQuery(tc.query)
			require.NoError(t, err)
			rr, err := httpapi.ParseReportRequest(tc.kind, tc.subject, q)
			if !tc.ok {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			if tc.check != nil {
				tc.check(t, rr)
			}
		})
	}
}

// BenchmarkReports measures report build time through the Reporter (the
// API's path): the flow index built from scratch (every entry read once),
// then each report with the index current. REPORTS_BENCH_CHIPS (default
// simulate.MinChips) sizes the simulated world, REPORTS_BENCH_SEED seeds
// it; the ledger is kept under .cache/bench. The replica's alerts are
// evaluated before the clock starts (a full evaluation: about a minute at
// 100,000 chips).
func BenchmarkReports(b *testing.B) {
	chips, seed := simulate.MinChips, int64(20261201)
	if n, err := strconv.Atoi(os.Getenv("REPORTS_BENCH_CHIPS")); err == nil && n >= simulate.MinChips {
		chips = n
	}
	if n, err := strconv.ParseInt(os.Getenv("REPORTS_BENCH_SEED"), 10, 64); err == nil {
		seed = n
	}
	dir := filepath.Join("..", ".cache", "bench", fmt.Sprintf("reports-%d-%d-v1", chips, seed))
	ledgerDir, truth := simWorld(b, dir, chips, seed)
	start := time.Now()
	r := worldReplica(b, ledgerDir, filepath.Join(dir, "replica"))
	b.Logf("world: %d chips (seed %d), %d entries; replica and alerts ready in %s", chips, seed, r.Head().Seq, time.Since(start).Round(time.Millisecond))
	alx := scenarioUnits(truth, "alx-solutions", events.KindChip)[0]
	r12 := scenarioUnits(truth, "r12-capacity", alerts.KindSite)[0]
	b.Run("index", func(b *testing.B) {
		for b.Loop() {
			ix := reports.NewIndex()
			if err := ix.Update(r, r.Head().Seq); err != nil {
				b.Fatal(err)
			}
		}
	})
	rp := httpapi.NewReporter(r, httpapi.ReporterOptions{})
	if _, err := rp.Build(context.Background(), httpapi.ReportRequest{Kind: reports.KindCountry, Subject: "US"}); err != nil {
		b.Fatal(err) // warms the index
	}
	for _, rr := range []httpapi.ReportRequest{
		{Kind: reports.KindExporter, Subject: "P-SUPERMICRO"},
		{Kind: reports.KindExporter, Subject: "P-DELL", Period: reports.Period{From: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{Kind: reports.KindCountry, Subject: "US"},
		{Kind: reports.KindCountry, Subject: "IN"},
		{Kind: reports.KindSite, Subject: r12},
		{Kind: reports.KindSite, Subject: largestSite(b, r)},
		{Kind: reports.KindDossier, Subject: alx},
		{Kind: reports.KindDossier, Subject: alx, Walk: true},
	} {
		name := rr.Kind + "/" + rr.Subject
		if rr.Walk {
			name += "/walk"
		}
		if !rr.Period.From.IsZero() {
			name += "/2025"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				rep, err := rp.Build(context.Background(), rr)
				if err != nil {
					b.Fatal(err)
				}
				for _, f := range []string{reports.FormatJSON, reports.FormatCSV, reports.FormatHTML} {
					if err := reports.Render(io.Discard, f, rep); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// largestSite is the data center holding the most chips.
func largestSite(b *testing.B, r *replica.Replica) string {
	best, most := "", -1
	require.NoError(b, r.View(func(p *projections.Projection, src projections.Source) error {
		for _, s := range p.Sites() {
			h, err := p.Holdings(src, projections.BySite, s)
			if err != nil {
				return err
			}
			if st, ok := p.Site(s); ok && st.Kind == events.SiteDatacenter && h.Chips > most {
				best, most = s, h.Chips
			}
		}
		return nil
	}))
	require.NotEmpty(b, best, "a data center")
	return best
}
