package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/chipledger/chipledger/config"
	"github.com/chipledger/chipledger/ingest"
	"github.com/chipledger/chipledger/ledger"
)

// errUsage reports a usage error already printed by the flag set.
var errUsage = errors.New("usage")

// parse registers the shared flags, parses args and checks them.
func parse(env *cmdEnv, name, argsUsage string, which config.Flag, args []string, extra func(*flag.FlagSet)) (*config.Config, *flag.FlagSet, error) {
	var cfg config.Config
	fs := flag.NewFlagSet("ingest "+name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	cfg.Register(fs, which)
	if extra != nil {
		extra(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "usage: ingest %s [flags] %s\n", name, argsUsage)
		fs.PrintDefaults()
	}
	if err := config.Parse(fs, args); err != nil {
		return nil, nil, errUsage
	}
	if err := cfg.Check(); err != nil {
		return nil, nil, err
	}
	return &cfg, fs, nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

func openLedger(cfg *config.Config, log *slog.Logger) (*ledger.Store, error) {
	if err := cfg.RequireLedger(); err != nil {
		return nil, err
	}
	return ledger.Open(cfg.Ledger, &ledger.Options{Logger: log})
}

func runImport(ctx context.Context, env *cmdEnv, args []string) error {
	cfg, fs, err := parse(env, "import", "FILE|-", config.Ledger|config.Encoding, args, nil)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	if cfg.Encoding == "epcis" {
		return errors.New("--encoding epcis is not supported by import yet; use native")
	}
	log := newLogger(env.stderr, cfg.LogLevel)
	in, name := env.stdin, "stdin"
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
		Progress: func(c ingest.Counts) {
			if time.Since(last) >= 2*time.Second {
				last = time.Now()
				log.Info("import progress", "read", c.Read, "appended", c.Appended, "duplicates", c.Duplicates, "rejected", c.Rejected,
					"rate_per_s", int(float64(c.Read)/time.Since(start).Seconds()))
			}
		},
	})
	head := s.Head()
	fmt.Fprintf(env.stdout, "%s: %s in %s\n", name, counts, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(env.stdout, "head: sequence %d hash %s\n", head.Seq, head.Hash)
	if err != nil {
		return err
	}
	if counts.Rejected > 0 {
		fmt.Fprintf(env.stdout, "%d rejected lines are in quarantine with their reasons\n", counts.Rejected)
	}
	return s.Close()
}

func runVerify(ctx context.Context, env *cmdEnv, args []string) error {
	cfg, fs, err := parse(env, "verify", "", config.Ledger, args, nil)
	if err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return errUsage
	}
	log := newLogger(env.stderr, cfg.LogLevel)
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
	fmt.Fprintf(env.stdout, "ok: %d entries verified in %s; head sequence %d hash %s\n", head.Seq, time.Since(start).Round(time.Millisecond), head.Seq, head.Hash)
	return nil
}

func runHead(ctx context.Context, env *cmdEnv, args []string) error {
	cfg, fs, err := parse(env, "head", "", config.Ledger|config.Format, args, nil)
	if err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return errUsage
	}
	s, err := openLedger(cfg, newLogger(env.stderr, cfg.LogLevel))
	if err != nil {
		return err
	}
	defer s.Close()
	h := s.Head()
	if cfg.Format == "json" {
		fmt.Fprintf(env.stdout, "{\"sequence\":%d,\"hash\":%q}\n", h.Seq, h.Hash)
		return nil
	}
	fmt.Fprintf(env.stdout, "sequence %d hash %s\n", h.Seq, h.Hash)
	return nil
}
