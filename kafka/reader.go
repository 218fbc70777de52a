package kafka

import (
	"context"
	"errors"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// ReaderOptions tunes a PartitionReader; zero values pick the defaults.
type ReaderOptions struct {
	// MinBytes the broker waits to accumulate before answering a fetch
	// (default 1: answer as soon as anything is there).
	MinBytes int
	// MaxBytes fetched in one request (default 2 × MaxMessageBytes, so the
	// largest record allowed on chipledger topics always fits).
	MaxBytes int
	// MaxWait is how long the broker holds a fetch when fewer than MinBytes
	// are available (default 250 ms).
	MaxWait time.Duration
	// QueueCapacity is how many fetched records are buffered ahead of Fetch
	// (default 100).
	QueueCapacity int
}

// PartitionReader reads one partition of one topic in offset order, from a
// start offset chosen by the caller. It uses no consumer group: the caller
// owns its position (chipledger stores positions next to its own state).
// Transient broker errors are retried internally.
//
// A PartitionReader is not safe for concurrent Fetch calls.
type PartitionReader struct {
	topic     string
	partition int
	reader    *kafkago.Reader
	pending   error // error met by FetchBatch after it had messages to return

	mu     sync.Mutex
	closed bool
}

// NewPartitionReader returns a reader of topic/partition whose first record is
// the one at offset (an absolute offset, FirstOffset or LastOffset). It does
// not connect: connection problems surface in Fetch.
func NewPartitionReader(brokers []string, topic string, partition int, offset int64, opts ReaderOptions) (*PartitionReader, error) {
	if err := checkBrokers(brokers); err != nil {
		return nil, err
	}
	if opts.MinBytes <= 0 {
		opts.MinBytes = 1
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 2 * MaxMessageBytes
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = 250 * time.Millisecond
	}
	if opts.QueueCapacity <= 0 {
		opts.QueueCapacity = 100
	}
	if offset < 0 && offset != FirstOffset && offset != LastOffset {
		return nil, errorf("reader of %s/%d: invalid offset %d", topic, partition, offset)
	}
	cfg := kafkago.ReaderConfig{
		Brokers:       brokers,
		Topic:         topic,
		Partition:     partition,
		MinBytes:      opts.MinBytes,
		MaxBytes:      opts.MaxBytes,
		MaxWait:       opts.MaxWait,
		QueueCapacity: opts.QueueCapacity,
		Dialer:        &kafkago.Dialer{ClientID: clientID, Timeout: 10 * time.Second, DualStack: true},
	}
	if err := cfg.Validate(); err != nil {
		return nil, errorf("reader of %s/%d: %w", topic, partition, err)
	}
	r := kafkago.NewReader(cfg)
	if err := r.SetOffset(offset); err != nil {
		_ = r.Close()
		return nil, errorf("reader of %s/%d: %w", topic, partition, err)
	}
	return &PartitionReader{topic: topic, partition: partition, reader: r}, nil
}

// Fetch returns the next record, blocking until one is available or ctx ends.
func (r *PartitionReader) Fetch(ctx context.Context) (Message, error) {
	if r.isClosed() {
		return Message{}, ErrClosed
	}
	if err := r.pending; err != nil {
		r.pending = nil
		return Message{}, err
	}
	m, err := r.reader.FetchMessage(ctx)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return Message{}, err // context errors are returned unwrapped
		}
		if r.isClosed() {
			return Message{}, ErrClosed
		}
		return Message{}, errorf("fetch from %s/%d: %w", r.topic, r.partition, err)
	}
	return fromKafkaGo(m), nil
}

// FetchBatch returns between 1 and max records: it blocks until the first one
// arrives (or ctx ends, returning ctx's error), then collects whatever more
// arrives within linger, up to max. With linger <= 0 it returns right after
// the first record. If an error occurs once at least one record was collected,
// the records are returned with a nil error and the error is returned by the
// next Fetch or FetchBatch, so no record is lost.
func (r *PartitionReader) FetchBatch(ctx context.Context, max int, linger time.Duration) ([]Message, error) {
	if max <= 0 {
		max = 1
	}
	first, err := r.Fetch(ctx)
	if err != nil {
		return nil, err
	}
	out := []Message{first}
	if linger <= 0 || max == 1 {
		return out, nil
	}
	lctx, cancel := context.WithTimeout(ctx, linger)
	defer cancel()
	for len(out) < max {
		m, err := r.Fetch(lctx)
		if err != nil {
			if lctx.Err() == nil || !errors.Is(err, lctx.Err()) {
				r.pending = err // surfaced by the next call
			}
			break
		}
		out = append(out, m)
	}
	return out, nil
}

// Offset returns the offset of the next record Fetch will return, or
// FirstOffset/LastOffset until the first record of such a start is returned.
func (r *PartitionReader) Offset() int64 { return r.reader.Offset() }

// Topic returns the topic being read.
func (r *PartitionReader) Topic() string { return r.topic }

// Partition returns the partition being read.
func (r *PartitionReader) Partition() int { return r.partition }

// Close stops the reader and releases its connection. It is safe to call more
// than once.
func (r *PartitionReader) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.mu.Unlock()
	if err := r.reader.Close(); err != nil {
		return errorf("close reader of %s/%d: %w", r.topic, r.partition, err)
	}
	return nil
}

func (r *PartitionReader) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}
