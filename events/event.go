package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Event is one fact in the ledger: an envelope and a body per type.
//
// An Event is a value: once decoded it is never changed. Its Body is a
// pointer shared by copies of the Event; do not modify it.
type Event struct {
	ID         string    // opaque, 1..128 bytes of printable ASCII without spaces (UUIDv7 for native events)
	Type       string    // a registered type such as "unit.shipped.v1"; equals Body.Type()
	OccurredAt time.Time // when it happened (UTC once decoded)
	RecordedAt time.Time // when the publisher's system recorded it (UTC once decoded)
	Publisher  string    // party id of who published it
	Body       Body
}

// Body is the type-specific part of an event. Every v1 type is a pointer to
// a struct of this package (*Shipped, *Installed, ...); the interface is
// closed to other packages.
type Body interface {
	// Type returns the event type string, such as "unit.shipped.v1".
	Type() string
	// Validate checks the body alone; field paths in its errors are
	// relative to the body ("units[3]", "from.country").
	Validate() error
	// Subjects returns the units the body is about, in field order (a
	// parent before its children); reference data returns nil.
	Subjects() []UnitID

	key() string
}

type registration struct {
	new    func() Body
	decode func(raw []byte, src string, fast bool) (Body, error) // nil: strict decode into new() (see decodeEvent)
}

var registry = map[string]registration{
	TypeCommissioned:         {new: func() Body { return new(Commissioned) }},
	TypeAssembled:            {new: func() Body { return new(Assembled) }},
	TypeDisassembled:         {new: func() Body { return new(Disassembled) }},
	TypePacked:               {new: func() Body { return new(Packed) }},
	TypeUnpacked:             {new: func() Body { return new(Unpacked) }},
	TypeShipped:              {new: func() Body { return new(Shipped) }},
	TypeReceived:             {new: func() Body { return new(Received) }},
	TypeOwnershipTransferred: {new: func() Body { return new(OwnershipTransferred) }},
	TypeExportDeclared:       {new: func() Body { return new(ExportDeclared) }},
	TypeInstalled:            {new: func() Body { return new(Installed) }},
	TypeLocationAttested:     {new: func() Body { return new(LocationAttested) }},
	TypeReturned:             {new: func() Body { return new(Returned) }},
	TypeDestroyed:            {new: func() Body { return new(Destroyed) }},
	TypeReportedLost:         {new: func() Body { return new(ReportedLost) }},
	TypePartyRegistered:      {new: func() Body { return new(PartyRegistered) }},
	TypePartyUpdated:         {new: func() Body { return new(PartyUpdated) }},
	TypeSiteRegistered:       {new: func() Body { return new(SiteRegistered) }},
	TypeLicenceGranted:       {new: func() Body { return new(LicenceGranted) }},
	TypeLicenceRevoked:       {new: func() Body { return new(LicenceRevoked) }},
	TypeCorrected:            {new: func() Body { return new(Corrected) }}, // decode set in init (it recurses into decodeEvent)
	TypePolicyActivated:      {new: func() Body { return new(PolicyActivated) }},
	TypeScreeningActivated:   {new: func() Body { return new(ScreeningActivated) }},
	TypeLabTestRecorded:      {new: func() Body { return new(LabTestRecorded) }},
	TypeAlertAcknowledged:    {new: func() Body { return new(AlertAcknowledged) }},
	TypeAlertDismissed:       {new: func() Body { return new(AlertDismissed) }},
	TypeAlertEscalated:       {new: func() Body { return new(AlertEscalated) }},
}

func init() {
	r := registry[TypeCorrected]
	r.decode = decodeCorrected
	registry[TypeCorrected] = r
}

var sortedTypes = func() []string {
	ts := make([]string, 0, len(registry))
	for t := range registry {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return ts
}()

// Types returns every registered event type string, sorted.
func Types() []string { return slices.Clone(sortedTypes) }

// NewBody returns a new zero body for the event type typ, or false if typ
// is not registered.
func NewBody(typ string) (Body, bool) {
	r, ok := registry[typ]
	if !ok {
		return nil, false
	}
	return r.new(), true
}

// Decode strictly decodes one event from its JSON form and validates it.
//
// It rejects input over MaxEventBytes, invalid UTF-8, anything but exactly
// one JSON object, duplicate keys and keys that are not lowercase
// snake_case at any depth, nesting deeper than MaxDepth, strings over
// MaxStringBytes (but a document's content), unknown fields, unknown types,
// missing required fields and out-of-range values. Every error is a
// *ValidationError; Reason classifies it. Unit ids are normalised and times
// converted to UTC, so Decode(e.Canonical()) equals e.
func Decode(data []byte) (Event, error) {
	if len(data) > MaxEventBytes {
		return Event{}, verr(ReasonTooLarge, "", fmt.Sprintf("event is %d bytes, more than %d", len(data), MaxEventBytes))
	}
	if !utf8.Valid(data) {
		return Event{}, verr(ReasonInvalidUTF8, "", "event is not valid UTF-8")
	}
	if err := scan(data); err != nil {
		return Event{}, err
	}
	e, err := decodeEvent(data, string(data), true)
	if err != nil {
		return Event{}, err
	}
	if len(data) > maxUncheckedInput {
		c, err := e.marshal()
		if err != nil { // cannot happen for a validated event
			return Event{}, verr(ReasonInvalid, "", "cannot encode: "+err.Error())
		}
		if len(c) > MaxEventBytes {
			return Event{}, verr(ReasonTooLarge, "", fmt.Sprintf("canonical form is %d bytes, more than %d", len(c), MaxEventBytes))
		}
	}
	return e, nil
}

// maxUncheckedInput is the largest input whose canonical form Decode does
// not encode just to check its size, because it cannot exceed
// MaxEventBytes: the canonical form is at most twice the input plus a few
// kilobytes. A string is at most twice as long canonical as in the input
// (only U+2028 and U+2029 grow when escaped, 3 bytes to 6; whatever else
// the canonical form escapes, the input must have escaped too), unit ids
// and times do not grow, and what else can (numbers, empty required
// fields written out) is bounded by the types. TestCanonicalSizeBound
// checks it; the larger inputs, and only those, are encoded.
const maxUncheckedInput = MaxEventBytes / 4

// envelope is the wire form of Event for decoding.
type envelope struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	OccurredAt string          `json:"occurred_at"`
	RecordedAt string          `json:"recorded_at"`
	Publisher  string          `json:"publisher"`
	Body       json.RawMessage `json:"body"`
}

// decodeEvent decodes data that scan has accepted; src is string(data).
// With fast it tries the fast decoder first (see decode.go); without, it
// uses only encoding/json, the reference the fast decoder must agree with.
// Strings of the event may share the memory of src.
func decodeEvent(data []byte, src string, fast bool) (Event, error) {
	var env envelope
	var raw []byte // the body's value
	var rawSrc string
	envOK := false
	if fast {
		d := fastDecoder{b: data, s: src}
		start, end, ok := d.envelope(&env)
		if ok && d.peek() == 0 && d.i == len(data) {
			raw, rawSrc, envOK = data[start:end], src[start:end], true
		}
	}
	if !envOK {
		var jenv envelope // escapes: declared here to allocate only here
		if err := strictUnmarshal(data, &jenv); err != nil {
			return Event{}, err
		}
		env = jenv
		raw = bytes.TrimSpace(env.Body)
		rawSrc = string(raw)
	}
	var c checker
	c.eventID("id", env.ID, required)
	if !c.missing("type", env.Type == "", required) {
		if _, ok := registry[env.Type]; !ok && c.err == nil {
			c.fail(ReasonUnknownType, "type", "unknown event type "+quote(env.Type))
		}
	}
	occurred := parseTime(&c, "occurred_at", env.OccurredAt)
	recorded := parseTime(&c, "recorded_at", env.RecordedAt)
	c.ref("publisher", env.Publisher, required)
	if c.err != nil {
		return Event{}, c.err
	}
	if len(raw) == 0 || string(raw) == "null" {
		return Event{}, verr(ReasonMissingField, "body", "required")
	}
	if raw[0] != '{' {
		return Event{}, verr(ReasonInvalid, "body", "must be a JSON object")
	}
	reg := registry[env.Type]
	var body Body
	var err error
	normalized := false
	if reg.decode != nil {
		body, err = reg.decode(raw, rawSrc, fast)
	} else {
		body = reg.new()
		if fast && fastBody(raw, rawSrc, body) {
			normalized = true
		} else {
			if fast {
				body = reg.new() // start over from a zero body
			}
			err = strictUnmarshal(raw, body)
		}
	}
	if err != nil {
		return Event{}, prefixed("body", err)
	}
	if !normalized {
		normalize(reflect.ValueOf(body))
	}
	e := Event{
		ID:         env.ID,
		Type:       env.Type,
		OccurredAt: occurred,
		RecordedAt: recorded,
		Publisher:  env.Publisher,
		Body:       body,
	}
	if err := e.Validate(); err != nil {
		return Event{}, err
	}
	return e, nil
}

// parseTime parses an RFC 3339 time with a zone and returns it in UTC.
func parseTime(c *checker, field, s string) time.Time {
	if c.missing(field, s == "", required) {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || !rfc3339Shape(s) {
		c.fail(ReasonOutOfRange, field, `must be an RFC 3339 time with a zone, such as "2025-01-10T08:00:00Z"`)
		return time.Time{}
	}
	t = t.UTC()
	c.instant(field, t)
	return t
}

// rfc3339Shape reports whether s has the strict RFC 3339 shape
// YYYY-MM-DDTHH:MM:SS[.F{1,9}](Z|+HH:MM|-HH:MM) with an offset below 24
// hours; time.Parse alone also takes a comma before the fraction, more
// than nine fraction digits and offsets up to +99:59.
func rfc3339Shape(s string) bool {
	const head = "dddd-dd-ddTdd:dd:dd"
	if len(s) < len(head)+1 {
		return false
	}
	for i := 0; i < len(head); i++ {
		if head[i] == 'd' {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		} else if s[i] != head[i] {
			return false
		}
	}
	rest := s[len(head):]
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 1 || n > 10 {
			return false
		}
		rest = rest[n:]
	}
	if rest == "Z" {
		return true
	}
	return len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' &&
		digits(rest[1:3]) && digits(rest[4:6]) && rest[1:3] <= "23" && rest[4:6] <= "59"
}

// correctedWire is Corrected as decoded: the amended event is decoded on
// its own so its errors carry their full path.
type correctedWire struct {
	Target  string          `json:"target"`
	Action  string          `json:"action"`
	Reason  string          `json:"reason"`
	Amended json.RawMessage `json:"amended"`
}

func decodeCorrected(raw []byte, src string, fast bool) (Body, error) {
	var w correctedWire
	var a []byte // the amended event's value
	var aSrc string
	wireOK := false
	if fast {
		d := fastDecoder{b: raw, s: src}
		start, end, ok := d.corrected(&w)
		if ok && d.peek() == 0 && d.i == len(raw) {
			a, aSrc, wireOK = raw[start:end], src[start:end], true
		}
	}
	if !wireOK {
		var jw correctedWire // escapes: declared here to allocate only here
		if err := strictUnmarshal(raw, &jw); err != nil {
			return nil, err
		}
		w = jw
		a = bytes.TrimSpace(w.Amended)
		aSrc = string(a)
	}
	b := &Corrected{Target: w.Target, Action: w.Action, Reason: w.Reason}
	if len(a) > 0 && string(a) != "null" {
		if a[0] != '{' {
			return nil, verr(ReasonInvalid, "amended", "must be a JSON object")
		}
		e, err := decodeEvent(a, aSrc, fast)
		if err != nil {
			return nil, prefixed("amended", err)
		}
		b.Amended = &e
	}
	return b, nil
}

// strictUnmarshal decodes data into v rejecting unknown fields, and turns
// encoding/json's errors into *ValidationError with a field path relative
// to data (callers prefix it).
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		field := te.Field
		if strings.HasPrefix(te.Value, "number") { // a JSON number that does not fit a numeric field
			switch describe(te.Type) {
			case "an integer":
				return verr(ReasonOutOfRange, field, "must be an integer in range")
			case "a number":
				return verr(ReasonOutOfRange, field, "number out of range")
			}
		}
		return verr(ReasonInvalid, field, "must be "+describe(te.Type)+", not "+te.Value)
	}
	if name, ok := unknownFieldName(err); ok {
		field := name
		if p, found := findUnknown(data, reflect.TypeOf(v), name, ""); found {
			field = p
		}
		return verr(ReasonUnknownField, field, "unknown field")
	}
	return verr(ReasonInvalid, "", strings.TrimPrefix(err.Error(), "json: "))
}

func unknownFieldName(err error) (string, bool) {
	msg := err.Error()
	i := strings.Index(msg, "unknown field ")
	if i < 0 {
		return "", false
	}
	name, uerr := strconv.Unquote(msg[i+len("unknown field "):])
	if uerr != nil {
		return "", true
	}
	return name, true
}

func isInteger(t reflect.Type) bool {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return false
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

func describe(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Bool:
		return "a boolean"
	}
	if isInteger(t) {
		return "an integer"
	}
	return "a " + t.Kind().String()
}

var rawMessageType = reflect.TypeFor[json.RawMessage]()

// findUnknown finds the path of the unknown key name (any unknown key when
// name is "") in data decoded as type t. It runs only on the error path.
func findUnknown(data []byte, t reflect.Type, name, path string) (string, bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == rawMessageType:
		return "", false
	case t.Kind() == reflect.Struct:
		var m map[string]json.RawMessage
		if json.Unmarshal(data, &m) != nil {
			return "", false
		}
		fields := jsonFields(t)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ft, known := fields[k]
			if !known {
				if name == "" || k == name {
					return join(path, k), true
				}
				continue
			}
			if p, ok := findUnknown(m[k], ft, name, join(path, k)); ok {
				return p, true
			}
		}
	case t.Kind() == reflect.Slice:
		var items []json.RawMessage
		if json.Unmarshal(data, &items) != nil {
			return "", false
		}
		for i, it := range items {
			if p, ok := findUnknown(it, t.Elem(), name, path+"["+itoa(i)+"]"); ok {
				return p, true
			}
		}
	}
	return "", false
}

// jsonFields maps the JSON names of a struct's fields (embedded structs
// inlined) to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := make(map[string]reflect.Type)
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			for k, v := range jsonFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

var (
	unitIDType = reflect.TypeFor[UnitID]()
	timeType   = reflect.TypeFor[time.Time]()
)

// normalize puts a decoded body in its one canonical form: unit ids
// normalised, empty lists nil, -0 as 0. Values that do not normalise are
// left for Validate to report.
func normalize(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			normalize(v.Elem())
		}
	case reflect.Struct:
		if v.Type() == timeType {
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				normalize(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.Len() == 0 {
			if !v.IsNil() && v.CanSet() {
				v.SetZero()
			}
			return
		}
		for i := 0; i < v.Len(); i++ {
			normalize(v.Index(i))
		}
	case reflect.String:
		if v.Type() == unitIDType && v.CanSet() && !UnitID(v.String()).normal() {
			if u, reason := parseUnitID(v.String()); reason == "" {
				v.SetString(string(u))
			}
		}
	case reflect.Float32, reflect.Float64:
		if v.Float() == 0 && v.CanSet() {
			v.SetFloat(0) // -0 becomes 0
		}
	}
}

// Validate checks the envelope and the body. Decode returns only events
// that pass it; call it on events built in Go before Encode does.
// Unit ids must already be normalised (see ParseUnitID).
func (e Event) Validate() error {
	var c checker
	c.eventID("id", e.ID, required)
	if !c.missing("type", e.Type == "", required) {
		if _, ok := registry[e.Type]; !ok && c.err == nil {
			c.fail(ReasonUnknownType, "type", "unknown event type "+quote(e.Type))
		}
	}
	c.instant("occurred_at", e.OccurredAt)
	c.instant("recorded_at", e.RecordedAt)
	c.ref("publisher", e.Publisher, required)
	if c.err != nil {
		return c.err
	}
	if e.Body == nil || reflect.ValueOf(e.Body).IsNil() {
		return verr(ReasonMissingField, "body", "required")
	}
	if e.Body.Type() != e.Type {
		return verr(ReasonInvalid, "body", "is a "+e.Body.Type()+" body, not "+e.Type)
	}
	return prefixed("body", e.Body.Validate())
}

// wireEvent is the canonical wire form of Event: its field order is the
// canonical key order of the envelope.
type wireEvent struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	OccurredAt string `json:"occurred_at"`
	RecordedAt string `json:"recorded_at"`
	Publisher  string `json:"publisher"`
	Body       Body   `json:"body"`
}

// formatTime is the canonical form of a time: RFC 3339 in UTC, with
// fractional seconds only when they are not zero (time.RFC3339Nano).
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func (e Event) marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(wireEvent{
		ID:         e.ID,
		Type:       e.Type,
		OccurredAt: formatTime(e.OccurredAt),
		RecordedAt: formatTime(e.RecordedAt),
		Publisher:  e.Publisher,
		Body:       e.Body,
	})
	if err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Canonical returns the event's canonical JSON: the bytes the ledger
// hashes. Keys come in struct field order (envelope: id, type,
// occurred_at, recorded_at, publisher, body), optional fields that are
// empty are left out, times are UTC RFC 3339 with fractional seconds only
// when not zero, unit ids normalised, no insignificant white space and no
// HTML escaping. The canonical form of v1 types never changes.
//
// Canonical is for valid events (every decoded event is one); it panics
// if e cannot be encoded (a NaN or infinite number), which Validate
// rejects. Use Encode for an event built in Go.
func (e Event) Canonical() []byte {
	b, err := e.marshal()
	if err != nil {
		panic("events: Canonical of an event that cannot be encoded: " + err.Error())
	}
	return b
}

// Encode validates e and returns its canonical JSON (see Canonical).
func Encode(e Event) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	b, err := e.marshal()
	if err != nil {
		return nil, verr(ReasonInvalid, "", "cannot encode: "+err.Error())
	}
	if len(b) > MaxEventBytes {
		return nil, verr(ReasonTooLarge, "", fmt.Sprintf("canonical form is %d bytes, more than %d", len(b), MaxEventBytes))
	}
	return b, nil
}

// MarshalJSON returns the canonical JSON of e, so an Event embedded in
// another JSON value is written in canonical form (byte for byte only if
// the outer encoder does not escape HTML).
func (e Event) MarshalJSON() ([]byte, error) { return e.marshal() }

// UnmarshalJSON decodes e strictly, as Decode does.
func (e *Event) UnmarshalJSON(data []byte) error {
	ev, err := Decode(data)
	if err != nil {
		return err
	}
	*e = ev
	return nil
}

// Subjects returns every unit the event is about (units; parent then
// children; unit), without repeats, in order of first appearance.
// Reference-data events (parties, sites, licences, corrections, policy,
// screening) return nil.
func (e Event) Subjects() []UnitID {
	if e.Body == nil || reflect.ValueOf(e.Body).IsNil() {
		return nil
	}
	units := e.Body.Subjects()
	if len(units) == 0 {
		return nil
	}
	out := units[:0:0]
	seen := make(map[UnitID]struct{}, len(units))
	for _, u := range units {
		if _, dup := seen[u]; dup {
			continue
		}
		seen[u] = struct{}{}
		out = append(out, u)
	}
	return out
}

// Primary returns the event's partition key: the first unit ("chip:..."),
// the container for assembled, disassembled, packed and unpacked, or for
// reference data the id it is about, prefixed: "party:P1", "site:S1",
// "licence:L1", "event:ID" (a correction's target), "policy:NAME",
// "screening:NAME".
func (e Event) Primary() string {
	if e.Body == nil || reflect.ValueOf(e.Body).IsNil() {
		return ""
	}
	return e.Body.key()
}

func itoa(i int) string { return strconv.Itoa(i) }
