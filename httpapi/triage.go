package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/projections/alerts"
	"github.com/chipledger/chipledger/replica"
)

// TriagePublisher publishes an investigator's decision (an alert triage
// event) to chip-events, from where ingest appends it to the ledger.
type TriagePublisher func(ctx context.Context, ev events.Event) error

// TriageRequest is the body of POST /api/v1/alerts/{id}/{action}.
type TriageRequest struct {
	Reason string `json:"reason"`
}

// TriageResponse answers an accepted decision: it is pending until the
// event is back from the ledger.
type TriageResponse struct {
	Alert   string         `json:"alert"`
	Pending alerts.Pending `json:"pending"`
}

// triageActions maps the URL's action to the event type.
var triageActions = map[string]string{
	"acknowledge": events.TypeAlertAcknowledged,
	"dismiss":     events.TypeAlertDismissed,
	"escalate":    events.TypeAlertEscalated,
}

// pendingSet holds the decisions published through this server that the
// ledger has not brought back yet.
type pendingSet struct {
	mu sync.Mutex
	m  map[string][]alerts.Pending // alert id -> decisions in publication order
}

// overlay sets a.Pending to the decisions still on their way, forgetting
// those the ledger has brought back.
func (ps *pendingSet) overlay(a *alerts.Alert) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	list := ps.m[a.ID]
	if len(list) == 0 {
		return
	}
	list = slices.DeleteFunc(list, func(p alerts.Pending) bool {
		return slices.ContainsFunc(a.Decisions, func(d projections.Decision) bool { return d.EventID == p.EventID })
	})
	if len(list) == 0 {
		delete(ps.m, a.ID)
		return
	}
	ps.m[a.ID] = list
	a.Pending = slices.Clone(list)
}

func (ps *pendingSet) add(id string, p alerts.Pending) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.m == nil {
		ps.m = map[string][]alerts.Pending{}
	}
	ps.m[id] = append(ps.m[id], p)
}

// triage handles POST /api/v1/alerts/{id}/{action}: an investigator's
// decision, published as an event under the investigator's name.
func (a *api) triage(r *replica.Replica, publish TriagePublisher) handlerFunc {
	return func(w http.ResponseWriter, req *http.Request) error {
		id := identityOf(req.Context())
		if !id.CanTriage() {
			return &statusError{http.StatusForbidden, "triage needs an investigator's token"}
		}
		typ, ok := triageActions[req.PathValue("action")]
		if !ok {
			return &statusError{http.StatusNotFound, fmt.Sprintf("no action %q: acknowledge, dismiss or escalate", req.PathValue("action"))}
		}
		if publish == nil {
			return &statusError{http.StatusServiceUnavailable, "this replica publishes no decisions: start query serve with --brokers (it follows chip-ledger)"}
		}
		alertID := req.PathValue("id")
		if _, err := r.Alert(alertID); err != nil {
			return err
		}
		var body TriageRequest
		dec := json.NewDecoder(io.LimitReader(req.Body, 64<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil && !errors.Is(err, io.EOF) {
			return badRequest("body: " + err.Error())
		}
		body.Reason = strings.TrimSpace(body.Reason)
		t := events.Triage{Alert: alertID, Investigator: id.Name, Reason: body.Reason}
		var b events.Body
		switch typ {
		case events.TypeAlertAcknowledged:
			b = &events.AlertAcknowledged{Triage: t}
		case events.TypeAlertDismissed:
			b = &events.AlertDismissed{Triage: t}
		default:
			b = &events.AlertEscalated{Triage: t}
		}
		now := time.Now().UTC().Truncate(time.Millisecond)
		ev := events.Event{ID: events.NewID(), Type: typ, OccurredAt: now, RecordedAt: now, Publisher: TriagePublisherID, Body: b}
		if err := ev.Validate(); err != nil {
			var ve *events.ValidationError
			if errors.As(err, &ve) {
				return badRequest(strings.TrimPrefix(ve.Field, "body.") + ": " + ve.Reason)
			}
			return badRequest(err.Error())
		}
		if err := publish(req.Context(), ev); err != nil {
			a.log.Error("triage: publish failed", "alert", alertID, "err", err)
			return &statusError{http.StatusServiceUnavailable, "the decision could not be published to chip-events; try again"}
		}
		p := alerts.Pending{Action: strings.TrimSuffix(strings.TrimPrefix(typ, "alert."), ".v1"), EventID: ev.ID,
			Investigator: id.Name, Reason: body.Reason, At: now}
		a.pending.add(alertID, p)
		a.log.Info("triage published", "alert", alertID, "action", p.Action, "investigator", id.Name, "event", ev.ID)
		writeJSON(w, http.StatusAccepted, TriageResponse{Alert: alertID, Pending: p})
		return nil
	}
}

// TriagePublisherID is the publisher of the decisions query serve
// publishes; the investigator is in the event's body.
const TriagePublisherID = "chipledger-query"

type identityKey struct{}

func withIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

func identityOf(ctx context.Context) Identity {
	id, _ := ctx.Value(identityKey{}).(Identity)
	return id
}
