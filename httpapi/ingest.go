package httpapi

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	"github.com/chipledger/chipledger/ingest"
	"github.com/chipledger/chipledger/ledger"
)

// IngestOptions configure the ingest daemon's handler.
type IngestOptions struct {
	Metrics http.Handler // served on /metrics when set
	Token   string       // required on /admin/ when set
	Logger  *slog.Logger
	Decoder ingest.Decoder
	// Capture enables the EPCIS 2.0 capture interface (POST /capture,
	// GET /capture/{id}); nil: not served.
	Capture *CaptureOptions
}

// Ingest returns the ingest daemon's handler:
//
//	GET  /head                           {"sequence":N,"hash":"..."}
//	GET  /status                         head, outbox position, counts, lag
//	GET  /metrics                        Prometheus metrics
//	GET  /healthz                        200 while serving
//	GET  /admin/quarantine               ?open=1&reason=R&after=ID&limit=N
//	GET  /admin/quarantine/{id}
//	POST /admin/quarantine/{id}/retry    body: corrected bytes, or empty to re-drive the original
//	GET  /debug/pprof/                   Go profiles (admin)
//	POST /capture                        an EPCIS 2.0 document: validated, published to chip-events, 202 + Location
//	GET  /capture/{id}, GET /capture     capture jobs: running until the document's entry is appended, then its events' entries and errors
func Ingest(svc *ingest.Service, opts IngestOptions) http.Handler {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &api{log: log, token: opts.Token}
	store := svc.Store()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /head", a.handle(func(w http.ResponseWriter, r *http.Request) error {
		h := store.Head()
		writeJSON(w, http.StatusOK, headJSON{Seq: h.Seq, Hash: h.Hash.String()})
		return nil
	}))
	mux.HandleFunc("GET /status", a.handle(func(w http.ResponseWriter, r *http.Request) error {
		writeJSON(w, http.StatusOK, svc.Status())
		return nil
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	if opts.Capture != nil {
		registerCapture(mux, a, store, *opts.Capture)
	}
	if opts.Metrics != nil {
		mux.Handle("GET /metrics", opts.Metrics)
	}
	mux.HandleFunc("GET /admin/quarantine", a.admin(func(w http.ResponseWriter, r *http.Request) error {
		f := ledger.QuarantineFilter{OpenOnly: r.URL.Query().Get("open") == "1", Reason: r.URL.Query().Get("reason"), Limit: 100}
		if v := r.URL.Query().Get("after"); v != "" {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return badRequest("after: want a quarantine id")
			}
			f.After = n
		}
		if v := r.URL.Query().Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 10000 {
				return badRequest("limit: want 1..10000")
			}
			f.Limit = n
		}
		qs, err := store.Quarantine(f)
		if err != nil {
			return err
		}
		if qs == nil {
			qs = []ledger.Quarantined{}
		}
		writeJSON(w, http.StatusOK, qs)
		return nil
	}))
	mux.HandleFunc("GET /admin/quarantine/{id}", a.admin(func(w http.ResponseWriter, r *http.Request) error {
		id, err := quarantineID(r)
		if err != nil {
			return err
		}
		q, err := store.Quarantined(id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, q)
		return nil
	}))
	mux.HandleFunc("POST /admin/quarantine/{id}/retry", a.admin(func(w http.ResponseWriter, r *http.Request) error {
		id, err := quarantineID(r)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, ingest.MaxQuarantineBytes+1))
		if err != nil {
			return badRequest("cannot read the body")
		}
		var replacement []byte
		if len(body) > 0 {
			replacement = body
		}
		res, err := ingest.Retry(store, opts.Decoder, id, replacement, time.Now())
		var rej *ingest.RejectedError
		switch {
		case errors.Is(err, ingest.ErrResolved):
			return &statusError{http.StatusConflict, err.Error()}
		case errors.As(err, &rej):
			return &statusError{http.StatusUnprocessableEntity, err.Error()}
		case err != nil:
			return err
		}
		writeJSON(w, http.StatusOK, res)
		return nil
	}))
	registerPprof(mux, a)
	return mux
}

// registerPprof serves Go's profiler under /debug/pprof/ behind the admin
// token, so operators can see where a running daemon spends its time.
func registerPprof(mux *http.ServeMux, a *api) {
	wrap := func(h http.HandlerFunc) http.HandlerFunc {
		return a.admin(func(w http.ResponseWriter, r *http.Request) error { h(w, r); return nil })
	}
	mux.HandleFunc("GET /debug/pprof/", wrap(pprof.Index))
	mux.HandleFunc("GET /debug/pprof/profile", wrap(pprof.Profile))
	mux.HandleFunc("GET /debug/pprof/trace", wrap(pprof.Trace))
	mux.HandleFunc("GET /debug/pprof/symbol", wrap(pprof.Symbol))
}

type headJSON struct {
	Seq  uint64 `json:"sequence"`
	Hash string `json:"hash"`
}

func quarantineID(r *http.Request) (uint64, error) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil || id == 0 {
		return 0, badRequest("quarantine id: want a positive integer")
	}
	return id, nil
}
