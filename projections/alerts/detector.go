package alerts

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/policy"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/screening"
)

// Options configure a Detector. The zero value works: documents are read
// from the ledger's own content only, and "now" is the ledger's.
type Options struct {
	// Resolve returns the content of a policy or screening document the
	// ledger activated (its own content, or a file found by digest). nil:
	// the content carried in the ledger only.
	Resolve func(events.Document) ([]byte, error)
	// AsOf judges the ledger as it stood at this time: events that occurred
	// later are left out and "now" is AsOf. Zero: the latest occurred_at.
	AsOf time.Time
	// SweepEvery is how far the ledger's clock must move before Evaluate
	// re-judges every unit (the time-based rules change with "now"); zero:
	// 24 hours.
	SweepEvery time.Duration
}

// Problem is a reference document the detector could not use.
type Problem struct {
	Citation
	Error string `json:"error"`
}

// Detector holds the alert projection. Queries (Alerts, Alert, Stats) may
// run concurrently with each other and with Evaluate; Evaluate calls are
// serialised. Evaluate reads the projection: the caller keeps Apply out
// while it runs (the replica holds its read lock).
type Detector struct {
	opts Options
	eval sync.Mutex   // serialises Evaluate
	mu   sync.RWMutex // guards alerts, seq, problems, policies and lists for the queries

	alerts    map[string]*Alert           // every alert ever raised, by id
	unitWant  map[events.UnitID][]finding // the unit rules' findings on each unit at its last evaluation
	contribs  map[events.UnitID]*contrib  // each unit's part of the aggregate rules
	seq       uint64                      // the projection sequence last evaluated
	swept     time.Time                   // "now" at the last full sweep
	evaluated bool

	docs     map[string]any // digest -> *policy.Bundle or *screening.List (loaded once)
	problems []Problem
	policies []polVersion
	lists    []listVersion
	screen   map[string][]screenHit // list digest + party id -> matches
}

type polVersion struct {
	eff  time.Time
	b    *policy.Bundle
	cite Citation
}

type listVersion struct {
	eff  time.Time
	l    *screening.List
	cite Citation
}

// New returns an empty detector.
func New(opts Options) *Detector {
	if opts.SweepEvery <= 0 {
		opts.SweepEvery = 24 * time.Hour
	}
	return &Detector{opts: opts, alerts: map[string]*Alert{}, unitWant: map[events.UnitID][]finding{},
		contribs: map[events.UnitID]*contrib{}, docs: map[string]any{}, screen: map[string][]screenHit{}}
}

// Stats describe the detector's state.
type Stats struct {
	Seq       uint64         `json:"seq"`  // the ledger sequence evaluated
	Open      int            `json:"open"` // raised and not withdrawn, whatever was decided
	Withdrawn int            `json:"withdrawn"`
	ByRule    map[string]int `json:"open_by_rule"`
	ByState   map[string]int `json:"by_state"`
	Policies  []Citation     `json:"policies"`
	Lists     []Citation     `json:"screening_lists"`
	Problems  []Problem      `json:"problems,omitempty"`
}

// Stats returns counts and the reference documents in use.
func (d *Detector) Stats() Stats {
	d.mu.RLock()
	defer d.mu.RUnlock()
	s := Stats{Seq: d.seq, ByRule: map[string]int{}, ByState: map[string]int{}, Problems: slices.Clone(d.problems)}
	for _, a := range d.alerts {
		s.ByState[a.State]++
		if a.State == StateWithdrawn {
			s.Withdrawn++
			continue
		}
		s.Open++
		s.ByRule[a.Rule]++
	}
	for _, p := range d.policies {
		s.Policies = append(s.Policies, p.cite)
	}
	for _, l := range d.lists {
		s.Lists = append(s.Lists, l.cite)
	}
	return s
}

// Alerts returns the alerts matching f, highest case severity first.
func (d *Detector) Alerts(f Filter) []Alert {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []Alert
	for _, a := range d.alerts {
		if f.Match(a) {
			out = append(out, clone(a))
		}
	}
	sortAlerts(out)
	return out
}

// Alert returns one alert by id.
func (d *Detector) Alert(id string) (Alert, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	a, ok := d.alerts[id]
	if !ok {
		return Alert{}, fmt.Errorf("%w: alert %s", ErrNotFound, id)
	}
	return clone(a), nil
}

func clone(a *Alert) Alert {
	c := *a
	c.Evidence = slices.Clone(a.Evidence)
	c.Decisions = slices.Clone(a.Decisions)
	if a.Screening != nil {
		s := *a.Screening
		c.Screening = &s
	}
	return c
}

// Evaluate brings the alerts up to date with projection p (events read
// from src): the units whose chains changed since the last call are
// re-judged, every unit when reference data changed or the ledger's clock
// moved by SweepEvery, and the aggregate rules always. It returns the
// number of units judged.
func (d *Detector) Evaluate(p *projections.Projection, src projections.Source) (int, error) {
	d.eval.Lock()
	defer d.eval.Unlock()
	ch := p.TakeChanges()
	now := p.Now()
	if !d.opts.AsOf.IsZero() {
		now = d.opts.AsOf
	}
	full := !d.evaluated || ch.Reference || now.Sub(d.swept) >= d.opts.SweepEvery || now.Before(d.swept)
	if ch.Reference || !d.evaluated {
		d.mu.Lock()
		d.loadReference(p)
		d.mu.Unlock()
	}
	j := newJudge(d, p, projections.CachedSource(src, 1<<17), now)
	var units []events.UnitID
	if full {
		units = p.Units()
	} else {
		set := map[events.UnitID]bool{}
		for _, u := range ch.Units {
			set[u] = true
			// A container's judgement reads what is inside it (vendors, lab
			// tests): re-judge the unit's container too.
			if st, err := p.Unit(src, u); err == nil && st.Container != "" {
				set[st.Container] = true
			}
		}
		units = slices.Sorted(maps.Keys(set))
	}
	var judged []events.UnitID
	for _, u := range units {
		if k := u.Kind(); k == events.KindChip || k == events.KindSys {
			judged = append(judged, u)
		}
	}
	results, err := d.judgeAll(p, src, now, judged)
	if err != nil {
		return 0, err
	}
	for i, u := range judged {
		r := results[i]
		if len(r.fs) == 0 {
			delete(d.unitWant, u)
		} else {
			d.unitWant[u] = r.fs
		}
		if r.c == nil {
			delete(d.contribs, u)
		} else {
			d.contribs[u] = r.c
		}
	}
	n := len(judged)
	agg := j.aggregate()
	d.mu.Lock()
	d.reconcile(j, agg, p.Seq())
	d.seq, d.evaluated = p.Seq(), true
	d.mu.Unlock()
	if full {
		d.swept = now
	}
	return n, nil
}

type unitResult struct {
	fs []finding
	c  *contrib
}

// judgeAll judges units on up to GOMAXPROCS workers, each over a
// contiguous run of units (the chips of one server sort together, so a
// worker's entry cache keeps serving them) with caches of its own.
func (d *Detector) judgeAll(p *projections.Projection, src projections.Source, now time.Time, units []events.UnitID) ([]unitResult, error) {
	out := make([]unitResult, len(units))
	workers := min(runtime.GOMAXPROCS(0), 8, max(1, len(units)/256))
	chunk := (len(units) + workers - 1) / max(workers, 1)
	var wg sync.WaitGroup
	errs := make([]error, workers)
	screens := make([]map[string][]screenHit, workers)
	for w := range workers {
		lo, hi := w*chunk, min(len(units), (w+1)*chunk)
		if lo >= hi {
			continue
		}
		wg.Go(func() {
			j := newJudge(d, p, projections.CachedSource(src, 1<<17), now)
			j.screen = map[string][]screenHit{}
			for i := lo; i < hi; i++ {
				fs, c, err := j.unit(units[i])
				if err != nil {
					errs[w] = err
					return
				}
				out[i] = unitResult{fs, c}
			}
			screens[w] = j.screen
		})
	}
	wg.Wait()
	for _, m := range screens {
		maps.Copy(d.screen, m)
	}
	return out, errors.Join(errs...)
}

// loadReference loads every policy bundle and screening list the ledger
// activated (once per digest). A document that cannot be read is a
// Problem, reported in Stats; the others stay in use.
func (d *Detector) loadReference(p *projections.Projection) {
	d.problems, d.policies, d.lists = nil, nil, nil
	content := func(doc projections.Document) ([]byte, error) {
		if doc.Content != "" {
			return []byte(doc.Content), nil
		}
		if d.opts.Resolve == nil {
			return nil, fmt.Errorf("alerts: %s %s: the ledger carries no content and no reference directory is configured", doc.Name, doc.Digest)
		}
		b, err := d.opts.Resolve(doc.Document)
		if err != nil {
			return nil, err
		}
		if events.Digest(b) != doc.Digest {
			return nil, fmt.Errorf("alerts: %s: content digest %s differs from the activated %s", doc.Name, events.Digest(b), doc.Digest)
		}
		return b, nil
	}
	cite := func(doc projections.Document) Citation {
		return Citation{Name: doc.Name, Version: doc.Version, Digest: doc.Digest, Effective: string(doc.Effective), Seq: doc.Seq}
	}
	for _, doc := range p.Policies() {
		if doc.Name != policy.BundleName {
			continue // an informational document (an excerpt of a rule): not machine-readable policy
		}
		if !d.opts.AsOf.IsZero() && doc.OccurredAt.After(d.opts.AsOf) {
			continue
		}
		b, ok := d.docs[doc.Digest].(*policy.Bundle)
		if !ok {
			data, err := content(doc)
			if err == nil {
				b, err = policy.LoadBundle(data)
			}
			if err != nil {
				d.problems = append(d.problems, Problem{Citation: cite(doc), Error: err.Error()})
				continue
			}
			d.docs[doc.Digest] = b
		}
		d.policies = append(d.policies, polVersion{eff: doc.Effective.Time(), b: b, cite: cite(doc)})
	}
	if len(d.policies) == 0 {
		b := policy.DefaultBundle()
		d.policies = []polVersion{{b: b, cite: Citation{Name: b.Name, Version: b.Version + " (built-in: no policy activated in the ledger)", Digest: b.Digest}}}
	}
	for _, doc := range p.Screenings() {
		if !d.opts.AsOf.IsZero() && doc.OccurredAt.After(d.opts.AsOf) {
			continue
		}
		l, ok := d.docs[doc.Digest].(*screening.List)
		if !ok {
			data, err := content(doc)
			if err == nil {
				l, err = screening.Load(bytes.NewReader(data))
			}
			if err != nil {
				d.problems = append(d.problems, Problem{Citation: cite(doc), Error: err.Error()})
				continue
			}
			d.docs[doc.Digest] = l
		}
		d.lists = append(d.lists, listVersion{eff: doc.Effective.Time(), l: l, cite: cite(doc)})
	}
	// In force: the latest effective date on or before the day judged;
	// ties by activation order.
	sort.SliceStable(d.policies, func(i, k int) bool { return d.policies[i].eff.Before(d.policies[k].eff) })
	sort.SliceStable(d.lists, func(i, k int) bool { return d.lists[i].eff.Before(d.lists[k].eff) })
}

// reconcile makes the alert set what the rules want now: new alerts open,
// reappearing ones reopen, ones no longer wanted are withdrawn.
func (d *Detector) reconcile(j *judge, agg map[subject][]finding, seq uint64) {
	for u, fs := range d.unitWant {
		k := subject{KindUnit, string(u)}
		agg[k] = append(slices.Clone(fs), agg[k]...)
	}
	want := map[string]*Alert{}
	for k, fs := range agg {
		maps.Copy(want, j.alertsFrom(k.kind, k.id, fs))
	}
	// Case severity: two or more rules on one subject raise it.
	rules := map[string]map[string]bool{}
	for _, a := range want {
		k := a.SubjectKind + "\x00" + a.Subject
		if rules[k] == nil {
			rules[k] = map[string]bool{}
		}
		rules[k][a.Rule] = true
	}
	for id, w := range want {
		cs := w.Severity
		if len(rules[w.SubjectKind+"\x00"+w.Subject]) >= 2 {
			cs = raise(cs)
		}
		a, ok := d.alerts[id]
		if !ok {
			a = &Alert{}
			*a = *w
			a.RaisedSeq = seq
			d.alerts[id] = a
		} else {
			raised := a.RaisedSeq
			if a.State == StateWithdrawn {
				raised = seq
			}
			*a = *w
			a.RaisedSeq = raised
		}
		a.State, a.WithdrawnSeq, a.CaseSeverity = StateOpen, 0, cs
	}
	for id, a := range d.alerts {
		if _, ok := want[id]; !ok && a.State != StateWithdrawn {
			a.State, a.WithdrawnSeq = StateWithdrawn, seq
		}
	}
	for _, id := range j.p.DecidedAlerts() {
		a, ok := d.alerts[id]
		if !ok {
			continue // decided before it was raised here: applied when it is
		}
		a.Decisions = j.p.Decisions(id)
		if n := len(a.Decisions); n > 0 && a.State != StateWithdrawn {
			a.State = a.Decisions[n-1].Action
		}
	}
}
