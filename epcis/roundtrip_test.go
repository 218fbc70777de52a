package epcis_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/epcis"
	"github.com/chipledger/chipledger/events"
)

// custody returns the custody events of the events package's examples
// (every native custody type, a correction), as export steps.
func custody(t *testing.T) []epcis.ExportStep {
	t.Helper()
	var steps []epcis.ExportStep
	for _, e := range readNative(t, "../events/testdata/examples.jsonl") {
		if len(e.Subjects()) == 0 && e.Type != events.TypeCorrected {
			continue // reference data and triage are not custody
		}
		steps = append(steps, epcis.ExportStep{Event: e, Seq: uint64(100 + len(steps)), Hash: "h" + e.ID[:8]})
	}
	return steps
}

// TestExportRoundTrip exports every native custody type and reads the
// document back: the same canonical events, byte for byte (ids, times,
// units, places, parties and every field), but the amendment, which comes
// back as a retraction of the original and the amended event under the
// correction's id.
func TestExportRoundTrip(t *testing.T) {
	steps := custody(t)
	seen := map[string]bool{}
	for _, s := range steps {
		seen[s.Event.Type] = true
	}
	for _, typ := range []string{events.TypeCommissioned, events.TypeAssembled, events.TypeDisassembled, events.TypePacked,
		events.TypeUnpacked, events.TypeShipped, events.TypeReceived, events.TypeOwnershipTransferred, events.TypeExportDeclared,
		events.TypeInstalled, events.TypeLocationAttested, events.TypeReturned, events.TypeDestroyed, events.TypeReportedLost,
		events.TypeLabTestRecorded, events.TypeCorrected} {
		require.True(t, seen[typ], "the examples have a %s", typ)
	}
	out, err := epcis.Export("sys:SMC-A1", steps)
	require.NoError(t, err)
	again, err := epcis.Export("sys:SMC-A1", steps)
	require.NoError(t, err)
	assert.Equal(t, out, again, "deterministic")

	d, err := epcis.Parse(out)
	require.NoError(t, err, "the export validates")
	ok, bad := d.Events()
	require.Empty(t, bad)
	require.Len(t, ok, len(steps)+1, "the amendment is two events")
	j := 0
	for _, s := range steps {
		got := ok[j].Event
		j++
		if c, isCorr := s.Event.Body.(*events.Corrected); isCorr && c.Action == events.ActionAmend {
			b := got.Body.(*events.Corrected)
			assert.Equal(t, events.ActionRetract, b.Action)
			assert.Equal(t, c.Target, b.Target)
			assert.Equal(t, c.Reason, b.Reason)
			assert.Equal(t, s.Event.Publisher, got.Publisher)
			assert.True(t, s.Event.OccurredAt.Equal(got.OccurredAt))
			amended := ok[j].Event
			j++
			want := *c.Amended
			want.ID = s.Event.ID + "#amended"
			assert.Equal(t, string(want.Canonical()), string(amended.Canonical()))
			continue
		}
		assert.Equal(t, string(s.Event.Canonical()), string(got.Canonical()))
	}
	assert.Equal(t, len(ok), j)
}

// TestExportStory: the EPCIS story mapped to native events, exported and
// read back, gives the same native events.
func TestExportStory(t *testing.T) {
	want := readNative(t, "testdata/story.jsonl")
	var steps []epcis.ExportStep
	for i, e := range want {
		steps = append(steps, epcis.ExportStep{Event: e, Seq: uint64(i + 1), Hash: "sha256:x"})
	}
	out, err := epcis.Export("chip:80614141123458.1652423000001", steps)
	require.NoError(t, err)
	d, err := epcis.Parse(out)
	require.NoError(t, err)
	// the export carries its countries: no site lookup needed
	ok, bad := d.Events()
	require.Empty(t, bad)
	require.Len(t, ok, len(want))
	for i := range want {
		assert.Equal(t, string(want[i].Canonical()), string(ok[i].Event.Canonical()))
	}
	assert.Equal(t, "US", d.Locations["https://id.gs1.org/414/4012345000115"].Country, "the sites are in the master data")
	assert.Equal(t, "SG", d.Locations["S-MERLION-DC1"].Country)
	assert.Contains(t, string(out), `"cl:ledger":{"hash":"sha256:x","seq":1}`)
	assert.Contains(t, string(out), `"https://id.gs1.org/00/040123450000001112"`, "a GS1 unit is written as a Digital Link URI")
	assert.Equal(t, "2025-01-20T09:00:05Z", d.CreationDate.Format(time.RFC3339))
}

func TestExportRefusals(t *testing.T) {
	all := readNative(t, "../events/testdata/examples.jsonl")
	var party, correction events.Event
	for _, e := range all {
		switch e.Type {
		case events.TypePartyRegistered:
			party = e
		case events.TypeCorrected:
			correction = e
		}
	}
	_, err := epcis.Export("sys:SMC-A1", []epcis.ExportStep{{Event: party}})
	assert.ErrorContains(t, err, "party.registered.v1 is not a custody event")
	_, err = epcis.Export("sys:SMC-A1", []epcis.ExportStep{{Event: correction}})
	assert.ErrorContains(t, err, "is not among the steps before it")
	_, err = epcis.Export("sys:SMC-A1", []epcis.ExportStep{{Event: events.Event{Type: events.TypeShipped}}})
	assert.Error(t, err, "an invalid event")
	out, err := epcis.Export("sys:SMC-A1", nil)
	require.NoError(t, err)
	d, err := epcis.Parse(out)
	require.NoError(t, err)
	assert.Equal(t, 0, d.Len())
}
