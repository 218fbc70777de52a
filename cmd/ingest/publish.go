package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/chipledger/chipledger/cli"
	"io"
	"os"

	"github.com/chipledger/chipledger/config"
	"github.com/chipledger/chipledger/epcis"
	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/kafka"
)

// runPublish is the reference producer: JSON Lines to chip-events, each
// record keyed by the event's primary subject so that every event about a
// unit lands on the same partition, acks from all in-sync replicas.
func runPublish(ctx context.Context, env *cli.Env, args []string) error {
	var allowInvalid bool
	cfg, fs, err := env.Parse("publish", "FILE|-", config.Brokers|config.TopicPrefix|config.Encoding, -1, args, func(fs *flag.FlagSet) {
		fs.BoolVar(&allowInvalid, "allow-invalid", false, "publish lines that do not decode too (unkeyed), e.g. to exercise quarantine")
	})
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return cli.ErrUsage
	}
	if cfg.Encoding != "native" && cfg.Encoding != "epcis" {
		return fmt.Errorf("--encoding %q: want native or epcis", cfg.Encoding)
	}
	in := env.Stdin
	if p := fs.Arg(0); p != "-" {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	// The topics are created when missing (idempotent), so that a first
	// publish on a fresh broker does not fail.
	topics, err := kafka.EnsureTopics(ctx, cfg.BrokerList(), cfg.TopicPrefix, kafka.EnsureOptions{})
	if err != nil {
		return err
	}
	topic := topics.Events
	p := kafka.NewProducer(cfg.BrokerList(), topic, kafka.ProducerOptions{BatchSize: 1000})
	defer p.Close()

	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 1<<20), events.MaxEventBytes+1)
	var (
		batch              []kafka.Message
		published, invalid int
		line               int
	)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := p.Produce(ctx, batch...); err != nil {
			return err
		}
		published += len(batch)
		batch = batch[:0]
		return nil
	}
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(b) == 0 {
			continue
		}
		msg := kafka.Message{Value: append([]byte(nil), b...)}
		ev, err := events.Decode(b)
		if err != nil {
			invalid++
			if !allowInvalid {
				fmt.Fprintf(env.Stderr, "line %d: not published: %v\n", line, err)
				continue
			}
		} else {
			msg.Key = []byte(ev.Primary())
			if cfg.Encoding == "epcis" {
				// Custody events as one-event EPCIS documents; reference
				// data and corrections stay native.
				doc, ok, err := epcis.DocumentLine(ev)
				if err != nil {
					return fmt.Errorf("line %d: %w", line, err)
				}
				if ok {
					msg.Value = doc
				}
			}
		}
		batch = append(batch, msg)
		if len(batch) >= 1000 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("line %d is longer than %d bytes", line+1, events.MaxEventBytes)
		}
		if !errors.Is(err, io.EOF) {
			return err
		}
	}
	if err := flush(); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "published %d events to %s (%d invalid", published, topic, invalid)
	if allowInvalid {
		fmt.Fprintln(env.Stdout, ", published unkeyed)")
	} else {
		fmt.Fprintln(env.Stdout, ", not published)")
	}
	if invalid > 0 && !allowInvalid {
		return fmt.Errorf("%d invalid lines were not published", invalid)
	}
	return nil
}
