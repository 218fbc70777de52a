package epcis

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ValidationError says where a document is wrong and why. Path is a dotted
// JSON path with indexes from the document's root
// ("epcisBody.eventList[0].bizStep"); it is empty when the input as a
// whole is wrong (too large, not JSON).
type ValidationError struct {
	Path   string
	Reason string
}

func (e *ValidationError) Error() string {
	if e.Path == "" {
		return "epcis: " + e.Reason
	}
	return "epcis: " + e.Path + ": " + e.Reason
}

// ValidationErrors are all the reasons a document was refused, in path
// order. Parse returns them as its error; errors.As finds each
// *ValidationError.
type ValidationErrors []*ValidationError

func (es ValidationErrors) Error() string {
	switch len(es) {
	case 0:
		return "epcis: invalid document"
	case 1:
		return es[0].Error()
	}
	var b strings.Builder
	b.WriteString(es[0].Error())
	fmt.Fprintf(&b, " (and %d more)", len(es)-1)
	return b.String()
}

// Unwrap returns the errors, for errors.As and errors.Is.
func (es ValidationErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

func refuse(path, format string, args ...any) ValidationErrors {
	return ValidationErrors{{Path: path, Reason: fmt.Sprintf(format, args...)}}
}

// Document types Parse accepts.
const (
	TypeDocument      = "EPCISDocument"
	TypeQueryDocument = "EPCISQueryDocument"
)

// Document is a parsed, valid EPCIS 2.0 document. Its events are mapped to
// canonical events by Events.
type Document struct {
	Type               string    // TypeDocument or TypeQueryDocument
	SchemaVersion      string    // "2.0"
	CreationDate       time.Time // in UTC
	Sender             string    // the document's sender, if given
	Receiver           string    // the document's receiver, if given
	InstanceIdentifier string    // the document's instance identifier, if given

	// Locations is the master data of the document's header: every
	// business location and read point of its vocabularyList, by its id
	// normalised as a site id (SiteID).
	Locations map[string]Location

	root       map[string]any
	events     []map[string]any
	eventsPath string // JSON path of the event list
	hash       *hashContext
	ns         map[string]string // prefixes of the document's @context and the EPCIS context
}

// Location is the master data of one location of a document's header.
type Location struct {
	ID      string // the location's id as written
	Country string // urn:epcglobal:cbv:mda:countryCode (ISO 3166-1 alpha-2), if given
	Name    string // urn:epcglobal:cbv:mda:name, if given
}

// Len returns the number of events of the document.
func (d *Document) Len() int { return len(d.events) }

// HashID returns the CBV 2.0 event hash id of event i (0-based position in
// the event list), resolving extension prefixes through the document's
// @context.
func (d *Document) HashID(i int) (string, error) {
	p, err := d.PreHash(i)
	if err != nil {
		return "", err
	}
	return hashOf(p), nil
}

// PreHash returns the canonical pre-hash string of event i.
func (d *Document) PreHash(i int) (string, error) {
	if i < 0 || i >= len(d.events) {
		return "", fmt.Errorf("epcis: no event %d", i)
	}
	return d.hash.preHash(d.events[i])
}

// EventJSON returns event i as JSON (keys sorted, numbers as written).
func (d *Document) EventJSON(i int) ([]byte, error) {
	if i < 0 || i >= len(d.events) {
		return nil, fmt.Errorf("epcis: no event %d", i)
	}
	return json.Marshal(d.events[i])
}

// Parse reads and validates one EPCIS 2.0 document in JSON or JSON-LD: an
// EPCISDocument, or an EPCISQueryDocument (query results). It refuses the
// whole document, with the JSON path and the reason of every problem
// (ValidationErrors), when it is larger than MaxDocumentBytes, is not
// UTF-8, is not exactly one JSON object, repeats a key in an object, nests
// deeper than MaxDepth, does not validate against the EPCIS 2.0 JSON
// Schema, has more than MaxEvents events, uses a CBV web URI or URN that
// is not in the CBV value list of its field (business step, disposition,
// business transaction type, source or destination type, error reason),
// or has master data with a country code that is not two uppercase
// letters. Events of a valid document that cannot be mapped are not an
// error of Parse: Events reports them one by one.
func Parse(data []byte) (*Document, error) {
	if len(data) > MaxDocumentBytes {
		return nil, refuse("", "document is %d bytes, more than %d", len(data), MaxDocumentBytes)
	}
	if !utf8.Valid(data) {
		return nil, refuse("", "document is not valid UTF-8")
	}
	v, err := decodeJSON(data)
	if err != nil {
		return nil, refuse("", "%s", strings.TrimPrefix(err.Error(), "epcis: "))
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil, refuse("", "a document must be a JSON object")
	}
	typ, _ := root["type"].(string)
	if typ != TypeDocument && typ != TypeQueryDocument {
		return nil, refuse("type", "must be %q or %q", TypeDocument, TypeQueryDocument)
	}
	if list := rawEventList(root); len(list) > MaxEvents {
		return nil, refuse("epcisBody.eventList", "%d events, more than %d: split the document", len(list), MaxEvents)
	}
	sch, err := epcisSchema()
	if err != nil {
		return nil, refuse("", "schema: %v", err)
	}
	if err := sch.Validate(any(root)); err != nil {
		return nil, schemaErrors(root, err)
	}
	events, path, err := eventList(root)
	if err != nil {
		return nil, refuse("epcisBody", "%s", strings.TrimPrefix(err.Error(), "epcis: "))
	}
	d := &Document{
		Type:       typ,
		root:       root,
		events:     events,
		eventsPath: path,
		ns:         map[string]string{},
	}
	d.SchemaVersion, _ = root["schemaVersion"].(string)
	d.Sender, _ = root["sender"].(string)
	d.Receiver, _ = root["receiver"].(string)
	d.InstanceIdentifier, _ = root["instanceIdentifier"].(string)
	if s, _ := root["creationDate"].(string); s != "" {
		t, err := parseTime(s)
		if err != nil {
			return nil, refuse("creationDate", "%v", err)
		}
		d.CreationDate = t
	}
	for k, v := range stdPrefixes {
		d.ns[k] = v
	}
	h := newHashContext(root["@context"], events)
	h.ignoreFields(root)
	d.hash = h
	for k, v := range h.ns {
		d.ns[k] = v
	}
	var errs ValidationErrors
	for i, ev := range events {
		errs = append(errs, checkCBV(ev, fmt.Sprintf("%s[%d]", path, i))...)
	}
	locs, lerrs := masterData(root, d.ns)
	errs = append(errs, lerrs...)
	if len(errs) > 0 {
		return nil, errs
	}
	d.Locations = locs
	return d, nil
}

// rawEventList returns the event list of a document before validation.
func rawEventList(root map[string]any) []any {
	body, _ := root["epcisBody"].(map[string]any)
	if body == nil {
		return nil
	}
	if l, ok := body["eventList"].([]any); ok {
		return l
	}
	if qr, _ := body["queryResults"].(map[string]any); qr != nil {
		if rb, _ := qr["resultsBody"].(map[string]any); rb != nil {
			l, _ := rb["eventList"].([]any)
			return l
		}
	}
	return nil
}

// checkCBV checks the CBV values of one event: a value written in a CBV
// vocabulary's namespace (web URI https://ref.gs1.org/cbv/... or CBV 1.x
// URN) must be a term of the vocabulary of its field. Bare words are
// checked by the schema's enumerations; other URIs are private
// vocabularies, which the standard allows (the mapping leaves events with
// private business steps unsupported).
func checkCBV(ev map[string]any, path string) ValidationErrors {
	var errs ValidationErrors
	check := func(p string, v any, voc *vocabulary) {
		s, ok := v.(string)
		if !ok {
			return
		}
		if _, ok := voc.term(s); ok {
			return
		}
		if voc.inNamespace(s) {
			errs = append(errs, &ValidationError{Path: p, Reason: fmt.Sprintf("%q is not a CBV %s", s, voc.name)})
			return
		}
		for _, other := range []*vocabulary{vocBizStep, vocDisposition, vocSourceDest, vocBizTransaction, vocErrorReason} {
			if other != voc && other.inNamespace(s) {
				errs = append(errs, &ValidationError{Path: p, Reason: fmt.Sprintf("%q is a CBV %s, not a %s", s, other.name, voc.name)})
				return
			}
		}
	}
	check(path+".bizStep", ev["bizStep"], vocBizStep)
	check(path+".disposition", ev["disposition"], vocDisposition)
	if pd, ok := ev["persistentDisposition"].(map[string]any); ok {
		for _, k := range []string{"set", "unset"} {
			list, _ := pd[k].([]any)
			for i, v := range list {
				check(fmt.Sprintf("%s.persistentDisposition.%s[%d]", path, k, i), v, vocDisposition)
			}
		}
	}
	for _, l := range []struct {
		key string
		voc *vocabulary
	}{{"bizTransactionList", vocBizTransaction}, {"sourceList", vocSourceDest}, {"destinationList", vocSourceDest}} {
		list, _ := ev[l.key].([]any)
		for i, e := range list {
			if m, ok := e.(map[string]any); ok {
				check(fmt.Sprintf("%s.%s[%d].type", path, l.key, i), m["type"], l.voc)
			}
		}
	}
	if ed, ok := ev["errorDeclaration"].(map[string]any); ok {
		check(path+".errorDeclaration.reason", ed["reason"], vocErrorReason)
	}
	return errs
}

// Master data attributes and vocabulary types.
const (
	mdaCountryCode = "urn:epcglobal:cbv:mda:countryCode"
	mdaName        = "urn:epcglobal:cbv:mda:name"
	vtypeLocation  = "urn:epcglobal:epcis:vtype:BusinessLocation"
	vtypeReadPoint = "urn:epcglobal:epcis:vtype:ReadPoint"
)

// masterData reads the business locations and read points of the header's
// vocabularyList. A location without a country of its own takes the
// country of a location that lists it among its children.
func masterData(root map[string]any, ns map[string]string) (map[string]Location, ValidationErrors) {
	hdr, _ := root["epcisHeader"].(map[string]any)
	md, _ := hdr["epcisMasterData"].(map[string]any)
	list, _ := md["vocabularyList"].([]any)
	if len(list) == 0 {
		return nil, nil
	}
	locs := map[string]Location{}
	parents := map[string][]string{} // child site -> parent sites
	var errs ValidationErrors
	for i, v := range list {
		voc, _ := v.(map[string]any)
		typ, _ := voc["type"].(string)
		typ = expandCURIE(typ, ns)
		if typ != vtypeLocation && typ != vtypeReadPoint {
			continue
		}
		elems, _ := voc["vocabularyElementList"].([]any)
		for j, e := range elems {
			el, _ := e.(map[string]any)
			id, _ := el["id"].(string)
			p := fmt.Sprintf("epcisHeader.epcisMasterData.vocabularyList[%d].vocabularyElementList[%d]", i, j)
			site, err := SiteID(id)
			if err != nil {
				errs = append(errs, &ValidationError{Path: p + ".id", Reason: err.Error()})
				continue
			}
			loc := locs[site]
			loc.ID = id
			attrs, _ := el["attributes"].([]any)
			for k, a := range attrs {
				am, _ := a.(map[string]any)
				aid, _ := am["id"].(string)
				switch expandCURIE(aid, ns) {
				case mdaCountryCode:
					c, _ := am["attribute"].(string)
					if !isCountry(c) {
						errs = append(errs, &ValidationError{Path: fmt.Sprintf("%s.attributes[%d].attribute", p, k),
							Reason: fmt.Sprintf("country code %q is not ISO 3166-1 alpha-2 (two uppercase letters)", c)})
						continue
					}
					if loc.Country != "" && loc.Country != c {
						errs = append(errs, &ValidationError{Path: fmt.Sprintf("%s.attributes[%d].attribute", p, k),
							Reason: fmt.Sprintf("location %s has two countries, %s and %s", id, loc.Country, c)})
						continue
					}
					loc.Country = c
				case mdaName:
					loc.Name, _ = am["attribute"].(string)
				}
			}
			locs[site] = loc
			children, _ := el["children"].([]any)
			for _, c := range children {
				if cs, ok := c.(string); ok {
					if cid, err := SiteID(cs); err == nil {
						parents[cid] = append(parents[cid], site)
					}
				}
			}
		}
	}
	// inherit countries down the hierarchy (bounded: the depth of a tree
	// of n locations is at most n)
	for range len(locs) + 1 {
		changed := false
		for child, ps := range parents {
			c := locs[child]
			if c.Country != "" {
				continue
			}
			for _, p := range ps {
				if pc := locs[p].Country; pc != "" {
					c.Country = pc
					if c.ID == "" {
						c.ID = child
					}
					locs[child] = c
					changed = true
					break
				}
			}
		}
		if !changed {
			break
		}
	}
	return locs, errs
}

func isCountry(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// parseTime reads an xsd:dateTime with a zone (the schema's date-time
// format) and returns it in UTC.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		// RFC 3339 allows a lowercase t and z, Go wants them uppercase
		t, err = time.Parse(time.RFC3339Nano, strings.ToUpper(s))
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date-time with a zone", s)
	}
	return t.UTC(), nil
}

func itoa(i int) string { return strconv.Itoa(i) }
