// Package kafka is the only importer of kafka-go (github.com/segmentio/kafka-go)
// in chipledger. Every other package talks to Apache Kafka through the small,
// kafka-go-free API defined here: topic names and creation (EnsureTopics), a
// keyed synchronous Producer, a single-partition PartitionReader, offset
// queries (PartitionCount, LastOffsets, ReadLast), group offset commits for lag
// monitoring (CommitGroupOffsets) and an end-to-end health check (Probe).
//
// Topics (see TopicNames):
//
//	chip-events           raw custody events, keyed by chip id, 6 partitions
//	chip-events.rejected  events that failed validation, 1 partition
//	chip-ledger           the hash-chained ledger, 1 partition, kept forever
//	chip-alerts           alerts raised by projections, 1 partition
//
// Keys are assigned to partitions with Kafka's murmur2 partitioner (the Java
// client's default), so a chip's events land on the same partition whichever
// client produced them.
//
// Errors returned by this package are prefixed "kafka: ".
package kafka

import (
	"errors"
	"fmt"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// MaxMessageBytes is the max.message.bytes set on every chipledger topic
// (2 MiB): the largest record batch the broker accepts for these topics.
//
// Size limits nest, each comfortably inside the next, so that an event that
// passes validation can always be written to the ledger and a ledger entry can
// always be written to Kafka:
//
//	event JSON limit             256 KiB  (events package)
//	< ledger entry                < 1 MiB  (original + canonical event + header)
//	< topic max.message.bytes       2 MiB  (MaxMessageBytes, this constant)
//	< broker message.max.bytes      4 MiB  (scripts/kafka.sh server.properties)
//
// The broker limit is kept a few MiB only: very large values made Kafka 4.0's
// group coordinator run out of heap on a small local broker.
const MaxMessageBytes = 2 << 20

// DefaultBatchBytes is the Producer's default limit on the size of one
// produce batch (1.5 MiB): larger than any single ledger entry (< 1 MiB) yet,
// with the batch overhead, below MaxMessageBytes.
const DefaultBatchBytes = 3 << 19

// Special offsets accepted by NewPartitionReader.
const (
	// FirstOffset starts reading at the oldest record still in the partition.
	FirstOffset int64 = kafkago.FirstOffset
	// LastOffset starts reading at the end of the partition (new records only).
	LastOffset int64 = kafkago.LastOffset
)

// Topics holds the full names of chipledger's topics for one prefix.
type Topics struct {
	Events   string // prefix + "chip-events"
	Rejected string // prefix + "chip-events.rejected"
	Ledger   string // prefix + "chip-ledger"
	Alerts   string // prefix + "chip-alerts"
}

// TopicNames returns the topic names for prefix, which is used verbatim (for
// example "t123." or ""; no separator is added).
func TopicNames(prefix string) Topics {
	return Topics{
		Events:   prefix + "chip-events",
		Rejected: prefix + "chip-events.rejected",
		Ledger:   prefix + "chip-ledger",
		Alerts:   prefix + "chip-alerts",
	}
}

// All returns the four topic names in a fixed order: events, rejected,
// ledger, alerts.
func (t Topics) All() []string {
	return []string{t.Events, t.Rejected, t.Ledger, t.Alerts}
}

// Message is one Kafka record as seen by chipledger code. When producing, Topic,
// Partition and Offset are ignored (the Producer's topic and the murmur2
// partitioner decide) and a zero Time lets the client stamp the record; when
// reading, all fields are filled in.
type Message struct {
	Topic     string
	Partition int
	Offset    int64
	Key       []byte
	Value     []byte
	Time      time.Time
	// Headers are optional record headers. On write they are sent in sorted
	// key order; on read a repeated header keeps its last value.
	Headers map[string][]byte
}

// ErrClosed is returned by a Producer or PartitionReader used after Close.
var ErrClosed = errors.New("kafka: closed")

func errorf(format string, args ...any) error {
	return fmt.Errorf("kafka: "+format, args...)
}

func fromKafkaGo(m kafkago.Message) Message {
	out := Message{
		Topic:     m.Topic,
		Partition: m.Partition,
		Offset:    m.Offset,
		Key:       m.Key,
		Value:     m.Value,
		Time:      m.Time,
	}
	if len(m.Headers) > 0 {
		out.Headers = make(map[string][]byte, len(m.Headers))
		for _, h := range m.Headers {
			out.Headers[h.Key] = h.Value
		}
	}
	return out
}
