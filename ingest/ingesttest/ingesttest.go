// Package ingesttest builds test traffic for the write side and checks its
// outcome: synthetic valid events, and the properties chip-ledger must have
// (every sequence, in order, repeats only byte-identical).
package ingesttest

import (
	"fmt"
	"testing"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/kafka"
	"github.com/chipledger/chipledger/ledger"
)

// Event returns valid unit.commissioned.v1 event i of a run tagged tag, as
// JSON, and its Kafka key.
func Event(tag string, i int) (key, value []byte) {
	id := fmt.Sprintf("01940000-0000-7000-8000-%012d", i)
	serial := fmt.Sprintf("%s%09d", tag, i)
	v := fmt.Sprintf(`{"id":"%s-%s","type":"unit.commissioned.v1","occurred_at":"2025-01-06T02:00:00Z","recorded_at":"2025-01-06T02:00:05Z","publisher":"P-NVIDIA","body":{"unit":"chip:%s","manufacturer":"P-NVIDIA","model":"H100-SXM5-80GB","serial":"%s","declared_tpp":15832,"declared_eccn":"3A090.a","country":"TW"}}`,
		tag, id, serial, serial)
	ev, err := events.Decode([]byte(v))
	if err != nil {
		panic(fmt.Sprintf("ingesttest: generated an invalid event: %v", err))
	}
	return []byte(ev.Primary()), []byte(v)
}

// Messages returns n events of a run as Kafka messages.
func Messages(tag string, from, n int) []kafka.Message {
	out := make([]kafka.Message, n)
	for i := range out {
		k, v := Event(tag, from+i)
		out[i] = kafka.Message{Key: k, Value: v}
	}
	return out
}

// CheckChipLedger checks the records of a chip-ledger partition against a
// ledger: sequences 1..head appear in order, each first copy is the
// ledger's entry byte for byte, the chain links, and a repeat of an earlier
// sequence is byte-identical to its first copy. It returns the number of
// repeats.
func CheckChipLedger(t testing.TB, msgs []kafka.Message, s *ledger.Store) int {
	t.Helper()
	var (
		chain   ledger.Chain
		seen    = make(map[uint64][]byte)
		repeats int
	)
	for _, m := range msgs {
		e, err := ledger.DecodeEntry(m.Value)
		if err != nil {
			t.Fatalf("chip-ledger offset %d is not an entry: %v", m.Offset, err)
		}
		if first, ok := seen[e.Seq]; ok {
			repeats++
			if string(first) != string(m.Value) {
				t.Fatalf("chip-ledger offset %d repeats sequence %d with different bytes", m.Offset, e.Seq)
			}
			continue
		}
		if err := chain.Next(e); err != nil {
			t.Fatalf("chip-ledger offset %d: %v", m.Offset, err)
		}
		seen[e.Seq] = m.Value
		stored, err := s.Entry(e.Seq)
		if err != nil {
			t.Fatalf("sequence %d from chip-ledger: %v", e.Seq, err)
		}
		if string(stored.Raw) != string(m.Value) {
			t.Fatalf("sequence %d: chip-ledger bytes differ from the ledger's", e.Seq)
		}
	}
	if head := s.Head(); chain.Head != head {
		t.Fatalf("chip-ledger ends at sequence %d, the ledger head is %d", chain.Head.Seq, head.Seq)
	}
	return repeats
}
