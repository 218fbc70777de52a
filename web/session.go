package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/chipledger/chipledger/httpapi"
)

// Cookies.
const (
	sessionCookie = "chipledger_session" // a random session id, mapped to the identity in memory
	signinCookie  = "chipledger_signin"  // a random nonce: the sign-in form's CSRF token is its HMAC
)

// maxSessions bounds the session table: signing in needs a valid token,
// but a token holder must not be able to grow it without end.
const maxSessions = 10_000

// session is one signed-in browser. The token stays on the server (in
// memory): every request looks it up again, so a token removed from the
// tokens file (or given another role or party) takes effect at once.
type session struct {
	id      string
	token   string
	ident   httpapi.Identity
	csrf    string // the per-session CSRF token of every form
	created time.Time
	seen    time.Time
}

// sessions is the server-side session table.
type sessions struct {
	mu   sync.Mutex
	m    map[string]*session
	ttl  time.Duration // absolute lifetime
	idle time.Duration // since the last request
	now  func() time.Time
}

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("web: crypto/rand: " + err.Error()) // never fails on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *sessions) create(token string, id httpapi.Identity) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if len(s.m) >= maxSessions {
		s.sweepLocked(now)
		for len(s.m) >= maxSessions { // still full: end the least recently used
			var oldest *session
			for _, v := range s.m {
				if oldest == nil || v.seen.Before(oldest.seen) {
					oldest = v
				}
			}
			delete(s.m, oldest.id)
		}
	}
	ss := &session{id: randomString(32), token: token, ident: id, csrf: randomString(32), created: now, seen: now}
	s.m[ss.id] = ss
	return ss
}

func (s *sessions) sweepLocked(now time.Time) {
	for k, v := range s.m {
		if s.expired(v, now) {
			delete(s.m, k)
		}
	}
}

func (s *sessions) expired(v *session, now time.Time) bool {
	return now.Sub(v.created) >= s.ttl || now.Sub(v.seen) >= s.idle
}

// get returns the live session of id and marks it used; an expired one
// is forgotten.
func (s *sessions) get(id string) (session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[id]
	if !ok {
		return session{}, false
	}
	now := s.now()
	if s.expired(v, now) {
		delete(s.m, id)
		return session{}, false
	}
	v.seen = now
	return *v, true
}

func (s *sessions) update(id string, ident httpapi.Identity) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.m[id]; ok {
		v.ident = ident
	}
}

func (s *sessions) end(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
}

// lookupToken returns the identity of a token: from the tokens file, or
// the single --token (a reader named "token"), or, with neither, anyone
// (an anonymous reader).
func (u *UI) lookupToken(token string) (httpapi.Identity, bool) {
	switch {
	case u.opts.Tokens != nil:
		return u.opts.Tokens.Lookup(token)
	case u.opts.Token != "":
		if subtle.ConstantTimeCompare([]byte(token), []byte(u.opts.Token)) == 1 {
			return httpapi.Identity{Name: "token", Role: httpapi.RoleReader}, true
		}
		return httpapi.Identity{}, false
	}
	return httpapi.Identity{Name: "anonymous", Role: httpapi.RoleReader}, true
}

// current returns the request's session, its token checked again.
func (u *UI) current(r *http.Request) (session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return session{}, false
	}
	ss, ok := u.sessions.get(c.Value)
	if !ok {
		return session{}, false
	}
	id, ok := u.lookupToken(ss.token)
	if !ok {
		u.sessions.end(ss.id) // the token was revoked
		return session{}, false
	}
	if id != ss.ident {
		u.sessions.update(ss.id, id)
		ss.ident = id
	}
	return ss, true
}

// Session returns the identity of a request's UI session: the API accepts
// it on reads (httpapi.QueryOptions.Session), so the UI's report links work.
func (u *UI) Session(r *http.Request) (httpapi.Identity, bool) {
	ss, ok := u.current(r)
	return ss.ident, ok
}

func (u *UI) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}

// signinCSRF is the sign-in form's CSRF token: the HMAC of the browser's
// sign-in nonce (a double-submit that needs no server state before
// signing in).
func (u *UI) signinCSRF(nonce string) string {
	m := hmac.New(sha256.New, u.key)
	m.Write([]byte("signin\x00" + nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// sameOrigin reports whether a POST comes from this site: its Origin (or,
// without one, its Referer) names the host it was sent to. A POST with
// neither is refused.
func sameOrigin(r *http.Request) bool {
	src := r.Header.Get("Origin")
	if src == "" || src == "null" {
		src = r.Header.Get("Referer")
	}
	if src == "" {
		return false
	}
	o, err := url.Parse(src)
	if err != nil {
		return false
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return strings.EqualFold(o.Scheme, scheme) && strings.EqualFold(o.Host, r.Host)
}

// checkForm verifies a form POST: same origin, and the form's csrf field
// equal to want. It parses the form (at most 64 KiB).
func checkForm(w http.ResponseWriter, r *http.Request, want string) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return false
	}
	got := r.PostFormValue("csrf")
	return sameOrigin(r) && want != "" && got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// localPath returns next if it is a path of this site, else "/".
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}

// signinPage shows the sign-in form with a fresh nonce.
func (u *UI) signinPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	nonce := randomString(24)
	u.setCookie(w, r, signinCookie, nonce, 600)
	next := localPath(r.FormValue("next"))
	u.render(w, r, status, "signin", page{Title: "Sign in", CSRF: u.signinCSRF(nonce), Data: map[string]any{
		"Next": next, "Error": msg, "Open": u.opts.Tokens == nil && u.opts.Token == "",
	}})
}

func (u *UI) getSignin(w http.ResponseWriter, r *http.Request) {
	if _, ok := u.current(r); ok {
		http.Redirect(w, r, localPath(r.FormValue("next")), http.StatusSeeOther)
		return
	}
	u.signinPage(w, r, http.StatusOK, "")
}

func (u *UI) postSignin(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(signinCookie)
	if err != nil || c.Value == "" || !checkForm(w, r, u.signinCSRF(c.Value)) {
		u.signinPage(w, r, http.StatusForbidden, "The sign-in form expired or did not come from this site: try again.")
		return
	}
	token := strings.TrimSpace(r.PostFormValue("token"))
	id, ok := u.lookupToken(token)
	if !ok {
		u.log.Info("web: sign-in refused")
		u.signinPage(w, r, http.StatusUnauthorized, "That token is not known to this replica.")
		return
	}
	// A new session id at every sign-in: no fixation.
	if old, err := r.Cookie(sessionCookie); err == nil {
		u.sessions.end(old.Value)
	}
	ss := u.sessions.create(token, id)
	u.setCookie(w, r, signinCookie, "", -1)
	u.setCookie(w, r, sessionCookie, ss.id, int(u.sessions.ttl.Seconds()))
	u.log.Info("web: signed in", "name", id.Name, "role", id.Role, "party", id.Party)
	http.Redirect(w, r, localPath(r.PostFormValue("next")), http.StatusSeeOther)
}

func (u *UI) postSignout(w http.ResponseWriter, r *http.Request) {
	ss, ok := u.current(r)
	if !ok {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	if !checkForm(w, r, ss.csrf) {
		u.fail(w, r, &ss, http.StatusForbidden, "This form did not come from this site (missing or wrong CSRF token).")
		return
	}
	u.sessions.end(ss.id)
	u.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}
