package ledger

import (
	"encoding/binary"
	"fmt"
)

// Keyspaces, one byte each. Integers in keys are big-endian so that byte
// order is sequence order. The letters 'c' (signed checkpoints) and 't'
// (Merkle tree nodes) are reserved for the transparency-log layer.
const (
	prefixEntry      = 'e' // e | seq(8)                      -> entry bytes | hash(32)
	prefixID         = 'i' // i | event id                    -> seq(8) | sha256(canonical)(32)
	prefixSubject    = 's' // s | unit id | 0x00 | seq(8)     -> empty
	prefixOffset     = 'o' // o | topic | 0x00 | partition(4) -> next offset(8)
	prefixQuarantine = 'q' // q | quarantine id(8)            -> JSON record
	prefixMeta       = 'm' // m | name                        -> value
)

var (
	keyHead = []byte{prefixMeta, 'h', 'e', 'a', 'd'}
	keyQSeq = []byte{prefixMeta, 'q', 's', 'e', 'q'}
)

// metaKey names a caller's value in the meta keyspace ("u" for user keeps
// it apart from the store's own head and counters).
func metaKey(name string) []byte {
	return append([]byte{prefixMeta, 'u'}, name...)
}

func entryKey(seq uint64) []byte {
	k := make([]byte, 9)
	k[0] = prefixEntry
	binary.BigEndian.PutUint64(k[1:], seq)
	return k
}

func idKey(id string) []byte {
	k := make([]byte, 1, 1+len(id))
	k[0] = prefixID
	return append(k, id...)
}

func subjectPrefix(subject string) []byte {
	k := make([]byte, 1, 2+len(subject)+8)
	k[0] = prefixSubject
	k = append(k, subject...)
	return append(k, 0)
}

func subjectKey(subject string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(subjectPrefix(subject), seq)
}

func offsetPrefix(topic string) []byte {
	k := make([]byte, 1, 2+len(topic)+4)
	k[0] = prefixOffset
	k = append(k, topic...)
	return append(k, 0)
}

func offsetKey(topic string, partition int32) []byte {
	return binary.BigEndian.AppendUint32(offsetPrefix(topic), uint32(partition))
}

func quarantineKey(id uint64) []byte {
	k := make([]byte, 9)
	k[0] = prefixQuarantine
	binary.BigEndian.PutUint64(k[1:], id)
	return k
}

// upperBound returns the smallest key greater than every key with prefix p.
func upperBound(p []byte) []byte {
	u := append([]byte(nil), p...)
	for i := len(u) - 1; i >= 0; i-- {
		if u[i] != 0xff {
			u[i]++
			return u[:i+1]
		}
	}
	return nil
}

func seqFromKey(k []byte, prefixLen int) (uint64, error) {
	if len(k) != prefixLen+8 {
		return 0, fmt.Errorf("ledger: key of %d bytes, want %d", len(k), prefixLen+8)
	}
	return binary.BigEndian.Uint64(k[prefixLen:]), nil
}
