package web_test

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/httpapi"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/projections/alerts"
	"github.com/chipledger/chipledger/replica"
	"github.com/chipledger/chipledger/web"
)

// The page benchmarks run on the demo's world: simulate --chips 20000
// --seed 7 (about 27,000 chips with the scenarios, 191,000 ledger
// entries), imported into a ledger (cached under .cache/bench), a replica
// of it with its alerts evaluated, and the UI with its flows built. Each
// measures one page request through the handler, template included.

var demo struct {
	once    sync.Once
	r       *replica.Replica
	h       http.Handler
	ui      *web.UI
	cookie  string
	officer string // a session of a party-scoped reader
	party   string
	chips   []events.UnitID // a sample of chips
	flagged []events.UnitID // chips with alerts
	built   time.Duration
}

func demoUI(b *testing.B) {
	b.Helper()
	demo.once.Do(func() {
		r := demoReplica(keepOpen{b}, 20000, 7)
		// A compliance officer of the party that held the most chips with
		// alerts.
		held := map[string]int{}
		_ = r.View(func(p *projections.Projection, src projections.Source) error {
			for _, a := range r.Alerts(alerts.Filter{}) {
				if st, err := p.Unit(src, events.UnitID(a.Subject)); err == nil && st.Holder != "" {
					held[st.Holder]++
				}
			}
			return nil
		})
		for p, n := range held {
			if n > held[demo.party] || n == held[demo.party] && p < demo.party {
				demo.party = p
			}
		}
		officers := strings.Replace(tokensJSON, `"party":"P-CN"`, `"party":"`+demo.party+`"`, 1)
		path := filepath.Join(os.TempDir(), "web-bench-tokens.json")
		if err := os.WriteFile(path, []byte(officers), 0o600); err != nil {
			b.Fatal(err)
		}
		tokens, err := httpapi.LoadTokens(path, nil)
		if err != nil {
			b.Fatal(err)
		}
		scope := httpapi.NewScope(r)
		dec := httpapi.NewDecisions(r, nil, scope, nil)
		ui := web.New(r, web.Options{Tokens: tokens, Scope: scope, Decisions: dec})
		start := time.Now()
		if err := ui.Refresh(); err != nil {
			b.Fatal(err)
		}
		demo.built = time.Since(start)
		demo.r, demo.ui = r, ui
		demo.h = httpapi.Query(r, httpapi.QueryOptions{Tokens: tokens, Scope: scope, Decisions: dec, Session: ui.Session, UI: ui})
		demo.cookie = benchSignIn(b, demo.h, investigatorToken)
		demo.officer = benchSignIn(b, demo.h, officerToken)
		_ = r.View(func(p *projections.Projection, _ projections.Source) error {
			for _, u := range p.Units() {
				if u.Kind() == events.KindChip {
					demo.chips = append(demo.chips, u)
				}
			}
			return nil
		})
		rng := rand.New(rand.NewPCG(7, 7))
		rng.Shuffle(len(demo.chips), func(i, j int) { demo.chips[i], demo.chips[j] = demo.chips[j], demo.chips[i] })
		demo.chips = demo.chips[:200]
		for _, a := range r.Alerts(alerts.Filter{State: alerts.StateOpen}) {
			if strings.HasPrefix(a.Subject, "chip:") && !slices.Contains(demo.flagged, events.UnitID(a.Subject)) && len(demo.flagged) < 200 {
				demo.flagged = append(demo.flagged, events.UnitID(a.Subject))
			}
		}
	})
	if demo.h == nil {
		b.Fatal("the demo world did not build")
	}
}

// keepOpen keeps the demo replica open across benchmarks: its cleanups
// would close it with the first benchmark.
type keepOpen struct{ testing.TB }

func (keepOpen) Cleanup(func()) {}

func (k keepOpen) TempDir() string {
	d, err := os.MkdirTemp("", "web-bench")
	if err != nil {
		k.Fatal(err)
	}
	return d
}

func benchSignIn(b *testing.B, h http.Handler, token string) string {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/signin", nil))
	m := csrfRe.FindStringSubmatch(w.Body.String())
	if m == nil {
		b.Fatal("no sign-in form")
	}
	var pre *http.Cookie
	for _, c := range w.Result().Cookies() {
		if c.Name == "chipledger_signin" {
			pre = c
		}
	}
	req := httptest.NewRequest(http.MethodPost, "/signin", strings.NewReader(url.Values{"csrf": {m[1]}, "token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://example.com")
	req.AddCookie(pre)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, req)
	for _, c := range w.Result().Cookies() {
		if c.Name == "chipledger_session" && c.Value != "" {
			return c.Value
		}
	}
	b.Fatalf("sign-in failed: %d %s", w.Code, w.Body.String())
	return ""
}

// get renders one page and fails unless it is a 200.
func get(b *testing.B, path string) int { return getAs(b, demo.cookie, path) }

func getAs(b *testing.B, session, path string) int {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.AddCookie(&http.Cookie{Name: "chipledger_session", Value: session})
	w := httptest.NewRecorder()
	demo.h.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		b.Fatalf("GET %s: %d %s", path, w.Code, w.Body.String())
	}
	return w.Body.Len()
}

// measure runs b.N requests and reports the slowest as max-ms.
func measure(b *testing.B, path func(i int) string) { measureAs(b, demo.cookie, path) }

func measureAs(b *testing.B, session string, path func(i int) string) {
	b.ResetTimer()
	var worst time.Duration
	bytes := 0
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		bytes += getAs(b, session, path(i))
		worst = max(worst, time.Since(start))
	}
	b.ReportMetric(float64(worst.Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(bytes)/float64(b.N)/1024, "KiB/page")
}

// BenchmarkUnitPage: a random chip's page (state, timeline of its ~70
// steps, tree, path, alerts).
func BenchmarkUnitPage(b *testing.B) {
	demoUI(b)
	measure(b, func(i int) string { return "/units/" + string(demo.chips[i%len(demo.chips)]) })
}

// BenchmarkUnitPageFlagged: the page of a chip with open alerts.
func BenchmarkUnitPageFlagged(b *testing.B) {
	demoUI(b)
	measure(b, func(i int) string { return "/units/" + string(demo.flagged[i%len(demo.flagged)]) })
}

// BenchmarkAlertsPage: the first page of every alert (all states).
func BenchmarkAlertsPage(b *testing.B) {
	demoUI(b)
	measure(b, func(int) string { return "/alerts" })
}

// BenchmarkAlertsPageFiltered: open high-or-critical R1 alerts about China.
func BenchmarkAlertsPageFiltered(b *testing.B) {
	demoUI(b)
	measure(b, func(int) string { return "/alerts?severity=high&rule=R1&country=CN&state=open" })
}

// BenchmarkAlertPage: one alert's page.
func BenchmarkAlertPage(b *testing.B) {
	demoUI(b)
	as := demo.r.Alerts(alerts.Filter{State: alerts.StateOpen})
	measure(b, func(i int) string { return "/alerts/" + url.PathEscape(as[i%len(as)].ID) })
}

// BenchmarkFlowsPage: the flows overview (from the built atlas).
func BenchmarkFlowsPage(b *testing.B) {
	demoUI(b)
	measure(b, func(int) string { return "/flows" })
}

// BenchmarkFlowsBuild: walking every custody chain for the flows and the
// scope index (what the background build does).
func BenchmarkFlowsBuild(b *testing.B) {
	demoUI(b)
	for b.Loop() {
		if err := demo.ui.Refresh(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(demo.built.Seconds(), "first-build-s")
}

// BenchmarkSearchPage: a serial search.
func BenchmarkSearchPage(b *testing.B) {
	demoUI(b)
	measure(b, func(i int) string {
		s := strings.TrimPrefix(string(demo.chips[i%len(demo.chips)]), "chip:")
		return "/search?q=" + url.QueryEscape(s)
	})
}

// BenchmarkAlertsPageScoped: the alerts page of a compliance officer
// limited to the party that held the most chips with alerts (its alerts
// only: the scope index narrows them, each is checked).
func BenchmarkAlertsPageScoped(b *testing.B) {
	demoUI(b)
	b.Logf("party %s", demo.party)
	measureAs(b, demo.officer, func(int) string { return "/alerts" })
}

// BenchmarkUnitPageScoped: the officer's view of a chip with alerts that
// its party held.
func BenchmarkUnitPageScoped(b *testing.B) {
	demoUI(b)
	var mine []string
	_ = demo.r.View(func(p *projections.Projection, src projections.Source) error {
		for _, u := range demo.flagged {
			if ok, err := httpapi.UnitInScope(p, src, demo.party, u); err == nil && ok {
				mine = append(mine, string(u))
			}
		}
		return nil
	})
	if len(mine) == 0 {
		b.Skip("no flagged chip held by " + demo.party)
	}
	measureAs(b, demo.officer, func(i int) string { return "/units/" + mine[i%len(mine)] })
}
