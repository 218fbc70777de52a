#!/usr/bin/env bash
# The end-to-end demo: a real Kafka broker, the example events of
# docs/events.md imported into a fresh ledger, the chain verified and the
# head printed. Run it with `make demo` (which builds bin/ and starts the
# broker first).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="${DEMO_DIR:-$ROOT/data/demo}"
rm -rf "$OUT"
mkdir -p "$OUT"

bash scripts/kafka.sh up

echo "== import the examples of docs/events.md into $OUT/ledger"
bin/ingest import --ledger "$OUT/ledger" events/testdata/examples.jsonl
echo "== import them again: every event is a duplicate, nothing is appended"
bin/ingest import --ledger "$OUT/ledger" events/testdata/examples.jsonl
echo "== verify the hash chain"
bin/ingest verify --ledger "$OUT/ledger"
echo "== head"
bin/ingest head --ledger "$OUT/ledger" --json
