package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Limits on decoded input. They are part of the v1 contract.
const (
	// MaxEventBytes bounds an event's input and its canonical form (256 KiB).
	// A ledger entry holds both plus a small header, which keeps it below
	// the chip-ledger topic's max.message.bytes (2 MiB).
	MaxEventBytes = 256 << 10
	// MaxUnitsPerEvent bounds every unit list of an event (units, children).
	MaxUnitsPerEvent = 5000
	// MaxStringBytes bounds every JSON string but a document's content.
	MaxStringBytes = 1024
	// MaxDepth bounds the nesting of JSON objects and arrays (the envelope is depth 1).
	MaxDepth = 16
	// MaxKeyBytes bounds every JSON object key.
	MaxKeyBytes = 64
	// maxNumberBytes bounds a JSON number literal.
	maxNumberBytes = 64
)

// scanFrame is one open object or array of the token scan.
type scanFrame struct {
	object    bool
	expectKey bool
	key       string              // object: the key of the current member
	index     int                 // array: the index of the current element
	keys      map[string]struct{} // object: keys seen so far
}

// scan checks what encoding/json does not: that data is exactly one JSON
// object, that no object has the same key twice, that every key is
// lowercase snake_case (encoding/json would otherwise match "ID" or "Id"
// to the field "id"), the nesting depth and the length of every string and
// number. data must be valid UTF-8.
//
// fastValid accepts exactly what scanTokens accepts, without allocating;
// scanTokens runs only for input fastValid rejects, to report why.
func scan(data []byte) error {
	if fastValid(data) {
		return nil
	}
	return scanTokens(data)
}

// scanTokens is scan as one streaming pass over the tokens of a
// json.Decoder. It is the reference for fastValid and gives the errors.
func scanTokens(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []scanFrame
	done := false
	afterValue := func() {
		if len(stack) == 0 {
			done = true
			return
		}
		top := &stack[len(stack)-1]
		if top.object {
			top.expectKey = true
		} else {
			top.index++
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				if done {
					return nil
				}
				return verr(ReasonNotJSON, "", "not a JSON object: unexpected end of input")
			}
			return verr(ReasonNotJSON, "", "not valid JSON: "+strings.TrimPrefix(err.Error(), "json: "))
		}
		if done {
			return verr(ReasonNotJSON, "", "not a single JSON object: trailing data after the object")
		}
		if len(stack) == 0 {
			if d, ok := tok.(json.Delim); !ok || d != '{' {
				return verr(ReasonNotJSON, "", "not a JSON object")
			}
		}
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].expectKey {
			top := &stack[n-1]
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:n-1]
				afterValue()
				continue
			}
			key, ok := tok.(string)
			if !ok { // cannot happen: the decoder only returns strings in key position
				return verr(ReasonNotJSON, scanPath(stack), "object key is not a string")
			}
			if !validKey(key) {
				return verr(ReasonBadKey, join(scanPath(stack[:n-1]), quote(key)),
					fmt.Sprintf("key is not lowercase snake_case ([a-z0-9_]+, at most %d bytes)", MaxKeyBytes))
			}
			if _, dup := top.keys[key]; dup {
				top.key = key
				return verr(ReasonDuplicateKey, scanPath(stack), "duplicate key "+strconv.Quote(key))
			}
			if top.keys == nil {
				top.keys = make(map[string]struct{}, 8)
			}
			top.keys[key] = struct{}{}
			top.key = key
			top.expectKey = false
			continue
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if len(stack) >= MaxDepth {
					return verr(ReasonInvalid, scanPath(stack), fmt.Sprintf("nested deeper than %d levels", MaxDepth))
				}
				stack = append(stack, scanFrame{object: t == '{', expectKey: t == '{'})
			default: // ']' ('}' is handled in key position above)
				stack = stack[:len(stack)-1]
				afterValue()
			}
		case string:
			if len(t) > MaxStringBytes {
				top := stack[len(stack)-1]
				if !top.object || top.key != "content" {
					return verr(ReasonOutOfRange, scanPath(stack), fmt.Sprintf("string longer than %d bytes", MaxStringBytes))
				}
			}
			afterValue()
		case json.Number:
			if len(t) > maxNumberBytes {
				return verr(ReasonOutOfRange, scanPath(stack), fmt.Sprintf("number longer than %d bytes", maxNumberBytes))
			}
			afterValue()
		default: // bool, nil
			afterValue()
		}
	}
}

// scanPath is the JSON path of the current value: keys joined by dots,
// array indexes in brackets.
func scanPath(stack []scanFrame) string {
	var b strings.Builder
	for _, f := range stack {
		if f.object {
			if f.key == "" {
				break
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.key)
		} else {
			b.WriteString("[" + strconv.Itoa(f.index) + "]")
		}
	}
	return b.String()
}

func validKey(k string) bool {
	if k == "" || len(k) > MaxKeyBytes {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// quote quotes s for an error message, cut to a readable length.
func quote(s string) string {
	const limit = 64
	if len(s) > limit {
		cut := limit
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
