package replica_test

import (
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
)

// benchEvents returns BENCH_EVENTS (default 1,000,000).
func benchEvents() int {
	if n, err := strconv.Atoi(os.Getenv("BENCH_EVENTS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// benchLedger builds (once, cached under .cache/bench) a ledger of about n
// events: chips commissioned and assembled eight to a server, servers
// shipped, received, installed and attested weekly, a shape like the
// simulated world's. It returns the directory and the chip ids.
func benchLedger(b *testing.B, n int) (string, []events.UnitID) {
	b.Helper()
	dir := filepath.Join("..", ".cache", "bench", fmt.Sprintf("ledger-%d-v1", n))
	var chips []events.UnitID
	perServer := 8 + 1 + 1 + 1 + 1 + 1 + 20 // commissioned x8, server commissioned, assembled, shipped, received, installed, 20 attestations
	servers := n / perServer
	for s := 0; s < servers; s++ {
		for c := 0; c < 8; c++ {
			chips = append(chips, events.UnitID(fmt.Sprintf("chip:B%07d%d", s, c)))
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "COMPLETE")); err == nil {
		return dir, chips
	}
	_ = os.RemoveAll(dir)
	s, err := ledger.Open(dir, nil)
	if err != nil {
		b.Fatal(err)
	}
	var batch ledger.Batch
	seq := 0
	add := func(typ string, day int, body string) {
		seq++
		t := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(day)*24*time.Hour + time.Duration(seq%86400)*time.Second)
		line := fmt.Sprintf(`{"id":"bench-%09d","type":%q,"occurred_at":%q,"recorded_at":%q,"publisher":"P-BENCH","body":%s}`,
			seq, typ, t.Format(time.RFC3339), t.Format(time.RFC3339), body)
		rec, q := ingest.Prepare(nil, []byte(line), ledger.Source{Name: "bench", Partition: -1, Offset: int64(seq)}, t)
		if q != nil {
			b.Fatalf("bench event rejected: %s: %s", q.Detail, line)
		}
		batch.Records = append(batch.Records, rec)
		if len(batch.Records) == 10000 {
			if _, err := s.Append(batch); err != nil {
				b.Fatal(err)
			}
			batch = ledger.Batch{}
		}
	}
	for sv := 0; sv < servers; sv++ {
		sys := fmt.Sprintf("sys:BS%07d", sv)
		day := sv % 300
		var kids []string
		for c := 0; c < 8; c++ {
			u := fmt.Sprintf("B%07d%d", sv, c)
			kids = append(kids, strconv.Quote("chip:"+u))
			add("unit.commissioned.v1", day, fmt.Sprintf(`{"unit":"chip:%s","manufacturer":"P-NVIDIA","model":"H100-SXM5-80GB","serial":"%s","country":"TW"}`, u, u))
		}
		add("unit.commissioned.v1", day+1, fmt.Sprintf(`{"unit":%q,"manufacturer":"P-SMC","model":"SYS-821GE-TNHR","serial":"BS%07d","country":"US"}`, sys, sv))
		add("unit.assembled.v1", day+2, fmt.Sprintf(`{"parent":%q,"children":[%s]}`, sys, joinComma(kids)))
		add("unit.shipped.v1", day+5, fmt.Sprintf(`{"units":[%q],"from":{"party":"P-SMC","country":"US"},"to":{"party":"P-DC%d","site":"S-DC%d","country":"DE"},"carrier":"P-AIR"}`, sys, sv%50, sv%50))
		add("unit.received.v1", day+8, fmt.Sprintf(`{"units":[%q],"at":{"party":"P-DC%d","site":"S-DC%d","country":"DE"}}`, sys, sv%50, sv%50))
		add("unit.installed.v1", day+10, fmt.Sprintf(`{"units":[%q],"site":"S-DC%d","country":"DE"}`, sys, sv%50))
		for w := 0; w < 20; w++ {
			add("location.attested.v1", day+17+7*w, fmt.Sprintf(`{"units":[%q],"country":"DE","method":"telemetry","attestor":"P-DC%d"}`, sys, sv%50))
		}
	}
	if len(batch.Records) > 0 {
		if _, err := s.Append(batch); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "COMPLETE"), nil, 0o644); err != nil {
		b.Fatal(err)
	}
	return dir, chips
}

func joinComma(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += ","
		}
		out += v
	}
	return out
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
	state := filepath.Join("..", ".cache", "bench", fmt.Sprintf("replica-%d-v1", n))
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
			if err == nil && len(steps) < 10 {
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
