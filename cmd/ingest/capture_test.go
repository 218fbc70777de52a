package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/httpapi"
	"github.com/chipledger/chipledger/kafka"
	"github.com/chipledger/chipledger/kafka/kafkatest"
)

const merlionSite = `{"id":"0193f000-0000-7000-8000-0000000000aa","type":"site.registered.v1","occurred_at":"2024-12-01T00:00:00Z","recorded_at":"2024-12-01T00:00:00Z","publisher":"P-CHIPLEDGER","body":{"site":"S-MERLION-DC1","party":"P-MERLION-CLOUD","country":"SG","kind":"datacenter"}}`

// The EPCIS capture interface: a valid document is accepted (202 and a
// capture job), published to chip-events and appended; its job then lists
// every event's ledger entry. An invalid document is a 400 problem.
func TestCaptureInterface(t *testing.T) {
	brokers, prefix := kafkatest.Brokers(t), kafkatest.Prefix(t)
	ctx := context.Background()
	topics, err := kafka.EnsureTopics(ctx, brokers, prefix, kafka.EnsureOptions{})
	require.NoError(t, err)
	p := kafka.NewProducer(brokers, topics.Events, kafka.ProducerOptions{})
	require.NoError(t, p.Produce(ctx, kafka.Message{Key: []byte("site:S-MERLION-DC1"), Value: []byte(merlionSite)}))
	require.NoError(t, p.Close())
	d := startDaemon(t, "--ledger", filepath.Join(t.TempDir(), "ledger"), "--brokers", strings.Join(brokers, ","), "--topic-prefix", prefix, "--token", "capture-token-0123")
	require.Eventually(t, func() bool { st, ok := d.status(); return ok && st.Seq >= 1 }, time.Minute, 10*time.Millisecond)

	post := func(body []byte, token string) *http.Response {
		req, err := http.NewRequest(http.MethodPost, d.URL+"/capture", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/ld+json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		return resp
	}
	doc, err := os.ReadFile("../../epcis/testdata/story.jsonld")
	require.NoError(t, err)
	resp := post(doc, "")
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "capture needs the token")

	resp = post([]byte(`{"type":"EPCISDocument","schemaVersion":"2.0","epcisBody":{"eventList":[{"type":"ObjectEvent"}]}}`), "capture-token-0123")
	var prob httpapi.CaptureError
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&prob))
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	require.Equal(t, "epcisException:ValidationException", prob.Type)
	require.Contains(t, prob.Detail, "epcisBody.eventList[0]", "the error names each JSON path")

	resp = post(doc, "capture-token-0123")
	var job httpapi.CaptureJob
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&job))
	resp.Body.Close()
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	loc := resp.Header.Get("Location")
	require.True(t, strings.HasPrefix(loc, "/capture/"), loc)
	require.True(t, job.Running)

	require.Eventually(t, func() bool {
		req, _ := http.NewRequest(http.MethodGet, d.URL+loc, nil)
		req.Header.Set("Authorization", "Bearer capture-token-0123")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		job = httpapi.CaptureJob{}
		return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&job) == nil && !job.Running
	}, time.Minute, 20*time.Millisecond, "the capture job finishes")
	require.True(t, job.Success, "%+v", job.Errors)
	require.Equal(t, uint64(2), job.DocumentSeq, "the document's own entry, after the site")
	require.Len(t, job.Events, 11)
	for i, e := range job.Events {
		require.Equal(t, i, e.Position)
		require.Equal(t, uint64(3+i), e.Seq)
	}
}
