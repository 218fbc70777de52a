# chipledger: build, test, benchmark and demo. `make test` is what CI runs.
GO        ?= go
BIN       := bin
KAFKA_PORT ?= 19092
export KAFKA_PORT
BROKERS   ?= 127.0.0.1:$(KAFKA_PORT)
# The whole suite stays well under 15 minutes on a 2-core machine; the
# timeout is the hard stop for a hung test.
TEST_TIMEOUT ?= 14m
TEST_FLAGS   ?=

.PHONY: all build test unit bench demo demo-check kafka-up kafka-down vet fuzz eval epcis-check clean

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

vet:
	$(GO) vet ./...

kafka-up:
	@bash scripts/kafka.sh up

kafka-down:
	@bash scripts/kafka.sh down

# The full suite against a real Kafka broker (started here unless
# KAFKA_BROKERS points at one).
test: kafka-up
	KAFKA_BROKERS=$${KAFKA_BROKERS:-$(BROKERS)} $(GO) test -count=1 -timeout $(TEST_TIMEOUT) $(TEST_FLAGS) ./...

# Go benchmarks: the ledger append rate on disk, decoders, and (with the
# broker) the end-to-end ingest rate. Figures go in docs/benchmarks.md.
bench: kafka-up
	KAFKA_BROKERS=$${KAFKA_BROKERS:-$(BROKERS)} $(GO) test -run '^$$' -bench . -benchtime 3s -timeout 30m ./...

# Short fuzzing runs of every decoder (longer: FUZZTIME=10m make fuzz).
FUZZTIME ?= 30s
fuzz:
	$(GO) test ./events/ -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME)
	$(GO) test ./events/ -run '^$$' -fuzz '^FuzzParseUnitID$$' -fuzztime $(FUZZTIME)
	$(GO) test ./ledger/ -run '^$$' -fuzz '^FuzzDecodeEntry$$' -fuzztime $(FUZZTIME)
	$(GO) test ./screening/ -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME)
	$(GO) test ./policy/ -run '^$$' -fuzz '^FuzzLoadControls$$' -fuzztime $(FUZZTIME)
	$(GO) test ./policy/ -run '^$$' -fuzz '^FuzzLoadCatalogue$$' -fuzztime $(FUZZTIME)
	$(GO) test ./projections/alerts/ -run '^$$' -fuzz '^FuzzLoadBundle$$' -fuzztime $(FUZZTIME)
	$(GO) test ./projections/alerts/ -run '^$$' -fuzz '^FuzzReadTruth$$' -fuzztime $(FUZZTIME)
	$(GO) test ./httpapi/ -run '^$$' -fuzz '^FuzzParseTokens$$' -fuzztime $(FUZZTIME)
	$(GO) test ./epcis/ -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./epcis/ -run '^$$' -fuzz '^FuzzUnitFromEPC$$' -fuzztime $(FUZZTIME)

# Detection quality on a simulated world the rules were not developed on
# (docs/benchmarks.md, "Detection"): simulate, import, query eval.
EVAL_CHIPS ?= 100000
EVAL_SEED  ?= 20261201
EVAL_DIR   ?= data/eval
eval: build
	rm -rf $(EVAL_DIR) && mkdir -p $(EVAL_DIR)
	$(BIN)/simulate --chips $(EVAL_CHIPS) --seed $(EVAL_SEED) --out $(EVAL_DIR)/world.jsonl --truth $(EVAL_DIR)/truth.json
	$(BIN)/ingest import --ledger $(EVAL_DIR)/ledger $(EVAL_DIR)/world.jsonl
	$(BIN)/query eval --ledger $(EVAL_DIR)/ledger --truth $(EVAL_DIR)/truth.json | tee $(EVAL_DIR)/eval.txt

# A whole simulated world imported as native events and as EPCIS documents
# gives identical canonical dumps (make test runs its first 6,000 lines).
epcis-check:
	EPCIS_WORLD_LINES=100000000 $(GO) test ./ingest/ -run '^TestSimulatedWorldNativeAndEPCIS$$' -count=1 -v -timeout 30m

# The end-to-end demo on a simulated world; it serves until Ctrl-C.
demo: build kafka-up
	@bash scripts/demo.sh

# The same end to end once on a small world, then exit (a test runs it too).
demo-check: build kafka-up
	@DEMO_CHECK=1 DEMO_CHIPS=500 bash scripts/demo.sh

clean:
	rm -rf $(BIN) data demo-out
