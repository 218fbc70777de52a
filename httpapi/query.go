package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/projections/alerts"
	"github.com/chipledger/chipledger/replica"
)

// QueryOptions configure the read replica's handler.
type QueryOptions struct {
	Metrics http.Handler // served on /metrics when set
	Token   string       // read token required on every /api/ request when set
	Logger  *slog.Logger
	// Ready reports whether the replica is ready to serve (caught up, not
	// broken) and why not; nil means always ready.
	Ready func() (bool, string)
	// Status returns extra replica status for /api/v1/status.
	Status func() any
	// Tokens are named identities with roles: with them every /api/
	// request needs one of their tokens (Token is then not used), and
	// triage an investigator's.
	Tokens *Tokens
	// Triage publishes investigators' decisions to chip-events; nil: the
	// triage endpoints answer 503.
	Triage TriagePublisher
	// Scope limits party-scoped identities (nil: NewScope(r)); Decisions is
	// the triage path (nil: NewDecisions over Triage). Share them with the
	// web UI so that both see the same scope and pending decisions.
	Scope     *Scope
	Decisions *Decisions
	// Session identifies a GET without a bearer token by the web UI's
	// session cookie (report downloads from the UI); nil: tokens only.
	Session func(*http.Request) (Identity, bool)
	// UI is served on every path the API does not (the web UI on /).
	UI http.Handler
}

// Page is one page of a list.
type Page[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
	// Next is the offset of the next page, absent on the last page.
	Next *int `json:"next,omitempty"`
}

// Query returns the investigators' HTTP API over a replica:
//
//	GET /api/v1/head                      {"sequence":N,"hash":"..."}
//	GET /api/v1/status                    replica counters, break, lag
//	GET /api/v1/units/{id}                current state of a unit (chip:SERIAL, sys:..., pkg:..., or a bare serial)
//	GET /api/v1/units/{id}/chain          custody chain (?offset=&limit=, at most 1000 a page)
//	GET /api/v1/units/{id}/tree           containment tree
//	GET /api/v1/entries/{seq}             a ledger entry with everything needed to recompute its hash
//	GET /api/v1/holdings/{by}/{id}        by = party, site or country
//	GET /api/v1/dump                      canonical dump (?coordinates=0 leaves out sequences and hashes)
//	GET /api/v1/alerts                    alerts (?severity=&rule=&country=&since=&state=&subject=&offset=&limit=): AlertList
//	GET /api/v1/alerts/{id}               one alert with its evidence and citations (the id URL-escaped)
//	GET /api/v1/detection                 the detector's counts and the policy and screening documents in use
//	GET /api/v1/reports/{kind}/{id}       compliance reports: exporter, country, site, dossier (?from=&to=&as_of=&format=json|csv|html; reports.go)
//	POST /api/v1/alerts/{id}/acknowledge  an investigator's decision ({"reason":"..."}; dismiss needs one): 202, pending
//	POST /api/v1/alerts/{id}/dismiss      until the event is back from the ledger (alert.pending); 403 for a reader's
//	POST /api/v1/alerts/{id}/escalate     token, 503 when the replica has no brokers to publish to
//	GET /api/v1/units/{id}/epcis          the unit's custody history as an EPCIS 2.0 document (docs/epcis.md)
//	GET /events                           EPCIS 2.0 query (MATCH_anyEPC, MATCH_epc, GE_/LT_eventTime, EQ_bizStep, EQ_bizLocation)
//	GET /head, /healthz, /readyz, /metrics
//
// Errors are {"error":{"code":"...","message":"..."}}: 400 for bad
// parameters, 401 without a valid token, 404 for unknown ids.
func Query(r *replica.Replica, opts QueryOptions) http.Handler {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &api{log: log, token: opts.Token, tokens: opts.Tokens, scope: opts.Scope, decisions: opts.Decisions, session: opts.Session}
	if a.scope == nil {
		a.scope = NewScope(r)
	}
	if a.decisions == nil {
		a.decisions = NewDecisions(r, opts.Triage, a.scope, log)
	}
	a.pending = &a.decisions.pending
	mux := http.NewServeMux()
	read := a.admin // the same bearer check: a read token
	head := func(w http.ResponseWriter, _ *http.Request) error {
		h := r.Head()
		writeJSON(w, http.StatusOK, headJSON{Seq: h.Seq, Hash: h.Hash.String()})
		return nil
	}
	mux.HandleFunc("GET /head", a.handle(head))
	mux.HandleFunc("GET /api/v1/head", read(head))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		if b := r.Broken(); b != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "broken", "sequence": b.Seq, "reason": b.Reason})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		ok, why := true, ""
		if opts.Ready != nil {
			ok, why = opts.Ready()
		}
		if !ok {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": why})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	if opts.Metrics != nil {
		mux.Handle("GET /metrics", opts.Metrics)
	}
	mux.HandleFunc("GET /api/v1/status", read(func(w http.ResponseWriter, _ *http.Request) error {
		var extra any
		if opts.Status != nil {
			extra = opts.Status()
		}
		writeJSON(w, http.StatusOK, map[string]any{"replica": r.Stats(), "head": r.Head().Seq, "detection": r.DetectionStatus(), "status": extra})
		return nil
	}))
	mux.HandleFunc("GET /api/v1/units/{id}", read(func(w http.ResponseWriter, req *http.Request) error {
		return r.View(func(p *projections.Projection, src projections.Source) error {
			u, err := ResolveUnit(p, src, req.PathValue("id"))
			if err != nil {
				return err
			}
			st, err := p.Unit(src, u)
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, st)
			return nil
		})
	}))
	mux.HandleFunc("GET /api/v1/units/{id}/chain", read(func(w http.ResponseWriter, req *http.Request) error {
		offset, limit, err := pageParams(req)
		if err != nil {
			return err
		}
		return r.View(func(p *projections.Projection, src projections.Source) error {
			u, err := ResolveUnit(p, src, req.PathValue("id"))
			if err != nil {
				return err
			}
			steps, err := p.Chain(src, u)
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, page(steps, offset, limit))
			return nil
		})
	}))
	mux.HandleFunc("GET /api/v1/units/{id}/tree", read(func(w http.ResponseWriter, req *http.Request) error {
		return r.View(func(p *projections.Projection, src projections.Source) error {
			u, err := ResolveUnit(p, src, req.PathValue("id"))
			if err != nil {
				return err
			}
			t, err := p.Tree(src, u)
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, t)
			return nil
		})
	}))
	mux.HandleFunc("GET /api/v1/entries/{seq}", read(func(w http.ResponseWriter, req *http.Request) error {
		seq, err := strconv.ParseUint(req.PathValue("seq"), 10, 64)
		if err != nil || seq == 0 {
			return badRequest("sequence: want a positive integer")
		}
		e, err := r.Entry(seq)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, replica.ViewOf(e))
		return nil
	}))
	mux.HandleFunc("GET /api/v1/holdings/{by}/{id}", read(func(w http.ResponseWriter, req *http.Request) error {
		by := req.PathValue("by")
		if by != "party" && by != "site" && by != "country" {
			return badRequest("holdings: want party, site or country")
		}
		return r.View(func(p *projections.Projection, src projections.Source) error {
			h, err := p.Holdings(src, by, req.PathValue("id"))
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, h)
			return nil
		})
	}))
	mux.HandleFunc("GET /api/v1/dump", read(func(w http.ResponseWriter, req *http.Request) error {
		coords := req.URL.Query().Get("coordinates") != "0"
		return r.View(func(p *projections.Projection, src projections.Source) error {
			w.Header().Set("Content-Type", "application/x-ndjson")
			return p.Dump(src, w, coords)
		})
	}))
	mux.HandleFunc("GET /api/v1/alerts", read(func(w http.ResponseWriter, req *http.Request) error {
		f, err := AlertFilter(req.URL.Query())
		if err != nil {
			return err
		}
		offset, limit, err := pageParams(req)
		if err != nil {
			return err
		}
		id := identityOf(req.Context())
		all, err := a.scope.Alerts(id, r.Alerts(f))
		if err != nil {
			return err
		}
		st := r.AlertStats()
		if id.Party != "" {
			scoped, err := a.scope.Alerts(id, r.Alerts(alerts.Filter{}))
			if err != nil {
				return err
			}
			st = a.scope.Stats(id, st, scoped)
		}
		p := page(all, offset, limit)
		for i := range p.Items {
			a.pending.overlay(&p.Items[i])
		}
		writeJSON(w, http.StatusOK, AlertList{Alerts: p.Items, Total: p.Total, Next: p.Next, Detection: st})
		return nil
	}))
	mux.HandleFunc("GET /api/v1/alerts/{id}", read(func(w http.ResponseWriter, req *http.Request) error {
		al, err := r.Alert(req.PathValue("id"))
		if err != nil {
			return err
		}
		a.pending.overlay(&al)
		writeJSON(w, http.StatusOK, al)
		return nil
	}))
	mux.HandleFunc("POST /api/v1/alerts/{id}/{action}", read(a.triage()))
	mux.HandleFunc("GET /api/v1/detection", read(func(w http.ResponseWriter, req *http.Request) error {
		st := r.AlertStats()
		if id := identityOf(req.Context()); id.Party != "" {
			scoped, err := a.scope.Alerts(id, r.Alerts(alerts.Filter{}))
			if err != nil {
				return err
			}
			st = a.scope.Stats(id, st, scoped)
		}
		writeJSON(w, http.StatusOK, st)
		return nil
	}))
	registerReports(mux, r, read)
	registerEPCIS(mux, r, read)
	if opts.UI != nil {
		mux.Handle("/", opts.UI)
	}
	return mux
}

// AlertList is one page of alerts, with the detector's state.
type AlertList struct {
	Alerts []alerts.Alert `json:"alerts"`
	Total  int            `json:"total"` // alerts matching the filter, on every page
	// Next is the offset of the next page, absent on the last page.
	Next      *int         `json:"next,omitempty"`
	Detection alerts.Stats `json:"detection"`
}

// AlertFilter reads an alert filter from query parameters: severity (at
// least: info, medium, high, critical), rule, country, since (the first
// triggering event on or after: YYYY-MM-DD or RFC 3339), state (open,
// acknowledged, dismissed, escalated, withdrawn; empty or "all": every
// state) and subject. An unknown severity or state or a bad date is a 400.
func AlertFilter(q url.Values) (alerts.Filter, error) {
	f := alerts.Filter{Severity: q.Get("severity"), Rule: q.Get("rule"), Country: q.Get("country"), Subject: q.Get("subject"), State: q.Get("state")}
	if f.Severity != "" && alerts.SeverityRank(f.Severity) < 0 {
		return f, badRequest(fmt.Sprintf("severity %q: want info, medium, high or critical", f.Severity))
	}
	switch f.State {
	case "", alerts.StateOpen, alerts.StateAcknowledged, alerts.StateDismissed, alerts.StateEscalated, alerts.StateWithdrawn:
	case "all":
		f.State = ""
	default:
		return f, badRequest(fmt.Sprintf("state %q: want %s, %s, %s, %s, %s or all", f.State,
			alerts.StateOpen, alerts.StateAcknowledged, alerts.StateDismissed, alerts.StateEscalated, alerts.StateWithdrawn))
	}
	if v := q.Get("since"); v != "" {
		t, err := ParseTime(v)
		if err != nil {
			return f, badRequest("since: " + err.Error())
		}
		f.Since = t
	}
	return f, nil
}

// ParseTime reads a date (YYYY-MM-DD, midnight UTC) or an RFC 3339 time.
func ParseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want YYYY-MM-DD or an RFC 3339 time", s)
	}
	return t, nil
}

// ResolveUnit parses a unit id; a bare serial is looked up as a chip, a
// system and a package, in that order.
func ResolveUnit(p *projections.Projection, src projections.Source, id string) (events.UnitID, error) {
	if strings.Contains(id, ":") {
		u, err := events.ParseUnitID(id)
		if err != nil {
			return "", badRequest(err.Error())
		}
		return u, nil
	}
	for _, kind := range []string{events.KindChip, events.KindSys, events.KindPkg} {
		u, err := events.ParseUnitID(kind + ":" + id)
		if err != nil {
			return "", badRequest(err.Error())
		}
		if _, err := p.Unit(src, u); err == nil {
			return u, nil
		}
	}
	return "", projections.ErrNotFound
}

func pageParams(r *http.Request) (offset, limit int, err error) {
	limit = 100
	if v := r.URL.Query().Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 1000 {
			return 0, 0, badRequest("limit: want 1..1000")
		}
	}
	if v := r.URL.Query().Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			return 0, 0, badRequest("offset: want a non-negative integer")
		}
	}
	return offset, limit, nil
}

func page[T any](all []T, offset, limit int) Page[T] {
	p := Page[T]{Total: len(all), Items: []T{}}
	if offset < len(all) {
		end := min(len(all), offset+limit)
		p.Items = all[offset:end]
		if end < len(all) {
			p.Next = &end
		}
	}
	return p
}
