package simulate_test

import (
	"context"
	"testing"

	"github.com/chipledger/chipledger/simulate"
)

type countSink struct{ n, bytes int64 }

func (c *countSink) Event(line, _ []byte) error {
	c.n++
	c.bytes += int64(len(line)) + 1
	return nil
}

// BenchmarkGenerate measures generation speed (events per second) of a
// 50,000-chip world, encoding included, output discarded.
func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	var lines, bytes int64
	for i := 0; i < b.N; i++ {
		s, err := simulate.New(simulate.Options{Seed: 1, Chips: 50_000})
		if err != nil {
			b.Fatal(err)
		}
		var c countSink
		if _, err := s.Run(context.Background(), &c); err != nil {
			b.Fatal(err)
		}
		lines += c.n
		bytes += c.bytes
	}
	b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(bytes)/b.Elapsed().Seconds()/1e6, "MB/s")
}
