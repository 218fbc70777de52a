package epcis

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The CBV 2.0 event hash id (CBV 2.0 section 8.9; the reference
// implementation is RalphTro/epcis-event-hash-generator): every event is
// reduced to a canonical pre-hash string, independent of JSON key order,
// XML namespaces, list order, time zones, number formats and the choice
// between EPC URNs, Digital Link URIs, bare CBV words and their URIs, and
// the hash id is "ni:///sha-256;" + hex(SHA-256(pre-hash)) + "?ver=CBV2.0".
//
// The pre-hash is built on a tree of (name, text, children) nodes that the
// JSON is first put into, shaped like the event's XML form (epcList holds
// epc elements, quantityList quantityElement elements, ...):
//
//   - "eventType=" and the event type;
//   - the standard fields in the CBV order of propOrder, each "name=value"
//     (a container writes its name, then its children in their own
//     order); repeated elements (the EPCs of a list, the reports of a
//     sensor element) are sorted as strings; times are UTC with
//     milliseconds, rounded half to even; values are canonicalised
//     (canonValue: CBV URNs to web URIs, numbers in one form, GS1 keys to
//     canonical Digital Link URIs);
//   - user extensions inside a standard container follow that container's
//     standard fields, sorted;
//   - then everything not consumed so far (business transactions,
//     sources, destinations, ilmd, extensions), generically
//     ("name=value" or name followed by children), sorted as strings; the
//     type of a business transaction, source or destination comes before
//     its value;
//   - recordTime, eventID and errorDeclaration are left out.

// hnode is one element of the pre-hash tree.
type hnode struct {
	name string
	text string
	kids []*hnode
	pair bool // a (type, value) element of bizTransactionList, sourceList or destinationList
}

type prop struct {
	name string
	sub  []prop
}

var (
	epcOrder      = []prop{{name: "epc"}}
	quantityOrder = []prop{{name: "quantityElement", sub: []prop{{name: "epcClass"}, {name: "quantity"}, {name: "uom"}}}}
	propOrder     = []prop{
		{name: "eventTime"},
		{name: "eventTimeZoneOffset"},
		{name: "certificationInfo"},
		{name: "parentID"},
		{name: "epcList", sub: epcOrder},
		{name: "inputEPCList", sub: epcOrder},
		{name: "childEPCs", sub: epcOrder},
		{name: "quantityList", sub: quantityOrder},
		{name: "childQuantityList", sub: quantityOrder},
		{name: "inputQuantityList", sub: quantityOrder},
		{name: "outputEPCList", sub: epcOrder},
		{name: "outputQuantityList", sub: quantityOrder},
		{name: "action"},
		{name: "transformationID"},
		{name: "bizStep"},
		{name: "disposition"},
		{name: "persistentDisposition", sub: []prop{{name: "set"}, {name: "unset"}}},
		{name: "readPoint", sub: []prop{{name: "id"}}},
		{name: "bizLocation", sub: []prop{{name: "id"}}},
		// bizTransactionList, sourceList and destinationList are written
		// with the generic rest, after the sensor elements
		{name: "sensorElementList", sub: []prop{{name: "sensorElement", sub: []prop{
			{name: "sensorMetadata", sub: props("time", "startTime", "endTime", "deviceID", "deviceMetadata", "rawData",
				"dataProcessingMethod", "bizRules")},
			{name: "sensorReport", sub: props("type", "exception", "deviceID", "deviceMetadata", "rawData",
				"dataProcessingMethod", "time", "microorganism", "chemicalSubstance", "value", "component", "stringValue",
				"booleanValue", "hexBinaryValue", "uriValue", "minValue", "maxValue", "meanValue", "sDev", "percRank",
				"percValue", "uom", "coordinateReferenceSystem")},
		}}}},
	}
	hashIgnored = []string{"recordTime", "eventID", "type", "errorDeclaration"}
)

func props(names ...string) []prop {
	out := make([]prop, len(names))
	for i, n := range names {
		out[i] = prop{name: n}
	}
	return out
}

// hashContext is what the hash of an event depends on besides the event:
// the namespace prefixes of the document's @context (extension fields are
// written "{namespace}local") and the CBV and GS1 vocabulary IRIs the
// document uses (bare words are replaced by them).
type hashContext struct {
	ns       map[string]string // prefix -> namespace IRI
	expanded []string          // vocabulary IRIs found in the document, sorted, distinct
	ignore   map[string]bool   // event fields the document says to leave out ("{ns}local")
}

// newHashContext reads the prefixes of a @context (the list form: the
// string values of its objects) and the vocabulary IRIs of the events.
func newHashContext(context any, events []map[string]any) *hashContext {
	h := &hashContext{ns: map[string]string{}}
	h.addContext(context)
	set := map[string]bool{}
	for _, ev := range events {
		collectExpanded(ev, "", set, h.ns)
	}
	h.expanded = sortedKeys(set)
	return h
}

func (h *hashContext) addContext(context any) {
	list, ok := context.([]any)
	if !ok {
		return
	}
	for _, c := range list {
		if m, ok := c.(map[string]any); ok {
			for k, v := range m {
				if s, ok := v.(string); ok {
					h.ns[k] = s
				}
			}
		}
	}
}

// ignoreFields reads the fields a document (or its query results) lists
// under an "ignoreFields" extension: repositories that add fields of their
// own to events (a capture id, a stored hash) name them there, and the hash
// leaves them out.
func (h *hashContext) ignoreFields(doc map[string]any) {
	c := converter{h: h, ns: h.ns}
	visit := func(m map[string]any) {
		for k, v := range m {
			if !strings.HasSuffix(k, ":ignoreFields") && !strings.HasSuffix(k, "/ignoreFields") {
				continue
			}
			list, _ := v.([]any)
			for _, f := range list {
				if s, ok := f.(string); ok {
					if h.ignore == nil {
						h.ignore = map[string]bool{}
					}
					h.ignore[c.key(s)] = true
				}
			}
		}
	}
	visit(doc)
	if body, _ := doc["epcisBody"].(map[string]any); body != nil {
		if qr, _ := body["queryResults"].(map[string]any); qr != nil {
			visit(qr)
		}
	}
}

// vocabFor returns the vocabulary of a value at path (a key path with
// array indexes left out, from the event), or nil.
func vocabFor(path string) *vocabulary {
	switch path {
	case "bizStep":
		return vocBizStep
	case "disposition", "persistentDisposition.set", "persistentDisposition.unset":
		return vocDisposition
	case "sourceList.type", "destinationList.type":
		return vocSourceDest
	case "bizTransactionList.type":
		return vocBizTransaction
	case "errorDeclaration.reason":
		return vocErrorReason
	case "sensorElementList.sensorReport.type":
		return vocMeasurement
	case "sensorElementList.sensorReport.exception":
		return vocSensorAlert
	case "sensorElementList.sensorReport.component":
		return vocComponent
	}
	return nil
}

// collectExpanded gathers the CBV and GS1 web vocabulary IRIs of v: what a
// JSON-LD expansion of the document yields under https://ref.gs1.org/cbv
// and https://gs1.org/voc (bare terms of vocabulary-typed fields expanded,
// full IRIs as written).
func collectExpanded(v any, path string, set map[string]bool, ns map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if k == "@context" {
				continue
			}
			p := k
			if path != "" {
				p = path + "." + k
			}
			collectExpanded(e, p, set, ns)
		}
	case []any:
		for _, e := range x {
			collectExpanded(e, path, set, ns)
		}
	case string:
		s := x
		if voc := vocabFor(path); voc != nil {
			if iri, ok := voc.terms[s]; ok {
				s = iri
			} else {
				s = expandCURIE(expandCURIE(s, ns), stdPrefixes)
			}
		}
		if strings.HasPrefix(s, "https://ref.gs1.org/cbv") || strings.HasPrefix(s, "https://gs1.org/voc") {
			set[s] = true
		}
	}
}

// bare returns the vocabulary IRI a bare word stands for: the one IRI of
// the document's vocabulary that ends in "-word" or "/word", else s.
func (h *hashContext) bare(s string) string {
	found := ""
	for _, x := range h.expanded {
		if strings.HasSuffix(x, "-"+s) || strings.HasSuffix(x, "/"+s) {
			if found != "" {
				return s // ambiguous: left as written
			}
			found = x
		}
	}
	if found != "" {
		return found
	}
	return s
}

// HashID returns the CBV 2.0 event hash id of one EPCIS event:
// "ni:///sha-256;<64 hex digits>?ver=CBV2.0". event is the event object,
// decoded (map[string]any, numbers as float64 or json.Number) or as JSON
// ([]byte, json.RawMessage or string). Extension fields are resolved
// through the event's own "@context"; (*Document).HashID resolves them
// through the document's.
func HashID(event any) (string, error) {
	p, err := PreHash(event)
	if err != nil {
		return "", err
	}
	return hashOf(p), nil
}

// PreHash returns the canonical pre-hash string of one EPCIS event (see
// HashID), whose SHA-256 is the event hash id.
func PreHash(event any) (string, error) {
	ev, err := eventObject(event)
	if err != nil {
		return "", err
	}
	h := newHashContext(ev["@context"], []map[string]any{ev})
	return h.preHash(ev)
}

func hashOf(preHash string) string {
	sum := sha256.Sum256([]byte(preHash))
	return "ni:///sha-256;" + hex.EncodeToString(sum[:]) + "?ver=CBV2.0"
}

func eventObject(event any) (map[string]any, error) {
	var data []byte
	switch x := event.(type) {
	case map[string]any:
		return x, nil
	case []byte:
		data = x
	case json.RawMessage:
		data = x
	case string:
		data = []byte(x)
	default:
		return nil, fmt.Errorf("epcis: HashID of a %T: want an event object or its JSON", event)
	}
	if len(data) > MaxDocumentBytes {
		return nil, fmt.Errorf("epcis: event is %d bytes, more than %d", len(data), MaxDocumentBytes)
	}
	v, err := decodeJSON(data)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("epcis: an event must be a JSON object")
	}
	return m, nil
}

func (h *hashContext) preHash(ev map[string]any) (string, error) {
	typ, _ := ev["type"].(string)
	if typ == "" {
		return "", errors.New("epcis: event has no type")
	}
	ns := h.ns
	if ev["@context"] != nil { // an event may carry prefixes of its own
		ns = maps(h.ns)
		(&hashContext{ns: ns}).addContext(ev["@context"])
	}
	c := converter{h: h, ns: ns}
	if len(h.ignore) > 0 {
		kept := make(map[string]any, len(ev))
		for k, v := range ev {
			if !h.ignore[c.key(k)] {
				kept[k] = v
			}
		}
		ev = kept
	}
	root := c.object("", ev)
	correct(root)
	kids := root.kids
	var b strings.Builder
	b.WriteString("eventType=")
	b.WriteString(h.bare(typ))
	b.WriteString(inOrder(&kids, propOrder))
	rest := kids[:0:0]
	for _, k := range kids {
		if !slices.Contains(hashIgnored, k.name) {
			rest = append(rest, k)
		}
	}
	b.WriteString(generic(rest))
	return b.String(), nil
}

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// converter puts decoded JSON into pre-hash nodes.
type converter struct {
	h  *hashContext
	ns map[string]string
}

// key writes an extension key "prefix:local" as "{namespace}local".
func (c converter) key(k string) string {
	if p, rest, ok := strings.Cut(k, ":"); ok {
		if ns, ok := c.ns[p]; ok {
			return "{" + ns + "}" + rest
		}
	}
	return k
}

// value writes a scalar as text: a string with its bare word and prefix
// resolved, numbers as Python writes them, true/false/null as True, False,
// None (the reference implementation's str()).
func (c converter) value(v any) string {
	switch x := v.(type) {
	case string:
		s := c.h.bare(x)
		if p, rest, ok := strings.Cut(s, ":"); ok {
			if ns, ok := c.ns[p]; ok {
				return ns + rest
			}
		}
		return s
	case json.Number:
		return string(x) // canonValue puts every number in one form
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		if x {
			return "True"
		}
		return "False"
	case nil:
		return "None"
	}
	return fmt.Sprint(v)
}

func (c converter) object(name string, m map[string]any) *hnode {
	n := &hnode{name: name}
	for _, k := range sortedKeys(m) {
		if strings.HasPrefix(k, "@xmlns") && len(k) > 7 {
			if s, ok := m[k].(string); ok {
				// a namespace declared here (JSON converted from XML) holds
				// for this object and what it contains
				c.ns = maps(c.ns)
				c.ns[k[7:]] = s
			}
		}
	}
	for _, k := range sortedKeys(m) {
		v := m[k]
		switch {
		case k == "#text":
			n.text = c.value(v)
			continue
		case k == "rdfs:comment" || k == "comment" || k == "@context" || strings.HasPrefix(k, "@xmlns"):
			continue
		}
		n.kids = append(n.kids, c.nodes(c.key(k), v)...)
	}
	return n
}

// nodes converts the value of key name: a list gives one node per element.
func (c converter) nodes(name string, v any) []*hnode {
	switch x := v.(type) {
	case []any:
		var out []*hnode
		for _, e := range x {
			out = append(out, c.nodes(name, e)...)
		}
		return out
	case map[string]any:
		return []*hnode{c.object(name, x)}
	default:
		return []*hnode{{name: name, text: c.value(v)}}
	}
}

// correct reshapes the JSON tree like the XML one: the elements of "xList"
// become children "x" of one "xList" node (sources, destinations and
// business transactions become (type, value) pairs), childEPCs elements
// become epc children, and the JSON names of quantity elements and of
// input and output EPCs become their XML names.
func correct(n *hnode) {
	var kids []*hnode
	lists := map[string]*hnode{}
	var order []string
	var childEPCs *hnode
	for _, k := range n.kids {
		switch {
		case !k.pair && strings.HasSuffix(k.name, "List"):
			l := lists[k.name]
			if l == nil {
				l = &hnode{name: k.name}
				lists[k.name] = l
				order = append(order, k.name)
			}
			el := &hnode{name: k.name[:len(k.name)-4], text: k.text, kids: k.kids}
			switch k.name {
			case "bizTransactionList", "sourceList", "destinationList":
				el = &hnode{pair: true, kids: pairOrder(k.kids)}
			}
			l.kids = append(l.kids, el)
		case k.name == "childEPCs":
			if childEPCs == nil {
				childEPCs = &hnode{name: "childEPCs"}
			}
			childEPCs.kids = append(childEPCs.kids, &hnode{name: "epc", text: k.text})
		default:
			kids = append(kids, k)
		}
	}
	for _, name := range order {
		kids = append(kids, lists[name])
	}
	if childEPCs != nil {
		kids = append(kids, childEPCs)
	}
	for _, k := range kids {
		switch k.name {
		case "bizTransactionList", "sourceList", "destinationList":
		default:
			correct(k)
		}
	}
	n.kids = kids
	switch {
	case n.name == "inputEPC" || n.name == "outputEPC":
		n.name = "epc"
	case n.name == "inputQuantity" || n.name == "outputQuantity" || n.name == "childQuantity" ||
		(n.name == "quantity" && len(n.kids) > 0):
		n.name = "quantityElement"
	}
}

// pairOrder puts the type of a business transaction, source or destination
// before its value.
func pairOrder(kids []*hnode) []*hnode {
	out := make([]*hnode, 0, len(kids))
	for _, k := range kids {
		if k.name == "type" {
			out = append(out, k)
		}
	}
	for _, k := range kids {
		if k.name != "type" {
			out = append(out, k)
		}
	}
	return out
}

func remove(list *[]*hnode, n *hnode) {
	for i, k := range *list {
		if k == n {
			*list = append((*list)[:i], (*list)[i+1:]...)
			return
		}
	}
}

// inOrder writes the children of list named in order, in that order,
// removing from list every child it has written whole.
func inOrder(list *[]*hnode, order []prop) string {
	ext := userExtensions(list)
	pre := ""
	for _, p := range order {
		var named []*hnode
		for _, k := range *list {
			if k.name == p.name && !k.pair {
				named = append(named, k)
			}
		}
		var values []string
		for _, k := range named {
			if s := childPreHash(k, p.sub); s != "" {
				values = append(values, s)
			}
			if len(k.kids) == 0 {
				remove(list, k)
			}
		}
		sort.Strings(values)
		if strings.Join(values, "") != "" {
			pre += strings.Join(values, "")
		}
	}
	if len(ext) > 0 {
		pre += generic(ext)
	}
	return pre
}

// userExtensions takes the extension elements ("{namespace/}name") out of
// the children of a standard container; they are written after its
// standard children. At the event level they are written with the rest.
func userExtensions(list *[]*hnode) []*hnode {
	if len(*list) <= 1 {
		return nil
	}
	for _, k := range *list {
		if strings.Contains(k.name, "eventTime") || strings.Contains(k.name, "action") {
			return nil
		}
	}
	var ext, kept []*hnode
	for _, k := range *list {
		if strings.Contains(k.name, "{") && strings.Contains(k.name, "/}") {
			ext = append(ext, k)
		} else {
			kept = append(kept, k)
		}
	}
	*list = kept
	return ext
}

func childPreHash(n *hnode, sub []prop) string {
	grand := ""
	if sub != nil {
		grand = inOrder(&n.kids, sub)
	}
	text := ""
	if n.text != "" {
		text = pyStrip(n.text)
		lower := strings.ToLower(n.name)
		if strings.Contains(lower, "time") && !strings.Contains(lower, "offset") {
			text = canonTime(text)
		} else {
			text = canonValue(text)
		}
		if text != "" {
			text = "=" + text
		}
	}
	if text != "" || grand != "" {
		return n.name + text + grand
	}
	return ""
}

// generic writes elements not in the standard order: "name=value" or the
// name followed by its children, sorted (but the (type, value) of a pair).
func generic(kids []*hnode) string {
	values := make([]string, 0, len(kids))
	for _, k := range kids {
		if k.pair {
			values = append(values, generic(k.kids))
			continue
		}
		text := pyStrip(k.text)
		if text != "" {
			text = "=" + canonValue(text)
		}
		values = append(values, k.name+text+generic(k.kids))
	}
	if len(kids) > 1 && shouldSort(kids) {
		sort.Strings(values)
	}
	return strings.Join(values, "")
}

func shouldSort(kids []*hnode) bool {
	for _, k := range kids {
		if !k.pair && (k.name == "bizTransaction" || k.name == "source" || k.name == "destination") {
			return false
		}
	}
	return true
}

// pyStrip trims white space as Python's str.strip does.
func pyStrip(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		switch r {
		case ' ', '\t', '\n', '\v', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x1f, 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
			return true
		}
		return r >= 0x2000 && r <= 0x200a
	})
}

var cbvURNs = strings.NewReplacer(
	"urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-",
	"urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-",
	"urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-",
	"urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-",
	"urn:epcglobal:cbv:er:", "https://ref.gs1.org/cbv/ER-",
)

// canonValue canonicalises a value: CBV 1.x URNs become CBV 2.0 web URIs,
// numbers one form, GS1 keys canonical Digital Link URIs.
func canonValue(s string) string {
	s = cbvURNs.Replace(s)
	s = canonNumber(s)
	if dl, ok := canonicalDL(s); ok {
		return dl
	}
	return s
}

// pyFloat is the grammar of a number that Python's float() reads.
var pyFloat = regexp.MustCompile(`^[+-]?(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*|\d(?:_?\d)*\.?)(?:[eE][+-]?\d(?:_?\d)*)?$`)

// canonNumber writes a number without a plus sign, leading or trailing
// zeros: an integral value as an integer, any other as the shortest
// decimal that reads back the same (Python's repr of a float).
func canonNumber(s string) string {
	if !pyFloat.MatchString(s) {
		return s
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) || math.IsInf(f, 0) || math.IsNaN(f) {
		return s
	}
	if f == math.Trunc(f) {
		if math.Abs(f) < 1e15 {
			return strconv.FormatInt(int64(f), 10)
		}
		i, _ := new(big.Float).SetFloat64(f).Int(nil)
		return i.String()
	}
	e := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if exp >= -4 && exp < 16 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return e
}

var timeRE = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$`)

// canonTime writes a time in UTC with milliseconds ("2006-01-02T15:04:05.000Z"),
// rounding microseconds to milliseconds half to even; digits past the
// microsecond are dropped. A time without a zone is taken as UTC. A value
// that is not a time is kept as written.
func canonTime(s string) string {
	m := timeRE.FindStringSubmatch(s)
	if m == nil {
		return s
	}
	num := func(x string) int { n, _ := strconv.Atoi(x); return n }
	frac := m[7]
	if len(frac) > 6 {
		frac = frac[:6]
	}
	us := 0
	if frac != "" {
		us = num(frac + strings.Repeat("0", 6-len(frac)))
	}
	loc := time.UTC
	if z := m[8]; z != "" && z != "Z" && z != "z" {
		d := strings.ReplaceAll(z[1:], ":", "")
		off := num(d[:2]) * 3600
		if len(d) == 4 {
			off += num(d[2:]) * 60
		}
		if z[0] == '-' {
			off = -off
		}
		loc = time.FixedZone("", off)
	}
	t := time.Date(num(m[1]), time.Month(num(m[2])), num(m[3]), num(m[4]), num(m[5]), num(m[6]), 0, loc)
	if t.Month() != time.Month(num(m[2])) || t.Day() != num(m[3]) || num(m[4]) > 23 || num(m[5]) > 59 || num(m[6]) > 59 {
		return s // not a real time
	}
	ms, rem := us/1000, us%1000
	if rem > 500 || rem == 500 && ms%2 == 1 {
		ms++
	}
	t = t.Add(time.Duration(ms) * time.Millisecond).UTC()
	return t.Format("2006-01-02T15:04:05.000Z")
}

var errNoEvents = errors.New("epcis: no eventList")

// DocumentHashIDs returns the hash id of every event of an EPCIS document
// (EPCISDocument or EPCISQueryDocument), in document order, without
// validating the document against the schema. Parse validates;
// (*Document).HashID gives the same ids for a parsed document.
func DocumentHashIDs(data []byte) ([]string, error) {
	if len(data) > MaxDocumentBytes {
		return nil, fmt.Errorf("epcis: document is %d bytes, more than %d", len(data), MaxDocumentBytes)
	}
	v, err := decodeJSON(data)
	if err != nil {
		return nil, err
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("epcis: a document must be a JSON object")
	}
	evs, _, err := eventList(doc)
	if err != nil {
		return nil, err
	}
	pre, err := preHashes(doc, evs)
	if err != nil {
		return nil, err
	}
	for i, p := range pre {
		pre[i] = hashOf(p)
	}
	return pre, nil
}

func preHashes(doc map[string]any, evs []map[string]any) ([]string, error) {
	h := newHashContext(doc["@context"], evs)
	h.ignoreFields(doc)
	out := make([]string, len(evs))
	for i, ev := range evs {
		p, err := h.preHash(ev)
		if err != nil {
			return nil, fmt.Errorf("epcis: event %d: %w", i, err)
		}
		out[i] = p
	}
	return out, nil
}

// documentPreHashes is DocumentHashIDs before hashing (for tests).
func documentPreHashes(data []byte) ([]string, error) {
	v, err := decodeJSON(data)
	if err != nil {
		return nil, err
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("epcis: a document must be a JSON object")
	}
	evs, _, err := eventList(doc)
	if err != nil {
		return nil, err
	}
	return preHashes(doc, evs)
}

// eventList returns the events of a document and the JSON path of its
// event list.
func eventList(doc map[string]any) ([]map[string]any, string, error) {
	body, _ := doc["epcisBody"].(map[string]any)
	if body == nil {
		return nil, "", errNoEvents
	}
	path := "epcisBody.eventList"
	list, ok := body["eventList"].([]any)
	if !ok {
		if qr, _ := body["queryResults"].(map[string]any); qr != nil {
			if rb, _ := qr["resultsBody"].(map[string]any); rb != nil {
				list, ok = rb["eventList"].([]any)
				path = "epcisBody.queryResults.resultsBody.eventList"
			}
		}
	}
	if !ok {
		if ev, isObj := body["event"].(map[string]any); isObj {
			return []map[string]any{ev}, "epcisBody.event", nil
		}
		return nil, "", errNoEvents
	}
	out := make([]map[string]any, 0, len(list))
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, "", fmt.Errorf("epcis: %s[%d] is not an object", path, i)
		}
		out = append(out, m)
	}
	return out, path, nil
}

// decodeJSON decodes exactly one JSON value, keeping numbers as written
// (json.Number) and refusing duplicate keys.
func decodeJSON(data []byte) (any, error) {
	if err := checkDuplicateKeys(data); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("epcis: not JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("epcis: trailing data after the JSON value")
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("epcis: trailing data after the JSON value")
	}
	return v, nil
}
