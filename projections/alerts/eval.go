package alerts

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
)

// Truth is what a correct detector raises on a world: the simulator's
// truth file (docs/simulator.md). Everything not listed under Scenarios is
// benign.
type Truth struct {
	Seed        int64           `json:"seed"`
	Chips       int             `json:"chips"`
	Scenarios   []TruthScenario `json:"scenarios"`
	BenignTwins []TruthScenario `json:"benign_twins"`
}

// TruthScenario is one injected story or benign twin.
type TruthScenario struct {
	Name     string         `json:"name"`
	Rules    []string       `json:"rules"`
	Subjects []TruthSubject `json:"subjects"`
}

// TruthSubject is a unit, site, party or country of a scenario, with the
// rules expected on it.
type TruthSubject struct {
	Kind  string   `json:"kind"`
	ID    string   `json:"id"`
	Rules []string `json:"rules"`
}

// ReadTruth reads a truth file.
func ReadTruth(r io.Reader) (*Truth, error) {
	var t Truth
	dec := json.NewDecoder(r)
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("alerts: truth: %w", err)
	}
	for _, sc := range append(slices.Clone(t.Scenarios), t.BenignTwins...) {
		for _, s := range sc.Subjects {
			switch s.Kind {
			case KindUnit, KindSite, KindParty, KindCountry:
			default:
				return nil, fmt.Errorf("alerts: truth: scenario %s: subject %s has unknown kind %q", sc.Name, s.ID, s.Kind)
			}
		}
	}
	return &t, nil
}

// Recall is the share of a scenario's subjects expecting a rule on which
// the rule fired.
type Recall struct {
	Scenario string   `json:"scenario"`
	Rule     string   `json:"rule"`
	Kind     string   `json:"kind"`
	Expected int      `json:"expected"`
	Found    int      `json:"found"`
	Recall   float64  `json:"recall"`
	Missed   []string `json:"missed,omitempty"` // up to 10 subjects
}

// Precision is the share of a rule's open alerts that fall on subjects of
// scenarios expecting it.
type Precision struct {
	Rule      string   `json:"rule"`
	Kind      string   `json:"kind"`
	Alerts    int      `json:"alerts"`
	True      int      `json:"true"`
	Precision float64  `json:"precision"`
	False     []string `json:"false_subjects,omitempty"` // up to 10
}

// Score is the measured detection quality on one world.
type Score struct {
	Seed             int64       `json:"seed"`
	Chips            int         `json:"chips"`
	Recall           []Recall    `json:"recall"`
	Precision        []Precision `json:"precision"`
	RecallAll        float64     `json:"recall_overall"` // over every (subject, expected rule) pair
	BenignUnits      int         `json:"benign_units"`
	BenignFlagged    int         `json:"benign_units_high_or_critical"`
	BenignShare      float64     `json:"benign_share_high_or_critical"`
	BenignFlaggedIDs []string    `json:"benign_flagged_examples,omitempty"` // up to 20
	TwinsFlagged     []string    `json:"twin_subjects_high_or_critical,omitempty"`
}

// Eval scores open alerts against the truth. units are every unit judged
// (chips and systems): those in no scenario are the benign population.
func Eval(t *Truth, alerts []Alert, units []string) Score {
	type sk struct{ kind, id string }
	fired := map[sk]map[string]bool{}
	high := map[string]bool{}
	for _, a := range alerts {
		if a.State == StateWithdrawn {
			continue
		}
		k := sk{a.SubjectKind, a.Subject}
		if fired[k] == nil {
			fired[k] = map[string]bool{}
		}
		fired[k][a.Rule] = true
		if a.SubjectKind == KindUnit && SeverityRank(a.Severity) >= SeverityRank(SeverityHigh) {
			high[a.Subject] = true
		}
	}
	s := Score{Seed: t.Seed, Chips: t.Chips}
	expects := map[sk]map[string]bool{} // subject -> rules its scenarios expect
	inScenario := map[string]bool{}
	pairs, found := 0, 0
	for _, sc := range t.Scenarios {
		type rk struct{ rule, kind string }
		rs := map[rk]*Recall{}
		for _, sub := range sc.Subjects {
			k := sk{sub.Kind, sub.ID}
			if sub.Kind == KindUnit {
				inScenario[sub.ID] = true
			}
			if expects[k] == nil {
				expects[k] = map[string]bool{}
			}
			for _, r := range sc.Rules {
				expects[k][r] = true // a scenario's alerts on any of its subjects are true positives
			}
			for _, r := range sub.Rules {
				x := rs[rk{r, sub.Kind}]
				if x == nil {
					x = &Recall{Scenario: sc.Name, Rule: r, Kind: sub.Kind}
					rs[rk{r, sub.Kind}] = x
				}
				x.Expected++
				pairs++
				if fired[k][r] {
					x.Found++
					found++
				} else if len(x.Missed) < 10 {
					x.Missed = append(x.Missed, sub.ID)
				}
			}
		}
		for _, x := range rs {
			x.Recall = float64(x.Found) / float64(x.Expected)
			s.Recall = append(s.Recall, *x)
		}
	}
	slices.SortFunc(s.Recall, func(a, b Recall) int {
		return cmp.Or(cmp.Compare(a.Scenario, b.Scenario), cmp.Compare(ruleNum(a.Rule), ruleNum(b.Rule)), cmp.Compare(a.Kind, b.Kind))
	})
	if pairs > 0 {
		s.RecallAll = float64(found) / float64(pairs)
	}
	type pk struct{ rule, kind string }
	prec := map[pk]*Precision{}
	for _, k := range slices.SortedFunc(maps.Keys(fired), func(a, b sk) int { return cmp.Or(cmp.Compare(a.kind, b.kind), cmp.Compare(a.id, b.id)) }) {
		for r := range fired[k] {
			x := prec[pk{r, k.kind}]
			if x == nil {
				x = &Precision{Rule: r, Kind: k.kind}
				prec[pk{r, k.kind}] = x
			}
			x.Alerts++
			if expects[k][r] {
				x.True++
			} else if len(x.False) < 10 {
				x.False = append(x.False, k.id)
			}
		}
	}
	for _, x := range prec {
		x.Precision = float64(x.True) / float64(x.Alerts)
		s.Precision = append(s.Precision, *x)
	}
	slices.SortFunc(s.Precision, func(a, b Precision) int {
		return cmp.Or(cmp.Compare(ruleNum(a.Rule), ruleNum(b.Rule)), cmp.Compare(a.Kind, b.Kind))
	})
	twins := map[string]bool{}
	for _, sc := range t.BenignTwins {
		for _, sub := range sc.Subjects {
			if sub.Kind == KindUnit && high[sub.ID] && !inScenario[sub.ID] && !twins[sub.ID] {
				twins[sub.ID] = true
				s.TwinsFlagged = append(s.TwinsFlagged, sc.Name+": "+sub.ID)
			}
		}
	}
	for _, u := range units {
		if inScenario[u] {
			continue
		}
		s.BenignUnits++
		if high[u] {
			s.BenignFlagged++
			if len(s.BenignFlaggedIDs) < 20 {
				s.BenignFlaggedIDs = append(s.BenignFlaggedIDs, u)
			}
		}
	}
	if s.BenignUnits > 0 {
		s.BenignShare = float64(s.BenignFlagged) / float64(s.BenignUnits)
	}
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
