package main

import (
	"context"
	"encoding/json"
	"github.com/chipledger/chipledger/internal/daemontest"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/ingest/ingesttest"
	"github.com/chipledger/chipledger/kafka"
	"github.com/chipledger/chipledger/kafka/kafkatest"
	"github.com/chipledger/chipledger/ledger"
)

// daemon is an `ingest run` child process.
type daemon struct{ *daemontest.Daemon }

func startDaemon(t testing.TB, args ...string) *daemon {
	t.Helper()
	bin := daemontest.Build(t, ".")
	return &daemon{daemontest.Start(t, bin, append([]string{"run", "--addr", "127.0.0.1:0", "--log-level", "warn"}, args...)...)}
}

type status struct {
	Seq       uint64 `json:"sequence"`
	Published uint64 `json:"published"`
	Counts    struct {
		Read int64 `json:"read"`
	} `json:"counts"`
}

// status asks the daemon; ok is false while it is not answering.
func (d *daemon) status() (status, bool) {
	var st status
	resp, err := http.Get(d.URL + "/status")
	if err != nil {
		return st, false
	}
	defer resp.Body.Close()
	return st, resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&st) == nil
}

func TestSurvivesSIGKILL(t *testing.T) {
	brokers, prefix := kafkatest.Brokers(t), kafkatest.Prefix(t)
	topics, err := kafka.EnsureTopics(context.Background(), brokers, prefix, kafka.EnsureOptions{})
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "ledger")
	const n, kills = 10000, 6

	// The producer publishes while ingest is killed and restarted.
	produced := make(chan error, 1)
	go func() {
		p := kafka.NewProducer(brokers, topics.Events, kafka.ProducerOptions{BatchSize: 500})
		defer p.Close()
		for i := 0; i < n; i += 500 {
			if err := p.Produce(context.Background(), ingesttest.Messages("K", i, 500)...); err != nil {
				produced <- err
				return
			}
		}
		produced <- nil
	}()

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	args := []string{"--ledger", dir, "--topic-prefix", prefix, "--max-batch", "700"}
	for k := 0; k < kills; k++ {
		d := startDaemon(t, args...)
		// Kill at a random point: once the head has moved past a random
		// threshold in this run's share of the events.
		threshold := uint64(k*n/kills) + uint64(rng.IntN(n/kills))
		require.Eventually(t, func() bool {
			st, ok := d.status()
			return ok && st.Seq >= threshold
		}, 2*time.Minute, 5*time.Millisecond, "head never reached %d before kill %d", threshold, k+1)
		d.Kill(t)
	}
	require.NoError(t, <-produced)

	d := startDaemon(t, args...)
	require.Eventually(t, func() bool {
		st, ok := d.status()
		return ok && st.Seq == n && st.Published == n
	}, 2*time.Minute, 20*time.Millisecond, "the last run catches up")
	d.Stop(t)

	s, err := ledger.Open(dir, nil)
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, uint64(n), s.Head().Seq, "each event exactly once")
	_, err = s.Verify(context.Background(), nil)
	require.NoError(t, err)
	for i := 0; i < n; i += 101 {
		_, v := ingesttest.Event("K", i)
		id := strings.SplitN(string(v), `"`, 5)[3]
		_, err := s.EntryByID(id)
		require.NoError(t, err, "event %d", i)
	}
	repeats := ingesttest.CheckChipLedger(t, kafkatest.ReadAll(t, brokers, topics.Ledger, 0), s)
	t.Logf("%d kills; chip-ledger carried %d byte-identical repeats", kills, repeats)
	qs, err := s.Quarantine(ledger.QuarantineFilter{})
	require.NoError(t, err)
	assert.Empty(t, qs, "nothing was quarantined")
}

func TestQuarantineRetryThroughRunningIngest(t *testing.T) {
	brokers, prefix := kafkatest.Brokers(t), kafkatest.Prefix(t)
	topics, err := kafka.EnsureTopics(context.Background(), brokers, prefix, kafka.EnsureOptions{})
	require.NoError(t, err)
	key, good := ingesttest.Event("RT", 1)
	broken := strings.Replace(string(good), `"serial":"RT000000001",`, "", 1)
	p := kafka.NewProducer(brokers, topics.Events, kafka.ProducerOptions{})
	require.NoError(t, p.Produce(context.Background(), kafka.Message{Key: key, Value: []byte(broken)}))
	require.NoError(t, p.Close())

	dir := filepath.Join(t.TempDir(), "ledger")
	d := startDaemon(t, "--ledger", dir, "--topic-prefix", prefix, "--token", "s3cret")
	require.Eventually(t, func() bool { st, ok := d.status(); return ok && st.Counts.Read == 1 }, time.Minute, 20*time.Millisecond)

	code, out, stderr := run(t, "", "quarantine", "list", "--ingest", d.URL, "--token", "s3cret", "--open")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "missing_field")

	code, _, stderr = run(t, "", "quarantine", "list", "--ingest", d.URL, "--token", "wrong")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "401")

	code, out, _ = run(t, "", "quarantine", "show", "1", "--ingest", d.URL, "--token", "s3cret")
	require.Equal(t, 0, code)
	assert.Contains(t, out, broken, "show prints the bytes as received")

	fixed := filepath.Join(t.TempDir(), "fixed.json")
	require.NoError(t, os.WriteFile(fixed, append(good, '\n'), 0o644))
	code, out, stderr = run(t, "", "quarantine", "retry", "1", "--file", fixed, "--ingest", d.URL, "--token", "s3cret")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "appended at sequence 1")
	code, _, stderr = run(t, "", "quarantine", "retry", "1", "--file", fixed, "--ingest", d.URL, "--token", "s3cret")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "already resolved")

	require.Eventually(t, func() bool { st, ok := d.status(); return ok && st.Published == 1 }, time.Minute, 20*time.Millisecond)
	d.Stop(t)

	// With ingest stopped, the same commands work on the ledger directly.
	code, out, stderr = run(t, "", "quarantine", "list", "--ledger", dir, "--json")
	require.Equal(t, 0, code, stderr)
	var qs []ledger.Quarantined
	require.NoError(t, json.Unmarshal([]byte(out), &qs))
	require.Len(t, qs, 1)
	assert.Equal(t, uint64(1), qs[0].Resolved)
	code, out, _ = run(t, "", "verify", "--ledger", dir)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "ok: 1 entries verified")
}

func TestSecondIngestOnALedgerIsRefused(t *testing.T) {
	brokers, prefix := kafkatest.Brokers(t), kafkatest.Prefix(t)
	_ = brokers
	dir := filepath.Join(t.TempDir(), "ledger")
	d := startDaemon(t, "--ledger", dir, "--topic-prefix", prefix)
	code, _, stderr := run(t, "", "run", "--ledger", dir, "--topic-prefix", prefix, "--addr", "127.0.0.1:0")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "locked")
	d.Stop(t)
}
