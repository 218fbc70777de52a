package events

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Bounds of identifiers and codes.
const (
	MaxIDBytes   = 128 // event ids, party, site, licence and other reference ids
	MaxCodeBytes = 64  // ECCNs, licence exceptions, methods and other short codes
)

// Years a time or date may fall in.
const (
	minYear = 1970
	maxYear = 2200
)

// Bounds of numeric fields.
const (
	maxCount  = 1_000_000_000 // quantities and capacities
	maxAmount = 1e9           // TPP, kW
)

type need bool

const (
	required need = true
	optional need = false
)

// checker collects the first validation error of a value.
type checker struct {
	err *ValidationError
}

func (c *checker) fail(code, field, reason string) {
	if c.err == nil {
		c.err = verr(code, field, reason)
	}
}

func (c *checker) result() error {
	if c.err == nil {
		return nil
	}
	return c.err
}

// missing reports (and records) a missing required value.
func (c *checker) missing(field string, empty bool, n need) bool {
	if empty && n == required {
		c.fail(ReasonMissingField, field, "required")
	}
	return empty
}

// eventID checks an event id: 1..128 bytes of printable ASCII without spaces.
func (c *checker) eventID(field, s string, n need) {
	if c.missing(field, s == "", n) {
		return
	}
	if len(s) > MaxIDBytes {
		c.fail(ReasonOutOfRange, field, fmt.Sprintf("event id longer than %d bytes", MaxIDBytes))
		return
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			c.fail(ReasonOutOfRange, field, "event id must be printable ASCII without spaces")
			return
		}
	}
}

// ref checks a reference id (party, site, licence, document and other
// ids): 1..128 bytes of printable characters, no leading or trailing space.
func (c *checker) ref(field, s string, n need) {
	if c.missing(field, s == "", n) {
		return
	}
	if len(s) > MaxIDBytes {
		c.fail(ReasonOutOfRange, field, fmt.Sprintf("longer than %d bytes", MaxIDBytes))
		return
	}
	if !printableASCII(s) {
		if !utf8.ValidString(s) {
			c.fail(ReasonOutOfRange, field, "not valid UTF-8")
			return
		}
		for _, r := range s {
			if !unicode.IsPrint(r) {
				c.fail(ReasonOutOfRange, field, "must be printable (no control or format characters)")
				return
			}
		}
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		c.fail(ReasonOutOfRange, field, "must not start or end with a space")
	}
}

// refs checks a list of reference ids.
func (c *checker) refs(field string, list []string, n need) {
	if c.missing(field, len(list) == 0, n) {
		return
	}
	if len(list) > MaxUnitsPerEvent {
		c.fail(ReasonOutOfRange, field, fmt.Sprintf("more than %d entries", MaxUnitsPerEvent))
		return
	}
	for i, s := range list {
		if c.err != nil {
			return
		}
		var e checker // the path is built only on failure
		e.ref("", s, required)
		c.failAt(field, i, e.err)
	}
}

// failAt records err, an error of element i of the list field, if c has
// none yet.
func (c *checker) failAt(field string, i int, err *ValidationError) {
	if err != nil && c.err == nil {
		c.fail(err.Code, field+"["+itoa(i)+"]", err.Reason)
	}
}

// printableASCII reports whether s is only printable ASCII characters
// (unicode.IsPrint is true for them and false for other ASCII).
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// plainText reports whether s is only ASCII characters that text allows
// (no control characters but tab, line feed and carriage return).
func plainText(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t' && c != '\n' && c != '\r') || c > '~' {
			return false
		}
	}
	return true
}

// text checks free text: at most limit bytes, no control characters but
// tab, line feed and carriage return.
func (c *checker) text(field, s string, n need, limit int) {
	if c.missing(field, s == "", n) {
		return
	}
	if len(s) > limit {
		c.fail(ReasonOutOfRange, field, fmt.Sprintf("longer than %d bytes", limit))
		return
	}
	if plainText(s) {
		return
	}
	if !utf8.ValidString(s) {
		c.fail(ReasonOutOfRange, field, "not valid UTF-8")
		return
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			c.fail(ReasonOutOfRange, field, "must not contain control characters")
			return
		}
	}
}

// code checks a short code (ECCN, licence exception, method): 1..64 bytes
// of printable ASCII without spaces.
func (c *checker) code(field, s string, n need) {
	if c.missing(field, s == "", n) {
		return
	}
	if len(s) > MaxCodeBytes {
		c.fail(ReasonOutOfRange, field, fmt.Sprintf("longer than %d bytes", MaxCodeBytes))
		return
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			c.fail(ReasonOutOfRange, field, "must be printable ASCII without spaces")
			return
		}
	}
}

// oneOf checks an enumerated value.
func (c *checker) oneOf(field, s string, n need, allowed []string) {
	if c.missing(field, s == "", n) {
		return
	}
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	c.fail(ReasonOutOfRange, field, "must be one of "+strings.Join(allowed, ", "))
}

// country checks an ISO 3166-1 alpha-2 code by shape: two letters A-Z.
func (c *checker) country(field, s string, n need) {
	if c.missing(field, s == "", n) {
		return
	}
	if !upperLetters(s, 2) {
		c.fail(ReasonOutOfRange, field, "must be an ISO 3166-1 alpha-2 code (two uppercase letters)")
	}
}

// countries checks a list of country codes.
func (c *checker) countries(field string, list []string, n need) {
	if c.missing(field, len(list) == 0, n) {
		return
	}
	if len(list) > MaxUnitsPerEvent {
		c.fail(ReasonOutOfRange, field, fmt.Sprintf("more than %d entries", MaxUnitsPerEvent))
		return
	}
	for i, s := range list {
		if c.err != nil {
			return
		}
		var e checker // the path is built only on failure
		e.country("", s, required)
		c.failAt(field, i, e.err)
	}
}

func upperLetters(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// date checks a calendar date "2006-01-02" between 1970 and 2200.
func (c *checker) date(field string, d Date, n need) {
	if c.missing(field, d == "", n) {
		return
	}
	t, err := time.Parse(time.DateOnly, string(d))
	if err != nil || t.Format(time.DateOnly) != string(d) {
		c.fail(ReasonOutOfRange, field, `must be a date "YYYY-MM-DD"`)
		return
	}
	if y := t.Year(); y < minYear || y > maxYear {
		c.fail(ReasonOutOfRange, field, fmt.Sprintf("year must be between %d and %d", minYear, maxYear))
	}
}

// instant checks an envelope time.
func (c *checker) instant(field string, t time.Time) {
	if c.missing(field, t.IsZero(), required) {
		return
	}
	if y := t.UTC().Year(); y < minYear || y > maxYear {
		c.fail(ReasonOutOfRange, field, fmt.Sprintf("year must be between %d and %d", minYear, maxYear))
	}
}

// number checks an optional number in [lo, hi] (NaN is out of range).
func (c *checker) number(field string, f *float64, lo, hi float64) {
	if f == nil {
		return
	}
	if !(*f >= lo && *f <= hi) { // also catches NaN
		c.fail(ReasonOutOfRange, field, fmt.Sprintf("must be a number from %g to %g", lo, hi))
	}
}

// count checks an integer in [lo, hi].
func (c *checker) count(field string, v, lo, hi int64) {
	if v < lo || v > hi {
		c.fail(ReasonOutOfRange, field, fmt.Sprintf("must be an integer from %d to %d", lo, hi))
	}
}

// unit checks one unit id; kinds, when given, are the kinds allowed.
func (c *checker) unit(field string, u UnitID, n need, kinds ...string) {
	if c.missing(field, u == "", n) {
		return
	}
	if code, reason := u.check(); code != "" {
		c.fail(code, field, reason)
		return
	}
	if !kindIn(u, kinds) {
		c.fail(ReasonInvalid, field, "unit kind must be "+strings.Join(kinds, " or "))
	}
}

func kindIn(u UnitID, kinds []string) bool {
	if len(kinds) == 0 {
		return true
	}
	k := u.Kind()
	for _, want := range kinds {
		if k == want {
			return true
		}
	}
	return false
}

// units checks a required list of distinct unit ids.
func (c *checker) units(field string, list []UnitID, kinds ...string) {
	if c.missing(field, len(list) == 0, required) {
		return
	}
	if len(list) > MaxUnitsPerEvent {
		c.fail(ReasonTooManyUnits, field, fmt.Sprintf("%d units, more than %d", len(list), MaxUnitsPerEvent))
		return
	}
	var seen map[UnitID]int // for long lists; short ones are searched
	if len(list) > smallUnitList {
		seen = make(map[UnitID]int, len(list))
	}
	for i, u := range list {
		if !u.normal() || !kindIn(u, kinds) { // the path is built only on failure
			c.unit(field+"["+itoa(i)+"]", u, required, kinds...)
			return
		}
		j, dup := -1, false
		if seen != nil {
			if j, dup = seen[u]; !dup {
				seen[u] = i
			}
		} else {
			j = slices.Index(list[:i], u)
			dup = j >= 0
		}
		if dup {
			c.fail(ReasonInvalid, field+"["+itoa(i)+"]", fmt.Sprintf("duplicate unit %s (also at index %d)", u, j))
			return
		}
	}
}

// smallUnitList is the longest unit list units checks for duplicates
// without a map.
const smallUnitList = 16

// place checks a Place.
func (c *checker) place(field string, p Place) {
	if c.err != nil {
		return
	}
	var e checker // the path is built only on failure
	e.ref("party", p.Party, required)
	e.ref("site", p.Site, optional)
	e.country("country", p.Country, required)
	if e.err != nil {
		c.fail(e.err.Code, field+"."+e.err.Field, e.err.Reason)
	}
}

// digest checks "sha256:" followed by 64 lowercase hex digits.
func (c *checker) digest(field, s string, n need) {
	if c.missing(field, s == "", n) {
		return
	}
	hexPart, ok := strings.CutPrefix(s, "sha256:")
	if !ok || len(hexPart) != 64 || strings.ToLower(hexPart) != hexPart {
		c.fail(ReasonOutOfRange, field, `must be "sha256:" and 64 lowercase hex digits`)
		return
	}
	if _, err := hex.DecodeString(hexPart); err != nil {
		c.fail(ReasonOutOfRange, field, `must be "sha256:" and 64 lowercase hex digits`)
	}
}

// Digest returns the "sha256:<hex>" digest of content, as carried by
// PolicyActivated and ScreeningActivated.
func Digest(content []byte) string {
	sum := sha256.Sum256(content)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// amount checks a non-negative decimal string such as "289500.00".
func (c *checker) amount(field, s string, n need) {
	if c.missing(field, s == "", n) {
		return
	}
	ok := len(s) <= 32
	intPart, frac, hasFrac := strings.Cut(s, ".")
	ok = ok && digits(intPart) && (len(intPart) == 1 || intPart[0] != '0')
	if hasFrac {
		ok = ok && digits(frac)
	}
	if !ok {
		c.fail(ReasonOutOfRange, field, `must be a non-negative decimal such as "1250.00" (no sign, exponent or leading zeros)`)
	}
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// latLon checks a coordinate pair: both or neither, each in range.
func (c *checker) latLon(lat, lon *float64) {
	if (lat == nil) != (lon == nil) {
		f := "lat"
		if lat != nil {
			f = "lon"
		}
		c.fail(ReasonMissingField, f, "lat and lon come together")
		return
	}
	c.number("lat", lat, -90, 90)
	c.number("lon", lon, -180, 180)
}
