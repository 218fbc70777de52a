// Package events is chipledger's vocabulary: the canonical event model v1
// for the chain of custody of export-controlled AI chips.
//
// Every event is a JSON object with an envelope (id, type, occurred_at,
// recorded_at, publisher) and a body per type: lifecycle events about
// units (chips, systems, packages: commissioned, assembled, packed,
// shipped, received, installed, ...) and reference data (parties, sites,
// licences, corrections, policy and screening versions). Type strings are
// past tense and versioned ("unit.shipped.v1").
//
// [Decode] is strict: exactly one JSON object, no duplicate or
// case-variant keys, no unknown fields or types, bounded sizes, every
// required field present and every value in range. Its errors are
// *[ValidationError] values with a field path, and [Reason] classifies
// them into stable labels for counting rejects.
//
// [Event.Canonical] is the deterministic JSON the ledger hashes. The
// canonical form of a v1 type never changes: the model evolves only by new
// versioned types. docs/events.md is the contract publishers code against.
//
// The package imports only the standard library.
package events
