package events

// Tests of the fast paths of Decode (fastscan.go, decode.go) against the
// encoding/json based reference they replace.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decodeReference is Decode with encoding/json only: scanTokens, the
// strict json.Decoder for envelope and body, normalize, and the size of
// the canonical form always checked.
func decodeReference(data []byte) (Event, error) {
	if len(data) > MaxEventBytes {
		return Event{}, verr(ReasonTooLarge, "", fmt.Sprintf("event is %d bytes, more than %d", len(data), MaxEventBytes))
	}
	if !utf8.Valid(data) {
		return Event{}, verr(ReasonInvalidUTF8, "", "event is not valid UTF-8")
	}
	if err := scanTokens(data); err != nil {
		return Event{}, err
	}
	e, err := decodeEvent(data, string(data), false)
	if err != nil {
		return Event{}, err
	}
	c, err := e.marshal()
	if err != nil {
		return Event{}, verr(ReasonInvalid, "", "cannot encode: "+err.Error())
	}
	if len(c) > MaxEventBytes {
		return Event{}, verr(ReasonTooLarge, "", fmt.Sprintf("canonical form is %d bytes, more than %d", len(c), MaxEventBytes))
	}
	return e, nil
}

// exampleLines returns the lines of testdata/examples.jsonl.
func exampleLines(tb testing.TB) [][]byte {
	examples, err := os.ReadFile("testdata/examples.jsonl")
	require.NoError(tb, err)
	var lines [][]byte
	for _, line := range bytes.Split(examples, []byte("\n")) {
		if len(bytes.TrimSpace(line)) > 0 {
			lines = append(lines, line)
		}
	}
	return lines
}

// fastSeeds are the examples and inputs at the edges of what fastValid
// and the fast decoder handle.
func fastSeeds(tb testing.TB) [][]byte {
	seeds := exampleLines(tb)
	shipped := `{"id":"0194a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b","type":"unit.shipped.v1","occurred_at":"2025-01-10T08:00:00Z","recorded_at":"2025-01-10T08:00:05Z","publisher":"P-SUPERMICRO","body":{"units":["chip:1652423000001"],"from":{"party":"P-SUPERMICRO","country":"US"},"to":{"party":"P-LIONCITY","country":"SG"}}}`
	body := func(b string) string { return strings.Replace(shipped, `{"units":["chip:1652423000001"]`, b, 1) }
	for _, s := range []string{
		shipped,
		" \t\r\n" + shipped + " \n",
		shipped + "x", shipped + shipped, shipped[:len(shipped)-1], "{}", "{", "}", "", " ", "[]", `"x"`, "1", "null",
		`{"a":1,}`, `{"a" 1}`, `{"a":1 "b":2}`, `{,"a":1}`, `{"a":[1,]}`, `{"a":[,1]}`, `{"a":[1 2]}`, `{"a":{"b":}}`,
		`{"a":-}`, `{"a":-0}`, `{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":1e}`, `{"a":1e+}`, `{"a":1E-7}`, `{"a":-0.0e0}`,
		`{"a":tru}`, `{"a":true}`, `{"a":falsee}`, `{"a":nul}`, `{"a":null}`, `{"a":1true}`,
		`{"a":"\u00e9\ud83d\ude00\ud800\udc00x\udc00\ud800"}`, `{"a":"\x"}`, `{"a":"\u12"}`, `{"a":"` + "\x01" + `"}`,
		`{"\u0069d":1}`, `{"\u0049d":1}`, `{"i\n":1}`, `{"\/":1}`, `{"id":1,"\u0069d":2}`, `{"ID":1}`, `{"":1}`,
		`{"` + strings.Repeat("k", 64) + `":1}`, `{"` + strings.Repeat("k", 65) + `":1}`, `{"` + strings.Repeat("k", 63) + `\u006b":1}`,
		`{"a":{"b":1,"b":2}}`, `{"a":{"b":1},"c":{"b":2}}`, `{"a":[{"b":1},{"b":1}]}`,
		`{"a":` + strings.Repeat("[", 15) + strings.Repeat("]", 15) + `}`, `{"a":` + strings.Repeat("[", 16) + strings.Repeat("]", 16) + `}`,
		`{"a":"` + strings.Repeat("x", 1024) + `"}`, `{"a":"` + strings.Repeat("x", 1025) + `"}`,
		`{"content":"` + strings.Repeat("x", 1025) + `"}`, `{"a":["` + strings.Repeat("x", 1025) + `"]}`,
		`{"a":"` + strings.Repeat(`\u00e9`, 512) + `"}`, `{"a":"` + strings.Repeat(`\u00e9`, 513) + `"}`,
		`{"a":"` + strings.Repeat(`\ud800`, 342) + `"}`, `{"a":"` + strings.Repeat(`\ud83d\ude00`, 257) + `"}`,
		`{"a":` + strings.Repeat("1", 64) + `}`, `{"a":` + strings.Repeat("1", 65) + `}`,
		body(`{"units":["chip:a","CHIP:B", " sys:c "],"via":["MY"],"transaction":{},"carrier":null`),
		body(`{"units":[],"via":[]`), body(`{"units":null`), body(`{"units":[null]`), body(`{"units":"chip:1"`),
		body(`{"units":["chip:1"],"colour":1`), body(`{"units":["chip:1"],"from":null`), body(`{"units":["chip:1"],"via":[1]`),
		body(`{"units":["chip:\u0031"],"goods_description":"a\u2028b\"c\\d\/e\u0000"`),
		strings.Replace(shipped, `"unit.shipped.v1"`, `"location.attested.v1"`, 1),
		strings.Replace(strings.Replace(shipped, `"unit.shipped.v1"`, `"location.attested.v1"`, 1),
			`"from":{"party":"P-SUPERMICRO","country":"US"},"to":{"party":"P-LIONCITY","country":"SG"}`,
			`"country":"SG","lat":-0,"lon":1e2,"method":"gps","attestor":"P1"`, 1),
		strings.Replace(shipped, `"0194a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"`, `null`, 1),
		strings.Replace(shipped, `"0194a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"`, `7`, 1),
		strings.Replace(shipped, `"id":`, `"extra":{},"id":`, 1),
		strings.Replace(shipped, `"body":{`, `"body" : {`, 1),
		manyKeys(40, -1), manyKeys(40, 39), manyKeys(40, 10), manyKeys(32, 31), manyKeys(33, 32),
	} {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

// manyKeys is an object with n keys, the last one repeating key dup if
// dup >= 0.
func manyKeys(n, dup int) string {
	var b strings.Builder
	b.WriteString(`{"a":{`)
	for i := 0; i < n; i++ {
		k := i
		if i == n-1 && dup >= 0 {
			k = dup
		}
		fmt.Fprintf(&b, `"k%d":%d,`, k, i)
	}
	b.WriteString(`"z":{"k1":1}}}`)
	return b.String()
}

// TestFastValidRandom compares fastValid with scanTokens on random
// documents made to hit the checks: duplicate and bad keys, depth, long
// strings and numbers, escapes, and syntax errors.
func TestFastValidRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	var value func(b *strings.Builder, depth int)
	key := func() string {
		return pick(`"a"`, `"b"`, `"c"`, `"content"`, `"\u0061"`, `"A"`, `""`, `"a-b"`, `"`+strings.Repeat("k", 64)+`"`, `"`+strings.Repeat("k", 65)+`"`, `"\u00e9"`)
	}
	value = func(b *strings.Builder, depth int) {
		if r.IntN(20) == 0 { // deep nesting, around MaxDepth
			k := max(1, MaxDepth-depth+r.IntN(3)) // depth-1 containers are open
			b.WriteString(strings.Repeat(pick("[", `[{"a":`), k) + "1")
			b.WriteString(strings.Repeat("]", k)) // mismatched for objects: rejected either way
			return
		}
		switch n := r.IntN(10); {
		case n < 2 && depth < 18:
			b.WriteString("{")
			for i := r.IntN(4); i > 0; i-- {
				b.WriteString(key() + pick(":", ":", ":", " : ", ""))
				value(b, depth+1)
				if i > 1 {
					b.WriteString(pick(",", ",", ",", " , ", ""))
				}
			}
			b.WriteString(pick("}", "}", "}", "]", ",}"))
		case n < 4 && depth < 18:
			b.WriteString("[")
			for i := r.IntN(4); i > 0; i-- {
				value(b, depth+1)
				if i > 1 {
					b.WriteString(pick(",", ",", ",", ""))
				}
			}
			b.WriteString(pick("]", "]", "]", "}", ",]"))
		case n < 7:
			b.WriteString(pick(`"x"`, `""`, `"\ud800\udc00"`, `"\ud800"`, `"\x"`, "\"\u2028\"",
				`"`+strings.Repeat("y", 1024)+`"`, `"`+strings.Repeat("y", 1025)+`"`, `"`+strings.Repeat("é", 512)+`"`,
				`"`+strings.Repeat("é", 513)+`"`, `"`+strings.Repeat(`\n`, 1025)+`"`, `"`+strings.Repeat(`\ud83d\ude00`, 256)+`"`,
				`"`+strings.Repeat(`\ud83d\ude00`, 257)+`"`, `"`+strings.Repeat(`\udc00`, 342)+`"`, `"`+strings.Repeat(`\udc00`, 341)+`"`))
		default:
			b.WriteString(pick("1", "-0", "1.5e3", "01", "-", "1.", "true", "false", "null", "nul",
				strings.Repeat("9", 64), strings.Repeat("9", 65), "1e"+strings.Repeat("0", 62), "1e"+strings.Repeat("0", 63)))
		}
	}
	accepted := 0
	for i := 0; i < 10000; i++ {
		var b strings.Builder
		b.WriteString(pick("", " ", "\n"))
		b.WriteString("{")
		for j := r.IntN(4); j > 0; j-- {
			b.WriteString(key() + ":")
			value(&b, 2)
			if j > 1 {
				b.WriteString(",")
			}
		}
		b.WriteString("}")
		b.WriteString(pick("", " ", "\n", "x", "{}"))
		data := []byte(b.String())
		fast, ref := fastValid(data), scanTokens(data)
		require.Equal(t, ref == nil, fast, "fastValid=%v scanTokens=%v for %q", fast, ref, data)
		if fast {
			accepted++
		}
	}
	assert.Greater(t, accepted, 500)
}

// FuzzScanDifferential checks that fastValid accepts exactly what
// scanTokens accepts, and that it agrees with json.Valid on syntax.
func FuzzScanDifferential(f *testing.F) {
	for _, s := range fastSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !utf8.Valid(data) { // Decode rejects it before scan
			return
		}
		fast := fastValid(data)
		ref := scanTokens(data)
		require.Equal(t, ref == nil, fast, "fastValid=%v scanTokens=%v for %q", fast, ref, data)
		if fast {
			require.True(t, json.Valid(data), "fastValid accepts invalid JSON %q", data)
		}
		if json.Valid(data) && bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{")) && !fast {
			require.NotEqual(t, ReasonNotJSON, Reason(ref), "valid JSON %q rejected as %v", data, ref)
		}
		if !json.Valid(data) {
			require.False(t, fast)
		}

		// The fast decoder runs only on what scan accepts, but it must
		// not panic or loop on anything.
		d := fastDecoder{b: data, s: string(data)}
		_, _, _ = d.envelope(new(envelope))
		d = fastDecoder{b: data, s: string(data)}
		_, _, _ = d.corrected(new(correctedWire))
		for _, typ := range []string{TypeShipped, TypeLocationAttested, TypeSiteRegistered, TypePartyRegistered} {
			body, _ := NewBody(typ)
			_ = fastBody(data, string(data), body)
		}
	})
}

// FuzzDecodeDifferential checks that Decode, with its fast paths, gives
// exactly the event or the error that the encoding/json reference gives.
func FuzzDecodeDifferential(f *testing.F) {
	for _, s := range fastSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want, wantErr := decodeReference(data)
		got, gotErr := Decode(data)
		require.Equal(t, wantErr, gotErr, "input %q", data)
		require.True(t, reflect.DeepEqual(want, got), "input %q:\nwant %#v\n got %#v", data, want, got)
		if wantErr == nil {
			require.True(t, reflect.DeepEqual(want.Body, got.Body), "input %q", data)
		}
	})
}

func TestDecodeMatchesReference(t *testing.T) {
	for _, s := range fastSeeds(t) {
		want, wantErr := decodeReference(s)
		got, gotErr := Decode(s)
		require.Equal(t, wantErr, gotErr, "input %q", s)
		require.True(t, reflect.DeepEqual(want, got), "input %q:\nwant %#v\n got %#v", s, want, got)
	}
}

// TestFastPathsTaken checks that the examples decode without falling back
// to encoding/json, so a new field type the fast decoder does not know
// cannot make Decode slow unnoticed.
func TestFastPathsTaken(t *testing.T) {
	for typ, r := range registry {
		if r.decode == nil {
			assert.NotNil(t, bodyPlans[reflect.TypeOf(r.new()).Elem()], "%s has no fast decoder plan", typ)
		}
	}
	covered := map[string]bool{}
	var line []byte // a shipped event, as in BenchmarkDecode
	for _, l := range exampleLines(t) {
		require.True(t, fastValid(l), "%s", l)
		d := fastDecoder{b: l, s: string(l)}
		var env envelope
		start, end, ok := d.envelope(&env)
		require.True(t, ok, "%s", l)
		covered[env.Type] = true
		if env.Type == TypeShipped && line == nil {
			line = l
		}
		if env.Type == TypeCorrected {
			continue
		}
		body, _ := NewBody(env.Type)
		require.True(t, fastBody(l[start:end], string(l[start:end]), body), "%s", l)
	}
	assert.Len(t, covered, len(registry))
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := Decode(line); err != nil {
			t.Fatal(err)
		}
	})
	assert.LessOrEqual(t, allocs, 6.0, "allocations per Decode of %s", line)
}

// TestFastBodyEveryField decodes a body of every type with every field
// set, by the fast decoder and by encoding/json.
func TestFastBodyEveryField(t *testing.T) {
	for typ, r := range registry {
		if r.decode != nil {
			continue
		}
		t.Run(typ, func(t *testing.T) {
			full := r.new()
			fill(reflect.ValueOf(full).Elem())
			raw, err := json.Marshal(full)
			require.NoError(t, err)

			want := r.new()
			require.NoError(t, strictUnmarshal(raw, want))
			normalize(reflect.ValueOf(want))
			got := r.new()
			require.True(t, fastBody(raw, string(raw), got), "%s", raw)
			assert.Equal(t, want, got)
			assert.Equal(t, full, got)
		})
	}
}

// fill sets every field of v to a value that is not zero and stays the
// same when decoded and normalised.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	case reflect.String:
		if v.Type() == unitIDType {
			v.SetString("chip:A1")
		} else {
			v.SetString("x \u2028 \"y\" é")
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := 0; i < 2; i++ {
			fill(v.Index(i))
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Int64:
		v.SetInt(-42)
	case reflect.Float64:
		v.SetFloat(1.5e-7)
	}
}

// TestCanonicalSizeBound checks the bound maxUncheckedInput relies on:
// the canonical form is at most twice the input and a few kilobytes.
func TestCanonicalSizeBound(t *testing.T) {
	const slack = 4 << 10
	inputs := fastSeeds(t)
	sep := "\u2028"
	content := strings.Repeat(sep, maxUncheckedInput/len(sep)-200)
	inputs = append(inputs, []byte(`{"id":"e1","type":"policy.activated.v1","occurred_at":"2025-01-10T08:00:00.100000000+08:00","recorded_at":"2025-01-10T08:00:05Z","publisher":"P1",`+
		`"body":{"name":"p","version":"1","digest":"`+Digest([]byte(content))+`","effective":"2025-01-02","source":"s","content":"`+content+`"}}`))
	inputs = append(inputs, []byte(`{"id":"e1","type":"site.registered.v1","occurred_at":"2025-01-10T08:00:00Z","recorded_at":"2025-01-10T08:00:05Z","publisher":"P1",`+
		`"body":{"site":"S","party":"P","country":"SG","declared_capacity_units":1e0,"declared_power_kw":1e9}}`))
	n := 0
	for _, in := range inputs {
		e, err := Decode(in)
		if err != nil {
			continue
		}
		n++
		assert.LessOrEqual(t, len(e.Canonical()), 2*len(in)+slack, "%.200s", in)
	}
	assert.Greater(t, n, len(registry))
	assert.Less(t, 2*maxUncheckedInput+slack, MaxEventBytes)
}

// The checker functions below are the versions before the fast paths; the
// current ones must give the same errors.

func refBefore(c *checker, field, s string, n need) {
	if c.missing(field, s == "", n) {
		return
	}
	if len(s) > MaxIDBytes {
		c.fail(ReasonOutOfRange, field, fmt.Sprintf("longer than %d bytes", MaxIDBytes))
		return
	}
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
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		c.fail(ReasonOutOfRange, field, "must not start or end with a space")
	}
}

func textBefore(c *checker, field, s string, n need, limit int) {
	if c.missing(field, s == "", n) {
		return
	}
	if len(s) > limit {
		c.fail(ReasonOutOfRange, field, fmt.Sprintf("longer than %d bytes", limit))
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

func unitsBefore(c *checker, field string, list []UnitID, kinds ...string) {
	if c.missing(field, len(list) == 0, required) {
		return
	}
	if len(list) > MaxUnitsPerEvent {
		c.fail(ReasonTooManyUnits, field, fmt.Sprintf("%d units, more than %d", len(list), MaxUnitsPerEvent))
		return
	}
	seen := make(map[UnitID]int, len(list))
	for i, u := range list {
		if !u.normal() || !kindIn(u, kinds) {
			c.unit(field+"["+itoa(i)+"]", u, required, kinds...)
			return
		}
		if j, dup := seen[u]; dup {
			c.fail(ReasonInvalid, field+"["+itoa(i)+"]", fmt.Sprintf("duplicate unit %s (also at index %d)", u, j))
			return
		}
		seen[u] = i
	}
}

func FuzzCheckers(f *testing.F) {
	for _, s := range []string{"P-1", " P", "P ", "", "a\x00b", "a\tb", "\u00a0", "\u200b", "é", "\xff", "a\x7fb", "\u0085", "US", "us", "chip:A1"} {
		f.Add(s, s+"x", uint8(3))
	}
	f.Fuzz(func(t *testing.T, a, b string, n uint8) {
		for _, s := range []string{a, b} {
			var got, want checker
			got.ref("f", s, required)
			refBefore(&want, "f", s, required)
			require.Equal(t, want.err, got.err, "ref %q", s)

			got, want = checker{}, checker{}
			got.text("f", s, optional, 8)
			textBefore(&want, "f", s, optional, 8)
			require.Equal(t, want.err, got.err, "text %q", s)
		}

		list := []string{a, b, a + b, b}[:int(n)%5]
		var got, want checker
		got.refs("list", list, optional)
		for i, s := range list {
			refBefore(&want, fmt.Sprintf("%s[%d]", "list", i), s, required)
		}
		require.Equal(t, want.err, got.err, "refs %q", list)

		got, want = checker{}, checker{}
		got.countries("list", list, required)
		if !want.missing("list", len(list) == 0, required) {
			for i, s := range list {
				want.country(fmt.Sprintf("%s[%d]", "list", i), s, required)
			}
		}
		require.Equal(t, want.err, got.err, "countries %q", list)

		got, want = checker{}, checker{}
		p := Place{Party: a, Site: b, Country: b}
		got.place("at", p)
		refBefore(&want, "at.party", p.Party, required)
		refBefore(&want, "at.site", p.Site, optional)
		want.country("at.country", p.Country, required)
		require.Equal(t, want.err, got.err, "place %+v", p)

		units := make([]UnitID, 0, 40)
		for i := 0; i < int(n)%40; i++ {
			units = append(units, UnitID(fmt.Sprintf("chip:%d", i%(int(n)%7+20))))
		}
		if n%3 == 0 {
			units = append(units, UnitID(a))
		}
		got, want = checker{}, checker{}
		got.units("units", units, KindChip)
		unitsBefore(&want, "units", units, KindChip)
		require.Equal(t, want.err, got.err, "units %q", units)
	})
}

// BenchmarkDecodeExamples decodes every example (every type), per event.
func BenchmarkDecodeExamples(b *testing.B) {
	lines := exampleLines(b)
	size := 0
	for _, l := range lines {
		size += len(l)
	}
	b.ReportAllocs()
	b.SetBytes(int64(size / len(lines)))
	i := 0
	for b.Loop() {
		if _, err := Decode(lines[i%len(lines)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkDecodeParallel decodes a shipped event on every core;
// 1e9 / ns/op is the events per second of the whole machine.
func BenchmarkDecodeParallel(b *testing.B) {
	var line []byte
	for _, l := range exampleLines(b) {
		if bytes.Contains(l, []byte(`"`+TypeShipped+`"`)) {
			line = l
			break
		}
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := Decode(line); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
