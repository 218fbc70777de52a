package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
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

// Decisions is the one path of an investigator's decision, shared by the
// API (POST /api/v1/alerts/{id}/{action}) and the web UI's triage forms:
// the identity's role and scope are checked, the triage event is built
// under the investigator's name and published to chip-events, and the
// decision is pending (Overlay) until the event is back from the ledger.
type Decisions struct {
	r       *replica.Replica
	publish TriagePublisher
	scope   *Scope
	log     *slog.Logger
	pending pendingSet
}

// NewDecisions returns the decision path over replica r; publish nil: no
// decision can be published (503). scope nil: every alert is in scope.
func NewDecisions(r *replica.Replica, publish TriagePublisher, scope *Scope, log *slog.Logger) *Decisions {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Decisions{r: r, publish: publish, scope: scope, log: log}
}

// Overlay sets a.Pending to the decisions published through d that the
// ledger has not brought back yet.
func (d *Decisions) Overlay(a *alerts.Alert) { d.pending.overlay(a) }

// TriageActions are the actions of Decide, in the order a form offers them.
var TriageActions = []string{"acknowledge", "dismiss", "escalate"}

// Decide publishes identity id's decision (action: acknowledge, dismiss or
// escalate) on alert alertID with a reason (a dismissal needs one). The
// error maps to a status with ErrorStatus: 403 for an identity that may not
// triage, 404 for an unknown or out-of-scope alert or action, 400 for a
// missing reason, 503 when nothing can be published.
func (d *Decisions) Decide(ctx context.Context, id Identity, alertID, action, reason string) (alerts.Pending, error) {
	if !id.CanTriage() {
		return alerts.Pending{}, &statusError{http.StatusForbidden, "triage needs an investigator's token"}
	}
	typ, ok := triageActions[action]
	if !ok {
		return alerts.Pending{}, &statusError{http.StatusNotFound, fmt.Sprintf("no action %q: acknowledge, dismiss or escalate", action)}
	}
	if d.publish == nil {
		return alerts.Pending{}, &statusError{http.StatusServiceUnavailable, "this replica publishes no decisions: start query serve with --brokers (it follows chip-ledger)"}
	}
	al, err := d.r.Alert(alertID)
	if err != nil {
		return alerts.Pending{}, err
	}
	if ok, err := d.scope.Alert(id, &al); err != nil {
		return alerts.Pending{}, err
	} else if !ok {
		return alerts.Pending{}, fmt.Errorf("%w: alert %s", alerts.ErrNotFound, alertID)
	}
	reason = strings.TrimSpace(reason)
	t := events.Triage{Alert: alertID, Investigator: id.Name, Reason: reason}
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
			return alerts.Pending{}, badRequest(strings.TrimPrefix(ve.Field, "body.") + ": " + ve.Reason)
		}
		return alerts.Pending{}, badRequest(err.Error())
	}
	if err := d.publish(ctx, ev); err != nil {
		d.log.Error("triage: publish failed", "alert", alertID, "err", err)
		return alerts.Pending{}, &statusError{http.StatusServiceUnavailable, "the decision could not be published to chip-events; try again"}
	}
	p := alerts.Pending{Action: strings.TrimSuffix(strings.TrimPrefix(typ, "alert."), ".v1"), EventID: ev.ID,
		Investigator: id.Name, Reason: reason, At: now}
	d.pending.add(alertID, p)
	d.log.Info("triage published", "alert", alertID, "action", p.Action, "investigator", id.Name, "event", ev.ID)
	return p, nil
}

// triage handles POST /api/v1/alerts/{id}/{action}: an investigator's
// decision, published as an event under the investigator's name.
func (a *api) triage() handlerFunc {
	return func(w http.ResponseWriter, req *http.Request) error {
		var body TriageRequest
		dec := json.NewDecoder(io.LimitReader(req.Body, 64<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil && !errors.Is(err, io.EOF) {
			if !identityOf(req.Context()).CanTriage() {
				return &statusError{http.StatusForbidden, "triage needs an investigator's token"}
			}
			return badRequest("body: " + err.Error())
		}
		alertID := req.PathValue("id")
		p, err := a.decisions.Decide(req.Context(), identityOf(req.Context()), alertID, req.PathValue("action"), body.Reason)
		if err != nil {
			return err
		}
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
