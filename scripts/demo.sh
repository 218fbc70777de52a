#!/usr/bin/env bash
# The end-to-end demo on a simulated world: a real Kafka broker; about
# 20,000 simulated chips (every smuggling scenario and its benign twins)
# published to chip-events; `ingest run` appending them exactly once to a
# fresh ledger and republishing it on chip-ledger; a `query serve` replica
# verifying every hash and raising alerts; then the figures, the custody
# chains of one benign and one smuggled chip, the open alerts by rule and
# one alert in detail. It keeps serving until Ctrl-C, then stops
# everything cleanly. Run it with `make demo` (`make demo-check` runs it
# once on a small world and exits).
#
# Environment: DEMO_CHIPS (20000), DEMO_SEED (7), DEMO_CHECK (0; 1 = exit
# when done), DEMO_DIR (data/demo), DEMO_INGEST_ADDR, DEMO_QUERY_ADDR,
# DEMO_BIN (bin).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="${DEMO_DIR:-$ROOT/data/demo}"
BIN="${DEMO_BIN:-$ROOT/bin}"
CHIPS="${DEMO_CHIPS:-20000}"
SEED="${DEMO_SEED:-7}"
CHECK="${DEMO_CHECK:-0}"
INGEST_ADDR="${DEMO_INGEST_ADDR:-127.0.0.1:18081}"
QUERY_ADDR="${DEMO_QUERY_ADDR:-127.0.0.1:18080}"

rm -rf "$OUT"
mkdir -p "$OUT"
bash scripts/kafka.sh up
export KAFKA_BROKERS="${KAFKA_BROKERS:-127.0.0.1:${KAFKA_PORT:-19092}}"
# Fresh topics for every run, so the new ledger starts a new chip-ledger.
export CHIPLEDGER_TOPIC_PREFIX="demo-$(date +%s)-$$."

pids=()
stop_all() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	pids=()
}
trap stop_all EXIT

# field URL PATH: one value of a JSON document (PATH like counts.read).
field() {
	curl -fsS "$1" 2>/dev/null | python3 -c 'import json,sys
v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v=v[k]
print(v)' "$2" 2>/dev/null || echo ""
}

# wait_until DESCRIPTION COMMAND...: poll until the command succeeds (5 min at most).
wait_until() {
	local what=$1 i
	shift
	for i in $(seq 1 3000); do
		if "$@"; then return 0; fi
		sleep 0.1
	done
	echo "demo: timed out waiting for $what" >&2
	return 1
}

start=$(date +%s)
echo "== simulate $CHIPS chips (seed $SEED) with every scenario and its benign twins"
"$BIN/simulate" --chips "$CHIPS" --seed "$SEED" --out "$OUT/world.jsonl" --truth "$OUT/truth.json" --screening "$OUT/screening.csv"
lines=$(grep -c . "$OUT/world.jsonl")

echo "== ingest run: chip-events -> ledger $OUT/ledger -> chip-ledger (http://$INGEST_ADDR)"
"$BIN/ingest" run --ledger "$OUT/ledger" --addr "$INGEST_ADDR" --log-level warn >"$OUT/ingest.log" 2>&1 &
pids+=($!)
echo "== query serve: a read replica following chip-ledger (http://$QUERY_ADDR)"
"$BIN/query" serve --state "$OUT/replica" --addr "$QUERY_ADDR" --log-level warn >"$OUT/query.log" 2>&1 &
pids+=($!)

echo "== publish $lines events to ${CHIPLEDGER_TOPIC_PREFIX}chip-events"
"$BIN/ingest" publish "$OUT/world.jsonl"

caught_up() {
	local read seq pub rseq
	read=$(field "http://$INGEST_ADDR/status" counts.read)
	seq=$(field "http://$INGEST_ADDR/status" sequence)
	pub=$(field "http://$INGEST_ADDR/status" published)
	rseq=$(field "http://$QUERY_ADDR/head" sequence)
	[[ "$read" == "$lines" && -n "$seq" && "$pub" == "$seq" && "$rseq" == "$seq" ]]
}
wait_until "ingest and the replica to catch up" caught_up
export CHIPLEDGER_SERVER="http://$QUERY_ADDR"

echo
echo "== figures"
echo "events read:       $(field "http://$INGEST_ADDR/status" counts.read)"
echo "appended:          $(field "http://$INGEST_ADDR/status" counts.appended)"
echo "duplicates skipped: $(field "http://$INGEST_ADDR/status" counts.duplicates)"
echo "rejected:          $(field "http://$INGEST_ADDR/status" counts.rejected)"
echo "ledger head:       sequence $(field "http://$INGEST_ADDR/head" sequence) hash $(field "http://$INGEST_ADDR/head" hash)"
"$BIN/query" verify --ingest "http://$INGEST_ADDR"

smuggled=$(python3 -c 'import json,sys
t=json.load(open(sys.argv[1]))
for s in t["scenarios"]:
    if s["name"]=="alx-solutions":
        print(next(x["id"] for x in s["subjects"] if x["kind"]=="unit" and x["id"].startswith("chip:"))); break' "$OUT/truth.json")
benign=$(python3 -c 'import json,sys
t=json.load(open(sys.argv[1]))
bad={x["id"] for s in t["scenarios"] for x in s["subjects"]}
for line in open(sys.argv[2]):
    e=json.loads(line)
    u=e.get("body",{}).get("unit","")
    if e["type"]=="unit.commissioned.v1" and u.startswith("chip:") and u not in bad:
        print(u); break' "$OUT/truth.json" "$OUT/world.jsonl")

echo
echo "== a benign chip: $benign"
"$BIN/query" chain "$benign" >"$OUT/benign-chain.txt"
head -25 "$OUT/benign-chain.txt"
echo "... ($(($(wc -l <"$OUT/benign-chain.txt") - 1)) steps in all, in $OUT/benign-chain.txt)"
echo
echo "== a smuggled chip (scenario alx-solutions): $smuggled"
"$BIN/query" chain "$smuggled"
echo
"$BIN/query" unit "$smuggled"

# Detection runs in the replica beside the follower: wait until it has
# evaluated the head the replica reached.
detected() {
	local dseq head
	dseq=$(field "http://$QUERY_ADDR/api/v1/status" detection.seq)
	head=$(field "http://$QUERY_ADDR/api/v1/status" head)
	[[ -n "$dseq" && "$dseq" == "$head" && "$(field "http://$QUERY_ADDR/api/v1/status" detection.evaluations)" != "0" ]]
}
wait_until "detection to evaluate the replica's head" detected
echo
echo "== open alerts by rule (detection at sequence $(field "http://$QUERY_ADDR/api/v1/status" detection.seq); every alert in $OUT/alerts.txt)"
"$BIN/query" alerts --alert-state open >"$OUT/alerts.txt"
sed -n '/^$/,$p' "$OUT/alerts.txt" | sed 1d
flagged=$(python3 -c 'import json,sys
t=json.load(open(sys.argv[1]))
for s in t["scenarios"]:
    if s["name"]=="alx-solutions":
        print(next(x["id"] for x in s["subjects"] if x["kind"]=="unit" and "R1" in x["rules"])); break' "$OUT/truth.json")
alert_id=$("$BIN/query" alerts --rule R1 --subject "$flagged" --json | python3 -c 'import json,sys
a=json.load(sys.stdin)["alerts"]
print(a[0]["id"] if a else "")')
if [[ -z "$alert_id" ]]; then
	echo "demo: no R1 alert on $flagged (scenario alx-solutions expects one)" >&2
	exit 1
fi
echo
echo "== an alert of rule R1 on a unit of scenario alx-solutions: $alert_id"
"$BIN/query" alert "$alert_id"
echo
echo "== done in $(( $(date +%s) - start )) s. API: http://$QUERY_ADDR/api/v1/units/$smuggled/chain  http://$QUERY_ADDR/api/v1/alerts?rule=R1  ingest: http://$INGEST_ADDR/status"

if [[ "$CHECK" == "1" ]]; then
	stop_all
	"$BIN/ingest" verify --ledger "$OUT/ledger"
	echo "demo-check: ok"
	exit 0
fi
echo "serving until Ctrl-C (logs in $OUT/*.log)"
trap 'echo; echo "stopping"; stop_all; exit 0' INT TERM
wait
