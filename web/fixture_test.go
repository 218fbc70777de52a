package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/ingest"
	"github.com/chipledger/chipledger/ledger"
	"github.com/chipledger/chipledger/policy"
	"github.com/chipledger/chipledger/replica"
)

// Tokens of the tests' identities.
const (
	investigatorToken = "web-investigator-alice-0001"
	readerToken       = "web-reader-dashboard-0001"
	officerToken      = "web-officer-cloud-cn-0001" // a reader limited to party P-CN
)

// tokensJSON names alice (investigator), dash (reader) and cn-officer (a
// reader scoped to P-CN).
const tokensJSON = `{"tokens":[
	{"name":"alice","role":"investigator","token":"` + investigatorToken + `"},
	{"name":"dash","role":"reader","token":"` + readerToken + `"},
	{"name":"cn-officer","role":"reader","party":"P-CN","token":"` + officerToken + `"}]}`

// storyLines is a small world: a server of two H100s (chip:T1, chip:T2 in
// sys:T9) shipped from a US OEM through Singapore to a Chinese cloud
// under NLR and received there (R1 on the server and its chips), and a
// chip (chip:T3) the OEM sold to a German distributor, which the Chinese
// cloud never held.
func storyLines(t testing.TB) [][]byte {
	t.Helper()
	n := 0
	var out [][]byte
	add := func(at string, b events.Body) {
		n++
		when, err := time.Parse(time.RFC3339, at)
		require.NoError(t, err)
		ev := events.Event{ID: "web-story-" + strconv.Itoa(n), Type: b.Type(), OccurredAt: when, RecordedAt: when.Add(time.Minute), Publisher: "P-OEM", Body: b}
		line, err := events.Encode(ev)
		require.NoError(t, err)
		out = append(out, line)
	}
	bundle := policy.DefaultBundleJSON()
	add("2024-01-01T00:00:00Z", &events.PolicyActivated{Document: events.Document{Name: policy.BundleName, Version: "web",
		Digest: events.Digest(bundle), Effective: "2023-11-17", Source: "test", Content: string(bundle)}})
	for _, p := range []events.PartyInfo{
		{Party: "P-OEM", Name: "Test OEM Inc.", Country: "US", HQCountry: "US", Types: []string{events.PartyOEM}},
		{Party: "P-CN", Name: "Test Cloud Co., Ltd.", Country: "CN", HQCountry: "CN", Types: []string{events.PartyCloud}},
		{Party: "P-DE", Name: "Test Distribution GmbH", Country: "DE", HQCountry: "DE", Types: []string{events.PartyDistributor}},
	} {
		add("2024-01-02T00:00:00Z", &events.PartyRegistered{PartyInfo: p})
	}
	add("2025-01-02T00:00:00Z", &events.Commissioned{Unit: "chip:T1", Manufacturer: "P-OEM", Model: "H100-SXM5-80GB", Serial: "T1", Country: "US"})
	add("2025-01-02T00:00:00Z", &events.Commissioned{Unit: "chip:T2", Manufacturer: "P-OEM", Model: "H100-SXM5-80GB", Serial: "T2", Country: "US"})
	add("2025-01-02T00:00:00Z", &events.Commissioned{Unit: "chip:T3", Manufacturer: "P-OEM", Model: "H100-SXM5-80GB", Serial: "T3", Country: "US"})
	add("2025-01-03T00:00:00Z", &events.Commissioned{Unit: "sys:T9", Manufacturer: "P-OEM", Model: "SYS-821GE-TNHR", Serial: "T9", Country: "US"})
	add("2025-01-03T01:00:00Z", &events.Assembled{Parent: "sys:T9", Children: []events.UnitID{"chip:T1", "chip:T2"}})
	add("2025-02-01T00:00:00Z", &events.Shipped{Units: []events.UnitID{"sys:T9"}, From: events.Place{Party: "P-OEM", Country: "US"},
		To: events.Place{Party: "P-CN", Country: "CN"}, Via: []string{"SG"}, LicenceException: "NLR"})
	add("2025-02-05T00:00:00Z", &events.Received{Units: []events.UnitID{"sys:T9"}, At: events.Place{Party: "P-CN", Country: "CN"}})
	add("2025-03-01T00:00:00Z", &events.Shipped{Units: []events.UnitID{"chip:T3"}, From: events.Place{Party: "P-OEM", Country: "US"},
		To: events.Place{Party: "P-DE", Country: "DE"}})
	add("2025-03-04T00:00:00Z", &events.Received{Units: []events.UnitID{"chip:T3"}, At: events.Place{Party: "P-DE", Country: "DE"}})
	return out
}

// storyReplica imports the story into a ledger and returns a replica of
// it with its alerts evaluated.
func storyReplica(t testing.TB) *replica.Replica {
	t.Helper()
	dir := t.TempDir()
	store, err := ledger.Open(filepath.Join(dir, "ledger"), nil)
	require.NoError(t, err)
	_, err = ingest.Import(context.Background(), store, bytes.NewReader(append(bytes.Join(storyLines(t), []byte("\n")), '\n')), "story.jsonl", ingest.ImportOptions{})
	require.NoError(t, err)
	r, err := replica.Open(filepath.Join(dir, "replica"), replica.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	require.NoError(t, r.SyncLedger(context.Background(), store))
	require.NoError(t, store.Close())
	_, err = r.Detect()
	require.NoError(t, err)
	return r
}

func jsonDecode(r io.Reader, out any) error { return json.NewDecoder(r).Decode(out) }
