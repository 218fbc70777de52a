// Package replica is chipledger's read side: a replica keeps its own
// byte-for-byte copy of the ledger (a mirror ledger.Store it verified entry
// by entry) and the projections built from it. It follows chip-ledger on
// Kafka, or copies a stopped ingest's ledger directory for offline work,
// through the same Apply path: every entry's hash is recomputed from its
// bytes, a repeat is skipped only when byte-identical, and at the first
// break the replica stops applying, reports the sequence, and keeps
// serving what it has.
package replica

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/kafka"
	"github.com/chipledger/chipledger/ledger"
	"github.com/chipledger/chipledger/metrics"
	"github.com/chipledger/chipledger/policy"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/projections/alerts"
)

// ErrBroken is wrapped by Apply once the replica has met a break.
var ErrBroken = errors.New("replica: chain broken")

// Options configure Open. The zero value uses the default chip catalogue,
// snapshots every 250,000 entries, a 256 MiB block cache and logs nothing.
type Options struct {
	Catalogue     *policy.Catalogue
	SnapshotEvery uint64
	Logger        *slog.Logger
	Metrics       *metrics.Query
	// CacheSize is the block cache of the replica's store; 0 means 256 MiB.
	// Custody-chain queries read dozens of entries each, at random.
	CacheSize int64
	// Detect configures the replica's detector (the alerts): Resolve finds
	// the policy and screening documents the ledger names but does not
	// carry (replica.NewReference(dir).Content).
	Detect alerts.Options
}

// snapshotKey is where the projection snapshot lives in the mirror's meta
// keyspace: the sequence it covers (8 bytes) then the snapshot.
const snapshotKey = "projections"

// Replica is a verified copy of the ledger and its projections.
type Replica struct {
	store *ledger.Store
	opts  Options
	log   *slog.Logger

	mu        sync.RWMutex // guards proj and broken
	proj      *projections.Projection
	broken    *ledger.BrokenError
	snapSeq   uint64
	skipped   uint64 // entries whose event this version cannot project
	repeats   uint64
	feedStart time.Time

	// applied is signalled (without blocking) when Apply applied entries:
	// RunDetection evaluates the alerts again.
	applied chan struct{}
	// evaluated is signalled (without blocking) after each successful
	// detection evaluation.
	evaluated chan struct{}
	// detRun serialises evaluations: Evaluate takes the projection's
	// changes, so two detectors must never evaluate it at once.
	detRun sync.Mutex
	detMu  sync.Mutex // guards det and the fields below
	det    *alerts.Detector
	detSt  DetectionStatus
	// rebuild: the last evaluation failed after taking the projection's
	// changes; the next one judges everything with a fresh detector.
	rebuild bool
}

// Open opens (or creates) a replica's store in dir, restores the last
// projection snapshot and replays the stored entries after it, so that it
// resumes where it stopped instead of rebuilding.
func Open(dir string, opts Options) (*Replica, error) {
	if opts.Catalogue == nil {
		opts.Catalogue = policy.Default()
	}
	if opts.SnapshotEvery == 0 {
		opts.SnapshotEvery = 250_000
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.CacheSize == 0 {
		opts.CacheSize = 256 << 20
	}
	store, err := ledger.Open(dir, &ledger.Options{Logger: log, CacheSize: opts.CacheSize, InlineValues: true})
	if err != nil {
		return nil, err
	}
	r := &Replica{store: store, opts: opts, log: log, proj: projections.New(opts.Catalogue),
		applied: make(chan struct{}, 1), evaluated: make(chan struct{}, 1), det: alerts.New(opts.Detect)}
	if err := r.restore(); err != nil {
		_ = store.Close()
		return nil, err
	}
	return r, nil
}

func (r *Replica) restore() error {
	v, err := r.store.Meta(snapshotKey)
	switch {
	case errors.Is(err, ledger.ErrNotFound):
	case err != nil:
		return err
	case len(v) < 8:
		return fmt.Errorf("replica: snapshot of %d bytes", len(v))
	default:
		p := projections.New(r.opts.Catalogue)
		if err := p.UnmarshalBinary(v[8:]); err != nil {
			r.log.Warn("replica: snapshot unreadable, rebuilding from the stored entries", "err", err)
		} else {
			r.proj = p
			r.snapSeq = binary.BigEndian.Uint64(v[:8])
		}
	}
	start := time.Now()
	n := 0
	err = r.store.Scan(r.proj.Seq()+1, func(e ledger.Entry) error {
		n++
		return r.project(e)
	})
	if err != nil {
		return fmt.Errorf("replica: replay stored entries: %w", err)
	}
	r.log.Info("replica restored", "snapshot", r.snapSeq, "replayed", n, "head", r.store.Head().Seq, "took", time.Since(start))
	return nil
}

// project applies one verified entry to the projections.
func (r *Replica) project(e ledger.Entry) error {
	if e.Document() {
		// A document's bytes are evidence; its events are entries of their own.
		return r.proj.Apply(projections.Entry{Seq: e.Seq, Hash: e.Hash.String()})
	}
	ev, err := events.Decode(e.Canonical)
	if err != nil {
		// A verified entry this version cannot read (a newer event type):
		// it stays in the mirror and is counted, never guessed at.
		r.skipped++
		r.log.Warn("replica: entry not projected", "seq", e.Seq, "err", err)
		ev = events.Event{}
	}
	return r.proj.Apply(projections.Entry{Seq: e.Seq, Hash: e.Hash.String(), Event: ev})
}

// Head is the last verified entry.
func (r *Replica) Head() ledger.Head { return r.store.Head() }

// Broken returns the break the replica stopped at, or nil.
func (r *Replica) Broken() *ledger.BrokenError {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.broken
}

// Stats are counters for health and metrics.
type Stats struct {
	Applied uint64 `json:"applied"`
	Repeats uint64 `json:"repeats_skipped"`
	Skipped uint64 `json:"not_projected"`
	Broken  uint64 `json:"broken_at,omitempty"`
	Reason  string `json:"broken_reason,omitempty"`
}

// Stats returns the replica's counters.
func (r *Replica) Stats() Stats {
	r.mu.RLock()
	defer r.mu.RUnlock()
	st := Stats{Applied: r.store.Head().Seq, Repeats: r.repeats, Skipped: r.skipped}
	if r.broken != nil {
		st.Broken, st.Reason = r.broken.Seq, r.broken.Reason
	}
	return st
}

func (r *Replica) breakAt(seq uint64, reason string) error {
	be := &ledger.BrokenError{Seq: seq, Reason: reason}
	r.broken = be
	r.log.Error("replica: chain broken; no further entries will be applied", "seq", seq, "reason", reason)
	r.opts.Metrics.Broken(seq)
	return fmt.Errorf("%w: %v", ErrBroken, be)
}

// Apply verifies and applies entries in order, with the feed position
// reached after them (nil for none). A repeat of an applied sequence is
// skipped when byte-identical to the stored entry; an entry that does not
// extend the chain is a break. Entries before a break in the same call
// are applied.
func (r *Replica) Apply(entries []ledger.Entry, offset *ledger.Offset) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.broken != nil {
		return fmt.Errorf("%w: %v", ErrBroken, r.broken)
	}
	head := r.store.Head()
	var fresh []ledger.Entry
	var brk error
	for _, e := range entries {
		if e.Seq <= head.Seq {
			// A repeat: of an entry earlier in this call, or a stored one.
			var prior []byte
			if stored := r.store.Head().Seq; e.Seq > stored {
				prior = fresh[e.Seq-stored-1].Raw
			} else {
				se, err := r.store.Entry(e.Seq)
				if err != nil {
					return err
				}
				prior = se.Raw
			}
			if string(prior) != string(e.Raw) {
				brk = r.breakAt(e.Seq, "a repeat of this sequence differs from the applied entry")
				break
			}
			r.repeats++
			continue
		}
		if e.Seq != head.Seq+1 {
			brk = r.breakAt(head.Seq+1, fmt.Sprintf("missing; the feed went on with sequence %d", e.Seq))
			break
		}
		if e.Prev != head.Hash {
			// Entry e names a different predecessor: the entry applied last
			// does not hash to what the chain commits to.
			brk = r.breakAt(head.Seq, fmt.Sprintf("entry %d names predecessor hash %s, the received entry %d hashes to %s", e.Seq, e.Prev, head.Seq, head.Hash))
			break
		}
		fresh = append(fresh, e)
		head = ledger.Head{Seq: e.Seq, Hash: e.Hash}
	}
	var offs []ledger.Offset
	if offset != nil && brk == nil {
		offs = []ledger.Offset{*offset}
	}
	var meta map[string][]byte
	for _, e := range fresh {
		if err := r.project(e); err != nil {
			return err
		}
	}
	if len(fresh) > 0 && r.proj.Seq()-r.snapSeq >= r.opts.SnapshotEvery {
		snap, err := r.snapshot()
		if err != nil {
			return err
		}
		meta = map[string][]byte{snapshotKey: snap}
	}
	if _, err := r.store.Mirror(fresh, offs, meta); err != nil {
		return err
	}
	if meta != nil {
		r.snapSeq = r.proj.Seq()
	}
	r.opts.Metrics.Applied(r.store.Head().Seq)
	if len(fresh) > 0 {
		select {
		case r.applied <- struct{}{}:
		default: // already signalled
		}
	}
	return brk
}

func (r *Replica) snapshot() ([]byte, error) {
	b, err := r.proj.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("replica: snapshot: %w", err)
	}
	return append(binary.BigEndian.AppendUint64(nil, r.proj.Seq()), b...), nil
}

// Close writes a final snapshot and closes the store.
func (r *Replica) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.proj.Seq() > r.snapSeq {
		snap, err := r.snapshot()
		if err == nil {
			_, err = r.store.Mirror(nil, nil, map[string][]byte{snapshotKey: snap})
		}
		if err != nil {
			r.log.Warn("replica: final snapshot not written", "err", err)
		}
	}
	return r.store.Close()
}

// View runs fn with the projections and a source of applied entries, under
// a read lock: queries see a consistent state.
func (r *Replica) View(fn func(p *projections.Projection, src projections.Source) error) error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return fn(r.proj, source{r.store})
}

// Entry returns an applied entry.
func (r *Replica) Entry(seq uint64) (ledger.Entry, error) { return r.store.Entry(seq) }

// Scan calls fn for every verified entry from sequence from, in order, until
// fn returns an error (ledger.ErrStop ends it without one): a sequential
// walk for what reads the whole ledger (the reports' flow index).
func (r *Replica) Scan(from uint64, fn func(ledger.Entry) error) error { return r.store.Scan(from, fn) }

// Verify re-walks the replica's own copy of the chain.
func (r *Replica) Verify(ctx context.Context) (ledger.Head, error) { return r.store.Verify(ctx, nil) }

// source serves projections their entries back from the mirror.
type source struct{ s *ledger.Store }

func (s source) Entry(seq uint64) (projections.Entry, error) {
	e, err := s.s.Entry(seq)
	if errors.Is(err, ledger.ErrNotFound) {
		return projections.Entry{}, projections.ErrNotFound
	}
	if err != nil {
		return projections.Entry{}, err
	}
	ev, err := events.Decode(e.Canonical)
	if err != nil {
		return projections.Entry{}, fmt.Errorf("replica: entry %d: %w", seq, err)
	}
	return projections.Entry{Seq: e.Seq, Hash: e.Hash.String(), Event: ev}, nil
}

// SyncLedger copies a stopped ingest's ledger into the replica, from the
// replica's head to the ledger's, through Apply.
func (r *Replica) SyncLedger(ctx context.Context, src *ledger.Store) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		entries, err := src.Entries(r.store.Head().Seq+1, 5000)
		if err != nil {
			return err
		}
		if len(entries) == 0 {
			if sh, rh := src.Head(), r.store.Head(); sh != rh {
				return fmt.Errorf("replica: the ledger's head (%d) is not the replica's (%d): is --state a replica of another ledger?", sh.Seq, rh.Seq)
			}
			return nil
		}
		if err := r.Apply(entries, nil); err != nil {
			return err
		}
	}
}

// Follow consumes chip-ledger from the offset stored in the replica until
// ctx ends. After a break it stops consuming and returns nil: the replica
// keeps serving what it verified.
func (r *Replica) Follow(ctx context.Context, brokers []string, topic string) error {
	offs, err := r.store.Offsets(topic)
	if err != nil {
		return err
	}
	next, ok := offs[0]
	if !ok {
		next = kafka.FirstOffset
	}
	backoff := 100 * time.Millisecond
	for {
		err := r.follow(ctx, brokers, topic, &next)
		if errors.Is(err, ErrBroken) || ctx.Err() != nil {
			return nil
		}
		r.log.Warn("replica: chip-ledger reader failed, retrying", "offset", next, "err", err, "backoff", backoff)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return nil
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (r *Replica) follow(ctx context.Context, brokers []string, topic string, next *int64) error {
	rd, err := kafka.NewPartitionReader(brokers, topic, 0, *next, kafka.ReaderOptions{MaxBytes: 8 << 20, MaxWait: 200 * time.Millisecond, QueueCapacity: 2000})
	if err != nil {
		return err
	}
	defer rd.Close()
	for {
		msgs, err := rd.FetchBatch(ctx, 5000, 5*time.Millisecond)
		if err != nil {
			return err
		}
		entries := make([]ledger.Entry, 0, len(msgs))
		var decodeErr error
		for _, m := range msgs {
			e, err := ledger.DecodeEntry(m.Value)
			if err != nil {
				decodeErr = fmt.Errorf("chip-ledger offset %d: %v", m.Offset, err)
				break
			}
			entries = append(entries, e)
		}
		pos := ledger.Offset{Topic: topic, Partition: 0, Next: msgs[len(msgs)-1].Offset + 1}
		if decodeErr != nil {
			if err := r.Apply(entries, nil); err != nil {
				return err
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			return r.breakAt(r.store.Head().Seq+1, decodeErr.Error())
		}
		if err := r.Apply(entries, &pos); err != nil {
			return err
		}
		*next = pos.Next
	}
}

// EntryView is an entry as the API and CLI show it: every field needed to
// recompute its hash, with the event as readable JSON.
type EntryView struct {
	Seq       uint64        `json:"sequence"`
	Hash      string        `json:"hash"`
	Prev      string        `json:"previous_hash"`
	Received  time.Time     `json:"received"`
	Source    ledger.Source `json:"source"`
	EventID   string        `json:"event_id"`
	Original  string        `json:"original"`
	Canonical jsonRaw       `json:"canonical"`
	Raw       []byte        `json:"raw"` // the exact bytes hashed (base64 in JSON)
	// Version 2 entries: a document, or an event citing its document.
	Version     uint8  `json:"version"`
	Document    bool   `json:"document,omitempty"`
	DocumentSeq uint64 `json:"document_sequence,omitempty"`
	DocumentPos uint32 `json:"document_position,omitempty"`
}

type jsonRaw []byte

func (j jsonRaw) MarshalJSON() ([]byte, error) {
	if len(j) == 0 {
		return []byte("null"), nil
	}
	return j, nil
}

func (j *jsonRaw) UnmarshalJSON(b []byte) error {
	*j = append((*j)[:0], b...)
	return nil
}

// ViewOf returns the API view of an entry.
func ViewOf(e ledger.Entry) EntryView {
	return EntryView{
		Seq: e.Seq, Hash: e.Hash.String(), Prev: e.Prev.String(), Received: e.Received, Source: e.Source,
		EventID: e.EventID, Original: string(e.Original), Canonical: jsonRaw(e.Canonical), Raw: e.Raw,
		Version: e.Version, Document: e.Document(), DocumentSeq: e.DocSeq, DocumentPos: e.DocPos,
	}
}

// Offset is the next chip-ledger offset the replica will read.
func (r *Replica) Offset(topic string) int64 {
	offs, err := r.store.Offsets(topic)
	if err != nil {
		return 0
	}
	return offs[0]
}
