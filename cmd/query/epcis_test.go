package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/epcis"
	"github.com/chipledger/chipledger/httpapi"
	"github.com/chipledger/chipledger/ingest"
	"github.com/chipledger/chipledger/ledger"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/replica"
)

const storyChip = "chip:80614141123458.1652423000001"

// importEPCIS appends files (native JSON Lines or EPCIS documents) to a new
// ledger and returns its directory, closed.
func importEPCIS(t *testing.T, files ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ledger")
	s, err := ledger.Open(dir, nil)
	require.NoError(t, err)
	for _, file := range files {
		f, err := os.Open(file)
		require.NoError(t, err)
		c, err := ingest.Import(context.Background(), s, f, filepath.Base(file), ingest.ImportOptions{Documents: ingest.EPCISReader(s, "")})
		require.NoError(t, err)
		require.Zero(t, c.Rejected, "%s: %s", file, c)
		require.NoError(t, f.Close())
	}
	require.NoError(t, s.Close())
	return dir
}

// chainView is a chain without ledger coordinates.
func chainView(t *testing.T, dir, unit string) []string {
	t.Helper()
	code, out, stderr := run(t, "chain", unit, "--ledger", dir, "--json")
	require.Equal(t, 0, code, stderr)
	var steps []projections.Step
	require.NoError(t, json.Unmarshal([]byte(out), &steps))
	var v []string
	for _, s := range steps {
		v = append(v, strings.Join([]string{s.EventID, s.Type, s.OccurredAt.String(), s.Holder, s.Owner, s.Site, s.Country, s.Status, string(s.Via), s.Summary}, "|"))
	}
	return v
}

// A unit's history exported as EPCIS validates, and imported into another
// ledger gives the same custody chain.
func TestEPCISExportThenImport(t *testing.T) {
	dir := importEPCIS(t, "../../epcis/testdata/story.jsonl")
	code, doc, stderr := run(t, "epcis", storyChip, "--ledger", dir)
	require.Equal(t, 0, code, stderr)
	d, err := epcis.Parse([]byte(doc))
	require.NoError(t, err, "the export validates against the EPCIS 2.0 schema")
	require.Equal(t, 10, d.Len(), "the chip's own events and those of its server and pallet")

	// The site the story's receiving names is registered natively, as in
	// every ledger; the export carries its country as master data anyway.
	exported := filepath.Join(t.TempDir(), "export.jsonld")
	require.NoError(t, os.WriteFile(exported, []byte(doc), 0o644))
	again := importEPCIS(t, exported)
	require.Equal(t, chainView(t, dir, storyChip), chainView(t, again, storyChip))
}

// GET /events follows containment, filters by time, business step and
// location, and answers the unit's EPCIS events.
func TestEPCISQueryEvents(t *testing.T) {
	dir := importEPCIS(t, "../../epcis/testdata/story.jsonl")
	r, err := replica.Open(filepath.Join(t.TempDir(), "replica"), replica.Options{})
	require.NoError(t, err)
	defer r.Close()
	src, err := ledger.Open(dir, nil)
	require.NoError(t, err)
	require.NoError(t, r.SyncLedger(context.Background(), src))
	require.NoError(t, src.Close())
	srv := httptest.NewServer(httpapi.Query(r, httpapi.QueryOptions{}))
	defer srv.Close()

	epc := epcis.UnitEPC(storyChip)
	get := func(q url.Values) (int, []map[string]any) {
		resp, err := http.Get(srv.URL + "/events?" + q.Encode())
		require.NoError(t, err)
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return resp.StatusCode, nil
		}
		var d struct {
			EPCISBody struct {
				EventList []map[string]any `json:"eventList"`
			} `json:"epcisBody"`
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&d))
		return resp.StatusCode, d.EPCISBody.EventList
	}
	code, all := get(url.Values{"MATCH_anyEPC": {epc}})
	require.Equal(t, http.StatusOK, code)
	require.Len(t, all, 10, "containment followed: the pallet's shipment is in the chip's history")
	_, ships := get(url.Values{"MATCH_epc": {epc}, "EQ_bizStep": {"shipping"}})
	require.Len(t, ships, 2)
	for _, e := range ships {
		require.Equal(t, "shipping", e["bizStep"])
	}
	_, early := get(url.Values{"MATCH_anyEPC": {epc}, "LT_eventTime": {"2025-01-10T00:00:00Z"}})
	require.Len(t, early, 3, "commissioning, assembly, packing")
	_, late := get(url.Values{"MATCH_anyEPC": {epc}, "GE_eventTime": {"2025-01-16"}, "EQ_bizLocation": {"urn:chipledger:site:S-MERLION-DC1"}})
	require.Len(t, late, 2, "received and installed at the data center")
	code, _ = get(url.Values{"EQ_bizStep": {"shipping"}})
	require.Equal(t, http.StatusBadRequest, code)
	code, _ = get(url.Values{"MATCH_epc": {"urn:epc:id:sgtin:bad"}})
	require.Equal(t, http.StatusBadRequest, code)

	resp, err := http.Get(srv.URL + "/api/v1/units/" + url.PathEscape(storyChip) + "/epcis")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/ld+json", resp.Header.Get("Content-Type"))
}
