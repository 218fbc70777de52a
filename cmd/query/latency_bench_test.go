package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/httpapi"
	"github.com/chipledger/chipledger/ingest"
	"github.com/chipledger/chipledger/kafka"
	"github.com/chipledger/chipledger/kafka/kafkatest"
	"github.com/chipledger/chipledger/ledger"
	"github.com/chipledger/chipledger/projections/alerts"
	"github.com/chipledger/chipledger/replica"
)

// BenchmarkAlertLatency measures, per triggering event (a server shipped
// to China without a licence), the time from its ledger commit (the
// ingest's head reaching it) to its alert in the query API and to its
// record on chip-alerts, through the real broker: ingest, chip-ledger, a
// replica's detection loop and the alert feed, as query serve runs them.
func BenchmarkAlertLatency(b *testing.B) {
	brokers, prefix := kafkatest.Brokers(b), kafkatest.Prefix(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	topics, err := kafka.EnsureTopics(ctx, brokers, prefix, kafka.EnsureOptions{})
	if err != nil {
		b.Fatal(err)
	}
	prod := kafka.NewProducer(brokers, topics.Events, kafka.ProducerOptions{})
	defer prod.Close()
	base := smugglingLines(b)
	if err := prod.Produce(ctx, base...); err != nil {
		b.Fatal(err)
	}
	store, err := ledger.Open(filepath.Join(b.TempDir(), "ledger"), nil)
	if err != nil {
		b.Fatal(err)
	}
	svc := ingest.NewService(store, ingest.Options{Brokers: brokers, Prefix: prefix})
	r, err := replica.Open(filepath.Join(b.TempDir(), "replica"), replica.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { _ = svc.Run(ctx) })
	wg.Go(func() { _ = r.Follow(ctx, brokers, topics.Ledger) })
	wg.Go(func() { _ = r.RunDetection(ctx, 250*time.Millisecond) })
	defer func() { // stop everything before closing the stores
		cancel()
		wg.Wait()
		_ = r.Close()
		_ = store.Close()
	}()
	feed, err := replica.NewAlertFeed(ctx, brokers, topics.Alerts, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = feed.Close() }() // runs first: a Publish in flight then fails, which the loop ignores
	fed := make(chan string, 1024)
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-r.Evaluated():
			}
			_, _ = feed.Publish(ctx, r.Alerts(alerts.Filter{}))
		}
	})
	wg.Go(func() { // what reached chip-alerts, by alert id
		rd, err := kafka.NewPartitionReader(brokers, topics.Alerts, 0, kafka.FirstOffset, kafka.ReaderOptions{MaxWait: 10 * time.Millisecond})
		if err != nil {
			return
		}
		defer rd.Close()
		for {
			m, err := rd.Fetch(ctx)
			if err != nil {
				return
			}
			select {
			case fed <- string(m.Key):
			case <-ctx.Done():
				return
			}
		}
	})
	api := httptest.NewServer(httpapi.Query(r, httpapi.QueryOptions{}))
	defer api.Close()
	waitHead := func(seq uint64) {
		for store.Head().Seq < seq {
			time.Sleep(100 * time.Microsecond)
		}
	}
	waitHead(uint64(len(base)))

	var toAPI, toFeed []time.Duration
	b.ResetTimer()
	for i := range b.N {
		unit := fmt.Sprintf("sys:LAT%06d", i)
		ev := shipToChina(b, i, events.UnitID(unit))
		line, err := events.Encode(ev)
		if err != nil {
			b.Fatal(err)
		}
		want := uint64(len(base) + i + 1)
		if err := prod.Produce(ctx, kafka.Message{Key: []byte(unit), Value: line}); err != nil {
			b.Fatal(err)
		}
		waitHead(want)
		committed := time.Now()
		id := "R1:" + unit + ":" + ev.ID
		for {
			resp, err := http.Get(api.URL + "/api/v1/alerts/" + url.PathEscape(id))
			if err == nil {
				var a alerts.Alert
				ok := resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&a) == nil
				resp.Body.Close()
				if ok {
					break
				}
			}
			time.Sleep(time.Millisecond)
		}
		toAPI = append(toAPI, time.Since(committed))
		for got := ""; got != id; {
			select {
			case got = <-fed:
			case <-time.After(30 * time.Second):
				b.Fatalf("%s never reached chip-alerts", id)
			}
		}
		toFeed = append(toFeed, time.Since(committed))
	}
	b.StopTimer()
	p := func(ds []time.Duration, q float64) float64 {
		s := slices.Clone(ds)
		slices.Sort(s)
		return s[min(len(s)-1, int(q*float64(len(s))))].Seconds() * 1000
	}
	b.ReportMetric(p(toAPI, 0.5), "api-p50-ms")
	b.ReportMetric(p(toAPI, 0.99), "api-p99-ms")
	b.ReportMetric(p(toFeed, 0.5), "feed-p50-ms")
	b.ReportMetric(p(toFeed, 0.99), "feed-p99-ms")
}

// shipToChina is a commissioning-free triggering event: an unknown server
// shipped from the US to China under NLR raises R1 (and R2, R3, R10).
func shipToChina(b *testing.B, i int, unit events.UnitID) events.Event {
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
	return events.Event{ID: fmt.Sprintf("lat-%06d", i), Type: events.TypeShipped, OccurredAt: at, RecordedAt: at, Publisher: "P-OEM",
		Body: &events.Shipped{Units: []events.UnitID{unit}, From: events.Place{Party: "P-OEM", Country: "US"},
			To: events.Place{Party: "P-CN", Country: "CN"}, LicenceException: "NLR"}}
}
