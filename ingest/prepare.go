// Package ingest is chipledger's write side: it turns input bytes (JSON
// Lines files, Kafka records) into ledger appends. Every input either
// becomes a ledger record or is quarantined byte for byte with the reason;
// nothing is dropped. The Kafka consumer loop, the chip-ledger outbox and
// quarantine operations build on Prepare.
package ingest

import (
	"time"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/ledger"
)

// MaxQuarantineBytes bounds how much of one oversize input is kept in
// quarantine. Input up to this size is kept whole; beyond it the first
// MaxQuarantineBytes are kept and the detail records the full length.
const MaxQuarantineBytes = 4 << 20

// Decoder turns one input message into an event.
type Decoder func([]byte) (events.Event, error)

// Prepare decodes one input message. It returns a record to append, or a
// quarantine record naming the reason (events.Reason) when the message is
// rejected.
func Prepare(decode Decoder, original []byte, src ledger.Source, received time.Time) (ledger.Record, *ledger.Quarantined) {
	if decode == nil {
		decode = events.Decode
	}
	ev, err := decode(original)
	if err != nil {
		return ledger.Record{}, &ledger.Quarantined{
			Reason:   events.Reason(err),
			Detail:   err.Error(),
			EventID:  salvageID(original),
			Source:   src,
			Received: received,
			Original: original,
		}
	}
	subs := subjectKeys(ev)
	return ledger.Record{
		EventID:   ev.ID,
		Subjects:  subs,
		Original:  original,
		Canonical: ev.Canonical(),
		Source:    src,
		Received:  received,
	}, nil
}

// salvageID returns the event id of a rejected message when it can be read
// cheaply, so operators can search quarantine by id; "" otherwise.
func salvageID(b []byte) string {
	const key = `"id":"`
	n := len(b)
	if n > 4096 {
		n = 4096
	}
	head := string(b[:n])
	for i := 0; i+len(key) <= len(head); i++ {
		if head[i:i+len(key)] != key {
			continue
		}
		rest := head[i+len(key):]
		for j := 0; j < len(rest) && j <= 128; j++ {
			switch c := rest[j]; {
			case c == '"':
				return rest[:j]
			case c < 0x21 || c > 0x7e || c == '\\':
				return ""
			}
		}
		return ""
	}
	return ""
}

// subjectKeys are the ledger's subject index keys of an event: its units,
// or for reference data its key ("site:S-1", "party:P-1", ...), so that the
// write side can look reference data up (an EPCIS location's country).
func subjectKeys(ev events.Event) []string {
	subjects := ev.Subjects()
	if len(subjects) == 0 {
		if k := ev.Primary(); k != "" {
			return []string{k}
		}
		return nil
	}
	subs := make([]string, len(subjects))
	for i, s := range subjects {
		subs[i] = string(s)
	}
	return subs
}
