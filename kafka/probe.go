package kafka

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"
)

// ProbeTopicSuffix is appended to the prefix to name Probe's topic.
const ProbeTopicSuffix = "chip-probe"

// Probe checks that the cluster really serves chipledger: it ensures the topic
// prefix+"chip-probe" (1 partition, one hour retention), produces one record
// with a unique value through a Producer (acks=all) and reads it back with a
// PartitionReader starting at the partition's end offset from before the write.
// It returns nil only after the round trip; when ctx has no deadline it gives
// up after 30 s.
func Probe(ctx context.Context, brokers []string, prefix string) error {
	if err := checkBrokers(brokers); err != nil {
		return err
	}
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	topic := prefix + ProbeTopicSuffix
	err := CreateTopics(ctx, brokers, TopicConfig{
		Name:       topic,
		Partitions: 1,
		Configs:    map[string]string{"retention.ms": "3600000"},
	})
	if err != nil {
		return errorf("probe: %w", trimPrefix(err))
	}
	offs, err := LastOffsets(ctx, brokers, topic)
	if err != nil {
		return errorf("probe: %w", trimPrefix(err))
	}
	start := offs[0]

	var nonce [12]byte
	_, _ = rand.Read(nonce[:])
	value := []byte("probe " + time.Now().UTC().Format(time.RFC3339Nano) + " " + hex.EncodeToString(nonce[:]))

	p := NewProducer(brokers, topic, ProducerOptions{BatchTimeout: time.Millisecond})
	err = p.Produce(ctx, Message{Key: []byte("probe"), Value: value})
	if cerr := p.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return errorf("probe: %w", trimPrefix(err))
	}

	r, err := NewPartitionReader(brokers, topic, 0, start, ReaderOptions{MaxWait: 100 * time.Millisecond})
	if err != nil {
		return errorf("probe: %w", trimPrefix(err))
	}
	defer r.Close()
	for {
		m, err := r.Fetch(ctx)
		if err != nil {
			return errorf("probe: reading back from %s at offset %d: %w", topic, start, trimPrefix(err))
		}
		if bytes.Equal(m.Value, value) {
			return nil
		}
	}
}

// trimPrefix avoids "kafka: probe: kafka: ..." when wrapping our own errors.
func trimPrefix(err error) error {
	return prefixTrimmed{err}
}

type prefixTrimmed struct{ err error }

func (e prefixTrimmed) Error() string {
	s := e.err.Error()
	const p = "kafka: "
	if len(s) > len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}

func (e prefixTrimmed) Unwrap() error { return e.err }
