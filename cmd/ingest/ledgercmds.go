package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/chipledger/chipledger/cli"
	"log/slog"
	"os"
	"time"

	"github.com/chipledger/chipledger/config"
	"github.com/chipledger/chipledger/ingest"
	"github.com/chipledger/chipledger/ledger"
)

func openLedger(cfg *config.Config, log *slog.Logger) (*ledger.Store, error) {
	if err := cfg.RequireLedger(); err != nil {
		return nil, err
	}
	return ledger.Open(cfg.Ledger, &ledger.Options{Logger: log})
}

func runImport(ctx context.Context, env *cli.Env, args []string) error {
	cfg, fs, err := env.Parse("import", "FILE|-", config.Ledger|config.Encoding, -1, args, nil)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return cli.ErrUsage
	}
	if cfg.Encoding == "epcis" {
		return errors.New("--encoding epcis is not supported by import yet; use native")
	}
	log := cli.NewLogger(env.Stderr, cfg.LogLevel)
	in, name := env.Stdin, "stdin"
	if p := fs.Arg(0); p != "-" {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		in, name = f, p
	}
	s, err := openLedger(cfg, log)
	if err != nil {
		return err
	}
	defer s.Close()
	start := time.Now()
	last := start
	counts, err := ingest.Import(ctx, s, in, name, ingest.ImportOptions{
		Documents: ingest.EPCISReader(s, ""),
		Progress: func(c ingest.Counts) {
			if time.Since(last) >= 2*time.Second {
				last = time.Now()
				log.Info("import progress", "read", c.Read, "appended", c.Appended, "duplicates", c.Duplicates, "rejected", c.Rejected,
					"rate_per_s", int(float64(c.Read)/time.Since(start).Seconds()))
			}
		},
	})
	head := s.Head()
	fmt.Fprintf(env.Stdout, "%s: %s in %s\n", name, counts, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(env.Stdout, "head: sequence %d hash %s\n", head.Seq, head.Hash)
	if err != nil {
		return err
	}
	if counts.Rejected > 0 {
		fmt.Fprintf(env.Stdout, "%d rejected lines are in quarantine with their reasons\n", counts.Rejected)
	}
	return s.Close()
}

func runVerify(ctx context.Context, env *cli.Env, args []string) error {
	cfg, fs, err := env.Parse("verify", "", config.Ledger, -1, args, nil)
	if err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return cli.ErrUsage
	}
	log := cli.NewLogger(env.Stderr, cfg.LogLevel)
	s, err := openLedger(cfg, log)
	if err != nil {
		return err
	}
	defer s.Close()
	start := time.Now()
	head, err := s.Verify(ctx, func(n uint64) { log.Info("verify progress", "checked", n) })
	if err != nil {
		return fmt.Errorf("%w (entries 1..%d verified)", err, head.Seq)
	}
	fmt.Fprintf(env.Stdout, "ok: %d entries verified in %s; head sequence %d hash %s\n", head.Seq, time.Since(start).Round(time.Millisecond), head.Seq, head.Hash)
	return nil
}

func runHead(ctx context.Context, env *cli.Env, args []string) error {
	cfg, fs, err := env.Parse("head", "", config.Ledger|config.Format, -1, args, nil)
	if err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return cli.ErrUsage
	}
	s, err := openLedger(cfg, cli.NewLogger(env.Stderr, cfg.LogLevel))
	if err != nil {
		return err
	}
	defer s.Close()
	h := s.Head()
	if cfg.Format == "json" {
		fmt.Fprintf(env.Stdout, "{\"sequence\":%d,\"hash\":%q}\n", h.Seq, h.Hash)
		return nil
	}
	fmt.Fprintf(env.Stdout, "sequence %d hash %s\n", h.Seq, h.Hash)
	return nil
}
