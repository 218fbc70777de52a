package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/ledger"
)

// Quarantine reasons of documents.
const (
	ReasonDocumentInvalid = "epcis_invalid"     // the document fails the EPCIS schema or the CBV: quarantined whole
	ReasonUnsupported     = "epcis_unsupported" // one event of a valid document cannot be mapped: quarantined on its own
)

// DocEvent is one event mapped from a document.
type DocEvent struct {
	Pos      int    // position in the document's event list
	Original []byte // the event's JSON as it stands in the document
	HashID   string // the event's CBV 2.0 hash id, indexed so a correction can find the event by it
	Event    events.Event
}

// HashSubject is the subject index key of an EPCIS event's hash id.
func HashSubject(hashID string) string { return "epcis-hash:" + hashID }

// DocProblem is one event of a valid document that cannot be mapped.
type DocProblem struct {
	Pos      int
	Original []byte
	Detail   string // why, in words ("TransformationEvent is not supported: ...")
}

// DocumentReader maps a document to canonical events; an error means the
// document is invalid as a whole. The epcis package provides it.
type DocumentReader func(doc []byte) ([]DocEvent, []DocProblem, error)

// IsDocument reports whether input looks like an EPCIS document rather
// than a native event: a JSON object of type EPCISDocument with an
// epcisBody. The document reader then decides whether it is valid.
func IsDocument(b []byte) bool {
	return bytes.Contains(b, []byte(`"EPCISDocument"`)) && bytes.Contains(b, []byte(`"epcisBody"`))
}

// DocumentID is the ledger id of a document: the hash of its bytes, so a
// document sent twice is a duplicate.
func DocumentID(doc []byte) string {
	sum := sha256.Sum256(doc)
	return "epcis:sha256:" + hex.EncodeToString(sum[:])
}

// PrepareInput prepares one input message: a native event (one record or
// one reject, as Prepare) or, when read is not nil and the input is a
// document, the document's record followed by its events' records, and a
// reject per event that cannot be mapped (or one for the whole document
// when it is invalid).
func PrepareInput(decode Decoder, read DocumentReader, original []byte, src ledger.Source, received time.Time) ([]ledger.Record, []ledger.Quarantined) {
	if read == nil || !IsDocument(original) {
		rec, q := Prepare(decode, original, src, received)
		if q != nil {
			return nil, []ledger.Quarantined{*q}
		}
		return []ledger.Record{rec}, nil
	}
	id := DocumentID(original)
	if len(original) > ledger.MaxDocumentBytes {
		return nil, []ledger.Quarantined{{Reason: "too_large", Detail: fmt.Sprintf("ingest: document of %d bytes over the limit of %d", len(original), ledger.MaxDocumentBytes),
			EventID: id, Source: src, Received: received, Original: original}}
	}
	evs, problems, err := read(original)
	if err != nil {
		return nil, []ledger.Quarantined{{Reason: ReasonDocumentInvalid, Detail: err.Error(), EventID: id, Source: src, Received: received, Original: original}}
	}
	recs := []ledger.Record{{EventID: id, Document: true, Original: original, Source: src, Received: received}}
	for _, de := range evs {
		subs := subjectKeys(de.Event)
		if de.HashID != "" {
			subs = append(subs, HashSubject(de.HashID))
		}
		recs = append(recs, ledger.Record{EventID: de.Event.ID, Subjects: subs, Original: de.Original, Canonical: de.Event.Canonical(),
			Source: src, Received: received, Doc: &ledger.DocRef{ID: id, Pos: de.Pos}})
	}
	var rejects []ledger.Quarantined
	for _, p := range problems {
		rejects = append(rejects, ledger.Quarantined{Reason: ReasonUnsupported, Detail: p.Detail,
			EventID: id + "#" + strconv.Itoa(p.Pos), Source: src, Received: received, Original: p.Original})
	}
	return recs, rejects
}
