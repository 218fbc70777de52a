// Package chipledger is the root of an event-sourced chain-of-custody ledger
// for export-controlled AI chips. The code lives in its packages: events
// (the vocabulary), ledger (the hash-chained store), ingest and cmd/ingest
// (the write side), projections, replica and cmd/query (the read side),
// kafka, httpapi and metrics (one package per outside dependency). This
// package holds only the tests of the rules that keep that layout.
package chipledger
