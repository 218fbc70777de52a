package epcis

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// The EPCIS 2.0 JSON-LD context (schema/epcis-context.jsonld, see
// schema/SOURCE.md) defines the CBV and GS1 web vocabulary terms that bare
// words such as "shipping" or "owning_party" stand for. Both the CBV value
// checks of Parse and the event hash read the term lists from it.
//
//go:embed schema/epcis-context.jsonld
var contextJSON []byte

// ContextURL is the JSON-LD context of EPCIS 2.0 documents.
const ContextURL = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"

// vocabulary is one CBV (or GS1 web vocabulary) value list: its bare terms
// and the IRIs they expand to.
type vocabulary struct {
	name   string            // for messages: "business step"
	prefix string            // IRI prefix of its terms: "https://ref.gs1.org/cbv/BizStep-"
	urn    string            // the CBV 1.x URN prefix of its terms, if any
	terms  map[string]string // bare term -> IRI
	iris   map[string]string // IRI -> bare term
}

// term returns the bare term a value names (a bare word, its web URI or
// its CBV 1.x URN), or false.
func (v *vocabulary) term(s string) (string, bool) {
	if _, ok := v.terms[s]; ok {
		return s, true
	}
	if t, ok := v.iris[s]; ok {
		return t, true
	}
	if v.urn != "" && strings.HasPrefix(s, v.urn) {
		if _, ok := v.terms[s[len(v.urn):]]; ok {
			return s[len(v.urn):], true
		}
	}
	return "", false
}

// inNamespace reports whether s is written in the vocabulary's own
// namespace (then it must be one of its terms).
func (v *vocabulary) inNamespace(s string) bool {
	return strings.HasPrefix(s, v.prefix) || (v.urn != "" && strings.HasPrefix(s, v.urn))
}

// stdPrefixes are the prefixes the EPCIS context defines (cbv, gs1, ...).
var stdPrefixes map[string]string

var (
	vocBizStep, vocDisposition, vocSourceDest, vocBizTransaction, vocErrorReason *vocabulary
	vocMeasurement, vocSensorAlert, vocComponent                                 *vocabulary
)

func init() {
	var doc struct {
		Context map[string]any `json:"@context"`
	}
	if err := json.Unmarshal(contextJSON, &doc); err != nil {
		panic("epcis: embedded context: " + err.Error())
	}
	c := doc.Context
	stdPrefixes = map[string]string{}
	for k, v := range c {
		if s, ok := v.(string); ok && strings.Contains(s, ":") && !strings.HasPrefix(s, "@") {
			if strings.HasSuffix(s, "/") || strings.HasSuffix(s, "#") || strings.HasSuffix(s, ":") {
				stdPrefixes[k] = s
			}
		}
	}
	get := func(path ...string) map[string]any {
		var cur any = c
		for _, p := range path {
			switch x := cur.(type) {
			case map[string]any:
				cur = x[p]
			case []any: // a list of contexts: the first that has the key
				var found any
				for _, e := range x {
					if m, ok := e.(map[string]any); ok && m[p] != nil {
						found = m[p]
						break
					}
				}
				if found == nil && len(x) > 0 && p == "0" {
					found = x[0]
				}
				cur = found
			}
		}
		m, _ := cur.(map[string]any)
		if m == nil {
			panic(fmt.Sprintf("epcis: embedded context has no %v", path))
		}
		return m
	}
	mk := func(name, prefix, urn string, terms map[string]any) *vocabulary {
		v := &vocabulary{name: name, prefix: prefix, urn: urn, terms: map[string]string{}, iris: map[string]string{}}
		for t, iri := range terms {
			s, ok := iri.(string)
			if !ok || strings.HasPrefix(t, "@") {
				continue
			}
			full := expandCURIE(s, stdPrefixes)
			v.terms[t] = full
			v.iris[full] = t
		}
		if len(v.terms) == 0 {
			panic("epcis: embedded context: empty vocabulary " + name)
		}
		return v
	}
	cbv := stdPrefixes["cbv"]
	gs1 := stdPrefixes["gs1"]
	vocBizStep = mk("business step", cbv+"BizStep-", "urn:epcglobal:cbv:bizstep:", get("bizStep", "@context"))
	vocDisposition = mk("disposition", cbv+"Disp-", "urn:epcglobal:cbv:disp:", get("disposition", "@context"))
	vocSourceDest = mk("source/destination type", cbv+"SDT-", "urn:epcglobal:cbv:sdt:", get("sourceList", "@context", "type", "@context"))
	vocBizTransaction = mk("business transaction type", cbv+"BTT-", "urn:epcglobal:cbv:btt:", get("bizTransactionList", "@context", "type", "@context"))
	vocErrorReason = mk("error reason", cbv+"ER-", "urn:epcglobal:cbv:er:", get("errorDeclaration", "@context", "reason", "@context"))
	sr := []string{"sensorElementList", "@context", "sensorReport", "@context"}
	vocMeasurement = mk("measurement type", gs1, "", get(append(sr, "type", "@context")...))
	vocSensorAlert = mk("sensor alert type", gs1, "", get(append(sr, "exception", "@context")...))
	vocComponent = mk("component", cbv+"Comp-", "", get(append(sr, "component", "@context")...))
	// persistentDisposition uses the disposition terms (its scoped context
	// repeats them); check that the embedded context agrees.
	if len(get("persistentDisposition", "@context", "0")) < len(vocDisposition.terms) {
		panic("epcis: embedded context: persistentDisposition terms")
	}
}

// expandCURIE expands a compact IRI "prefix:suffix" whose prefix is
// defined in prefixes; anything else is returned unchanged.
func expandCURIE(s string, prefixes map[string]string) string {
	p, rest, ok := strings.Cut(s, ":")
	if !ok || strings.HasPrefix(rest, "//") {
		return s
	}
	if ns, ok := prefixes[p]; ok {
		return ns + rest
	}
	return s
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
