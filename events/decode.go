package events

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The fast decoder reads input that scan has accepted (valid UTF-8, valid
// JSON, no duplicate keys, lowercase snake_case keys) straight into the
// envelope and the body, without encoding/json's two scans per value and
// with every unescaped string sharing the memory of the input string.
//
// It handles only the common case: it gives up (returns false) on
// anything encoding/json would reject or that it does not know, such as an
// unknown field, a value of the wrong JSON type or a number out of range,
// and the caller then decodes the same bytes with strictUnmarshal, which
// gives exactly the result and the error it always has. So the fast
// decoder needs only to agree with encoding/json (plus normalize) on what
// it accepts; FuzzDecodeDifferential checks that it does.

// fastDecoder reads one JSON value from b, which s holds as a string.
type fastDecoder struct {
	b []byte
	s string // string(b): decoded strings without escapes are slices of it
	i int
}

// peek skips white space and returns the next byte, or 0 at the end.
func (d *fastDecoder) peek() byte {
	d.i = skipSpace(d.b, d.i)
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

// consume skips white space and the byte c, reporting whether it was there.
func (d *fastDecoder) consume(c byte) bool {
	if d.peek() != c {
		return false
	}
	d.i++
	return true
}

// member reads the next key of the object being read and the colon after
// it; first is true for the first member. It returns false at the end of
// the object (having read the '}') and, with d.i set past the end, on
// malformed input.
func (d *fastDecoder) member(first bool) (string, bool) {
	switch d.peek() {
	case '}':
		d.i++
		return "", false
	case ',':
		if first {
			d.i = len(d.b) + 1
			return "", false
		}
		d.i++
		if d.peek() != '"' {
			d.i = len(d.b) + 1
			return "", false
		}
	case '"':
		if !first {
			d.i = len(d.b) + 1
			return "", false
		}
	default:
		d.i = len(d.b) + 1
		return "", false
	}
	key, ok := d.str()
	if !ok || !d.consume(':') {
		d.i = len(d.b) + 1
		return "", false
	}
	d.peek()
	return key, true
}

// done reports whether an object read with member ended well.
func (d *fastDecoder) done() bool { return d.i <= len(d.b) }

// str reads the string at d.i (a '"') and returns it decoded.
func (d *fastDecoder) str() (string, bool) {
	start := d.i + 1
	j := skipPlain(d.b, start)
	if j >= len(d.b) {
		return "", false
	}
	switch d.b[j] {
	case '"':
		d.i = j + 1
		return d.s[start:j], true
	case '\\':
		end, ok := scanString(d.b, d.i)
		if !ok {
			return "", false
		}
		d.i = end
		return unquote(d.b[start : end-1])
	}
	return "", false
}

// skip reads any value and returns its bytes.
func (d *fastDecoder) skip() (start, end int, ok bool) {
	switch c := d.peek(); {
	case c == '"':
		end, ok = scanString(d.b, d.i)
	case c == '-' || (c >= '0' && c <= '9'):
		end, ok = scanNumber(d.b, d.i)
	case c == 't':
		end, ok = d.i+len("true"), hasLiteral(d.b, d.i, "true")
	case c == 'f':
		end, ok = d.i+len("false"), hasLiteral(d.b, d.i, "false")
	case c == 'n':
		end, ok = d.i+len("null"), hasLiteral(d.b, d.i, "null")
	case c == '{' || c == '[':
		end, ok = skipContainer(d.b, d.i)
	}
	start = d.i
	if ok {
		d.i = end
	}
	return start, end, ok
}

// skipContainer returns the index after the object or array at b[i],
// which must be well formed.
func skipContainer(b []byte, i int) (int, bool) {
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1, true
			}
		case '"':
			end, ok := scanString(b, i)
			if !ok {
				return i, false
			}
			i = end
			continue
		}
		i++
	}
	return i, false
}

// null reads a null if there is one.
func (d *fastDecoder) null() bool {
	if d.peek() == 'n' && hasLiteral(d.b, d.i, "null") {
		d.i += len("null")
		return true
	}
	return false
}

// stringOrNull reads a string into *dst or a null (which leaves *dst, as
// encoding/json does).
func (d *fastDecoder) stringOrNull(dst *string) bool {
	if d.peek() == '"' {
		s, ok := d.str()
		*dst = s
		return ok
	}
	return d.null()
}

// number reads a number literal.
func (d *fastDecoder) number() (string, bool) {
	if c := d.peek(); c != '-' && (c < '0' || c > '9') {
		return "", false
	}
	end, ok := scanNumber(d.b, d.i)
	if !ok {
		return "", false
	}
	s := d.s[d.i:end]
	d.i = end
	return s, true
}

// unquote decodes the content of a well-formed JSON string (without its
// quotes) exactly as encoding/json does: invalid surrogate escapes and
// invalid UTF-8 become U+FFFD.
func unquote(s []byte) (string, bool) {
	b := make([]byte, 0, len(s))
	for r := 0; r < len(s); {
		switch c := s[r]; {
		case c == '\\':
			if r+1 >= len(s) {
				return "", false
			}
			switch s[r+1] {
			case '"', '\\', '/', '\'':
				b = append(b, s[r+1])
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				rr := getu4(s[r:])
				if rr < 0 {
					return "", false
				}
				r += 6
				if utf16.IsSurrogate(rr) {
					if dec := utf16.DecodeRune(rr, getu4(s[r:])); dec != utf8.RuneError {
						r += 6
						b = utf8.AppendRune(b, dec)
						continue
					}
					rr = utf8.RuneError
				}
				b = utf8.AppendRune(b, rr)
				continue
			default:
				return "", false
			}
			r += 2
		case c == '"' || c < ' ':
			return "", false
		case c < utf8.RuneSelf:
			b = append(b, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			r += size
			b = utf8.AppendRune(b, rr)
		}
	}
	return string(b), true
}

// envelope reads the envelope into env and returns where the body's value
// is in d.b (0, 0 when there is none).
func (d *fastDecoder) envelope(env *envelope) (bodyStart, bodyEnd int, ok bool) {
	if !d.consume('{') {
		return 0, 0, false
	}
	for first := true; ; first = false {
		key, more := d.member(first)
		if !more {
			return bodyStart, bodyEnd, d.done()
		}
		switch key {
		case "id":
			ok = d.stringOrNull(&env.ID)
		case "type":
			ok = d.stringOrNull(&env.Type)
		case "occurred_at":
			ok = d.stringOrNull(&env.OccurredAt)
		case "recorded_at":
			ok = d.stringOrNull(&env.RecordedAt)
		case "publisher":
			ok = d.stringOrNull(&env.Publisher)
		case "body":
			bodyStart, bodyEnd, ok = d.skip()
		default:
			ok = false
		}
		if !ok {
			return 0, 0, false
		}
	}
}

// corrected reads the body of a correction; amended is where the amended
// event's value is in d.b (0, 0 when there is none).
func (d *fastDecoder) corrected(w *correctedWire) (amendedStart, amendedEnd int, ok bool) {
	if !d.consume('{') {
		return 0, 0, false
	}
	for first := true; ; first = false {
		key, more := d.member(first)
		if !more {
			return amendedStart, amendedEnd, d.done()
		}
		switch key {
		case "target":
			ok = d.stringOrNull(&w.Target)
		case "action":
			ok = d.stringOrNull(&w.Action)
		case "reason":
			ok = d.stringOrNull(&w.Reason)
		case "amended":
			amendedStart, amendedEnd, ok = d.skip()
		default:
			ok = false
		}
		if !ok {
			return 0, 0, false
		}
	}
}

// A structPlan says how the fast decoder fills a struct type: the fields
// by JSON name, each with the kind of value it takes.
type structPlan struct {
	fields []planField
}

type planField struct {
	name  string
	index []int // reflect.Value.FieldByIndex, through embedded structs
	kind  planKind
	unit  bool        // the string or the slice's elements are UnitIDs (normalised)
	plan  *structPlan // planStruct
}

type planKind uint8

const (
	planString   planKind = iota // any type of kind string
	planStrings                  // a slice of a type of kind string
	planStruct                   // a struct, not a pointer
	planPtrFloat                 // *float64
	planPtrInt                   // *int64
	planInt                      // a type of kind int64
	planFloat                    // a type of kind float64
)

// bodyPlans holds the plan of every registered body type that the fast
// decoder supports. It is written only by init.
var bodyPlans = map[reflect.Type]*structPlan{}

func init() {
	for _, r := range registry {
		if r.decode != nil {
			continue
		}
		t := reflect.TypeOf(r.new()).Elem()
		if p, ok := newStructPlan(t); ok {
			bodyPlans[t] = p
		}
	}
}

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// customDecoding reports whether encoding/json decodes t with methods of
// its own rather than by its kind.
func customDecoding(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return p.Implements(jsonUnmarshalerType) || p.Implements(textUnmarshalerType)
}

// newStructPlan builds the plan of struct type t, or returns false when t
// has a field the fast decoder does not support, in which case values of
// t are always decoded by encoding/json.
func newStructPlan(t reflect.Type) (*structPlan, bool) {
	if t.Kind() != reflect.Struct || customDecoding(t) {
		return nil, false
	}
	p := &structPlan{}
	if !p.add(t, nil) {
		return nil, false
	}
	for i, f := range p.fields {
		for _, g := range p.fields[:i] {
			if f.name == g.name { // encoding/json has rules for these; leave them to it
				return nil, false
			}
		}
	}
	return p, true
}

func (p *structPlan) add(t reflect.Type, index []int) bool {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(opts, "string") {
			return false
		}
		idx := append(append([]int(nil), index...), i)
		if f.Anonymous && name == "" {
			if f.Type.Kind() != reflect.Struct || customDecoding(f.Type) {
				if !f.IsExported() && f.Type.Kind() != reflect.Pointer {
					continue // encoding/json ignores it
				}
				return false
			}
			if !p.add(f.Type, idx) {
				return false
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if !validKey(name) { // a key scan accepts could match it case-insensitively
			return false
		}
		pf := planField{name: name, index: idx}
		ft := f.Type
		switch {
		case customDecoding(ft) || ft == reflect.TypeFor[json.Number]():
			return false
		case ft.Kind() == reflect.String:
			pf.kind, pf.unit = planString, ft == unitIDType
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.String && !customDecoding(ft.Elem()):
			pf.kind, pf.unit = planStrings, ft.Elem() == unitIDType
		case ft.Kind() == reflect.Struct && ft != timeType:
			sub, ok := newStructPlan(ft)
			if !ok {
				return false
			}
			pf.kind, pf.plan = planStruct, sub
		case ft == reflect.TypeFor[*float64]():
			pf.kind = planPtrFloat
		case ft == reflect.TypeFor[*int64]():
			pf.kind = planPtrInt
		case ft.Kind() == reflect.Int64:
			pf.kind = planInt
		case ft.Kind() == reflect.Float64:
			pf.kind = planFloat
		default:
			return false
		}
		p.fields = append(p.fields, pf)
	}
	return true
}

func (p *structPlan) field(name string) *planField {
	for i := range p.fields {
		if p.fields[i].name == name {
			return &p.fields[i]
		}
	}
	return nil
}

// fastBody decodes a body (an object) into body, a pointer to a zero
// struct, and normalises it as normalize does. It returns false if it
// cannot, leaving body partly filled.
func fastBody(b []byte, s string, body Body) bool {
	v := reflect.ValueOf(body).Elem()
	p := bodyPlans[v.Type()]
	if p == nil {
		return false
	}
	d := fastDecoder{b: b, s: s}
	if !d.object(v, p) {
		return false
	}
	return d.peek() == 0 && d.i == len(d.b)
}

// object reads an object into the struct v.
func (d *fastDecoder) object(v reflect.Value, p *structPlan) bool {
	if !d.consume('{') {
		return false
	}
	for first := true; ; first = false {
		key, more := d.member(first)
		if !more {
			return d.done()
		}
		f := p.field(key)
		if f == nil || !d.value(v.FieldByIndex(f.index), f) {
			return false
		}
	}
}

// value reads a member's value into the field fv.
func (d *fastDecoder) value(fv reflect.Value, f *planField) bool {
	if d.null() {
		switch f.kind {
		case planStrings, planPtrFloat, planPtrInt:
			fv.SetZero()
		}
		return true
	}
	switch f.kind {
	case planString:
		if d.peek() != '"' {
			return false
		}
		s, ok := d.str()
		if !ok {
			return false
		}
		if f.unit {
			s = normalUnit(s)
		}
		fv.SetString(s)
		return true
	case planStrings:
		return d.strings(fv, f.unit)
	case planStruct:
		return d.peek() == '{' && d.object(fv, f.plan)
	case planPtrFloat, planFloat:
		lit, ok := d.number()
		if !ok {
			return false
		}
		x, err := strconv.ParseFloat(lit, 64)
		if err != nil {
			return false
		}
		if x == 0 {
			x = 0 // -0 becomes 0 (normalize)
		}
		if f.kind == planFloat {
			fv.SetFloat(x)
		} else {
			fv.Set(reflect.ValueOf(&x))
		}
		return true
	case planPtrInt, planInt:
		lit, ok := d.number()
		if !ok {
			return false
		}
		n, err := strconv.ParseInt(lit, 10, 64)
		if err != nil {
			return false
		}
		if f.kind == planInt {
			fv.SetInt(n)
		} else {
			fv.Set(reflect.ValueOf(&n))
		}
		return true
	}
	return false
}

// strings reads an array of strings (a null element is "") into the slice
// fv; an empty array leaves it nil (normalize).
func (d *fastDecoder) strings(fv reflect.Value, unit bool) bool {
	if !d.consume('[') {
		return false
	}
	var buf [16]string
	list := buf[:0]
	if d.peek() == ']' {
		d.i++
		return true
	}
	for {
		var s string
		if !d.stringOrNull(&s) {
			return false
		}
		if unit {
			s = normalUnit(s)
		}
		list = append(list, s)
		if d.consume(',') {
			continue
		}
		if !d.consume(']') {
			return false
		}
		break
	}
	switch p := fv.Addr().Interface().(type) {
	case *[]UnitID:
		units := make([]UnitID, len(list))
		for i, s := range list {
			units[i] = UnitID(s)
		}
		*p = units
	case *[]string:
		*p = append([]string(nil), list...)
	default:
		sv := reflect.MakeSlice(fv.Type(), len(list), len(list))
		for i, s := range list {
			sv.Index(i).SetString(s)
		}
		fv.Set(sv)
	}
	return true
}

// normalUnit returns the normalised form of the unit id s, or s if it
// does not normalise (normalize).
func normalUnit(s string) string {
	if UnitID(s).normal() {
		return s
	}
	if u, reason := parseUnitID(s); reason == "" {
		return string(u)
	}
	return s
}
