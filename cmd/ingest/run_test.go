package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/ingest/ingesttest"
	"github.com/chipledger/chipledger/kafka"
	"github.com/chipledger/chipledger/kafka/kafkatest"
	"github.com/chipledger/chipledger/ledger"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// ingestBinary builds this command once per test run.
func ingestBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ingest-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "ingest")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return binPath
}

// daemon is an `ingest run` child process.
type daemon struct {
	cmd  *exec.Cmd
	url  string
	done chan error
}

func startDaemon(t testing.TB, args ...string) *daemon {
	t.Helper()
	cmd := exec.Command(ingestBinary(t), append([]string{"run", "--addr", "127.0.0.1:0", "--log-level", "warn"}, args...)...)
	cmd.Env = os.Environ()
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	d := &daemon{cmd: cmd, done: make(chan error, 1)}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
			d.url = u
			break
		}
	}
	require.NotEmpty(t, d.url, "ingest run printed no address")
	go func() {
		for sc.Scan() {
		}
		d.done <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return d
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
	resp, err := http.Get(d.url + "/status")
	if err != nil {
		return st, false
	}
	defer resp.Body.Close()
	return st, resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&st) == nil
}

func (d *daemon) kill(t testing.TB) {
	t.Helper()
	require.NoError(t, d.cmd.Process.Signal(syscall.SIGKILL))
	<-d.done
}

func (d *daemon) stop(t testing.TB) {
	t.Helper()
	require.NoError(t, d.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-d.done:
		require.NoError(t, err, "ingest exits 0 after SIGTERM")
	case <-time.After(30 * time.Second):
		t.Fatal("ingest did not stop within 30 s of SIGTERM")
	}
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
		d.kill(t)
	}
	require.NoError(t, <-produced)

	d := startDaemon(t, args...)
	require.Eventually(t, func() bool {
		st, ok := d.status()
		return ok && st.Seq == n && st.Published == n
	}, 2*time.Minute, 20*time.Millisecond, "the last run catches up")
	d.stop(t)

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

	code, out, stderr := run(t, "", "quarantine", "list", "--ingest", d.url, "--token", "s3cret", "--open")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "missing_field")

	code, _, stderr = run(t, "", "quarantine", "list", "--ingest", d.url, "--token", "wrong")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "401")

	code, out, _ = run(t, "", "quarantine", "show", "1", "--ingest", d.url, "--token", "s3cret")
	require.Equal(t, 0, code)
	assert.Contains(t, out, broken, "show prints the bytes as received")

	fixed := filepath.Join(t.TempDir(), "fixed.json")
	require.NoError(t, os.WriteFile(fixed, append(good, '\n'), 0o644))
	code, out, stderr = run(t, "", "quarantine", "retry", "1", "--file", fixed, "--ingest", d.url, "--token", "s3cret")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "appended at sequence 1")
	code, _, stderr = run(t, "", "quarantine", "retry", "1", "--file", fixed, "--ingest", d.url, "--token", "s3cret")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "already resolved")

	require.Eventually(t, func() bool { st, ok := d.status(); return ok && st.Published == 1 }, time.Minute, 20*time.Millisecond)
	d.stop(t)

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
	d.stop(t)
}
