package ingest

import (
	"errors"
	"fmt"
	"time"

	"github.com/chipledger/chipledger/ledger"
)

// ErrResolved is returned when retrying a quarantine record that was
// already re-driven.
var ErrResolved = errors.New("ingest: quarantine record already resolved")

// RejectedError reports a retry whose bytes were rejected again.
type RejectedError struct {
	Reason string
	Detail string
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("ingest: still rejected (%s): %s", e.Reason, e.Detail)
}

// RetryResult tells what a retry did.
type RetryResult struct {
	Quarantine uint64 `json:"quarantine"`
	Seq        uint64 `json:"sequence"` // the entry that now holds the event
	Appended   bool   `json:"appended"` // false: the event was already in the ledger
}

// Retry re-drives one quarantine record: its original bytes, or a corrected
// replacement, are decoded again and appended once; the record is marked
// resolved in the same batch. Replacement bytes are recorded with the
// source "retry:<original source>" and the quarantine id as the offset, so
// the entry never claims Kafka coordinates whose bytes differ. An EPCIS
// document is re-driven whole: the document and its events.
func Retry(s *ledger.Store, decode Decoder, id uint64, replacement []byte, now time.Time) (RetryResult, error) {
	data, src, res, err := retryInput(s, id, replacement)
	if err != nil {
		return res, err
	}
	if IsDocument(data) {
		return retryDocument(s, EPCISReader(s, ""), id, data, src, now)
	}
	rec, rej := Prepare(decode, data, src, now)
	if rej != nil {
		return RetryResult{Quarantine: id}, &RejectedError{Reason: rej.Reason, Detail: rej.Detail}
	}
	return retryRecords(s, id, []ledger.Record{rec})
}

// retryInput returns what a retry re-drives: the quarantined bytes or their
// replacement, with the source to record.
func retryInput(s *ledger.Store, id uint64, replacement []byte) ([]byte, ledger.Source, RetryResult, error) {
	q, err := s.Quarantined(id)
	if err != nil {
		return nil, ledger.Source{}, RetryResult{}, fmt.Errorf("ingest: quarantine %d: %w", id, err)
	}
	if q.Resolved != 0 {
		return nil, ledger.Source{}, RetryResult{Quarantine: id, Seq: q.Resolved}, fmt.Errorf("%w: %d is at sequence %d", ErrResolved, id, q.Resolved)
	}
	if replacement != nil {
		return replacement, ledger.Source{Name: "retry:" + q.Source.String(), Partition: -1, Offset: int64(id)}, RetryResult{}, nil
	}
	return q.Original, q.Source, RetryResult{}, nil
}

// retryDocument re-drives a quarantined EPCIS document (or its
// replacement): the document and its events are appended, the events that
// cannot be mapped are quarantined again, and the record is marked
// resolved by the document's entry.
func retryDocument(s *ledger.Store, read DocumentReader, id uint64, data []byte, src ledger.Source, now time.Time) (RetryResult, error) {
	recs, rejects := PrepareInput(nil, read, data, src, now)
	if len(recs) == 0 {
		return RetryResult{Quarantine: id}, &RejectedError{Reason: rejects[0].Reason, Detail: rejects[0].Detail}
	}
	if len(rejects) > 0 {
		if _, err := s.Append(ledger.Batch{Rejects: rejects}); err != nil {
			return RetryResult{}, err
		}
	}
	return retryRecords(s, id, recs)
}

func retryRecords(s *ledger.Store, id uint64, recs []ledger.Record) (RetryResult, error) {
	recs[0].Resolves = id
	res, err := s.Append(ledger.Batch{Records: recs})
	if err != nil {
		return RetryResult{}, err
	}
	if res.Conflicts > 0 {
		return RetryResult{Quarantine: id}, &RejectedError{Reason: ledger.ReasonConflict, Detail: res.Quarantine[0].Detail}
	}
	q, err := s.Quarantined(id)
	if err != nil {
		return RetryResult{}, err
	}
	return RetryResult{Quarantine: id, Seq: q.Resolved, Appended: res.Appended >= 1}, nil
}
