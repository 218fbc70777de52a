package ingest

import (
	"errors"
	"fmt"
	"strings"

	"github.com/chipledger/chipledger/epcis"
	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/ledger"
)

// EPCISReader returns the DocumentReader of EPCIS 2.0 documents: validated
// against the schema and the CBV, mapped by package epcis. Locations the
// document's master data does not give a country are looked up among the
// sites registered in the ledger (site.registered.v1); a correction finds
// the event it corrects by its hash id among the ledger's events too (the
// mapping knows the events of its own document). publisher is who
// publishes events that name no publisher in a document without a sender
// ("" leaves them unsupported).
func EPCISReader(store *ledger.Store, publisher string) DocumentReader {
	opts := epcis.Options{Publisher: publisher}
	if store != nil {
		opts.SiteCountry = func(site string) (string, bool) { return siteCountry(store, site) }
		opts.EventIDByHash = func(hash string) (string, bool) {
			id := ""
			_ = store.BySubject(HashSubject(hash), func(e ledger.Entry) error {
				id = e.EventID
				return ledger.ErrStop
			})
			return id, id != ""
		}
	}
	return func(doc []byte) ([]DocEvent, []DocProblem, error) {
		d, err := epcis.Parse(doc)
		if err != nil {
			return nil, nil, allReasons(err)
		}
		mapped, unsupported := d.EventsWith(opts)
		out := make([]DocEvent, 0, len(mapped))
		for _, m := range mapped {
			raw, err := d.EventJSON(m.Index)
			if err != nil {
				return nil, nil, err
			}
			out = append(out, DocEvent{Pos: m.Index, Original: raw, HashID: m.HashID, Event: m.Event})
		}
		var problems []DocProblem
		for _, u := range unsupported {
			raw, _ := d.EventJSON(u.Index)
			problems = append(problems, DocProblem{Pos: u.Index, Original: raw, Detail: u.Type + " not supported: " + u.Reason})
		}
		return out, problems, nil
	}
}

// siteCountry returns the country of the latest registration of site in
// the ledger.
func siteCountry(store *ledger.Store, site string) (string, bool) {
	var country string
	err := store.BySubject("site:"+site, func(e ledger.Entry) error {
		ev, err := events.Decode(e.Canonical)
		if err != nil {
			return nil
		}
		if b, ok := ev.Body.(*events.SiteRegistered); ok {
			country = b.Country
		}
		return nil
	})
	if err != nil && !errors.Is(err, ledger.ErrStop) {
		return "", false
	}
	return country, country != ""
}

// allReasons spells out every reason of a validation failure, each with
// its JSON path ("/" for the document as a whole), up to 20.
func allReasons(err error) error {
	var ves epcis.ValidationErrors
	if !errors.As(err, &ves) || len(ves) < 2 {
		return err
	}
	parts := make([]string, 0, min(len(ves), 20))
	for _, v := range ves[:min(len(ves), 20)] {
		path := v.Path
		if path == "" {
			path = "/"
		}
		parts = append(parts, path+": "+v.Reason)
	}
	msg := "epcis: " + strings.Join(parts, "; ")
	if len(ves) > 20 {
		msg += fmt.Sprintf(" (and %d more)", len(ves)-20)
	}
	return &reasonsError{msg: msg, err: ves}
}

type reasonsError struct {
	msg string
	err epcis.ValidationErrors
}

func (e *reasonsError) Error() string { return e.msg }
func (e *reasonsError) Unwrap() error { return e.err }
