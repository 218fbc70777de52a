package web_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/chipledger/chipledger/ingest"
	"github.com/chipledger/chipledger/ledger"
	"github.com/chipledger/chipledger/replica"
	"github.com/chipledger/chipledger/simulate"
)

// demoLedger builds (once, cached under .cache/bench) the demo's world:
// simulate --chips N --seed 7 imported into a ledger.
func demoLedger(tb testing.TB, chips int, seed int64) string {
	tb.Helper()
	dir := filepath.Join("..", ".cache", "bench", fmt.Sprintf("web-demo-%d-%d-v1", chips, seed))
	done := filepath.Join(dir, "DONE")
	if _, err := os.Stat(done); err == nil {
		return filepath.Join(dir, "ledger")
	}
	_ = os.RemoveAll(dir)
	store, err := ledger.Open(filepath.Join(dir, "ledger"), nil)
	if err != nil {
		tb.Fatal(err)
	}
	sim, err := simulate.New(simulate.Options{Seed: seed, Chips: chips})
	if err != nil {
		tb.Fatal(err)
	}
	pr, pw := io.Pipe()
	go func() {
		sink := simulate.NewWriterSink(pw)
		_, err := sim.Run(context.Background(), sink)
		if err == nil {
			err = sink.Flush()
		}
		pw.CloseWithError(err)
	}()
	if _, err := ingest.Import(context.Background(), store, pr, "world.jsonl", ingest.ImportOptions{BatchSize: 5000}); err != nil {
		tb.Fatal(err)
	}
	if err := store.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(done, nil, 0o644); err != nil {
		tb.Fatal(err)
	}
	return filepath.Join(dir, "ledger")
}

// demoReplica opens a replica of the demo world with its alerts evaluated.
func demoReplica(tb testing.TB, chips int, seed int64) *replica.Replica {
	tb.Helper()
	src, err := ledger.Open(demoLedger(tb, chips, seed), nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer src.Close()
	r, err := replica.Open(tb.TempDir(), replica.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = r.Close() })
	if err := r.SyncLedger(context.Background(), src); err != nil {
		tb.Fatal(err)
	}
	if _, err := r.Detect(); err != nil {
		tb.Fatal(err)
	}
	return r
}
