package ledger

import (
	"hash/maphash"
	"math"
)

// idFilter is an in-memory Bloom filter over every event id in the ledger.
// Append asks it before looking an id up in Pebble: nearly every event is
// new, and a negative answer is certain, so the dedupe check costs a few
// hash probes instead of a disk read per event. It is rebuilt from the id
// keyspace at Open and doubled whenever it fills up.
type idFilter struct {
	seed  maphash.Seed
	bits  []uint64
	k     uint32
	n     int // ids added
	limit int // ids it was sized for
}

const filterBitsPerID = 12 // about 0.3% false positives with k = 8

func newIDFilter(capacity int) *idFilter {
	if capacity < 1<<16 {
		capacity = 1 << 16
	}
	words := (capacity*filterBitsPerID + 63) / 64
	return &idFilter{
		seed:  maphash.MakeSeed(),
		bits:  make([]uint64, words),
		k:     uint32(math.Round(filterBitsPerID * math.Ln2)),
		limit: capacity,
	}
}

func (f *idFilter) positions(id string, fn func(bit uint64) bool) bool {
	h := maphash.String(f.seed, id)
	h1, h2 := uint32(h), uint32(h>>32)|1
	m := uint64(len(f.bits) * 64)
	for i := uint32(0); i < f.k; i++ {
		if !fn(uint64(h1+i*h2) % m) {
			return false
		}
	}
	return true
}

func (f *idFilter) add(id string) {
	f.positions(id, func(b uint64) bool { f.bits[b/64] |= 1 << (b % 64); return true })
	f.n++
}

// mayContain is false only for ids never added.
func (f *idFilter) mayContain(id string) bool {
	return f.positions(id, func(b uint64) bool { return f.bits[b/64]&(1<<(b%64)) != 0 })
}

func (f *idFilter) full() bool { return f.n >= f.limit }
