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
//	query alerts   [--severity S] [--rule R] [--country C] [--since D] [--alert-state open|withdrawn|all] [--subject X]
//	query alert    ID        one alert with its evidence and citations
//	query eval     --truth FILE [--as-of T]   score the alerts against a simulator truth (offline only)
//	query report   exporter PARTY|country CC|site SITE|dossier SERIAL [--from D --to D] [--as-of T] [--format table|json|csv|html]
//
// Every command other than serve takes --server URL or --ledger DIR
// (CHIPLEDGER_SERVER, CHIPLEDGER_LEDGER); offline, --reference DIR is where
// the detector finds documents the ledger names by digest only. See the
// README for all flags.
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
	// a replica holds its projections in memory: 5 million events fit in 1.5 GB.
	cli.DefaultMemoryLimit(1400 << 20)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

var commands = []cli.Command{
	{Name: "serve", Summary: "serve the HTTP API from a replica that follows chip-ledger, or from a ledger directory", Run: runServe},
	{Name: "chain", Summary: "the custody chain of a unit", Run: runChain},
	{Name: "unit", Summary: "the current state of a unit", Run: runUnit},
	{Name: "tree", Summary: "the containment tree of a unit", Run: runTree},
	{Name: "entry", Summary: "one ledger entry by sequence", Run: runEntry},
	{Name: "holdings", Summary: "holdings of a party, site or country", Run: runHoldings},
	{Name: "head", Summary: "the head: sequence and hash", Run: runHead},
	{Name: "verify", Summary: "verify the chain (against --ingest URL's head when given)", Run: runVerify},
	{Name: "dump", Summary: "a canonical dump of every projection", Run: runDump},
	{Name: "alerts", Summary: "the alerts (red-flag rules R1..R22), filtered, with a count by rule", Run: runAlerts},
	{Name: "alert", Summary: "one alert: its evidence, policy citation and fact source", Run: runAlert},
	{Name: "epcis", Summary: "a unit's custody history as an EPCIS 2.0 document (following containment)", Run: runEPCIS},
	{Name: "eval", Summary: "score the alerts against a simulator truth file (offline, --ledger)", Run: runEval},
	{Name: "report", Summary: "a compliance report: exporter, country, site or dossier (--format table|json|csv|html)", Run: runReport},
}

// Run runs one query subcommand and returns the exit code: 0 on success, 1
// on failure, 2 on a usage error.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return cli.Main(ctx, "query", commands, args, cli.Env{Stdout: stdout, Stderr: stderr})
}
