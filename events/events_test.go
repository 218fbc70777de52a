package events_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/events"
)

var update = flag.Bool("update", false, "rewrite testdata/canonical.jsonl from testdata/examples.jsonl")

const (
	examplesFile  = "testdata/examples.jsonl"
	canonicalFile = "testdata/canonical.jsonl"
)

// readLines returns the non-empty lines of a JSON Lines file.
func readLines(tb testing.TB, path string) [][]byte {
	tb.Helper()
	f, err := os.Open(path)
	require.NoError(tb, err)
	defer f.Close()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), events.MaxEventBytes+1)
	for sc.Scan() {
		if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
			lines = append(lines, bytes.Clone(line))
		}
	}
	require.NoError(tb, sc.Err())
	return lines
}

// examples decodes every example and returns them in file order.
func examples(tb testing.TB) ([][]byte, []events.Event) {
	tb.Helper()
	lines := readLines(tb, examplesFile)
	evs := make([]events.Event, len(lines))
	for i, line := range lines {
		e, err := events.Decode(line)
		require.NoError(tb, err, "example line %d: %s", i+1, line)
		evs[i] = e
	}
	return lines, evs
}

// exampleOf returns the first example line of type typ.
func exampleOf(tb testing.TB, typ string) []byte {
	tb.Helper()
	lines, evs := examples(tb)
	for i, e := range evs {
		if e.Type == typ {
			return lines[i]
		}
	}
	tb.Fatalf("no example of %s in %s", typ, examplesFile)
	return nil
}

func TestExamplesRoundTrip(t *testing.T) {
	lines, evs := examples(t)
	for i, e := range evs {
		t.Run(fmt.Sprintf("%02d_%s", i+1, e.Type), func(t *testing.T) {
			require.Less(t, len(lines[i]), 1024, "example lines stay under 1 KB")
			c := e.Canonical()
			assert.Equal(t, string(lines[i]), string(c), "examples are written in canonical form")
			again, err := events.Decode(c)
			require.NoError(t, err, "canonical form must decode: %s", c)
			assert.Equal(t, e, again, "Decode(Canonical(e)) must equal e")
			assert.Equal(t, string(c), string(again.Canonical()), "Canonical must be a fixed point")
			assert.NoError(t, e.Validate())

			enc, err := events.Encode(e)
			require.NoError(t, err)
			assert.Equal(t, string(c), string(enc), "Encode equals Canonical")

			// encoding/json round trip through MarshalJSON/UnmarshalJSON.
			var viaJSON events.Event
			require.NoError(t, json.Unmarshal(lines[i], &viaJSON))
			assert.Equal(t, e, viaJSON)
		})
	}
}

func TestExamplesCoverEveryType(t *testing.T) {
	_, evs := examples(t)
	seen := map[string]bool{}
	for _, e := range evs {
		seen[e.Type] = true
	}
	for _, typ := range events.Types() {
		assert.True(t, seen[typ], "no example of %s in %s", typ, examplesFile)
	}
}

func TestExamplesTellAStory(t *testing.T) {
	_, evs := examples(t)
	ids := map[string]bool{}
	idShape := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	var last time.Time
	for i, e := range evs {
		assert.Regexp(t, idShape, e.ID, "example %d id is UUIDv7-shaped", i+1)
		assert.False(t, ids[e.ID], "example %d id %s is unique", i+1, e.ID)
		ids[e.ID] = true
		assert.True(t, e.OccurredAt.After(last), "example %d occurs after the one before", i+1)
		assert.False(t, e.RecordedAt.Before(e.OccurredAt), "example %d is recorded after it occurs", i+1)
		last = e.OccurredAt
		if c, ok := e.Body.(*events.Corrected); ok {
			assert.True(t, ids[c.Target], "example %d corrects an earlier example", i+1)
		}
	}
}

// TestCanonicalGolden pins the canonical bytes of every example: the
// ledger hashes them forever, so a change here is a break of v1.
func TestCanonicalGolden(t *testing.T) {
	_, evs := examples(t)
	var got bytes.Buffer
	for _, e := range evs {
		got.Write(e.Canonical())
		got.WriteByte('\n')
	}
	if *update {
		require.NoError(t, os.WriteFile(canonicalFile, got.Bytes(), 0o644))
	}
	want, err := os.ReadFile(canonicalFile)
	require.NoError(t, err, "run go test ./events -run TestCanonicalGolden -update")
	assert.Equal(t, string(want), got.String(), "the canonical form of v1 must never change")
}

func TestDecodeRejects(t *testing.T) {
	for _, tc := range badCases() {
		t.Run(tc.name, func(t *testing.T) {
			e, err := events.Decode([]byte(tc.input))
			require.Error(t, err, "decoded %+v", e)
			assert.Equal(t, events.Event{}, e)
			assert.Equal(t, tc.reason, events.Reason(err), "error: %v", err)
			var ve *events.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.field, ve.Field, "error: %v", err)
			assert.True(t, strings.HasPrefix(err.Error(), "events: "), "error %q has the package prefix", err)
		})
	}
}

func TestDecodeRejectsMissingRequiredField(t *testing.T) {
	for _, typ := range events.Types() {
		t.Run(typ, func(t *testing.T) {
			mc, ok := missingCases[typ]
			require.True(t, ok, "missingCases has no entry for %s", typ)
			var m map[string]any
			require.NoError(t, json.Unmarshal(exampleOf(t, typ), &m))
			body := m["body"].(map[string]any)
			require.Contains(t, body, mc.key)
			delete(body, mc.key)
			in, err := json.Marshal(m)
			require.NoError(t, err)

			_, err = events.Decode(in)
			require.Error(t, err)
			assert.Equal(t, events.ReasonMissingField, events.Reason(err), "error: %v", err)
			var ve *events.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, mc.field, ve.Field)
		})
	}
}

func TestDecodeAccepts(t *testing.T) {
	tests := []struct {
		name  string
		input string
		check func(t *testing.T, e events.Event)
	}{
		{
			name:  "unit ids are normalised",
			input: envelope(events.TypeShipped, must(shippedBody, `"chip:1652423000001"`, `" CHIP:ab-1.x/y_z ","sys:Smc-A1"`)),
			check: func(t *testing.T, e events.Event) {
				assert.Equal(t, []events.UnitID{"chip:AB-1.X/Y_Z", "sys:SMC-A1"}, e.Body.(*events.Shipped).Units)
			},
		},
		{
			name:  "times become UTC, fractions kept",
			input: must(must(shippedJSON, `"2025-01-10T08:00:00Z"`, `"2025-01-10T16:00:00.120+08:00"`), `"2025-01-10T08:00:05Z"`, `"2025-01-10T08:00:05.000000001Z"`),
			check: func(t *testing.T, e events.Event) {
				assert.Equal(t, time.Date(2025, 1, 10, 8, 0, 0, 120e6, time.UTC), e.OccurredAt)
				assert.Equal(t, time.UTC, e.OccurredAt.Location())
				assert.Contains(t, string(e.Canonical()), `"occurred_at":"2025-01-10T08:00:00.12Z","recorded_at":"2025-01-10T08:00:05.000000001Z"`)
			},
		},
		{
			name:  "null optional fields are absent",
			input: envelope(events.TypeShipped, must(shippedBody, `"units":`, `"carrier":null,"via":null,"transaction":null,"units":`)),
			check: func(t *testing.T, e events.Event) {
				assert.Equal(t, shippedJSON, string(e.Canonical()))
			},
		},
		{
			name:  "empty optional lists and objects are absent",
			input: envelope(events.TypeShipped, must(shippedBody, `"units":`, `"via":[],"transaction":{},"units":`)),
			check: func(t *testing.T, e events.Event) {
				assert.Nil(t, e.Body.(*events.Shipped).Via)
				assert.Equal(t, shippedJSON, string(e.Canonical()))
			},
		},
		{
			name:  "white space and key order do not matter",
			input: "\n{ \"body\" : " + shippedBody + ",\n \"publisher\":\"P-SUPERMICRO\", \"recorded_at\":\"2025-01-10T08:00:05Z\", \"occurred_at\":\"2025-01-10T08:00:00Z\", \"type\":\"unit.shipped.v1\", \"id\":\"0194a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b\" }\n",
			check: func(t *testing.T, e events.Event) {
				assert.Equal(t, shippedJSON, string(e.Canonical()))
			},
		},
		{
			name:  "negative zero is zero",
			input: envelope(events.TypeLocationAttested, must(must(attestedBody, `1.3329`, `-0`), `103.7436`, `-0.0`)),
			check: func(t *testing.T, e events.Event) {
				assert.Contains(t, string(e.Canonical()), `"lat":0,"lon":0`)
			},
		},
		{
			name:  "EPCIS hash id",
			input: must(shippedJSON, `0194a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b`, `ni:///sha-256;df7bb3c352fef055578554f09f5e2aa41782150ced7bd0b8af24dd3ccb30ba69?ver=CBV2.0`),
			check: func(t *testing.T, e events.Event) {
				assert.Equal(t, "ni:///sha-256;df7bb3c352fef055578554f09f5e2aa41782150ced7bd0b8af24dd3ccb30ba69?ver=CBV2.0", e.ID)
			},
		},
		{
			name:  "html characters are not escaped",
			input: envelope(events.TypeShipped, must(shippedBody, `"units":`, `"goods_description":"<GPU> & \"server\"","units":`)),
			check: func(t *testing.T, e events.Event) {
				assert.Contains(t, string(e.Canonical()), `"goods_description":"<GPU> & \"server\""`)
			},
		},
		{
			name:  "content may exceed the string limit",
			input: envelope(events.TypePolicyActivated, `{"name":"p","version":"1","digest":"`+events.Digest([]byte(strings.Repeat("x", 5000)))+`","effective":"2025-01-02","source":"test","content":"`+strings.Repeat("x", 5000)+`"}`),
			check: func(t *testing.T, e events.Event) {
				assert.Len(t, e.Body.(*events.PolicyActivated).Content, 5000)
			},
		},
		{
			name:  "exactly MaxUnitsPerEvent units",
			input: envelope(events.TypeShipped, must(shippedBody, `["chip:1652423000001"]`, unitList(events.MaxUnitsPerEvent))),
			check: func(t *testing.T, e events.Event) {
				assert.Len(t, e.Subjects(), events.MaxUnitsPerEvent)
			},
		},
		{
			name:  "a retraction",
			input: envelope(events.TypeCorrected, correctedBody("retract", "")),
			check: func(t *testing.T, e events.Event) {
				assert.Equal(t, "event:0194a1b2-c3d4-7e5f-8a6b-000000000001", e.Primary())
				assert.Nil(t, e.Body.(*events.Corrected).Amended)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := events.Decode([]byte(tc.input))
			require.NoError(t, err)
			tc.check(t, e)
			again, err := events.Decode(e.Canonical())
			require.NoError(t, err)
			assert.Equal(t, e, again)
		})
	}
}

func TestParseUnitID(t *testing.T) {
	tests := []struct {
		in, want string
		kind     string
		serial   string
		wantErr  bool
	}{
		{in: "chip:1652423000001", want: "chip:1652423000001", kind: "chip", serial: "1652423000001"},
		{in: "CHIP:ABC-1", want: "chip:ABC-1", kind: "chip", serial: "ABC-1"},
		{in: "chip:abc-1", want: "chip:ABC-1", kind: "chip", serial: "ABC-1"},
		{in: "  Sys:smc-a1\t", want: "sys:SMC-A1", kind: "sys", serial: "SMC-A1"},
		{in: "pkg:00012345678901234567", want: "pkg:00012345678901234567", kind: "pkg", serial: "00012345678901234567"},
		{in: "pkg:a.b_c/d-e", want: "pkg:A.B_C/D-E", kind: "pkg", serial: "A.B_C/D-E"},
		{in: "chip:" + strings.Repeat("a", 64), want: "chip:" + strings.Repeat("A", 64), kind: "chip", serial: strings.Repeat("A", 64)},
		{in: "chip:" + strings.Repeat("a", 65), wantErr: true},
		{in: "", wantErr: true},
		{in: "chip", wantErr: true},
		{in: "chip:", wantErr: true},
		{in: ":ABC", wantErr: true},
		{in: "gpu:ABC", wantErr: true},
		{in: "board:ABC", wantErr: true},
		{in: "chip:AB C", wantErr: true},
		{in: "chip:AB:C", wantErr: true},
		{in: "chip:ABC#1", wantErr: true},
		{in: "chip:ſ1", wantErr: true},     // long s would uppercase to S
		{in: "chip:ı1", wantErr: true},     // dotless i would uppercase to I
		{in: "\u212aind:1", wantErr: true}, // Kelvin sign
		{in: "chİp:1", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := events.ParseUnitID(tc.in)
			if tc.wantErr {
				require.Error(t, err, "got %q", got)
				assert.Equal(t, events.ReasonOutOfRange, events.Reason(err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, events.UnitID(tc.want), got)
			assert.Equal(t, tc.kind, got.Kind())
			assert.Equal(t, tc.serial, got.Serial())
			again, err := events.ParseUnitID(string(got))
			require.NoError(t, err)
			assert.Equal(t, got, again, "normalisation is idempotent")
		})
	}
}

func TestSubjectsAndPrimary(t *testing.T) {
	_, evs := examples(t)
	byType := map[string]events.Event{}
	for _, e := range evs {
		if _, ok := byType[e.Type]; !ok {
			byType[e.Type] = e
		}
	}
	chip1, chip2 := events.UnitID("chip:1652423000001"), events.UnitID("chip:1652423000002")
	sys, pkg := events.UnitID("sys:SMC-A1"), events.UnitID("pkg:00012345678901234567")
	tests := []struct {
		typ      string
		subjects []events.UnitID
		primary  string
	}{
		{events.TypeCommissioned, []events.UnitID{chip1}, string(chip1)},
		{events.TypeAssembled, []events.UnitID{sys, chip1, chip2}, string(sys)},
		{events.TypeDisassembled, []events.UnitID{sys, chip2}, string(sys)},
		{events.TypePacked, []events.UnitID{pkg, sys}, string(pkg)},
		{events.TypeUnpacked, []events.UnitID{pkg, sys}, string(pkg)},
		{events.TypeShipped, []events.UnitID{pkg}, string(pkg)},
		{events.TypeReceived, []events.UnitID{pkg}, string(pkg)},
		{events.TypeOwnershipTransferred, []events.UnitID{sys}, string(sys)},
		{events.TypeExportDeclared, []events.UnitID{pkg}, string(pkg)},
		{events.TypeInstalled, []events.UnitID{sys}, string(sys)},
		{events.TypeLocationAttested, []events.UnitID{chip1, chip2}, string(chip1)},
		{events.TypeReturned, []events.UnitID{chip2}, string(chip2)},
		{events.TypeDestroyed, []events.UnitID{chip2}, string(chip2)},
		{events.TypeReportedLost, []events.UnitID{"sys:SMC-B7"}, "sys:SMC-B7"},
		{events.TypeLabTestRecorded, []events.UnitID{chip2}, string(chip2)},
		{events.TypePartyRegistered, nil, "party:P-NVIDIA"},
		{events.TypePartyUpdated, nil, "party:P-LIONCITY"},
		{events.TypeSiteRegistered, nil, "site:S-SMC-SJC"},
		{events.TypeLicenceGranted, nil, "licence:D1234567"},
		{events.TypeLicenceRevoked, nil, "licence:D1234567"},
		{events.TypeCorrected, nil, "event:" + byType[events.TypeInstalled].ID},
		{events.TypePolicyActivated, nil, "policy:ear-advanced-computing"},
		{events.TypeScreeningActivated, nil, "screening:us-csl"},
		{events.TypeAlertAcknowledged, nil, "alert:" + byType[events.TypeAlertAcknowledged].Body.(*events.AlertAcknowledged).Alert},
		{events.TypeAlertDismissed, nil, "alert:" + byType[events.TypeAlertDismissed].Body.(*events.AlertDismissed).Alert},
		{events.TypeAlertEscalated, nil, "alert:" + byType[events.TypeAlertEscalated].Body.(*events.AlertEscalated).Alert},
	}
	require.Len(t, tests, len(events.Types()), "one case per type")
	for _, tc := range tests {
		t.Run(tc.typ, func(t *testing.T) {
			e, ok := byType[tc.typ]
			require.True(t, ok)
			assert.Equal(t, tc.subjects, e.Subjects())
			assert.Equal(t, tc.primary, e.Primary())
		})
	}
	t.Run("deduplicated in first-appearance order", func(t *testing.T) {
		e := events.Event{Type: events.TypeAssembled, Body: &events.Assembled{Parent: sys, Children: []events.UnitID{chip2, sys, chip1, chip2}}}
		assert.Equal(t, []events.UnitID{sys, chip2, chip1}, e.Subjects())
	})
	t.Run("callers cannot change the event through Subjects", func(t *testing.T) {
		body := &events.Shipped{Units: []events.UnitID{chip1, chip2}}
		e := events.Event{Type: events.TypeShipped, Body: body}
		e.Subjects()[0] = "chip:X"
		body.Subjects()[0] = "chip:X"
		assert.Equal(t, chip1, body.Units[0])
	})
	t.Run("no body", func(t *testing.T) {
		assert.Nil(t, events.Event{}.Subjects())
		assert.Empty(t, events.Event{}.Primary())
	})
}

func TestTypesAndNewBody(t *testing.T) {
	types := events.Types()
	assert.Len(t, types, 26)
	assert.True(t, slices.IsSorted(types), "sorted: %v", types)
	for _, typ := range types {
		assert.Regexp(t, `^[a-z_]+\.[a-z_]+\.v1$`, typ)
		b, ok := events.NewBody(typ)
		require.True(t, ok, typ)
		assert.Equal(t, typ, b.Type())
		assert.Error(t, b.Validate(), "a zero %s body is not valid", typ)
	}
	_, ok := events.NewBody("unit.teleported.v1")
	assert.False(t, ok)
	types[0] = "mutated"
	assert.NotEqual(t, "mutated", events.Types()[0], "Types returns a copy")
}

func TestEncode(t *testing.T) {
	tpp := 15832.0
	valid := events.Event{
		ID:         "0194a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b",
		Type:       events.TypeCommissioned,
		OccurredAt: time.Date(2025, 1, 6, 10, 0, 0, 0, time.FixedZone("TW", 8*3600)),
		RecordedAt: time.Date(2025, 1, 6, 2, 0, 5, 0, time.UTC),
		Publisher:  "P-NVIDIA",
		Body: &events.Commissioned{
			Unit: "chip:1652423000001", Manufacturer: "P-NVIDIA", Model: "H100-SXM5-80GB",
			Serial: "1652423000001", DeclaredTPP: &tpp, Country: "TW",
		},
	}
	t.Run("valid", func(t *testing.T) {
		b, err := events.Encode(valid)
		require.NoError(t, err)
		assert.Equal(t, `{"id":"0194a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b","type":"unit.commissioned.v1","occurred_at":"2025-01-06T02:00:00Z","recorded_at":"2025-01-06T02:00:05Z","publisher":"P-NVIDIA","body":{"unit":"chip:1652423000001","manufacturer":"P-NVIDIA","model":"H100-SXM5-80GB","serial":"1652423000001","declared_tpp":15832,"country":"TW"}}`, string(b))
		e, err := events.Decode(b)
		require.NoError(t, err)
		assert.True(t, valid.OccurredAt.Equal(e.OccurredAt))
		assert.Equal(t, string(b), string(e.Canonical()))
	})
	invalid := []struct {
		name   string
		mutate func(e *events.Event)
		reason string
		field  string
	}{
		{"unit not normalised", func(e *events.Event) {
			b := *e.Body.(*events.Commissioned)
			b.Unit = "CHIP:1652423000001"
			e.Body = &b
		}, events.ReasonOutOfRange, "body.unit"},
		{"NaN tpp", func(e *events.Event) {
			b := *e.Body.(*events.Commissioned)
			nan := 0.0
			nan /= nan
			b.DeclaredTPP = &nan
			e.Body = &b
		}, events.ReasonOutOfRange, "body.declared_tpp"},
		{"body of another type", func(e *events.Event) { e.Type = events.TypeInstalled }, events.ReasonInvalid, "body"},
		{"nil body", func(e *events.Event) { e.Body = nil }, events.ReasonMissingField, "body"},
		{"typed nil body", func(e *events.Event) { e.Body = (*events.Commissioned)(nil) }, events.ReasonMissingField, "body"},
		{"zero time", func(e *events.Event) { e.RecordedAt = time.Time{} }, events.ReasonMissingField, "recorded_at"},
		{"unknown type", func(e *events.Event) { e.Type = "x.y.v1" }, events.ReasonUnknownType, "type"},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			e := valid
			tc.mutate(&e)
			_, err := events.Encode(e)
			require.Error(t, err)
			assert.Equal(t, tc.reason, events.Reason(err), "error: %v", err)
			var ve *events.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.field, ve.Field)
		})
	}
}

func TestValidationError(t *testing.T) {
	_, err := events.Decode([]byte(envelope(events.TypeShipped, must(shippedBody, `"US"`, `"usa"`))))
	require.Error(t, err)
	assert.Equal(t, "events: body.from.country: must be an ISO 3166-1 alpha-2 code (two uppercase letters)", err.Error())

	_, err = events.Decode([]byte("{"))
	assert.Equal(t, "events: not a JSON object: unexpected end of input", err.Error())

	assert.Equal(t, "", events.Reason(nil))
	assert.Equal(t, events.ReasonInvalid, events.Reason(errors.New("other")))
	wrapped := fmt.Errorf("ingest: partition 3 offset 17: %w", err)
	assert.Equal(t, events.ReasonNotJSON, events.Reason(wrapped))
}

func TestNewID(t *testing.T) {
	shape := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	before := time.Now().UnixMilli()
	ids := make([]string, 10_000)
	for i := range ids {
		ids[i] = events.NewID()
	}
	after := time.Now().UnixMilli()
	for i, id := range ids {
		require.Regexp(t, shape, id)
		if i > 0 {
			require.Less(t, ids[i-1], id, "ids made by one process increase")
		}
	}
	var ms int64
	_, err := fmt.Sscanf(strings.ReplaceAll(ids[0][:13], "-", ""), "%x", &ms)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, ms, before)
	assert.LessOrEqual(t, ms, after+1)
}
