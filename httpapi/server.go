// Package httpapi is chipledger's HTTP surface and the only package that
// imports net/http server code: the ingest daemon's head, status, metrics
// and quarantine admin endpoints, and (for query) the investigators' API.
// One function maps domain errors to statuses; internal errors are logged
// and answered with a plain 500.
package httpapi

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/chipledger/chipledger/ledger"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/projections/alerts"
)

// Listen opens a TCP listener (":0" picks a free port).
func Listen(addr string) (net.Listener, error) {
	return net.Listen("tcp", addr)
}

// Serve serves h on ln until ctx ends, then shuts down gracefully under a
// fresh 10 s timeout.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && log != nil {
		log.Warn("http shutdown", "err", err)
	}
	return nil
}

// statusError carries an HTTP status chosen by a handler.
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string { return e.msg }

func badRequest(msg string) error { return &statusError{http.StatusBadRequest, msg} }

// errorStatus maps domain errors to HTTP statuses; anything unknown is a 500.
func errorStatus(err error) (int, string) {
	var se *statusError
	switch {
	case errors.As(err, &se):
		return se.status, se.msg
	case errors.Is(err, ledger.ErrNotFound), errors.Is(err, projections.ErrNotFound), errors.Is(err, alerts.ErrNotFound):
		return http.StatusNotFound, "not found"
	case errors.Is(err, ledger.ErrClosed):
		return http.StatusServiceUnavailable, "ledger closed"
	}
	return http.StatusInternalServerError, "internal error"
}

// ErrorStatus maps an error of this package's functions (Decisions.Decide,
// Scope) or of the domain packages to an HTTP status and a message safe
// to show: internal errors are "internal error".
func ErrorStatus(err error) (int, string) {
	status, msg := errorStatus(err)
	if status != http.StatusInternalServerError && (msg == "" || status == http.StatusConflict || status == http.StatusUnprocessableEntity) {
		msg = err.Error()
	}
	return status, msg
}

// ErrorBody is the JSON of every error answer.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong: a stable code and a message.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func errorCode(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "bad_request"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusConflict:
		return "conflict"
	case http.StatusUnprocessableEntity:
		return "rejected"
	case http.StatusServiceUnavailable:
		return "unavailable"
	}
	return "internal"
}

// handlerFunc is an HTTP handler that returns an error to be mapped.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// api wraps handlers with error mapping and logging.
type api struct {
	log       *slog.Logger
	token     string
	tokens    *Tokens // identities; nil: the single token (or none) guards reads
	pending   *pendingSet
	decisions *Decisions
	scope     *Scope
	// session identifies a GET without a bearer token by the web UI's
	// session cookie; nil: bearer tokens only.
	session func(*http.Request) (Identity, bool)
}

func (a *api) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			status, msg := errorStatus(err)
			if status == http.StatusInternalServerError {
				a.log.Error("http handler failed", "method", r.Method, "path", r.URL.Path, "err", err)
			} else if msg == "" || status == http.StatusConflict || status == http.StatusUnprocessableEntity {
				msg = err.Error()
			}
			writeJSON(w, status, ErrorBody{Error: ErrorDetail{Code: errorCode(status), Message: msg}})
		}
	}
}

// admin requires the bearer token when one is configured; with a tokens
// file, a token of the file (its identity is in the request's context).
func (a *api) admin(h handlerFunc) http.HandlerFunc {
	return a.handle(func(w http.ResponseWriter, r *http.Request) error {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		switch {
		case !ok && a.session != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead):
			// A browser signed in to the web UI (report downloads): its
			// session's identity. Never for a POST: those need the token.
			id, found := a.session(r)
			if !found && (a.tokens != nil || a.token != "") {
				return &statusError{http.StatusUnauthorized, "a valid bearer token is required"}
			}
			r = r.WithContext(withIdentity(r.Context(), id))
		case a.tokens != nil:
			id, found := a.tokens.Lookup(got)
			if !ok || !found {
				return &statusError{http.StatusUnauthorized, "a valid bearer token is required"}
			}
			r = r.WithContext(withIdentity(r.Context(), id))
		case a.token != "":
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(a.token)) != 1 {
				return &statusError{http.StatusUnauthorized, "a valid bearer token is required"}
			}
		}
		if err := a.scope.request(r, identityOf(r.Context())); err != nil {
			return err
		}
		return h(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
