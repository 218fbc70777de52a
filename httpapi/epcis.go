package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/chipledger/chipledger/epcis"
	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/replica"
)

// ExportUnit returns unit u's custody history (its chain: its own events
// and, while it was inside a container, the container's custody events) as
// an EPCIS 2.0 document, each event with its ledger sequence and hash.
func ExportUnit(p *projections.Projection, src projections.Source, u events.UnitID) ([]byte, error) {
	steps, err := historySteps(p, src, []events.UnitID{u}, time.Time{}, time.Time{})
	if err != nil {
		return nil, err
	}
	return epcis.Export(u, steps)
}

// historySteps merges the chains of units (each event once, in chain
// order), keeping events with occurred_at in [ge, lt) when those are set.
func historySteps(p *projections.Projection, src projections.Source, units []events.UnitID, ge, lt time.Time) ([]epcis.ExportStep, error) {
	var out []epcis.ExportStep
	seen := map[uint64]bool{}
	for _, u := range units {
		recs, err := p.History(src, u)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			if seen[r.Seq] || (!ge.IsZero() && r.OccurredAt.Before(ge)) || (!lt.IsZero() && !r.OccurredAt.Before(lt)) {
				continue
			}
			seen[r.Seq] = true
			out = append(out, epcis.ExportStep{Event: r.Event, Seq: r.Seq, Hash: r.Hash})
		}
	}
	slices.SortStableFunc(out, func(a, b epcis.ExportStep) int {
		if c := a.Event.OccurredAt.Compare(b.Event.OccurredAt); c != 0 {
			return c
		}
		return int(int64(a.Seq) - int64(b.Seq))
	})
	return out, nil
}

// registerEPCIS adds the EPCIS export and query endpoints:
//
//	GET /api/v1/units/{id}/epcis   the unit's custody history as an EPCISDocument
//	GET /events                    EPCIS 2.0 query: MATCH_anyEPC, MATCH_epc (comma-separated EPC URIs or
//	                               Digital Link URIs), GE_eventTime, LT_eventTime, EQ_bizStep, EQ_bizLocation;
//	                               a chip's events include those of the servers and pallets it was in
func registerEPCIS(mux *http.ServeMux, r *replica.Replica, read func(handlerFunc) http.HandlerFunc) {
	mux.HandleFunc("GET /api/v1/units/{id}/epcis", read(func(w http.ResponseWriter, req *http.Request) error {
		return r.View(func(p *projections.Projection, src projections.Source) error {
			u, err := ResolveUnit(p, src, req.PathValue("id"))
			if err != nil {
				return err
			}
			doc, err := ExportUnit(p, src, u)
			if err != nil {
				return err
			}
			w.Header().Set("Content-Type", "application/ld+json")
			w.Header().Set("GS1-EPCIS-Version", "2.0.0")
			_, err = w.Write(doc)
			return err
		})
	}))
	mux.HandleFunc("GET /events", read(func(w http.ResponseWriter, req *http.Request) error {
		q := req.URL.Query()
		var units []events.UnitID
		for _, name := range []string{"MATCH_anyEPC", "MATCH_epc"} {
			for _, v := range q[name] {
				for _, uri := range splitComma(v) {
					u, err := epcis.UnitFromEPC(uri)
					if err != nil {
						return badRequest(fmt.Sprintf("%s: %v", name, err))
					}
					units = append(units, u)
				}
			}
		}
		if len(units) == 0 {
			return badRequest("give MATCH_anyEPC or MATCH_epc: the query follows the custody of the units named")
		}
		var ge, lt time.Time
		for name, t := range map[string]*time.Time{"GE_eventTime": &ge, "LT_eventTime": &lt} {
			if v := q.Get(name); v != "" {
				x, err := ParseTime(v)
				if err != nil {
					return badRequest(name + ": " + err.Error())
				}
				*t = x
			}
		}
		return r.View(func(p *projections.Projection, src projections.Source) error {
			var known []events.UnitID
			for _, u := range units {
				if _, err := p.Unit(src, u); err == nil {
					known = append(known, u)
				}
			}
			steps, err := historySteps(p, src, known, ge, lt)
			if err != nil {
				return err
			}
			subject := events.UnitID("")
			if len(known) > 0 {
				subject = known[0]
			}
			doc, err := epcis.Export(subject, steps)
			if err != nil {
				return err
			}
			doc, err = filterEvents(doc, q.Get("EQ_bizStep"), q.Get("EQ_bizLocation"))
			if err != nil {
				return err
			}
			w.Header().Set("Content-Type", "application/ld+json")
			w.Header().Set("GS1-EPCIS-Version", "2.0.0")
			_, err = w.Write(doc)
			return err
		})
	}))
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}

// filterEvents keeps the events of an exported document whose bizStep and
// bizLocation match (either "" matches everything). A bizStep is matched
// as written or as its CBV URN (urn:epcglobal:cbv:bizstep:shipping).
func filterEvents(doc []byte, bizStep, bizLocation string) ([]byte, error) {
	if bizStep == "" && bizLocation == "" {
		return doc, nil
	}
	var d map[string]any
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	body, _ := d["epcisBody"].(map[string]any)
	if body == nil {
		return nil, errors.New("httpapi: exported document without epcisBody")
	}
	list, _ := body["eventList"].([]any)
	kept := []any{}
	for _, e := range list {
		ev, _ := e.(map[string]any)
		if bizStep != "" {
			s, _ := ev["bizStep"].(string)
			if s != bizStep && "urn:epcglobal:cbv:bizstep:"+s != bizStep {
				continue
			}
		}
		if bizLocation != "" {
			loc, _ := ev["bizLocation"].(map[string]any)
			if id, _ := loc["id"].(string); id != bizLocation {
				continue
			}
		}
		kept = append(kept, ev)
	}
	body["eventList"] = kept
	return json.MarshalIndent(d, "", "  ")
}
