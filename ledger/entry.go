package ledger

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// EntryVersion is the version byte that starts every native event entry.
// A new encoding gets a new version; entries already hashed into a ledger
// keep theirs forever.
const EntryVersion = 1

// EntryVersionDoc is the version of the entries that carry documents (an
// EPCIS document's original bytes, as received) and of the event entries
// mapped from such a document, which name the document's entry and the
// event's position in it. Native event entries stay at EntryVersion.
const EntryVersionDoc = 2

// Entry kinds (version 2).
const (
	KindEvent    = 0 // a canonical event (version 1 entries are all events)
	KindDocument = 1 // a document's original bytes; no canonical event
)

// MaxDocumentBytes bounds a document entry's original bytes: above the
// events' 256 KiB, below chip-ledger's 2 MiB max.message.bytes with room
// for the header.
const MaxDocumentBytes = 1 << 20

// HashSize is the size of an entry hash (SHA-256).
const HashSize = sha256.Size

// Limits that bound a single entry. They sit above the events package's
// 256 KiB event limit and below the 2 MiB max.message.bytes of the
// chip-ledger topic, so that every entry can be republished whole.
const (
	MaxFieldBytes = 512 << 10 // original or canonical bytes
	MaxNameBytes  = 1024      // source name, event id
)

// Hash is the SHA-256 of an entry's encoded bytes.
type Hash [HashSize]byte

// String returns the hash in lowercase hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is the all-zero hash (the predecessor of entry 1).
func (h Hash) IsZero() bool { return h == Hash{} }

// ParseHash parses a lowercase or uppercase hex hash.
func ParseHash(s string) (Hash, error) {
	var h Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != HashSize {
		return h, fmt.Errorf("ledger: invalid hash %q", s)
	}
	copy(h[:], b)
	return h, nil
}

// Source is where an entry's original bytes came from: a Kafka record
// (Name = topic, Partition, Offset) or a line of a file (Name = file name,
// Partition = -1, Offset = line number starting at 1).
type Source struct {
	Name      string `json:"name"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
}

// String formats the source as topic/partition@offset or file:line.
func (s Source) String() string {
	if s.Partition < 0 {
		return fmt.Sprintf("%s:%d", s.Name, s.Offset)
	}
	return fmt.Sprintf("%s/%d@%d", s.Name, s.Partition, s.Offset)
}

// Entry is one link of the chain. Raw holds the exact bytes that were
// hashed; the other fields are decoded from it.
type Entry struct {
	Version   uint8 // EntryVersion or EntryVersionDoc
	Kind      uint8 // KindEvent or KindDocument
	Seq       uint64
	Received  time.Time // when ingest received the original bytes (evidence only)
	Source    Source
	EventID   string
	Original  []byte // the bytes exactly as received
	Canonical []byte // the canonical encoding of the decoded event
	// DocSeq and DocPos, on an event mapped from a document, are the
	// document's entry and the event's position (0-based) in it; zero
	// otherwise.
	DocSeq uint64
	DocPos uint32
	Prev   Hash
	Hash   Hash
	Raw    []byte
}

// Document reports whether the entry carries a document, not an event.
func (e Entry) Document() bool { return e.Kind == KindDocument }

// ErrMalformed is wrapped by errors about bytes that do not decode as an entry.
var ErrMalformed = errors.New("ledger: malformed entry")

// EncodeEntry returns the canonical bytes of an entry, the bytes that are
// hashed, stored and published. Layout (integers big-endian):
//
//	u8  version (1)
//	u64 sequence
//	i64 received, Unix nanoseconds
//	u32 len + source name
//	i32 source partition (-1 for a file)
//	i64 source offset (or line)
//	u32 len + event id
//	u32 len + original bytes
//	u32 len + canonical event bytes
//	32  previous entry hash (zero for sequence 1)
func EncodeEntry(seq uint64, received time.Time, src Source, eventID string, original, canonical []byte, prev Hash) []byte {
	return encodeEntry(0, seq, received, src, eventID, original, canonical, prev)
}

// encodeEntry encodes an entry into a new slice with extra spare capacity.
func encodeEntry(extra int, seq uint64, received time.Time, src Source, eventID string, original, canonical []byte, prev Hash) []byte {
	n := 1 + 8 + 8 + 4 + len(src.Name) + 4 + 8 + 4 + len(eventID) + 4 + len(original) + 4 + len(canonical) + HashSize
	b := make([]byte, 0, n+extra)
	b = append(b, EntryVersion)
	b = binary.BigEndian.AppendUint64(b, seq)
	b = binary.BigEndian.AppendUint64(b, uint64(received.UnixNano()))
	b = appendBytes(b, []byte(src.Name))
	b = binary.BigEndian.AppendUint32(b, uint32(src.Partition))
	b = binary.BigEndian.AppendUint64(b, uint64(src.Offset))
	b = appendBytes(b, []byte(eventID))
	b = appendBytes(b, original)
	b = appendBytes(b, canonical)
	b = append(b, prev[:]...)
	return b
}

// DocEntry is the content of a version-2 entry.
type DocEntry struct {
	Kind      uint8
	Seq       uint64
	Received  time.Time
	Source    Source
	EventID   string // the document id for a document; the event id for an event
	Original  []byte
	Canonical []byte // empty for a document
	DocSeq    uint64
	DocPos    uint32
	Prev      Hash
}

// EncodeDocEntry returns the canonical bytes of a version-2 entry. Layout
// (integers big-endian):
//
//	u8  version (2)
//	u8  kind (0 event, 1 document)
//	u64 sequence
//	i64 received, Unix nanoseconds
//	u32 len + source name
//	i32 source partition (-1 for a file)
//	i64 source offset (or line)
//	u32 len + event or document id
//	u32 len + original bytes
//	u32 len + canonical event bytes (0 for a document)
//	u64 document entry sequence (event mapped from a document; else 0)
//	u32 position in the document
//	32  previous entry hash
func EncodeDocEntry(d DocEntry) []byte { return encodeDocEntry(0, d) }

func encodeDocEntry(extra int, d DocEntry) []byte {
	n := 2 + 8 + 8 + 4 + len(d.Source.Name) + 4 + 8 + 4 + len(d.EventID) + 4 + len(d.Original) + 4 + len(d.Canonical) + 8 + 4 + HashSize
	b := make([]byte, 0, n+extra)
	b = append(b, EntryVersionDoc, d.Kind)
	b = binary.BigEndian.AppendUint64(b, d.Seq)
	b = binary.BigEndian.AppendUint64(b, uint64(d.Received.UnixNano()))
	b = appendBytes(b, []byte(d.Source.Name))
	b = binary.BigEndian.AppendUint32(b, uint32(d.Source.Partition))
	b = binary.BigEndian.AppendUint64(b, uint64(d.Source.Offset))
	b = appendBytes(b, []byte(d.EventID))
	b = appendBytes(b, d.Original)
	b = appendBytes(b, d.Canonical)
	b = binary.BigEndian.AppendUint64(b, d.DocSeq)
	b = binary.BigEndian.AppendUint32(b, d.DocPos)
	b = append(b, d.Prev[:]...)
	return b
}

// HashEntry returns the hash of an entry's canonical bytes.
func HashEntry(raw []byte) Hash { return sha256.Sum256(raw) }

// DecodeEntry decodes the canonical bytes of an entry and computes its hash.
// The returned Entry shares no memory with raw.
func DecodeEntry(raw []byte) (Entry, error) {
	var e Entry
	r := reader{b: raw}
	e.Version = r.u8()
	if r.err == nil && e.Version != EntryVersion && e.Version != EntryVersionDoc {
		return e, fmt.Errorf("%w: unknown version %d", ErrMalformed, e.Version)
	}
	if e.Version == EntryVersionDoc {
		e.Kind = r.u8()
		if r.err == nil && e.Kind != KindEvent && e.Kind != KindDocument {
			return Entry{}, fmt.Errorf("%w: unknown entry kind %d", ErrMalformed, e.Kind)
		}
	}
	e.Seq = r.u64()
	e.Received = time.Unix(0, int64(r.u64())).UTC()
	e.Source.Name = string(r.bytes(MaxNameBytes))
	e.Source.Partition = int32(r.u32())
	e.Source.Offset = int64(r.u64())
	e.EventID = string(r.bytes(MaxNameBytes))
	limit := MaxFieldBytes
	if e.Kind == KindDocument {
		limit = MaxDocumentBytes
	}
	e.Original = r.bytes(limit)
	e.Canonical = r.bytes(MaxFieldBytes)
	if e.Version == EntryVersionDoc {
		e.DocSeq = r.u64()
		e.DocPos = r.u32()
	}
	copy(e.Prev[:], r.next(HashSize))
	if r.err != nil {
		return Entry{}, r.err
	}
	if len(r.b) != 0 {
		return Entry{}, fmt.Errorf("%w: %d trailing bytes", ErrMalformed, len(r.b))
	}
	switch {
	case e.Seq == 0:
		return Entry{}, fmt.Errorf("%w: sequence 0", ErrMalformed)
	case e.Kind == KindDocument && (len(e.Canonical) != 0 || e.DocSeq != 0):
		return Entry{}, fmt.Errorf("%w: a document entry carries no canonical event or document reference", ErrMalformed)
	case e.Kind == KindEvent && e.Version == EntryVersionDoc && (e.DocSeq == 0 || e.DocSeq >= e.Seq):
		return Entry{}, fmt.Errorf("%w: document reference %d of entry %d", ErrMalformed, e.DocSeq, e.Seq)
	}
	e.Raw = append([]byte(nil), raw...)
	e.Hash = HashEntry(e.Raw)
	return e, nil
}

func appendBytes(b, v []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
	return append(b, v...)
}

// reader decodes big-endian fields and remembers the first error.
type reader struct {
	b   []byte
	err error
}

func (r *reader) next(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b) < n {
		r.err = fmt.Errorf("%w: truncated", ErrMalformed)
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u8() byte {
	v := r.next(1)
	if v == nil {
		return 0
	}
	return v[0]
}

func (r *reader) u32() uint32 {
	v := r.next(4)
	if v == nil {
		return 0
	}
	return binary.BigEndian.Uint32(v)
}

func (r *reader) u64() uint64 {
	v := r.next(8)
	if v == nil {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func (r *reader) bytes(limit int) []byte {
	n := r.u32()
	if r.err != nil {
		return nil
	}
	if int64(n) > int64(limit) {
		r.err = fmt.Errorf("%w: field of %d bytes over the limit of %d", ErrMalformed, n, limit)
		return nil
	}
	v := r.next(int(n))
	if v == nil {
		return nil
	}
	return append([]byte(nil), v...)
}
