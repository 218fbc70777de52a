package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/chipledger/chipledger/kafka"
	"github.com/chipledger/chipledger/ledger"
	"github.com/chipledger/chipledger/metrics"
)

// Options configure a Service. The zero value (with Brokers set) consumes
// native events from the unprefixed topics in synced batches of up to
// 5,000 messages.
type Options struct {
	Brokers []string
	// Prefix is prepended to every topic name.
	Prefix string
	// Decoder decodes chip-events messages; nil means events.Decode.
	Decoder Decoder
	// Documents maps EPCIS documents found on chip-events; nil: every
	// message is a native event.
	Documents DocumentReader
	// MaxBatch is the most messages committed in one synced ledger batch;
	// 0 means 5,000.
	MaxBatch int
	// FetchMax is the most records one partition hands over at a time; 0
	// means 5,000.
	FetchMax int
	// Linger is how long a partition waits for more records after the
	// first of a fetch; 0 means 10 ms.
	Linger time.Duration
	// Group is the consumer group under which offsets are committed to
	// Kafka for lag tools (never read back); "" means "chipledger-ingest".
	Group string
	// StatsEvery is how often lag is measured, offsets reported to Kafka
	// and a progress line logged; 0 means 5 s.
	StatsEvery time.Duration
	Logger     *slog.Logger
	Metrics    *metrics.Ingest
	// Now is the receive clock; nil means time.Now.
	Now func() time.Time
}

// Service consumes chip-events into one ledger and publishes the committed
// ledger to chip-ledger. It owns the ledger while it runs.
type Service struct {
	store  *ledger.Store
	opts   Options
	topics kafka.Topics
	log    *slog.Logger

	mu        sync.Mutex
	counts    Counts
	published uint64
	lag       map[int]int64
}

// NewService returns a service over an open ledger.
func NewService(store *ledger.Store, opts Options) *Service {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 5000
	}
	if opts.FetchMax <= 0 {
		opts.FetchMax = 5000
	}
	if opts.Linger <= 0 {
		opts.Linger = 10 * time.Millisecond
	}
	if opts.Group == "" {
		opts.Group = "chipledger-ingest"
	}
	if opts.StatsEvery <= 0 {
		opts.StatsEvery = 5 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{
		store:  store,
		opts:   opts,
		topics: kafka.TopicNames(opts.Prefix),
		log:    log,
		lag:    make(map[int]int64),
	}
}

// Store returns the ledger the service writes.
func (s *Service) Store() *ledger.Store { return s.store }

// Status is a snapshot for operators.
type Status struct {
	Head      uint64        `json:"sequence"`
	Hash      string        `json:"hash"`
	Published uint64        `json:"published"`
	Counts    Counts        `json:"counts"`
	Lag       map[int]int64 `json:"lag"`
}

// Status returns the head, the outbox position, the counts and the lag.
func (s *Service) Status() Status {
	h := s.store.Head()
	s.mu.Lock()
	defer s.mu.Unlock()
	lag := make(map[int]int64, len(s.lag))
	for p, l := range s.lag {
		lag[p] = l
	}
	c := s.counts
	c.ByReason = make(map[string]int64, len(s.counts.ByReason))
	for k, v := range s.counts.ByReason {
		c.ByReason[k] = v
	}
	return Status{Head: h.Seq, Hash: h.Hash.String(), Published: s.published, Counts: c, Lag: lag}
}

// fetched is what one partition hands to the writer: prepared records and
// rejects, and the offset after the last message.
type fetched struct {
	partition int
	messages  int
	records   []ledger.Record
	rejects   []ledger.Quarantined
	keys      [][]byte // message keys of the rejects, for the mirror
	next      int64
}

// Run consumes until ctx ends, then stops the readers, lets the outbox
// publish what is committed (under a fresh timeout) and returns. It returns
// nil after a cancelled ctx and the first failure otherwise.
func (s *Service) Run(ctx context.Context) error {
	err := s.run(ctx)
	if ctx.Err() != nil && (err == nil || errors.Is(err, context.Canceled)) {
		return nil
	}
	return err
}

func (s *Service) run(ctx context.Context) error {
	brokers := s.opts.Brokers
	var parts int
	for backoff := 250 * time.Millisecond; ; backoff = min(2*backoff, 5*time.Second) {
		_, err := kafka.EnsureTopics(ctx, brokers, s.opts.Prefix, kafka.EnsureOptions{})
		if err == nil {
			parts, err = kafka.PartitionCount(ctx, brokers, s.topics.Events)
		}
		if err == nil {
			break
		}
		s.log.Warn("kafka not ready, retrying", "brokers", brokers, "err", err, "backoff", backoff)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	offsets, err := s.store.Offsets(s.topics.Events)
	if err != nil {
		return err
	}
	s.log.Info("ingest starting", "topic", s.topics.Events, "partitions", parts, "head", s.store.Head().Seq, "stored_offsets", len(offsets))

	consume, stopConsume := context.WithCancel(ctx)
	defer stopConsume()
	batches := make(chan fetched, 2*parts)
	g, gctx := errgroup.WithContext(consume)
	for p := 0; p < parts; p++ {
		start, ok := offsets[int32(p)]
		if !ok {
			start = kafka.FirstOffset
		}
		g.Go(func() error { return s.fetchPartition(gctx, p, start, batches) })
	}
	g.Go(func() error { return s.write(gctx, batches) })
	g.Go(func() error { return s.reportStats(gctx) })

	// The outbox outlives the consumer so that it can publish the last
	// commits after a shutdown request.
	outboxCtx, stopOutbox := context.WithCancel(context.Background())
	defer stopOutbox()
	outboxDone := make(chan error, 1)
	go func() {
		err := s.runOutbox(outboxCtx, consume.Done())
		if err != nil && !errors.Is(err, context.Canceled) {
			// An outbox that cannot publish stops the ingest: appending
			// on while replicas cannot follow would hide the failure.
			s.log.Error("outbox failed; stopping", "err", err)
			stopConsume()
		}
		outboxDone <- err
	}()

	err = g.Wait()
	if errors.Is(err, context.Canceled) && (ctx.Err() != nil || consume.Err() != nil) {
		err = nil
	}
	stopConsume()
	drain := time.AfterFunc(10*time.Second, stopOutbox)
	oerr := <-outboxDone
	drain.Stop()
	if err == nil && oerr != nil && !errors.Is(oerr, context.Canceled) {
		err = oerr
	}
	s.log.Info("ingest stopped", "head", s.store.Head().Seq, "published", s.Status().Published, "err", err)
	return err
}

// fetchPartition reads one partition from its stored offset, decodes every
// message and hands the prepared batch to the writer. Broker failures are
// logged and retried with backoff from the position after the last batch
// handed over: the service outlives a broker restart.
func (s *Service) fetchPartition(ctx context.Context, partition int, start int64, out chan<- fetched) error {
	pos := start
	backoff := 100 * time.Millisecond
	for {
		err := s.readPartition(ctx, partition, &pos, out)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.log.Warn("partition reader failed, retrying", "partition", partition, "offset", pos, "err", err, "backoff", backoff)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return ctx.Err()
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (s *Service) readPartition(ctx context.Context, partition int, pos *int64, out chan<- fetched) error {
	r, err := kafka.NewPartitionReader(s.opts.Brokers, s.topics.Events, partition, *pos, kafka.ReaderOptions{
		MinBytes: 1, MaxBytes: 4 << 20, MaxWait: 200 * time.Millisecond, QueueCapacity: 1000,
	})
	if err != nil {
		return err
	}
	defer r.Close()
	for {
		msgs, err := r.FetchBatch(ctx, s.opts.FetchMax, s.opts.Linger)
		if err != nil {
			return err
		}
		f := fetched{partition: partition, messages: len(msgs), next: msgs[len(msgs)-1].Offset + 1}
		now := s.opts.Now()
		for _, m := range msgs {
			src := ledger.Source{Name: m.Topic, Partition: int32(m.Partition), Offset: m.Offset}
			recs, rejects := PrepareInput(s.opts.Decoder, s.opts.Documents, m.Value, src, now)
			for _, q := range rejects {
				f.rejects = append(f.rejects, q)
				f.keys = append(f.keys, m.Key)
			}
			f.records = append(f.records, recs...)
		}
		select {
		case out <- f:
			*pos = f.next
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// write commits what the partitions fetched: everything waiting is merged
// into one synced ledger batch with the next offset of every partition in
// it, so the ledger and its offsets never disagree.
func (s *Service) write(ctx context.Context, in <-chan fetched) error {
	mirror := kafka.NewProducer(s.opts.Brokers, s.topics.Rejected, kafka.ProducerOptions{})
	defer mirror.Close()
	for {
		var first fetched
		select {
		case first = <-in:
		case <-ctx.Done():
			return ctx.Err()
		}
		group := []fetched{first}
		n := first.messages
	more:
		for n < s.opts.MaxBatch {
			select {
			case f := <-in:
				group = append(group, f)
				n += f.messages
			default:
				break more
			}
		}
		if err := s.commit(ctx, mirror, group, n); err != nil {
			return err
		}
	}
}

func (s *Service) commit(ctx context.Context, mirror *kafka.Producer, group []fetched, messages int) error {
	var b ledger.Batch
	next := make(map[int]int64)
	var mirrored []kafka.Message
	for _, f := range group {
		b.Records = append(b.Records, f.records...)
		b.Rejects = append(b.Rejects, f.rejects...)
		for i, q := range f.rejects {
			mirrored = append(mirrored, rejectedMessage(q, f.keys[i]))
		}
		if f.next > next[f.partition] {
			next[f.partition] = f.next
		}
	}
	for p, o := range next {
		b.Offsets = append(b.Offsets, ledger.Offset{Topic: s.topics.Events, Partition: int32(p), Next: o})
	}
	// Rejects are mirrored before the commit: after a crash a reject can
	// be mirrored twice, never zero times. Quarantine is the record of
	// truth either way.
	if len(mirrored) > 0 {
		if err := mirror.Produce(ctx, mirrored...); err != nil {
			return fmt.Errorf("ingest: mirror rejects to %s: %w", s.topics.Rejected, err)
		}
	}
	start := time.Now()
	res, err := s.store.Append(b)
	if err != nil {
		return err
	}
	took := time.Since(start)
	byReason := make(map[string]int)
	for _, q := range res.Quarantine {
		byReason[q.Reason]++
	}
	s.opts.Metrics.Committed(messages, res.Appended, res.Duplicates, res.Conflicts, byReason, took, res.Head.Seq)
	s.mu.Lock()
	s.counts.Read += int64(messages)
	s.counts.Add(res)
	s.mu.Unlock()
	return nil
}

// rejectedMessage is the chip-events.rejected mirror of a quarantined
// message: the original bytes and key, with the reason and coordinates in
// headers.
func rejectedMessage(q ledger.Quarantined, key []byte) kafka.Message {
	detail := q.Detail
	if len(detail) > 1024 {
		detail = detail[:1024]
	}
	return kafka.Message{
		Key:   key,
		Value: q.Original,
		Headers: map[string][]byte{
			"chipledger-reason": []byte(q.Reason),
			"chipledger-detail": []byte(detail),
			"chipledger-source": []byte(q.Source.String()),
		},
	}
}

// reportStats measures lag per partition, commits the stored offsets to
// Kafka under the lag-monitoring group and logs a progress line.
func (s *Service) reportStats(ctx context.Context) error {
	t := time.NewTicker(s.opts.StatsEvery)
	defer t.Stop()
	var lastRead int64
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		stored, err := s.store.Offsets(s.topics.Events)
		if err != nil {
			return err
		}
		high, err := kafka.LastOffsets(ctx, s.opts.Brokers, s.topics.Events)
		if err != nil {
			s.log.Warn("lag: cannot read high watermarks", "err", err)
			continue
		}
		lag := make(map[int]int64, len(high))
		commit := make(map[int]int64, len(stored))
		var total int64
		for p, hw := range high {
			next, ok := stored[int32(p)]
			if !ok {
				next = 0
			}
			lag[p] = max(0, hw-next)
			total += lag[p]
			s.opts.Metrics.Lag(p, lag[p])
			if ok {
				commit[p] = next
			}
		}
		if len(commit) > 0 {
			if err := kafka.CommitGroupOffsets(ctx, s.opts.Brokers, s.opts.Group, s.topics.Events, commit); err != nil {
				s.log.Warn("lag: cannot commit offsets for lag tools", "group", s.opts.Group, "err", err)
			}
		}
		st := s.Status()
		s.mu.Lock()
		s.lag = lag
		s.mu.Unlock()
		rate := float64(st.Counts.Read-lastRead) / time.Since(last).Seconds()
		lastRead, last = st.Counts.Read, time.Now()
		s.log.Info("ingest progress", "rate_per_s", strconv.FormatFloat(rate, 'f', 0, 64), "lag", total,
			"head", st.Head, "published", st.Published, "appended", st.Counts.Appended,
			"duplicates", st.Counts.Duplicates, "rejected", st.Counts.Rejected)
	}
}
