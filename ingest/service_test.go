package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/ingest"
	"github.com/chipledger/chipledger/ingest/ingesttest"
	"github.com/chipledger/chipledger/kafka"
	"github.com/chipledger/chipledger/kafka/kafkatest"
	"github.com/chipledger/chipledger/ledger"
)

// started runs a service in the background; stop cancels it and returns
// Run's error.
func started(t *testing.T, s *ledger.Store, opts ingest.Options) (*ingest.Service, func() error) {
	t.Helper()
	svc := ingest.NewService(s, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { _ = stop() })
	return svc, stop
}

// waitFor polls cond until it holds or a minute passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, time.Minute, 20*time.Millisecond, "waiting for %s", what)
}

func produce(t *testing.T, brokers []string, topic string, msgs []kafka.Message) {
	t.Helper()
	p := kafka.NewProducer(brokers, topic, kafka.ProducerOptions{BatchSize: 1000})
	defer p.Close()
	for len(msgs) > 0 {
		n := min(len(msgs), 1000)
		require.NoError(t, p.Produce(context.Background(), msgs[:n]...))
		msgs = msgs[n:]
	}
}

func TestExactlyOnceOverAllPartitions(t *testing.T) {
	brokers, prefix := kafkatest.Brokers(t), kafkatest.Prefix(t)
	topics, err := kafka.EnsureTopics(context.Background(), brokers, prefix, kafka.EnsureOptions{})
	require.NoError(t, err)
	const n = 10000
	msgs := ingesttest.Messages("EO", 0, n)
	// Publishers retry: 500 events arrive twice.
	msgs = append(msgs, ingesttest.Messages("EO", 2000, 500)...)
	produce(t, brokers, topics.Events, msgs)

	s, err := ledger.Open(t.TempDir(), nil)
	require.NoError(t, err)
	defer s.Close()
	svc, stop := started(t, s, ingest.Options{Brokers: brokers, Prefix: prefix, StatsEvery: 200 * time.Millisecond})
	waitFor(t, "every message consumed and published", func() bool {
		st := svc.Status()
		return st.Counts.Read == int64(len(msgs)) && st.Published == n
	})
	require.NoError(t, stop())

	st := svc.Status()
	assert.Equal(t, int64(n), st.Counts.Appended)
	assert.Equal(t, int64(500), st.Counts.Duplicates)
	assert.Zero(t, st.Counts.Rejected)
	assert.Equal(t, uint64(n), s.Head().Seq)

	offsets, err := s.Offsets(topics.Events)
	require.NoError(t, err)
	assert.Len(t, offsets, 6, "every partition was consumed: %v", offsets)
	var total int64
	for _, o := range offsets {
		total += o
	}
	assert.Equal(t, int64(len(msgs)), total, "the stored offsets account for every message")

	for i := 0; i < n; i += 997 {
		_, v := ingesttest.Event("EO", i)
		id := strings.SplitN(string(v), `"`, 5)[3]
		e, err := s.EntryByID(id)
		require.NoError(t, err, "event %d", i)
		assert.Equal(t, v, e.Original)
	}
	_, err = s.Verify(context.Background(), nil)
	require.NoError(t, err)
	repeats := ingesttest.CheckChipLedger(t, kafkatest.ReadAll(t, brokers, topics.Ledger, 0), s)
	assert.Zero(t, repeats, "a clean run publishes every entry once")

	// A restart consumes nothing again and publishes nothing again.
	svc, stop = started(t, s, ingest.Options{Brokers: brokers, Prefix: prefix})
	produce(t, brokers, topics.Events, ingesttest.Messages("EO", n, 1))
	waitFor(t, "the one new event", func() bool { return svc.Status().Published == n+1 })
	require.NoError(t, stop())
	assert.Equal(t, int64(1), svc.Status().Counts.Read, "the restart resumed at the stored offsets")
	ingesttest.CheckChipLedger(t, kafkatest.ReadAll(t, brokers, topics.Ledger, 0), s)
}

func TestPoisonMessagesAreQuarantinedAndMirrored(t *testing.T) {
	brokers, prefix := kafkatest.Brokers(t), kafkatest.Prefix(t)
	topics, err := kafka.EnsureTopics(context.Background(), brokers, prefix, kafka.EnsureOptions{})
	require.NoError(t, err)

	units := make([]string, 10000)
	for i := range units {
		units[i] = fmt.Sprintf(`"chip:BULK-%05d"`, i)
	}
	_, good := ingesttest.Event("PZ", 1)
	poison := []struct{ reason, value string }{
		{"not_json", `{"id": "x", `},
		{"not_json", ``},
		{"unknown_type", strings.Replace(string(good), "unit.commissioned.v1", "unit.teleported.v1", 1)},
		{"missing_field", strings.Replace(string(good), `"serial":"PZ000000001",`, "", 1)},
		{"invalid_utf8", strings.Replace(string(good), "P-NVIDIA", "P-NV\xffIDIA", 1)},
		{"duplicate_key", strings.Replace(string(good), `"publisher":"P-NVIDIA"`, `"publisher":"P-NVIDIA","publisher":"P-X"`, 1)},
		{"bad_key", strings.Replace(string(good), `"publisher"`, `"Publisher"`, 1)},
		{"unknown_field", strings.Replace(string(good), `"country":"TW"`, `"country":"TW","colour":"green"`, 1)},
		{"out_of_range", strings.Replace(string(good), `"country":"TW"`, `"country":"Taiwan"`, 1)},
		{"too_large", strings.Replace(string(good), `"model":"H100-SXM5-80GB"`, `"model":"`+strings.Repeat("x", 300<<10)+`"`, 1)},
		{"too_many_units", `{"id":"0193a000-0000-7000-8000-000000000005","type":"unit.lost.v1","occurred_at":"2025-01-01T00:00:00Z","recorded_at":"2025-01-01T00:00:00Z","publisher":"P1","body":{"units":[` + strings.Join(units, ",") + `],"party":"P1"}}`},
	}
	var msgs []kafka.Message
	goodMsgs := ingesttest.Messages("PZ", 100, 2*len(poison))
	for i, p := range poison {
		// One partition gets all of them, between good events, so a poison
		// message that stalled its partition would hold the next one back.
		msgs = append(msgs, goodMsgs[2*i], kafka.Message{Key: goodMsgs[0].Key, Value: []byte(p.value)}, goodMsgs[2*i+1])
	}
	produce(t, brokers, topics.Events, msgs)

	s, err := ledger.Open(filepath.Join(t.TempDir(), "ledger"), nil)
	require.NoError(t, err)
	defer s.Close()
	svc, stop := started(t, s, ingest.Options{Brokers: brokers, Prefix: prefix})
	waitFor(t, "every message handled", func() bool { return svc.Status().Counts.Read == int64(len(msgs)) })
	require.NoError(t, stop())

	st := svc.Status()
	assert.Equal(t, int64(len(goodMsgs)), st.Counts.Appended, "every good event is appended")
	assert.Equal(t, int64(len(poison)), st.Counts.Rejected)

	qs, err := s.Quarantine(ledger.QuarantineFilter{})
	require.NoError(t, err)
	require.Len(t, qs, len(poison))
	byValue := make(map[string]ledger.Quarantined)
	for _, q := range qs {
		byValue[string(q.Original)] = q
		assert.Equal(t, topics.Events, q.Source.Name)
	}
	for _, p := range poison {
		q, ok := byValue[p.value]
		if assert.True(t, ok, "%s: quarantined byte for byte", p.reason) {
			assert.Equal(t, p.reason, q.Reason, "%s", q.Detail)
		}
	}

	mirror := kafkatest.ReadAll(t, brokers, topics.Rejected, 0)
	require.Len(t, mirror, len(poison), "every reject is mirrored to %s", topics.Rejected)
	for _, m := range mirror {
		q, ok := byValue[string(m.Value)]
		require.True(t, ok, "mirrored bytes are the original bytes")
		assert.Equal(t, q.Reason, string(m.Headers["chipledger-reason"]))
		assert.Equal(t, q.Source.String(), string(m.Headers["chipledger-source"]))
	}

	// A fixed message is re-driven once.
	missing := byValue[poison[3].value]
	res, err := ingest.Retry(s, nil, missing.ID, good, time.Now())
	require.NoError(t, err)
	assert.True(t, res.Appended)
	_, err = ingest.Retry(s, nil, missing.ID, good, time.Now())
	require.True(t, errors.Is(err, ingest.ErrResolved), "got %v", err)
	_, err = ingest.Retry(s, nil, byValue[poison[0].value].ID, nil, time.Now())
	var rej *ingest.RejectedError
	require.True(t, errors.As(err, &rej), "retrying unchanged bad bytes is rejected again: %v", err)
	_, err = s.Verify(context.Background(), nil)
	require.NoError(t, err)
}

func TestOutboxOfAnotherLedgerStopsIngest(t *testing.T) {
	brokers, prefix := kafkatest.Brokers(t), kafkatest.Prefix(t)
	topics, err := kafka.EnsureTopics(context.Background(), brokers, prefix, kafka.EnsureOptions{})
	require.NoError(t, err)
	produce(t, brokers, topics.Events, ingesttest.Messages("OB", 0, 10))
	first, err := ledger.Open(t.TempDir(), nil)
	require.NoError(t, err)
	defer first.Close()
	svc, stop := started(t, first, ingest.Options{Brokers: brokers, Prefix: prefix})
	waitFor(t, "the first ledger published", func() bool { return svc.Status().Published == 10 })
	require.NoError(t, stop())

	// A fresh ledger on the same topics: chip-ledger already holds
	// sequences this ledger does not have.
	other, err := ledger.Open(t.TempDir(), nil)
	require.NoError(t, err)
	defer other.Close()
	err = ingest.NewService(other, ingest.Options{Brokers: brokers, Prefix: prefix}).Run(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "check --topic-prefix")
}
