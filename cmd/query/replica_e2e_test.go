package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/chipledger/chipledger/internal/daemontest"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/ingest"
	"github.com/chipledger/chipledger/kafka"
	"github.com/chipledger/chipledger/kafka/kafkatest"
	"github.com/chipledger/chipledger/ledger"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/replica"
)

// server is a `query serve` child process.
type server struct{ *daemontest.Daemon }

func startServer(t testing.TB, args ...string) *server {
	t.Helper()
	bin := daemontest.Build(t, ".")
	return &server{daemontest.Start(t, bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--log-level", "warn"}, args...)...)}
}

func (s *server) head() uint64 {
	resp, err := http.Get(s.URL + "/head")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var h headView
	if json.NewDecoder(resp.Body).Decode(&h) != nil {
		return 0
	}
	return h.Seq
}

// commissioned returns a valid commissioning event for chip i.
func commissioned(i int) kafka.Message {
	serial := fmt.Sprintf("E2E%07d", i)
	v := fmt.Sprintf(`{"id":"e2e-%07d","type":"unit.commissioned.v1","occurred_at":"2025-02-%02dT10:00:00Z","recorded_at":"2025-02-%02dT10:00:01Z","publisher":"P-NVIDIA","body":{"unit":"chip:%s","manufacturer":"P-NVIDIA","model":"H100-SXM5-80GB","serial":"%s","country":"TW"}}`,
		i, 1+i%28, 1+i%28, serial, serial)
	return kafka.Message{Key: []byte("chip:" + serial), Value: []byte(v)}
}

// TestIngestToReplicaSurvivesSIGKILL runs the whole path: events published
// to chip-events, ingest appending and publishing chip-ledger, and a
// `query serve` replica killed with SIGKILL three times while it follows.
// The replica ends with every entry applied once: its dump equals the dump
// of a replica built offline from the ledger.
func TestIngestToReplicaSurvivesSIGKILL(t *testing.T) {
	brokers, prefix := kafkatest.Brokers(t), kafkatest.Prefix(t)
	topics, err := kafka.EnsureTopics(context.Background(), brokers, prefix, kafka.EnsureOptions{})
	require.NoError(t, err)
	const n = 6000
	msgs := make([]kafka.Message, n)
	for i := range msgs {
		msgs[i] = commissioned(i)
	}
	p := kafka.NewProducer(brokers, topics.Events, kafka.ProducerOptions{BatchSize: 1000})
	require.NoError(t, p.Produce(context.Background(), msgs...))
	require.NoError(t, p.Close())

	ledgerDir := filepath.Join(t.TempDir(), "ledger")
	store, err := ledger.Open(ledgerDir, nil)
	require.NoError(t, err)
	svc := ingest.NewService(store, ingest.Options{Brokers: brokers, Prefix: prefix, MaxBatch: 500})
	ctx, cancel := context.WithCancel(context.Background())
	ingestDone := make(chan error, 1)
	go func() { ingestDone <- svc.Run(ctx) }()

	state := filepath.Join(t.TempDir(), "replica")
	args := []string{"--state", state, "--topic-prefix", prefix}
	for k, threshold := range []uint64{500, 2500, 4500} {
		s := startServer(t, args...)
		require.Eventually(t, func() bool { return s.head() >= threshold }, 2*time.Minute, 5*time.Millisecond, "kill %d", k+1)
		s.Kill(t)
	}
	s := startServer(t, args...)
	require.Eventually(t, func() bool { return s.head() == n }, 2*time.Minute, 10*time.Millisecond, "the replica catches up")

	code, out, stderr := run(t, "verify", "--server", s.URL, "--ingest", "http://127.0.0.1:1")
	require.NotEqual(t, 0, code, "an unreachable ingest is an error: %s", out+stderr)

	var live bytes.Buffer
	code, dumpOut, stderr := run(t, "dump", "--server", s.URL)
	require.Equal(t, 0, code, stderr)
	live.WriteString(dumpOut)
	s.Stop(t)

	cancel()
	require.NoError(t, <-ingestDone)
	off, err := replica.Open(filepath.Join(t.TempDir(), "offline"), replica.Options{})
	require.NoError(t, err)
	defer off.Close()
	require.NoError(t, off.SyncLedger(context.Background(), store))
	require.NoError(t, store.Close())
	var want bytes.Buffer
	require.NoError(t, off.View(func(p *projections.Projection, src projections.Source) error { return p.Dump(src, &want, true) }))
	assert.Equal(t, want.String(), live.String(), "the killed and restarted replica holds exactly the ledger")
	assert.Equal(t, uint64(n), off.Head().Seq)
}
