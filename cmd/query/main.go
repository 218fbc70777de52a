// Query answers investigators' questions from chipledger's ledger: where a
// chip has been, who held it, and the ledger entries that prove it. It
// serves a read replica (HTTP API) that follows chip-ledger and recomputes
// every hash, and its subcommands ask a running replica (--server URL) or
// work offline on a stopped ingest's ledger directory (--ledger DIR).
//
// Usage:
//
//	query serve    --addr A --brokers B --replica NAME --state DIR   follow chip-ledger
//	query serve    --addr A --ledger DIR [--state DIR]                serve a ledger directory
//	query chain    ID        the custody chain of a unit (chip:SERIAL, sys:..., pkg:... or a serial)
//	query unit     ID        the current state of a unit
//	query tree     ID        what a unit contains and what contains it
//	query entry    SEQ       one ledger entry, with what is needed to recompute its hash
//	query holdings party|site|country ID
//	query head               the replica's (or ledger's) head
//	query verify             check the chain (against --ingest URL's head when given)
//	query dump [--no-coordinates]
//
// Every command other than serve takes --server URL or --ledger DIR
// (CHIPLEDGER_SERVER, CHIPLEDGER_LEDGER); see the README for all flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/chipledger/chipledger/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type cmdEnv struct {
	stdout, stderr io.Writer
}

type command struct {
	name, summary string
	run           func(ctx context.Context, env *cmdEnv, args []string) error
}

var commands []command

func init() {
	commands = []command{
		{"serve", "serve the HTTP API from a replica that follows chip-ledger, or from a ledger directory", runServe},
		{"chain", "the custody chain of a unit", runChain},
		{"unit", "the current state of a unit", runUnit},
		{"tree", "the containment tree of a unit", runTree},
		{"entry", "one ledger entry by sequence", runEntry},
		{"holdings", "holdings of a party, site or country", runHoldings},
		{"head", "the head: sequence and hash", runHead},
		{"verify", "verify the chain (against --ingest URL's head when given)", runVerify},
		{"dump", "a canonical dump of every projection", runDump},
	}
}

// errUsage reports a usage error already printed.
var errUsage = errors.New("usage")

// exitError carries a specific exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

// Run runs one query subcommand and returns the exit code: 0 on success, 1
// on failure, 2 on a usage error.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	env := &cmdEnv{stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		return 2
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, env, args[1:])
		var ee *exitError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, errUsage):
			return 2
		case errors.As(err, &ee):
			fmt.Fprintf(stderr, "query %s: %v\n", c.name, ee.err)
			return ee.code
		}
		fmt.Fprintf(stderr, "query %s: %v\n", c.name, err)
		return 1
	}
	fmt.Fprintf(stderr, "query: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: query COMMAND [flags] [args]")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "run `query COMMAND -h` for the flags of a command")
}

// parse registers the shared flags and parses args; flags may come before
// or after positional arguments.
func parse(env *cmdEnv, name, argsUsage string, which config.Flag, args []string, extra func(*flag.FlagSet)) (*config.Config, *flag.FlagSet, error) {
	var cfg config.Config
	fs := flag.NewFlagSet("query "+name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	cfg.Register(fs, which)
	if extra != nil {
		extra(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "usage: query %s [flags] %s\n", name, argsUsage)
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
