package ledger

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
)

// ReasonConflict is the quarantine reason of an event whose id is already in
// the ledger with different content.
const ReasonConflict = "conflict"

// Quarantined is input the ledger did not append, kept byte for byte with
// the reason and where it came from, so an operator can inspect it and
// re-drive it after a fix. Quarantine records are evidence, not part of the
// hash chain.
type Quarantined struct {
	ID       uint64    `json:"id"`
	Reason   string    `json:"reason"` // short stable label, e.g. "not_json", "conflict"
	Detail   string    `json:"detail"` // the full error
	EventID  string    `json:"event_id,omitempty"`
	Source   Source    `json:"source"`
	Received time.Time `json:"received"`
	Original []byte    `json:"original"`
	// Existing is, for a conflict, the sequence that already holds the id.
	Existing uint64 `json:"existing,omitempty"`
	// Resolved is the sequence that holds the event after a successful
	// retry; 0 while the record is open.
	Resolved uint64 `json:"resolved,omitempty"`
}

func encodeQuarantined(q Quarantined) ([]byte, error) {
	v, err := json.Marshal(q)
	if err != nil {
		return nil, fmt.Errorf("ledger: encode quarantine record: %w", err)
	}
	return v, nil
}

// Quarantined returns one quarantine record.
func (s *Store) Quarantined(id uint64) (Quarantined, error) {
	v, err := s.get(quarantineKey(id))
	if err != nil {
		return Quarantined{}, err
	}
	var q Quarantined
	if err := json.Unmarshal(v, &q); err != nil {
		return Quarantined{}, fmt.Errorf("ledger: quarantine record %d: %w", id, err)
	}
	return q, nil
}

// QuarantineFilter selects quarantine records. The zero value selects every
// record.
type QuarantineFilter struct {
	After    uint64 // records with an id greater than this
	Limit    int    // 0: no limit
	OpenOnly bool   // skip resolved records
	Reason   string // only this reason
}

// Quarantine lists quarantine records in id order.
func (s *Store) Quarantine(f QuarantineFilter) ([]Quarantined, error) {
	var out []Quarantined
	lower := quarantineKey(f.After + 1)
	err := s.iterate(lower, []byte{prefixQuarantine + 1}, func(k, v []byte) error {
		var q Quarantined
		if err := json.Unmarshal(v, &q); err != nil {
			return fmt.Errorf("ledger: quarantine record %d: %w", binary.BigEndian.Uint64(k[1:]), err)
		}
		if (f.OpenOnly && q.Resolved != 0) || (f.Reason != "" && q.Reason != f.Reason) {
			return nil
		}
		out = append(out, q)
		if f.Limit > 0 && len(out) >= f.Limit {
			return errStop
		}
		return nil
	})
	return out, err
}
