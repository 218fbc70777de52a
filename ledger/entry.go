package ledger

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// EntryVersion is the version byte that starts every entry encoded by this
// package. A new encoding gets a new version; entries already hashed into a
// ledger keep theirs forever.
const EntryVersion = 1

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
	Seq       uint64
	Received  time.Time // when ingest received the original bytes (evidence only)
	Source    Source
	EventID   string
	Original  []byte // the bytes exactly as received
	Canonical []byte // the canonical encoding of the decoded event
	Prev      Hash
	Hash      Hash
	Raw       []byte
}

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

// HashEntry returns the hash of an entry's canonical bytes.
func HashEntry(raw []byte) Hash { return sha256.Sum256(raw) }

// DecodeEntry decodes the canonical bytes of an entry and computes its hash.
// The returned Entry shares no memory with raw.
func DecodeEntry(raw []byte) (Entry, error) {
	var e Entry
	r := reader{b: raw}
	v := r.u8()
	if r.err == nil && v != EntryVersion {
		return e, fmt.Errorf("%w: unknown version %d", ErrMalformed, v)
	}
	e.Seq = r.u64()
	e.Received = time.Unix(0, int64(r.u64())).UTC()
	e.Source.Name = string(r.bytes(MaxNameBytes))
	e.Source.Partition = int32(r.u32())
	e.Source.Offset = int64(r.u64())
	e.EventID = string(r.bytes(MaxNameBytes))
	e.Original = r.bytes(MaxFieldBytes)
	e.Canonical = r.bytes(MaxFieldBytes)
	copy(e.Prev[:], r.next(HashSize))
	if r.err != nil {
		return Entry{}, r.err
	}
	if len(r.b) != 0 {
		return Entry{}, fmt.Errorf("%w: %d trailing bytes", ErrMalformed, len(r.b))
	}
	if e.Seq == 0 {
		return Entry{}, fmt.Errorf("%w: sequence 0", ErrMalformed)
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
