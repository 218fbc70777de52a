package alerts

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/policy"
	"github.com/chipledger/chipledger/projections"
)

// judge is one evaluation: the projection, the clock and the reference
// lookups, cached for the evaluation's length.
type judge struct {
	d   *Detector
	p   *projections.Projection
	src projections.Source
	now time.Time

	parties map[string]*projections.Party
	sites   map[string]*projections.Site
	lics    map[string]*projections.Licence
	// screen, when set, holds a worker's new screening results (read
	// through to the detector's, which only the evaluation's own goroutine
	// writes).
	screen map[string][]screenHit
}

func newJudge(d *Detector, p *projections.Projection, src projections.Source, now time.Time) *judge {
	return &judge{d: d, p: p, src: src, now: now, parties: map[string]*projections.Party{},
		sites: map[string]*projections.Site{}, lics: map[string]*projections.Licence{}}
}

// pol returns the policy version in force on day t: the latest effective
// on or before t; before the first one, the first one.
func (j *judge) pol(t time.Time) *polVersion {
	ps := j.d.policies
	best := &ps[0]
	for i := range ps {
		if !ps[i].eff.After(t) {
			best = &ps[i]
		}
	}
	return best
}

func (j *judge) controls(t time.Time) *policy.Controls { return j.pol(t).b.Controls }
func (j *judge) th(t time.Time) policy.Thresholds      { return j.pol(t).b.Thresholds }

func (j *judge) party(id string) *projections.Party    { return cached(j.parties, id, j.p.Party) }
func (j *judge) site(id string) *projections.Site      { return cached(j.sites, id, j.p.Site) }
func (j *judge) licence(n string) *projections.Licence { return cached(j.lics, n, j.p.Licence) }

// cached looks a reference record up once per evaluation (nil: none).
func cached[T any](m map[string]*T, id string, get func(string) (T, bool)) *T {
	if id == "" {
		return nil
	}
	if v, ok := m[id]; ok {
		return v
	}
	var out *T
	if v, ok := get(id); ok {
		out = &v
	}
	m[id] = out
	return out
}

// sameCountry reports whether a and b are the same destination for the
// EAR on day t (Hong Kong is China).
func (j *judge) sameCountry(a, b string, t time.Time) bool {
	c := j.controls(t)
	return c.Country(a, t) == c.Country(b, t)
}

// hasType reports whether party id has one of the types.
func (j *judge) hasType(id string, types ...string) (string, bool) {
	pa := j.party(id)
	if pa == nil {
		return "", false
	}
	for _, t := range pa.Types {
		if slices.Contains(types, t) {
			return t, true
		}
	}
	return "", false
}

// restrictedHQ reports whether party id, or its ultimate parent, is
// headquartered in D:5 or Macau on day t, and where.
func (j *judge) restrictedHQ(id string, t time.Time) (string, bool) {
	pa := j.party(id)
	if pa == nil {
		return "", false
	}
	c := j.controls(t)
	if c.RestrictedHQ(pa.HQCountry, t) {
		return pa.HQCountry, true
	}
	seen := map[string]bool{id: true}
	for up := pa.UltimateParent; up != "" && !seen[up]; {
		seen[up] = true
		pp := j.party(up)
		if pp == nil {
			break
		}
		if c.RestrictedHQ(pp.HQCountry, t) {
			return pp.HQCountry + " (ultimate parent " + up + ")", true
		}
		up = pp.UltimateParent
	}
	return "", false
}

// licenceProblem says why licence n does not cover a use on day t to
// country dest for end user (either may be empty: not checked); "" when
// it does.
func (j *judge) licenceProblem(n string, t time.Time, dest, endUser string) string {
	l := j.licence(n)
	switch {
	case l == nil:
		return "licence " + n + " is not in the ledger"
	case l.Revoked && !t.Before(l.RevokedAt):
		return "licence " + n + " was revoked on " + l.RevokedAt.Format(time.DateOnly)
	case t.Before(l.ValidFrom.Time()):
		return "licence " + n + " is valid only from " + string(l.ValidFrom)
	case !t.Before(l.ValidUntil.Time().Add(24 * time.Hour)):
		return "licence " + n + " expired on " + string(l.ValidUntil)
	case dest != "" && !j.sameCountry(dest, l.DestinationCountry, t):
		return "licence " + n + " is for " + l.DestinationCountry + ", not " + dest
	case endUser != "" && l.EndUser != "" && endUser != l.EndUser:
		return "licence " + n + " names end user " + l.EndUser + ", not " + endUser
	}
	return ""
}

// dates are the days an event is judged on: its occurred_at, and its
// recorded_at too when it was recorded more than the backdating gap later
// (R22: judged under the stricter of the two).
func (j *judge) dates(r *projections.Record) []time.Time {
	gap := time.Duration(j.th(r.OccurredAt).BackdatingGapHours) * time.Hour
	if r.RecordedAt.Sub(r.OccurredAt) > gap {
		return []time.Time{r.OccurredAt, r.RecordedAt}
	}
	return []time.Time{r.OccurredAt}
}

// view is a unit as the rules see it.
type view struct {
	id           events.UnitID
	kind         string
	recs         []projections.Record
	st           projections.UnitState
	commissioned bool
	chip         policy.Chip // the catalogue's entry for a chip (zero if not catalogued)
	catalogued   bool
	vendors      map[string]bool // chip makers: the chip's, or those of the chips inside a system
	models       map[string]bool // catalogue models of the chip, or of the chips inside a system
	chips        int             // 1 for a chip, the chips inside a system now
	chipECCNs    []string        // a system's chips' catalogue ECCNs ("?" for an uncatalogued chip)
}

// controlled reports whether the unit is an export-controlled item on day
// t. A unit never commissioned is an unknown serial and treated as
// controlled (R10 says so on its own).
func (j *judge) controlled(v *view, t time.Time) bool {
	if !v.commissioned {
		return true
	}
	c := j.controls(t)
	if v.kind != events.KindChip && len(v.chipECCNs) > 0 {
		// A system inherits its chips' control status.
		for _, e := range v.chipECCNs {
			if e == "?" || c.Controlled(e, t) {
				return true
			}
		}
		return false
	}
	return c.Controlled(v.st.ECCN, t)
}

func (v *view) evidence(i int) Evidence {
	r := &v.recs[i]
	return Evidence{Seq: r.Seq, Hash: r.Hash, EventID: r.EventID, Type: r.Type, OccurredAt: r.OccurredAt,
		RecordedAt: r.RecordedAt, Via: r.Via, Summary: r.Summary}
}

// finding is one rule's reason to raise an alert on a subject.
type finding struct {
	rule     string
	severity string // "": the rule's
	text     string
	fact     string // the source of the fact applied
	country  string
	at       time.Time // the day judged (selects the policy cited)
	ev       []Evidence
	screen   *Citation
	lift     bool // also raised on the unit's container: its chips' whereabouts are its own
}

// unit judges one unit: the alerts its chain raises, and its part of the
// aggregate rules.
func (j *judge) unit(u events.UnitID) ([]finding, *contrib, error) {
	recs, err := j.p.History(j.src, u)
	if err != nil {
		return nil, nil, fmt.Errorf("alerts: %s: %w", u, err)
	}
	st, err := j.p.Unit(j.src, u)
	if err != nil {
		return nil, nil, fmt.Errorf("alerts: %s: %w", u, err)
	}
	if !j.d.opts.AsOf.IsZero() {
		n := 0
		for n < len(recs) && !recs[n].OccurredAt.After(j.now) {
			n++
		}
		recs = recs[:n]
	}
	v := &view{id: u, kind: u.Kind(), recs: recs, st: st, vendors: map[string]bool{}, models: map[string]bool{}}
	for i := range recs {
		if recs[i].Direct && recs[i].Type == events.TypeCommissioned {
			v.commissioned = true
		}
	}
	cat := j.pol(j.now).b.Catalogue
	if v.kind == events.KindChip {
		v.chips = 1
		if ch, ok := cat.Lookup(st.Model); ok {
			v.chip, v.catalogued = ch, true
			v.vendors[strings.ToLower(ch.Vendor)] = true
			v.models[ch.Model] = true
		}
	} else if tree, err := j.p.Tree(j.src, u); err == nil {
		var walk func(n projections.Node)
		walk = func(n projections.Node) {
			for _, c := range n.Contents {
				if c.Unit.Kind() == events.KindChip {
					v.chips++
					if ch, ok := cat.Lookup(c.Model); ok {
						v.vendors[strings.ToLower(ch.Vendor)] = true
						v.models[ch.Model] = true
						v.chipECCNs = append(v.chipECCNs, ch.ECCN)
					} else {
						v.chipECCNs = append(v.chipECCNs, "?")
					}
				}
				walk(c)
			}
		}
		walk(tree)
	}
	var fs []finding
	for _, r := range unitRules {
		fs = append(fs, r(j, v)...)
	}
	return fs, j.contribution(v, fs), nil
}

// alertsFrom turns findings on one subject into one alert per rule.
func (j *judge) alertsFrom(kind, subject string, fs []finding) map[string]*Alert {
	if len(fs) == 0 {
		return nil
	}
	byRule := map[string][]finding{}
	for _, f := range fs {
		byRule[f.rule] = append(byRule[f.rule], f)
	}
	out := make(map[string]*Alert, len(byRule))
	for rule, group := range byRule {
		slices.SortStableFunc(group, func(a, b finding) int { return a.at.Compare(b.at) })
		first := group[0]
		meta := ruleMeta[rule]
		sev := ""
		var ev []Evidence
		seen := map[string]bool{}
		for _, f := range group {
			fsev := cmp.Or(f.severity, meta.severity)
			if SeverityRank(fsev) > SeverityRank(sev) {
				sev = fsev
			}
			for _, e := range f.ev {
				k := fmt.Sprint(e.Seq, e.Unit)
				if !seen[k] {
					seen[k] = true
					ev = append(ev, e)
				}
			}
		}
		slices.SortStableFunc(ev, func(a, b Evidence) int {
			return cmp.Or(a.OccurredAt.Compare(b.OccurredAt), cmp.Compare(a.Seq, b.Seq))
		})
		firstEv := ""
		var occ time.Time
		if len(ev) > 0 {
			firstEv, occ = ev[0].EventID, ev[0].OccurredAt
		}
		text := first.text
		if n := len(group) - 1; n > 0 {
			text += fmt.Sprintf(" (and %d more finding(s) of this rule)", n)
		}
		pv := j.pol(first.at)
		a := &Alert{
			ID: rule + ":" + subject + ":" + firstEv, Rule: rule, Title: meta.title, Severity: sev,
			SubjectKind: kind, Subject: subject, Country: first.country, Sentence: text, FirstEvent: firstEv,
			OccurredAt: occ, Evidence: ev, Policy: pv.cite, Screening: first.screen, Fact: first.fact,
		}
		out[a.ID] = a
	}
	return out
}
