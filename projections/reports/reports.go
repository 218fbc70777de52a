// Package reports builds chipledger's compliance reports: what an
// exporter shipped and under which authorisation (exporter), what crossed a
// country's borders, what is installed there and how it stands against the
// rescinded January 2025 caps (country), what a data center received,
// installed and had attested against its declared capacity (site), and the
// evidence package of one unit with its ledger entries verified against the
// chain head (dossier).
//
// Every report is a pure function of its Input: the read side's projection
// and the source of its events, the ledger's entries (for the dossier's
// verification and the flow Index), the detector's alerts, the policy
// versions the ledger activated, the ledger head and an as-of time. The
// package does no I/O of its own besides writing a rendered report to an
// io.Writer (Render: json, csv, html or a text table), reads no wall clock,
// and two builds of the same input give the same bytes.
//
// What "as of" covers (Basis.Scope says it in every report): events are
// judged by occurred_at, like the detector's as-of: an event that occurred
// after the as-of time is left out, wherever it sits in the ledger, and an
// event recorded later that occurred before it is in. Corrections in force
// at the ledger head apply (a retraction issued after the as-of time still
// retracts). Reference data is the record in force at the head (parties,
// sites and their declared capacity), except that a licence granted after
// the as-of time is left out and a revocation counts from its date.
// Holdings (a country's installed base) are the projection's, which keeps
// no past holdings: they are as of the ledger head, and the report says so.
// Containment used to count the chips in a shipment is the containment at
// the shipment's time. Alerts are the caller's: the replica's at the head,
// or those of a detector evaluated as of the time; Input.AlertsNote says
// which, and the report repeats it.
package reports

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/ledger"
	"github.com/chipledger/chipledger/policy"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/projections/alerts"
)

// Report kinds (Basis.Report, and the API's path element).
const (
	KindExporter = "exporter"
	KindCountry  = "country"
	KindSite     = "site"
	KindDossier  = "dossier"
)

// ErrInvalid is wrapped by errors about a report's parameters (a period
// that ends before it starts, a malformed country code): the API answers
// them with 400. Unknown parties, sites and units wrap
// projections.ErrNotFound (404).
var ErrInvalid = errors.New("reports: invalid parameters")

// Ledger returns the ledger's entries as the replica verified and stored
// them (*replica.Replica implements it). The dossier recomputes the hashes
// of the entries it cites from Raw; the Index reads event types and events
// from Canonical.
type Ledger interface {
	Entry(seq uint64) (ledger.Entry, error)
}

// Head is a ledger head: the last entry's sequence and hash.
type Head struct {
	Seq  uint64 `json:"sequence"`
	Hash string `json:"hash"`
}

// PolicyVersion is one policy bundle the ledger activated.
type PolicyVersion struct {
	Effective time.Time
	Bundle    *policy.Bundle
	Citation  alerts.Citation
}

// Input is what every report is built from.
type Input struct {
	Projection *projections.Projection
	Source     projections.Source // the projection's events, by sequence
	Ledger     Ledger             // the entries' bytes (dossier, Index)
	// Index holds the flows (shipments, export declarations, receipts,
	// installs) and the containment history; it must be up to date with
	// the projection (Index.Seq() == Projection.Seq()). nil: a fresh one
	// is built from Ledger, reading every entry.
	Index *Index
	// Alerts are the detector's alerts in every state, evaluated as of
	// AsOf (or at the head), and Detection the ledger sequence they were
	// evaluated at.
	Alerts    []alerts.Alert
	Detection uint64
	// AlertsNote says how the alerts were obtained, for Basis.Scope.
	AlertsNote string
	// Policies are the policy versions the ledger activated (LoadPolicies):
	// each event is judged under the version in force on its day, like the
	// detector does. Empty: the built-in bundle.
	Policies []PolicyVersion
	// Head is the ledger head the replica verified entry by entry, and
	// Broken its break, if it met one.
	Head   Head
	Broken *ledger.BrokenError
	// AsOf leaves out events that occurred after it. Zero: the
	// projection's clock (the latest occurred_at applied).
	AsOf time.Time
}

// Basis is what every report states it was built from.
type Basis struct {
	Report    string    `json:"report"` // exporter, country, site or dossier
	Subject   string    `json:"subject"`
	Head      Head      `json:"ledger_head"`    // the ledger head the replica verified
	Seq       uint64    `json:"projection_seq"` // the last entry the projection applied
	Detection uint64    `json:"detection_seq"`  // the ledger sequence the alerts were evaluated at
	Now       time.Time `json:"ledger_now"`     // the latest occurred_at applied
	AsOf      time.Time `json:"as_of"`          // events after it are left out (Now when not given)
	AsOfGiven bool      `json:"as_of_given"`
	// Policy is the policy version in force at AsOf; Policies every
	// version activated by then when there is more than one (each event is
	// judged under the one in force on its day).
	Policy   alerts.Citation   `json:"policy"`
	Policies []alerts.Citation `json:"policies,omitempty"`
	Scope    string            `json:"scope"` // what as-of covers, and where the alerts come from
}

// env is a report's view of its input: the clock, the policy and the
// caches every report shares.
type env struct {
	in   Input
	p    *projections.Projection
	src  projections.Source
	ix   *Index
	asOf time.Time
	pols []PolicyVersion
	cat  *policy.Catalogue
	// chip figures by model string, and unit models (read from Tree: the
	// projection keeps them in memory)
	chips map[string]chipFig
	model map[events.UnitID]string
}

type chipFig struct {
	ok             bool
	model, eccn    string
	tpp, h100, raw float64
}

// newEnv checks the input and brings an Index up to date when the caller
// gave none.
func newEnv(in Input, kind, subject string) (*env, *Basis, error) {
	if in.Projection == nil || in.Source == nil {
		return nil, nil, errors.New("reports: the input needs a projection and its source")
	}
	e := &env{in: in, p: in.Projection, src: in.Source, ix: in.Index, chips: map[string]chipFig{}, model: map[events.UnitID]string{}}
	e.asOf = in.AsOf
	if e.asOf.IsZero() || e.asOf.After(e.p.Now()) {
		e.asOf = e.p.Now()
	}
	e.pols = slices.Clone(in.Policies)
	if len(e.pols) == 0 {
		b := policy.DefaultBundle()
		e.pols = []PolicyVersion{{Bundle: b, Citation: alerts.Citation{Name: b.Name, Version: b.Version + " (built-in: no policy activated in the ledger)", Digest: b.Digest}}}
	}
	slices.SortStableFunc(e.pols, func(a, b PolicyVersion) int { return a.Effective.Compare(b.Effective) })
	e.cat = e.pol(e.asOf).Bundle.Catalogue
	b := &Basis{Report: kind, Subject: subject, Head: in.Head, Seq: e.p.Seq(), Detection: in.Detection, Now: e.p.Now(),
		AsOf: e.asOf, AsOfGiven: !in.AsOf.IsZero(), Policy: e.pol(e.asOf).Citation}
	if len(e.pols) > 1 {
		for _, pv := range e.pols {
			b.Policies = append(b.Policies, pv.Citation)
		}
	}
	b.Scope = scope(b.AsOfGiven, in.AlertsNote)
	return e, b, nil
}

// index returns the flow index, building one from the ledger when the
// caller gave none.
func (e *env) index() (*Index, error) {
	if e.ix == nil {
		if e.in.Ledger == nil {
			return nil, errors.New("reports: the input needs an Index or a Ledger to build one from")
		}
		ix := NewIndex()
		if err := ix.Update(e.in.Ledger, e.p.Seq()); err != nil {
			return nil, err
		}
		e.ix = ix
	}
	if e.ix.Seq() != e.p.Seq() {
		return nil, fmt.Errorf("reports: the index is at sequence %d, the projection at %d", e.ix.Seq(), e.p.Seq())
	}
	return e.ix, nil
}

func scope(given bool, alertsNote string) string {
	s := "Events are taken by occurred_at up to the as-of time (the ledger's latest event when none is given); corrections in force at the ledger head apply; " +
		"parties and sites are their records at the head; licences granted after the as-of time are left out and revocations count from their date; " +
		"holdings (installed base) are the projection's at the ledger head; chips in a shipment are those inside its units at its time."
	if !given {
		s = "As of the ledger's latest event. " + s
	}
	if alertsNote != "" {
		s += " Alerts: " + alertsNote
	}
	return s
}

// pol returns the policy version in force on day t: the latest effective
// on or before t; before the first one, the first one (the detector's rule).
func (e *env) pol(t time.Time) PolicyVersion {
	best := e.pols[0]
	for _, pv := range e.pols {
		if !pv.Effective.After(t) {
			best = pv
		}
	}
	return best
}

func (e *env) controls(t time.Time) *policy.Controls { return e.pol(t).Bundle.Controls }

// country returns the EAR destination a country code stands for on day t
// (Hong Kong is China).
func (e *env) country(cc string, t time.Time) string { return e.controls(t).Country(cc, t) }

// crossBorder reports whether a shipment leaves its country, as the
// detector judges it.
func (e *env) crossBorder(b *events.Shipped, t time.Time) bool {
	return e.country(b.From.Country, t) != e.country(b.To.Country, t)
}

// unitModel returns a unit's model as commissioned (Tree reads no entry).
func (e *env) unitModel(u events.UnitID) string {
	if m, ok := e.model[u]; ok {
		return m
	}
	m := ""
	if n, err := e.p.Tree(e.src, u); err == nil {
		m = n.Model
	}
	e.model[u] = m
	return m
}

// chip returns a chip's catalogue figures (from the policy in force at the
// as-of time, like the detector's).
func (e *env) chip(u events.UnitID) chipFig {
	m := e.unitModel(u)
	if f, ok := e.chips[m]; ok {
		return f
	}
	f := chipFig{model: m}
	if ch, ok := e.cat.Lookup(m); ok && ch.Kind == policy.KindChip {
		f = chipFig{ok: true, model: ch.Model, eccn: ch.ECCN, tpp: ch.TPP, h100: ch.H100Equivalents}
	}
	if f.model == "" {
		f.model = "unknown"
	}
	e.chips[m] = f
	return f
}

// party returns a party's record, when registered.
func (e *env) party(id string) (projections.Party, bool) { return e.p.Party(id) }

// partyName returns a party's registered name, or "".
func (e *env) partyName(id string) string {
	if pa, ok := e.p.Party(id); ok {
		return pa.Name
	}
	return ""
}

// Open alert states: raised, not withdrawn, not dismissed.
func openState(s string) bool {
	return s == alerts.StateOpen || s == alerts.StateAcknowledged || s == alerts.StateEscalated
}

// AlertRef is an alert as a report lists it.
type AlertRef struct {
	ID           string    `json:"id"`
	Rule         string    `json:"rule"`
	Severity     string    `json:"severity"`
	CaseSeverity string    `json:"case_severity"`
	State        string    `json:"state"`
	SubjectKind  string    `json:"subject_kind"`
	Subject      string    `json:"subject"`
	OccurredAt   time.Time `json:"occurred_at"`
	Sentence     string    `json:"sentence"`
}

func ref(a alerts.Alert) AlertRef {
	return AlertRef{ID: a.ID, Rule: a.Rule, Severity: a.Severity, CaseSeverity: a.CaseSeverity, State: a.State,
		SubjectKind: a.SubjectKind, Subject: a.Subject, OccurredAt: a.OccurredAt, Sentence: a.Sentence}
}

// AlertSummary counts open alerts by rule and lists their ids.
type AlertSummary struct {
	Open   int            `json:"open"` // open, acknowledged or escalated (not withdrawn, not dismissed)
	ByRule map[string]int `json:"by_rule"`
	IDs    []string       `json:"ids"`
	Alerts []AlertRef     `json:"alerts"`
}

func summarise(as []alerts.Alert, match func(*alerts.Alert) bool) AlertSummary {
	s := AlertSummary{ByRule: map[string]int{}, IDs: []string{}, Alerts: []AlertRef{}}
	for i := range as {
		a := &as[i]
		if !openState(a.State) || !match(a) {
			continue
		}
		s.Open++
		s.ByRule[a.Rule]++
		s.IDs = append(s.IDs, a.ID)
		s.Alerts = append(s.Alerts, ref(*a))
	}
	slices.Sort(s.IDs)
	slices.SortFunc(s.Alerts, func(a, b AlertRef) int {
		return cmp.Or(cmp.Compare(ruleNum(a.Rule), ruleNum(b.Rule)), cmp.Compare(a.ID, b.ID))
	})
	return s
}

func ruleNum(r string) int {
	n := 0
	for _, c := range r {
		if c >= '0' && c <= '9' {
			n = n*10 + int(c-'0')
		}
	}
	return n
}

// rules returns the rules of a count in rule order.
func rules(m map[string]int) []string {
	return slices.SortedFunc(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}, func(a, b string) int { return cmp.Or(cmp.Compare(ruleNum(a), ruleNum(b)), cmp.Compare(a, b)) })
}

// ResolveUnit parses a unit id; a bare serial is looked up as a chip, a
// system and a package, in that order (projections.ErrNotFound when none
// is known).
func ResolveUnit(p *projections.Projection, src projections.Source, id string) (events.UnitID, error) {
	if strings.Contains(id, ":") {
		u, err := events.ParseUnitID(id)
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		if _, err := p.Tree(src, u); err != nil {
			return "", err
		}
		return u, nil
	}
	for _, kind := range []string{events.KindChip, events.KindSys, events.KindPkg} {
		u, err := events.ParseUnitID(kind + ":" + id)
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		if _, err := p.Tree(src, u); err == nil {
			return u, nil
		}
	}
	return "", fmt.Errorf("%w: unit %s", projections.ErrNotFound, id)
}

// LoadPolicies returns the policy versions the ledger activated by asOf
// (zero: all), loaded like the detector loads them: a document's content
// from the ledger, or from resolve (nil: the ledger's content only). A
// document that cannot be loaded is a problem; with no usable version the
// reports use the built-in bundle and say so.
func LoadPolicies(p *projections.Projection, resolve func(events.Document) ([]byte, error), asOf time.Time) ([]PolicyVersion, []alerts.Problem) {
	var out []PolicyVersion
	var problems []alerts.Problem
	for _, doc := range p.Policies() {
		if doc.Name != policy.BundleName {
			continue
		}
		if !asOf.IsZero() && doc.OccurredAt.After(asOf) {
			continue
		}
		cite := alerts.Citation{Name: doc.Name, Version: doc.Version, Digest: doc.Digest, Effective: string(doc.Effective), Seq: doc.Seq}
		data := []byte(doc.Content)
		var err error
		if doc.Content == "" {
			if resolve == nil {
				err = fmt.Errorf("reports: %s %s: the ledger carries no content and no reference directory is configured", doc.Name, doc.Digest)
			} else if data, err = resolve(doc.Document); err == nil && events.Digest(data) != doc.Digest {
				err = fmt.Errorf("reports: %s: content digest %s differs from the activated %s", doc.Name, events.Digest(data), doc.Digest)
			}
		}
		var b *policy.Bundle
		if err == nil {
			b, err = policy.LoadBundle(data)
		}
		if err != nil {
			problems = append(problems, alerts.Problem{Citation: cite, Error: err.Error()})
			continue
		}
		out = append(out, PolicyVersion{Effective: doc.Effective.Time(), Bundle: b, Citation: cite})
	}
	slices.SortStableFunc(out, func(a, b PolicyVersion) int { return a.Effective.Compare(b.Effective) })
	return out, problems
}

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
