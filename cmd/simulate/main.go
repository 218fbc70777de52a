// Simulate generates a deterministic world of AI-chip custody events for
// chipledger: a benign supply chain over twenty simulated months from
// 2024-07-01 with the untidiness of real feeds, smuggling scenarios
// modelled on real cases and on every red-flag rule R1..R22, and benign
// near-threshold twins. The same --seed and flags give byte-identical
// output.
//
// Usage:
//
//	simulate [--seed N] [--chips N] [--out FILE|-] [--truth FILE] [--screening FILE]
//	simulate --publish [--brokers B] [--topic-prefix P] [--rate N] ...
//
// Events are JSON Lines (events.Decode accepts every line; retried
// duplicates are byte-identical repeats). --truth writes what a correct
// detector raises per scenario subject; --screening writes the restricted
// parties in the US Consolidated Screening List CSV format. With --publish
// (or an explicit --brokers) the events go to Kafka's chip-events topic,
// keyed by their primary subject; --out is then optional.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/chipledger/chipledger/config"
	"github.com/chipledger/chipledger/epcis"
	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/kafka"
	"github.com/chipledger/chipledger/simulate"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Run runs the command and returns the exit code: 0 on success, 1 on
// failure, 2 on a usage error.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config.Config
	cfg.Register(fs, config.Brokers|config.TopicPrefix|config.Encoding)
	var (
		seed      = fs.Int64("seed", 1, "seed: the same seed and flags give byte-identical output")
		chips     = fs.Int("chips", simulate.DefaultChips, fmt.Sprintf("chips of the benign world (%d to %d); scenarios add their own", simulate.MinChips, simulate.MaxChips))
		months    = fs.Int("months", simulate.DefaultMonths, "simulated months from 2024-07-01")
		out       = fs.String("out", "", "write JSON Lines to FILE, or - for stdout (default - unless publishing)")
		truth     = fs.String("truth", "", "write the truth (scenarios, subjects, expected rules) as JSON to FILE")
		screening = fs.String("screening", "", "write the screening list (US CSL CSV format) to FILE")
		publish   = fs.Bool("publish", false, "publish to Kafka (--brokers, --topic-prefix)")
		rate      = fs.Int("rate", 0, "when publishing, at most this many events per second (0: as fast as the broker takes them)")
		progress  = fs.Bool("progress", false, "print a progress line on stderr every two seconds (always on for 100,000 chips or more)")
	)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: simulate [flags]\n\nGenerates a deterministic world of chip custody events.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := config.Parse(fs, args); err != nil {
		return 2 // flag has printed the problem (or the help)
	}
	if cfg.Encoding != "native" && cfg.Encoding != "epcis" {
		fmt.Fprintf(stderr, "simulate: --encoding %q: want native or epcis\n", cfg.Encoding)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "simulate: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "brokers" {
			*publish = true
		}
	})
	if *out == "" && !*publish {
		*out = "-"
	}
	opts := simulate.Options{Seed: *seed, Chips: *chips, Months: *months}
	if *progress || *chips >= 100_000 {
		opts.Progress = stderr
	}
	if err := run(ctx, opts, cfg, *out, *truth, *screening, *publish, *rate, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "simulate: %v\n", err)
		return 1
	}
	return 0
}

func run(ctx context.Context, opts simulate.Options, cfg config.Config, out, truth, screening string, publish bool, rate int, stdout, stderr io.Writer) error {
	sim, err := simulate.New(opts)
	if err != nil {
		return err
	}
	if truth != "" {
		if err := writeFile(truth, sim.WriteTruth); err != nil {
			return err
		}
	}
	if screening != "" {
		if err := writeFile(screening, sim.WriteScreening); err != nil {
			return err
		}
	}
	var sinks multiSink
	var ws *simulate.WriterSink
	if out != "" {
		w := stdout
		if out != "-" {
			f, err := os.Create(out)
			if err != nil {
				return err
			}
			defer f.Close()
			w = f
		}
		ws = simulate.NewWriterSink(w)
		sinks = append(sinks, ws)
	}
	var ks *kafkaSink
	if publish {
		brokers := cfg.BrokerList()
		if _, err := kafka.EnsureTopics(ctx, brokers, cfg.TopicPrefix, kafka.EnsureOptions{}); err != nil {
			return err
		}
		ks = &kafkaSink{ctx: ctx, rate: rate, start: time.Now(),
			p: kafka.NewProducer(brokers, kafka.TopicNames(cfg.TopicPrefix).Events, kafka.ProducerOptions{BatchSize: 1000})}
		defer ks.p.Close()
		sinks = append(sinks, ks)
	}
	var sink simulate.Sink = sinks
	if cfg.Encoding == "epcis" {
		sink = epcisSink{sinks}
	}
	st, err := sim.Run(ctx, sink)
	if err == nil && ks != nil {
		err = ks.flush()
	}
	if ws != nil {
		if ferr := ws.Flush(); err == nil {
			err = ferr
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "simulate: %d lines (%d duplicates, %d late, %d corrections), %d chips (%d in scenarios and twins), %d servers, %.1f MB\n",
		st.Lines, st.Duplicates, st.Late, st.Corrections, st.Chips, st.ScenarioChips, st.Servers, float64(st.Bytes)/1e6)
	if ks != nil {
		fmt.Fprintf(stderr, "simulate: published %d events to %s\n", ks.sent, ks.p.Topic())
	}
	return nil
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// epcisSink writes custody events as one-event EPCIS documents and the
// rest (reference data, corrections) native: what an EPCIS-speaking
// publisher sends.
type epcisSink struct{ next simulate.Sink }

func (e epcisSink) Event(line, key []byte) error {
	ev, err := events.Decode(line)
	if err != nil {
		return err
	}
	doc, ok, err := epcis.DocumentLine(ev)
	if err != nil {
		return err
	}
	if ok {
		line = doc
	}
	return e.next.Event(line, key)
}

// multiSink sends every line to each sink in turn.
type multiSink []simulate.Sink

func (m multiSink) Event(line, key []byte) error {
	for _, s := range m {
		if err := s.Event(line, key); err != nil {
			return err
		}
	}
	return nil
}

// kafkaSink batches lines to chip-events, keyed by the primary subject,
// at most rate per second.
type kafkaSink struct {
	ctx   context.Context
	p     *kafka.Producer
	batch []kafka.Message
	rate  int
	start time.Time
	sent  int64
}

func (k *kafkaSink) Event(line, key []byte) error {
	k.batch = append(k.batch, kafka.Message{Key: append([]byte(nil), key...), Value: append([]byte(nil), line...)})
	if len(k.batch) >= 1000 {
		return k.flush()
	}
	return nil
}

func (k *kafkaSink) flush() error {
	if len(k.batch) == 0 {
		return nil
	}
	if k.rate > 0 {
		due := k.start.Add(time.Duration(float64(k.sent+int64(len(k.batch))) / float64(k.rate) * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			select {
			case <-time.After(d):
			case <-k.ctx.Done():
				return k.ctx.Err()
			}
		}
	}
	if err := k.p.Produce(k.ctx, k.batch...); err != nil {
		return err
	}
	k.sent += int64(len(k.batch))
	k.batch = k.batch[:0]
	return nil
}
