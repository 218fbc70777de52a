package ledger_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/chipledger/chipledger/ledger"
)

func Example() {
	// A real ledger lives in a directory; tests and examples use memory.
	s, err := ledger.Open("ledger", &ledger.Options{FS: vfs.NewMem()})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	event := []byte(`{"id":"e1","type":"unit.received.v1"}`)
	res, err := s.Append(ledger.Batch{
		Records: []ledger.Record{{
			EventID:   "e1",
			Subjects:  []string{"chip:1652423000001"},
			Original:  event,
			Canonical: event,
			Source:    ledger.Source{Name: "chip-events", Partition: 0, Offset: 41},
			Received:  time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC),
		}},
		// The next offset to read is committed with the entries it produced.
		Offsets: []ledger.Offset{{Topic: "chip-events", Partition: 0, Next: 42}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("appended", res.Appended, "head", res.Head.Seq)

	// The same event again is a duplicate, not a second entry.
	res, _ = s.Append(ledger.Batch{Records: []ledger.Record{{EventID: "e1", Original: event, Canonical: event}}})
	fmt.Println("duplicates", res.Duplicates)

	_ = s.BySubject("chip:1652423000001", func(e ledger.Entry) error {
		fmt.Printf("sequence %d from %s: %s\n", e.Seq, e.Source, e.Canonical)
		return nil
	})
	head, err := s.Verify(context.Background(), nil)
	fmt.Println("verified up to", head.Seq, err)
	// Output:
	// appended 1 head 1
	// duplicates 1
	// sequence 1 from chip-events/0@41: {"id":"e1","type":"unit.received.v1"}
	// verified up to 1 <nil>
}
