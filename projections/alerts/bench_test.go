package alerts_test

import (
	"testing"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/projections/alerts"
)

// BenchmarkEvaluate judges a simulated world from scratch (every unit and
// the aggregate rules) per op.
func BenchmarkEvaluate(b *testing.B) {
	w := simulated(b, 20000, 11)
	units := len(unitIDs(w.p))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		d := alerts.New(alerts.Options{})
		if _, err := d.Evaluate(w.p, w.src); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(units*b.N)/b.Elapsed().Seconds(), "units/s")
	b.ReportMetric(float64(len(w.src.entries)), "entries")
}

// BenchmarkEvaluateIncremental judges the units one new attestation
// touches (a server and its chips) plus the aggregate rules.
func BenchmarkEvaluateIncremental(b *testing.B) {
	w := simulated(b, 20000, 11)
	d := alerts.New(alerts.Options{SweepEvery: 1 << 62})
	if _, err := d.Evaluate(w.p, w.src); err != nil {
		b.Fatal(err)
	}
	var sys events.UnitID
	for _, u := range w.p.Units() {
		if u.Kind() == events.KindSys {
			sys = u
			break
		}
	}
	st, err := w.p.Unit(w.src, sys)
	if err != nil {
		b.Fatal(err)
	}
	now := w.p.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		ev := events.Event{ID: "bench-" + itoa(i), Type: events.TypeLocationAttested, OccurredAt: now, RecordedAt: now, Publisher: "P-BENCH",
			Body: &events.LocationAttested{Units: []events.UnitID{sys}, Country: st.Country, Method: "telemetry", Attestor: "P-BENCH"}}
		if err := w.apply(ev); err != nil {
			b.Fatal(err)
		}
		if _, err := d.Evaluate(w.p, w.src); err != nil {
			b.Fatal(err)
		}
	}
}

func itoa(i int) string {
	var buf [20]byte
	n := len(buf)
	for {
		n--
		buf[n] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			return string(buf[n:])
		}
	}
}
