// Package kafkatest helps tests talk to the real Kafka broker named by
// KAFKA_BROKERS: it fails (never skips) when there is none, gives each test
// its own topic prefix, and reads whole partitions back.
package kafkatest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chipledger/chipledger/kafka"
)

// Brokers returns KAFKA_BROKERS, failing the test with instructions when it
// is not set.
func Brokers(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, b := range strings.Split(os.Getenv("KAFKA_BROKERS"), ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		t.Fatal("KAFKA_BROKERS is not set: this test needs a real Kafka broker. " +
			"Run `make test`, or `bash scripts/kafka.sh up` and export KAFKA_BROKERS=127.0.0.1:19092")
	}
	return out
}

// Prefix returns a topic prefix unique to one test.
func Prefix(t testing.TB) string {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "t-" + hex.EncodeToString(b[:]) + "."
}

// ReadAll returns every record of one partition, from the first to the
// high watermark at the time of the call.
func ReadAll(t testing.TB, brokers []string, topic string, partition int) []kafka.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	high, err := kafka.LastOffsets(ctx, brokers, topic)
	if err != nil {
		t.Fatalf("kafkatest: high watermarks of %s: %v", topic, err)
	}
	end := high[partition]
	r, err := kafka.NewPartitionReader(brokers, topic, partition, kafka.FirstOffset, kafka.ReaderOptions{MaxWait: 100 * time.Millisecond, QueueCapacity: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []kafka.Message
	for len(out) == 0 || out[len(out)-1].Offset+1 < end {
		if end == 0 {
			break
		}
		msgs, err := r.FetchBatch(ctx, 5000, 20*time.Millisecond)
		if err != nil {
			t.Fatalf("kafkatest: read %s/%d: %v (have %d records, want up to offset %d)", topic, partition, err, len(out), end)
		}
		out = append(out, msgs...)
	}
	return out
}
