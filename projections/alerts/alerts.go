// Package alerts is chipledger's diversion detection: the red-flag rules
// R1 to R22 (docs/detection.md) judged over every unit's custody chain and
// over the site, party and country projections, and the alerts they raise
// as a projection of the ledger.
//
// A Detector reads a projections.Projection (custody, reference data) and
// its Source (the events), with the policy bundles and screening lists
// the ledger activated. It is deterministic: "now" is the latest
// occurred_at in the ledger (or an explicit as-of time), never the wall
// clock, so evaluating the same ledger gives the same alerts. An alert's id
// is its rule, its subject and the event id of its first triggering event,
// so the same story gives the same ids however it was ingested. An alert
// whose evidence no longer holds (retracted, corrected, re-judged under a
// new policy) is withdrawn, not deleted.
package alerts

import (
	"cmp"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/projections"
)

// Severities, lowest first.
const (
	SeverityInfo     = "info"
	SeverityMedium   = "medium"
	SeverityHigh     = "high"
	SeverityCritical = "critical"
)

var severityRank = map[string]int{SeverityInfo: 0, SeverityMedium: 1, SeverityHigh: 2, SeverityCritical: 3}

// SeverityRank orders severities: info 0, medium 1, high 2, critical 3;
// -1 for an unknown one.
func SeverityRank(s string) int {
	if r, ok := severityRank[s]; ok {
		return r
	}
	return -1
}

// raise returns the severity one level above s (critical stays critical).
func raise(s string) string {
	switch s {
	case SeverityInfo:
		return SeverityMedium
	case SeverityMedium:
		return SeverityHigh
	}
	return SeverityCritical
}

// Alert states. An investigator's decision (a triage event in the
// ledger) sets acknowledged, dismissed or escalated; the detector sets
// withdrawn when it no longer raises the alert, whatever was decided.
const (
	StateOpen         = "open"
	StateAcknowledged = projections.ActionAcknowledged
	StateDismissed    = projections.ActionDismissed
	StateEscalated    = projections.ActionEscalated
	StateWithdrawn    = "withdrawn" // the detector no longer finds it: its evidence was retracted or no longer holds
)

// Subject kinds.
const (
	KindUnit    = "unit"
	KindSite    = "site"
	KindParty   = "party"
	KindCountry = "country"
)

// ErrNotFound is returned for an alert id the detector does not hold.
var ErrNotFound = errors.New("alerts: not found")

// Evidence is one ledger entry an alert rests on.
type Evidence struct {
	Seq        uint64        `json:"seq"`
	Hash       string        `json:"hash"`
	EventID    string        `json:"event_id"`
	Type       string        `json:"type"`
	OccurredAt time.Time     `json:"occurred_at"`
	RecordedAt time.Time     `json:"recorded_at"`
	Unit       events.UnitID `json:"unit,omitempty"` // the unit whose chain holds it, for site, party and country alerts
	Via        events.UnitID `json:"via,omitempty"`  // the container whose event it is
	Summary    string        `json:"summary"`
}

// Citation names a reference document (policy bundle or screening list)
// by its ledger activation.
type Citation struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Digest    string `json:"digest"`
	Effective string `json:"effective"`
	Seq       uint64 `json:"seq,omitempty"` // the activation's entry; 0 for the built-in policy
}

// Alert is one rule raised on one subject.
type Alert struct {
	ID           string     `json:"id"` // rule:subject:first triggering event id
	Rule         string     `json:"rule"`
	Title        string     `json:"title"`
	Severity     string     `json:"severity"`
	CaseSeverity string     `json:"case_severity"` // raised one level when two or more rules hold on the same subject
	SubjectKind  string     `json:"subject_kind"`  // unit, site, party or country
	Subject      string     `json:"subject"`       // unit id, site id, party id or country code
	Country      string     `json:"country,omitempty"`
	State        string     `json:"state"`
	Sentence     string     `json:"sentence"`
	FirstEvent   string     `json:"first_event"`
	OccurredAt   time.Time  `json:"occurred_at"` // of the first triggering event
	Evidence     []Evidence `json:"evidence"`
	Policy       Citation   `json:"policy"`              // the policy version the first finding was judged under
	Screening    *Citation  `json:"screening,omitempty"` // R4: the screening list
	Fact         string     `json:"fact"`                // the source of the fact applied
	RaisedSeq    uint64     `json:"raised_seq"`          // the ledger sequence evaluated when it was raised
	WithdrawnSeq uint64     `json:"withdrawn_seq,omitempty"`
	// Decisions are the investigators' decisions on the alert, from the
	// ledger, oldest first; the last one is its state unless withdrawn.
	Decisions []projections.Decision `json:"decisions,omitempty"`
	// Pending are decisions the query API published that the ledger has
	// not brought back yet (set by the API, never by the detector).
	Pending []Pending `json:"pending,omitempty"`
}

// Pending is a decision on its way to the ledger.
type Pending struct {
	Action       string    `json:"action"` // acknowledged, dismissed or escalated
	EventID      string    `json:"event_id"`
	Investigator string    `json:"investigator"`
	Reason       string    `json:"reason,omitempty"`
	At           time.Time `json:"at"`
}

// Filter selects alerts; zero fields match everything.
type Filter struct {
	Severity string    // at least this severity
	Rule     string    // this rule
	Country  string    // about this country
	Since    time.Time // first triggering event on or after
	Subject  string    // on this subject
	State    string    // in this state ("" : every state)
}

// Match reports whether a matches f.
func (f Filter) Match(a *Alert) bool {
	switch {
	case f.Severity != "" && SeverityRank(a.Severity) < SeverityRank(f.Severity):
		return false
	case f.Rule != "" && !strings.EqualFold(f.Rule, a.Rule):
		return false
	case f.Country != "" && !strings.EqualFold(f.Country, a.Country):
		return false
	case !f.Since.IsZero() && a.OccurredAt.Before(f.Since):
		return false
	case f.Subject != "" && f.Subject != a.Subject:
		return false
	case f.State != "" && f.State != a.State:
		return false
	}
	return true
}

// sortAlerts orders alerts by severity (highest first), then first event
// time, then id.
func sortAlerts(as []Alert) {
	slices.SortFunc(as, func(a, b Alert) int {
		return cmp.Or(cmp.Compare(SeverityRank(b.CaseSeverity), SeverityRank(a.CaseSeverity)),
			cmp.Compare(SeverityRank(b.Severity), SeverityRank(a.Severity)),
			a.OccurredAt.Compare(b.OccurredAt), cmp.Compare(a.ID, b.ID))
	})
}
