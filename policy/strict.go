package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
)

// maxDepth bounds how deeply a policy document may nest.
const maxDepth = 32

// rawMessageType marks a part of a document that checkKeys leaves to the
// part's own loader.
var rawMessageType = reflect.TypeFor[json.RawMessage]()

// checkKeys walks the JSON document data token by token and rejects, with
// the path of the offending key (e.g. "groups[2].members[0].country"):
//
//   - the same key twice in one object, which encoding/json would silently
//     resolve to the last value;
//   - when schema is not nil, a key that is not the exact JSON name of a
//     field of the struct at that place: encoding/json matches names
//     without regard to case and its DisallowUnknownFields names no path;
//   - a second top-level value, and nesting deeper than maxDepth.
//
// A part whose schema type is json.RawMessage is not checked (its own
// loader checks it). doc names the document in the error: "policy: <doc>:
// <path>: <reason>".
func checkKeys(doc string, data []byte, schema reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []keyFrame
	done := false // the top-level value is complete
	fail := func(path, reason string) error {
		if path == "" {
			return fmt.Errorf("policy: %s: %s", doc, reason)
		}
		return fmt.Errorf("policy: %s: %s: %s", doc, path, reason)
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			path := ""
			if n := len(stack); n > 0 {
				path = stack[n-1].childPath()
			}
			return fail(path, jsonReason(err))
		}
		if done {
			return fail("", "data after the top-level object")
		}
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].expect {
			top := &stack[n-1]
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:n-1]
				done = afterValue(stack)
				continue
			}
			k, _ := tok.(string)
			top.key = k
			if top.checked {
				if top.keys[k] {
					return fail(top.childPath(), fmt.Sprintf("duplicate key %q", k))
				}
				top.keys[k] = true
				if top.typ != nil && top.typ.Kind() == reflect.Struct {
					if _, ok := jsonField(top.typ, k); !ok {
						return fail(top.childPath(), "unknown field")
					}
				}
			}
			top.expect = false
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(stack) >= maxDepth {
				return fail("", "nested too deeply")
			}
			f := keyFrame{object: tok == json.Delim('{'), expect: tok == json.Delim('{')}
			if n := len(stack); n == 0 {
				f.typ, f.checked = deref(schema), true
				if schema != nil && f.typ == rawMessageType {
					f.typ, f.checked = nil, false
				}
			} else {
				f.path = stack[n-1].childPath()
				f.typ, f.checked = stack[n-1].childType()
			}
			if f.object {
				f.keys = map[string]bool{}
			}
			stack = append(stack, f)
		case json.Delim(']'), json.Delim('}'):
			stack = stack[:len(stack)-1]
			done = afterValue(stack)
		default:
			done = afterValue(stack)
		}
	}
}

// keyFrame is an open object or array while checkKeys walks a document.
type keyFrame struct {
	object  bool
	keys    map[string]bool
	expect  bool // in an object: the next token is a key
	key     string
	index   int    // in an array: the index of the next element
	path    string // of this object or array
	typ     reflect.Type
	checked bool
}

// childPath is the path of the value now being read in the frame.
func (f *keyFrame) childPath() string {
	if !f.object {
		return f.path + "[" + strconv.Itoa(f.index) + "]"
	}
	if f.path == "" {
		return f.key
	}
	return f.path + "." + f.key
}

// childType is the schema type of the value now being read in the frame,
// and whether that value is checked.
func (f *keyFrame) childType() (reflect.Type, bool) {
	if !f.checked {
		return nil, false
	}
	var t reflect.Type
	if f.typ != nil {
		switch f.typ.Kind() {
		case reflect.Struct:
			if sf, ok := jsonField(f.typ, f.key); ok {
				t = sf.Type
			}
		case reflect.Map, reflect.Slice, reflect.Array:
			t = f.typ.Elem()
		}
	}
	t = deref(t)
	if t == rawMessageType {
		return nil, false
	}
	return t, true
}

// afterValue marks that a value ended: in an object, a key comes next; in
// an array, the next element. It reports whether the top-level value ended.
func afterValue(stack []keyFrame) bool {
	if len(stack) == 0 {
		return true
	}
	top := &stack[len(stack)-1]
	if top.object {
		top.expect = true
	} else {
		top.index++
	}
	return false
}

func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// jsonField finds the field of struct type t whose JSON name is exactly
// name.
func jsonField(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		tag, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if tag == "-" {
			continue
		}
		if tag == "" {
			tag = sf.Name
		}
		if tag == name {
			return sf, true
		}
	}
	return reflect.StructField{}, false
}

// decodeStrict decodes the single JSON value in data (checked beforehand
// by checkKeys) into v, refusing unknown fields, and words a decoding
// error as "policy: <doc>: <path>: <reason>".
func decodeStrict(doc string, data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			reason := fmt.Sprintf("want a JSON %s, got %s", jsonKind(te.Type), te.Value)
			if te.Field == "" {
				return fmt.Errorf("policy: %s: %s", doc, reason)
			}
			return fmt.Errorf("policy: %s: %s: %s", doc, te.Field, reason)
		}
		return fmt.Errorf("policy: %s: %s", doc, jsonReason(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("policy: %s: data after the top-level object", doc)
	}
	return nil
}

// jsonKind names the JSON kind a Go type decodes from.
func jsonKind(t reflect.Type) string {
	switch deref(t).Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	default:
		return "object"
	}
}

// jsonReason words an encoding/json error without its "json: " prefix.
func jsonReason(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (byte offset %d)", se.Error(), se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of JSON input"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}
