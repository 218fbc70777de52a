// Package web is the investigators' web UI that `query serve` serves on /
// beside the API (httpapi mounts it): server-rendered HTML templates, one
// stylesheet and one small script, all embedded in the binary (go:embed;
// nothing is fetched from elsewhere), and every page usable without
// JavaScript and with the keyboard.
//
// Routes:
//
//	GET  /signin, POST /signin    sign in with a token (the tokens file's; without one the --token, or none)
//	POST /signout
//	GET  /                        search form and the alerts at a glance
//	GET  /search?q=&kind=         units by serial or id, parties and sites by id or name
//	GET  /units/{id}              state, custody timeline (seq and hash of every step, linking to
//	                              the entry), containment tree, the path across countries as an SVG
//	                              flow diagram (crossings an alert cites in red), the unit's alerts
//	GET  /entries/{seq}           a ledger entry
//	GET  /alerts?severity=&rule=&country=&state=&offset=
//	GET  /alerts/{id}             evidence, citations, decisions, pending decisions, triage forms
//	POST /alerts/{id}/{action}    acknowledge, dismiss (a reason is required) or escalate
//	GET  /flows                   chip flows between countries, flows carrying alerts marked
//	GET  /parties/{id}, /sites/{id}  records, holdings, units, alerts, report links
//	GET  /static/...              the embedded stylesheet and script
//
// Sessions: signing in maps a random 256-bit session id (the cookie:
// HttpOnly, SameSite=Strict, Secure over TLS) to the identity, in memory;
// a session ends after an idle hour, after 12 hours, at sign-out, or when
// its token leaves the tokens file (each request looks the token up
// again). Forms: every POST carries the session's CSRF token in a hidden
// field (the sign-in form, before any session, the HMAC of a nonce cookie)
// and must come from the same origin (Origin, or Referer without one);
// otherwise 403. Triage goes through httpapi.Decisions, the API's own
// path: the decision is published to chip-events and shows as pending
// until it is back from the ledger; only an investigator's session gets
// the forms, a reader's POST is 403.
//
// Party scope: the UI asks httpapi.Scope, as the API does, so that a token
// limited to a party sees the units that party ever held or owned, their
// alerts and its own reports, and everything else is not found (404).
//
// The flows overview and the scope index of the alert lists come from
// walking every custody chain; a background build (Run) redoes it as the
// ledger grows, in chunks under the replica's read lock.
package web
