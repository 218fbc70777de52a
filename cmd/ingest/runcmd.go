package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/chipledger/chipledger/cli"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/chipledger/chipledger/config"
	"github.com/chipledger/chipledger/httpapi"
	"github.com/chipledger/chipledger/ingest"
	"github.com/chipledger/chipledger/kafka"
	"github.com/chipledger/chipledger/metrics"
)

func runRun(ctx context.Context, env *cli.Env, args []string) error {
	var maxBatch int
	cfg, fs, err := env.Parse("run", "", config.Ledger|config.Brokers|config.TopicPrefix|config.Addr|config.Token, -1, args, func(fs *flag.FlagSet) {
		fs.IntVar(&maxBatch, "max-batch", 5000, "most messages in one synced ledger batch")
	})
	if err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return cli.ErrUsage
	}
	log := cli.NewLogger(env.Stderr, cfg.LogLevel)
	store, err := openLedger(cfg, log)
	if err != nil {
		return err
	}
	defer store.Close()

	reg := metrics.NewRegistry()
	documents := ingest.EPCISReader(store, "")
	svc := ingest.NewService(store, ingest.Options{
		Brokers:   cfg.BrokerList(),
		Prefix:    cfg.TopicPrefix,
		MaxBatch:  maxBatch,
		Logger:    log,
		Metrics:   metrics.NewIngest(reg),
		Documents: documents,
	})
	// The EPCIS capture interface publishes valid documents to chip-events,
	// where this service appends them like any publisher's message.
	capture := kafka.NewProducer(cfg.BrokerList(), kafka.TopicNames(cfg.TopicPrefix).Events, kafka.ProducerOptions{})
	defer capture.Close()
	ln, err := httpapi.Listen(cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	log.Info("ingest serving", "addr", ln.Addr().String(), "ledger", cfg.Ledger)
	fmt.Fprintf(env.Stdout, "listening on http://%s\n", ln.Addr())

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		return httpapi.Serve(gctx, ln, httpapi.Ingest(svc, httpapi.IngestOptions{Metrics: reg.Handler(), Token: cfg.Token, Logger: log,
			Capture: &httpapi.CaptureOptions{Read: documents, Publish: func(ctx context.Context, key, value []byte) error {
				return capture.Produce(ctx, kafka.Message{Key: key, Value: value})
			}}}), log)
	})
	g.Go(func() error {
		err := svc.Run(gctx)
		if err == nil && ctx.Err() == nil {
			err = errors.New("ingest stopped")
		}
		return err
	})
	err = g.Wait()
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	if ctx.Err() != nil && err == nil {
		log.Info("ingest shut down cleanly")
	}
	return err
}

func runTopics(ctx context.Context, env *cli.Env, args []string) error {
	var partitions int
	cfg, fs, err := env.Parse("topics", "", config.Brokers|config.TopicPrefix, -1, args, func(fs *flag.FlagSet) {
		fs.IntVar(&partitions, "partitions", 6, "partitions of chip-events when it is created")
	})
	if err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return cli.ErrUsage
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	t, err := kafka.EnsureTopics(ctx, cfg.BrokerList(), cfg.TopicPrefix, kafka.EnsureOptions{EventPartitions: partitions})
	if err != nil {
		return err
	}
	for _, name := range t.All() {
		fmt.Fprintln(env.Stdout, name)
	}
	return nil
}
