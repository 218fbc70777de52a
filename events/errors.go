package events

import (
	"errors"
	"strings"
)

// Reject reasons returned by [Reason]. They are stable labels: the ingest
// counts and quarantines rejected input by them, so they never change
// meaning.
const (
	ReasonTooLarge     = "too_large"      // input or canonical form over MaxEventBytes
	ReasonInvalidUTF8  = "invalid_utf8"   // input is not valid UTF-8
	ReasonNotJSON      = "not_json"       // not exactly one JSON object (syntax, trailing data, not an object)
	ReasonDuplicateKey = "duplicate_key"  // the same key twice in one object, at any depth
	ReasonBadKey       = "bad_key"        // a key that is not lowercase snake_case ([a-z0-9_]+, at most 64 bytes)
	ReasonUnknownType  = "unknown_type"   // type is not a registered event type
	ReasonUnknownField = "unknown_field"  // a key the type does not define
	ReasonMissingField = "missing_field"  // a required field is absent, null or empty
	ReasonOutOfRange   = "out_of_range"   // a value of the wrong shape, length, range or enumeration
	ReasonTooManyUnits = "too_many_units" // a unit list longer than MaxUnitsPerEvent
	ReasonInvalid      = "invalid"        // anything else: wrong JSON type, inconsistent fields, nesting too deep
)

// ValidationError says which field of an event is wrong and why.
//
// Field is a dotted JSON path from the envelope ("type", "body.units[3]",
// "body.from.country", "body.amended.body.unit"); it is empty when the
// input as a whole is wrong (not JSON, too large). Reason is a human
// readable sentence. Code is one of the Reason* labels.
type ValidationError struct {
	Field  string
	Reason string
	Code   string
}

// Error formats the error as "events: FIELD: REASON".
func (e *ValidationError) Error() string {
	if e.Field == "" {
		return "events: " + e.Reason
	}
	return "events: " + e.Field + ": " + e.Reason
}

// Reason classifies an error returned by this package into one of the
// Reason* labels. It returns "" for a nil error and ReasonInvalid for an
// error that carries no *ValidationError.
func Reason(err error) string {
	if err == nil {
		return ""
	}
	var ve *ValidationError
	if errors.As(err, &ve) && ve.Code != "" {
		return ve.Code
	}
	return ReasonInvalid
}

func verr(code, field, reason string) *ValidationError {
	return &ValidationError{Field: field, Reason: reason, Code: code}
}

// prefixed returns err with prefix prepended to the field path of the
// *ValidationError it carries (joined by a dot unless the path starts with
// an index).
func prefixed(prefix string, err error) error {
	if err == nil || prefix == "" {
		return err
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	out := *ve
	out.Field = join(prefix, ve.Field)
	return &out
}

func join(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	case strings.HasPrefix(field, "["):
		return prefix + field
	default:
		return prefix + "." + field
	}
}
