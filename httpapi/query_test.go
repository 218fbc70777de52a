package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/httpapi"
	"github.com/chipledger/chipledger/ingest"
	"github.com/chipledger/chipledger/ledger"
	"github.com/chipledger/chipledger/projections/alerts"
	"github.com/chipledger/chipledger/replica"
)

// exampleReplica is a replica of the examples of docs/events.md with its
// alerts evaluated.
func exampleReplica(t *testing.T) *replica.Replica {
	t.Helper()
	f, err := os.Open("../events/testdata/examples.jsonl")
	require.NoError(t, err)
	defer f.Close()
	s, err := ledger.Open(filepath.Join(t.TempDir(), "ledger"), nil)
	require.NoError(t, err)
	defer s.Close()
	_, err = ingest.Import(context.Background(), s, f, "examples.jsonl", ingest.ImportOptions{})
	require.NoError(t, err)
	r, err := replica.Open(filepath.Join(t.TempDir(), "replica"), replica.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	require.NoError(t, r.SyncLedger(context.Background(), s))
	_, err = r.Detect()
	require.NoError(t, err)
	return r
}

func TestAlertsAPI(t *testing.T) {
	r := exampleReplica(t)
	srv := httptest.NewServer(httpapi.Query(r, httpapi.QueryOptions{Token: "t0k"}))
	defer srv.Close()
	get := func(t *testing.T, path, token string, out any) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		require.NoError(t, json.NewDecoder(resp.Body).Decode(out))
		return resp.StatusCode
	}

	var all httpapi.AlertList
	require.Equal(t, http.StatusOK, get(t, "/api/v1/alerts", "t0k", &all))
	require.NotEmpty(t, all.Alerts)
	assert.Equal(t, len(all.Alerts), all.Total)
	assert.Equal(t, r.Head().Seq, all.Detection.Seq, "the alerts were evaluated at the head")
	assert.Equal(t, all.Detection.Open, all.Total)
	// The examples activate a screening list by digest only, and no
	// reference directory is configured: a problem, reported.
	require.Len(t, all.Detection.Problems, 1)
	assert.Equal(t, "us-csl", all.Detection.Problems[0].Name)
	assert.Contains(t, all.Detection.Problems[0].Error, "reference directory")

	// sys:SMC-B7 is never commissioned: R10, critical, on the last entry.
	const b7 = "R10:sys:SMC-B7:01968691-8188-7341-ac71-49a07bca0132"

	type check func(t *testing.T, l httpapi.AlertList)
	each := func(pred func(a alerts.Alert) bool) check {
		return func(t *testing.T, l httpapi.AlertList) {
			require.NotEmpty(t, l.Alerts)
			assert.Equal(t, len(l.Alerts), l.Total)
			assert.Less(t, l.Total, all.Total, "the filter leaves some out")
			for _, a := range l.Alerts {
				assert.True(t, pred(a), "%s does not match the filter", a.ID)
			}
		}
	}
	for _, tc := range []struct {
		name, path, token string
		status            int
		code              string
		check             check
	}{
		{"by rule", "/api/v1/alerts?rule=R6", "t0k", 200, "", each(func(a alerts.Alert) bool { return a.Rule == "R6" })},
		{"rule case-insensitive", "/api/v1/alerts?rule=r10", "t0k", 200, "", each(func(a alerts.Alert) bool { return a.Rule == "R10" })},
		{"at least critical", "/api/v1/alerts?severity=critical", "t0k", 200, "", each(func(a alerts.Alert) bool { return a.Severity == alerts.SeverityCritical })},
		{"by country", "/api/v1/alerts?country=HK", "t0k", 200, "", each(func(a alerts.Alert) bool { return a.Country == "HK" })},
		{"by subject", "/api/v1/alerts?subject=sys:SMC-A1", "t0k", 200, "", each(func(a alerts.Alert) bool { return a.Subject == "sys:SMC-A1" })},
		{"since a date", "/api/v1/alerts?since=2025-02-01", "t0k", 200, "", each(func(a alerts.Alert) bool { return a.ID == b7 })},
		{"since RFC 3339", "/api/v1/alerts?since=" + url.QueryEscape("2025-02-01T00:00:00+00:00"), "t0k", 200, "", each(func(a alerts.Alert) bool { return a.ID == b7 })},
		{"open", "/api/v1/alerts?state=open", "t0k", 200, "", func(t *testing.T, l httpapi.AlertList) { assert.Equal(t, all.Total, l.Total) }},
		{"withdrawn: none", "/api/v1/alerts?state=withdrawn", "t0k", 200, "", func(t *testing.T, l httpapi.AlertList) {
			assert.Zero(t, l.Total)
			assert.NotNil(t, l.Alerts, "an empty list is [], not null")
		}},
		{"a page", "/api/v1/alerts?limit=2&offset=1", "t0k", 200, "", func(t *testing.T, l httpapi.AlertList) {
			assert.Equal(t, all.Alerts[1:3], l.Alerts)
			assert.Equal(t, all.Total, l.Total)
			require.NotNil(t, l.Next)
			assert.Equal(t, 3, *l.Next)
		}},
		{"unknown severity", "/api/v1/alerts?severity=urgent", "t0k", 400, "bad_request", nil},
		{"bad since", "/api/v1/alerts?since=2025-13-01", "t0k", 400, "bad_request", nil},
		{"unknown state", "/api/v1/alerts?state=closed", "t0k", 400, "bad_request", nil},
		{"bad limit", "/api/v1/alerts?limit=0", "t0k", 400, "bad_request", nil},
		{"no token", "/api/v1/alerts", "", 401, "unauthorized", nil},
		{"wrong token", "/api/v1/alerts", "nope", 401, "unauthorized", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body json.RawMessage
			status := get(t, tc.path, tc.token, &body)
			require.Equal(t, tc.status, status, "%s", body)
			if tc.code != "" {
				var e httpapi.ErrorBody
				require.NoError(t, json.Unmarshal(body, &e))
				assert.Equal(t, tc.code, e.Error.Code, "%s", body)
				assert.NotEmpty(t, e.Error.Message)
			}
			if tc.check != nil {
				var l httpapi.AlertList
				require.NoError(t, json.Unmarshal(body, &l))
				tc.check(t, l)
			}
		})
	}

	t.Run("one alert", func(t *testing.T) {
		var a alerts.Alert
		require.Equal(t, http.StatusOK, get(t, "/api/v1/alerts/"+url.PathEscape(b7), "t0k", &a))
		assert.Equal(t, b7, a.ID)
		assert.Equal(t, "R10", a.Rule)
		assert.Equal(t, "sys:SMC-B7", a.Subject)
		require.Len(t, a.Evidence, 1)
		e, err := r.Entry(a.Evidence[0].Seq)
		require.NoError(t, err)
		assert.Equal(t, e.Hash.String(), a.Evidence[0].Hash, "the evidence cites the ledger entry")
		assert.Equal(t, e.EventID, a.Evidence[0].EventID)
		// Escaped colons reach the handler as the id too.
		var esc alerts.Alert
		require.Equal(t, http.StatusOK, get(t, "/api/v1/alerts/R10%3Asys%3ASMC-B7%3A01968691-8188-7341-ac71-49a07bca0132", "t0k", &esc))
		assert.Equal(t, a, esc)
	})
	t.Run("unknown alert", func(t *testing.T) {
		var e httpapi.ErrorBody
		require.Equal(t, http.StatusNotFound, get(t, "/api/v1/alerts/"+url.PathEscape("R1:chip:NOPE:x"), "t0k", &e))
		assert.Equal(t, "not_found", e.Error.Code)
	})
	t.Run("one alert without token", func(t *testing.T) {
		var e httpapi.ErrorBody
		require.Equal(t, http.StatusUnauthorized, get(t, "/api/v1/alerts/"+url.PathEscape(b7), "", &e))
		assert.Equal(t, "unauthorized", e.Error.Code)
	})
	t.Run("detection", func(t *testing.T) {
		var st alerts.Stats
		require.Equal(t, http.StatusOK, get(t, "/api/v1/detection", "t0k", &st))
		assert.Equal(t, r.AlertStats(), st)
		assert.Equal(t, all.Total, st.Open)
		var sum int
		for _, n := range st.ByRule {
			sum += n
		}
		assert.Equal(t, st.Open, sum)
		var e httpapi.ErrorBody
		require.Equal(t, http.StatusUnauthorized, get(t, "/api/v1/detection", "", &e))
	})
	t.Run("status", func(t *testing.T) {
		var st struct {
			Head      uint64                  `json:"head"`
			Detection replica.DetectionStatus `json:"detection"`
		}
		require.Equal(t, http.StatusOK, get(t, "/api/v1/status", "t0k", &st))
		assert.Equal(t, st.Head, st.Detection.Seq)
		assert.Equal(t, all.Total, st.Detection.Open)
		assert.Equal(t, uint64(1), st.Detection.Evaluations)
		assert.Equal(t, 1, st.Detection.Problems)
		assert.Empty(t, st.Detection.Error)
	})
}

func TestAlertFilter(t *testing.T) {
	f, err := httpapi.AlertFilter(url.Values{"state": {"all"}, "since": {"2025-03-04"}, "severity": {"high"}})
	require.NoError(t, err)
	assert.Equal(t, "", f.State, "all is every state")
	assert.Equal(t, "2025-03-04T00:00:00Z", f.Since.Format("2006-01-02T15:04:05Z07:00"))
	assert.Equal(t, "high", f.Severity)
	_, err = httpapi.AlertFilter(url.Values{"since": {"yesterday"}})
	assert.ErrorContains(t, err, "YYYY-MM-DD")
}
