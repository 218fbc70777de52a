package epcis

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Limits of a document. They keep a document's events, each mapped to one
// canonical event of at most events.MaxEventBytes, and the document kept
// as evidence, within the ledger's and Kafka's message sizes.
const (
	MaxDocumentBytes = 4 << 20 // bytes of one EPCIS document
	MaxEvents        = 10_000  // events in one document
	MaxDepth         = 32      // nesting of objects and arrays
)

// checkDuplicateKeys refuses a key that appears twice in one object (any
// depth, also when spelt with \u escapes) and nesting deeper than
// MaxDepth: encoding/json would silently keep the last value, and evidence
// must not be read two ways.
func checkDuplicateKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		obj  bool
		keys map[string]bool
		key  bool // the next token of an object is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("epcis: not JSON: %w", err)
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.obj && top.key {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				if len(stack) > 0 && stack[len(stack)-1].obj {
					stack[len(stack)-1].key = true
				}
				continue
			}
			k, ok := tok.(string)
			if !ok {
				return errors.New("epcis: not JSON: object key is not a string")
			}
			if top.keys[k] {
				return fmt.Errorf("epcis: duplicate key %q", k)
			}
			top.keys[k] = true
			top.key = false
			continue
		}
		switch d, _ := tok.(json.Delim); d {
		case '{', '[':
			if len(stack) >= MaxDepth {
				return fmt.Errorf("epcis: nesting deeper than %d", MaxDepth)
			}
			stack = append(stack, &frame{obj: d == '{', keys: map[string]bool{}, key: true})
			continue
		case '}', ']':
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 && stack[len(stack)-1].obj {
			stack[len(stack)-1].key = true
		}
	}
}
