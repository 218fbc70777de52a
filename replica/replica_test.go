package replica_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/ingest"
	"github.com/chipledger/chipledger/kafka"
	"github.com/chipledger/chipledger/kafka/kafkatest"
	"github.com/chipledger/chipledger/ledger"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/projections/alerts"
	"github.com/chipledger/chipledger/replica"
)

// exampleLedger imports the examples of docs/events.md into a new ledger.
func exampleLedger(t *testing.T) *ledger.Store {
	t.Helper()
	f, err := os.Open("../events/testdata/examples.jsonl")
	require.NoError(t, err)
	defer f.Close()
	s, err := ledger.Open(filepath.Join(t.TempDir(), "ledger"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	c, err := ingest.Import(context.Background(), s, f, "examples.jsonl", ingest.ImportOptions{})
	require.NoError(t, err)
	require.Zero(t, c.Rejected)
	return s
}

func entries(t *testing.T, s *ledger.Store) []ledger.Entry {
	t.Helper()
	var out []ledger.Entry
	require.NoError(t, s.Scan(1, func(e ledger.Entry) error { out = append(out, e); return nil }))
	return out
}

// publish writes entries to a chip-ledger topic as the outbox does.
func publish(t *testing.T, brokers []string, topic string, es []ledger.Entry) {
	t.Helper()
	p := kafka.NewProducer(brokers, topic, kafka.ProducerOptions{BatchSize: 1000})
	defer p.Close()
	msgs := make([]kafka.Message, len(es))
	for i, e := range es {
		msgs[i] = kafka.Message{Key: []byte(strconv.FormatUint(e.Seq, 10)), Value: e.Raw}
	}
	require.NoError(t, p.Produce(context.Background(), msgs...))
}

func dump(t *testing.T, r *replica.Replica, coords bool) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, r.View(func(p *projections.Projection, src projections.Source) error { return p.Dump(src, &b, coords) }))
	return b.String()
}

// follow runs r.Follow until stop is called.
func follow(t *testing.T, r *replica.Replica, brokers []string, topic string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Follow(ctx, brokers, topic) }()
	return func() {
		cancel()
		require.NoError(t, <-done)
	}
}

func waitHead(t *testing.T, r *replica.Replica, seq uint64) {
	t.Helper()
	require.Eventually(t, func() bool { return r.Head().Seq >= seq }, time.Minute, 10*time.Millisecond, "replica head %d, want %d", r.Head().Seq, seq)
}

func TestReplicasAgreeAndResume(t *testing.T) {
	brokers, prefix := kafkatest.Brokers(t), kafkatest.Prefix(t)
	topics, err := kafka.EnsureTopics(context.Background(), brokers, prefix, kafka.EnsureOptions{})
	require.NoError(t, err)
	src := exampleLedger(t)
	all := entries(t, src)
	n := uint64(len(all))
	// The first half, then a byte-identical repeat of a few (an outbox retry), then the rest.
	publish(t, brokers, topics.Ledger, all[:n/2])
	publish(t, brokers, topics.Ledger, all[n/2-3:n/2])
	publish(t, brokers, topics.Ledger, all[n/2:])

	dirA := filepath.Join(t.TempDir(), "a")
	a, err := replica.Open(dirA, replica.Options{SnapshotEvery: 5, Logger: testLogger(t)})
	require.NoError(t, err)
	stop := follow(t, a, brokers, topics.Ledger)
	waitHead(t, a, n)
	stop()
	assert.Nil(t, a.Broken())
	st := a.Stats()
	assert.Equal(t, n, st.Applied)
	assert.Equal(t, uint64(3), st.Repeats, "the repeats were skipped")
	dumpA := dump(t, a, true)
	require.NoError(t, a.Close())

	// A replica started late, from nothing, gives the same dump.
	b, err := replica.Open(filepath.Join(t.TempDir(), "b"), replica.Options{})
	require.NoError(t, err)
	defer b.Close()
	stop = follow(t, b, brokers, topics.Ledger)
	waitHead(t, b, n)
	stop()
	assert.Equal(t, dumpA, dump(t, b, true), "two replicas give identical canonical dumps")

	// Reopened, the first resumes from its snapshot and stored offset:
	// nothing is applied twice, and new entries go on from there.
	a, err = replica.Open(dirA, replica.Options{SnapshotEvery: 5})
	require.NoError(t, err)
	defer a.Close()
	assert.Equal(t, dumpA, dump(t, a, true), "restored state equals the state before")
	assert.Equal(t, n, a.Head().Seq)

	// Offline: a replica built from the ledger directory agrees too.
	c, err := replica.Open(filepath.Join(t.TempDir(), "c"), replica.Options{})
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SyncLedger(context.Background(), src))
	assert.Equal(t, dumpA, dump(t, c, true))
}

func TestAlteredEntryStopsTheReplica(t *testing.T) {
	brokers, prefix := kafkatest.Brokers(t), kafkatest.Prefix(t)
	topics, err := kafka.EnsureTopics(context.Background(), brokers, prefix, kafka.EnsureOptions{})
	require.NoError(t, err)
	all := entries(t, exampleLedger(t))
	const bad = 20
	// Entry 20 (a shipment) altered on chip-ledger: one byte of its canonical event
	// changed (it still decodes and still names entry 19's hash).
	e := all[bad-1]
	canon := bytes.Replace(e.Canonical, []byte(`"P-`), []byte(`"Q-`), 1)
	require.NotEqual(t, e.Canonical, canon)
	raw := ledger.EncodeEntry(e.Seq, e.Received, e.Source, e.EventID, e.Original, canon, e.Prev)
	altered, err := ledger.DecodeEntry(raw)
	require.NoError(t, err)
	tampered := append(append(append([]ledger.Entry{}, all[:bad-1]...), altered), all[bad:]...)
	publish(t, brokers, topics.Ledger, tampered)

	r, err := replica.Open(filepath.Join(t.TempDir(), "r"), replica.Options{})
	require.NoError(t, err)
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Follow returns by itself at the break.
	require.NoError(t, r.Follow(ctx, brokers, topics.Ledger))
	require.NoError(t, ctx.Err(), "Follow stopped at the break, not at the timeout")
	b := r.Broken()
	require.NotNil(t, b)
	assert.Equal(t, uint64(bad), b.Seq, "the break is reported at the altered entry: %v", b)
	assert.LessOrEqual(t, r.Head().Seq, uint64(bad), "nothing after the break is applied")
	// It keeps serving what it verified.
	require.NoError(t, r.View(func(p *projections.Projection, src projections.Source) error {
		_, err := p.Unit(src, events.UnitID("chip:1652423000001"))
		return err
	}))
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// TestDetectionFollowsTheFeed: a replica following chip-ledger with
// RunDetection raises the alerts of the entries as they arrive, and ends
// with the alerts of one evaluation of the whole ledger.
func TestDetectionFollowsTheFeed(t *testing.T) {
	brokers, prefix := kafkatest.Brokers(t), kafkatest.Prefix(t)
	topics, err := kafka.EnsureTopics(context.Background(), brokers, prefix, kafka.EnsureOptions{})
	require.NoError(t, err)
	src := exampleLedger(t)
	all := entries(t, src)
	n := uint64(len(all))
	// sys:SMC-B7, never commissioned, appears in one entry (k): R10.
	const b7 = "R10:sys:SMC-B7:01968691-8188-7341-ac71-49a07bca0132"
	k := slices.IndexFunc(all, func(e ledger.Entry) bool { return strings.Contains(string(e.Canonical), `"sys:SMC-B7"`) })
	require.Positive(t, k)
	require.Equal(t, "01968691-8188-7341-ac71-49a07bca0132", all[k].EventID)

	r, err := replica.Open(filepath.Join(t.TempDir(), "r"), replica.Options{Logger: testLogger(t)})
	require.NoError(t, err)
	defer r.Close()
	stop := follow(t, r, brokers, topics.Ledger)
	defer stop()
	ctx, cancel := context.WithCancel(context.Background())
	detectDone := make(chan error, 1)
	go func() { detectDone <- r.RunDetection(ctx, 10*time.Millisecond) }()
	defer func() {
		cancel()
		require.NoError(t, <-detectDone)
	}()
	detectedAt := func(seq uint64) func() bool {
		return func() bool { return r.AlertStats().Seq == seq }
	}

	publish(t, brokers, topics.Ledger, all[:k])
	require.Eventually(t, detectedAt(uint64(k)), time.Minute, 10*time.Millisecond, "detection reaches sequence %d (at %d)", k, r.AlertStats().Seq)
	_, err = r.Alert(b7)
	require.ErrorIs(t, err, alerts.ErrNotFound, "not raised before its entry arrives")
	require.NotEmpty(t, r.Alerts(alerts.Filter{State: alerts.StateOpen}), "the first entries raise alerts of their own")

	publish(t, brokers, topics.Ledger, all[k:])
	require.Eventually(t, detectedAt(n), time.Minute, 10*time.Millisecond, "detection reaches sequence %d (at %d)", n, r.AlertStats().Seq)
	a, err := r.Alert(b7)
	require.NoError(t, err)
	assert.Equal(t, alerts.StateOpen, a.State)
	assert.Equal(t, "sys:SMC-B7", a.Subject)
	require.Len(t, a.Evidence, 1)
	assert.Equal(t, all[k].Seq, a.Evidence[0].Seq)
	assert.Equal(t, all[k].Hash.String(), a.Evidence[0].Hash)
	assert.Greater(t, a.RaisedSeq, uint64(k), "raised by an evaluation after its entry arrived")
	ds := r.DetectionStatus()
	assert.GreaterOrEqual(t, ds.Evaluations, uint64(2))
	assert.Empty(t, ds.Error)
	assert.Equal(t, n, ds.Seq)

	// The same open alerts as one evaluation of the whole ledger.
	off, err := replica.Open(filepath.Join(t.TempDir(), "off"), replica.Options{})
	require.NoError(t, err)
	defer off.Close()
	require.NoError(t, off.SyncLedger(context.Background(), src))
	_, err = off.Detect()
	require.NoError(t, err)
	ids := func(as []alerts.Alert) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.ID+" "+a.Severity+" "+a.CaseSeverity)
		}
		return out
	}
	open := alerts.Filter{State: alerts.StateOpen}
	assert.Equal(t, ids(off.Alerts(open)), ids(r.Alerts(open)))
}
