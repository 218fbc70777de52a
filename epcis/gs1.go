package epcis

import (
	"regexp"
	"strconv"
	"strings"
)

// This file normalises GS1 identifiers the way the CBV 2.0 event hash
// needs them: every EPC URI (urn:epc:id:...), EPC class URI
// (urn:epc:class:lgtin:...), EPC pattern URI (urn:epc:idpat:...) and GS1
// Digital Link URI is written as the constrained canonical GS1 Digital Link
// URI: domain id.gs1.org, numeric application identifiers, no query string,
// only the finest level of identification. The reference implementation of
// the hash (RalphTro/epcis-event-hash-generator, dl_normaliser.py)
// documents these rules; this is an independent Go implementation of them,
// checked against its test vectors (see hash_test.go).

// gs1CheckDigit returns the GS1 mod-10 check digit of digits (GTIN, GLN,
// SSCC, GSIN, GSRN, ...): weights 3 and 1 from the right.
func gs1CheckDigit(digits string) byte {
	sum := 0
	for i := 0; i < len(digits); i++ {
		d := int(digits[len(digits)-1-i] - '0')
		if i%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

// dlEscape percent-encodes the characters that a GS1 Digital Link URI must
// escape and that an EPC URI may carry unescaped.
func dlEscape(s string) string {
	if !strings.ContainsAny(s, "!()*+,:") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '!', '(', ')', '*', '+', ',', ':':
			b.WriteByte('%')
			b.WriteString(strings.ToUpper(strconv.FormatInt(int64(c), 16)))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// EPC URI character classes (EPC Tag Data Standard): the GS1 AI encodable
// character set 82 with its escapes, and the CPI component set.
const (
	urnChar = `(?:%2[125-9A-Fa-f]|%3[0-9A-Fa-f]|%4[1-9A-Fa-f]|%5[0-9AaFf]|%6[1-9A-Fa-f]|%7[0-9Aa]|[!')(*+,.0-9:;=A-Za-z_-])`
	cpiChar = `(?:%2[3dfDF]|%3[0-9]|%4[1-9A-Fa-f]|%5[0-9Aa]|[0-9A-Z-])`
)

// epcScheme converts one EPC URI scheme to a Digital Link URI. Its regexp
// captures the company prefix first and the reference second; total is the
// number of digits prefix and reference must add up to (0: not checked).
type epcScheme struct {
	re    *regexp.Regexp
	total int
	conv  func(cp, ref string, m []string) string
}

func gtinOf(cp, ref string) string {
	raw := ref[:1] + cp + ref[1:]
	return raw + string(gs1CheckDigit(raw))
}

func withCheck(raw string) string { return raw + string(gs1CheckDigit(raw)) }

var epcSchemes = []epcScheme{
	{regexp.MustCompile(`^urn:epc:id:sgtin:(\d{6,12})\.(\d{1,7})\.(` + urnChar + `{1,20})$`), 13,
		func(cp, ref string, m []string) string { return "/01/" + gtinOf(cp, ref) + "/21/" + dlEscape(m[3]) }},
	{regexp.MustCompile(`^urn:epc:id:sscc:(\d{6,12})\.(\d{5,11})$`), 17,
		func(cp, ref string, m []string) string { return "/00/" + withCheck(ref[:1]+cp+ref[1:]) }},
	{regexp.MustCompile(`^urn:epc:id:sgln:(\d{6,12})\.(\d{0,6})\.(` + urnChar + `{1,20})$`), 12,
		func(cp, ref string, m []string) string {
			if m[3] == "0" {
				return "/414/" + withCheck(cp+ref)
			}
			return "/414/" + withCheck(cp+ref) + "/254/" + dlEscape(m[3])
		}},
	{regexp.MustCompile(`^urn:epc:id:grai:(\d{6,12})\.(\d{0,6})\.(` + urnChar + `{1,16})$`), 12,
		func(cp, ref string, m []string) string { return "/8003/" + withCheck("0"+cp+ref) + dlEscape(m[3]) }},
	{regexp.MustCompile(`^urn:epc:id:giai:(\d{6,12})\.(` + urnChar + `{1,24})$`), 0,
		func(cp, ref string, m []string) string { return "/8004/" + cp + dlEscape(ref) }},
	{regexp.MustCompile(`^urn:epc:id:gsrn:(\d{6,12})\.(\d{5,11})$`), 17,
		func(cp, ref string, m []string) string { return "/8018/" + withCheck(cp+ref) }},
	{regexp.MustCompile(`^urn:epc:id:gsrnp:(\d{6,12})\.(\d{5,11})$`), 17,
		func(cp, ref string, m []string) string { return "/8017/" + withCheck(cp+ref) }},
	{regexp.MustCompile(`^urn:epc:id:gdti:(\d{6,12})\.(\d{0,6})\.(` + urnChar + `{0,19})$`), 12,
		func(cp, ref string, m []string) string { return "/253/" + withCheck(cp+ref) + dlEscape(m[3]) }},
	{regexp.MustCompile(`^urn:epc:id:cpi:(\d{6,12})\.(` + cpiChar + `{1,24})\.(\d{1,12})$`), 0,
		func(cp, ref string, m []string) string { return "/8010/" + dlEscape(cp+ref) + "/8011/" + m[3] }},
	{regexp.MustCompile(`^urn:epc:id:sgcn:(\d{6,12})\.(\d{0,6})\.(\d{1,12})$`), 12,
		func(cp, ref string, m []string) string { return "/255/" + withCheck(cp+ref) + m[3] }},
	{regexp.MustCompile(`^urn:epc:id:ginc:(\d{6,12})\.(` + urnChar + `{1,24})$`), 0,
		func(cp, ref string, m []string) string { return "/401/" + cp + dlEscape(ref) }},
	{regexp.MustCompile(`^urn:epc:id:gsin:(\d{6,12})\.(\d{4,10})$`), 16,
		func(cp, ref string, m []string) string { return "/402/" + withCheck(cp+ref) }},
	{regexp.MustCompile(`^urn:epc:id:itip:(\d{6,12})\.(\d{1,7})\.(\d{2})\.(\d{2})\.(` + urnChar + `{1,20})$`), 13,
		func(cp, ref string, m []string) string {
			return "/8006/" + gtinOf(cp, ref) + m[3] + m[4] + "/21/" + dlEscape(m[5])
		}},
	{regexp.MustCompile(`^urn:epc:id:upui:(\d{6,12})\.(\d{1,7})\.(` + urnChar + `{1,28})$`), 13,
		func(cp, ref string, m []string) string { return "/01/" + gtinOf(cp, ref) + "/235/" + dlEscape(m[3]) }},
	{regexp.MustCompile(`^urn:epc:id:pgln:(\d{6,12})\.(\d{0,6})$`), 12,
		func(cp, ref string, m []string) string { return "/417/" + withCheck(cp+ref) }},
	{regexp.MustCompile(`^urn:epc:class:lgtin:(\d{6,12})\.(\d{1,7})\.(` + urnChar + `{1,20})$`), 13,
		func(cp, ref string, m []string) string { return "/01/" + gtinOf(cp, ref) + "/10/" + dlEscape(m[3]) }},
	{regexp.MustCompile(`^urn:epc:idpat:sgtin:(\d{6,12})\.(\d{1,7})\.\*$`), 13,
		func(cp, ref string, m []string) string { return "/01/" + gtinOf(cp, ref) }},
	{regexp.MustCompile(`^urn:epc:idpat:grai:(\d{6,12})\.(\d{0,6})\.\*$`), 12,
		func(cp, ref string, m []string) string { return "/8003/" + withCheck("0"+cp+ref) }},
	{regexp.MustCompile(`^urn:epc:idpat:gdti:(\d{6,12})\.(\d{0,6})\.\*$`), 12,
		func(cp, ref string, m []string) string { return "/253/" + withCheck(cp+ref) }},
	{regexp.MustCompile(`^urn:epc:idpat:sgcn:(\d{6,12})\.(\d{0,6})\.\*$`), 12,
		func(cp, ref string, m []string) string { return "/255/" + withCheck(cp+ref) }},
	{regexp.MustCompile(`^urn:epc:idpat:cpi:(\d{6,12})\.(` + cpiChar + `{1,24})\.\*$`), 0,
		func(cp, ref string, m []string) string { return "/8010/" + dlEscape(cp+ref) }},
	{regexp.MustCompile(`^urn:epc:idpat:itip:(\d{6,12})\.(\d{1,7})\.(\d{2})\.(\d{2})\.\*$`), 13,
		func(cp, ref string, m []string) string { return "/8006/" + gtinOf(cp, ref) + m[3] + m[4] }},
	{regexp.MustCompile(`^urn:epc:idpat:upui:(\d{6,12})\.(\d{1,7})\.\*$`), 13,
		func(cp, ref string, m []string) string { return "/01/" + gtinOf(cp, ref) }},
}

// refLimit bounds the variable-length references (GIAI, GINC, CPI) by the
// length of the company prefix: together at most 30 characters.
func refLimit(cp, ref string) bool {
	n := 0
	for i := 0; i < len(ref); i++ { // an escape counts as one character
		if ref[i] == '%' {
			i += 2
		}
		n++
	}
	return len(cp)+n <= 30
}

const dlDomain = "https://id.gs1.org"

// Digital Link grammar (GS1 Digital Link standard, section 5): a primary
// key after any path, optionally a key qualifier, a query and a fragment.
var (
	dlURI            = regexp.MustCompile(`^https?:(//((([^/?#]*)@)?([^/?#:]*)(:([^/?#]*))?))?((([^?#]*)(/(01|gtin|8006|itip|8010|cpid|414|gln|417|party|8017|gsrnp|8018|gsrn|255|gcn|00|sscc|253|gdti|401|ginc|402|gsin|8003|grai|8004|giai)/)(\d{4}[^/]+)(/[^/]+/[^/]+)?/?(\?([^?\n]*))?(#([^\n]*))?)|(/[A-Za-z_-]{10}$))`)
	dlCanonicalStart = regexp.MustCompile(`^https://id\.gs1\.org/(01|8006|8010|414|417|8017|8018|255|00|253|401|402|8003|8004)/(\d{4}[^/]+)`)
	dlKeyAIs         = []string{"/00/", "/01/", "/253/", "/255/", "/401/", "/402/", "/414/", "/417/", "/8003/", "/8004/", "/8006/", "/8010/", "/8017/", "/8018/"}
	dlShort          = [][2]string{
		{"/gtin/", "/01/"}, {"/itip/", "/8006/"}, {"/cpid/", "/8010/"}, {"/gln/", "/414/"}, {"/party/", "/417/"},
		{"/gsrnp/", "/8017/"}, {"/gsrn/", "/8018/"}, {"/gcn/", "/255/"}, {"/sscc/", "/00/"}, {"/gdti/", "/253/"},
		{"/ginc/", "/401/"}, {"/gsin/", "/402/"}, {"/grai/", "/8003/"}, {"/giai/", "/8004/"}, {"/cpv/", "/22/"},
		{"/lot/", "/10/"}, {"/ser/", "/21/"},
	}
)

// dlChars is the set of characters a canonical Digital Link value may have
// (the subset of set 82 that needs no escaping).
const dlChars = `[\x22\x27\x2D\x2E\x30-\x39\x3B-\x3F\x41-\x5A\x5F\x61-\x7A]`

var (
	dlCPVEnd   = regexp.MustCompile(`^https://id\.gs1\.org/(8006/\d{18}|01/\d{14})/22/(` + dlChars + `{0,20})$`)
	dlCPVMid   = regexp.MustCompile(`^https://id\.gs1\.org/(8006/\d{18}|01/\d{14})/22/([/\x22\x27\x2D\x2E\x30-\x39\x3B-\x3F\x41-\x5A\x5F\x61-\x7A]{0,20})$`)
	dlLotSer   = regexp.MustCompile(`^https://id\.gs1\.org/(8006/\d{18}|01/\d{14})/10/(` + dlChars + `{0,20})/21/(` + dlChars + `{0,20})$`)
	dlCanonRes = func() []*regexp.Regexp {
		var out []*regexp.Regexp
		for _, p := range []string{
			`00/\d{18}`,
			`01/\d{14}/21/` + dlChars + `{0,20}`,
			`01/\d{14}/10/` + dlChars + `{0,20}`,
			`01/\d{14}`,
			`01/\d{14}/235/` + dlChars + `{0,28}`,
			`253/\d{13}` + dlChars + `{0,17}`,
			`255/\d{13}\d{0,12}`,
			`401/` + dlChars + `{0,30}`,
			`402/\d{17}`,
			`414/\d{13}`,
			`414/\d{13}/254/` + dlChars + `{0,20}`,
			`417/\d{13}`,
			`8003/\d{14}` + dlChars + `{0,16}`,
			`8004/` + dlChars + `{0,30}`,
			`8006/\d{18}/21/` + dlChars + `{0,20}`,
			`8006/\d{18}/10/` + dlChars + `{0,20}`,
			`8006/\d{18}`,
			`8010/[\x23\x2D\x2F\x30-\x39\x41-\x5A]{0,30}/8011/\d{0,12}`,
			`8010/[\x23\x2D\x2F\x30-\x39\x41-\x5A]{0,30}`,
			`8017/\d{18}`,
			`8018/\d{18}`,
		} {
			out = append(out, regexp.MustCompile(`^https://id\.gs1\.org/`+p+`$`))
		}
		return out
	}()
	dlGTIN = regexp.MustCompile(`^https://id\.gs1\.org/01/(\d+)`)
)

// canonicalDL returns the constrained canonical GS1 Digital Link URI of an
// EPC URI, EPC class or pattern URI or GS1 Digital Link URI, or false when
// uri is none of these (then the hash keeps the value as written).
func canonicalDL(uri string) (string, bool) {
	if !strings.Contains(uri, ".") {
		return "", false
	}
	if strings.HasPrefix(uri, "urn:epc:") {
		for _, s := range epcSchemes {
			m := s.re.FindStringSubmatch(uri)
			if m == nil {
				continue
			}
			cp, ref := m[1], m[2]
			if s.total > 0 && len(cp)+len(ref) != s.total {
				continue
			}
			if s.total == 0 && !refLimit(cp, ref) {
				continue
			}
			return dlDomain + s.conv(cp, ref, m), true
		}
		return "", false
	}
	if !dlURI.MatchString(uri) {
		return "", false
	}
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	for _, r := range dlShort {
		uri = strings.ReplaceAll(uri, r[0], r[1])
	}
	if !dlCanonicalStart.MatchString(uri) {
		for _, ai := range dlKeyAIs {
			if i := strings.Index(uri, ai); i >= 0 {
				uri = dlDomain + uri[i:]
				break
			}
		}
	}
	// a GTIN-8, -12 or -13 is padded to 14 digits
	if m := dlGTIN.FindStringSubmatch(uri); m != nil && len(m[1]) < 14 {
		switch {
		case len(m[1]) >= 13:
			uri = strings.ReplaceAll(uri, "/01/", "/01/0")
		case len(m[1]) >= 12:
			uri = strings.ReplaceAll(uri, "/01/", "/01/00")
		case len(m[1]) >= 8:
			uri = strings.ReplaceAll(uri, "/01/", "/01/000000")
		}
	}
	// the consumer product variant (22) is not part of the identity
	if dlCPVEnd.MatchString(uri) {
		uri = uri[:strings.Index(uri, "/22/")]
	} else if dlCPVMid.MatchString(uri) {
		i := strings.Index(uri, "/22/")
		rest := uri[i+4:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			uri = uri[:i] + rest[j:]
		} else {
			uri = uri[:i]
		}
	}
	// only the finest level: with a serial, the lot goes
	if dlLotSer.MatchString(uri) {
		i := strings.Index(uri, "/10/")
		rest := uri[i+4:]
		uri = uri[:i] + rest[strings.IndexByte(rest, '/'):]
	}
	for _, re := range dlCanonRes {
		if re.MatchString(uri) {
			return uri, true
		}
	}
	return "", false
}
