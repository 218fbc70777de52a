package epcis_test

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/epcis"
	"github.com/chipledger/chipledger/events"
)

// gs1Examples is where the GS1 EPCIS 2.0 JSON examples are (see SOURCE.md
// beside them).
const gs1Examples = "../../shared/external/epcis/JSON"

// exampleOptions is what a caller would know: who publishes (the GS1
// examples name no publisher) and the country of every site (they carry
// no master data).
var exampleOptions = epcis.Options{
	Publisher:   "P-EXAMPLE",
	SiteCountry: func(string) (string, bool) { return "DE", true },
}

// TestGS1Examples parses every JSON example of the GS1 EPCIS repository
// and maps its events: each file is refused as a whole (with the reason)
// or parsed, with the expected number of mapped and unsupported events
// and the reason of each unsupported one. docs/epcis.md explains the
// outcomes.
func TestGS1Examples(t *testing.T) {
	noParty := "needs a possessing_party or owning_party"
	cases := []struct {
		file        string
		refused     string   // the refusal, if the document is refused
		mapped      []string // canonical types of the mapped events, in order
		unsupported []string // a part of each unsupported event's reason, in order
	}{
		{file: "AssociationEvent/AssociationEvent-a.jsonld", unsupported: []string{"grai:4012345.55555.987\": only SGTIN (chips), GIAI (systems) and SSCC (packages)"}},
		{file: "AssociationEvent/AssociationEvent-b.jsonld", unsupported: []string{"parentID: EPC \"urn:epc:id:sgln:"}},
		{file: "AssociationEvent/AssociationEvent-c.jsonld", unsupported: []string{"parentID: EPC \"urn:epc:id:grai:"}},
		{file: "AssociationEvent/AssociationEvent-d.jsonld", unsupported: []string{"parentID: EPC \"urn:epc:id:grai:"}},
		{file: "AssociationEvent/AssociationEvent-e.jsonld", unsupported: []string{"parentID: EPC \"urn:epc:id:grai:"}},
		{file: "AssociationEvent/AssociationEvent-f.jsonld", unsupported: []string{"parentID: EPC \"urn:epc:id:grai:"}},
		{file: "AssociationEvent/AssociationEvent-g.jsonld", mapped: []string{events.TypeCorrected}},
		{file: "AssociationEvent/AssociationEvent-h.jsonld", refused: `duplicate key "eventID"`},
		{file: "EPCISQueryDocument.jsonld", unsupported: []string{noParty, noParty}},
		{file: "Example-TransactionEvents-2020_07_03y.jsonld", unsupported: []string{"urn:epc:id:gsrn:", "has lowercase letters"}},
		{file: "Example-Type-sourceOrDestination,measurement,bizTransaction.jsonld", unsupported: []string{"parentID: EPC \"urn:epc:id:grai:"}},
		{file: "Example_9.6.1-ObjectEvent-with-pseudo-SBDH-headers.jsonld", unsupported: []string{noParty, noParty}},
		{file: "Example_9.6.1-ObjectEvent.jsonld", unsupported: []string{noParty, noParty}},
		{file: "Example_9.6.2-ObjectEvent.jsonld", unsupported: []string{"class-level quantities"}},
		{file: "Example_9.6.3-AggregationEvent.jsonld", unsupported: []string{"AggregationEvent OBSERVE"}},
		{file: "Example_9.6.4-TransformationEvent.jsonld", unsupported: []string{"TransformationEvent: chipledger tracks units that keep their identity"}},
		{file: "PersistentDisposition-example.jsonld", mapped: []string{events.TypeReceived}, unsupported: []string{"OBSERVE inspecting without cl:result"}},
		{file: "WithDigitalLinkID/Example_9.6.1-ObjectEventWithDigitalLink.jsonld", unsupported: []string{noParty, noParty}},
		{file: "WithDigitalLinkID/Example_9.6.2-ObjectEventWithDigitalLink.jsonld", unsupported: []string{"class-level quantities"}},
		{file: "WithDigitalLinkID/Example_9.6.3-AggregationEventWithDigitalLink.jsonld", unsupported: []string{"AggregationEvent OBSERVE"}},
		{file: "WithDigitalLinkID/Example_9.6.4-TransformationEventWithDigitalLink.jsonld", unsupported: []string{"TransformationEvent"}},
		{file: "WithErrorDeclaration/ErrorDeclarationAndCorrectiveEvent.jsonld", mapped: []string{events.TypeCorrected}, unsupported: []string{"TransformationEvent"}},
		{file: "WithErrorDeclaration/Example_9.6.1-ObjectEvent-with-error-declaration.jsonld", mapped: []string{events.TypeCorrected}, unsupported: []string{noParty}},
		{file: "WithFullCombinationOfFields/aggregation_event_all_possible_fields.jsonld", mapped: []string{events.TypeCorrected}},
		{file: "WithFullCombinationOfFields/association_event_all_possible_fields.jsonld", mapped: []string{events.TypeCorrected}},
		{file: "WithFullCombinationOfFields/object_event_all_possible_fields.jsonld", mapped: []string{events.TypeCorrected}},
		{file: "WithFullCombinationOfFields/transaction_event_all_possible_fields.jsonld", mapped: []string{events.TypeCorrected}},
		{file: "WithFullCombinationOfFields/transformation_event_all_possible_fields.jsonld", mapped: []string{events.TypeCorrected}},
		{file: "WithSensorData/SensorDataExample1.jsonld", unsupported: []string{"OBSERVE inspecting without cl:result"}},
		{file: "WithSensorData/SensorDataExample13.jsonld", unsupported: []string{`business step "sensor_reporting": no custody event`}},
		{file: "WithSensorData/SensorDataExample14.jsonld", unsupported: []string{`"sensor_reporting"`}},
		{file: "WithSensorData/SensorDataExample16.jsonld", unsupported: []string{`"sensor_reporting"`}},
		{file: "WithSensorData/SensorDataExample9.jsonld", unsupported: []string{`"sensor_reporting"`}},
	}
	// the table covers every example, and only them
	var files []string
	require.NoError(t, filepath.WalkDir(gs1Examples, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".jsonld")) {
			rel, _ := filepath.Rel(gs1Examples, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	}))
	var listed []string
	for _, c := range cases {
		listed = append(listed, c.file)
	}
	sort.Strings(files)
	sort.Strings(listed)
	require.Len(t, files, 33)
	require.Equal(t, files, listed)

	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(gs1Examples, c.file))
			require.NoError(t, err)
			d, err := epcis.Parse(data)
			if c.refused != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), c.refused)
				return
			}
			require.NoError(t, err)
			ok, bad := d.EventsWith(exampleOptions)
			require.Equal(t, d.Len(), len(ok)+len(bad), "every event is mapped or unsupported")
			var types []string
			for _, m := range ok {
				require.NoError(t, m.Event.Validate())
				types = append(types, m.Event.Type)
				h, err := d.HashID(m.Index)
				require.NoError(t, err)
				assert.Equal(t, h, m.HashID)
			}
			assert.Equal(t, c.mapped, types)
			require.Len(t, bad, len(c.unsupported), "unsupported: %v", bad)
			for i, u := range bad {
				assert.Contains(t, u.Reason, c.unsupported[i])
				assert.NotEmpty(t, u.Type)
				assert.True(t, strings.HasPrefix(u.HashID, "ni:///sha-256;"))
			}
		})
	}
}

// TestExamplesWithoutOptions: with no publisher known, an event of a
// document without sender or cl:publisher is unsupported, not guessed.
func TestExamplesWithoutOptions(t *testing.T) {
	for _, c := range []struct {
		file   string
		mapped int
		reason string
	}{
		{"WithErrorDeclaration/Example_9.6.1-ObjectEvent-with-error-declaration.jsonld", 0, "no publisher"},
		{"AssociationEvent/AssociationEvent-g.jsonld", 0, "no publisher"},
		// these documents have a sender: it publishes
		{"WithFullCombinationOfFields/object_event_all_possible_fields.jsonld", 1, ""},
	} {
		t.Run(c.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(gs1Examples, c.file))
			require.NoError(t, err)
			d, err := epcis.Parse(data)
			require.NoError(t, err)
			ok, bad := d.Events()
			require.Len(t, ok, c.mapped)
			for _, u := range bad {
				assert.Contains(t, u.Reason, c.reason)
			}
			for _, m := range ok {
				assert.Equal(t, "https://id.gs1.org/414/0353579000019", m.Event.Publisher, "the sender, as a canonical GLN")
			}
		})
	}
}

// doc wraps events in a minimal valid EPCISDocument.
func doc(header string, events ...string) []byte {
	h := ""
	if header != "" {
		h = `"epcisHeader": ` + header + `,`
	}
	return []byte(`{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"cl": "https://chipledger.example/epcis/v1/"}],
"type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2025-01-01T00:00:00Z", ` + h + `
"epcisBody": {"eventList": [` + strings.Join(events, ",") + `]}}`)
}

const shipping = `{"type": "ObjectEvent", "eventTime": "2025-01-10T08:00:00Z", "eventTimeZoneOffset": "+00:00",
 "epcList": ["urn:epc:id:sscc:4012345.0000000111"], "action": "OBSERVE", "bizStep": "shipping"%s}`

func TestParseRefusals(t *testing.T) {
	valid := `{"type": "ObjectEvent", "eventTime": "2025-01-10T08:00:00Z", "eventTimeZoneOffset": "+00:00", "epcList": [], "action": "OBSERVE"}`
	many := make([]string, epcis.MaxEvents+1)
	for i := range many {
		many[i] = valid
	}
	cases := []struct {
		name   string
		data   []byte
		path   string // of the first error
		reason string
	}{
		{"not JSON", []byte(`{"type": `), "", "not JSON"},
		{"trailing data", append(doc("", valid), []byte(` {}`)...), "", "trailing data"},
		{"an array", []byte(`[]`), "", "a document must be a JSON object"},
		{"invalid UTF-8", []byte("{\"type\": \"\xff\"}"), "", "UTF-8"},
		{"too large", make([]byte, epcis.MaxDocumentBytes+1), "", "more than"},
		{"duplicate key", []byte(`{"type": "EPCISDocument", "type": "EPCISDocument"}`), "", `duplicate key "type"`},
		{"duplicate key spelt with an escape", []byte(`{"type": "EPCISDocument", "typ\u0065": "x"}`), "", `duplicate key "type"`},
		{"too deep", []byte(strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 40)), "", "nesting deeper"},
		{"a bare event", []byte(valid), "type", "must be \"EPCISDocument\""},
		{"too many events", doc("", many...), "epcisBody.eventList", "more than 10000"},
		{"no creationDate", []byte(`{"@context": "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", "type": "EPCISDocument", "schemaVersion": "2.0", "epcisBody": {"eventList": []}}`),
			"", "creationDate"},
		{"no eventTime", doc("", `{"type": "ObjectEvent", "eventTimeZoneOffset": "+00:00", "epcList": [], "action": "OBSERVE"}`),
			"epcisBody.eventList[0]", "eventTime"},
		{"bad action", doc("", `{"type": "ObjectEvent", "eventTime": "2025-01-10T08:00:00Z", "eventTimeZoneOffset": "+00:00", "epcList": [], "action": "MOVE"}`),
			"epcisBody.eventList[0].action", "MOVE"},
		{"bad time zone offset", doc("", `{"type": "ObjectEvent", "eventTime": "2025-01-10T08:00:00Z", "eventTimeZoneOffset": "+25:00", "epcList": [], "action": "OBSERVE"}`),
			"epcisBody.eventList[0].eventTimeZoneOffset", "does not match pattern"},
		{"bare business step not in CBV", doc("", `{"type": "ObjectEvent", "eventTime": "2025-01-10T08:00:00Z", "eventTimeZoneOffset": "+00:00", "epcList": [], "action": "OBSERVE", "bizStep": "shippin"}`),
			"epcisBody.eventList[0].bizStep", ""},
		{"CBV 1.x URN where the schema wants the bare word", doc("", `{"type": "ObjectEvent", "eventTime": "2025-01-10T08:00:00Z", "eventTimeZoneOffset": "+00:00", "epcList": [], "action": "OBSERVE", "bizStep": "urn:epcglobal:cbv:bizstep:shipping"}`),
			"epcisBody.eventList[0].bizStep", ""},
		{"CBV web URI of no business step", doc("", `{"type": "ObjectEvent", "eventTime": "2025-01-10T08:00:00Z", "eventTimeZoneOffset": "+00:00", "epcList": [], "action": "OBSERVE", "bizStep": "https://ref.gs1.org/cbv/BizStep-shippin"}`),
			"epcisBody.eventList[0].bizStep", "is not a CBV business step"},
		{"a disposition as business step", doc("", `{"type": "ObjectEvent", "eventTime": "2025-01-10T08:00:00Z", "eventTimeZoneOffset": "+00:00", "epcList": [], "action": "OBSERVE", "bizStep": "https://ref.gs1.org/cbv/Disp-in_transit"}`),
			"epcisBody.eventList[0].bizStep", "is a CBV disposition, not a business step"},
		{"bad disposition URI", doc("", `{"type": "ObjectEvent", "eventTime": "2025-01-10T08:00:00Z", "eventTimeZoneOffset": "+00:00", "epcList": [], "action": "OBSERVE", "disposition": "https://ref.gs1.org/cbv/Disp-lost"}`),
			"epcisBody.eventList[0].disposition", "not a CBV disposition"},
		{"bad business transaction type", doc("", `{"type": "ObjectEvent", "eventTime": "2025-01-10T08:00:00Z", "eventTimeZoneOffset": "+00:00", "epcList": [], "action": "OBSERVE", "bizTransactionList": [{"type": "invoice", "bizTransaction": "urn:x:1"}]}`),
			"epcisBody.eventList[0].bizTransactionList[0].type", ""},
		{"bad business transaction type URI", doc("", `{"type": "ObjectEvent", "eventTime": "2025-01-10T08:00:00Z", "eventTimeZoneOffset": "+00:00", "epcList": [], "action": "OBSERVE", "bizTransactionList": [{"type": "https://ref.gs1.org/cbv/BTT-invoice", "bizTransaction": "urn:x:1"}]}`),
			"epcisBody.eventList[0].bizTransactionList[0].type", "not a CBV business transaction type"},
		{"bad source type", doc("", `{"type": "ObjectEvent", "eventTime": "2025-01-10T08:00:00Z", "eventTimeZoneOffset": "+00:00", "epcList": [], "action": "OBSERVE", "sourceList": [{"type": "owner", "source": "urn:x:1"}]}`),
			"epcisBody.eventList[0].sourceList[0].type", ""},
		{"bad destination type URI", doc("", `{"type": "ObjectEvent", "eventTime": "2025-01-10T08:00:00Z", "eventTimeZoneOffset": "+00:00", "epcList": [], "action": "OBSERVE", "destinationList": [{"type": "https://ref.gs1.org/cbv/SDT-owner", "destination": "urn:x:1"}]}`),
			"epcisBody.eventList[0].destinationList[0].type", "not a CBV source/destination type"},
		{"bad error reason URI", doc("", `{"type": "ObjectEvent", "eventTime": "2025-01-10T08:00:00Z", "eventTimeZoneOffset": "+00:00", "epcList": [], "action": "OBSERVE", "errorDeclaration": {"declarationTime": "2025-02-01T00:00:00Z", "reason": "https://ref.gs1.org/cbv/ER-typo"}}`),
			"epcisBody.eventList[0].errorDeclaration.reason", "not a CBV error reason"},
		{"unknown event field", doc("", `{"type": "ObjectEvent", "eventTime": "2025-01-10T08:00:00Z", "eventTimeZoneOffset": "+00:00", "epcList": [], "action": "OBSERVE", "colour": "red"}`),
			"epcisBody.eventList[0].colour", `key "colour" is not allowed here`},
		{"an EPC that is no URI", doc("", `{"type": "ObjectEvent", "eventTime": "2025-01-10T08:00:00Z", "eventTimeZoneOffset": "+00:00", "epcList": ["not a uri"], "action": "OBSERVE"}`),
			"epcisBody.eventList[0].epcList[0]", ""},
		{"master data country", doc(`{"epcisMasterData": {"vocabularyList": [{"type": "urn:epcglobal:epcis:vtype:BusinessLocation", "vocabularyElementList": [{"id": "urn:epc:id:sgln:4012345.00011.0", "attributes": [{"id": "urn:epcglobal:cbv:mda:countryCode", "attribute": "usa"}]}]}]}}`, valid),
			"epcisHeader.epcisMasterData.vocabularyList[0].vocabularyElementList[0].attributes[0].attribute", "not ISO 3166-1 alpha-2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := epcis.Parse(c.data)
			require.Error(t, err)
			assert.Nil(t, d)
			var errs epcis.ValidationErrors
			require.True(t, errors.As(err, &errs), "%T", err)
			require.NotEmpty(t, errs)
			var one *epcis.ValidationError
			require.True(t, errors.As(err, &one))
			found := false
			for _, e := range errs {
				if e.Path == c.path && strings.Contains(e.Reason, c.reason) {
					found = true
				}
			}
			assert.True(t, found, "want an error at %q with %q, got %v", c.path, c.reason, errs)
		})
	}
}

// TestParseValid checks what Parse reads from a valid document.
func TestParseValid(t *testing.T) {
	data, err := os.ReadFile("testdata/story.jsonld")
	require.NoError(t, err)
	d, err := epcis.Parse(data)
	require.NoError(t, err)
	assert.Equal(t, epcis.TypeDocument, d.Type)
	assert.Equal(t, "2.0", d.SchemaVersion)
	assert.Equal(t, "2025-01-20T12:00:00Z", d.CreationDate.Format("2006-01-02T15:04:05Z07:00"))
	assert.Equal(t, "urn:chipledger:party:P-CHIPLEDGER-GW", d.Sender)
	assert.Equal(t, 11, d.Len())
	assert.Equal(t, epcis.Location{ID: "urn:epc:id:sgln:4711111.00001.0", Country: "TW", Name: "Hsinchu test and packaging"},
		d.Locations["https://id.gs1.org/414/4711111000013"])
	assert.Equal(t, "US", d.Locations["https://id.gs1.org/414/4012345000115"].Country, "cbvmda:countryCode through the context")
	assert.Equal(t, "SG", d.Locations["https://id.gs1.org/414/8888888000013/254/7"].Country, "a child location takes its parent's country")
	b, err := d.EventJSON(0)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"cl:model":"H100-SXM5-80GB"`)
	_, err = d.HashID(11)
	assert.Error(t, err)
}
