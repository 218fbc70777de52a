package reports

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/projections/alerts"
)

// FlowRow sums cross-border shipments between the report's country and
// one partner country.
type FlowRow struct {
	Partner   string  `json:"partner"`
	Shipments int     `json:"shipments"`
	Units     int     `json:"units"` // units named by those shipments
	Chips     int     `json:"chips"` // inside them at the time, each once a shipment
	TPP       float64 `json:"tpp"`
	H100      float64 `json:"h100_equivalents"`
}

func (r *FlowRow) add(units, chips int, tpp, h100 float64) {
	r.Shipments++
	r.Units += units
	r.Chips += chips
	r.TPP += tpp
	r.H100 += h100
}

// ModelCount is a number of chips of one model.
type ModelCount struct {
	Model string  `json:"model"`
	Chips int     `json:"chips"`
	TPP   float64 `json:"tpp"`
	H100  float64 `json:"h100_equivalents"`
}

// InstalledBase is what the projection holds in a country now.
type InstalledBase struct {
	AsOf      time.Time    `json:"as_of"` // the ledger's latest event: holdings are kept for now only
	Codes     []string     `json:"codes"` // the country codes summed (an alias such as HK with CN)
	Units     int          `json:"units"`
	Chips     int          `json:"chips"`     // chips there now, each once
	Installed int          `json:"installed"` // of those, installed
	Received  int          `json:"received"`  // chips ever received there
	TPP       float64      `json:"tpp"`
	H100      float64      `json:"h100_equivalents"`
	ByModel   []ModelCount `json:"by_model"`
	Note      string       `json:"note"`
}

// CapYear is a country's TPP received in one year of the cap period,
// against the Jan 2025 country cap.
type CapYear struct {
	Year      int      `json:"year"`
	Shipments int      `json:"shipments"`
	Chips     int      `json:"chips"`
	TPP       float64  `json:"tpp"`
	Cap       float64  `json:"cap"`
	Share     float64  `json:"share"` // TPP / cap
	Above     bool     `json:"above"`
	Alerts    []string `json:"alerts,omitempty"` // R20 alerts on the country
}

// CapConsignee is what one consignee received in one year, against the
// per-customer figure of the Low Processing Performance exception.
type CapConsignee struct {
	Party     string   `json:"party"`
	Name      string   `json:"name,omitempty"`
	Year      int      `json:"year"`
	Shipments int      `json:"shipments"`
	Chips     int      `json:"chips"`
	TPP       float64  `json:"tpp"`
	H100      float64  `json:"h100_equivalents"`
	Limit     float64  `json:"limit"`
	Above     bool     `json:"above"`
	Alerts    []string `json:"alerts,omitempty"` // R20 alerts on the party
}

// CapsSection is the Jan 2025 AI diffusion framework's caps accounting
// (rule R20): information only, the rule was rescinded and never enforced.
type CapsSection struct {
	Framework string    `json:"framework"`
	Effective time.Time `json:"effective"`
	Until     time.Time `json:"until,omitzero"`
	Rescinded time.Time `json:"rescinded,omitzero"`
	Enforced  bool      `json:"enforced"`
	Source    string    `json:"source"`
	// Tier is the tier the framework gave the country on its first day in
	// force (1 allies, 2 everyone else, 3 D:5 and Macau).
	Tier       int            `json:"tier"`
	Capped     bool           `json:"capped"` // tier 2: the caps would have applied
	CapTPP     float64        `json:"cap_tpp_per_country"`
	LPP        float64        `json:"lpp_h100_per_customer"`
	FirstYear  int            `json:"first_year"`
	LastYear   int            `json:"last_year"`
	Years      []CapYear      `json:"years"`
	Consignees []CapConsignee `json:"consignees"`
	Note       string         `json:"note"`
}

// CountryReport is what crossed a country's borders, what it holds now
// and how it stands against the rescinded Jan 2025 caps.
type CountryReport struct {
	Basis           Basis         `json:"basis"`
	Country         string        `json:"country"`   // the EAR destination (HK is CN)
	Requested       string        `json:"requested"` // as asked
	Groups          []string      `json:"groups"`    // country groups at the as-of time
	Embargoed       bool          `json:"embargoed"`
	LicenceRequired bool          `json:"licence_required"`
	Hub             bool          `json:"hub"`
	Period          Period        `json:"period"`
	Inflows         []FlowRow     `json:"inflows"`  // by origin
	Outflows        []FlowRow     `json:"outflows"` // by destination
	InflowTotal     FlowRow       `json:"inflow_total"`
	OutflowTotal    FlowRow       `json:"outflow_total"`
	Installed       InstalledBase `json:"installed_base"`
	Caps            CapsSection   `json:"caps"`
	// Alerts are the open alerts about the country (Alert.Country).
	Alerts AlertSummary `json:"alerts"`
}

// Country builds the country report of cc: cross-border shipments into
// and out of it in the period (by EAR destination: Hong Kong counts as
// China), its installed base now, and the Jan 2025 caps accounting.
func Country(in Input, cc string, period Period) (*CountryReport, error) {
	if err := period.check(); err != nil {
		return nil, err
	}
	req := strings.ToUpper(strings.TrimSpace(cc))
	if len(req) != 2 || req[0] < 'A' || req[0] > 'Z' || req[1] < 'A' || req[1] > 'Z' {
		return nil, fmt.Errorf("%w: country %q: want a two-letter ISO code", ErrInvalid, cc)
	}
	e, basis, err := newEnv(in, KindCountry, req)
	if err != nil {
		return nil, err
	}
	ix, err := e.index()
	if err != nil {
		return nil, err
	}
	res := ix.resolve()
	ctl := e.controls(e.asOf)
	country := ctl.Country(req, e.asOf)
	rep := &CountryReport{Basis: *basis, Country: country, Requested: req, Groups: ctl.Groups(country, e.asOf),
		Embargoed: ctl.Embargoed(country, e.asOf), LicenceRequired: ctl.LicenceRequired(country, e.asOf), Hub: ctl.Hub(req, e.asOf),
		Period: period, Inflows: []FlowRow{}, Outflows: []FlowRow{}, InflowTotal: FlowRow{Partner: "all"}, OutflowTotal: FlowRow{Partner: "all"}}
	if rep.Groups == nil {
		rep.Groups = []string{}
	}
	rep.Basis.Subject = country

	d := ctl.Diffusion()
	caps := CapsSection{Framework: d.Name, Effective: d.Effective, Until: d.Until, Rescinded: d.Rescinded, Enforced: d.Enforced, Source: d.Source,
		CapTPP: d.CapTPPPerCountry, LPP: d.LPPH100PerCustomer, FirstYear: d.CapFirstYear, LastYear: d.CapLastYear,
		Years: []CapYear{}, Consignees: []CapConsignee{}}
	if t, ok := ctl.Tier(country, d.Effective); ok {
		caps.Tier = t
	}
	caps.Capped = caps.Tier == 2

	in_, out := map[string]*FlowRow{}, map[string]*FlowRow{}
	type ck struct {
		who  string
		year int
	}
	type capSum struct {
		shipments, chips int
		tpp, h100        float64
	}
	years := map[int]*capSum{}
	cons := map[ck]*capSum{}
	consHere := map[string]bool{} // consignees of shipments into the country
	codes := map[string]bool{req: true, country: true}
	for _, ev := range res.live {
		b, ok := ev.Body.(*events.Shipped)
		if !ok || ev.OccurredAt.After(e.asOf) {
			continue
		}
		t := ev.OccurredAt
		codes[b.From.Country], codes[b.To.Country] = true, true
		if !e.crossBorder(b, t) {
			continue
		}
		from, to := e.country(b.From.Country, t), e.country(b.To.Country, t)
		flow, capped := from == country || to == country, e.capUse(b, t)
		if !flow && !capped {
			continue
		}
		chips, _ := res.chips(ev)
		var tpp, h100 float64
		var capTPP, capH100 float64
		capChips := 0
		for _, c := range chips {
			f := e.chip(c)
			tpp += f.tpp
			h100 += f.h100
			if f.ok && f.h100 > 0 { // R20 counts catalogued chips
				capTPP += f.tpp
				capH100 += f.h100
				capChips++
			}
		}
		if period.contains(t) {
			if to == country {
				row := in_[from]
				if row == nil {
					row = &FlowRow{Partner: from}
					in_[from] = row
				}
				row.add(len(ev.Units), len(chips), tpp, h100)
				rep.InflowTotal.add(len(ev.Units), len(chips), tpp, h100)
			}
			if from == country {
				row := out[to]
				if row == nil {
					row = &FlowRow{Partner: to}
					out[to] = row
				}
				row.add(len(ev.Units), len(chips), tpp, h100)
				rep.OutflowTotal.add(len(ev.Units), len(chips), tpp, h100)
			}
		}
		if !capped {
			continue
		}
		y := t.Year()
		if to == country {
			s := years[y]
			if s == nil {
				s = &capSum{}
				years[y] = s
			}
			s.shipments++
			s.chips += capChips
			s.tpp += capTPP
			consHere[b.To.Party] = true
		}
		k := ck{b.To.Party, y}
		s := cons[k]
		if s == nil {
			s = &capSum{}
			cons[k] = s
		}
		s.shipments++
		s.chips += capChips
		s.tpp += capTPP
		s.h100 += capH100
	}
	for _, r := range slices.Sorted(maps.Keys(in_)) {
		rep.Inflows = append(rep.Inflows, *in_[r])
	}
	for _, r := range slices.Sorted(maps.Keys(out)) {
		rep.Outflows = append(rep.Outflows, *out[r])
	}

	// The caps, with the R20 alerts that cite them.
	r20 := map[string][]string{} // subject kind + id -> alert ids
	for _, a := range in.Alerts {
		if a.Rule == "R20" && openState(a.State) {
			k := a.SubjectKind + ":" + a.Subject
			r20[k] = append(r20[k], a.ID)
		}
	}
	for y := caps.FirstYear; y <= caps.LastYear && caps.FirstYear > 0; y++ {
		cy := CapYear{Year: y, Cap: caps.CapTPP}
		if s := years[y]; s != nil {
			cy.Shipments, cy.Chips, cy.TPP = s.shipments, s.chips, s.tpp
		}
		if cy.Cap > 0 {
			cy.Share = cy.TPP / cy.Cap
		}
		cy.Above = cy.TPP > cy.Cap
		if cy.Above {
			cy.Alerts = r20[alerts.KindCountry+":"+country]
		}
		caps.Years = append(caps.Years, cy)
	}
	for k, s := range cons {
		if !consHere[k.who] || k.who == "" {
			continue
		}
		cc := CapConsignee{Party: k.who, Name: e.partyName(k.who), Year: k.year, Shipments: s.shipments, Chips: s.chips, TPP: s.tpp, H100: s.h100,
			Limit: caps.LPP, Above: s.h100 > caps.LPP}
		if cc.Above {
			cc.Alerts = r20[alerts.KindParty+":"+k.who]
		}
		caps.Consignees = append(caps.Consignees, cc)
	}
	slices.SortFunc(caps.Consignees, func(a, b CapConsignee) int {
		return cmp.Or(cmp.Compare(b.H100, a.H100), cmp.Compare(a.Party, b.Party), cmp.Compare(a.Year, b.Year))
	})
	caps.Note = fmt.Sprintf("Information only: the %s was in force from %s%s and never enforced; its caps are reported for accounting (rule R20). "+
		"Counted: cross-border shipments of catalogued chips into countries neither embargoed nor in tier 1, each chip once per shipment, by the year of the shipment; "+
		"a consignee's figure sums what it received in every such country.", cmp.Or(d.Name, "Jan 2025 framework"), day(d.Effective), rescission(d.Until, d.Rescinded))
	switch {
	case caps.Tier == 0:
		caps.Note += " The framework gave this country no tier."
	case caps.Tier != 2:
		caps.Note += fmt.Sprintf(" The framework put %s in tier %d: no country cap would have applied.", country, caps.Tier)
	}
	rep.Caps = caps

	// The installed base now, over every code that stands for the country.
	var ib InstalledBase
	ib.AsOf, ib.Note = e.p.Now(), "Holdings are the projection's at the ledger's latest event; the projection keeps no past holdings, so the installed base is not moved back to the as-of time."
	models := map[string]*ModelCount{}
	for _, c := range slices.Sorted(maps.Keys(codes)) {
		if c == "" || ctl.Country(c, e.asOf) != country {
			continue
		}
		h, err := e.p.Holdings(e.src, projections.ByCountry, c)
		if err != nil {
			return nil, err
		}
		if h.Units == 0 && h.Received == 0 && c != req && c != country {
			continue
		}
		ib.Codes = append(ib.Codes, c)
		ib.Units += h.Units
		ib.Chips += h.Chips
		ib.Installed += h.Installed
		ib.Received += h.Received
		for m, n := range h.ByModel {
			mc := models[m]
			if mc == nil {
				mc = &ModelCount{Model: m}
				models[m] = mc
			}
			mc.Chips += n
		}
	}
	for _, m := range slices.Sorted(maps.Keys(models)) {
		mc := models[m]
		if ch, ok := e.cat.Lookup(m); ok {
			mc.TPP, mc.H100 = float64(mc.Chips)*ch.TPP, float64(mc.Chips)*ch.H100Equivalents
		}
		ib.TPP += mc.TPP
		ib.H100 += mc.H100
		ib.ByModel = append(ib.ByModel, *mc)
	}
	if ib.ByModel == nil {
		ib.ByModel = []ModelCount{}
	}
	rep.Installed = ib

	rep.Alerts = summarise(in.Alerts, func(a *alerts.Alert) bool {
		return a.Country == country || (a.SubjectKind == alerts.KindCountry && a.Subject == country)
	})
	return rep, nil
}

// capUse reports whether a cross-border shipment counts towards the Jan
// 2025 caps, as rule R20 counts it: into a country neither embargoed nor
// in tier 1, in a year of the cap period.
func (e *env) capUse(b *events.Shipped, t time.Time) bool {
	ctl := e.controls(t)
	d := ctl.Diffusion()
	if ctl.Embargoed(b.To.Country, t) || slices.Contains(d.Tier1, ctl.Country(b.To.Country, t)) {
		return false
	}
	y := t.Year()
	return y >= d.CapFirstYear && y <= d.CapLastYear
}

func rescission(until, rescinded time.Time) string {
	switch {
	case !rescinded.IsZero():
		return " until its rescission on " + day(rescinded)
	case !until.IsZero():
		return " until " + day(until)
	}
	return ""
}
