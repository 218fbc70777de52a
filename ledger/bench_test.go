package ledger_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chipledger/chipledger/ledger"
)

// benchRecords builds n records of about 300 bytes of event JSON each.
func benchRecords(start, n int) []ledger.Record {
	recs := make([]ledger.Record, n)
	pad := strings.Repeat("x", 170)
	for i := range recs {
		id := fmt.Sprintf("0193b1a2-7c4d-7e5f-8a9b-%012d", start+i)
		ev := []byte(fmt.Sprintf(`{"id":%q,"type":"unit.received.v1","occurred_at":"2025-01-02T03:04:05Z","body":{"units":["chip:H100-%09d"],"note":%q}}`, id, start+i, pad))
		recs[i] = ledger.Record{
			EventID:   id,
			Subjects:  []string{fmt.Sprintf("chip:H100-%09d", start+i)},
			Original:  ev,
			Canonical: ev,
			Source:    ledger.Source{Name: "chip-events", Partition: int32(i % 6), Offset: int64(start + i)},
			Received:  time.Unix(1735787045, int64(i)),
		}
	}
	return recs
}

// BenchmarkAppend appends synced batches of 1,000 events of about 300 bytes
// to a ledger on disk and reports events per second.
func BenchmarkAppend(b *testing.B) {
	s, err := ledger.Open(b.TempDir(), &ledger.Options{NoSync: os.Getenv("BENCH_NOSYNC") != ""})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const batch = 1000
	batches := make([][]ledger.Record, b.N)
	for i := range batches {
		batches[i] = benchRecords(i*batch, batch)
	}
	b.ReportAllocs()
	b.SetBytes(int64(batch * len(batches[0][0].Original)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := s.Append(ledger.Batch{Records: batches[i], Offsets: []ledger.Offset{{Topic: "chip-events", Partition: 0, Next: int64(i)}}})
		if err != nil || res.Appended != batch {
			b.Fatalf("appended %d: %v", res.Appended, err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
}
