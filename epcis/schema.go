package epcis

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// The EPCIS 2.0 JSON Schema, single-file form (schema/SOURCE.md).
//
//go:embed schema/EPCIS-JSON-Schema.json
var schemaJSON []byte

const schemaURL = "https://gs1.github.io/EPCIS/EPCIS-JSON-Schema.json"

var (
	schemaOnce sync.Once
	schemaVal  *jsonschema.Schema
	schemaErr  error
)

// epcisSchema compiles the embedded schema once.
func epcisSchema() (*jsonschema.Schema, error) {
	schemaOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
		if err != nil {
			schemaErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.UseRegexpEngine(compileRegexp)
		c.AssertFormat() // draft-07 asserts formats anyway; be explicit
		if err := c.AddResource(schemaURL, doc); err != nil {
			schemaErr = err
			return
		}
		schemaVal, schemaErr = c.Compile(schemaURL)
	})
	return schemaVal, schemaErr
}

// goRegexp and notRegexp adapt Go's regexp (RE2) to the schema's patterns.
// The schema uses ECMAScript patterns; two of them are a negative
// lookahead at the start, "^(?!(A|B))" ("does not start with A or B"),
// which RE2 does not have: they are compiled as the negation of "^(A|B)".
// Every other pattern of the schema is valid RE2.
type goRegexp struct{ *regexp.Regexp }

type notRegexp struct {
	re  *regexp.Regexp
	src string
}

func (r notRegexp) MatchString(s string) bool { return !r.re.MatchString(s) }
func (r notRegexp) String() string            { return r.src }

func compileRegexp(s string) (jsonschema.Regexp, error) {
	if strings.HasPrefix(s, "^(?!") && strings.HasSuffix(s, ")") {
		inner := s[len("^(?!") : len(s)-1]
		re, err := regexp.Compile("^(?:" + inner + ")")
		if err != nil {
			return nil, err
		}
		return notRegexp{re: re, src: s}, nil
	}
	re, err := regexp.Compile(s)
	if err != nil {
		return nil, err
	}
	return goRegexp{re}, nil
}

var printer = message.NewPrinter(language.English)

// schemaErrors turns the library's error tree into one ValidationError
// per failed leaf keyword: its JSON path in the document and the reason.
func schemaErrors(doc any, err error) ValidationErrors {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return ValidationErrors{{Reason: "schema: " + err.Error()}}
	}
	var out ValidationErrors
	seen := map[string]bool{}
	var walk func(e *jsonschema.ValidationError, parent []string, at, prefix string)
	walk = func(e *jsonschema.ValidationError, parent []string, at, prefix string) {
		if pn, ok := e.ErrorKind.(*kind.PropertyNames); ok {
			// the causes are about the key itself: report them at the key,
			// in the object of the enclosing error (the library does not
			// copy the location of a propertyNames error, which can change
			// after it is made)
			at = jsonPath(doc, parent)
			if at != "" {
				at += "."
			}
			at += pn.Property
			prefix = fmt.Sprintf("key %q is not allowed here: ", pn.Property)
		}
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c, e.InstanceLocation, at, prefix)
			}
			return
		}
		path := at
		if path == "" {
			path = jsonPath(doc, e.InstanceLocation)
		}
		reason := prefix + e.ErrorKind.LocalizedString(printer)
		if kw := e.ErrorKind.KeywordPath(); len(kw) > 0 {
			reason += " (schema: " + strings.Join(kw, "/") + ")"
		}
		if key := path + "\x00" + reason; !seen[key] {
			seen[key] = true
			out = append(out, &ValidationError{Path: path, Reason: reason})
		}
	}
	walk(ve, nil, "", "")
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	if len(out) > maxErrors {
		n := len(out)
		out = append(out[:maxErrors], &ValidationError{Reason: fmt.Sprintf("and %d more errors", n-maxErrors)})
	}
	if len(out) == 0 {
		out = ValidationErrors{{Reason: "does not validate against the EPCIS 2.0 JSON Schema"}}
	}
	return out
}

// maxErrors bounds the errors reported for one document.
const maxErrors = 100

// jsonPath writes a JSON Pointer's tokens as a dotted path with indexes
// ("epcisBody.eventList[0].bizStep"), looking at the document to tell
// array indexes from keys.
func jsonPath(doc any, tokens []string) string {
	var b strings.Builder
	cur := doc
	for _, t := range tokens {
		switch x := cur.(type) {
		case []any:
			b.WriteString("[" + t + "]")
			if i, err := strconv.Atoi(t); err == nil && i >= 0 && i < len(x) {
				cur = x[i]
			} else {
				cur = nil
			}
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(t)
			if m, ok := x.(map[string]any); ok {
				cur = m[t]
			} else {
				cur = nil
			}
		}
	}
	return b.String()
}
