package web

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/httpapi"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/projections/alerts"
	"github.com/chipledger/chipledger/replica"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configure the UI.
type Options struct {
	// Tokens are the identities that may sign in (the API's tokens file);
	// nil: Token, or, without one, anyone (an anonymous reader).
	Tokens *httpapi.Tokens
	Token  string
	// Scope and Decisions are shared with the API (httpapi.QueryOptions):
	// the same scope rules and the same triage path and pending decisions.
	// nil: the UI's own (NewScope, and no publisher: triage answers 503).
	Scope     *httpapi.Scope
	Decisions *httpapi.Decisions
	Logger    *slog.Logger
	// SessionTTL is a session's lifetime (0: 12 h); IdleTimeout ends it
	// earlier without requests (0: 1 h).
	SessionTTL, IdleTimeout time.Duration
	// AtlasEvery is the least time between two builds of the flows and the
	// scope index (0: 1 s; a build also waits four times as long as the
	// last one took).
	AtlasEvery time.Duration
	// Now is the sessions' clock (nil: time.Now).
	Now func() time.Time
}

// UI is the web UI's handler.
type UI struct {
	r        *replica.Replica
	opts     Options
	log      *slog.Logger
	mux      *http.ServeMux
	pages    map[string]*template.Template
	sessions *sessions
	key      []byte // HMAC key of the sign-in form's CSRF token
	atlas    *atlas
	alerts   alertCache
	dec      *httpapi.Decisions
	scope    *httpapi.Scope
}

// New returns the UI over replica r. Call Run to keep the flows overview
// and the scope index up to date (or Refresh, once).
func New(r *replica.Replica, opts Options) *UI {
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 12 * time.Hour
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = time.Hour
	}
	if opts.AtlasEvery <= 0 {
		opts.AtlasEvery = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	u := &UI{r: r, opts: opts, log: log, key: []byte(randomString(32)),
		sessions: &sessions{m: map[string]*session{}, ttl: opts.SessionTTL, idle: opts.IdleTimeout, now: opts.Now}}
	u.scope = opts.Scope
	if u.scope == nil {
		u.scope = httpapi.NewScope(r)
	}
	u.dec = opts.Decisions
	if u.dec == nil {
		u.dec = httpapi.NewDecisions(r, nil, u.scope, log)
	}
	u.atlas = &atlas{r: r, scope: u.scope}
	u.pages = parseTemplates()
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	fileServer := http.StripPrefix("/static/", http.FileServerFS(static))
	m.Handle("GET /static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fileServer.ServeHTTP(w, r)
	}))
	m.HandleFunc("GET /signin", u.getSignin)
	m.HandleFunc("POST /signin", u.postSignin)
	m.HandleFunc("POST /signout", u.postSignout)
	m.HandleFunc("GET /{$}", u.page(u.home))
	m.HandleFunc("GET /search", u.page(u.search))
	m.HandleFunc("GET /units/{id}", u.page(u.unit))
	m.HandleFunc("GET /entries/{seq}", u.page(u.entry))
	m.HandleFunc("GET /alerts", u.page(u.alertList))
	m.HandleFunc("GET /alerts/{id}", u.page(u.alert))
	m.HandleFunc("POST /alerts/{id}/{action}", u.page(u.triage))
	m.HandleFunc("GET /flows", u.page(u.flows))
	m.HandleFunc("GET /parties/{id}", u.page(u.party))
	m.HandleFunc("GET /sites/{id}", u.page(u.site))
	u.mux = m
	return u
}

// Run keeps the flows overview and the scope index up to date until ctx
// ends.
func (u *UI) Run(ctx context.Context) error {
	u.atlas.run(ctx, u.opts.AtlasEvery, u.log)
	return nil
}

// Refresh builds the flows overview and the scope index now.
func (u *UI) Refresh() error {
	_, err := u.atlas.refresh()
	return err
}

// ServeHTTP serves the UI with its security headers: a strict content
// security policy (no inline script or style, nothing from elsewhere, no
// framing), no sniffing, same-origin referrers and no caching of pages.
func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	if !strings.HasPrefix(r.URL.Path, "/static/") {
		h.Set("Cache-Control", "no-store")
	}
	u.mux.ServeHTTP(w, r)
}

// page is what every template gets.
type page struct {
	Title string
	Nav   string // the current section: search, alerts, flows
	Who   *httpapi.Identity
	CSRF  string
	Head  uint64 // the replica's head
	Data  any
}

var funcs = template.FuncMap{
	"short": func(s string) string {
		if len(s) > 12 {
			return s[:12]
		}
		return s
	},
	"date": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02")
	},
	"datetime": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"unitURL":  func(u any) string { return "/units/" + url.PathEscape(fmt.Sprint(u)) },
	"alertURL": func(id string) string { return "/alerts/" + url.PathEscape(id) },
	"partyURL": func(id string) string { return "/parties/" + url.PathEscape(id) },
	"siteURL":  func(id string) string { return "/sites/" + url.PathEscape(id) },
	"entryURL": func(seq uint64) string { return "/entries/" + strconv.FormatUint(seq, 10) },
	"reportURL": func(kind, id, format string) string {
		return "/api/v1/reports/" + kind + "/" + url.PathEscape(id) + "?format=" + format
	},
	"subjectURL": func(kind, id string) string {
		switch kind {
		case alerts.KindUnit:
			return "/units/" + url.PathEscape(id)
		case alerts.KindParty:
			return "/parties/" + url.PathEscape(id)
		case alerts.KindSite:
			return "/sites/" + url.PathEscape(id)
		}
		return "/alerts?country=" + url.QueryEscape(id)
	},
	"join": func(ss []string) string { return strings.Join(ss, " ") },
	"ruleOf": func(alertID string) string {
		r, _, _ := strings.Cut(alertID, ":")
		return r
	},
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
	"add":   func(a, b int) int { return a + b },
	"prev":  func(s uint64) uint64 { return s - 1 },
	"float": func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) },
	"fixed": func(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) },
	"title": func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	},
	"actionLabel": func(a string) string {
		switch a {
		case "acknowledge":
			return "Acknowledge"
		case "dismiss":
			return "Dismiss"
		case "escalate":
			return "Escalate"
		}
		return a
	},
}

func parseTemplates() map[string]*template.Template {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" || strings.HasPrefix(base, "part-") {
			continue
		}
		out[base] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/part-*.html", n))
	}
	return out
}

// render executes page template name into a buffer, then writes it.
func (u *UI) render(w http.ResponseWriter, r *http.Request, status int, name string, pg page) {
	pg.Head = u.r.Head().Seq
	var buf bytes.Buffer
	if err := u.pages[name].Execute(&buf, pg); err != nil {
		u.log.Error("web: render failed", "page", name, "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail renders an error page.
func (u *UI) fail(w http.ResponseWriter, r *http.Request, ss *session, status int, msg string) {
	pg := page{Title: http.StatusText(status)}
	if ss != nil {
		pg.Who, pg.CSRF = &ss.ident, ss.csrf
	}
	pg.Data = map[string]any{"Status": status, "Message": msg}
	u.render(w, r, status, "error", pg)
}

// failErr renders the page for err: its status and safe message.
func (u *UI) failErr(w http.ResponseWriter, r *http.Request, ss *session, err error) {
	status, msg := httpapi.ErrorStatus(err)
	if status == http.StatusInternalServerError {
		u.log.Error("web: page failed", "path", r.URL.Path, "err", err)
	}
	if status == http.StatusNotFound {
		msg = "Nothing here, or nothing you may see."
	}
	u.fail(w, r, ss, status, msg)
}

type pageFunc func(w http.ResponseWriter, r *http.Request, ss *session)

// page requires a session: without one a GET goes to the sign-in page
// (and back), a POST is refused.
func (u *UI) page(h pageFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ss, ok := u.current(r)
		if !ok {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			u.fail(w, r, nil, http.StatusForbidden, "Sign in first.")
			return
		}
		h(w, r, &ss)
	}
}

func (u *UI) pageOf(ss *session, title, nav string, data any) page {
	return page{Title: title, Nav: nav, Who: &ss.ident, CSRF: ss.csrf, Data: data}
}

// alertCache holds every alert, sorted, as of one detector evaluation:
// the detector copies and sorts them on every call, which is most of an
// alert page's time on a large ledger. Alerts change only when the
// detector evaluates, so the copy is taken again after each evaluation.
// The slice is shared: callers copy what they change.
type alertCache struct {
	mu    sync.Mutex
	evals uint64
	ok    bool
	all   []alerts.Alert
}

func (u *UI) allAlerts() []alerts.Alert {
	n := u.r.DetectionStatus().Evaluations
	c := &u.alerts
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ok || c.evals != n {
		c.all, c.evals, c.ok = u.r.Alerts(alerts.Filter{}), n, true
	}
	return c.all
}

// matching returns the alerts matching f (in the detector's order); the
// slice may be the cache's: read only. A subject's few alerts come straight from
// the detector; lists from the cache.
func (u *UI) matching(f alerts.Filter) []alerts.Alert {
	if f.Subject != "" {
		return u.r.Alerts(f)
	}
	if f == (alerts.Filter{}) {
		return u.allAlerts() // shared: read only
	}
	var out []alerts.Alert
	for _, a := range u.allAlerts() {
		if f.Match(&a) {
			out = append(out, a)
		}
	}
	return out
}

// scopedAlerts returns the alerts matching f that the session may see.
// Call overlay on the ones shown.
func (u *UI) scopedAlerts(ss *session, f alerts.Filter) ([]alerts.Alert, error) {
	return u.scope.Alerts(ss.ident, u.matching(f))
}

// overlay sets the pending decisions of the alerts shown (copies: the
// cache is shared).
func (u *UI) overlay(as []alerts.Alert) []alerts.Alert {
	out := make([]alerts.Alert, len(as))
	for i := range as {
		out[i] = as[i]
		out[i].Pending = nil
		u.dec.Overlay(&out[i])
	}
	return out
}

// home is the start page: search and the alerts at a glance.
func (u *UI) home(w http.ResponseWriter, r *http.Request, ss *session) {
	as, err := u.scopedAlerts(ss, alerts.Filter{})
	if err != nil {
		u.failErr(w, r, ss, err)
		return
	}
	st := u.scope.Stats(ss.ident, u.r.AlertStats(), as)
	type ruleCount struct {
		Rule string
		N    int
	}
	var byRule []ruleCount
	for k, n := range st.ByRule {
		byRule = append(byRule, ruleCount{k, n})
	}
	slices.SortFunc(byRule, func(a, b ruleCount) int { return compareRules(a.Rule, b.Rule) })
	u.render(w, r, http.StatusOK, "home", u.pageOf(ss, "Chain of custody", "search", map[string]any{
		"Stats": st, "ByRule": byRule, "Open": st.ByState[alerts.StateOpen],
	}))
}

// searchResult is what a search found.
type searchResult struct {
	Query, Kind string
	Units       []events.UnitID
	MoreUnits   bool
	Parties     []projections.Party
	Sites       []projections.Site
}

// maxResults bounds each kind of search result.
const maxResults = 50

// search finds units by serial or id (exactly, then by substring), and
// parties and sites by id or name.
func (u *UI) search(w http.ResponseWriter, r *http.Request, ss *session) {
	q := strings.TrimSpace(r.FormValue("q"))
	kind := r.FormValue("kind")
	if kind != "serial" && kind != "party" && kind != "site" {
		kind = "all"
	}
	res := searchResult{Query: q, Kind: kind}
	party := ss.ident.Party
	if q != "" {
		lq := strings.ToLower(q)
		err := u.r.View(func(p *projections.Projection, src projections.Source) error {
			if kind == "all" || kind == "serial" {
				seen := map[events.UnitID]bool{}
				add := func(id events.UnitID) error {
					if seen[id] {
						return nil
					}
					seen[id] = true
					ok, err := httpapi.UnitInScope(p, src, party, id)
					if err == nil && ok {
						res.Units = append(res.Units, id)
					}
					return err
				}
				if id, err := httpapi.ResolveUnit(p, src, q); err == nil {
					if err := add(id); err != nil {
						return err
					}
				}
				for _, id := range p.Units() {
					if len(res.Units) >= maxResults {
						res.MoreUnits = true
						break
					}
					if strings.Contains(strings.ToLower(string(id)), lq) {
						if err := add(id); err != nil {
							return err
						}
					}
				}
			}
			if kind == "all" || kind == "party" {
				for _, id := range p.Parties() {
					if len(res.Parties) >= maxResults || (party != "" && id != party) {
						continue
					}
					pt, ok := p.Party(id)
					if ok && (strings.Contains(strings.ToLower(id), lq) || strings.Contains(strings.ToLower(pt.Name), lq)) {
						res.Parties = append(res.Parties, pt)
					}
				}
			}
			if kind == "all" || kind == "site" {
				for _, id := range p.Sites() {
					if len(res.Sites) >= maxResults {
						break
					}
					st, ok := p.Site(id)
					if ok && (party == "" || st.Party == party) &&
						(strings.Contains(strings.ToLower(id), lq) || strings.Contains(strings.ToLower(st.Name), lq)) {
						res.Sites = append(res.Sites, st)
					}
				}
			}
			return nil
		})
		if err != nil {
			u.failErr(w, r, ss, err)
			return
		}
	}
	u.render(w, r, http.StatusOK, "search", u.pageOf(ss, "Search", "search", res))
}

// stepRow is one custody step with the rules of the alerts citing it.
type stepRow struct {
	projections.Step
	Rules  []string
	Alerts []string // ids of the alerts citing it
}

// unitData is the unit page.
type unitData struct {
	State   projections.UnitState
	Steps   []stepRow
	Tree    projections.Node
	Path    unitPath
	Alerts  []alerts.Alert
	Titles  map[string]string // rule -> title, for the legend
	LabTest []projections.LabTest
}

// unit shows a unit: its state, custody timeline, containment tree and
// path across countries with the hops alerts cite.
func (u *UI) unit(w http.ResponseWriter, r *http.Request, ss *session) {
	var d unitData
	var containers []events.UnitID
	err := u.r.View(func(p *projections.Projection, src projections.Source) error {
		id, err := httpapi.ResolveUnit(p, src, r.PathValue("id"))
		if err != nil {
			return err
		}
		if ok, err := httpapi.UnitInScope(p, src, ss.ident.Party, id); err != nil {
			return err
		} else if !ok {
			return projections.ErrNotFound
		}
		if d.State, err = p.Unit(src, id); err != nil {
			return err
		}
		h, err := p.History(src, id)
		if err != nil {
			return err
		}
		d.Steps = make([]stepRow, len(h))
		for i := range h {
			d.Steps[i].Step = h[i].Step
			if v := h[i].Via; v != "" && !slices.Contains(containers, v) {
				containers = append(containers, v)
			}
		}
		if d.Tree, err = p.Tree(src, id); err != nil {
			return err
		}
		for _, c := range d.Tree.Containers {
			if !slices.Contains(containers, c.Unit) {
				containers = append(containers, c.Unit)
			}
		}
		d.LabTest, _ = p.LabTests(src, id)
		// The alerts on the unit and on the containers it was in: the
		// ones citing a step of this chain mark it.
		var all []alerts.Alert
		for _, s := range append([]events.UnitID{id}, containers...) {
			all = append(all, u.matching(alerts.Filter{Subject: string(s)})...)
		}
		inChain := map[uint64]bool{}
		for _, s := range d.Steps {
			inChain[s.Seq] = true
		}
		rules := map[uint64][]string{}
		idx := map[uint64][]string{}
		d.Titles = map[string]string{}
		for i := range all {
			a := &all[i]
			if a.Subject != string(id) {
				// a container's alert: shown when it cites this chain
				cites := slices.ContainsFunc(a.Evidence, func(e alerts.Evidence) bool { return inChain[e.Seq] })
				if !cites {
					continue
				}
				if ok, err := httpapi.UnitInScope(p, src, ss.ident.Party, events.UnitID(a.Subject)); err != nil || !ok {
					continue
				}
			}
			d.Alerts = append(d.Alerts, u.overlay([]alerts.Alert{*a})[0])
			if !flagging(a) {
				continue
			}
			d.Titles[a.Rule] = a.Title
			for _, e := range a.Evidence {
				if !slices.Contains(rules[e.Seq], a.Rule) {
					rules[e.Seq] = append(rules[e.Seq], a.Rule)
				}
				// one link per rule and step: to the unit's own alert when it
				// has one (its alerts come first)
				if !slices.ContainsFunc(idx[e.Seq], func(id string) bool { return strings.HasPrefix(id, a.Rule+":") }) {
					idx[e.Seq] = append(idx[e.Seq], a.ID)
				}
			}
		}
		for i := range d.Steps {
			d.Steps[i].Rules = rules[d.Steps[i].Seq]
			slices.SortFunc(d.Steps[i].Rules, compareRules)
			d.Steps[i].Alerts = idx[d.Steps[i].Seq]
			slices.SortStableFunc(d.Steps[i].Alerts, func(a, b string) int {
				ra, _, _ := strings.Cut(a, ":")
				rb, _, _ := strings.Cut(b, ":")
				return compareRules(ra, rb)
			})
		}
		d.Path = buildPath(h, rules)
		return nil
	})
	if err != nil {
		u.failErr(w, r, ss, err)
		return
	}
	u.render(w, r, http.StatusOK, "unit", u.pageOf(ss, string(d.State.Unit), "search", d))
}

// entry shows one ledger entry: what is needed to recompute its hash.
func (u *UI) entry(w http.ResponseWriter, r *http.Request, ss *session) {
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil || seq == 0 {
		u.fail(w, r, ss, http.StatusBadRequest, "A ledger sequence is a positive integer.")
		return
	}
	e, err := u.r.Entry(seq)
	if err != nil {
		u.failErr(w, r, ss, err)
		return
	}
	var ev events.Event
	var units []events.UnitID
	if !e.Document() {
		if ev, err = events.Decode(e.Canonical); err == nil {
			units = ev.Subjects()
		}
	}
	if ok, err := u.scope.Entry(ss.ident, ev); err != nil || !ok {
		u.failErr(w, r, ss, cmpErr(err, projections.ErrNotFound))
		return
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, e.Canonical, "", "  ") != nil {
		pretty.Reset()
		pretty.Write(e.Canonical)
	}
	u.render(w, r, http.StatusOK, "entry", u.pageOf(ss, fmt.Sprintf("Ledger entry %d", seq), "search", map[string]any{
		"Entry": replica.ViewOf(e), "Event": ev, "Units": units, "Canonical": pretty.String(), "Document": e.Document(),
	}))
}

func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

// alertFilterForm is the alert list's filter as the form shows it.
type alertFilterForm struct {
	Severity, Rule, Country, State, Subject string
}

// pageSize is the alert list's page.
const pageSize = 50

// alertList lists alerts with filters (severity, rule, country, state).
func (u *UI) alertList(w http.ResponseWriter, r *http.Request, ss *session) {
	q := r.URL.Query()
	form := alertFilterForm{Severity: q.Get("severity"), Rule: q.Get("rule"), Country: strings.ToUpper(q.Get("country")), State: q.Get("state"), Subject: q.Get("subject")}
	vals := url.Values{}
	for k, v := range map[string]string{"severity": form.Severity, "rule": form.Rule, "country": form.Country, "state": form.State, "subject": form.Subject} {
		if v != "" {
			vals.Set(k, v)
		}
	}
	f, err := httpapi.AlertFilter(vals)
	if err != nil {
		u.failErr(w, r, ss, err)
		return
	}
	offset, _ := strconv.Atoi(q.Get("offset"))
	offset = max(0, offset)
	as, err := u.scopedAlerts(ss, f)
	if err != nil {
		u.failErr(w, r, ss, err)
		return
	}
	total := len(as)
	end := min(total, offset+pageSize)
	shown := []alerts.Alert{}
	if offset < total {
		shown = u.overlay(as[offset:end])
	}
	link := func(off int) string {
		v := url.Values{}
		for k, x := range vals {
			v[k] = x
		}
		v.Set("offset", strconv.Itoa(off))
		return "/alerts?" + v.Encode()
	}
	var prev, next string
	if offset > 0 {
		prev = link(max(0, offset-pageSize))
	}
	if end < total {
		next = link(end)
	}
	rules := make([]string, 22)
	for i := range rules {
		rules[i] = "R" + strconv.Itoa(i+1)
	}
	u.render(w, r, http.StatusOK, "alerts", u.pageOf(ss, "Alerts", "alerts", map[string]any{
		"Form": form, "Alerts": shown, "Total": total, "From": min(offset+1, total), "To": end, "Prev": prev, "Next": next,
		"Severities": []string{alerts.SeverityInfo, alerts.SeverityMedium, alerts.SeverityHigh, alerts.SeverityCritical},
		"States":     []string{alerts.StateOpen, alerts.StateAcknowledged, alerts.StateDismissed, alerts.StateEscalated, alerts.StateWithdrawn},
		"Rules":      rules, "Detection": u.r.AlertStats().Seq,
	}))
}

// alert shows one alert: evidence, citations, decisions, pending
// decisions, and the triage forms for an investigator.
func (u *UI) alert(w http.ResponseWriter, r *http.Request, ss *session) {
	u.showAlert(w, r, ss, http.StatusOK, "", "")
}

func (u *UI) showAlert(w http.ResponseWriter, r *http.Request, ss *session, status int, formErr, reason string) {
	a, err := u.r.Alert(r.PathValue("id"))
	if err != nil {
		u.failErr(w, r, ss, err)
		return
	}
	if ok, err := u.scope.Alert(ss.ident, &a); err != nil || !ok {
		u.failErr(w, r, ss, cmpErr(err, alerts.ErrNotFound))
		return
	}
	u.dec.Overlay(&a)
	u.render(w, r, status, "alert", u.pageOf(ss, a.Rule+" on "+a.Subject, "alerts", map[string]any{
		"Alert": a, "CanTriage": ss.ident.CanTriage() && a.State != alerts.StateWithdrawn, "Actions": httpapi.TriageActions,
		"Error": formErr, "Reason": reason,
	}))
}

// triage handles a triage form: the same path as the API's POST (publish
// the decision, pending until it is back from the ledger), then back to
// the alert.
func (u *UI) triage(w http.ResponseWriter, r *http.Request, ss *session) {
	if !checkForm(w, r, ss.csrf) {
		u.fail(w, r, ss, http.StatusForbidden, "This form did not come from this site (missing or wrong CSRF token).")
		return
	}
	if !ss.ident.CanTriage() {
		u.fail(w, r, ss, http.StatusForbidden, "Triage needs an investigator's token.")
		return
	}
	id, action, reason := r.PathValue("id"), r.PathValue("action"), strings.TrimSpace(r.PostFormValue("reason"))
	if action == "dismiss" && reason == "" {
		u.showAlert(w, r, ss, http.StatusBadRequest, "A dismissal needs a reason.", reason)
		return
	}
	if _, err := u.dec.Decide(r.Context(), ss.ident, id, action, reason); err != nil {
		status, msg := httpapi.ErrorStatus(err)
		if status == http.StatusBadRequest || status == http.StatusServiceUnavailable {
			u.showAlert(w, r, ss, status, msg, reason)
			return
		}
		u.failErr(w, r, ss, err)
		return
	}
	http.Redirect(w, r, "/alerts/"+url.PathEscape(id), http.StatusSeeOther)
}

// flowsData is the flows overview.
type flowsData struct {
	Ready      bool
	Seq        uint64
	Built      time.Time
	Flows      []Flow
	Flagged    []Flow
	Countries  []string // matrix rows and columns
	Matrix     [][]*Flow
	Diagram    flowDiagram
	TotalChips int
}

// flows shows the chips' flows between countries, from every custody
// chain's cross-border shipments, flows carrying alerts marked.
func (u *UI) flows(w http.ResponseWriter, r *http.Request, ss *session) {
	s := u.atlas.current()
	d := flowsData{Ready: s != nil}
	if s != nil {
		var units map[events.UnitID]bool
		if ss.ident.Party != "" {
			units = s.parties[ss.ident.Party]
			if units == nil {
				units = map[events.UnitID]bool{}
			}
		}
		d.Seq, d.Built = s.Seq, s.Built
		d.Flows = s.flowList(units)
		fillFlows(&d)
	}
	u.render(w, r, http.StatusOK, "flows", u.pageOf(ss, "Chip flows between countries", "flows", d))
}

// party shows a party: its record, holdings, the units it held and the
// alerts on it, and its report.
func (u *UI) party(w http.ResponseWriter, r *http.Request, ss *session) {
	id := r.PathValue("id")
	if !u.scope.Party(ss.ident, id) {
		u.failErr(w, r, ss, projections.ErrNotFound)
		return
	}
	var d struct {
		Party    projections.Party
		Holdings projections.Holdings
		Units    []events.UnitID
		More     int
		Alerts   []alerts.Alert
		AtlasSeq uint64
	}
	var found bool
	err := u.r.View(func(p *projections.Projection, src projections.Source) error {
		d.Party, found = p.Party(id)
		var err error
		d.Holdings, err = p.Holdings(src, projections.ByParty, id)
		return err
	})
	if err == nil && !found {
		err = projections.ErrNotFound
	}
	if err != nil {
		u.failErr(w, r, ss, err)
		return
	}
	if s := u.atlas.current(); s != nil {
		d.AtlasSeq = s.Seq
		for unit := range s.parties[id] {
			d.Units = append(d.Units, unit)
		}
		slices.Sort(d.Units)
		if len(d.Units) > 200 {
			d.More, d.Units = len(d.Units)-200, d.Units[:200]
		}
	}
	if d.Alerts, err = u.scopedAlerts(ss, alerts.Filter{Subject: id}); err != nil {
		u.failErr(w, r, ss, err)
		return
	}
	d.Alerts = u.overlay(d.Alerts)
	u.render(w, r, http.StatusOK, "party", u.pageOf(ss, d.Party.Name, "search", d))
}

// site shows a site: its record, what it keeps now, its alerts and report.
func (u *UI) site(w http.ResponseWriter, r *http.Request, ss *session) {
	id := r.PathValue("id")
	if !u.scope.Site(ss.ident, id) {
		u.failErr(w, r, ss, projections.ErrNotFound)
		return
	}
	var d struct {
		Site     projections.Site
		Holdings projections.Holdings
		Units    []events.UnitID
		More     int
		Alerts   []alerts.Alert
	}
	var found bool
	err := u.r.View(func(p *projections.Projection, src projections.Source) error {
		d.Site, found = p.Site(id)
		var err error
		if d.Holdings, err = p.Holdings(src, projections.BySite, id); err != nil {
			return err
		}
		d.Units, err = p.HeldUnits(projections.BySite, id)
		return err
	})
	if err == nil && !found {
		err = projections.ErrNotFound
	}
	if err != nil {
		u.failErr(w, r, ss, err)
		return
	}
	if len(d.Units) > 200 {
		d.More, d.Units = len(d.Units)-200, d.Units[:200]
	}
	if d.Alerts, err = u.scopedAlerts(ss, alerts.Filter{Subject: id}); err != nil {
		u.failErr(w, r, ss, err)
		return
	}
	d.Alerts = u.overlay(d.Alerts)
	u.render(w, r, http.StatusOK, "site", u.pageOf(ss, d.Site.Name, "search", d))
}
