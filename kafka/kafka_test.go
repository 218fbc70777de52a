package kafka_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/kafka"
)

// These tests run against a real Kafka broker named by KAFKA_BROKERS. They
// never skip: without a broker they fail, telling how to start one.
func brokers(t *testing.T) []string {
	t.Helper()
	env := strings.TrimSpace(os.Getenv("KAFKA_BROKERS"))
	if env == "" {
		t.Fatal("KAFKA_BROKERS is not set: these tests need a real Kafka broker. " +
			"Start the local one with `bash scripts/kafka.sh up` and then " +
			"`eval \"$(bash scripts/kafka.sh env)\"` (export KAFKA_BROKERS=127.0.0.1:19092)")
	}
	var out []string
	for _, b := range strings.Split(env, ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	require.NotEmpty(t, out, "KAFKA_BROKERS=%q names no broker", env)
	return out
}

// prefix returns a topic prefix unique to this test run, e.g.
// "t-1a2b3c4d5e6f.", and deletes the topics created with it when the test
// ends, so the shared local broker does not pile up partitions.
func prefix(t *testing.T) string {
	t.Helper()
	var b [6]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	p := "t-" + hex.EncodeToString(b[:]) + "."
	t.Cleanup(func() {
		bs := strings.Split(os.Getenv("KAFKA_BROKERS"), ",")
		if bs[0] == "" {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		names := append(kafka.TopicNames(p).All(), p+kafka.ProbeTopicSuffix)
		assert.NoError(t, kafka.DeleteTopics(ctx, bs, names...))
	})
	return p
}

func testCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestTopicNames(t *testing.T) {
	assert.Equal(t, kafka.Topics{
		Events:   "t123.chip-events",
		Rejected: "t123.chip-events.rejected",
		Ledger:   "t123.chip-ledger",
		Alerts:   "t123.chip-alerts",
	}, kafka.TopicNames("t123."))
	assert.Equal(t, []string{"chip-events", "chip-events.rejected", "chip-ledger", "chip-alerts"},
		kafka.TopicNames("").All())
}

func TestSizeLimitsNest(t *testing.T) {
	const eventJSONLimit = 256 << 10
	const brokerMessageMaxBytes = 4 << 20 // scripts/kafka.sh
	assert.Less(t, eventJSONLimit, 1<<20)
	assert.Less(t, 1<<20, kafka.DefaultBatchBytes)
	assert.Less(t, kafka.DefaultBatchBytes, kafka.MaxMessageBytes)
	assert.Less(t, kafka.MaxMessageBytes, brokerMessageMaxBytes)
	script, err := os.ReadFile("../scripts/kafka.sh")
	require.NoError(t, err)
	assert.Contains(t, string(script), "message.max.bytes="+strconv.Itoa(brokerMessageMaxBytes))
}

func TestEnsureTopicsCreatesAllAndIsIdempotent(t *testing.T) {
	bs := brokers(t)
	ctx := testCtx(t, 60*time.Second)
	p := prefix(t)

	topics, err := kafka.EnsureTopics(ctx, bs, p, kafka.EnsureOptions{})
	require.NoError(t, err)
	require.Equal(t, kafka.TopicNames(p), topics)

	want := map[string]int{topics.Events: 6, topics.Rejected: 1, topics.Ledger: 1, topics.Alerts: 1}
	for name, n := range want {
		got, err := kafka.PartitionCount(ctx, bs, name)
		require.NoError(t, err, name)
		assert.Equal(t, n, got, "partitions of %s", name)
	}

	// Second and third calls: already-exists is fine.
	again, err := kafka.EnsureTopics(ctx, bs, p, kafka.EnsureOptions{})
	require.NoError(t, err)
	assert.Equal(t, topics, again)
	_, err = kafka.EnsureTopics(ctx, bs, p, kafka.EnsureOptions{EventPartitions: 6, ReplicationFactor: 1})
	require.NoError(t, err)

	// A different partition count for an existing topic is refused.
	_, err = kafka.EnsureTopics(ctx, bs, p, kafka.EnsureOptions{EventPartitions: 4})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "kafka: ")
	assert.Contains(t, err.Error(), "6 partitions, want 4")

	// Configurable event partitions.
	p2 := prefix(t)
	t2, err := kafka.EnsureTopics(ctx, bs, p2, kafka.EnsureOptions{EventPartitions: 3})
	require.NoError(t, err)
	n, err := kafka.PartitionCount(ctx, bs, t2.Events)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
}

func TestTopicConfigs(t *testing.T) {
	bs := brokers(t)
	ctx := testCtx(t, 60*time.Second)
	topics, err := kafka.EnsureTopics(ctx, bs, prefix(t), kafka.EnsureOptions{})
	require.NoError(t, err)

	ledger, err := kafka.DescribeTopicConfig(ctx, bs, topics.Ledger)
	require.NoError(t, err)
	assert.Equal(t, "-1", ledger["retention.ms"], "chip-ledger must be kept forever")
	assert.Equal(t, "-1", ledger["retention.bytes"])

	for _, name := range topics.All() {
		cfg, err := kafka.DescribeTopicConfig(ctx, bs, name)
		require.NoError(t, err, name)
		assert.Equal(t, strconv.Itoa(kafka.MaxMessageBytes), cfg["max.message.bytes"], name)
	}
	events, err := kafka.DescribeTopicConfig(ctx, bs, topics.Events)
	require.NoError(t, err)
	assert.NotEqual(t, "-1", events["retention.ms"], "only chip-ledger is unlimited")
	al, err := kafka.DescribeTopicConfig(ctx, bs, topics.Alerts)
	require.NoError(t, err)
	assert.Equal(t, "compact", al["cleanup.policy"], "chip-alerts keeps every alert's latest state")
}

func TestPartitionCountUnknownTopic(t *testing.T) {
	bs := brokers(t)
	ctx := testCtx(t, 30*time.Second)
	_, err := kafka.PartitionCount(ctx, bs, prefix(t)+"does-not-exist")
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "kafka: "), err.Error())
}

// javaPartitions are the partitions (out of 6) that Kafka's Java client
// assigns to these keys: Utils.toPositive(Utils.murmur2(key)) % 6, computed
// with kafka-clients 4.1.1.
var javaPartitions = []struct {
	key       string
	partition int
}{
	{"chip-0001", 3}, {"chip-0002", 5}, {"chip-0003", 0}, {"chip-0004", 4},
	{"chip-0005", 1}, {"chip-0006", 1}, {"chip-0007", 0}, {"chip-0008", 0},
	{"chip-0009", 0}, {"chip-0010", 5}, {"a-little-bit-long-string", 2},
}

func TestProducerPartitionReaderRoundTrip(t *testing.T) {
	bs := brokers(t)
	ctx := testCtx(t, 90*time.Second)
	topics, err := kafka.EnsureTopics(ctx, bs, prefix(t), kafka.EnsureOptions{})
	require.NoError(t, err)

	prod := kafka.NewProducer(bs, topics.Events, kafka.ProducerOptions{})
	defer prod.Close()
	assert.Equal(t, topics.Events, prod.Topic())

	before := time.Now().Add(-time.Minute)
	var msgs []kafka.Message
	for round := 0; round < 2; round++ {
		for _, kp := range javaPartitions {
			msgs = append(msgs, kafka.Message{
				Key:     []byte(kp.key),
				Value:   []byte(fmt.Sprintf(`{"chip":%q,"round":%d}`, kp.key, round)),
				Headers: map[string][]byte{"schema": []byte("v1"), "round": []byte(strconv.Itoa(round))},
			})
		}
	}
	require.NoError(t, prod.Produce(ctx, msgs...))

	hw, err := kafka.LastOffsets(ctx, bs, topics.Events)
	require.NoError(t, err)
	require.Len(t, hw, 6)
	wantPerPartition := map[int]int64{}
	for _, kp := range javaPartitions {
		wantPerPartition[kp.partition] += 2
	}
	total := int64(0)
	for p := 0; p < 6; p++ {
		assert.Equal(t, wantPerPartition[p], hw[p], "high watermark of partition %d", p)
		total += hw[p]
	}
	assert.EqualValues(t, len(msgs), total)

	wantPartition := map[string]int{}
	for _, kp := range javaPartitions {
		wantPartition[kp.key] = kp.partition
	}
	seen := 0
	for p := 0; p < 6; p++ {
		if hw[p] == 0 {
			continue
		}
		r, err := kafka.NewPartitionReader(bs, topics.Events, p, kafka.FirstOffset, kafka.ReaderOptions{})
		require.NoError(t, err)
		for i := int64(0); i < hw[p]; i++ {
			m, err := r.Fetch(ctx)
			require.NoError(t, err)
			assert.Equal(t, topics.Events, m.Topic)
			assert.Equal(t, p, m.Partition)
			assert.Equal(t, i, m.Offset, "offsets are dense and in order")
			assert.Equal(t, wantPartition[string(m.Key)], p, "key %s on the partition murmur2 (Java client) picks", m.Key)
			assert.Contains(t, string(m.Value), string(m.Key))
			assert.Equal(t, []byte("v1"), m.Headers["schema"])
			assert.True(t, m.Time.After(before), "record time %v", m.Time)
			seen++
		}
		assert.Equal(t, hw[p], r.Offset())
		require.NoError(t, r.Close())
		require.NoError(t, r.Close(), "Close is idempotent")
		_, err = r.Fetch(ctx)
		assert.ErrorIs(t, err, kafka.ErrClosed)
	}
	assert.Equal(t, len(msgs), seen)

	// Per-key order holds: round 0 of a key comes before round 1.
	r, err := kafka.NewPartitionReader(bs, topics.Events, 0, 0, kafka.ReaderOptions{})
	require.NoError(t, err)
	defer r.Close()
	rounds := map[string]string{}
	for i := int64(0); i < hw[0]; i++ {
		m, err := r.Fetch(ctx)
		require.NoError(t, err)
		prev := rounds[string(m.Key)]
		assert.Less(t, prev, string(m.Headers["round"])+"x")
		rounds[string(m.Key)] = string(m.Headers["round"])
	}
}

func TestProducerRejectsForeignTopicAndNoBrokers(t *testing.T) {
	bs := brokers(t)
	ctx := testCtx(t, 10*time.Second)
	p := kafka.NewProducer(bs, "some-topic", kafka.ProducerOptions{})
	err := p.Produce(ctx, kafka.Message{Topic: "other-topic", Value: []byte("x")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "kafka: produce")
	require.NoError(t, p.Close())
	assert.ErrorIs(t, p.Produce(ctx, kafka.Message{Value: []byte("x")}), kafka.ErrClosed)

	err = kafka.NewProducer(nil, "t", kafka.ProducerOptions{}).Produce(ctx, kafka.Message{})
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "kafka: "), err.Error())

	_, err = kafka.NewPartitionReader(nil, "t", 0, 0, kafka.ReaderOptions{})
	require.Error(t, err)
}

func TestReadLast(t *testing.T) {
	bs := brokers(t)
	ctx := testCtx(t, 60*time.Second)
	topics, err := kafka.EnsureTopics(ctx, bs, prefix(t), kafka.EnsureOptions{})
	require.NoError(t, err)

	last, err := kafka.ReadLast(ctx, bs, topics.Ledger, 0)
	require.NoError(t, err)
	assert.Nil(t, last, "empty partition has no last record")

	hw, err := kafka.LastOffsets(ctx, bs, topics.Ledger)
	require.NoError(t, err)
	assert.Equal(t, map[int]int64{0: 0}, hw)

	prod := kafka.NewProducer(bs, topics.Ledger, kafka.ProducerOptions{})
	defer prod.Close()
	for seq := 1; seq <= 3; seq++ {
		require.NoError(t, prod.Produce(ctx, kafka.Message{
			Key:     []byte("ledger"),
			Value:   []byte(fmt.Sprintf(`{"seq":%d}`, seq)),
			Headers: map[string][]byte{"seq": []byte(strconv.Itoa(seq))},
		}))
	}
	last, err = kafka.ReadLast(ctx, bs, topics.Ledger, 0)
	require.NoError(t, err)
	require.NotNil(t, last)
	assert.Equal(t, int64(2), last.Offset)
	assert.Equal(t, `{"seq":3}`, string(last.Value))
	assert.Equal(t, "ledger", string(last.Key))
	assert.Equal(t, "3", string(last.Headers["seq"]))
	assert.Equal(t, topics.Ledger, last.Topic)
	assert.Equal(t, 0, last.Partition)

	// A batch of several records: ReadLast still returns the last one, not
	// the first of the batch that holds it.
	batch := make([]kafka.Message, 5)
	for i := range batch {
		batch[i] = kafka.Message{Key: []byte("ledger"), Value: []byte(fmt.Sprintf(`{"seq":%d}`, 4+i))}
	}
	require.NoError(t, prod.Produce(ctx, batch...))
	last, err = kafka.ReadLast(ctx, bs, topics.Ledger, 0)
	require.NoError(t, err)
	require.NotNil(t, last)
	assert.Equal(t, int64(7), last.Offset)
	assert.Equal(t, `{"seq":8}`, string(last.Value))

	hw, err = kafka.LastOffsets(ctx, bs, topics.Ledger)
	require.NoError(t, err)
	assert.Equal(t, map[int]int64{0: 8}, hw)
}

func TestLargeLedgerEntry(t *testing.T) {
	bs := brokers(t)
	ctx := testCtx(t, 60*time.Second)
	topics, err := kafka.EnsureTopics(ctx, bs, prefix(t), kafka.EnsureOptions{})
	require.NoError(t, err)
	prod := kafka.NewProducer(bs, topics.Ledger, kafka.ProducerOptions{})
	defer prod.Close()

	big := bytes.Repeat([]byte("x"), 1<<20-1) // just under the 1 MiB ledger entry bound
	require.NoError(t, prod.Produce(ctx, kafka.Message{Key: []byte("ledger"), Value: big}))
	last, err := kafka.ReadLast(ctx, bs, topics.Ledger, 0)
	require.NoError(t, err)
	require.NotNil(t, last)
	assert.Equal(t, len(big), len(last.Value))

	r, err := kafka.NewPartitionReader(bs, topics.Ledger, 0, 0, kafka.ReaderOptions{})
	require.NoError(t, err)
	defer r.Close()
	m, err := r.Fetch(ctx)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(big, m.Value))

	// Larger than a produce batch may be: refused by the client.
	tooBig := bytes.Repeat([]byte("y"), kafka.MaxMessageBytes)
	err = prod.Produce(ctx, kafka.Message{Key: []byte("ledger"), Value: tooBig})
	require.Error(t, err)
}

func TestFetchBatch(t *testing.T) {
	bs := brokers(t)
	ctx := testCtx(t, 60*time.Second)
	topics, err := kafka.EnsureTopics(ctx, bs, prefix(t), kafka.EnsureOptions{})
	require.NoError(t, err)

	prod := kafka.NewProducer(bs, topics.Rejected, kafka.ProducerOptions{})
	defer prod.Close()
	var msgs []kafka.Message
	for i := 0; i < 10; i++ {
		msgs = append(msgs, kafka.Message{Key: []byte("k"), Value: []byte(strconv.Itoa(i))})
	}
	require.NoError(t, prod.Produce(ctx, msgs...))

	r, err := kafka.NewPartitionReader(bs, topics.Rejected, 0, kafka.FirstOffset, kafka.ReaderOptions{})
	require.NoError(t, err)
	defer r.Close()

	got, err := r.FetchBatch(ctx, 4, 2*time.Second)
	require.NoError(t, err)
	require.Len(t, got, 4, "stops at max")
	for i, m := range got {
		assert.Equal(t, int64(i), m.Offset)
		assert.Equal(t, strconv.Itoa(i), string(m.Value))
	}

	start := time.Now()
	got, err = r.FetchBatch(ctx, 100, 500*time.Millisecond)
	require.NoError(t, err)
	require.Len(t, got, 6, "returns what arrived within linger")
	assert.Equal(t, int64(4), got[0].Offset)
	assert.Equal(t, int64(9), got[5].Offset)
	assert.Less(t, time.Since(start), 5*time.Second)

	// Nothing left: blocks until ctx ends.
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	got, err = r.FetchBatch(short, 10, 100*time.Millisecond)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Empty(t, got)

	// A record produced while FetchBatch waits is returned.
	done := make(chan []kafka.Message, 1)
	go func() {
		b, err := r.FetchBatch(ctx, 10, 200*time.Millisecond)
		assert.NoError(t, err)
		done <- b
	}()
	time.Sleep(300 * time.Millisecond)
	require.NoError(t, prod.Produce(ctx, kafka.Message{Value: []byte("late-1")}, kafka.Message{Value: []byte("late-2")}))
	select {
	case b := <-done:
		require.Len(t, b, 2)
		assert.Equal(t, "late-1", string(b[0].Value))
		assert.Equal(t, int64(10), b[0].Offset)
		assert.Equal(t, "late-2", string(b[1].Value))
	case <-ctx.Done():
		t.Fatal("FetchBatch did not return the late records")
	}
}

func TestReaderFromLastOffset(t *testing.T) {
	bs := brokers(t)
	ctx := testCtx(t, 60*time.Second)
	topics, err := kafka.EnsureTopics(ctx, bs, prefix(t), kafka.EnsureOptions{})
	require.NoError(t, err)
	prod := kafka.NewProducer(bs, topics.Rejected, kafka.ProducerOptions{})
	defer prod.Close()
	require.NoError(t, prod.Produce(ctx, kafka.Message{Value: []byte("old")}))

	r, err := kafka.NewPartitionReader(bs, topics.Rejected, 0, kafka.LastOffset, kafka.ReaderOptions{})
	require.NoError(t, err)
	defer r.Close()
	got := make(chan kafka.Message, 1)
	go func() {
		m, err := r.Fetch(ctx)
		assert.NoError(t, err)
		got <- m
	}()
	// The reader resolves LastOffset when it first connects; keep producing
	// until it returns a new record, never the old one.
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case m := <-got:
			assert.Equal(t, "new", string(m.Value))
			assert.GreaterOrEqual(t, m.Offset, int64(1))
			return
		case <-tick.C:
			require.NoError(t, prod.Produce(ctx, kafka.Message{Value: []byte("new")}))
		case <-ctx.Done():
			t.Fatal("reader at LastOffset returned nothing")
		}
	}
}

func TestCommitGroupOffsets(t *testing.T) {
	bs := brokers(t)
	ctx := testCtx(t, 60*time.Second)
	topics, err := kafka.EnsureTopics(ctx, bs, prefix(t), kafka.EnsureOptions{})
	require.NoError(t, err)
	prod := kafka.NewProducer(bs, topics.Events, kafka.ProducerOptions{})
	defer prod.Close()
	for _, kp := range javaPartitions {
		require.NoError(t, prod.Produce(ctx, kafka.Message{Key: []byte(kp.key), Value: []byte("v")}))
	}
	hw, err := kafka.LastOffsets(ctx, bs, topics.Events)
	require.NoError(t, err)

	group := "g-" + strings.TrimSuffix(prefix(t), ".")
	require.NoError(t, kafka.CommitGroupOffsets(ctx, bs, group, topics.Events, hw))
	got, err := kafka.GroupOffsets(ctx, bs, group, topics.Events)
	require.NoError(t, err)
	assert.Equal(t, hw, got)

	// Committing again (moving an offset back) works too.
	require.NoError(t, kafka.CommitGroupOffsets(ctx, bs, group, topics.Events, map[int]int64{0: 1}))
	got, err = kafka.GroupOffsets(ctx, bs, group, topics.Events)
	require.NoError(t, err)
	assert.Equal(t, int64(1), got[0])
}

func TestProbe(t *testing.T) {
	bs := brokers(t)
	ctx := testCtx(t, 60*time.Second)
	p := prefix(t)
	require.NoError(t, kafka.Probe(ctx, bs, p))
	require.NoError(t, kafka.Probe(ctx, bs, p), "second probe reuses the topic")
	n, err := kafka.PartitionCount(ctx, bs, p+"chip-probe")
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}

func TestProbeUnreachable(t *testing.T) {
	ctx := testCtx(t, 3*time.Second)
	err := kafka.Probe(ctx, []string{"127.0.0.1:1"}, prefix(t))
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "kafka: probe: "), err.Error())
}
