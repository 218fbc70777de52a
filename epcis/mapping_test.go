package epcis_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/epcis"
	"github.com/chipledger/chipledger/events"
)

// readNative decodes a JSON Lines file of native events.
func readNative(t *testing.T, path string) []events.Event {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []events.Event
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, events.MaxEventBytes+1)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		e, err := events.Decode(sc.Bytes())
		require.NoError(t, err, "%s", sc.Text())
		out = append(out, e)
	}
	require.NoError(t, sc.Err())
	return out
}

// storyOptions: the data center S-MERLION-DC1 was registered earlier
// (site.registered.v1), so its country is known to the caller, not to the
// document.
var storyOptions = epcis.Options{SiteCountry: func(site string) (string, bool) {
	if site == "S-MERLION-DC1" {
		return "SG", true
	}
	return "", false
}}

// TestCustodyStory maps a custody story told in EPCIS (two chips
// commissioned in Taiwan, assembled into a server in the US, the server
// packed on a pallet, shipped to Singapore and received, unpacked, sold,
// shipped to a data center, received and installed), with GS1 keys in URN
// and Digital Link forms, parties as owning and possessing parties, master
// data countries and a site registered earlier, to the native events of
// testdata/story.jsonl, written by hand.
func TestCustodyStory(t *testing.T) {
	data, err := os.ReadFile("testdata/story.jsonld")
	require.NoError(t, err)
	d, err := epcis.Parse(data)
	require.NoError(t, err)
	ok, bad := d.EventsWith(storyOptions)
	require.Empty(t, bad)
	want := readNative(t, "testdata/story.jsonl")
	require.Len(t, ok, len(want))
	for i, m := range ok {
		assert.Equal(t, i, m.Index)
		assert.Equal(t, string(want[i].Canonical()), string(m.Event.Canonical()), "event %d", i)
	}

	// without the registered site the data center's events are unsupported:
	// its country is not guessed
	ok, bad = d.Events()
	assert.Len(t, ok, len(want)-3)
	require.Len(t, bad, 3)
	for _, u := range bad {
		assert.Contains(t, u.Reason, "no country for")
		assert.Contains(t, u.Reason, "S-MERLION-DC1")
	}
}

// event builds a one-event document around an event's fields.
func event(fields string) []byte {
	return doc("", `{"type": "ObjectEvent", "eventTime": "2025-01-10T08:00:00Z", "eventTimeZoneOffset": "+00:00", `+fields+`}`)
}

func mapOne(t *testing.T, data []byte, opts epcis.Options) (*epcis.Mapped, *epcis.Unsupported) {
	t.Helper()
	d, err := epcis.Parse(data)
	require.NoError(t, err)
	ok, bad := d.EventsWith(opts)
	require.Equal(t, 1, len(ok)+len(bad))
	if len(ok) == 1 {
		return &ok[0], nil
	}
	return nil, &bad[0]
}

const pub = `"cl:publisher": "urn:chipledger:party:P-X"`

func TestMappingCases(t *testing.T) {
	us := `"sourceList": [{"type": "possessing_party", "source": "urn:chipledger:party:P-A"}, {"type": "location", "source": "urn:chipledger:site:S-A"}]`
	sg := `"destinationList": [{"type": "owning_party", "destination": "urn:chipledger:party:P-B"}, {"type": "location", "destination": "urn:chipledger:site:S-B"}]`
	countries := epcis.Options{SiteCountry: func(s string) (string, bool) {
		return map[string]string{"S-A": "US", "S-B": "SG"}[s], s == "S-A" || s == "S-B"
	}}
	ship := func(extra string) []byte {
		return event(`"epcList": ["urn:epc:id:sscc:4012345.0000000111"], "action": "OBSERVE", "bizStep": "shipping", ` + us + `, ` + sg + `, ` + pub + extra)
	}
	cases := []struct {
		name   string
		data   []byte
		opts   epcis.Options
		want   string // a part of the canonical event, or
		reason string // a part of the unsupported reason
	}{
		{"shipping", ship(""), countries, `"from":{"party":"P-A","site":"S-A","country":"US"},"to":{"party":"P-B","site":"S-B","country":"SG"}`, ""},
		{"shipping, countries from extension fields", ship(`, "cl:fromCountry": "US", "cl:toCountry": "SG"`), epcis.Options{}, `"country":"SG"`, ""},
		{"shipping, an extension country that contradicts the master data", ship(`, "cl:toCountry": "HK"`), countries, "", "cl:toCountry says HK but the master data of S-B says SG"},
		{"shipping without countries", ship(""), epcis.Options{}, "", "no country for the origin S-A"},
		{"shipping without a destination party", event(`"epcList": ["urn:epc:id:sscc:4012345.0000000111"], "action": "OBSERVE", "bizStep": "shipping", ` + us + `, ` + pub), countries, "", "needs a possessing_party or owning_party in both"},
		{"shipping a class of products", event(`"quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": 2}], "action": "OBSERVE", "bizStep": "shipping", ` + us + `, ` + sg + `, ` + pub), countries, "", "class-level quantities"},
		{"shipping with an ECCN, a licence and a carrier", ship(`, "cl:eccn": "3A090.a", "cl:licence": "D1234567", "cl:carrier": "urn:chipledger:party:P-AIR", "cl:via": ["MY"]`), countries,
			`"via":["MY"],"carrier":"P-AIR","declared_eccn":"3A090.a","licence":"D1234567"`, ""},
		{"two purchase orders", ship(`, "bizTransactionList": [{"type": "po", "bizTransaction": "urn:chipledger:ref:1"}, {"type": "po", "bizTransaction": "urn:chipledger:ref:2"}]`), countries, "", "two po business transactions"},
		{"a shipment id that contradicts the despatch advice", ship(`, "cl:shipmentId": "S1", "bizTransactionList": [{"type": "desadv", "bizTransaction": "urn:chipledger:ref:S2"}]`), countries, "", "disagree"},
		{"an unknown extension field", ship(`, "cl:eccm": "3A090.a"`), countries, "", `unknown chipledger extension field "eccm"`},
		{"an extension field that does not apply", ship(`, "cl:rack": "R1"`), countries, "", "cl:rack does not apply to unit.shipped.v1"},
		{"a return", event(`"epcList": ["urn:epc:id:sscc:4012345.0000000111"], "action": "OBSERVE", "bizStep": "shipping", "disposition": "returned", ` + us + `, ` + sg + `, ` + pub +
			`, "bizTransactionList": [{"type": "rma", "bizTransaction": "urn:chipledger:ref:RMA-1"}]`), epcis.Options{}, `"type":"unit.returned.v1"`, ""},
		{"receiving without a receiving party", event(`"epcList": ["urn:epc:id:sscc:4012345.0000000111"], "action": "OBSERVE", "bizStep": "receiving", "bizLocation": {"id": "urn:chipledger:site:S-B"}, ` + pub), countries, "", "receiving needs a possessing_party or owning_party"},
		{"installing", event(`"epcList": ["urn:epc:id:giai:4012345.SMC1"], "action": "OBSERVE", "bizStep": "installing", "bizLocation": {"id": "urn:chipledger:site:S-B"}, "cl:rack": "R9", ` + pub), countries,
			`"type":"unit.installed.v1","occurred_at":"2025-01-10T08:00:00Z","recorded_at":"2025-01-01T00:00:00Z","publisher":"P-X","body":{"units":["sys:4012345SMC1"],"site":"S-B","country":"SG","rack":"R9"}`, ""},
		{"installing without a site", event(`"epcList": ["urn:epc:id:giai:4012345.SMC1"], "action": "OBSERVE", "bizStep": "installing", ` + pub), countries, "", "installing needs a bizLocation"},
		{"commissioning", event(`"epcList": ["urn:epc:id:sgtin:0614141.812345.7"], "action": "ADD", "bizStep": "commissioning", "cl:model": "B200", "cl:manufacturer": "urn:chipledger:party:P-NV", "cl:country": "TW", ` + pub), epcis.Options{},
			`"body":{"unit":"chip:80614141123458.7","manufacturer":"P-NV","model":"B200","serial":"7","country":"TW"}`, ""},
		{"commissioning without a model", event(`"epcList": ["urn:epc:id:sgtin:0614141.812345.7"], "action": "ADD", "bizStep": "commissioning", "cl:manufacturer": "P-NV", ` + pub), epcis.Options{}, "", "commissioning needs cl:manufacturer and cl:model"},
		{"commissioning of two units", event(`"epcList": ["urn:epc:id:sgtin:0614141.812345.7", "urn:epc:id:sgtin:0614141.812345.8"], "action": "ADD", "bizStep": "commissioning", "cl:model": "B200", "cl:manufacturer": "P-NV", ` + pub), epcis.Options{}, "", "commissioning of 2 units"},
		{"a declared TPP that is not a number", event(`"epcList": ["urn:epc:id:sgtin:0614141.812345.7"], "action": "ADD", "bizStep": "commissioning", "cl:model": "B200", "cl:manufacturer": "P-NV", "cl:declaredTpp": "high", ` + pub), epcis.Options{}, "", "cl:declaredTpp must be a number"},
		{"an undefined cl prefix", []byte(strings.Replace(string(event(`"epcList": [], "action": "OBSERVE", "bizStep": "shipping", "cl:eccn": "X"`)), `, {"cl": "https://chipledger.example/epcis/v1/"}`, "", 1)), epcis.Options{}, "", `the prefix "cl" is not defined in @context`},
		{"another prefix for the chipledger namespace", []byte(strings.Replace(string(event(`"epcList": ["urn:epc:id:giai:4012345.SMC1"], "action": "OBSERVE", "bizStep": "installing", "bizLocation": {"id": "urn:chipledger:site:S-B"}, "chipledger:rack": "R9", "chipledger:publisher": "urn:chipledger:party:P-X"`)),
			`{"cl":`, `{"chipledger":`, 1)), countries, `"rack":"R9"`, ""},
		{"a private business step", event(`"epcList": [], "action": "OBSERVE", "bizStep": "https://example.com/steps/weighing", ` + pub), epcis.Options{}, "", `"https://example.com/steps/weighing" is not a CBV business step nor one of chipledger's`},
		{"an inspection with a lab result", event(`"epcList": ["urn:epc:id:sgtin:0614141.812345.7"], "action": "OBSERVE", "bizStep": "inspecting", "cl:lab": "urn:chipledger:party:P-LAB", "cl:result": "pass", ` + pub), epcis.Options{},
			`"body":{"unit":"chip:80614141123458.7","lab":"P-LAB","result":"pass"}`, ""},
		{"destroying", event(`"epcList": ["urn:epc:id:sgtin:0614141.812345.7"], "action": "DELETE", "bizStep": "destroying", "cl:by": "urn:chipledger:party:P-R", ` + pub), epcis.Options{}, `"type":"unit.destroyed.v1"`, ""},
		{"a lowercase serial", event(`"epcList": ["urn:epc:id:sgtin:0614141.812345.ab1"], "action": "OBSERVE", "bizStep": "installing", "bizLocation": {"id": "urn:chipledger:site:S-B"}, ` + pub), countries, "", "has lowercase letters"},
		{"a publisher from the options", event(`"epcList": ["urn:epc:id:giai:4012345.SMC1"], "action": "OBSERVE", "bizStep": "installing", "bizLocation": {"id": "urn:chipledger:site:S-B"}`),
			epcis.Options{Publisher: "P-AUTH", SiteCountry: countries.SiteCountry}, `"publisher":"P-AUTH"`, ""},
		{"an eventID too long for a canonical id", event(`"eventID": "urn:x:` + strings.Repeat("a", 130) + `", "epcList": [], "action": "OBSERVE", ` + pub), epcis.Options{}, "", "at most 128 bytes"},
		{"a sale", doc("", `{"type": "TransactionEvent", "eventTime": "2025-01-10T08:00:00Z", "eventTimeZoneOffset": "+00:00", "epcList": ["urn:epc:id:giai:4012345.SMC1"], "action": "ADD",
			"bizTransactionList": [{"type": "inv", "bizTransaction": "urn:chipledger:ref:INV-1"}],
			"sourceList": [{"type": "owning_party", "source": "urn:chipledger:party:P-A"}], "destinationList": [{"type": "owning_party", "destination": "urn:chipledger:party:P-B"}], `+pub+`}`),
			epcis.Options{}, `"body":{"units":["sys:4012345SMC1"],"seller":"P-A","buyer":"P-B","contract":"INV-1"}`, ""},
		{"a transaction without a change of owner", doc("", `{"type": "TransactionEvent", "eventTime": "2025-01-10T08:00:00Z", "eventTimeZoneOffset": "+00:00", "epcList": ["urn:epc:id:giai:4012345.SMC1"], "action": "ADD",
			"bizTransactionList": [{"type": "po", "bizTransaction": "urn:chipledger:ref:PO-1"}], `+pub+`}`), epcis.Options{}, "", "a TransactionEvent is a sale when the owning_party"},
		{"an association with a chip as parent", doc("", `{"type": "AssociationEvent", "eventTime": "2025-01-10T08:00:00Z", "eventTimeZoneOffset": "+00:00", "parentID": "urn:epc:id:sgtin:0614141.812345.7",
			"childEPCs": ["urn:epc:id:sgtin:0614141.812345.8"], "action": "ADD", "bizStep": "assembling", `+pub+`}`), epcis.Options{}, "", "the parent of an association is a system"},
		{"disassembling all without naming the children", doc("", `{"type": "AssociationEvent", "eventTime": "2025-01-10T08:00:00Z", "eventTimeZoneOffset": "+00:00", "parentID": "urn:epc:id:giai:4012345.SMC1",
			"action": "DELETE", "bizStep": "disassembling", `+pub+`}`), epcis.Options{}, "", "no childEPCs"},
		{"packing", doc("", `{"type": "AggregationEvent", "eventTime": "2025-01-10T08:00:00Z", "eventTimeZoneOffset": "+00:00", "parentID": "urn:epc:id:sscc:4012345.0000000111",
			"childEPCs": ["urn:epc:id:giai:4012345.SMC1"], "action": "ADD", "bizStep": "packing", "readPoint": {"id": "urn:epc:id:sgln:4012345.00011.0"}, `+pub+`}`), epcis.Options{},
			`"body":{"parent":"pkg:040123450000001112","children":["sys:4012345SMC1"],"site":"https://id.gs1.org/414/4012345000115"}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, u := mapOne(t, c.data, c.opts)
			if c.reason != "" {
				require.NotNil(t, u, "mapped: %v", m)
				assert.Contains(t, u.Reason, c.reason)
				return
			}
			require.NotNil(t, m, "unsupported: %v", u)
			require.NoError(t, m.Event.Validate())
			assert.Contains(t, string(m.Event.Canonical()), c.want)
		})
	}
}

// TestEventIDs: the canonical id is the eventID (urn:uuid: and
// urn:chipledger:event: unwrapped), else the hash id.
func TestEventIDs(t *testing.T) {
	base := `"epcList": ["urn:epc:id:giai:4012345.SMC1"], "action": "OBSERVE", "bizStep": "installing", "bizLocation": {"id": "urn:chipledger:site:S-B"}, "cl:country": "SG", ` + pub
	for _, c := range []struct{ eventID, want string }{
		{"", ""}, // the hash id
		{`"eventID": "urn:uuid:0193F000-0000-7000-8000-000000000001", `, "0193f000-0000-7000-8000-000000000001"},
		{`"eventID": "urn:chipledger:event:evt%201", `, "evt 1"},
		{`"eventID": "ni:///sha-256;abc?ver=CBV2.0", `, "ni:///sha-256;abc?ver=CBV2.0"},
	} {
		m, u := mapOne(t, event(c.eventID+base), epcis.Options{})
		if c.want == "evt 1" {
			require.NotNil(t, u, "a space is not allowed in a canonical id")
			continue
		}
		require.NotNil(t, m, "%v", u)
		want := c.want
		if want == "" {
			want = m.HashID
			assert.True(t, strings.HasPrefix(want, "ni:///sha-256;"))
		}
		assert.Equal(t, want, m.Event.ID)
	}
	for _, id := range []string{"0193f000-0000-7000-8000-000000000001", "ni:///sha-256;abc?ver=CBV2.0", "evt-1", "urn:uuid:x", "urn:chipledger:event:y", "a b"} {
		assert.Equal(t, id, epcis.EventIDFromURI(epcis.EventURI(id)), id)
	}
}

// TestCorrections: an errorDeclaration retracts the event it declares
// wrong, found by the hash id (which leaves the declaration out), whether
// the corrected copy keeps the original's eventID or has a new one; the
// correction's id adds the declaration time, so it is never a duplicate of
// the original.
func TestCorrections(t *testing.T) {
	orig := `{"type": "ObjectEvent", "eventID": "urn:uuid:0193f000-0000-7000-8000-0000000000aa", "eventTime": "2025-01-20T09:00:00Z", "eventTimeZoneOffset": "+00:00",
 "epcList": ["urn:epc:id:giai:4012345.SMC1"], "action": "OBSERVE", "bizStep": "installing", "bizLocation": {"id": "urn:chipledger:site:S-B"}, "cl:country": "SG", "cl:rack": "R7", ` + pub + `}`
	decl := `"errorDeclaration": {"declarationTime": "2025-01-21T10:00:00+02:00", "reason": "incorrect_data", "correctiveEventIDs": ["urn:uuid:0193f000-0000-7000-8000-0000000000bb"]}`
	sameID := strings.Replace(orig, `"eventTime"`, decl+`, "recordTime": "2025-01-21T08:00:05Z", "eventTime"`, 1)
	newID := strings.Replace(sameID, "0000000000aa", "0000000000cc", 1)
	otherData := strings.Replace(newID, `"R7"`, `"R8"`, 1)
	withReason := strings.Replace(sameID, `"reason": "incorrect_data"`, `"reason": "incorrect_data", "cl:reason": "rack mistyped", "cl:publisher": "urn:chipledger:party:P-AUDIT"`, 1)

	d, err := epcis.Parse(doc("", orig, sameID, newID, otherData, withReason))
	require.NoError(t, err)
	ok, bad := d.Events()
	require.Empty(t, bad)
	require.Len(t, ok, 5)
	original := ok[0]
	assert.Equal(t, "0193f000-0000-7000-8000-0000000000aa", original.Event.ID)
	for i, c := range []struct {
		id, target, reason, publisher string
	}{
		{"0193f000-0000-7000-8000-0000000000aa@2025-01-21T08:00:00Z", original.Event.ID, "EPCIS errorDeclaration: incorrect_data; corrective events: urn:uuid:0193f000-0000-7000-8000-0000000000bb", "P-X"},
		{"0193f000-0000-7000-8000-0000000000cc@2025-01-21T08:00:00Z", original.Event.ID, "", "P-X"},
		// a copy that differs from the original has another hash: it targets that hash
		{"0193f000-0000-7000-8000-0000000000cc@2025-01-21T08:00:00Z", ok[3].HashID, "", "P-X"},
		{"0193f000-0000-7000-8000-0000000000aa@2025-01-21T08:00:00Z", original.Event.ID, "rack mistyped", "P-AUDIT"},
	} {
		m := ok[i+1]
		require.Equal(t, events.TypeCorrected, m.Event.Type)
		assert.Equal(t, c.id, m.Event.ID)
		assert.NotEqual(t, original.Event.ID, m.Event.ID)
		b := m.Event.Body.(*events.Corrected)
		assert.Equal(t, c.target, b.Target, "correction %d", i)
		assert.Equal(t, events.ActionRetract, b.Action)
		if c.reason != "" {
			assert.Equal(t, c.reason, b.Reason)
		}
		assert.Equal(t, c.publisher, m.Event.Publisher)
		assert.Equal(t, "2025-01-21T08:00:00Z", m.Event.OccurredAt.Format("2006-01-02T15:04:05Z07:00"), "a correction happens at its declaration")
	}
	assert.Equal(t, original.HashID, ok[1].HashID, "the copy hashes like the original")
	assert.Equal(t, original.HashID, ok[2].HashID, "whatever its eventID")
	assert.NotEqual(t, original.HashID, ok[3].HashID)

	// the original in another document: found through the ledger's index
	d, err = epcis.Parse(doc("", newID))
	require.NoError(t, err)
	index := map[string]string{original.HashID: original.Event.ID}
	ok, _ = d.EventsWith(epcis.Options{EventIDByHash: func(h string) (string, bool) { id, found := index[h]; return id, found }})
	require.Len(t, ok, 1)
	assert.Equal(t, original.Event.ID, ok[0].Event.Body.(*events.Corrected).Target)
	// and unknown: the target is the hash id itself
	ok, _ = d.Events()
	require.Len(t, ok, 1)
	assert.Equal(t, original.HashID, ok[0].Event.Body.(*events.Corrected).Target)
}

func TestValidationErrorStrings(t *testing.T) {
	e := &epcis.ValidationError{Path: "a.b", Reason: "bad"}
	assert.Equal(t, "epcis: a.b: bad", e.Error())
	assert.Equal(t, "epcis: bad", (&epcis.ValidationError{Reason: "bad"}).Error())
	es := epcis.ValidationErrors{e, {Path: "c", Reason: "worse"}}
	assert.Equal(t, "epcis: a.b: bad (and 1 more)", es.Error())
	assert.Len(t, es.Unwrap(), 2)
	_ = fmt.Sprint(es)
}

// TestEventsConcurrent: a Document is read-only after Parse; mapping it
// from several goroutines gives the same events (run with -race).
func TestEventsConcurrent(t *testing.T) {
	data, err := os.ReadFile("testdata/story.jsonld")
	require.NoError(t, err)
	d, err := epcis.Parse(data)
	require.NoError(t, err)
	first, _ := d.EventsWith(storyOptions)
	done := make(chan []epcis.Mapped)
	for range 4 {
		go func() {
			ok, _ := d.EventsWith(storyOptions)
			done <- ok
		}()
	}
	for range 4 {
		ok := <-done
		require.Len(t, ok, len(first))
		for i := range ok {
			assert.Equal(t, first[i].Event.Canonical(), ok[i].Event.Canonical())
		}
	}
}
