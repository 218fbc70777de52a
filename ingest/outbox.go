package ingest

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/chipledger/chipledger/kafka"
	"github.com/chipledger/chipledger/ledger"
)

// outboxChunk is how many entries one produce call carries.
const outboxChunk = 1000

// LastPublished returns the sequence of the last entry on a chip-ledger
// topic, 0 when it is empty.
func LastPublished(ctx context.Context, brokers []string, topic string) (uint64, error) {
	m, err := kafka.ReadLast(ctx, brokers, topic, 0)
	if err != nil {
		return 0, fmt.Errorf("ingest: read the tail of %s: %w", topic, err)
	}
	if m == nil {
		return 0, nil
	}
	e, err := ledger.DecodeEntry(m.Value)
	if err != nil {
		return 0, fmt.Errorf("ingest: the last record of %s (offset %d) is not a ledger entry: %w", topic, m.Offset, err)
	}
	return e.Seq, nil
}

// runOutbox publishes every committed entry's exact bytes to chip-ledger in
// sequence order. It starts after the last sequence it finds at the tail of
// the topic, so a restart never leaves a gap; a record repeated by a retry
// is byte-identical and replicas skip sequences they already applied. After
// consumerDone it publishes up to the head and returns.
func (s *Service) runOutbox(ctx context.Context, consumerDone <-chan struct{}) error {
	published, err := LastPublished(ctx, s.opts.Brokers, s.topics.Ledger)
	if err != nil {
		return err
	}
	head := s.store.Head()
	if published > head.Seq {
		return fmt.Errorf("ingest: %s already holds sequence %d but the ledger ends at %d: is this the ledger that topic belongs to (check --topic-prefix)?", s.topics.Ledger, published, head.Seq)
	}
	s.setPublished(published)
	s.log.Info("outbox starting", "topic", s.topics.Ledger, "published", published, "head", head.Seq)

	p := kafka.NewProducer(s.opts.Brokers, s.topics.Ledger, kafka.ProducerOptions{BatchSize: outboxChunk, BatchTimeout: time.Millisecond})
	defer p.Close()
	backoff := 100 * time.Millisecond
	for {
		changed := s.store.Changed()
		if published >= s.store.Head().Seq {
			select {
			case <-changed:
				continue
			case <-consumerDone:
				if s.store.Head().Seq <= published {
					return nil
				}
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		entries, err := s.store.Entries(published+1, outboxChunk)
		if err != nil {
			return fmt.Errorf("ingest: outbox: %w", err)
		}
		msgs := make([]kafka.Message, len(entries))
		for i, e := range entries {
			if e.Seq != published+uint64(i)+1 {
				return fmt.Errorf("ingest: outbox: ledger gap: found sequence %d after %d", e.Seq, published+uint64(i))
			}
			msgs[i] = kafka.Message{Key: []byte(strconv.FormatUint(e.Seq, 10)), Value: e.Raw}
		}
		if err := p.Produce(ctx, msgs...); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.opts.Metrics.OutboxError()
			s.log.Warn("outbox: publish failed, retrying", "from", published+1, "err", err, "backoff", backoff)
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return ctx.Err()
			}
			backoff = min(2*backoff, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		published = entries[len(entries)-1].Seq
		s.setPublished(published)
	}
}

func (s *Service) setPublished(seq uint64) {
	s.mu.Lock()
	s.published = seq
	s.mu.Unlock()
	s.opts.Metrics.Published(seq, s.store.Head().Seq)
}
