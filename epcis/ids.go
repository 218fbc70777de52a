package epcis

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/chipledger/chipledger/events"
)

// chipledger's own URN namespaces, for identifiers that are not GS1 keys:
// a unit, party, site or reference id of the ledger written where EPCIS
// wants a URI. The id follows the prefix percent-encoded (RFC 3986: every
// byte but A-Z a-z 0-9 - . _ ~ is written %XX).
const (
	URNUnit  = "urn:chipledger:unit:"  // + kind ":" + serial: urn:chipledger:unit:sys:SMC-A1
	URNParty = "urn:chipledger:party:" // + party id: urn:chipledger:party:P-SUPERMICRO
	URNSite  = "urn:chipledger:site:"  // + site id: urn:chipledger:site:S-SMC-SJC
	URNRef   = "urn:chipledger:ref:"   // + reference (PO, invoice, bill of lading, contract, shipment, RMA)
	URNEvent = "urn:chipledger:event:" // + event id that is not a URI or UUID
)

// UnitFromEPC returns the chipledger unit id of an EPC: the same id for the
// EPC URN and every GS1 Digital Link URI of the same item. The rules
// (docs/epcis.md):
//
//   - urn:epc:id:sgtin:CP.ITEMREF.SERIAL and https://.../01/GTIN/21/SERIAL
//     (also with a lot /10/ before the serial, a GTIN-8, -12 or -13, any
//     domain, a query string): "chip:" + GTIN-14 + "." + SERIAL, e.g.
//     chip:10614141073464.2017. A serialised trade item is a chip.
//   - urn:epc:id:sscc:CP.SERIALREF and https://.../00/SSCC: "pkg:" + the
//     18-digit SSCC.
//   - urn:epc:id:giai:CP.ASSETREF and https://.../8004/GIAI: "sys:" + the
//     GIAI (company prefix and asset reference): servers are individual
//     assets.
//   - urn:chipledger:unit:KIND:SERIAL: the unit KIND:SERIAL itself (for
//     units with no GS1 key, and for a server identified by its own serial).
//
// The kind comes from the identifier alone, so an EPC is the same unit in
// every event. Serials must be in the unit id alphabet A-Z 0-9 . _ / -
// once percent-decoded: a lowercase letter is refused, not folded, since
// GS1 serials are case-sensitive and unit ids are not. Class-level
// identifiers (a GTIN without a serial, a lot) and other GS1 keys are
// refused.
func UnitFromEPC(uri string) (events.UnitID, error) {
	u, _, err := parseEPC(uri)
	return u, err
}

var (
	reSGTIN = regexp.MustCompile(`^urn:epc:id:sgtin:(\d{6,12})\.(\d{1,7})\.(` + urnChar + `{1,20})$`)
	reSSCC  = regexp.MustCompile(`^urn:epc:id:sscc:(\d{6,12})\.(\d{5,11})$`)
	reGIAI  = regexp.MustCompile(`^urn:epc:id:giai:(\d{6,12})\.(` + urnChar + `{1,24})$`)
)

// parseEPC returns the unit of an EPC and the serial as printed (the GS1
// serial, SSCC, GIAI or chipledger serial).
func parseEPC(uri string) (events.UnitID, string, error) {
	bad := func(format string, args ...any) (events.UnitID, string, error) {
		return "", "", fmt.Errorf("epcis: EPC %q: %s", clip(uri), fmt.Sprintf(format, args...))
	}
	switch {
	case strings.HasPrefix(uri, URNUnit):
		kind, serial, ok := strings.Cut(uri[len(URNUnit):], ":")
		if !ok {
			return bad("want %sKIND:SERIAL", URNUnit)
		}
		s, ok := pctDecode(serial)
		if !ok {
			return bad("bad percent-encoding")
		}
		u, err := events.ParseUnitID(kind + ":" + s)
		if err != nil || u.Kind() != kind {
			return bad("not a unit id: kind chip, sys or pkg and a serial of 1 to 64 characters A-Z 0-9 . _ / -")
		}
		return u, u.Serial(), nil
	case strings.HasPrefix(uri, "urn:epc:id:sgtin:"):
		m := reSGTIN.FindStringSubmatch(uri)
		if m == nil || len(m[1])+len(m[2]) != 13 {
			return bad("not an SGTIN URI (company prefix and item reference of 13 digits, serial of 1 to 20 characters)")
		}
		return chipUnit(gtinOf(m[1], m[2]), m[3], bad)
	case strings.HasPrefix(uri, "urn:epc:id:sscc:"):
		m := reSSCC.FindStringSubmatch(uri)
		if m == nil || len(m[1])+len(m[2]) != 17 {
			return bad("not an SSCC URI (company prefix and serial reference of 17 digits)")
		}
		sscc := withCheck(m[2][:1] + m[1] + m[2][1:])
		return events.UnitID(events.KindPkg + ":" + sscc), sscc, nil
	case strings.HasPrefix(uri, "urn:epc:id:giai:"):
		m := reGIAI.FindStringSubmatch(uri)
		if m == nil || !refLimit(m[1], m[2]) {
			return bad("not a GIAI URI (company prefix and asset reference of at most 30 characters)")
		}
		return sysUnit(m[1]+m[2], bad)
	case strings.HasPrefix(uri, "urn:epc:"):
		return bad("only SGTIN (chips), GIAI (systems) and SSCC (packages) identify units")
	case strings.HasPrefix(uri, "https://") || strings.HasPrefix(uri, "http://"):
		return parseDigitalLink(uri, bad)
	}
	return bad("not an EPC URN, a GS1 Digital Link URI or a %s URN", strings.TrimSuffix(URNUnit, ":"))
}

type badFunc func(format string, args ...any) (events.UnitID, string, error)

func chipUnit(gtin14, rawSerial string, bad badFunc) (events.UnitID, string, error) {
	s, ok := pctDecode(rawSerial)
	if !ok {
		return bad("bad percent-encoding in the serial")
	}
	if err := unitSerial(s); err != "" {
		return bad("serial %q %s", s, err)
	}
	return events.UnitID(events.KindChip + ":" + gtin14 + "." + s), s, nil
}

func sysUnit(raw string, bad badFunc) (events.UnitID, string, error) {
	s, ok := pctDecode(raw)
	if !ok {
		return bad("bad percent-encoding in the asset reference")
	}
	if err := unitSerial(s); err != "" {
		return bad("GIAI %q %s", s, err)
	}
	return events.UnitID(events.KindSys + ":" + s), s, nil
}

// unitSerial says why s cannot be (part of) a unit serial, or "".
func unitSerial(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '/', c == '-':
		case c >= 'a' && c <= 'z':
			return "has lowercase letters: GS1 serials are case-sensitive and unit ids are not, so it is refused rather than folded"
		default:
			return fmt.Sprintf("has %q: unit serials have only A-Z 0-9 . _ / -", string(rune(c)))
		}
	}
	return ""
}

// parseDigitalLink reads the primary key of a GS1 Digital Link URI and its
// key qualifiers (lot 10, serial 21, consumer product variant 22).
func parseDigitalLink(uri string, bad badFunc) (events.UnitID, string, error) {
	rest := uri[strings.Index(uri, "//")+2:]
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	slash := strings.IndexByte(rest, '/')
	if slash < 0 {
		return bad("no path")
	}
	segs := strings.Split(strings.TrimSuffix(rest[slash+1:], "/"), "/")
	aliases := map[string]string{"gtin": "01", "sscc": "00", "giai": "8004", "lot": "10", "ser": "21", "cpv": "22"}
	ai := func(s string) string {
		if a, ok := aliases[s]; ok {
			return a
		}
		return s
	}
	start := -1
	for i := 0; i+1 < len(segs); i++ {
		if a := ai(segs[i]); a == "01" || a == "00" || a == "8004" {
			start = i
			break
		}
	}
	if start < 0 {
		return bad("no GTIN (01), SSCC (00) or GIAI (8004) in the path: not a unit")
	}
	key, quals := ai(segs[start]), segs[start+2:]
	val, ok := pctDecode(segs[start+1])
	if !ok {
		return bad("bad percent-encoding")
	}
	q := map[string]string{}
	if len(quals)%2 != 0 {
		return bad("key qualifiers must come in pairs")
	}
	for i := 0; i < len(quals); i += 2 {
		a := ai(quals[i])
		if a != "10" && a != "21" && a != "22" {
			return bad("unknown key qualifier %q", quals[i])
		}
		if _, dup := q[a]; dup {
			return bad("key qualifier %s twice", a)
		}
		q[a] = quals[i+1]
	}
	switch key {
	case "01":
		if !digitsOnly(val) || (len(val) != 8 && len(val) != 12 && len(val) != 13 && len(val) != 14) {
			return bad("GTIN %q is not 8, 12, 13 or 14 digits", val)
		}
		gtin := strings.Repeat("0", 14-len(val)) + val
		if gs1CheckDigit(gtin[:13]) != gtin[13] {
			return bad("GTIN %s has a wrong check digit", gtin)
		}
		serial, ok := q["21"]
		if !ok {
			return bad("a GTIN without a serial (21) is a class of products, not one unit")
		}
		return chipUnit(gtin, serial, bad)
	case "00":
		if !digitsOnly(val) || len(val) != 18 || len(q) > 0 {
			return bad("SSCC %q is not 18 digits", val)
		}
		if gs1CheckDigit(val[:17]) != val[17] {
			return bad("SSCC %s has a wrong check digit", val)
		}
		return events.UnitID(events.KindPkg + ":" + val), val, nil
	default: // 8004
		if len(q) > 0 || len(val) < 7 || len(val) > 30 || !digitsOnly(val[:6]) {
			return bad("GIAI %q is not a company prefix and an asset reference of at most 30 characters", val)
		}
		return sysUnit(segs[start+1], bad)
	}
}

func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// pctDecode decodes %XX escapes.
func pctDecode(s string) (string, bool) {
	if !strings.Contains(s, "%") {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", false
		}
		b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
		i += 2
	}
	return b.String(), true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// pctEncode writes s with every byte but A-Z a-z 0-9 - . _ ~ as %XX.
func pctEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// UnitEPC returns the URI Export writes for a unit, the inverse of
// UnitFromEPC: a GS1 Digital Link URI for a unit whose id has a GS1 form
// (a package whose serial is an SSCC with a valid check digit, a chip
// whose serial is GTIN-14 "." serial), else its chipledger URN.
func UnitEPC(u events.UnitID) string {
	serial := u.Serial()
	switch u.Kind() {
	case events.KindPkg:
		if len(serial) == 18 && digitsOnly(serial) && gs1CheckDigit(serial[:17]) == serial[17] {
			return dlDomain + "/00/" + serial
		}
	case events.KindChip:
		if gtin, s, ok := strings.Cut(serial, "."); ok && len(gtin) == 14 && digitsOnly(gtin) &&
			gs1CheckDigit(gtin[:13]) == gtin[13] && s != "" && len(s) <= 20 {
			return dlDomain + "/01/" + gtin + "/21/" + pctEncode(s)
		}
	}
	return URNUnit + u.Kind() + ":" + pctEncode(serial)
}

// SiteID returns the chipledger site id of a location URI (a readPoint,
// bizLocation, location source or destination, or master data location):
// the id of a urn:chipledger:site: URN; the canonical GS1 Digital Link URI
// of a GS1 location (urn:epc:id:sgln:... and https://id.gs1.org/414/...
// give the same id); any other URI as written. The id must be a valid
// reference id (1 to 128 bytes, printable).
func SiteID(uri string) (string, error) { return refID(uri, URNSite, "location") }

// PartyID returns the chipledger party id of a party URI (an
// owning_party or possessing_party source or destination, a document
// sender, a cl: party field given as a URI): the id of a
// urn:chipledger:party: URN; the canonical GS1 Digital Link URI of a GS1
// party (urn:epc:id:pgln:... and https://id.gs1.org/417/...) or location
// key; any other value as written.
func PartyID(uri string) (string, error) { return refID(uri, URNParty, "party") }

func refID(uri, urn, what string) (string, error) {
	id := uri
	if strings.HasPrefix(uri, urn) {
		s, ok := pctDecode(uri[len(urn):])
		if !ok {
			return "", fmt.Errorf("epcis: %s %q: bad percent-encoding", what, clip(uri))
		}
		id = s
	} else if dl, ok := canonicalDL(uri); ok {
		id = dl
	}
	if reason := checkRef(id); reason != "" {
		return "", fmt.Errorf("epcis: %s %q: %s", what, clip(uri), reason)
	}
	return id, nil
}

// refValue returns the reference a business transaction URI carries: the
// id of a urn:chipledger:ref: URN, else the URI as written.
func refValue(uri string) (string, error) {
	id := uri
	if strings.HasPrefix(uri, URNRef) {
		s, ok := pctDecode(uri[len(URNRef):])
		if !ok {
			return "", fmt.Errorf("epcis: reference %q: bad percent-encoding", clip(uri))
		}
		id = s
	}
	if reason := checkRef(id); reason != "" {
		return "", fmt.Errorf("epcis: reference %q: %s", clip(uri), reason)
	}
	return id, nil
}

// refURI writes a party, site or reference id as a URI: as it is when it
// already is a URI with a scheme the ledger reads back unchanged (a GS1
// Digital Link URI in canonical form, or another absolute URI that is not
// a GS1 key), else its chipledger URN.
func refURI(id, urn string) string {
	if looksLikeURI(id) && !strings.HasPrefix(id, "urn:chipledger:") {
		if dl, ok := canonicalDL(id); !ok || dl == id {
			return id
		}
	}
	return urn + pctEncode(id)
}

var uriScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:[!-~]+$`)

func looksLikeURI(s string) bool { return uriScheme.MatchString(s) }

// checkRef checks a reference id as events does: 1 to 128 bytes,
// printable, no leading or trailing space.
func checkRef(s string) string {
	switch {
	case s == "":
		return "empty"
	case len(s) > events.MaxIDBytes:
		return fmt.Sprintf("longer than %d bytes", events.MaxIDBytes)
	case !utf8.ValidString(s):
		return "not valid UTF-8"
	case s[0] == ' ' || s[len(s)-1] == ' ':
		return "starts or ends with a space"
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return "has a control or format character"
		}
	}
	return ""
}

// clip shortens a value for an error message.
func clip(s string) string {
	if len(s) > 100 {
		return s[:100] + "..."
	}
	return s
}
