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
//	ingest activate --policy FILE | --screening FILE [--effective DATE] [--dry-run]
//	                                         publish policy.activated.v1 / screening.activated.v1 for a file
//	ingest quarantine list|show ID|retry ID  (--ingest URL | --ledger DIR)
//	ingest topics   --brokers B              create the topics
//
// Every flag also reads an environment variable; see the README.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/chipledger/chipledger/cli"
)

func main() {
	// ingest keeps its resident size bounded: the ledger batches are transient.
	cli.DefaultMemoryLimit(256 << 20)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

var commands = []cli.Command{
	{Name: "import", Summary: "append JSON Lines events from FILE or - straight into the ledger", Run: runImport},
	{Name: "verify", Summary: "verify the hash chain of the ledger", Run: runVerify},
	{Name: "head", Summary: "print the head of the ledger (sequence and hash)", Run: runHead},
	{Name: "run", Summary: "consume chip-events into the ledger and publish it to chip-ledger; serve --addr", Run: runRun},
	{Name: "publish", Summary: "publish JSON Lines events from FILE or - to chip-events (the reference producer)", Run: runPublish},
	{Name: "activate", Summary: "activate a policy bundle (--policy FILE) or a screening list (--screening FILE): publish its activation event", Run: runActivate},
	{Name: "quarantine", Summary: "list, show or retry quarantined input (--ingest URL or --ledger DIR)", Run: runQuarantine},
	{Name: "topics", Summary: "create the chipledger topics if they do not exist and print their names", Run: runTopics},
}

// Run runs one ingest subcommand and returns the process exit code: 0 on
// success, 1 on failure, 2 on a usage error.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return cli.Main(ctx, "ingest", commands, args, cli.Env{Stdin: stdin, Stdout: stdout, Stderr: stderr})
}
