#!/usr/bin/env bash
# The end-to-end demo: a real Kafka broker; the example events of
# docs/events.md published to chip-events; `ingest run` appending them to a
# fresh ledger and republishing it on chip-ledger; a `query serve` replica
# verifying every hash and answering an investigator; duplicates and a
# poison message handled; the chain verified offline. Run it with
# `make demo`, which builds bin/ and starts the broker first.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="${DEMO_DIR:-$ROOT/data/demo}"
INGEST_ADDR="${DEMO_INGEST_ADDR:-127.0.0.1:18081}"
QUERY_ADDR="${DEMO_QUERY_ADDR:-127.0.0.1:18080}"
EXAMPLES="events/testdata/examples.jsonl"
CHIP="chip:1652423000001"

rm -rf "$OUT"
mkdir -p "$OUT"
bash scripts/kafka.sh up
export KAFKA_BROKERS="${KAFKA_BROKERS:-127.0.0.1:19092}"
# Fresh topics for every run, so the new ledger starts a new chip-ledger.
export CHIPLEDGER_TOPIC_PREFIX="demo-$(date +%s)."

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

# wait_for URL JQ-FREE-PATTERN: poll a JSON endpoint until it contains the pattern (60 s at most).
wait_for() {
	local url=$1 pattern=$2 i
	for i in $(seq 1 600); do
		if curl -fsS "$url" 2>/dev/null | tr -d ' \n' | grep -q "$pattern"; then return 0; fi
		sleep 0.1
	done
	echo "demo: $url never showed $pattern" >&2
	curl -sS "$url" >&2 || true
	return 1
}

n=$(grep -c . "$EXAMPLES")
echo "== publish the $n example events of docs/events.md to ${CHIPLEDGER_TOPIC_PREFIX}chip-events"
bin/ingest publish "$EXAMPLES"

echo "== ingest run: chip-events -> ledger $OUT/ledger -> chip-ledger (http://$INGEST_ADDR)"
bin/ingest run --ledger "$OUT/ledger" --addr "$INGEST_ADDR" --log-level warn >"$OUT/ingest.log" 2>&1 &
pids+=($!)
wait_for "http://$INGEST_ADDR/status" "\"published\":$n,"
curl -fsS "http://$INGEST_ADDR/head"

echo "== query serve: a read replica following chip-ledger (http://$QUERY_ADDR)"
bin/query serve --state "$OUT/replica" --addr "$QUERY_ADDR" --log-level warn >"$OUT/query.log" 2>&1 &
pids+=($!)
wait_for "http://$QUERY_ADDR/head" "\"sequence\":$n,"
export CHIPLEDGER_SERVER="http://$QUERY_ADDR"

echo "== where has $CHIP been, who held it, and which entries prove it?"
bin/query chain "$CHIP"
echo
bin/query unit "$CHIP"
echo
echo "== holdings in Singapore"
bin/query holdings country SG
echo
echo "== the replica's chain against ingest's head"
bin/query verify --ingest "http://$INGEST_ADDR"

echo "== publishers retry: the same events again are duplicates, nothing is appended"
bin/ingest publish "$EXAMPLES"
wait_for "http://$INGEST_ADDR/status" "\"duplicates\":$n,"
echo "== a poison message is quarantined and mirrored; the partition goes on"
printf '%s\n' '{"id":"broken-1","type":"unit.teleported.v1"}' | bin/ingest publish --allow-invalid -
wait_for "http://$INGEST_ADDR/status" "\"rejected\":1"
bin/ingest quarantine list --ingest "http://$INGEST_ADDR"

echo "== stop the daemons (SIGTERM), then verify the ledger offline"
cleanup
pids=()
bin/ingest verify --ledger "$OUT/ledger"
bin/ingest head --ledger "$OUT/ledger" --json
echo "== demo done: ledger in $OUT/ledger, replica in $OUT/replica, logs in $OUT/*.log"
