// Package ledger is chipledger's append-only, hash-chained store of custody
// events, and the only package of the write side that imports Pebble.
//
// Every entry holds the original bytes exactly as received, the canonical
// event decoded from them, where they came from and when, and the hash of
// the previous entry; its own hash is the SHA-256 of that encoding (see
// EncodeEntry and docs/ledger.md), so anyone holding the bytes can recompute
// the chain. Append commits a batch of entries, its dedupe index, the source
// offsets it consumed, its quarantined input and the head in one synced
// Pebble batch: after a crash the ledger and the offsets agree.
package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Errors callers act on.
var (
	ErrNotFound = errors.New("ledger: not found")
	ErrLocked   = errors.New("ledger: directory is locked by another process")
	ErrClosed   = errors.New("ledger: closed")
)

// Options configure Open. The zero value opens a ledger on the operating
// system's filesystem with a 64 MiB block cache and no logging.
type Options struct {
	// FS is the filesystem; nil means the operating system's. Tests use
	// vfs.NewMem().
	FS vfs.FS
	// CacheSize is the block cache size in bytes; 0 means 64 MiB.
	CacheSize int64
	// Logger receives Pebble's messages at debug level (errors at error
	// level); nil discards them.
	Logger *slog.Logger
	// InlineValues keeps entries inside the sstables with their keys
	// instead of in blob files: one read per lookup instead of two. For
	// read-mostly copies (replicas); the writer's ledger separates values,
	// which makes appends cheaper.
	InlineValues bool
	// NoSync commits batches without fsync. Only for benchmarks that
	// measure everything but the disk; never for a real ledger.
	NoSync bool
}

// Head is the last entry of the chain. The zero Head is an empty ledger.
type Head struct {
	Seq  uint64 `json:"sequence"`
	Hash Hash   `json:"-"`
}

// Record is one decoded event to append.
type Record struct {
	EventID   string
	Subjects  []string // unit ids the event is about, for BySubject
	Original  []byte
	Canonical []byte
	Source    Source
	Received  time.Time
	// Resolves, when non-zero, is the quarantine id this record re-drives:
	// the quarantine record is marked resolved in the same batch.
	Resolves uint64
	// Document marks a document record (an EPCIS document as received):
	// Original holds it, Canonical is empty, EventID is the document id. It
	// is stored as a version-2 document entry.
	Document bool
	// Doc, on an event mapped from a document, names the document (by its
	// id: an earlier record of the same batch, or an entry already in the
	// ledger) and the event's position in it; the entry (version 2) cites
	// the document's sequence. nil for a native event.
	Doc *DocRef
}

// DocRef names the document an event record was mapped from.
type DocRef struct {
	ID  string // the document record's EventID
	Pos int    // the event's position in the document's event list
}

// Offset is the next offset to consume from a Kafka partition.
type Offset struct {
	Topic     string
	Partition int32
	Next      int64
}

// Batch is what one Append commits atomically.
type Batch struct {
	Records []Record
	Rejects []Quarantined // input that failed to decode; ID and Resolved are ignored
	Offsets []Offset
}

// Result counts what an Append did.
type Result struct {
	Appended    int
	Duplicates  int
	Conflicts   int // also counted in Quarantined
	Quarantined int
	// Quarantine lists the quarantine records written, rejects and
	// conflicts alike, in order.
	Quarantine []Quarantined
	Head       Head
}

// Store is an open ledger. Its methods are safe for concurrent use; appends
// are serialised.
type Store struct {
	db   *pebble.DB
	sync *pebble.WriteOptions

	mu      sync.Mutex // serialises Append and guards head, qseq and ids
	ids     *idFilter
	changed chan struct{} // closed and replaced when the head moves
	head    Head
	qseq    uint64
	closed  bool
}

// Open opens or creates the ledger in dir. A ledger is owned by one process:
// a second Open of the same directory fails with ErrLocked.
func Open(dir string, opts *Options) (*Store, error) {
	if opts == nil {
		opts = &Options{}
	}
	cacheSize := opts.CacheSize
	if cacheSize == 0 {
		cacheSize = 64 << 20
	}
	cache := pebble.NewCache(cacheSize)
	defer cache.Unref()
	po := &pebble.Options{
		FS:     opts.FS,
		Cache:  cache,
		Logger: pebbleLogger{opts.Logger},
		// Appends are large synced batches: bigger memtables mean fewer
		// flushes and fewer L0 files for the event-id lookups to probe.
		MemTableSize:                32 << 20,
		MemTableStopWritesThreshold: 3,
		L0CompactionThreshold:       4,
		L0StopWritesThreshold:       24,
		LBaseMaxBytes:               256 << 20,
		FormatMajorVersion:          pebble.FormatValueSeparation,
	}
	po.Experimental.ValueSeparationPolicy = func() pebble.ValueSeparationPolicy {
		return pebble.ValueSeparationPolicy{Enabled: !opts.InlineValues, MinimumSize: 256, MaxBlobReferenceDepth: 10, RewriteMinimumAge: time.Hour, TargetGarbageRatio: 1.0}
	}
	for i := range po.Levels {
		po.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	db, err := pebble.Open(dir, po)
	if err != nil {
		if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK) || strings.Contains(err.Error(), "lock") {
			return nil, fmt.Errorf("%w: %s (is an ingest or another command already using it?): %v", ErrLocked, dir, err)
		}
		return nil, fmt.Errorf("ledger: open %s: %w", dir, err)
	}
	s := &Store{db: db, sync: pebble.Sync, changed: make(chan struct{})}
	if opts.NoSync {
		s.sync = pebble.NoSync
	}
	if err := s.loadMeta(); err != nil {
		_ = db.Close()
		return nil, err
	}
	if err := s.rebuildFilter(2 * int(s.head.Seq)); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// rebuildFilter builds the event id filter from the id keyspace, sized for
// at least capacity ids.
func (s *Store) rebuildFilter(capacity int) error {
	f := newIDFilter(capacity)
	err := s.iterate([]byte{prefixID}, []byte{prefixID + 1}, func(k, _ []byte) error {
		f.add(string(k[1:]))
		return nil
	})
	if err != nil {
		return err
	}
	s.ids = f
	return nil
}

func (s *Store) loadMeta() error {
	v, err := s.get(keyHead)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return err
	case len(v) != 8+HashSize:
		return fmt.Errorf("ledger: head record of %d bytes", len(v))
	default:
		s.head.Seq = binary.BigEndian.Uint64(v)
		copy(s.head.Hash[:], v[8:])
	}
	v, err = s.get(keyQSeq)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return err
	case len(v) != 8:
		return fmt.Errorf("ledger: quarantine counter of %d bytes", len(v))
	default:
		s.qseq = binary.BigEndian.Uint64(v)
	}
	return nil
}

// Close flushes and closes the ledger.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.db.Close()
}

// Head returns the last committed entry's sequence and hash.
func (s *Store) Head() Head {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.head
}

// Changed returns a channel that is closed when the head next moves, so
// that readers of new entries (the outbox) wait without polling.
func (s *Store) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// Append commits b atomically: new entries chained after the head, the
// event id index, subject index, quarantine records, the offsets and then
// the head. A record whose event id is already in the ledger with the same
// canonical bytes is a duplicate and is skipped; with different bytes it is
// a conflict and is quarantined with both sequences named.
func (s *Store) Append(b Batch) (Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var res Result
	if s.closed {
		return res, ErrClosed
	}
	wb := s.db.NewBatch()
	defer wb.Close()

	head, qseq := s.head, s.qseq
	type seen struct {
		seq    uint64
		digest [32]byte
	}
	inBatch := make(map[string]seen, len(b.Records))
	resolved := make(map[uint64]uint64)
	quarantine := func(q Quarantined) error {
		qseq++
		q.ID = qseq
		v, err := encodeQuarantined(q)
		if err != nil {
			return err
		}
		res.Quarantine = append(res.Quarantine, q)
		res.Quarantined++
		return wb.Set(quarantineKey(qseq), v, nil)
	}

	docs := map[string]uint64{} // document id -> its sequence, for the documents of this batch
	for _, r := range b.Records {
		var docSeq uint64
		if r.Doc != nil {
			var err error
			if docSeq, err = s.documentSeq(docs, r.Doc.ID); err != nil {
				return Result{}, err
			}
			if docSeq == 0 || r.Doc.Pos < 0 {
				if err := quarantine(Quarantined{Reason: "invalid", Detail: fmt.Sprintf("its document %q was not appended", r.Doc.ID), EventID: r.EventID, Source: r.Source, Received: r.Received, Original: r.Original}); err != nil {
					return Result{}, err
				}
				continue
			}
		}
		if err := r.check(); err != nil {
			if err := quarantine(Quarantined{Reason: "invalid", Detail: err.Error(), EventID: r.EventID, Source: r.Source, Received: r.Received, Original: r.Original}); err != nil {
				return Result{}, err
			}
			continue
		}
		digest := sha256.Sum256(r.Canonical)
		if r.Document {
			digest = sha256.Sum256(r.Original)
		}
		prior, ok := inBatch[r.EventID]
		if !ok && s.ids.mayContain(r.EventID) {
			v, err := s.get(idKey(r.EventID))
			switch {
			case errors.Is(err, ErrNotFound):
			case err != nil:
				return Result{}, err
			case len(v) != 8+32:
				return Result{}, fmt.Errorf("ledger: id index of %d bytes for %q", len(v), r.EventID)
			default:
				ok = true
				prior.seq = binary.BigEndian.Uint64(v)
				copy(prior.digest[:], v[8:])
			}
		}
		if ok {
			if prior.digest == digest {
				res.Duplicates++
				if r.Document {
					docs[r.EventID] = prior.seq
				}
				if r.Resolves != 0 {
					resolved[r.Resolves] = prior.seq
				}
				continue
			}
			res.Conflicts++
			if err := quarantine(Quarantined{
				Reason:   ReasonConflict,
				Detail:   fmt.Sprintf("event id %q is already at sequence %d with different content", r.EventID, prior.seq),
				EventID:  r.EventID,
				Source:   r.Source,
				Received: r.Received,
				Original: r.Original,
				Existing: prior.seq,
			}); err != nil {
				return Result{}, err
			}
			continue
		}

		seq := head.Seq + 1
		var raw []byte
		switch {
		case r.Document:
			raw = encodeDocEntry(HashSize, DocEntry{Kind: KindDocument, Seq: seq, Received: r.Received, Source: r.Source, EventID: r.EventID, Original: r.Original, Prev: head.Hash})
		case r.Doc != nil:
			raw = encodeDocEntry(HashSize, DocEntry{Kind: KindEvent, Seq: seq, Received: r.Received, Source: r.Source, EventID: r.EventID,
				Original: r.Original, Canonical: r.Canonical, DocSeq: docSeq, DocPos: uint32(r.Doc.Pos), Prev: head.Hash})
		default:
			raw = encodeEntry(HashSize, seq, r.Received, r.Source, r.EventID, r.Original, r.Canonical, head.Hash)
		}
		h := HashEntry(raw)
		val := append(raw, h[:]...) // the stored value: the entry, then its hash
		if err := wb.Set(entryKey(seq), val, nil); err != nil {
			return Result{}, err
		}
		iv := make([]byte, 0, 8+32)
		iv = binary.BigEndian.AppendUint64(iv, seq)
		iv = append(iv, digest[:]...)
		if err := wb.Set(idKey(r.EventID), iv, nil); err != nil {
			return Result{}, err
		}
		for _, sub := range r.Subjects {
			if err := wb.Set(subjectKey(sub, seq), nil, nil); err != nil {
				return Result{}, err
			}
		}
		if r.Resolves != 0 {
			resolved[r.Resolves] = seq
		}
		inBatch[r.EventID] = seen{seq: seq, digest: digest}
		if r.Document {
			docs[r.EventID] = seq
		}
		head = Head{Seq: seq, Hash: h}
		res.Appended++
	}

	for _, rj := range b.Rejects {
		if err := quarantine(rj); err != nil {
			return Result{}, err
		}
	}
	for id, seq := range resolved {
		q, err := s.Quarantined(id)
		if err != nil {
			return Result{}, fmt.Errorf("ledger: resolve quarantine %d: %w", id, err)
		}
		q.Resolved = seq
		v, err := encodeQuarantined(q)
		if err != nil {
			return Result{}, err
		}
		if err := wb.Set(quarantineKey(id), v, nil); err != nil {
			return Result{}, err
		}
	}
	for _, o := range b.Offsets {
		if err := wb.Set(offsetKey(o.Topic, o.Partition), binary.BigEndian.AppendUint64(nil, uint64(o.Next)), nil); err != nil {
			return Result{}, err
		}
	}
	if qseq != s.qseq {
		if err := wb.Set(keyQSeq, binary.BigEndian.AppendUint64(nil, qseq), nil); err != nil {
			return Result{}, err
		}
	}
	if head != s.head {
		hv := binary.BigEndian.AppendUint64(make([]byte, 0, 8+HashSize), head.Seq)
		if err := wb.Set(keyHead, append(hv, head.Hash[:]...), nil); err != nil {
			return Result{}, err
		}
	}
	if wb.Empty() {
		res.Head = head
		return res, nil
	}
	if err := wb.Commit(s.sync); err != nil {
		return Result{}, fmt.Errorf("ledger: commit: %w", err)
	}
	if head != s.head {
		close(s.changed)
		s.changed = make(chan struct{})
	}
	s.head, s.qseq = head, qseq
	for id := range inBatch {
		s.ids.add(id)
	}
	if s.ids.full() {
		if err := s.rebuildFilter(4 * s.ids.n); err != nil {
			return res, err
		}
	}
	res.Head = head
	return res, nil
}

// documentSeq returns the sequence of document id: appended (or found a
// duplicate) earlier in this batch, or already in the ledger; 0 if neither.
func (s *Store) documentSeq(docs map[string]uint64, id string) (uint64, error) {
	if seq, ok := docs[id]; ok {
		return seq, nil
	}
	if !s.ids.mayContain(id) {
		return 0, nil
	}
	v, err := s.get(idKey(id))
	switch {
	case errors.Is(err, ErrNotFound):
		return 0, nil
	case err != nil:
		return 0, err
	case len(v) != 8+32:
		return 0, fmt.Errorf("ledger: id index of %d bytes for %q", len(v), id)
	}
	seq := binary.BigEndian.Uint64(v)
	e, err := s.Entry(seq)
	if err != nil {
		return 0, err
	}
	if !e.Document() {
		return 0, nil // an event, not a document, has that id
	}
	return seq, nil
}

func (r Record) check() error {
	switch {
	case r.EventID == "" || len(r.EventID) > MaxNameBytes:
		return fmt.Errorf("event id of %d bytes, want 1..%d", len(r.EventID), MaxNameBytes)
	case r.Document && r.Doc != nil:
		return errors.New("a document record cannot come from a document")
	case r.Document && len(r.Canonical) != 0:
		return errors.New("a document record carries no canonical event")
	case r.Document && len(r.Original) > MaxDocumentBytes:
		return fmt.Errorf("document over the limit of %d bytes", MaxDocumentBytes)
	case r.Document:
	case len(r.Original) > MaxFieldBytes || len(r.Canonical) > MaxFieldBytes:
		return fmt.Errorf("entry over the limit of %d bytes", MaxFieldBytes)
	case len(r.Canonical) == 0:
		return errors.New("empty canonical event")
	case len(r.Source.Name) > MaxNameBytes:
		return fmt.Errorf("source name of %d bytes over the limit of %d", len(r.Source.Name), MaxNameBytes)
	}
	for _, s := range r.Subjects {
		if s == "" || strings.IndexByte(s, 0) >= 0 {
			return fmt.Errorf("invalid subject %q", s)
		}
	}
	return nil
}

// ErrNotNext is wrapped when Mirror is given an entry that does not extend
// the chain.
var ErrNotNext = errors.New("ledger: entry does not extend the chain")

// Mirror appends entries that were chained elsewhere, byte for byte: a
// read replica's copy of the ledger. Each entry must extend the chain (its
// sequence follows the head and it names the head's hash); the first that
// does not is refused with ErrNotNext and nothing of the batch is written.
// The offsets and meta values are written in the same synced batch.
func (s *Store) Mirror(entries []Entry, offsets []Offset, meta map[string][]byte) (Head, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Head{}, ErrClosed
	}
	wb := s.db.NewBatch()
	defer wb.Close()
	c := Chain{Head: s.head}
	for _, e := range entries {
		if HashEntry(e.Raw) != e.Hash {
			return s.head, fmt.Errorf("%w: sequence %d: hash does not match its bytes", ErrNotNext, e.Seq)
		}
		if err := c.Next(e); err != nil {
			return s.head, fmt.Errorf("%w: %v", ErrNotNext, err)
		}
		val := make([]byte, 0, len(e.Raw)+HashSize)
		val = append(append(val, e.Raw...), e.Hash[:]...)
		if err := wb.Set(entryKey(e.Seq), val, nil); err != nil {
			return s.head, err
		}
		digest := sha256.Sum256(e.Canonical)
		iv := binary.BigEndian.AppendUint64(make([]byte, 0, 8+32), e.Seq)
		if err := wb.Set(idKey(e.EventID), append(iv, digest[:]...), nil); err != nil {
			return s.head, err
		}
	}
	for _, o := range offsets {
		if err := wb.Set(offsetKey(o.Topic, o.Partition), binary.BigEndian.AppendUint64(nil, uint64(o.Next)), nil); err != nil {
			return s.head, err
		}
	}
	for k, v := range meta {
		if err := wb.Set(metaKey(k), v, nil); err != nil {
			return s.head, err
		}
	}
	if c.Head != s.head {
		hv := binary.BigEndian.AppendUint64(make([]byte, 0, 8+HashSize), c.Head.Seq)
		if err := wb.Set(keyHead, append(hv, c.Head.Hash[:]...), nil); err != nil {
			return s.head, err
		}
	}
	if wb.Empty() {
		return s.head, nil
	}
	if err := wb.Commit(s.sync); err != nil {
		return s.head, fmt.Errorf("ledger: commit: %w", err)
	}
	if c.Head != s.head {
		close(s.changed)
		s.changed = make(chan struct{})
	}
	s.head = c.Head
	return s.head, nil
}

// Meta returns a value stored with Mirror, or ErrNotFound.
func (s *Store) Meta(name string) ([]byte, error) { return s.get(metaKey(name)) }

// Entry returns the entry at seq.
func (s *Store) Entry(seq uint64) (Entry, error) {
	v, err := s.get(entryKey(seq))
	if err != nil {
		return Entry{}, err
	}
	return decodeStored(seq, v)
}

// EntryByID returns the entry of an event id.
func (s *Store) EntryByID(id string) (Entry, error) {
	v, err := s.get(idKey(id))
	if err != nil {
		return Entry{}, err
	}
	if len(v) != 8+32 {
		return Entry{}, fmt.Errorf("ledger: id index of %d bytes for %q", len(v), id)
	}
	return s.Entry(binary.BigEndian.Uint64(v))
}

// decodeStored decodes a stored value (entry bytes followed by the hash
// written with them) and checks it against its key and stored hash.
func decodeStored(seq uint64, v []byte) (Entry, error) {
	if len(v) < HashSize {
		return Entry{}, fmt.Errorf("%w: sequence %d: stored value of %d bytes", ErrMalformed, seq, len(v))
	}
	raw, stored := v[:len(v)-HashSize], v[len(v)-HashSize:]
	e, err := DecodeEntry(raw)
	if err != nil {
		return Entry{}, fmt.Errorf("sequence %d: %w", seq, err)
	}
	if e.Seq != seq {
		return Entry{}, fmt.Errorf("%w: key sequence %d holds sequence %d", ErrMalformed, seq, e.Seq)
	}
	if !bytes.Equal(e.Hash[:], stored) {
		return e, fmt.Errorf("%w: sequence %d: stored hash %x, recomputed %s", ErrHashMismatch, seq, stored, e.Hash)
	}
	return e, nil
}

// Scan calls fn for every entry from sequence from (1 for the start) in
// order, until fn returns an error or the end. fn must not keep the Entry's
// slices past the call only if it modifies them; they are its own copies.
func (s *Store) Scan(from uint64, fn func(Entry) error) error {
	if from == 0 {
		from = 1
	}
	return s.iterate(entryKey(from), []byte{prefixEntry + 1}, func(k, v []byte) error {
		seq, err := seqFromKey(k, 1)
		if err != nil {
			return err
		}
		e, err := decodeStored(seq, v)
		if err != nil {
			return err
		}
		return fn(e)
	})
}

// ErrStop may be returned by a Scan or BySubject callback to end the walk
// early without an error.
var ErrStop = errStop

// Entries returns up to limit entries from sequence from, in order.
func (s *Store) Entries(from uint64, limit int) ([]Entry, error) {
	var out []Entry
	err := s.Scan(from, func(e Entry) error {
		out = append(out, e)
		if len(out) >= limit {
			return errStop
		}
		return nil
	})
	return out, err
}

// BySubject calls fn for every entry indexed under a unit id, in sequence
// order.
func (s *Store) BySubject(subject string, fn func(Entry) error) error {
	p := subjectPrefix(subject)
	return s.iterate(p, upperBound(p), func(k, _ []byte) error {
		seq, err := seqFromKey(k, len(p))
		if err != nil {
			return err
		}
		e, err := s.Entry(seq)
		if err != nil {
			return err
		}
		return fn(e)
	})
}

// Offsets returns the next offset to consume for every partition of topic
// that has been consumed.
func (s *Store) Offsets(topic string) (map[int32]int64, error) {
	p := offsetPrefix(topic)
	out := make(map[int32]int64)
	err := s.iterate(p, upperBound(p), func(k, v []byte) error {
		if len(k) != len(p)+4 || len(v) != 8 {
			return fmt.Errorf("ledger: malformed offset record for %s", topic)
		}
		out[int32(binary.BigEndian.Uint32(k[len(p):]))] = int64(binary.BigEndian.Uint64(v))
		return nil
	})
	return out, err
}

// errStop ends an iteration early without error.
var errStop = errors.New("ledger: stop")

func (s *Store) iterate(lower, upper []byte, fn func(k, v []byte) error) error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return fmt.Errorf("ledger: iterator: %w", err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			_ = it.Close()
			return fmt.Errorf("ledger: read: %w", err)
		}
		if err := fn(it.Key(), v); err != nil {
			_ = it.Close()
			if errors.Is(err, errStop) {
				return nil
			}
			return err
		}
	}
	return it.Close()
}

// get returns a copy of the value at k, or ErrNotFound.
func (s *Store) get(k []byte) ([]byte, error) {
	v, closer, err := s.db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: get: %w", err)
	}
	out := append([]byte(nil), v...)
	return out, closer.Close()
}

// pebbleLogger sends Pebble's messages to slog, or nowhere.
type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) {
	if p.l != nil {
		p.l.Debug(fmt.Sprintf(format, args...), "component", "pebble")
	}
}

func (p pebbleLogger) Errorf(format string, args ...any) {
	if p.l != nil {
		p.l.Error(fmt.Sprintf(format, args...), "component", "pebble")
	}
}

func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if p.l != nil {
		p.l.Error(msg, "component", "pebble")
	}
	panic("ledger: pebble fatal: " + msg)
}

var _ io.Closer = (*Store)(nil)
