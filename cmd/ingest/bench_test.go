package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chipledger/chipledger/ingest/ingesttest"
	"github.com/chipledger/chipledger/kafka"
	"github.com/chipledger/chipledger/kafka/kafkatest"
)

// BenchmarkIngestEndToEnd measures, on the same messages in the same run,
// the bare kafka-go consume rate of chip-events (six partition readers,
// nothing else) and the rate of `ingest run` from the broker to the synced
// ledger with the chip-ledger outbox on, and ingest's peak resident memory.
// BENCH_EVENTS sets the number of events (default 200,000).
func BenchmarkIngestEndToEnd(b *testing.B) {
	n := 200000
	if v, err := strconv.Atoi(os.Getenv("BENCH_EVENTS")); err == nil && v > 0 {
		n = v
	}
	brokers := kafkatest.Brokers(b)
	for i := 0; i < b.N; i++ {
		prefix := kafkatest.Prefix(b)
		topics, err := kafka.EnsureTopics(context.Background(), brokers, prefix, kafka.EnsureOptions{})
		if err != nil {
			b.Fatal(err)
		}
		p := kafka.NewProducer(brokers, topics.Events, kafka.ProducerOptions{BatchSize: 2000, BatchBytes: 1 << 20})
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := w * 2000; j < n; j += 4 * 2000 {
					if err := p.Produce(context.Background(), ingesttest.Messages("B", j, min(2000, n-j))...); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		_ = p.Close()
		select {
		case err := <-errs:
			b.Fatal(err)
		default:
		}

		// Bare consume: every partition read to its end by kafka-go alone.
		high, err := kafka.LastOffsets(context.Background(), brokers, topics.Events)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		var cwg sync.WaitGroup
		for part, end := range high {
			cwg.Add(1)
			go func() {
				defer cwg.Done()
				r, err := kafka.NewPartitionReader(brokers, topics.Events, part, kafka.FirstOffset, kafka.ReaderOptions{MaxBytes: 8 << 20, MaxWait: 200 * time.Millisecond, QueueCapacity: 2000})
				if err != nil {
					errs <- err
					return
				}
				defer r.Close()
				for got := int64(0); got < end; {
					msgs, err := r.FetchBatch(context.Background(), 5000, 10*time.Millisecond)
					if err != nil {
						errs <- err
						return
					}
					got = msgs[len(msgs)-1].Offset + 1
				}
			}()
		}
		cwg.Wait()
		bare := time.Since(start)
		select {
		case err := <-errs:
			b.Fatal(err)
		default:
		}

		// End to end: ingest from the same topic into a fresh ledger.
		dir := filepath.Join(b.TempDir(), "ledger")
		start = time.Now()
		d := startDaemon(b, "--ledger", dir, "--topic-prefix", prefix)
		var st status
		for {
			var ok bool
			st, ok = d.status()
			if ok && st.Seq == uint64(n) && st.Published == uint64(n) {
				break
			}
			time.Sleep(20 * time.Millisecond) // polling interval of the measurement, not synchronisation
		}
		e2e := time.Since(start)
		rss := peakRSS(d.Cmd.Process.Pid)
		d.Stop(b)

		bareRate := float64(n) / bare.Seconds()
		rate := float64(n) / e2e.Seconds()
		b.ReportMetric(bareRate, "bare-consume-events/s")
		b.ReportMetric(rate, "ingest-events/s")
		b.ReportMetric(rate/bareRate*100, "%-of-bare")
		b.ReportMetric(float64(rss)/(1<<20), "ingest-peak-RSS-MiB")
		_ = kafka.DeleteTopics(context.Background(), brokers, topics.All()...)
	}
}

// peakRSS reads VmHWM (peak resident set) of a process from /proc, in bytes.
func peakRSS(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
