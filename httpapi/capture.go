package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/chipledger/chipledger/ingest"
	"github.com/chipledger/chipledger/ledger"
)

// CaptureOptions enable the EPCIS 2.0 REST capture interface on the ingest
// daemon (POST /capture, GET /capture/{id}).
type CaptureOptions struct {
	// Read validates and maps a document (the epcis package).
	Read ingest.DocumentReader
	// Publish puts a valid document on chip-events, keyed by key; ingest
	// then appends it like any message.
	Publish func(ctx context.Context, key, value []byte) error
}

// CaptureJob is the EPCIS 2.0 capture job document.
type CaptureJob struct {
	CaptureID             string         `json:"captureID"`
	CreatedAt             time.Time      `json:"createdAt"`
	FinishedAt            *time.Time     `json:"finishedAt,omitempty"`
	Running               bool           `json:"running"`
	Success               bool           `json:"success"`
	CaptureErrorBehaviour string         `json:"captureErrorBehaviour"`
	Errors                []CaptureError `json:"errors"`
	// DocumentSeq is the ledger entry of the document once appended.
	DocumentSeq uint64 `json:"documentSequence,omitempty"`
	// Events are the ledger entries of the document's events, by position.
	Events []CapturedEvent `json:"events,omitempty"`
}

// CapturedEvent is one event of a captured document in the ledger.
type CapturedEvent struct {
	Position int    `json:"position"`
	EventID  string `json:"eventID"`
	Seq      uint64 `json:"sequence"`
}

// CaptureError is an RFC 7807 problem about one event (or the document).
type CaptureError struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"` // the event's position in the document, "#/epcisBody/eventList/N"
}

// problem is an RFC 7807 error answer of the capture interface.
func problem(w http.ResponseWriter, status int, typ, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	writeJSONBody(w, status, CaptureError{Type: typ, Title: title, Status: status, Detail: detail})
}

func writeJSONBody(w http.ResponseWriter, status int, v any) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// captureJobs remembers when this daemon accepted each document.
type captureJobs struct {
	mu   sync.Mutex
	at   map[string]time.Time
	list []string
}

func (c *captureJobs) add(id string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at == nil {
		c.at = map[string]time.Time{}
	}
	if _, ok := c.at[id]; !ok {
		c.list = append(c.list, id)
		if len(c.list) > 10000 { // bounded: the ledger is the record; this is only createdAt
			delete(c.at, c.list[0])
			c.list = c.list[1:]
		}
	}
	c.at[id] = at
}

func (c *captureJobs) created(id string) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.at[id]
	return t, ok
}

func (c *captureJobs) ids() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.list)
}

// registerCapture adds the EPCIS capture interface to the ingest handler.
func registerCapture(mux *http.ServeMux, a *api, store *ledger.Store, opts CaptureOptions) {
	var jobs captureJobs
	mux.HandleFunc("POST /capture", a.admin(func(w http.ResponseWriter, r *http.Request) error {
		body, err := io.ReadAll(io.LimitReader(r.Body, ledger.MaxDocumentBytes+1))
		if err != nil {
			return badRequest("body: " + err.Error())
		}
		if len(body) > ledger.MaxDocumentBytes {
			problem(w, http.StatusRequestEntityTooLarge, "epcisException:CaptureLimitExceededException", "document too large",
				fmt.Sprintf("at most %d bytes", ledger.MaxDocumentBytes))
			return nil
		}
		evs, _, err := opts.Read(body)
		if err != nil {
			problem(w, http.StatusBadRequest, "epcisException:ValidationException", "the document does not validate", err.Error())
			return nil
		}
		id := ingest.DocumentID(body)
		key := []byte(id)
		if len(evs) > 0 {
			key = []byte(evs[0].Event.Primary())
		}
		if err := opts.Publish(r.Context(), key, body); err != nil {
			a.log.Error("capture: publish failed", "err", err)
			problem(w, http.StatusServiceUnavailable, "epcisException:ImplementationException", "chip-events is not reachable", "try again")
			return nil
		}
		now := time.Now().UTC().Truncate(time.Millisecond)
		jobs.add(id, now)
		w.Header().Set("Location", "/capture/"+url.PathEscape(id))
		w.Header().Set("GS1-EPCIS-Version", "2.0.0")
		writeJSONBody(w, http.StatusAccepted, CaptureJob{CaptureID: id, CreatedAt: now, Running: true, Success: true,
			CaptureErrorBehaviour: "proceed", Errors: []CaptureError{}})
		return nil
	}))
	mux.HandleFunc("GET /capture", a.admin(func(w http.ResponseWriter, r *http.Request) error {
		var out []CaptureJob
		for _, id := range jobs.ids() {
			j, err := captureJob(store, opts.Read, &jobs, id)
			if err != nil {
				return err
			}
			out = append(out, j)
		}
		if out == nil {
			out = []CaptureJob{}
		}
		writeJSONBody(w, http.StatusOK, out)
		return nil
	}))
	mux.HandleFunc("GET /capture/{id}", a.admin(func(w http.ResponseWriter, r *http.Request) error {
		j, err := captureJob(store, opts.Read, &jobs, r.PathValue("id"))
		if err != nil {
			return err
		}
		writeJSONBody(w, http.StatusOK, j)
		return nil
	}))
}

// captureJob reports a document's capture from the ledger: running until
// its entry is appended; then each mapped event's entry, and an error per
// event that could not be mapped or was not appended.
func captureJob(store *ledger.Store, read ingest.DocumentReader, jobs *captureJobs, id string) (CaptureJob, error) {
	created, known := jobs.created(id)
	j := CaptureJob{CaptureID: id, CreatedAt: created, CaptureErrorBehaviour: "proceed", Errors: []CaptureError{}}
	doc, err := store.EntryByID(id)
	switch {
	case errors.Is(err, ledger.ErrNotFound) && known:
		j.Running, j.Success = true, true
		return j, nil
	case errors.Is(err, ledger.ErrNotFound):
		return j, fmt.Errorf("capture %s: %w", id, ledger.ErrNotFound)
	case err != nil:
		return j, err
	case !doc.Document():
		return j, fmt.Errorf("capture %s: %w", id, ledger.ErrNotFound)
	}
	fin := doc.Received
	j.FinishedAt, j.DocumentSeq, j.Success = &fin, doc.Seq, true
	if !known {
		j.CreatedAt = doc.Received
	}
	evs, problems, err := read(doc.Original)
	if err != nil { // the ledger only holds valid documents; a reader that changed its mind says so
		j.Success = false
		j.Errors = append(j.Errors, CaptureError{Type: "epcisException:ValidationException", Title: "the document no longer validates", Status: 400, Detail: err.Error()})
		return j, nil
	}
	for _, p := range problems {
		j.Success = false
		j.Errors = append(j.Errors, CaptureError{Type: "epcisException:ValidationException", Title: "event not supported", Status: 400,
			Detail: p.Detail, Instance: fmt.Sprintf("#/epcisBody/eventList/%d", p.Pos)})
	}
	for _, de := range evs {
		e, err := store.EntryByID(de.Event.ID)
		if err != nil { // quarantined (a conflicting id), or a reader error
			j.Success = false
			j.Errors = append(j.Errors, CaptureError{Type: "epcisException:ValidationException", Title: "event not appended", Status: 409,
				Detail: "not in the ledger: quarantined (see ingest quarantine list)", Instance: fmt.Sprintf("#/epcisBody/eventList/%d", de.Pos)})
			continue
		}
		// A repeat of an event already in the ledger (from an earlier
		// document or a native publisher) is listed at the entry it has.
		j.Events = append(j.Events, CapturedEvent{Position: de.Pos, EventID: de.Event.ID, Seq: e.Seq})
	}
	return j, nil
}
