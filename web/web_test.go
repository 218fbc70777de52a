package web_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/httpapi"
	"github.com/chipledger/chipledger/projections/alerts"
	"github.com/chipledger/chipledger/replica"
	"github.com/chipledger/chipledger/web"
)

// published collects the decisions a test server publishes.
type published struct {
	mu  sync.Mutex
	evs []events.Event
}

func (p *published) publish(_ context.Context, ev events.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.evs = append(p.evs, ev)
	return nil
}

func (p *published) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.evs)
}

// testServer is the API with the UI mounted, as query serve builds it.
type testServer struct {
	*httptest.Server
	ui     *web.UI
	scope  *httpapi.Scope
	pub    *published
	tokens string // the tokens file
}

type serverOpts struct {
	now     func() time.Time
	noIndex bool
}

func newServer(t *testing.T, r *replica.Replica, o serverOpts) *testServer {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tokens.json")
	require.NoError(t, os.WriteFile(path, []byte(tokensJSON), 0o600))
	tokens, err := httpapi.LoadTokens(path, nil)
	require.NoError(t, err)
	pub := &published{}
	scope := httpapi.NewScope(r)
	dec := httpapi.NewDecisions(r, pub.publish, scope, nil)
	ui := web.New(r, web.Options{Tokens: tokens, Scope: scope, Decisions: dec, Now: o.now, IdleTimeout: 30 * time.Minute})
	if !o.noIndex {
		require.NoError(t, ui.Refresh())
	}
	srv := httptest.NewServer(httpapi.Query(r, httpapi.QueryOptions{Tokens: tokens, Triage: pub.publish, Scope: scope,
		Decisions: dec, Session: ui.Session, UI: ui}))
	t.Cleanup(srv.Close)
	return &testServer{Server: srv, ui: ui, scope: scope, pub: pub, tokens: path}
}

// client is a browser without JavaScript: a cookie jar, no redirects
// followed, and the Origin header a browser sends on a POST.
type client struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newClient(t *testing.T, base string) *client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &client{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(req *http.Request) (*http.Response, string) {
	c.t.Helper()
	resp, err := c.c.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return resp, string(b)
}

func (c *client) get(path string) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	require.NoError(c.t, err)
	return c.do(req)
}

// post sends a form with the given Origin ("" : none).
func (c *client) post(path string, form url.Values, origin string) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	return c.do(req)
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := csrfRe.FindStringSubmatch(body)
	require.NotNil(t, m, "a CSRF field in the page")
	return html.UnescapeString(m[1])
}

// signIn signs the client in with token and returns the session's CSRF
// token.
func (c *client) signIn(token string) string {
	c.t.Helper()
	_, body := c.get("/signin")
	resp, _ := c.post("/signin", url.Values{"csrf": {csrfOf(c.t, body)}, "token": {token}, "next": {"/"}}, c.base)
	require.Equal(c.t, http.StatusSeeOther, resp.StatusCode)
	_, body = c.get("/")
	return csrfOf(c.t, body)
}

func alertOn(t *testing.T, r *replica.Replica, rule, subject string) alerts.Alert {
	t.Helper()
	as := r.Alerts(alerts.Filter{Rule: rule, Subject: subject})
	require.NotEmpty(t, as, "an %s alert on %s", rule, subject)
	return as[0]
}

func TestSignInSessionCookieAndPages(t *testing.T) {
	r := storyReplica(t)
	s := newServer(t, r, serverOpts{})
	c := newClient(t, s.URL)

	resp, _ := c.get("/units/chip:T1")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "signed out: to the sign-in page")
	require.Equal(t, "/signin?next=%2Funits%2Fchip%3AT1", resp.Header.Get("Location"))

	_, body := c.get("/signin")
	resp, body = c.post("/signin", url.Values{"csrf": {csrfOf(t, body)}, "token": {"not-a-token-at-all-000"}}, s.URL)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Contains(t, body, "not known")

	resp, _ = c.post("/signin", url.Values{"csrf": {csrfOf(t, body)}, "token": {investigatorToken}, "next": {"/units/chip:T1"}}, s.URL)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/units/chip:T1", resp.Header.Get("Location"))
	var sc *http.Cookie
	for _, k := range resp.Cookies() {
		if k.Name == "chipledger_session" && k.Value != "" {
			sc = k
		}
	}
	require.NotNil(t, sc, "a session cookie")
	assert.True(t, sc.HttpOnly)
	assert.Equal(t, http.SameSiteStrictMode, sc.SameSite)
	assert.False(t, sc.Secure, "plain HTTP: not Secure (it would be over TLS)")
	assert.GreaterOrEqual(t, len(sc.Value), 40, "a random session id")

	resp, body = c.get("/units/chip:T1")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "script-src 'self'")
	assert.Contains(t, body, "alice")
	al := alertOn(t, r, "R1", "chip:T1")
	assert.Contains(t, body, `href="/alerts/`+url.PathEscape(al.ID)+`"`, "the unit page links to its alert")
	assert.Contains(t, body, "US → SG", "the path in words")
	assert.Contains(t, body, "SG → CN")
	assert.Regexp(t, `class="hop shipment flagged"`, body, "a crossing cited by an alert is red")
	assert.Contains(t, body, "cited by R1")
	for _, ev := range al.Evidence {
		assert.Contains(t, body, `href="/entries/`+itoa(ev.Seq)+`"`, "the timeline links each entry")
	}

	resp, body = c.get("/search?q=T1")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, `href="/units/chip:T1"`)
	_, body = c.get("/search?q=Cloud&kind=party")
	assert.Contains(t, body, `href="/parties/P-CN"`)

	for _, path := range []string{"/", "/alerts", "/alerts?severity=high&rule=R1&country=CN&state=open", "/alerts/" + url.PathEscape(al.ID),
		"/flows", "/parties/P-CN", "/entries/1", "/units/sys:T9", "/static/style.css", "/static/app.js"} {
		resp, _ := c.get(path)
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
	}
	_, body = c.get("/flows")
	assert.Contains(t, body, "flagged-cell", "the US to CN flow carries R1")
	_, body = c.get("/alerts?rule=R1&state=open")
	assert.Contains(t, body, url.PathEscape(al.ID))
	resp, _ = c.get("/alerts?severity=loud")
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	resp, _ = c.get("/units/chip:NOPE")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func itoa(v uint64) string { return strconv.FormatUint(v, 10) }

func TestCSRFAndOriginAreRequired(t *testing.T) {
	r := storyReplica(t)
	s := newServer(t, r, serverOpts{})
	al := alertOn(t, r, "R1", "sys:T9")
	path := "/alerts/" + url.PathEscape(al.ID) + "/dismiss"

	// Signing in needs the sign-in form's token too.
	c := newClient(t, s.URL)
	c.get("/signin")
	resp, _ := c.post("/signin", url.Values{"token": {investigatorToken}}, s.URL)
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "a sign-in without the form's CSRF token")

	csrf := c.signIn(investigatorToken)
	reason := url.Values{"reason": {"licence on file"}}
	for name, tc := range map[string]struct {
		form   url.Values
		origin string
	}{
		"no CSRF token":         {reason, s.URL},
		"a wrong CSRF token":    {url.Values{"reason": {"x"}, "csrf": {"AAAA" + csrf[4:]}}, s.URL},
		"another origin":        {url.Values{"reason": {"x"}, "csrf": {csrf}}, "http://evil.example"},
		"no Origin, no Referer": {url.Values{"reason": {"x"}, "csrf": {csrf}}, ""},
	} {
		resp, body := c.post(path, tc.form, tc.origin)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, name)
		assert.Contains(t, body, "CSRF", name)
	}
	require.Equal(t, 0, s.pub.count(), "nothing published without a valid form")

	// Another session's token does not do either.
	other := newClient(t, s.URL)
	otherCSRF := other.signIn(investigatorToken)
	require.NotEqual(t, csrf, otherCSRF, "one CSRF token per session")
	resp, _ = c.post(path, url.Values{"reason": {"x"}, "csrf": {otherCSRF}}, s.URL)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)

	// A dismissal needs a reason.
	resp, body := c.post(path, url.Values{"csrf": {csrf}, "reason": {"  "}}, s.URL)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, body, "needs a reason")
	require.Equal(t, 0, s.pub.count())

	// The real thing: published, pending on the alert page.
	req, err := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(url.Values{"csrf": {csrf}, "reason": {"licence on file"}}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Referer", s.URL+"/alerts/"+url.PathEscape(al.ID)) // a Referer stands in for a missing Origin
	resp, _ = c.do(req)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 1, s.pub.count())
	ev := s.pub.evs[0]
	require.Equal(t, events.TypeAlertDismissed, ev.Type)
	d := ev.Body.(*events.AlertDismissed)
	require.Equal(t, "alice", d.Investigator)
	require.Equal(t, al.ID, d.Alert)
	require.Equal(t, "licence on file", d.Reason)
	_, body = c.get("/alerts/" + url.PathEscape(al.ID))
	assert.Contains(t, body, "data-pending")
	assert.Contains(t, body, "dismissed by alice")
	// The API shows the same pending decision: one path, one pending set.
	var got alerts.Alert
	require.Equal(t, http.StatusOK, getJSON(t, s.URL+"/api/v1/alerts/"+url.PathEscape(al.ID), readerToken, &got))
	require.Len(t, got.Pending, 1)
	assert.Equal(t, ev.ID, got.Pending[0].EventID)

	// Signing out needs the token as well, and ends the session.
	resp, _ = c.post("/signout", url.Values{}, s.URL)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = c.post("/signout", url.Values{"csrf": {csrf}}, s.URL)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = c.get("/")
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "signed out")
	resp, _ = c.post(path, url.Values{"csrf": {csrf}, "reason": {"x"}}, s.URL)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "no session, no triage")
	require.Equal(t, 1, s.pub.count())
}

func getJSON(t *testing.T, u, token string, out any) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	if out != nil && resp.StatusCode == http.StatusOK {
		require.NoError(t, jsonDecode(resp.Body, out))
	}
	return resp.StatusCode
}

func TestReaderSeesNoTriage(t *testing.T) {
	r := storyReplica(t)
	s := newServer(t, r, serverOpts{})
	al := alertOn(t, r, "R1", "sys:T9")
	c := newClient(t, s.URL)
	csrf := c.signIn(readerToken)
	resp, body := c.get("/alerts/" + url.PathEscape(al.ID))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.NotContains(t, body, "triage-form")
	assert.NotContains(t, body, "/dismiss")
	for _, action := range httpapi.TriageActions {
		resp, _ := c.post("/alerts/"+url.PathEscape(al.ID)+"/"+action, url.Values{"csrf": {csrf}, "reason": {"x"}}, s.URL)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, action)
	}
	assert.Equal(t, 0, s.pub.count())

	// Investigator: the forms, every one with its CSRF field.
	c2 := newClient(t, s.URL)
	c2.signIn(investigatorToken)
	_, body = c2.get("/alerts/" + url.PathEscape(al.ID))
	assert.Equal(t, 3, strings.Count(body, `class="triage-form`))
	assert.Equal(t, 4, strings.Count(body, `name="csrf"`), "three triage forms and sign-out")
}

func TestSessionsExpireAndFollowTheTokensFile(t *testing.T) {
	r := storyReplica(t)
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	s := newServer(t, r, serverOpts{now: clock})

	c := newClient(t, s.URL)
	c.signIn(investigatorToken)
	advance(29 * time.Minute)
	resp, _ := c.get("/")
	require.Equal(t, http.StatusOK, resp.StatusCode, "within the idle timeout")
	advance(31 * time.Minute)
	resp, _ = c.get("/")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "idle for more than 30 minutes: signed out")

	// Busy all along, but past the 12 h lifetime.
	c.signIn(investigatorToken)
	for range 25 {
		advance(29 * time.Minute)
		if resp, _ := c.get("/"); resp.StatusCode != http.StatusOK {
			break
		}
	}
	resp, _ = c.get("/")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "a session ends after its lifetime, however busy")

	// A token taken out of the tokens file ends its sessions.
	c.signIn(readerToken)
	resp, _ = c.get("/")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, os.WriteFile(s.tokens, []byte(`{"tokens":[{"name":"alice","role":"investigator","token":"`+investigatorToken+`"}]}`), 0o600))
	resp, _ = c.get("/")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "the reader's token was revoked")
}

func TestPartyScopeInUIAndAPI(t *testing.T) {
	r := storyReplica(t)
	for _, indexed := range []bool{false, true} {
		s := newServer(t, r, serverOpts{noIndex: !indexed})
		c := newClient(t, s.URL)
		c.signIn(officerToken)
		for path, want := range map[string]int{
			"/units/chip:T1": http.StatusOK, "/units/sys:T9": http.StatusOK, "/units/chip:T3": http.StatusNotFound, "/units/T3": http.StatusNotFound,
			"/parties/P-CN": http.StatusOK, "/parties/P-DE": http.StatusNotFound, "/parties/P-OEM": http.StatusNotFound,
		} {
			resp, _ := c.get(path)
			assert.Equal(t, want, resp.StatusCode, "UI %s (index %v)", path, indexed)
		}
		_, body := c.get("/search?q=T")
		assert.Contains(t, body, "chip:T1")
		assert.NotContains(t, body, "chip:T3", "search finds only units in scope")
		assert.NotContains(t, body, "P-DE")

		var seqT3, seqT1 uint64
		for seq := uint64(1); seq <= r.Head().Seq; seq++ {
			e, err := r.Entry(seq)
			require.NoError(t, err)
			if strings.Contains(string(e.Canonical), `"unit":"chip:T3"`) {
				seqT3 = seq
			}
			if strings.Contains(string(e.Canonical), `"unit":"chip:T1"`) {
				seqT1 = seq
			}
		}
		require.NotZero(t, seqT3)
		for path, want := range map[string]int{
			"/api/v1/units/chip:T1": http.StatusOK, "/api/v1/units/chip:T1/chain": http.StatusOK, "/api/v1/units/T1/tree": http.StatusOK,
			"/api/v1/units/chip:T3": http.StatusNotFound, "/api/v1/units/chip:T3/chain": http.StatusNotFound, "/api/v1/units/T3/tree": http.StatusNotFound,
			"/api/v1/entries/" + itoa(seqT1): http.StatusOK, "/api/v1/entries/" + itoa(seqT3): http.StatusNotFound,
			"/api/v1/holdings/party/P-CN": http.StatusOK, "/api/v1/holdings/party/P-DE": http.StatusNotFound,
			"/api/v1/holdings/country/DE": http.StatusNotFound, "/api/v1/dump": http.StatusNotFound,
		} {
			assert.Equal(t, want, getJSON(t, s.URL+path, officerToken, nil), "API %s (index %v)", path, indexed)
			if want == http.StatusNotFound {
				assert.Equal(t, http.StatusOK, getJSON(t, s.URL+path, readerToken, nil), "an unscoped reader reads %s", path)
			}
		}
		var l httpapi.AlertList
		require.Equal(t, http.StatusOK, getJSON(t, s.URL+"/api/v1/alerts?limit=1000", officerToken, &l))
		var all httpapi.AlertList
		require.Equal(t, http.StatusOK, getJSON(t, s.URL+"/api/v1/alerts?limit=1000", readerToken, &all))
		want := 0
		for _, a := range all.Alerts {
			in := a.Subject == "chip:T1" || a.Subject == "chip:T2" || a.Subject == "sys:T9" || a.Subject == "P-CN"
			if in {
				want++
			}
			if !in && a.SubjectKind == alerts.KindUnit {
				assert.Equal(t, http.StatusNotFound, getJSON(t, s.URL+"/api/v1/alerts/"+url.PathEscape(a.ID), officerToken, nil), a.ID)
			}
		}
		require.NotZero(t, want)
		require.Len(t, l.Alerts, want, "the officer's alerts: those on its units and itself")
		assert.Equal(t, want, l.Detection.Open+l.Detection.Withdrawn, "detection counts over the officer's alerts")
		for _, a := range l.Alerts {
			assert.Equal(t, http.StatusOK, getJSON(t, s.URL+"/api/v1/alerts/"+url.PathEscape(a.ID), officerToken, nil), a.ID)
		}
		_, body = c.get("/alerts")
		assert.NotContains(t, body, "chip:T3")

		ok, err := s.scope.Report(httpapi.Identity{Party: "P-CN"}, "dossier", "T1")
		require.NoError(t, err)
		assert.True(t, ok)
		for _, rep := range [][2]string{{"dossier", "T3"}, {"exporter", "P-OEM"}, {"country", "CN"}, {"site", "S-NONE"}} {
			ok, err := s.scope.Report(httpapi.Identity{Party: "P-CN"}, rep[0], rep[1])
			require.NoError(t, err)
			assert.False(t, ok, "report %v", rep)
		}
		ok, _ = s.scope.Report(httpapi.Identity{Party: "P-CN"}, "exporter", "P-CN")
		assert.True(t, ok)
		assert.Equal(t, http.StatusNotFound, getJSON(t, s.URL+"/api/v1/reports/dossier/T3?format=json", officerToken, nil))
	}
}

func TestSessionCookieReadsTheAPIButNeverWrites(t *testing.T) {
	r := storyReplica(t)
	s := newServer(t, r, serverOpts{})
	c := newClient(t, s.URL)
	c.signIn(investigatorToken)
	resp, body := c.get("/api/v1/alerts?rule=R1")
	require.Equal(t, http.StatusOK, resp.StatusCode, "a report link or the API read with the UI's cookie")
	assert.Contains(t, body, `"alerts"`)
	al := alertOn(t, r, "R1", "sys:T9")
	req, err := http.NewRequest(http.MethodPost, s.URL+"/api/v1/alerts/"+url.PathEscape(al.ID)+"/acknowledge", strings.NewReader(`{}`))
	require.NoError(t, err)
	req.Header.Set("Origin", s.URL)
	resp, _ = c.do(req)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the API's POSTs need the bearer token, never the cookie")
	assert.Equal(t, 0, s.pub.count())
	resp, _ = newClient(t, s.URL).get("/api/v1/alerts")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}
