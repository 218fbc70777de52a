package simulate

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"
)

// Truth is what a correct detector raises on this world: each scenario's
// subjects and, per subject, the rule ids (R1..R22 of the domain brief).
// Every unit, site, party and country not listed under Scenarios is
// benign; BenignTwins lists the near-threshold look-alikes a good detector
// must not flag (their subjects carry no rules).
type Truth struct {
	Seed        int64      `json:"seed"`
	Chips       int        `json:"chips"`
	Start       string     `json:"start"`
	End         string     `json:"end"`
	Thresholds  string     `json:"thresholds_version"`
	Note        string     `json:"note"`
	Scenarios   []Scenario `json:"scenarios"`
	BenignTwins []Scenario `json:"benign_twins"`
}

// Scenario is one injected story (or one benign twin).
type Scenario struct {
	Name     string    `json:"name"`
	Case     string    `json:"case"`    // the real case or rule it is modelled on (for a twin: what it looks like)
	Pattern  string    `json:"pattern"` // the custody pattern, in words
	Rules    []string  `json:"rules"`   // union of the subjects' rules
	Subjects []Subject `json:"subjects"`
}

// Subject is a unit, site, party or country a scenario is about.
type Subject struct {
	Kind  string   `json:"kind"` // unit, site, party or country
	ID    string   `json:"id"`   // unit id, site id, party id or country code
	Rules []string `json:"rules"`
}

const truthNote = "Rules are raised by their literal triggers in docs/simulator.md (section 'What a correct detector raises'). " +
	"Chain rules are listed on units (chips and servers); aggregate rules on their subject: R12 on the site, R14 on the buyer parties, " +
	"R20 on the consignee party and the country. Units listed with no rules belong to a scenario but raise nothing themselves."

// Truth returns the truth of the world (shared: do not modify).
func (s *Sim) Truth() *Truth { return s.truth }

func (s *Sim) buildTruth() *Truth {
	t := &Truth{Seed: s.opts.Seed, Chips: s.opts.Chips, Start: time.Unix(s.start, 0).UTC().Format(time.DateOnly),
		End: time.Unix(s.end, 0).UTC().Format(time.DateOnly), Thresholds: s.th.Version, Note: truthNote}
	for _, sc := range s.stor.scenarios {
		t.Scenarios = append(t.Scenarios, *sc)
	}
	for _, sc := range s.stor.twins {
		t.BenignTwins = append(t.BenignTwins, *sc)
	}
	return t
}

// capSubjects adds to the R20 scenario every consignee and country over
// the Jan 2025 caps, world orders included (the cap report is accounting:
// large benign Tier 2 buyers show in it too).
func (s *Sim) capSubjects(b *sb, extra map[capKey]float64, extraTPP map[capKey]float64) {
	cons := map[capKey]float64{}
	ctry := map[capKey]float64{}
	for k, v := range s.agg.consigneeH100 {
		cons[k] += v
	}
	for k, v := range extra {
		cons[k] += v
	}
	for k, v := range s.agg.countryTPP {
		ctry[k] += v
	}
	for k, v := range extraTPP {
		ctry[k] += v
	}
	var keys []capKey
	for k := range cons {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].who != keys[j].who {
			return keys[i].who < keys[j].who
		}
		return keys[i].year < keys[j].year
	})
	for _, k := range keys {
		if k.year >= 2025 && k.year <= 2027 && cons[k] > s.th.CapH100PerConsignee {
			b.subject("party", k.who, "R20")
		}
	}
	keys = keys[:0]
	for k := range ctry {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
	for _, k := range keys {
		if k.year >= 2025 && k.year <= 2027 && ctry[k] > s.th.CapTPPPerCountry {
			b.subject("country", k.who, "R20")
		}
	}
}

// WriteTruth writes the truth as indented JSON.
func (s *Sim) WriteTruth(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(s.truth)
}
