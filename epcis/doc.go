// Package epcis reads and writes GS1 EPCIS 2.0 documents (JSON and
// JSON-LD) for chipledger: the supply-chain standard in which capture
// clients report events and investigators hand histories to other tools.
//
// [Parse] reads one EPCISDocument (or EPCISQueryDocument), bounded
// ([MaxDocumentBytes], [MaxEvents]), and validates it against the EPCIS
// 2.0 JSON Schema (embedded, schema/SOURCE.md) and the CBV value lists; a
// document that fails is refused whole, with the JSON path and reason of
// every problem ([ValidationErrors]). [Document.Events] maps each event of
// a valid document to a canonical chipledger event ([events.Event]) or says
// why it cannot ([Unsupported]: a TransformationEvent, a business step
// with no custody meaning, data that would have to be guessed).
//
// [HashID] computes the CBV 2.0 event hash id ("ni:///sha-256;...?ver=CBV2.0")
// of an event, as the reference implementation does; the tests run every
// JSON test vector. [UnitFromEPC] normalises EPC URNs and GS1 Digital Link
// URIs of the same item to one unit id. [Export] writes a unit's custody
// history as an EPCIS document that validates and maps back to the same
// canonical events.
//
// chipledger's own fields (ECCN, licence, end user, model, publisher, ...)
// are extension fields in the namespace [CLNamespace], written with the
// prefix "cl". docs/epcis.md gives the mapping of every native type both
// ways, the extension fields, the identifier rules and what is unsupported
// and why.
package epcis
