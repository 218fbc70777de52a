package projections_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/policy"
	"github.com/chipledger/chipledger/projections"
)

// workload generates a realistic mix of ledger entries: lots of 32 chips
// commissioned, assembled 8 to a server, packed 4 servers to a pallet,
// declared for export, shipped and received on the pallet, unpacked,
// shipped on to data centers, received and installed; then location
// attestations of installed chips (per server or per chip), about half of
// all events. One event in a hundred lands late (its occurred_at hours
// before the events applied before it).
type workload struct {
	r         *rand.Rand
	seq       uint64
	clock     time.Time
	lot       int
	installed [][]events.UnitID // chips per installed server
	chips     []events.UnitID
	queue     []events.Event
}

func newWorkload(seed uint64) *workload {
	return &workload{r: rand.New(rand.NewPCG(seed, 3)), clock: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
}

var models = []string{"H100-SXM5-80GB", "H200", "B200", "MI300X"}

func (w *workload) event(typ string, body events.Body) events.Event {
	w.clock = w.clock.Add(time.Minute)
	at := w.clock
	if w.r.IntN(100) == 0 {
		at = at.Add(-time.Duration(1+w.r.IntN(48)) * time.Hour) // a late event
	}
	n := len(w.queue) + int(w.seq)
	id := fmt.Sprintf("%08x-%04x-7%03x-8%03x-%012x", at.Unix(), n>>16&0xffff, n&0xfff, w.lot&0xfff, n)
	return events.Event{ID: id, Type: typ, OccurredAt: at, RecordedAt: at, Publisher: "P-GEN", Body: body}
}

func (w *workload) genLot() {
	w.lot++
	l := w.lot
	pkg := events.UnitID(fmt.Sprintf("pkg:L%07d", l))
	var servers []events.UnitID
	from := events.Place{Party: "P-OEM", Site: "S-OEM", Country: "US"}
	hub := events.Place{Party: fmt.Sprintf("P-DIST%d", l%7), Site: fmt.Sprintf("S-HUB%d", l%7), Country: []string{"SG", "MY", "AE", "IN"}[l%4]}
	for s := range 4 {
		sys := events.UnitID(fmt.Sprintf("sys:L%07dS%d", l, s))
		servers = append(servers, sys)
		var chips []events.UnitID
		for c := range 8 {
			chip := events.UnitID(fmt.Sprintf("chip:L%07dS%dC%d", l, s, c))
			chips = append(chips, chip)
			w.chips = append(w.chips, chip)
			w.queue = append(w.queue, w.event(events.TypeCommissioned, &events.Commissioned{
				Unit: chip, Manufacturer: "P-NVIDIA", Model: models[(l+s)%len(models)], Serial: chip.Serial(), Country: "TW"}))
		}
		w.queue = append(w.queue, w.event(events.TypeAssembled, &events.Assembled{Parent: sys, Children: chips, Site: "S-OEM"}))
		w.installed = append(w.installed, chips)
	}
	w.queue = append(w.queue,
		w.event(events.TypePacked, &events.Packed{Parent: pkg, Children: servers, Site: "S-OEM"}),
		w.event(events.TypeExportDeclared, &events.ExportDeclared{Units: []events.UnitID{pkg}, Exporter: "P-OEM", OriginCountry: "US", DestinationCountry: hub.Country, ECCN: "4A090.a"}),
		w.event(events.TypeShipped, &events.Shipped{Units: []events.UnitID{pkg}, From: from, To: hub, Carrier: "P-AIR"}),
		w.event(events.TypeReceived, &events.Received{Units: []events.UnitID{pkg}, At: hub}),
		w.event(events.TypeUnpacked, &events.Unpacked{Parent: pkg, Children: servers, Site: hub.Site}),
	)
	for s, sys := range servers {
		dc := events.Place{Party: fmt.Sprintf("P-CLOUD%d", (l+s)%11), Site: fmt.Sprintf("S-DC%d", (l+s)%11), Country: hub.Country}
		w.queue = append(w.queue,
			w.event(events.TypeShipped, &events.Shipped{Units: []events.UnitID{sys}, From: hub, To: dc}),
			w.event(events.TypeReceived, &events.Received{Units: []events.UnitID{sys}, At: dc}),
			w.event(events.TypeInstalled, &events.Installed{Units: []events.UnitID{sys}, Site: dc.Site, Country: dc.Country}),
		)
	}
	// Attestations of installed chips: as many as the custody events.
	for range 56 {
		srv := w.installed[w.r.IntN(len(w.installed))]
		units := srv
		if w.r.IntN(2) == 0 {
			units = srv[w.r.IntN(len(srv)):][:1]
		}
		w.queue = append(w.queue, w.event(events.TypeLocationAttested, &events.LocationAttested{
			Units: units, Country: "SG", Method: "telemetry", Attestor: "P-NVIDIA"}))
	}
}

// entries returns the next n entries.
func (w *workload) entries(n int) []projections.Entry {
	out := make([]projections.Entry, 0, n)
	for len(out) < n {
		if len(w.queue) == 0 {
			w.genLot()
		}
		w.seq++
		out = append(out, projections.Entry{Seq: w.seq, Hash: "h", Event: w.queue[0]})
		w.queue = w.queue[1:]
	}
	return out
}

func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkApply measures applying entries of the generated mix: ns/op is
// per event; events/s and the heap the projection holds per event are
// reported too.
func BenchmarkApply(b *testing.B) {
	entries := newWorkload(1).entries(b.N)
	p := projections.New(policy.Default())
	before := heapAlloc()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range entries {
		if err := p.Apply(entries[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if b.N >= 100_000 {
		b.ReportMetric(float64(heapAlloc()-before)/float64(b.N), "heap-B/event")
	}
	runtime.KeepAlive(p)
	runtime.KeepAlive(entries)
}

// BenchmarkChain measures one chain lookup (a chip in a server that came
// on a pallet, with its attestations) on a projection of 1,000,000 events
// read back from an in-memory Source.
func BenchmarkChain(b *testing.B) {
	const n = 1_000_000
	w := newWorkload(2)
	entries := w.entries(n)
	src := make(memSource, n)
	for _, e := range entries {
		src[e.Seq] = e
	}
	p := projections.New(policy.Default())
	before := heapAlloc()
	start := time.Now()
	for _, e := range entries {
		if err := p.Apply(e); err != nil {
			b.Fatal(err)
		}
	}
	took := time.Since(start)
	heap := heapAlloc() - before
	runtime.KeepAlive(entries)
	chips := w.chips
	r := rand.New(rand.NewPCG(5, 5))
	steps := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		chain, err := p.Chain(src, chips[r.IntN(len(chips))])
		if err != nil {
			b.Fatal(err)
		}
		steps += len(chain)
	}
	b.ReportMetric(float64(steps)/float64(b.N), "steps/op")
	b.ReportMetric(float64(heap)/n, "heap-B/event")
	b.ReportMetric(float64(n)/took.Seconds(), "build-events/s")
}

// BenchmarkHoldings measures a holdings query on the same kind of
// projection (200,000 events).
func BenchmarkHoldings(b *testing.B) {
	w := newWorkload(3)
	p := projections.New(policy.Default())
	for _, e := range w.entries(200_000) {
		if err := p.Apply(e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := p.Holdings(nil, projections.BySite, "S-DC3"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSnapshot measures MarshalBinary and UnmarshalBinary of a
// projection of 200,000 events.
func BenchmarkSnapshot(b *testing.B) {
	w := newWorkload(4)
	p := projections.New(policy.Default())
	for _, e := range w.entries(200_000) {
		if err := p.Apply(e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	var size int
	for b.Loop() {
		data, err := p.MarshalBinary()
		if err != nil {
			b.Fatal(err)
		}
		q := projections.New(policy.Default())
		if err := q.UnmarshalBinary(data); err != nil {
			b.Fatal(err)
		}
		size = len(data)
	}
	b.ReportMetric(float64(size)/200_000, "snapshot-B/event")
}
