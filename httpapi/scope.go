package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/projections/alerts"
	"github.com/chipledger/chipledger/replica"
)

// Scope decides what an identity may read. An identity without a party
// sees everything. One limited to a party (a compliance officer's token)
// sees the units that party ever held or owned (a step of the unit's
// custody chain names it as holder or owner: UnitInScope), the alerts on
// those units, on the party itself and on the sites it operates, its own
// party and sites, the ledger entries about those, and its own reports
// (exporter: itself; site: its sites; dossier: its units). The API and
// the web UI both ask it; out of scope is answered as not found (404),
// never 403, so that existence does not leak.
type Scope struct {
	r   *replica.Replica
	idx atomic.Pointer[ScopeIndex]
}

// ScopeIndex lists, per party, the units it ever held or owned, as the
// custody chains stood at ledger sequence Seq. It only narrows lists (the
// web UI builds it in the background): every answer is checked by
// UnitInScope unless the index is of the replica's head.
type ScopeIndex struct {
	Seq   uint64
	Units map[string]map[events.UnitID]bool
}

// NewScope returns the scope rules over replica r.
func NewScope(r *replica.Replica) *Scope { return &Scope{r: r} }

// SetIndex installs a newer index for list filtering.
func (s *Scope) SetIndex(ix *ScopeIndex) { s.idx.Store(ix) }

// UnitInScope is the scope check: whether unit u's custody chain names
// party as holder or owner at any step. An unknown unit is out of scope.
func UnitInScope(p *projections.Projection, src projections.Source, party string, u events.UnitID) (bool, error) {
	if party == "" {
		return true, nil
	}
	steps, err := p.Chain(src, u)
	if errors.Is(err, projections.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, st := range steps {
		if st.Holder == party || st.Owner == party {
			return true, nil
		}
	}
	return false, nil
}

// errOutOfScope is what an out-of-scope read answers: not found.
func errOutOfScope(what string) error { return fmt.Errorf("%w: %s", projections.ErrNotFound, what) }

// Unit reports whether identity id may see unit u (under the replica's
// read lock: not from inside a View; there, use UnitInScope).
func (s *Scope) Unit(id Identity, u events.UnitID) (bool, error) {
	if s == nil || id.Party == "" {
		return true, nil
	}
	var ok bool
	err := s.r.View(func(p *projections.Projection, src projections.Source) error {
		var err error
		ok, err = UnitInScope(p, src, id.Party, u)
		return err
	})
	return ok, err
}

// Site reports whether identity id may see site: a site its party operates.
func (s *Scope) Site(id Identity, site string) bool {
	if s == nil || id.Party == "" {
		return true
	}
	ok := false
	_ = s.r.View(func(p *projections.Projection, _ projections.Source) error {
		st, found := p.Site(site)
		ok = found && st.Party == id.Party
		return nil
	})
	return ok
}

// Party reports whether identity id may see party: its own.
func (s *Scope) Party(id Identity, party string) bool {
	return s == nil || id.Party == "" || id.Party == party
}

// alertIn is the scope check of one alert under a View.
func alertIn(p *projections.Projection, src projections.Source, party string, a *alerts.Alert, memo map[events.UnitID]bool) (bool, error) {
	switch a.SubjectKind {
	case alerts.KindParty:
		return a.Subject == party, nil
	case alerts.KindSite:
		st, found := p.Site(a.Subject)
		return found && st.Party == party, nil
	case alerts.KindUnit:
		u := events.UnitID(a.Subject)
		if ok, seen := memo[u]; seen {
			return ok, nil
		}
		ok, err := UnitInScope(p, src, party, u)
		if err != nil {
			return false, err
		}
		if memo != nil {
			memo[u] = ok
		}
		return ok, nil
	}
	return false, nil // country alerts are about everyone's units
}

// Alert reports whether identity id may see alert a.
func (s *Scope) Alert(id Identity, a *alerts.Alert) (bool, error) {
	if s == nil || id.Party == "" {
		return true, nil
	}
	var ok bool
	err := s.r.View(func(p *projections.Projection, src projections.Source) error {
		var err error
		ok, err = alertIn(p, src, id.Party, a, nil)
		return err
	})
	return ok, err
}

// Alerts returns the alerts of as that identity id may see, in order. The
// index (when installed) narrows the unit alerts to check: those on units
// it lists and those raised after it was built; when the index is of the
// replica's head it is the answer, otherwise each is checked.
func (s *Scope) Alerts(id Identity, as []alerts.Alert) ([]alerts.Alert, error) {
	if s == nil || id.Party == "" {
		return as, nil
	}
	ix := s.idx.Load()
	var out []alerts.Alert
	err := s.r.View(func(p *projections.Projection, src projections.Source) error {
		exact := ix != nil && ix.Seq == p.Seq()
		mine := map[events.UnitID]bool(nil)
		if ix != nil {
			mine = ix.Units[id.Party]
		}
		memo := map[events.UnitID]bool{}
		for i := range as {
			a := &as[i]
			if a.SubjectKind == alerts.KindUnit && ix != nil {
				listed := mine[events.UnitID(a.Subject)]
				if exact && !listed || !listed && a.RaisedSeq <= ix.Seq {
					continue
				}
				if exact && listed {
					out = append(out, *a)
					continue
				}
			}
			ok, err := alertIn(p, src, id.Party, a, memo)
			if err != nil {
				return err
			}
			if ok {
				out = append(out, *a)
			}
		}
		return nil
	})
	return out, err
}

// Stats returns st with its counts over the alerts identity id may see
// (scoped: the alerts as, already filtered by Alerts).
func (s *Scope) Stats(id Identity, st alerts.Stats, scoped []alerts.Alert) alerts.Stats {
	if s == nil || id.Party == "" {
		return st
	}
	st.Open, st.Withdrawn, st.ByRule, st.ByState = 0, 0, map[string]int{}, map[string]int{}
	for _, a := range scoped {
		st.ByState[a.State]++
		if a.State == alerts.StateWithdrawn {
			st.Withdrawn++
			continue
		}
		st.Open++
		st.ByRule[a.Rule]++
	}
	return st
}

// Entry reports whether identity id may see ledger entry ev: one that
// names a unit in scope, or the party's or its sites' own records.
func (s *Scope) Entry(id Identity, ev events.Event) (bool, error) {
	if s == nil || id.Party == "" {
		return true, nil
	}
	switch b := ev.Body.(type) {
	case *events.PartyRegistered:
		return b != nil && b.Party == id.Party, nil
	case *events.PartyUpdated:
		return b != nil && b.Party == id.Party, nil
	case *events.SiteRegistered:
		return b != nil && b.Party == id.Party, nil
	}
	var ok bool
	err := s.r.View(func(p *projections.Projection, src projections.Source) error {
		for _, u := range ev.Subjects() {
			in, err := UnitInScope(p, src, id.Party, u)
			if err != nil || in {
				ok = in
				return err
			}
		}
		return nil
	})
	return ok, err
}

// Report reports whether identity id may have the report of kind
// (exporter, country, site, dossier) on key: its own party's exporter
// report, its sites', its units' dossiers; no country report.
func (s *Scope) Report(id Identity, kind, key string) (bool, error) {
	if s == nil || id.Party == "" {
		return true, nil
	}
	switch kind {
	case "exporter":
		return key == id.Party, nil
	case "site":
		return s.Site(id, key), nil
	case "dossier":
		var ok bool
		err := s.r.View(func(p *projections.Projection, src projections.Source) error {
			u, err := ResolveUnit(p, src, key)
			if err != nil {
				return nil // unknown: out of scope
			}
			ok, err = UnitInScope(p, src, id.Party, u)
			return err
		})
		return ok, err
	}
	return false, nil
}

// request checks a party-scoped identity's API request before its handler
// runs, by the route it matched: reads of one unit, entry, holding, alert
// or report out of scope are not found; the alert list and detection
// counts are filtered by their handlers; anything else (the dump, the
// EPCIS query over every unit, routes this check does not know) is not
// found for a scoped identity.
func (s *Scope) request(req *http.Request, id Identity) error {
	if s == nil || id.Party == "" {
		return nil
	}
	if rest, ok := strings.CutPrefix(req.URL.Path, "/api/v1/reports/"); ok {
		kind, key, _ := strings.Cut(rest, "/")
		return s.check(s.Report(id, kind, key))("report")
	}
	switch req.Pattern {
	case "GET /head", "GET /api/v1/head", "GET /api/v1/status", "GET /api/v1/alerts", "GET /api/v1/detection":
		return nil
	case "GET /api/v1/units/{id}", "GET /api/v1/units/{id}/chain", "GET /api/v1/units/{id}/tree", "GET /api/v1/units/{id}/epcis":
		var ok bool
		err := s.r.View(func(p *projections.Projection, src projections.Source) error {
			u, err := ResolveUnit(p, src, req.PathValue("id"))
			if err != nil {
				return nil // the handler answers a bad id
			}
			ok, err = UnitInScope(p, src, id.Party, u)
			return err
		})
		return s.check(ok, err)("unit " + req.PathValue("id"))
	case "GET /api/v1/entries/{seq}":
		seq, err := strconv.ParseUint(req.PathValue("seq"), 10, 64)
		if err != nil || seq == 0 {
			return nil // the handler answers a bad sequence
		}
		e, err := s.r.Entry(seq)
		if err != nil {
			return err
		}
		ev, err := events.Decode(e.Canonical)
		if err != nil {
			return errOutOfScope("entry")
		}
		return s.check(s.Entry(id, ev))("entry")
	case "GET /api/v1/holdings/{by}/{id}":
		switch req.PathValue("by") {
		case projections.ByParty:
			return s.check(s.Party(id, req.PathValue("id")), nil)("holdings")
		case projections.BySite:
			return s.check(s.Site(id, req.PathValue("id")), nil)("holdings")
		}
		return errOutOfScope("holdings")
	case "GET /api/v1/alerts/{id}", "POST /api/v1/alerts/{id}/{action}":
		al, err := s.r.Alert(req.PathValue("id"))
		if err != nil {
			return err
		}
		return s.check(s.Alert(id, &al))("alert")
	}
	return errOutOfScope(req.URL.Path)
}

func (s *Scope) check(ok bool, err error) func(what string) error {
	return func(what string) error {
		if err != nil {
			return err
		}
		if !ok {
			return errOutOfScope(what)
		}
		return nil
	}
}
