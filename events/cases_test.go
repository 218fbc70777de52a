package events_test

import (
	"fmt"
	"strings"

	"github.com/chipledger/chipledger/events"
)

// envelope wraps a body of type typ in a valid envelope.
func envelope(typ, body string) string {
	return `{"id":"0194a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b","type":"` + typ +
		`","occurred_at":"2025-01-10T08:00:00Z","recorded_at":"2025-01-10T08:00:05Z","publisher":"P-SUPERMICRO","body":` + body + `}`
}

const shippedBody = `{"units":["chip:1652423000001"],"from":{"party":"P-SUPERMICRO","country":"US"},"to":{"party":"P-LIONCITY","country":"SG"}}`

var shippedJSON = envelope(events.TypeShipped, shippedBody)

const licenceBody = `{"licence":"D1234567","holder":"P-SUPERMICRO","destination_country":"AE","eccn":"4A090.a","quantity":512,"valid_from":"2025-02-01","valid_until":"2027-01-31"}`

const attestedBody = `{"units":["chip:1652423000001"],"country":"SG","lat":1.3329,"lon":103.7436,"method":"telemetry","attestor":"P-NVIDIA"}`

const installedJSON = `{"id":"0194a1b2-c3d4-7e5f-8a6b-000000000001","type":"unit.installed.v1","occurred_at":"2025-01-20T09:00:00Z","recorded_at":"2025-01-20T09:00:05Z","publisher":"P-MERLION-CLOUD","body":{"units":["sys:SMC-A1"],"site":"S-MERLION-DC1","country":"SG","rack":"H12-R09"}}`

func correctedBody(action, amended string) string {
	b := `{"target":"0194a1b2-c3d4-7e5f-8a6b-000000000001","action":"` + action + `","reason":"rack mistyped"`
	if amended != "" {
		b += `,"amended":` + amended
	}
	return b + "}"
}

// must replaces old by new in s exactly once, so a case cannot silently
// test the unmodified input.
func must(s, old, new string) string {
	if strings.Count(s, old) != 1 {
		panic(fmt.Sprintf("must: %q occurs %d times in %s", old, strings.Count(s, old), s))
	}
	return strings.Replace(s, old, new, 1)
}

type badCase struct {
	name   string
	input  string
	reason string // events.Reason label
	field  string // ValidationError.Field
}

// unitList returns n distinct unit ids as a JSON array.
func unitList(n int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"chip:%d"`, i)
	}
	b.WriteByte(']')
	return b.String()
}

func deep(n int) string {
	return strings.Repeat("[", n) + strings.Repeat("]", n)
}

// badCases is every class of bad input with the reason Decode must give.
// It seeds FuzzDecode too.
func badCases() []badCase {
	bigContent := strings.Repeat("\u2028", 80_000) // 240,000 bytes in, 480,000 bytes canonical (\u2028 is escaped)
	return []badCase{
		// whole input
		{"empty", ``, events.ReasonNotJSON, ""},
		{"not json", `chip shipped`, events.ReasonNotJSON, ""},
		{"array", `[` + shippedJSON + `]`, events.ReasonNotJSON, ""},
		{"string", `"unit.shipped.v1"`, events.ReasonNotJSON, ""},
		{"truncated", shippedJSON[:len(shippedJSON)-1], events.ReasonNotJSON, ""},
		{"trailing object", shippedJSON + "\n" + shippedJSON, events.ReasonNotJSON, ""},
		{"trailing garbage", shippedJSON + "x", events.ReasonNotJSON, ""},
		{"syntax error", must(shippedJSON, `"to":`, `"to"`), events.ReasonNotJSON, ""},
		{"invalid utf8", must(shippedJSON, `P-LIONCITY`, "P-LION\xffCITY"), events.ReasonInvalidUTF8, ""},
		{"too large", envelope(events.TypeShipped, must(shippedBody, `"units":`, `"goods_description":"`+strings.Repeat("x", events.MaxEventBytes)+`","units":`)), events.ReasonTooLarge, ""},
		{"canonical too large", envelope(events.TypePolicyActivated, `{"name":"p","version":"1","digest":"`+events.Digest([]byte(bigContent))+`","effective":"2025-01-01","source":"test","content":"`+bigContent+`"}`), events.ReasonTooLarge, ""},
		{"nesting too deep", envelope(events.TypeShipped, must(shippedBody, `"units":`, `"x":`+deep(20)+`,"units":`)), events.ReasonInvalid, "body.x[0][0][0][0][0][0][0][0][0][0][0][0][0][0]"},

		// keys
		{"duplicate top-level key", must(shippedJSON, `"type":`, `"id":"again","type":`), events.ReasonDuplicateKey, "id"},
		{"duplicate nested key", envelope(events.TypeShipped, must(shippedBody, `"country":"US"`, `"country":"US","country":"CN"`)), events.ReasonDuplicateKey, "body.from.country"},
		{"duplicate key via escape", must(shippedJSON, `"type":`, `"\u0069d":"again","type":`), events.ReasonDuplicateKey, "id"},
		{"case-variant key ID", must(shippedJSON, `"id":`, `"ID":`), events.ReasonBadKey, `"ID"`},
		{"case-variant key beside the real one", must(shippedJSON, `"type":`, `"ID":"other","type":`), events.ReasonBadKey, `"ID"`},
		{"case-variant body key", envelope(events.TypeShipped, must(shippedBody, `"units":`, `"Units":`)), events.ReasonBadKey, `body."Units"`},
		{"kebab-case key", envelope(events.TypeShipped, must(shippedBody, `"units":`, `"shipment-id":"S1","units":`)), events.ReasonBadKey, `body."shipment-id"`},
		{"empty key", must(shippedJSON, `"type":`, `"":1,"type":`), events.ReasonBadKey, `""`},
		{"key too long", must(shippedJSON, `"type":`, `"`+strings.Repeat("k", 65)+`":1,"type":`), events.ReasonBadKey, `"` + strings.Repeat("k", 64) + `"...`},

		// envelope
		{"unknown type", must(shippedJSON, `unit.shipped.v1`, `unit.teleported.v1`), events.ReasonUnknownType, "type"},
		{"unknown version", must(shippedJSON, `unit.shipped.v1`, `unit.shipped.v2`), events.ReasonUnknownType, "type"},
		{"missing type", must(shippedJSON, `"type":"unit.shipped.v1",`, ``), events.ReasonMissingField, "type"},
		{"missing id", must(shippedJSON, `"id":"0194a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b",`, ``), events.ReasonMissingField, "id"},
		{"null id", must(shippedJSON, `"0194a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"`, `null`), events.ReasonMissingField, "id"},
		{"numeric id", must(shippedJSON, `"0194a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"`, `42`), events.ReasonInvalid, "id"},
		{"id with space", must(shippedJSON, `0194a1b2-c3d4`, `0194a1b2 c3d4`), events.ReasonOutOfRange, "id"},
		{"id too long", must(shippedJSON, `0194a1b2-c3d4`, strings.Repeat("a", 129)), events.ReasonOutOfRange, "id"},
		{"missing occurred_at", must(shippedJSON, `"occurred_at":"2025-01-10T08:00:00Z",`, ``), events.ReasonMissingField, "occurred_at"},
		{"time without zone", must(shippedJSON, `"2025-01-10T08:00:00Z"`, `"2025-01-10T08:00:00"`), events.ReasonOutOfRange, "occurred_at"},
		{"lowercase t", must(shippedJSON, `"2025-01-10T08:00:00Z"`, `"2025-01-10t08:00:00Z"`), events.ReasonOutOfRange, "occurred_at"},
		{"offset without colon", must(shippedJSON, `"2025-01-10T08:00:00Z"`, `"2025-01-10T08:00:00+0800"`), events.ReasonOutOfRange, "occurred_at"},
		{"offset 24 hours", must(shippedJSON, `"2025-01-10T08:00:00Z"`, `"2025-01-10T08:00:00+24:00"`), events.ReasonOutOfRange, "occurred_at"},
		{"comma fraction", must(shippedJSON, `"2025-01-10T08:00:00Z"`, `"2025-01-10T08:00:00,5Z"`), events.ReasonOutOfRange, "occurred_at"},
		{"fraction below nanoseconds", must(shippedJSON, `"2025-01-10T08:00:00Z"`, `"2025-01-10T08:00:00.1234567891Z"`), events.ReasonOutOfRange, "occurred_at"},
		{"hour 24", must(shippedJSON, `"2025-01-10T08:00:00Z"`, `"2025-01-10T24:00:00Z"`), events.ReasonOutOfRange, "occurred_at"},
		{"leap second", must(shippedJSON, `"2025-01-10T08:00:00Z"`, `"2016-12-31T23:59:60Z"`), events.ReasonOutOfRange, "occurred_at"},
		{"date as time", must(shippedJSON, `"2025-01-10T08:00:00Z"`, `"2025-01-10"`), events.ReasonOutOfRange, "occurred_at"},
		{"time before 1970", must(shippedJSON, `"2025-01-10T08:00:00Z"`, `"1969-12-31T23:59:59Z"`), events.ReasonOutOfRange, "occurred_at"},
		{"time after 2200", must(shippedJSON, `"2025-01-10T08:00:05Z"`, `"2201-01-01T00:00:00Z"`), events.ReasonOutOfRange, "recorded_at"},
		{"time after 2200 in UTC", must(shippedJSON, `"2025-01-10T08:00:05Z"`, `"2200-12-31T23:00:00-05:00"`), events.ReasonOutOfRange, "recorded_at"},
		{"missing publisher", must(shippedJSON, `"publisher":"P-SUPERMICRO",`, ``), events.ReasonMissingField, "publisher"},
		{"missing body", must(shippedJSON, `,"body":`+shippedBody, ``), events.ReasonMissingField, "body"},
		{"null body", envelope(events.TypeShipped, `null`), events.ReasonMissingField, "body"},
		{"array body", envelope(events.TypeShipped, `[]`), events.ReasonInvalid, "body"},
		{"empty body", envelope(events.TypeShipped, `{}`), events.ReasonMissingField, "body.units"},
		{"unknown envelope field", must(shippedJSON, `"type":`, `"extra":1,"type":`), events.ReasonUnknownField, "extra"},

		// body fields
		{"unknown body field", envelope(events.TypeShipped, must(shippedBody, `"units":`, `"colour":"green","units":`)), events.ReasonUnknownField, "body.colour"},
		{"unknown nested field", envelope(events.TypeShipped, must(shippedBody, `"country":"US"`, `"country":"US","city":"San Jose"`)), events.ReasonUnknownField, "body.from.city"},
		{"field of another type", envelope(events.TypeShipped, must(shippedBody, `"units":`, `"rack":"R1","units":`)), events.ReasonUnknownField, "body.rack"},
		{"wrong JSON type", envelope(events.TypeShipped, must(shippedBody, `["chip:1652423000001"]`, `"chip:1652423000001"`)), events.ReasonInvalid, "body.units"},
		{"bad country usa", envelope(events.TypeShipped, must(shippedBody, `"US"`, `"usa"`)), events.ReasonOutOfRange, "body.from.country"},
		{"lowercase country", envelope(events.TypeShipped, must(shippedBody, `"US"`, `"us"`)), events.ReasonOutOfRange, "body.from.country"},
		{"bad transit country", envelope(events.TypeShipped, must(shippedBody, `"units":`, `"via":["MY","Malaysia"],"units":`)), events.ReasonOutOfRange, "body.via[1]"},
		{"bad unit kind", envelope(events.TypeShipped, must(shippedBody, `chip:1652423000001`, `gpu:1652423000001`)), events.ReasonOutOfRange, "body.units[0]"},
		{"unit without kind", envelope(events.TypeShipped, must(shippedBody, `chip:1652423000001`, `1652423000001`)), events.ReasonOutOfRange, "body.units[0]"},
		{"unit serial with space", envelope(events.TypeShipped, must(shippedBody, `chip:1652423000001`, `chip:1652 423000001`)), events.ReasonOutOfRange, "body.units[0]"},
		{"duplicate unit after normalisation", envelope(events.TypeShipped, must(shippedBody, `["chip:1652423000001"]`, `["chip:abc","CHIP:ABC"]`)), events.ReasonInvalid, "body.units[1]"},
		{"empty units", envelope(events.TypeShipped, must(shippedBody, `["chip:1652423000001"]`, `[]`)), events.ReasonMissingField, "body.units"},
		{"10000 units", envelope(events.TypeShipped, must(shippedBody, `["chip:1652423000001"]`, unitList(10_000))), events.ReasonTooManyUnits, "body.units"},
		{"string too long", envelope(events.TypeShipped, must(shippedBody, `"units":`, `"goods_description":"`+strings.Repeat("x", 1025)+`","units":`)), events.ReasonOutOfRange, "body.goods_description"},
		{"party id too long", envelope(events.TypeShipped, must(shippedBody, `"P-LIONCITY"`, `"`+strings.Repeat("P", 129)+`"`)), events.ReasonOutOfRange, "body.to.party"},
		{"control character in party id", envelope(events.TypeShipped, must(shippedBody, `"P-LIONCITY"`, `"P-LION\u0000CITY"`)), events.ReasonOutOfRange, "body.to.party"},
		{"party id with trailing space", envelope(events.TypeShipped, must(shippedBody, `"P-LIONCITY"`, `"P-LIONCITY "`)), events.ReasonOutOfRange, "body.to.party"},
		{"number too long", envelope(events.TypeLocationAttested, must(attestedBody, `1.3329`, "1."+strings.Repeat("3", 70))), events.ReasonOutOfRange, "body.lat"},
		{"lat 91", envelope(events.TypeLocationAttested, must(attestedBody, `1.3329`, `91`)), events.ReasonOutOfRange, "body.lat"},
		{"lon -181", envelope(events.TypeLocationAttested, must(attestedBody, `103.7436`, `-181`)), events.ReasonOutOfRange, "body.lon"},
		{"lat without lon", envelope(events.TypeLocationAttested, must(attestedBody, `,"lon":103.7436`, ``)), events.ReasonMissingField, "body.lon"},
		{"lat as string", envelope(events.TypeLocationAttested, must(attestedBody, `1.3329`, `"1.3329"`)), events.ReasonInvalid, "body.lat"},
		{"quantity 0", envelope(events.TypeLicenceGranted, must(licenceBody, `512`, `0`)), events.ReasonOutOfRange, "body.quantity"},
		{"quantity negative", envelope(events.TypeLicenceGranted, must(licenceBody, `512`, `-5`)), events.ReasonOutOfRange, "body.quantity"},
		{"quantity fraction", envelope(events.TypeLicenceGranted, must(licenceBody, `512`, `1.5`)), events.ReasonOutOfRange, "body.quantity"},
		{"quantity overflow", envelope(events.TypeLicenceGranted, must(licenceBody, `512`, `1e30`)), events.ReasonOutOfRange, "body.quantity"},
		{"quantity as string", envelope(events.TypeLicenceGranted, must(licenceBody, `512`, `"512"`)), events.ReasonInvalid, "body.quantity"},
		{"bad date month 13", envelope(events.TypeLicenceGranted, must(licenceBody, `2025-02-01`, `2025-13-01`)), events.ReasonOutOfRange, "body.valid_from"},
		{"bad date short", envelope(events.TypeLicenceGranted, must(licenceBody, `2025-02-01`, `2025-2-1`)), events.ReasonOutOfRange, "body.valid_from"},
		{"bad date 31 February", envelope(events.TypeLicenceGranted, must(licenceBody, `2025-02-01`, `2025-02-31`)), events.ReasonOutOfRange, "body.valid_from"},
		{"validity reversed", envelope(events.TypeLicenceGranted, must(licenceBody, `2027-01-31`, `2024-01-31`)), events.ReasonInvalid, "body.valid_until"},
		{"unknown party type", envelope(events.TypePartyRegistered, `{"party":"P-X","name":"X","country":"SG","hq_country":"SG","types":["smuggler"]}`), events.ReasonOutOfRange, "body.types[0]"},
		{"duplicate party type", envelope(events.TypePartyRegistered, `{"party":"P-X","name":"X","country":"SG","hq_country":"SG","types":["bank","bank"]}`), events.ReasonInvalid, "body.types[1]"},
		{"unknown party field", envelope(events.TypePartyRegistered, `{"party":"P-X","name":"X","country":"SG","hq_country":"SG","types":["bank"],"ceo":"Y"}`), events.ReasonUnknownField, "body.ceo"},
		{"unknown policy field", envelope(events.TypePolicyActivated, `{"name":"p","version":"1","digest":"`+events.Digest([]byte("x"))+`","effective":"2025-01-02","source":"test","contents":"x"}`), events.ReasonUnknownField, "body.contents"},
		{"float overflow", envelope(events.TypeLocationAttested, must(attestedBody, `1.3329`, `1e400`)), events.ReasonOutOfRange, "body.lat"},
		{"unknown site kind", envelope(events.TypeSiteRegistered, `{"site":"S1","party":"P1","country":"SG","kind":"bunker"}`), events.ReasonOutOfRange, "body.kind"},
		{"negative capacity", envelope(events.TypeSiteRegistered, `{"site":"S1","party":"P1","country":"SG","declared_capacity_units":-1}`), events.ReasonOutOfRange, "body.declared_capacity_units"},
		{"lowercase currency", envelope(events.TypeOwnershipTransferred, `{"units":["sys:A1"],"seller":"P1","buyer":"P2","price":{"amount":"10.00","currency":"usd"}}`), events.ReasonOutOfRange, "body.price.currency"},
		{"negative amount", envelope(events.TypeOwnershipTransferred, `{"units":["sys:A1"],"seller":"P1","buyer":"P2","price":{"amount":"-10.00","currency":"USD"}}`), events.ReasonOutOfRange, "body.price.amount"},
		{"price without currency", envelope(events.TypeOwnershipTransferred, `{"units":["sys:A1"],"seller":"P1","buyer":"P2","price":{"amount":"10.00"}}`), events.ReasonMissingField, "body.price.currency"},
		{"assembled into a package", envelope(events.TypeAssembled, `{"parent":"pkg:P1","children":["chip:C1"]}`), events.ReasonInvalid, "body.parent"},
		{"packed into a chip", envelope(events.TypePacked, `{"parent":"chip:C1","children":["sys:S1"]}`), events.ReasonInvalid, "body.parent"},
		{"assembled a package", envelope(events.TypeAssembled, `{"parent":"sys:S1","children":["pkg:P1"]}`), events.ReasonInvalid, "body.children[0]"},
		{"unit inside itself", envelope(events.TypePacked, `{"parent":"pkg:P1","children":["sys:S1","PKG:p1"]}`), events.ReasonInvalid, "body.children[1]"},
		{"bad lab result", envelope(events.TypeLabTestRecorded, `{"unit":"chip:C1","lab":"P-LAB","result":"ok"}`), events.ReasonOutOfRange, "body.result"},
		{"malformed digest", envelope(events.TypeScreeningActivated, `{"name":"us-csl","version":"1","digest":"sha256:ABC","effective":"2025-01-02","source":"trade.gov"}`), events.ReasonOutOfRange, "body.digest"},
		{"digest does not match content", envelope(events.TypePolicyActivated, `{"name":"p","version":"1","digest":"`+events.Digest([]byte("other"))+`","effective":"2025-01-02","source":"test","content":"rules"}`), events.ReasonInvalid, "body.digest"},

		// corrections
		{"amend without amended", envelope(events.TypeCorrected, correctedBody("amend", "")), events.ReasonMissingField, "body.amended"},
		{"retract with amended", envelope(events.TypeCorrected, correctedBody("retract", installedJSON)), events.ReasonInvalid, "body.amended"},
		{"unknown action", envelope(events.TypeCorrected, correctedBody("delete", "")), events.ReasonOutOfRange, "body.action"},
		{"amended id is not the target", envelope(events.TypeCorrected, correctedBody("amend", must(installedJSON, `000000000001`, `000000000002`))), events.ReasonInvalid, "body.amended.id"},
		{"amended is a correction", envelope(events.TypeCorrected, correctedBody("amend", must(envelope(events.TypeCorrected, correctedBody("retract", "")), `7c8d9e0f1a2b`, `000000000001`))), events.ReasonInvalid, "body.amended.type"},
		{"amended with unknown field", envelope(events.TypeCorrected, correctedBody("amend", must(installedJSON, `"rack":`, `"colour":"red","rack":`))), events.ReasonUnknownField, "body.amended.body.colour"},
		{"amended with bad country", envelope(events.TypeCorrected, correctedBody("amend", must(installedJSON, `"SG"`, `"SGP"`))), events.ReasonOutOfRange, "body.amended.body.country"},
		{"amended with duplicate key", envelope(events.TypeCorrected, correctedBody("amend", must(installedJSON, `"rack":`, `"site":"S2","rack":`))), events.ReasonDuplicateKey, "body.amended.body.site"},
		{"amended with unknown type", envelope(events.TypeCorrected, correctedBody("amend", must(installedJSON, `unit.installed.v1`, `unit.installed.v9`))), events.ReasonUnknownType, "body.amended.type"},
		{"amended not an object", envelope(events.TypeCorrected, correctedBody("amend", `"x"`)), events.ReasonInvalid, "body.amended"},
	}
}

// missingCases names one required field per type (JSON key in the body)
// and the path Decode reports when it is removed from the type's example.
var missingCases = map[string]struct{ key, field string }{
	events.TypeCommissioned:         {"manufacturer", "body.manufacturer"},
	events.TypeAssembled:            {"parent", "body.parent"},
	events.TypeDisassembled:         {"children", "body.children"},
	events.TypePacked:               {"parent", "body.parent"},
	events.TypeUnpacked:             {"children", "body.children"},
	events.TypeShipped:              {"from", "body.from.party"},
	events.TypeReceived:             {"at", "body.at.party"},
	events.TypeOwnershipTransferred: {"buyer", "body.buyer"},
	events.TypeExportDeclared:       {"destination_country", "body.destination_country"},
	events.TypeInstalled:            {"site", "body.site"},
	events.TypeLocationAttested:     {"method", "body.method"},
	events.TypeReturned:             {"to", "body.to"},
	events.TypeDestroyed:            {"by", "body.by"},
	events.TypeReportedLost:         {"party", "body.party"},
	events.TypePartyRegistered:      {"hq_country", "body.hq_country"},
	events.TypePartyUpdated:         {"types", "body.types"},
	events.TypeSiteRegistered:       {"country", "body.country"},
	events.TypeLicenceGranted:       {"valid_until", "body.valid_until"},
	events.TypeLicenceRevoked:       {"licence", "body.licence"},
	events.TypeCorrected:            {"reason", "body.reason"},
	events.TypePolicyActivated:      {"digest", "body.digest"},
	events.TypeScreeningActivated:   {"source", "body.source"},
	events.TypeLabTestRecorded:      {"result", "body.result"},
	events.TypeAlertAcknowledged:    {"investigator", "body.investigator"},
	events.TypeAlertDismissed:       {"reason", "body.reason"},
	events.TypeAlertEscalated:       {"alert", "body.alert"},
}
