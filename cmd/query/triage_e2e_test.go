package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/httpapi"
	"github.com/chipledger/chipledger/ingest"
	"github.com/chipledger/chipledger/kafka"
	"github.com/chipledger/chipledger/kafka/kafkatest"
	"github.com/chipledger/chipledger/ledger"
	"github.com/chipledger/chipledger/policy"
	"github.com/chipledger/chipledger/projections/alerts"
	"github.com/chipledger/chipledger/replica"
)

const (
	investigatorToken = "investigator-token-alice-0001"
	readerToken       = "reader-token-dashboard-0001"
)

// smuggling is a small story that raises alerts: a server of two H100s
// shipped from the US to a Chinese cloud under NLR.
func smugglingLines(t testing.TB) []kafka.Message {
	t.Helper()
	n := 0
	var out []kafka.Message
	add := func(at string, b events.Body) {
		n++
		when, err := time.Parse(time.RFC3339, at)
		require.NoError(t, err)
		ev := events.Event{ID: "e2e-triage-" + strconv.Itoa(n), Type: b.Type(), OccurredAt: when, RecordedAt: when.Add(time.Minute), Publisher: "P-OEM", Body: b}
		line, err := events.Encode(ev)
		require.NoError(t, err)
		out = append(out, kafka.Message{Key: []byte(ev.Primary()), Value: line})
	}
	bundle := policy.DefaultBundleJSON()
	add("2024-01-01T00:00:00Z", &events.PolicyActivated{Document: events.Document{Name: policy.BundleName, Version: "e2e",
		Digest: events.Digest(bundle), Effective: "2023-11-17", Source: "test", Content: string(bundle)}})
	for _, p := range []events.PartyInfo{
		{Party: "P-OEM", Name: "Test OEM Inc.", Country: "US", HQCountry: "US", Types: []string{events.PartyOEM}},
		{Party: "P-CN", Name: "Test Cloud Co., Ltd.", Country: "CN", HQCountry: "CN", Types: []string{events.PartyCloud}},
	} {
		add("2024-01-02T00:00:00Z", &events.PartyRegistered{PartyInfo: p})
	}
	add("2025-01-02T00:00:00Z", &events.Commissioned{Unit: "chip:T1", Manufacturer: "P-OEM", Model: "H100-SXM5-80GB", Serial: "T1", Country: "US"})
	add("2025-01-02T00:00:00Z", &events.Commissioned{Unit: "chip:T2", Manufacturer: "P-OEM", Model: "H100-SXM5-80GB", Serial: "T2", Country: "US"})
	add("2025-01-03T00:00:00Z", &events.Commissioned{Unit: "sys:T9", Manufacturer: "P-OEM", Model: "SYS-821GE-TNHR", Serial: "T9", Country: "US"})
	add("2025-01-03T01:00:00Z", &events.Assembled{Parent: "sys:T9", Children: []events.UnitID{"chip:T1", "chip:T2"}})
	add("2025-02-01T00:00:00Z", &events.Shipped{Units: []events.UnitID{"sys:T9"}, From: events.Place{Party: "P-OEM", Country: "US"},
		To: events.Place{Party: "P-CN", Country: "CN"}, LicenceException: "NLR"})
	return out
}

func getJSON(t *testing.T, base, path, token string, out any) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode == http.StatusOK {
		require.NoError(t, json.NewDecoder(resp.Body).Decode(out))
	}
	return resp.StatusCode
}

// TestTriageTravelsThroughTheLedger: a dismissal with a reason goes CLI ->
// API -> chip-events -> ingest -> chip-ledger -> replica and shows on a
// second replica; a reader's token cannot triage; no token, no read; and
// chip-alerts holds each alert's state exactly as the projection does
// after the publishing replica restarts.
func TestTriageTravelsThroughTheLedger(t *testing.T) {
	brokers, prefix := kafkatest.Brokers(t), kafkatest.Prefix(t)
	ctx := context.Background()
	topics, err := kafka.EnsureTopics(ctx, brokers, prefix, kafka.EnsureOptions{})
	require.NoError(t, err)
	p := kafka.NewProducer(brokers, topics.Events, kafka.ProducerOptions{})
	require.NoError(t, p.Produce(ctx, smugglingLines(t)...))
	require.NoError(t, p.Close())

	store, err := ledger.Open(filepath.Join(t.TempDir(), "ledger"), nil)
	require.NoError(t, err)
	svc := ingest.NewService(store, ingest.Options{Brokers: brokers, Prefix: prefix})
	ictx, cancel := context.WithCancel(ctx)
	ingestDone := make(chan error, 1)
	go func() { ingestDone <- svc.Run(ictx) }()
	defer func() {
		cancel()
		require.NoError(t, <-ingestDone)
		require.NoError(t, store.Close())
	}()

	sum := sha256.Sum256([]byte(investigatorToken))
	tokens := filepath.Join(t.TempDir(), "tokens.json")
	require.NoError(t, os.WriteFile(tokens, []byte(`{"tokens":[
		{"name":"alice","role":"investigator","sha256":"`+hex.EncodeToString(sum[:])+`"},
		{"name":"dashboard","role":"reader","token":"`+readerToken+`"}]}`), 0o600))
	stateA := filepath.Join(t.TempDir(), "a")
	argsA := []string{"--state", stateA, "--topic-prefix", prefix, "--brokers", strings.Join(brokers, ","), "--tokens", tokens, "--publish-alerts"}
	a := startServer(t, argsA...)
	b := startServer(t, "--state", filepath.Join(t.TempDir(), "b"), "--topic-prefix", prefix, "--brokers", strings.Join(brokers, ","), "--tokens", tokens)

	// The R1 alert on the server, seen by replica A.
	var id string
	require.Eventually(t, func() bool {
		var l httpapi.AlertList
		if getJSON(t, a.URL, "/api/v1/alerts?rule=R1&subject=sys:T9", readerToken, &l) != http.StatusOK || len(l.Alerts) == 0 {
			return false
		}
		id = l.Alerts[0].ID
		return true
	}, time.Minute, 20*time.Millisecond, "the alert is raised")

	require.Equal(t, http.StatusUnauthorized, getJSON(t, a.URL, "/api/v1/alerts", "", nil), "no token, no read")
	require.Equal(t, http.StatusUnauthorized, getJSON(t, a.URL, "/api/v1/units/sys:T9", "wrong-token-000000000", nil))

	code, _, stderr := run(t, "alert", "dismiss", id, "--reason", "test shipment", "--server", a.URL, "--token", readerToken)
	require.NotEqual(t, 0, code)
	require.Contains(t, stderr, "investigator", "a reader's token cannot triage")

	code, out, stderr := run(t, "alert", "dismiss", id, "--reason", "licence found in the exporter's files", "--server", a.URL, "--token", investigatorToken)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "pending")

	// Back from the ledger on the other replica, under alice's name.
	path := "/api/v1/alerts/" + url.PathEscape(id)
	for _, s := range []*server{b, a} {
		require.Eventually(t, func() bool {
			var al alerts.Alert
			return getJSON(t, s.URL, path, readerToken, &al) == http.StatusOK && al.State == alerts.StateDismissed &&
				len(al.Decisions) == 1 && al.Decisions[0].Investigator == "alice" &&
				al.Decisions[0].Reason == "licence found in the exporter's files" && len(al.Pending) == 0
		}, time.Minute, 20*time.Millisecond, "the dismissal arrives from the ledger on %s", s.URL)
	}

	// Restart the publishing replica: chip-alerts then holds every alert's
	// state as the projection does, each state once.
	a.Stop(t)
	a = startServer(t, argsA...)
	var want httpapi.AlertList
	require.Eventually(t, func() bool {
		if getJSON(t, a.URL, "/api/v1/alerts?subject=sys:T9", readerToken, &want) != http.StatusOK || len(want.Alerts) == 0 {
			return false
		}
		got := readAlertsTopic(t, brokers, topics.Alerts)
		for _, al := range want.Alerts {
			vs := got[al.ID]
			if len(vs) == 0 || vs[len(vs)-1] != replica.Version(al) {
				return false
			}
		}
		return true
	}, time.Minute, 50*time.Millisecond, "chip-alerts holds the alerts' states")
	for id, vs := range readAlertsTopic(t, brokers, topics.Alerts) {
		seen := map[string]bool{}
		for _, v := range vs {
			require.Falsef(t, seen[v], "alert %s published twice at %s", id, v)
			seen[v] = true
		}
	}
}

// readAlertsTopic returns chip-alerts: alert id -> state versions in order.
func readAlertsTopic(t *testing.T, brokers []string, topic string) map[string][]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ends, err := kafka.LastOffsets(ctx, brokers, topic)
	require.NoError(t, err)
	out := map[string][]string{}
	if ends[0] == 0 {
		return out
	}
	r, err := kafka.NewPartitionReader(brokers, topic, 0, kafka.FirstOffset, kafka.ReaderOptions{})
	require.NoError(t, err)
	defer r.Close()
	for {
		m, err := r.Fetch(ctx)
		require.NoError(t, err)
		var rec replica.FeedRecord
		require.NoError(t, json.NewDecoder(bytes.NewReader(m.Value)).Decode(&rec))
		out[string(m.Key)] = append(out[string(m.Key)], rec.Version)
		if m.Offset+1 >= ends[0] {
			return out
		}
	}
}
