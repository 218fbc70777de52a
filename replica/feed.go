package replica

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/chipledger/chipledger/kafka"
	"github.com/chipledger/chipledger/projections/alerts"
)

// AlertFeed publishes every alert and each change of its state to the
// chip-alerts topic, keyed by alert id, once: a record per (alert, state
// version). At start it reads the topic back to learn what was published,
// so that after a restart it goes on where it stopped instead of
// publishing everything again. Case management and SIEM systems consume
// the topic; the header "version" (state|severity|case severity|decisions)
// lets them drop a record a crashed producer repeated.
//
// One replica publishes (query serve --publish-alerts); a feed is not safe
// for concurrent Publish calls.
type AlertFeed struct {
	prod *kafka.Producer
	log  *slog.Logger
	sent map[string]string // alert id -> version last published
}

// FeedRecord is the value of a chip-alerts record.
type FeedRecord struct {
	Version string       `json:"version"`
	Alert   alerts.Alert `json:"alert"`
}

// Version is an alert's state version: what makes a new record.
func Version(a alerts.Alert) string {
	return strings.Join([]string{a.State, a.Severity, a.CaseSeverity, fmt.Sprint(len(a.Decisions))}, "|")
}

// NewAlertFeed reads topic to its end and returns a feed that publishes
// what it does not hold yet.
func NewAlertFeed(ctx context.Context, brokers []string, topic string, log *slog.Logger) (*AlertFeed, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &AlertFeed{log: log, sent: map[string]string{}}
	ends, err := kafka.LastOffsets(ctx, brokers, topic)
	if err != nil {
		return nil, fmt.Errorf("replica: alert feed: %w", err)
	}
	read := 0
	for part, end := range ends {
		if end <= 0 {
			continue
		}
		r, err := kafka.NewPartitionReader(brokers, topic, part, kafka.FirstOffset, kafka.ReaderOptions{QueueCapacity: 1000})
		if err != nil {
			return nil, fmt.Errorf("replica: alert feed: %w", err)
		}
		for {
			m, err := r.Fetch(ctx)
			if err != nil {
				_ = r.Close()
				return nil, fmt.Errorf("replica: alert feed: read %s/%d: %w", topic, part, err)
			}
			var rec FeedRecord
			if err := json.Unmarshal(m.Value, &rec); err != nil {
				log.Warn("alert feed: unreadable record on the topic, ignored", "topic", topic, "partition", part, "offset", m.Offset, "err", err)
			} else {
				f.sent[string(m.Key)] = rec.Version
			}
			read++
			if m.Offset+1 >= end {
				break
			}
		}
		_ = r.Close()
	}
	log.Info("alert feed: resumed", "topic", topic, "records", read, "alerts", len(f.sent))
	f.prod = kafka.NewProducer(brokers, topic, kafka.ProducerOptions{BatchSize: 500})
	return f, nil
}

// Publish publishes the alerts whose state version the topic does not hold
// yet, oldest raised first, and returns how many it published.
func (f *AlertFeed) Publish(ctx context.Context, as []alerts.Alert) (int, error) {
	var todo []alerts.Alert
	for _, a := range as {
		if f.sent[a.ID] != Version(a) {
			todo = append(todo, a)
		}
	}
	slices.SortFunc(todo, func(a, b alerts.Alert) int {
		return cmp.Or(cmp.Compare(a.RaisedSeq, b.RaisedSeq), cmp.Compare(a.WithdrawnSeq, b.WithdrawnSeq), cmp.Compare(a.ID, b.ID))
	})
	n := 0
	for len(todo) > 0 {
		batch := todo[:min(len(todo), 500)]
		todo = todo[len(batch):]
		msgs := make([]kafka.Message, 0, len(batch))
		for _, a := range batch {
			v := Version(a)
			b, err := json.Marshal(FeedRecord{Version: v, Alert: a})
			if err != nil {
				return n, fmt.Errorf("replica: alert feed: %w", err)
			}
			msgs = append(msgs, kafka.Message{Key: []byte(a.ID), Value: b, Headers: map[string][]byte{"version": []byte(v)}})
		}
		if err := f.prod.Produce(ctx, msgs...); err != nil {
			return n, fmt.Errorf("replica: alert feed: %w", err)
		}
		for _, a := range batch {
			f.sent[a.ID] = Version(a)
		}
		n += len(batch)
	}
	return n, nil
}

// Close closes the producer.
func (f *AlertFeed) Close() error { return f.prod.Close() }
