package replica_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/httpapi"
	"github.com/chipledger/chipledger/ingest"
	"github.com/chipledger/chipledger/ledger"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/replica"
	"github.com/chipledger/chipledger/simulate"
)

// benchEvents returns BENCH_EVENTS (default 1,000,000).
func benchEvents() int {
	if n, err := strconv.Atoi(os.Getenv("BENCH_EVENTS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// benchLedger builds (once, cached under .cache/bench) a ledger of a
// simulated world of about n events (package simulate, seed 42: every
// scenario, clock skew, late and repeated deliveries) and returns its
// directory and the ids of the chips in it.
func benchLedger(b *testing.B, n int) (string, []events.UnitID) {
	b.Helper()
	dir := filepath.Join("..", ".cache", "bench", fmt.Sprintf("simworld-%d-v1", n))
	chipsFile := filepath.Join(dir, "CHIPS")
	if data, err := os.ReadFile(chipsFile); err == nil {
		var chips []events.UnitID
		for _, c := range strings.Fields(string(data)) {
			chips = append(chips, events.UnitID(c))
		}
		return dir, chips
	}
	_ = os.RemoveAll(dir)
	s, err := ledger.Open(dir, nil)
	if err != nil {
		b.Fatal(err)
	}
	// The simulator writes about 7.4 lines per chip.
	sim, err := simulate.New(simulate.Options{Seed: 42, Chips: max(simulate.MinChips, n*10/74)})
	if err != nil {
		b.Fatal(err)
	}
	sink := &ledgerSink{s: s}
	if _, err := sim.Run(context.Background(), sink); err != nil {
		b.Fatal(err)
	}
	if err := sink.flush(); err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	var ids []string
	for _, c := range sink.chips {
		ids = append(ids, string(c))
	}
	if err := os.WriteFile(chipsFile, []byte(strings.Join(ids, "\n")), 0o644); err != nil {
		b.Fatal(err)
	}
	return dir, sink.chips
}

// ledgerSink appends simulated lines to a ledger in batches.
type ledgerSink struct {
	s     *ledger.Store
	batch ledger.Batch
	line  int64
	chips []events.UnitID
}

func (k *ledgerSink) Event(line, _ []byte) error {
	k.line++
	rec, q := ingest.Prepare(nil, append([]byte(nil), line...), ledger.Source{Name: "simworld", Partition: -1, Offset: k.line}, time.Unix(0, 0))
	if q != nil {
		return fmt.Errorf("simulated line %d rejected: %s", k.line, q.Detail)
	}
	if bytes.Contains(line, []byte(`"type":"unit.commissioned.v1"`)) && len(rec.Subjects) == 1 && strings.HasPrefix(rec.Subjects[0], "chip:") {
		k.chips = append(k.chips, events.UnitID(rec.Subjects[0]))
	}
	k.batch.Records = append(k.batch.Records, rec)
	if len(k.batch.Records) >= 10000 {
		return k.flush()
	}
	return nil
}

func (k *ledgerSink) flush() error {
	_, err := k.s.Append(k.batch)
	k.batch = ledger.Batch{}
	return err
}

// BenchmarkRebuild builds a replica offline from a ledger directory: every
// entry read, its hash recomputed, mirrored, decoded and projected.
func BenchmarkRebuild(b *testing.B) {
	n := benchEvents()
	dir, _ := benchLedger(b, n)
	for i := 0; i < b.N; i++ {
		src, err := ledger.Open(dir, nil)
		if err != nil {
			b.Fatal(err)
		}
		r, err := replica.Open(b.TempDir(), replica.Options{SnapshotEvery: 1 << 62})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := r.SyncLedger(context.Background(), src); err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		head := r.Head().Seq
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(head)/took.Seconds(), "events/s")
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
		b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MiB")
		_ = r.Close()
		_ = src.Close()
	}
}

// BenchmarkProjectionRebuild measures the projections alone: entries read
// from the ledger, decoded and applied, nothing written.
func BenchmarkProjectionRebuild(b *testing.B) {
	n := benchEvents()
	dir, _ := benchLedger(b, n)
	src, err := ledger.Open(dir, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	for i := 0; i < b.N; i++ {
		p := projections.New(nil)
		start := time.Now()
		err := src.Scan(1, func(e ledger.Entry) error {
			ev, err := events.Decode(e.Canonical)
			if err != nil {
				return err
			}
			return p.Apply(projections.Entry{Seq: e.Seq, Hash: e.Hash.String(), Event: ev})
		})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(p.Seq())/time.Since(start).Seconds(), "events/s")
	}
}

// BenchmarkChainLookup reports p50 and p99 of one custody-chain lookup of
// a random chip, in process and over HTTP, on a replica of the bench ledger.
func BenchmarkChainLookup(b *testing.B) {
	n := benchEvents()
	dir, chips := benchLedger(b, n)
	state := filepath.Join("..", ".cache", "bench", fmt.Sprintf("simreplica-%d-v1", n))
	src, err := ledger.Open(dir, nil)
	if err != nil {
		b.Fatal(err)
	}
	r, err := replica.Open(state, replica.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	if err := r.SyncLedger(context.Background(), src); err != nil {
		b.Fatal(err)
	}
	_ = src.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	const lookups = 2000
	inProc := make([]time.Duration, 0, lookups)
	for i := 0; i < lookups; i++ {
		u := chips[rng.IntN(len(chips))]
		start := time.Now()
		err := r.View(func(p *projections.Projection, src projections.Source) error {
			steps, err := p.Chain(src, u)
			if err == nil && len(steps) < 2 {
				err = fmt.Errorf("chain of %s has %d steps", u, len(steps))
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		inProc = append(inProc, time.Since(start))
	}
	srv := httptest.NewServer(httpapi.Query(r, httpapi.QueryOptions{}))
	defer srv.Close()
	overHTTP := make([]time.Duration, 0, lookups)
	client := &http.Client{}
	for i := 0; i < lookups; i++ {
		u := chips[rng.IntN(len(chips))]
		start := time.Now()
		resp, err := client.Get(srv.URL + "/api/v1/units/" + string(u) + "/chain")
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
		overHTTP = append(overHTTP, time.Since(start))
	}
	for i := 0; i < b.N; i++ {
	}
	pct := func(d []time.Duration, q float64) float64 {
		s := slices.Clone(d)
		slices.Sort(s)
		return float64(s[int(q*float64(len(s)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(inProc, 0.5), "inproc-p50-ms")
	b.ReportMetric(pct(inProc, 0.99), "inproc-p99-ms")
	b.ReportMetric(pct(overHTTP, 0.5), "http-p50-ms")
	b.ReportMetric(pct(overHTTP, 0.99), "http-p99-ms")
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
	b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MiB")
}

// peakRSS is this process's VmHWM in bytes.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	var kb int64
	for _, line := range strings.Split(string(b), "\n") {
		if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &kb); err == nil {
			return kb << 10
		}
	}
	return 0
}
