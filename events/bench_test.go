package events_test

import (
	"testing"

	"github.com/chipledger/chipledger/events"
)

func BenchmarkDecode(b *testing.B) {
	line := exampleOf(b, events.TypeShipped)
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, err := events.Decode(line); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCanonical(b *testing.B) {
	e, err := events.Decode(exampleOf(b, events.TypeShipped))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = e.Canonical()
	}
}
