// Ingest consumes chip custody events and appends them, exactly once, to
// chipledger's append-only, hash-chained ledger. It is the write side and
// the only writer of a ledger directory.
//
// Usage:
//
//	ingest import   --ledger DIR FILE|-      append JSON Lines straight into the ledger
//	ingest verify   --ledger DIR             walk the hash chain; non-zero exit at the first bad sequence
//	ingest head     --ledger DIR             print the head (sequence and hash)
//	ingest run      --ledger DIR --brokers B --addr A   consume chip-events, publish chip-ledger, serve metrics and admin
//	ingest publish  --brokers B FILE|-       the reference producer: JSON Lines to chip-events
//	ingest quarantine list|show ID|retry ID  (--ingest URL | --ledger DIR)
//	ingest topics   --brokers B              create the topics
//
// Every flag also reads an environment variable; see the README.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *cmdEnv, args []string) error
}

// cmdEnv is what a subcommand reads and writes besides its flags.
type cmdEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

var commands []command

func init() {
	commands = []command{
		{"import", "append JSON Lines events from FILE or - straight into the ledger", runImport},
		{"verify", "verify the hash chain of the ledger", runVerify},
		{"head", "print the head of the ledger (sequence and hash)", runHead},
		{"run", "consume chip-events into the ledger and publish it to chip-ledger; serve --addr", runRun},
		{"publish", "publish JSON Lines events from FILE or - to chip-events (the reference producer)", runPublish},
		{"quarantine", "list, show or retry quarantined input (--ingest URL or --ledger DIR)", runQuarantine},
		{"topics", "create the chipledger topics if they do not exist and print their names", runTopics},
	}
}

// Run runs one ingest subcommand and returns the process exit code: 0 on
// success, 1 on failure, 2 on a usage error.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	env := &cmdEnv{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		return 2
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		if err := c.run(ctx, env, args[1:]); err != nil {
			if err == errUsage {
				return 2
			}
			fmt.Fprintf(stderr, "ingest %s: %v\n", c.name, err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(stderr, "ingest: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: ingest COMMAND [flags] [args]")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "run `ingest COMMAND -h` for the flags of a command")
}
