package kafka

import (
	"context"
	"slices"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// ProducerOptions tunes a Producer; zero values pick the defaults.
type ProducerOptions struct {
	// BatchSize is the most records sent in one produce request (default 100).
	BatchSize int
	// BatchBytes is the most bytes in one produce request (default
	// DefaultBatchBytes). A single record larger than this is rejected.
	BatchBytes int64
	// BatchTimeout is how long a partial batch waits for more records before
	// being sent (default 5 ms). Produce blocks at least this long.
	BatchTimeout time.Duration
	// WriteTimeout bounds one produce request on the wire (default 10 s).
	WriteTimeout time.Duration
	// MaxAttempts is how many times a batch is tried before Produce fails
	// (default 10, with backoff between 100 ms and 1 s).
	MaxAttempts int
}

// Producer writes records to one topic synchronously: Produce returns once
// every record is acknowledged by all in-sync replicas (acks=all).
//
// Records are spread over partitions by key with murmur2, the partitioner of
// Kafka's Java client (kafka-go's own Hash balancer uses FNV-1a and would put a
// key on a different partition than a Java or librdkafka producer); records
// without a key go to a random partition. Topics are never auto-created.
//
// A Producer is safe for concurrent use; concurrent Produce calls share
// batches.
type Producer struct {
	topic     string
	writer    *kafkago.Writer
	transport *kafkago.Transport
	err       error

	mu     sync.Mutex
	closed bool
}

// NewProducer returns a Producer for topic. It does not connect: connection
// problems surface in Produce.
func NewProducer(brokers []string, topic string, opts ProducerOptions) *Producer {
	p := &Producer{topic: topic}
	if err := checkBrokers(brokers); err != nil {
		p.err = err
		return p
	}
	if topic == "" {
		p.err = errorf("producer: empty topic")
		return p
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 100
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = DefaultBatchBytes
	}
	if opts.BatchTimeout <= 0 {
		opts.BatchTimeout = 5 * time.Millisecond
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 10 * time.Second
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 10
	}
	p.transport = &kafkago.Transport{
		ClientID:       clientID,
		DialTimeout:    5 * time.Second,
		MetadataTopics: []string{topic},
	}
	p.writer = &kafkago.Writer{
		Addr:                   brokerAddr(brokers),
		Topic:                  topic,
		Balancer:               &kafkago.Murmur2Balancer{},
		MaxAttempts:            opts.MaxAttempts,
		BatchSize:              opts.BatchSize,
		BatchBytes:             opts.BatchBytes,
		BatchTimeout:           opts.BatchTimeout,
		WriteTimeout:           opts.WriteTimeout,
		RequiredAcks:           kafkago.RequireAll,
		AllowAutoTopicCreation: false,
		Transport:              p.transport,
	}
	return p
}

// Topic returns the topic the Producer writes to.
func (p *Producer) Topic() string { return p.topic }

// Produce writes msgs and waits until all are acknowledged. Only Key, Value,
// Headers and Time of each Message are used; a Message whose Topic is set must
// name the Producer's topic. On error some records may have been written
// (including when ctx ends first); callers that need exactly-once effects must
// make their records idempotent (chipledger's ledger entries carry sequence
// numbers for that).
func (p *Producer) Produce(ctx context.Context, msgs ...Message) error {
	if p.err != nil {
		return p.err
	}
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if len(msgs) == 0 {
		return nil
	}
	out := make([]kafkago.Message, len(msgs))
	for i, m := range msgs {
		if m.Topic != "" && m.Topic != p.topic {
			return errorf("produce: message for topic %q given to producer of %q", m.Topic, p.topic)
		}
		out[i] = kafkago.Message{Key: m.Key, Value: m.Value, Time: m.Time}
		if len(m.Headers) > 0 {
			keys := make([]string, 0, len(m.Headers))
			for k := range m.Headers {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				out[i].Headers = append(out[i].Headers, kafkago.Header{Key: k, Value: m.Headers[k]})
			}
		}
	}
	if err := p.writer.WriteMessages(ctx, out...); err != nil {
		return errorf("produce to %s: %w", p.topic, err)
	}
	return nil
}

// Close waits for in-flight Produce calls to finish and releases the
// Producer's connections; later Produce calls return ErrClosed. It is safe to
// call more than once.
func (p *Producer) Close() error {
	p.mu.Lock()
	if p.closed || p.writer == nil {
		p.closed = true
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	err := p.writer.Close()
	p.transport.CloseIdleConnections()
	if err != nil {
		return errorf("close producer of %s: %w", p.topic, err)
	}
	return nil
}
