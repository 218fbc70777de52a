package epcis

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/chipledger/chipledger/events"
)

// Options are what the caller knows beyond the document.
type Options struct {
	// SiteCountry returns the country of a site registered earlier
	// (site.registered.v1), by its site id (SiteID of the location URI).
	// The document's own master data comes first.
	SiteCountry func(siteID string) (country string, ok bool)
	// Publisher is the party id publishing events that name no publisher
	// themselves (cl:publisher) in a document without a sender: the party
	// the caller authenticated, for instance. Empty: such events are
	// unsupported.
	Publisher string
	// EventIDByHash returns the id of an event the ledger holds, by its
	// hash id, so that a correction (errorDeclaration) targets the event it
	// corrects even when that event was ingested under its eventID. Events
	// earlier in the same document are found without it.
	EventIDByHash func(hashID string) (id string, ok bool)
}

// Mapped is one EPCIS event mapped to a canonical event.
type Mapped struct {
	Index  int          // position in the document's event list
	HashID string       // the event's CBV 2.0 hash id
	Event  events.Event // valid (Event.Validate); its ID is the dedupe key
}

// Unsupported is an EPCIS event of a valid document that has no canonical
// event: a type, action or business step chipledger does not track, or
// data it would have to guess.
type Unsupported struct {
	Index  int    // position in the document's event list
	Type   string // the EPCIS event type (ObjectEvent, TransformationEvent, ...)
	HashID string // the event's CBV 2.0 hash id (empty if it cannot be computed)
	Reason string // why, in a sentence
}

// Events maps every event of the document (see EventsWith) with no
// options.
func (d *Document) Events() ([]Mapped, []Unsupported) { return d.EventsWith(Options{}) }

// EventsWith maps every event of the document to a canonical event, or
// says why it cannot: each event is in exactly one of the two lists, both
// in document order. docs/epcis.md gives the mapping. Nothing is guessed:
// a shipment without a country for each end, an event without a
// publisher, a business step chipledger has no event for, an extension
// field that does not apply, are all unsupported with the reason.
//
// The canonical event's ID is the event's dedupe key: its eventID
// (urn:uuid:X is written X, urn:chipledger:event:X is X), else its hash id;
// for a correction (an event with an errorDeclaration) that id followed by
// "@" and the declaration time, so that it is never taken for a duplicate
// of the event it corrects.
func (d *Document) EventsWith(opts Options) ([]Mapped, []Unsupported) {
	var ok []Mapped
	var bad []Unsupported
	byHash := map[string]string{} // hash id -> canonical id, of the events mapped so far
	for i, ev := range d.events {
		typ, _ := ev["type"].(string)
		hash, err := d.HashID(i)
		if err != nil {
			bad = append(bad, Unsupported{Index: i, Type: typ, Reason: "no hash id: " + err.Error()})
			continue
		}
		m := &mapper{d: d, opts: opts, ev: ev, typ: typ, hash: hash, byHash: byHash}
		e, err := m.event()
		if err == nil {
			err = e.Validate()
			if err != nil {
				err = fmt.Errorf("the canonical event is not valid: %w", err)
			}
		}
		if err != nil {
			bad = append(bad, Unsupported{Index: i, Type: typ, HashID: hash, Reason: strings.TrimPrefix(err.Error(), "epcis: ")})
			continue
		}
		if e.Type != events.TypeCorrected {
			if _, seen := byHash[hash]; !seen {
				byHash[hash] = e.ID
			}
		}
		ok = append(ok, Mapped{Index: i, HashID: hash, Event: e})
	}
	return ok, bad
}

// mapper maps one event.
type mapper struct {
	d      *Document
	opts   Options
	ev     map[string]any
	typ    string
	hash   string
	byHash map[string]string
	ns     map[string]string
	ext    map[string]any // cl: fields of the event, by local name
	ilmd   map[string]any // cl: fields of the ilmd
	used   map[string]bool
}

func unsupported(format string, args ...any) error { return fmt.Errorf(format, args...) }

func (m *mapper) event() (events.Event, error) {
	if err := m.extensions(); err != nil {
		return events.Event{}, err
	}
	var e events.Event
	var err error
	s, _ := m.ev["eventTime"].(string)
	if e.OccurredAt, err = parseTime(s); err != nil {
		return e, unsupported("eventTime: %v", err)
	}
	if s, _ := m.ev["recordTime"].(string); s != "" {
		if e.RecordedAt, err = parseTime(s); err != nil {
			return e, unsupported("recordTime: %v", err)
		}
	} else if !m.d.CreationDate.IsZero() {
		e.RecordedAt = m.d.CreationDate
	} else {
		return e, unsupported("no recordTime and no document creationDate: the canonical event needs recorded_at")
	}
	ed, isCorrection := m.ev["errorDeclaration"].(map[string]any)
	var edExt map[string]any
	if isCorrection {
		// the declaration's own fields: who declares, why, its ledger entry
		if edExt, err = m.clFields(ed, "errorDeclaration."); err != nil {
			return e, err
		}
		for k := range edExt {
			if k != xPublisher && k != xReason && k != xLedger {
				return e, unsupported("errorDeclaration.%s:%s does not apply to an errorDeclaration", CLPrefix, k)
			}
		}
	}
	if p, ok := edExt[xPublisher].(string); ok {
		if e.Publisher, err = PartyID(p); err != nil {
			return e, unsupported("errorDeclaration.%s:%s: %v", CLPrefix, xPublisher, err)
		}
	} else if e.Publisher, err = m.publisher(); err != nil {
		return e, err
	}
	if e.ID, err = m.id(); err != nil {
		return e, err
	}
	if isCorrection {
		text, _ := edExt[xReason].(string)
		return m.correction(e, ed, text)
	}
	action, _ := m.ev["action"].(string)
	step, private := m.bizStep()
	var body events.Body
	switch m.typ {
	case "ObjectEvent":
		body, err = m.objectEvent(action, step, private)
	case "AggregationEvent":
		body, err = m.aggregation(action, step)
	case "AssociationEvent":
		body, err = m.association(action, step)
	case "TransactionEvent":
		body, err = m.transaction(action)
	case "TransformationEvent":
		err = unsupported("TransformationEvent: chipledger tracks units that keep their identity, and a transformation makes new ones from inputs")
	default:
		err = unsupported("event type %q is not an EPCIS 2.0 event type chipledger maps", m.typ)
	}
	if err != nil {
		return e, err
	}
	if err := m.leftovers(body.Type()); err != nil {
		return e, err
	}
	e.Type, e.Body = body.Type(), body
	return e, nil
}

// extensions collects the event's (and its ilmd's) chipledger extension
// fields and refuses unknown ones.
func (m *mapper) extensions() error {
	m.ns = m.d.ns
	if c := m.ev["@context"]; c != nil {
		h := &hashContext{ns: maps(m.d.ns)}
		h.addContext(c)
		m.ns = h.ns
	}
	m.used = map[string]bool{}
	var err error
	if m.ext, err = m.clFields(m.ev, ""); err != nil {
		return err
	}
	if ilmd, ok := m.ev["ilmd"].(map[string]any); ok {
		if m.ilmd, err = m.clFields(ilmd, "ilmd."); err != nil {
			return err
		}
	}
	return nil
}

func (m *mapper) clFields(obj map[string]any, where string) (map[string]any, error) {
	out := map[string]any{}
	for k, v := range obj {
		full := expandCURIE(k, m.ns)
		if !strings.HasPrefix(full, CLNamespace) {
			if p, _, ok := strings.Cut(k, ":"); ok && p == CLPrefix && full == k {
				return nil, unsupported("%s%s: the prefix %q is not defined in @context (it must name %s)", where, k, CLPrefix, CLNamespace)
			}
			continue
		}
		local := full[len(CLNamespace):]
		if !knownExtensions[local] {
			return nil, unsupported("%s%s: unknown chipledger extension field %q", where, k, local)
		}
		if _, dup := out[local]; dup {
			return nil, unsupported("%s%s: the extension field %q is given twice", where, k, local)
		}
		out[local] = v
	}
	return out, nil
}

// leftovers refuses extension fields the mapping of the event did not use:
// a field that does not apply to the event is not dropped silently.
func (m *mapper) leftovers(typ string) error {
	var left []string
	for k := range m.ext {
		if !m.used[k] && k != xPublisher && k != xLedger {
			left = append(left, CLPrefix+":"+k)
		}
	}
	for k := range m.ilmd {
		if !m.used[k] {
			left = append(left, "ilmd."+CLPrefix+":"+k)
		}
	}
	if len(left) > 0 {
		sort.Strings(left)
		return unsupported("%s does not apply to %s", strings.Join(left, ", "), typ)
	}
	return nil
}

// field returns a cl: field of the event (or, for commissioning, of its
// ilmd).
func (m *mapper) field(name string) (any, bool) {
	if v, ok := m.ext[name]; ok {
		m.used[name] = true
		return v, true
	}
	if v, ok := m.ilmd[name]; ok {
		m.used[name] = true
		return v, true
	}
	return nil, false
}

func (m *mapper) text(name string) (string, error) {
	v, ok := m.field(name)
	if !ok || v == nil {
		return "", nil
	}
	s, isStr := v.(string)
	if !isStr {
		return "", unsupported("%s:%s must be a string", CLPrefix, name)
	}
	return s, nil
}

func (m *mapper) party(name string) (string, error) {
	s, err := m.text(name)
	if err != nil || s == "" {
		return "", err
	}
	p, err := PartyID(s)
	if err != nil {
		return "", unsupported("%s:%s: %v", CLPrefix, name, err)
	}
	return p, nil
}

func (m *mapper) number(name string) (*float64, error) {
	v, ok := m.field(name)
	if !ok || v == nil {
		return nil, nil
	}
	n, isNum := v.(json.Number)
	if !isNum {
		return nil, unsupported("%s:%s must be a number", CLPrefix, name)
	}
	f, err := n.Float64()
	if err != nil {
		return nil, unsupported("%s:%s: %v", CLPrefix, name, err)
	}
	return &f, nil
}

func (m *mapper) publisher() (string, error) {
	s, err := m.text(xPublisher)
	if err != nil {
		return "", err
	}
	source := CLPrefix + ":" + xPublisher
	if s == "" && m.d.Sender != "" {
		s, source = m.d.Sender, "the document's sender"
	}
	if s == "" {
		if m.opts.Publisher == "" {
			return "", unsupported("no publisher: give %s:%s on the event or a sender on the document", CLPrefix, xPublisher)
		}
		return m.opts.Publisher, nil
	}
	p, err := PartyID(s)
	if err != nil {
		return "", unsupported("publisher (%s): %v", source, err)
	}
	return p, nil
}

// id returns the event's dedupe key: its eventID, else its hash id.
func (m *mapper) id() (string, error) {
	s, _ := m.ev["eventID"].(string)
	if s == "" {
		return m.hash, nil
	}
	id := EventIDFromURI(s)
	if reason := checkEventID(id); reason != "" {
		return "", unsupported("eventID %q: %s", clip(s), reason)
	}
	return id, nil
}

// EventIDFromURI returns the canonical event id of an eventID:
// urn:uuid:X is X, urn:chipledger:event:X is X (percent-decoded), any
// other URI is itself. EventURI is its inverse.
func EventIDFromURI(uri string) string {
	switch {
	case strings.HasPrefix(uri, "urn:uuid:"):
		return strings.ToLower(uri[len("urn:uuid:"):])
	case strings.HasPrefix(uri, URNEvent):
		if s, ok := pctDecode(uri[len(URNEvent):]); ok {
			return s
		}
	}
	return uri
}

// EventURI returns the eventID Export writes for a canonical event id: a
// UUID as urn:uuid:, a URI that EventIDFromURI keeps as is, else
// urn:chipledger:event: and the id percent-encoded.
func EventURI(id string) string {
	if isUUID(id) {
		return "urn:uuid:" + id
	}
	if looksLikeURI(id) && !strings.HasPrefix(id, "urn:uuid:") && !strings.HasPrefix(id, URNEvent) {
		return id
	}
	return URNEvent + pctEncode(id)
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

func checkEventID(s string) string {
	if s == "" {
		return "empty"
	}
	if len(s) > events.MaxIDBytes {
		return fmt.Sprintf("a canonical event id is at most %d bytes", events.MaxIDBytes)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return "a canonical event id is printable ASCII without spaces"
		}
	}
	return ""
}

// correction maps an event carrying an errorDeclaration to a retraction
// of the event it declares wrong. That event is found by the hash id,
// which leaves the errorDeclaration out: an exact copy of it with the
// declaration added has its hash, whatever the copy's eventID.
func (m *mapper) correction(e events.Event, ed map[string]any, text string) (events.Event, error) {
	s, _ := ed["declarationTime"].(string)
	decl, err := parseTime(s)
	if err != nil {
		return e, unsupported("errorDeclaration.declarationTime: %v", err)
	}
	e.ID = e.ID + "@" + decl.Format(time.RFC3339Nano)
	if reason := checkEventID(e.ID); reason != "" {
		return e, unsupported("the correction's id %q: %s", clip(e.ID), reason)
	}
	target, ok := m.byHash[m.hash]
	if !ok && m.opts.EventIDByHash != nil {
		target, ok = m.opts.EventIDByHash(m.hash)
	}
	if !ok {
		target = m.hash
	}
	var b strings.Builder
	if text != "" {
		b.WriteString(text)
	} else {
		b.WriteString("EPCIS errorDeclaration")
		if r, _ := ed["reason"].(string); r != "" {
			if t, ok := vocErrorReason.term(r); ok {
				r = t
			}
			b.WriteString(": " + r)
		}
		if ids, _ := ed["correctiveEventIDs"].([]any); len(ids) > 0 {
			b.WriteString("; corrective events:")
			for _, id := range ids {
				if s, ok := id.(string); ok {
					b.WriteString(" " + s)
				}
			}
		}
	}
	reason := b.String()
	if len(reason) > events.MaxStringBytes {
		reason = strings.ToValidUTF8(reason[:events.MaxStringBytes-3], "") + "..."
	}
	// the extension fields of the declared copy belong to the copy
	for k := range m.ext {
		m.used[k] = true
	}
	for k := range m.ilmd {
		m.used[k] = true
	}
	e.OccurredAt = decl
	e.Type = events.TypeCorrected
	e.Body = &events.Corrected{Target: target, Action: events.ActionRetract, Reason: reason}
	return e, nil
}

// bizStep returns the event's business step as a CBV term, or its URI and
// true for a private business step.
func (m *mapper) bizStep() (string, bool) {
	s, _ := m.ev["bizStep"].(string)
	if t, ok := vocBizStep.term(s); ok {
		return t, false
	}
	return s, s != ""
}

func (m *mapper) disposition() string {
	s, _ := m.ev["disposition"].(string)
	if t, ok := vocDisposition.term(s); ok {
		return t
	}
	return s
}

// units reads a list of EPCs (epcList, childEPCs).
func (m *mapper) units(key string) ([]events.UnitID, error) {
	list, _ := m.ev[key].([]any)
	out := make([]events.UnitID, 0, len(list))
	for i, v := range list {
		s, _ := v.(string)
		u, err := UnitFromEPC(s)
		if err != nil {
			return nil, unsupported("%s[%d]: %s", key, i, strings.TrimPrefix(err.Error(), "epcis: "))
		}
		out = append(out, u)
	}
	if len(out) > events.MaxUnitsPerEvent {
		return nil, unsupported("%s has %d units, more than %d", key, len(out), events.MaxUnitsPerEvent)
	}
	return out, nil
}

// epcs reads the units an event is about and refuses class-level
// quantities (they are not serialised units).
func (m *mapper) epcs(key, quantities string) ([]events.UnitID, error) {
	units, err := m.units(key)
	if err != nil {
		return nil, err
	}
	if q, _ := m.ev[quantities].([]any); len(q) > 0 {
		return nil, unsupported("%s: class-level quantities are not serialised units; chipledger tracks each unit by its EPC", quantities)
	}
	if len(units) == 0 {
		return nil, unsupported("no units: %s is empty or absent", key)
	}
	return units, nil
}

func (m *mapper) unit(key string) (events.UnitID, error) {
	s, _ := m.ev[key].(string)
	if s == "" {
		return "", unsupported("no %s", key)
	}
	u, err := UnitFromEPC(s)
	if err != nil {
		return "", unsupported("%s: %s", key, strings.TrimPrefix(err.Error(), "epcis: "))
	}
	return u, nil
}

// location returns the site id of readPoint or bizLocation.
func (m *mapper) location(key string) (string, error) {
	obj, _ := m.ev[key].(map[string]any)
	s, _ := obj["id"].(string)
	if s == "" {
		return "", nil
	}
	site, err := SiteID(s)
	if err != nil {
		return "", unsupported("%s: %s", key, strings.TrimPrefix(err.Error(), "epcis: "))
	}
	return site, nil
}

// site returns where the event happened: its bizLocation, else its
// readPoint.
func (m *mapper) site() (string, error) {
	s, err := m.location("bizLocation")
	if err != nil || s != "" {
		return s, err
	}
	return m.location("readPoint")
}

// ends reads a sourceList or destinationList: the value of each type
// (owning_party, possessing_party, location), at most one of each.
func (m *mapper) ends(key string) (map[string]string, error) {
	list, _ := m.ev[key].([]any)
	out := map[string]string{}
	item := strings.TrimSuffix(key, "List")
	for i, v := range list {
		o, _ := v.(map[string]any)
		typ, _ := o["type"].(string)
		if t, ok := vocSourceDest.term(typ); ok {
			typ = t
		}
		val, _ := o[item].(string)
		switch typ {
		case "owning_party", "possessing_party":
			p, err := PartyID(val)
			if err != nil {
				return nil, unsupported("%s[%d]: %s", key, i, strings.TrimPrefix(err.Error(), "epcis: "))
			}
			val = p
		case "location":
			s, err := SiteID(val)
			if err != nil {
				return nil, unsupported("%s[%d]: %s", key, i, strings.TrimPrefix(err.Error(), "epcis: "))
			}
			val = s
		default:
			continue // a private source or destination type: not used
		}
		if prev, dup := out[typ]; dup && prev != val {
			return nil, unsupported("%s has two %s entries", key, typ)
		}
		out[typ] = val
	}
	return out, nil
}

// holder is who holds the units at one end: the possessing party, else
// the owning party.
func holder(end map[string]string) string {
	if p := end["possessing_party"]; p != "" {
		return p
	}
	return end["owning_party"]
}

// bizTransactions reads the business transactions by type (CBV term, or
// the type URI for a private type; "" for an untyped one), refusing two of
// one type.
func (m *mapper) bizTransactions() (map[string]string, error) {
	list, _ := m.ev["bizTransactionList"].([]any)
	out := map[string]string{}
	for i, v := range list {
		o, _ := v.(map[string]any)
		typ, _ := o["type"].(string)
		if t, ok := vocBizTransaction.term(typ); ok {
			typ = t
		}
		val, _ := o["bizTransaction"].(string)
		if strings.HasPrefix(val, URNEvent) {
			continue // Export's placeholder for a sale without a contract
		}
		ref, err := refValue(val)
		if err != nil {
			return nil, unsupported("bizTransactionList[%d]: %s", i, strings.TrimPrefix(err.Error(), "epcis: "))
		}
		if prev, dup := out[typ]; dup && prev != ref {
			name := typ
			if name == "" {
				name = "untyped"
			}
			return nil, unsupported("bizTransactionList has two %s business transactions", name)
		}
		out[typ] = ref
	}
	return out, nil
}

// country returns the country of a place: the cl: field override, else
// the master data of the site (the document's, then Options.SiteCountry).
// An override that disagrees with the master data is refused.
func (m *mapper) country(override, site string) (string, error) {
	c, err := m.text(override)
	if err != nil {
		return "", err
	}
	md := ""
	if site != "" {
		if loc, ok := m.d.Locations[site]; ok && loc.Country != "" {
			md = loc.Country
		} else if m.opts.SiteCountry != nil {
			if sc, ok := m.opts.SiteCountry(site); ok {
				md = sc
			}
		}
	}
	switch {
	case c != "" && md != "" && c != md:
		return "", unsupported("%s:%s says %s but the master data of %s says %s", CLPrefix, override, c, site, md)
	case c != "":
		return c, nil
	}
	return md, nil
}

func (m *mapper) needCountry(what, override, site string) (string, error) {
	c, err := m.country(override, site)
	if err != nil || c != "" {
		return c, err
	}
	if site == "" {
		return "", unsupported("no country for %s: give a location with master data (%s) or %s:%s", what, mdaCountryCode, CLPrefix, override)
	}
	return "", unsupported("no country for %s %s: not in the document's master data (%s) nor a site registered earlier; or give %s:%s",
		what, site, mdaCountryCode, CLPrefix, override)
}

func (m *mapper) objectEvent(action, step string, private bool) (events.Body, error) {
	switch {
	case action == "ADD" && step == "commissioning" && !private:
		return m.commissioned()
	case action == "DELETE" && step == "destroying" && !private:
		return m.destroyed()
	case action != "OBSERVE":
		return nil, unsupported("ObjectEvent %s with business step %q: chipledger maps ADD commissioning, DELETE destroying and OBSERVE events", action, stepName(step))
	}
	if private {
		switch step {
		case BizStepExportDeclared:
			return m.exportDeclared()
		case BizStepLocationAttested:
			return m.locationAttested()
		case BizStepLostReported:
			return m.lost()
		}
		return nil, unsupported("business step %q is not a CBV business step nor one of chipledger's", step)
	}
	switch step {
	case "shipping":
		if m.disposition() == "returned" {
			return m.returned()
		}
		return m.shipped()
	case "receiving":
		return m.received()
	case "installing":
		return m.installed()
	case "inspecting":
		if _, ok := m.ext[xResult]; ok {
			return m.labTest()
		}
		return nil, unsupported("ObjectEvent OBSERVE inspecting without %s:%s: an inspection is not a custody event (with a result it is a lab test)", CLPrefix, xResult)
	}
	return nil, unsupported("ObjectEvent OBSERVE with business step %q: no custody event (chipledger maps shipping, receiving, installing, inspecting with a lab result)", stepName(step))
}

func stepName(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func (m *mapper) commissioned() (events.Body, error) {
	units, err := m.epcs("epcList", "quantityList")
	if err != nil {
		return nil, err
	}
	if len(units) != 1 {
		return nil, unsupported("commissioning of %d units: chipledger commissions one unit per event (its model and serial): send one ObjectEvent per unit", len(units))
	}
	list, _ := m.ev["epcList"].([]any)
	epc, _ := list[0].(string)
	_, printed, _ := parseEPC(epc)
	b := &events.Commissioned{Unit: units[0]}
	if b.Manufacturer, err = m.party(xManufacturer); err != nil {
		return nil, err
	}
	if b.Model, err = m.text(xModel); err != nil {
		return nil, err
	}
	if b.Manufacturer == "" || b.Model == "" {
		return nil, unsupported("commissioning needs %s:%s and %s:%s (in ilmd or on the event)", CLPrefix, xManufacturer, CLPrefix, xModel)
	}
	if b.Serial, err = m.text(xSerial); err != nil {
		return nil, err
	}
	if b.Serial == "" {
		b.Serial = printed
	}
	if b.DeclaredTPP, err = m.number(xDeclaredTPP); err != nil {
		return nil, err
	}
	if b.DeclaredECCN, err = m.text(xECCN); err != nil {
		return nil, err
	}
	if b.Site, err = m.site(); err != nil {
		return nil, err
	}
	if b.Country, err = m.country(xCountry, b.Site); err != nil {
		return nil, err
	}
	return b, nil
}

func (m *mapper) shipped() (events.Body, error) {
	units, err := m.epcs("epcList", "quantityList")
	if err != nil {
		return nil, err
	}
	src, err := m.ends("sourceList")
	if err != nil {
		return nil, err
	}
	dst, err := m.ends("destinationList")
	if err != nil {
		return nil, err
	}
	b := &events.Shipped{Units: units}
	b.From.Party, b.To.Party = holder(src), holder(dst)
	if b.From.Party == "" || b.To.Party == "" {
		return nil, unsupported("shipping needs a possessing_party or owning_party in both sourceList and destinationList")
	}
	b.From.Site = src["location"]
	if b.From.Site == "" {
		if b.From.Site, err = m.site(); err != nil {
			return nil, err
		}
	}
	b.To.Site = dst["location"]
	if b.From.Country, err = m.needCountry("the origin", xFromCountry, b.From.Site); err != nil {
		return nil, err
	}
	if b.To.Country, err = m.needCountry("the destination", xToCountry, b.To.Site); err != nil {
		return nil, err
	}
	if via, ok := m.field(xVia); ok && via != nil {
		list, isList := via.([]any)
		if !isList {
			return nil, unsupported("%s:%s must be a list of country codes", CLPrefix, xVia)
		}
		for _, c := range list {
			s, _ := c.(string)
			b.Via = append(b.Via, s)
		}
	}
	for _, f := range []struct {
		name  string
		dst   *string
		party bool
	}{
		{xCarrier, &b.Carrier, true}, {xEndUser, &b.DeclaredEndUser, true}, {xFinalConsignee, &b.FinalConsignee, true},
		{xGoodsDescription, &b.GoodsDescription, false}, {xECCN, &b.DeclaredECCN, false}, {xLicence, &b.Licence, false},
		{xLicenceException, &b.LicenceException, false}, {xMalaysiaPermit, &b.MalaysiaPermit, false},
		{xPayer, &b.Transaction.Payer, true}, {xShipmentID, &b.ShipmentID, false},
	} {
		var err error
		if f.party {
			*f.dst, err = m.party(f.name)
		} else {
			*f.dst, err = m.text(f.name)
		}
		if err != nil {
			return nil, err
		}
	}
	bt, err := m.bizTransactions()
	if err != nil {
		return nil, err
	}
	b.Transaction.PO, b.Transaction.Invoice, b.Transaction.BillOfLading = bt["po"], bt["inv"], bt["bol"]
	if err := m.shipmentID(&b.ShipmentID, bt); err != nil {
		return nil, err
	}
	return b, nil
}

// shipmentID takes the shipment id from the despatch advice (desadv)
// unless cl:shipmentId gives it; both must agree.
func (m *mapper) shipmentID(id *string, bt map[string]string) error {
	if d := bt["desadv"]; d != "" {
		if *id != "" && *id != d {
			return unsupported("%s:%s %q and the desadv business transaction %q disagree", CLPrefix, xShipmentID, *id, d)
		}
		*id = d
	}
	return nil
}

func (m *mapper) received() (events.Body, error) {
	units, err := m.epcs("epcList", "quantityList")
	if err != nil {
		return nil, err
	}
	dst, err := m.ends("destinationList")
	if err != nil {
		return nil, err
	}
	b := &events.Received{Units: units}
	if b.At.Site, err = m.location("bizLocation"); err != nil {
		return nil, err
	}
	if b.At.Site == "" {
		b.At.Site = dst["location"]
	}
	if b.At.Site == "" {
		if b.At.Site, err = m.location("readPoint"); err != nil {
			return nil, err
		}
	}
	if b.At.Party = holder(dst); b.At.Party == "" {
		return nil, unsupported("receiving needs a possessing_party or owning_party in destinationList: who received the units")
	}
	if b.At.Country, err = m.needCountry("the receiving site", xCountry, b.At.Site); err != nil {
		return nil, err
	}
	if b.ShipmentID, err = m.text(xShipmentID); err != nil {
		return nil, err
	}
	bt, err := m.bizTransactions()
	if err != nil {
		return nil, err
	}
	if err := m.shipmentID(&b.ShipmentID, bt); err != nil {
		return nil, err
	}
	return b, nil
}

func (m *mapper) installed() (events.Body, error) {
	units, err := m.epcs("epcList", "quantityList")
	if err != nil {
		return nil, err
	}
	b := &events.Installed{Units: units}
	if b.Site, err = m.site(); err != nil {
		return nil, err
	}
	if b.Site == "" {
		return nil, unsupported("installing needs a bizLocation (or readPoint): the site the units went into service at")
	}
	if b.Country, err = m.needCountry("the site", xCountry, b.Site); err != nil {
		return nil, err
	}
	if b.Tenant, err = m.party(xTenant); err != nil {
		return nil, err
	}
	if b.Rack, err = m.text(xRack); err != nil {
		return nil, err
	}
	return b, nil
}

func (m *mapper) returned() (events.Body, error) {
	units, err := m.epcs("epcList", "quantityList")
	if err != nil {
		return nil, err
	}
	src, err := m.ends("sourceList")
	if err != nil {
		return nil, err
	}
	dst, err := m.ends("destinationList")
	if err != nil {
		return nil, err
	}
	b := &events.Returned{Units: units, From: holder(src), To: holder(dst)}
	if b.From == "" || b.To == "" {
		return nil, unsupported("a return (shipping, disposition returned) needs a possessing_party or owning_party in both sourceList and destinationList")
	}
	bt, err := m.bizTransactions()
	if err != nil {
		return nil, err
	}
	b.RMA = bt["rma"]
	return b, nil
}

func (m *mapper) destroyed() (events.Body, error) {
	units, err := m.epcs("epcList", "quantityList")
	if err != nil {
		return nil, err
	}
	b := &events.Destroyed{Units: units}
	if b.By, err = m.party(xBy); err != nil {
		return nil, err
	}
	if b.By == "" {
		return nil, unsupported("destroying needs %s:%s: the party that destroyed the units", CLPrefix, xBy)
	}
	if b.Certificate, err = m.text(xCertificate); err != nil {
		return nil, err
	}
	return b, nil
}

func (m *mapper) labTest() (events.Body, error) {
	units, err := m.epcs("epcList", "quantityList")
	if err != nil {
		return nil, err
	}
	if len(units) != 1 {
		return nil, unsupported("a lab test is about one unit, not %d", len(units))
	}
	b := &events.LabTestRecorded{Unit: units[0]}
	if b.Lab, err = m.party(xLab); err != nil {
		return nil, err
	}
	if b.Result, err = m.text(xResult); err != nil {
		return nil, err
	}
	if b.Report, err = m.text(xReport); err != nil {
		return nil, err
	}
	if b.Licence, err = m.text(xLicence); err != nil {
		return nil, err
	}
	return b, nil
}

func (m *mapper) exportDeclared() (events.Body, error) {
	units, err := m.epcs("epcList", "quantityList")
	if err != nil {
		return nil, err
	}
	b := &events.ExportDeclared{Units: units}
	for _, f := range []struct {
		name  string
		dst   *string
		party bool
	}{
		{xExporter, &b.Exporter, true}, {xOriginCountry, &b.OriginCountry, false}, {xDestCountry, &b.DestinationCountry, false},
		{xECCN, &b.ECCN, false}, {xLicence, &b.Licence, false}, {xLicenceException, &b.LicenceException, false},
		{xGoodsDescription, &b.GoodsDescription, false}, {xEndUser, &b.EndUser, true}, {xDeclarationID, &b.DeclarationID, false},
	} {
		var err error
		if f.party {
			*f.dst, err = m.party(f.name)
		} else {
			*f.dst, err = m.text(f.name)
		}
		if err != nil {
			return nil, err
		}
	}
	return b, nil
}

func (m *mapper) locationAttested() (events.Body, error) {
	units, err := m.epcs("epcList", "quantityList")
	if err != nil {
		return nil, err
	}
	b := &events.LocationAttested{Units: units}
	site, err := m.site()
	if err != nil {
		return nil, err
	}
	if b.Country, err = m.needCountry("the attested location", xCountry, site); err != nil {
		return nil, err
	}
	if b.Lat, err = m.number(xLat); err != nil {
		return nil, err
	}
	if b.Lon, err = m.number(xLon); err != nil {
		return nil, err
	}
	if b.Method, err = m.text(xMethod); err != nil {
		return nil, err
	}
	if b.Attestor, err = m.party(xAttestor); err != nil {
		return nil, err
	}
	return b, nil
}

func (m *mapper) lost() (events.Body, error) {
	units, err := m.epcs("epcList", "quantityList")
	if err != nil {
		return nil, err
	}
	b := &events.ReportedLost{Units: units}
	if b.Party, err = m.party(xParty); err != nil {
		return nil, err
	}
	if b.Note, err = m.text(xNote); err != nil {
		return nil, err
	}
	return b, nil
}

func (m *mapper) aggregation(action, step string) (events.Body, error) {
	switch {
	case action == "ADD" && step == "packing":
		parent, children, site, err := m.containment(true)
		if err != nil {
			return nil, err
		}
		return &events.Packed{Parent: parent, Children: children, Site: site}, nil
	case action == "DELETE" && step == "unpacking":
		parent, children, site, err := m.containment(true)
		if err != nil {
			return nil, err
		}
		return &events.Unpacked{Parent: parent, Children: children, Site: site}, nil
	}
	return nil, unsupported("AggregationEvent %s with business step %q: chipledger maps ADD packing and DELETE unpacking (report a package's shipping and receiving as an ObjectEvent of the package)", action, stepName(step))
}

func (m *mapper) association(action, step string) (events.Body, error) {
	switch {
	case action == "ADD" && (step == "assembling" || step == "installing"):
		parent, children, site, err := m.containment(false)
		if err != nil {
			return nil, err
		}
		return &events.Assembled{Parent: parent, Children: children, Site: site}, nil
	case action == "DELETE" && (step == "removing" || step == "disassembling"):
		parent, children, site, err := m.containment(false)
		if err != nil {
			return nil, err
		}
		return &events.Disassembled{Parent: parent, Children: children, Site: site}, nil
	}
	return nil, unsupported("AssociationEvent %s with business step %q: chipledger maps ADD assembling or installing and DELETE removing or disassembling", action, stepName(step))
}

func (m *mapper) containment(pkg bool) (events.UnitID, []events.UnitID, string, error) {
	parent, err := m.unit("parentID")
	if err != nil {
		return "", nil, "", err
	}
	if !pkg && parent.Kind() != events.KindSys {
		return "", nil, "", unsupported("parentID %s is a %s: the parent of an association is a system (identify it by GIAI or %ssys:...)", parent, parent.Kind(), URNUnit)
	}
	if pkg && parent.Kind() != events.KindPkg {
		return "", nil, "", unsupported("parentID %s is a %s: the parent of an aggregation is a package (SSCC or %spkg:...)", parent, parent.Kind(), URNUnit)
	}
	if _, ok := m.ev["childEPCs"]; !ok {
		if q, _ := m.ev["childQuantityList"].([]any); len(q) > 0 {
			return "", nil, "", unsupported("childQuantityList: class-level quantities are not serialised units")
		}
		return "", nil, "", unsupported("no childEPCs: chipledger records which units go in or out, not \"all of them\"")
	}
	children, err := m.epcs("childEPCs", "childQuantityList")
	if err != nil {
		return "", nil, "", err
	}
	site, err := m.site()
	return parent, children, site, err
}

// transaction maps a TransactionEvent ADD whose owning party changes to a
// sale.
func (m *mapper) transaction(action string) (events.Body, error) {
	if action != "ADD" {
		return nil, unsupported("TransactionEvent %s: chipledger maps ADD (a sale)", action)
	}
	units, err := m.epcs("epcList", "quantityList")
	if err != nil {
		return nil, err
	}
	src, err := m.ends("sourceList")
	if err != nil {
		return nil, err
	}
	dst, err := m.ends("destinationList")
	if err != nil {
		return nil, err
	}
	b := &events.OwnershipTransferred{Units: units, Seller: src["owning_party"], Buyer: dst["owning_party"]}
	if b.Seller == "" || b.Buyer == "" || b.Seller == b.Buyer {
		return nil, unsupported("a TransactionEvent is a sale when the owning_party of sourceList and of destinationList differ; here they are %q and %q", b.Seller, b.Buyer)
	}
	if b.Payer, err = m.party(xPayer); err != nil {
		return nil, err
	}
	if b.Price.Amount, err = m.text(xPriceAmount); err != nil {
		return nil, err
	}
	if b.Price.Currency, err = m.text(xPriceCurrency); err != nil {
		return nil, err
	}
	bt, err := m.bizTransactions()
	if err != nil {
		return nil, err
	}
	b.Contract = bt["po"]
	if b.Contract == "" {
		if len(bt) > 1 {
			return nil, unsupported("a sale's contract is its po business transaction, or its only one; this one has %d and no po", len(bt))
		}
		for _, v := range bt {
			b.Contract = v
		}
	}
	return b, nil
}
