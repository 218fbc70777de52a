package alerts

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/chipledger/chipledger/events"
)

// meta is a rule's fixed description.
type meta struct {
	title    string
	severity string
}

// ruleMeta lists the rules of docs/detection.md (the domain brief's
// table): R20 is an informational cap-accounting finding.
var ruleMeta = map[string]meta{
	"R1":  {"embargoed destination", SeverityCritical},
	"R2":  {"licence required, none recorded", SeverityHigh},
	"R3":  {"D:5-headquartered party", SeverityCritical},
	"R4":  {"restricted party", SeverityCritical},
	"R5":  {"forwarder as end user", SeverityHigh},
	"R6":  {"payer differs from consignee", SeverityHigh},
	"R7":  {"hub re-export after short dwell", SeverityHigh},
	"R8":  {"gone dark", SeverityHigh},
	"R9":  {"location mismatch", SeverityCritical},
	"R10": {"serial integrity", SeverityCritical},
	"R11": {"description mismatch", SeverityHigh},
	"R12": {"capacity mismatch", SeverityHigh},
	"R13": {"new or thin customer", SeverityMedium},
	"R14": {"order splitting", SeverityMedium},
	"R15": {"remote access for D:5", SeverityHigh},
	"R16": {"rapid resale chain", SeverityMedium},
	"R17": {"China H200 quota", SeverityHigh},
	"R18": {"Malaysia permit missing", SeverityMedium},
	"R19": {"return or destroy anomaly", SeverityMedium},
	"R20": {"cap accounting", SeverityInfo},
	"R21": {"licence use", SeverityHigh},
	"R22": {"backdating", SeverityMedium},
}

// Rules returns the rule ids with their titles and default severities.
func Rules() map[string][2]string {
	out := make(map[string][2]string, len(ruleMeta))
	for id, m := range ruleMeta {
		out[id] = [2]string{m.title, m.severity}
	}
	return out
}

// unitRules judge one unit's custody chain. R12, R14 and R20 are
// aggregate rules (aggregate.go); R17's quota and R21's quantity are
// aggregate parts of chain rules.
var unitRules = []func(*judge, *view) []finding{
	r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r13, r15, r16, r17, r18, r19, r21, r22,
}

func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

func (v *view) find(i int, rule, text, fact, country string) finding {
	r := &v.recs[i]
	return finding{rule: rule, text: text, fact: fact, country: country, at: r.OccurredAt, ev: []Evidence{v.evidence(i)}}
}

// crossBorder reports whether shipment b leaves one EAR destination for
// another on day t: any border crossing is an export.
func (j *judge) crossBorder(b *events.Shipped, t time.Time) bool {
	return !j.sameCountry(b.From.Country, b.To.Country, t)
}

// R1: a custody hop (shipment to or via, receipt, install, attestation)
// in D:5 or Macau without a licence valid for that destination.
func r1(j *judge, v *view) []finding {
	var fs []finding
	licensed := "" // the destination a valid licence took the unit into
	for i := range v.recs {
		r := &v.recs[i]
		t := r.OccurredAt
		c := j.controls(t)
		var places []string
		verb := ""
		switch b := r.Event.Body.(type) {
		case *events.Shipped:
			if b.Licence != "" && j.licenceProblem(b.Licence, t, b.To.Country, "") == "" {
				licensed = c.Country(b.To.Country, t)
			} else if j.crossBorder(b, t) && c.Country(b.To.Country, t) != licensed {
				licensed = ""
			}
			places, verb = append(slices.Clone(b.Via), b.To.Country), "shipped to or via"
		case *events.ExportDeclared:
			if b.Licence != "" && j.licenceProblem(b.Licence, t, b.DestinationCountry, "") == "" {
				licensed = c.Country(b.DestinationCountry, t)
			}
		case *events.Received:
			places, verb = []string{b.At.Country}, "received in"
		case *events.Installed:
			places, verb = []string{b.Country}, "installed in"
		case *events.LocationAttested:
			places, verb = []string{b.Country}, "attested in"
		}
		for _, pl := range places {
			if !c.Embargoed(pl, t) || c.Country(pl, t) == licensed || !j.controlled(v, t) {
				continue
			}
			f := v.find(i, "R1", fmt.Sprintf("%s %s %s on %s (D:5 or Macau) with no licence valid for that destination",
				v.id, verb, pl, day(t)), c.Source("requirement:ac2023-d5-macau"), pl)
			f.lift = r.Direct && r.Type == events.TypeLocationAttested
			fs = append(fs, f)
			break
		}
	}
	return fs
}

// R2: an export into a D:1/D:4 country outside A:5/A:6 with no licence,
// NAC or ACA. A shipment citing a licence, even the wrong one, is R21's.
func r2(j *judge, v *view) []finding {
	var fs []finding
	covered := func(dest string, t time.Time) bool {
		for k := range v.recs {
			if e, ok := v.recs[k].Event.Body.(*events.ExportDeclared); ok && j.sameCountry(e.DestinationCountry, dest, t) &&
				v.recs[k].OccurredAt.Sub(t).Abs() <= 30*24*time.Hour &&
				(e.Licence != "" || j.controls(t).Exception(e.LicenceException, t)) {
				return true
			}
		}
		return false
	}
	for i := range v.recs {
		r := &v.recs[i]
		t := r.OccurredAt
		c := j.controls(t)
		dest, licence, exc := "", "", ""
		switch b := r.Event.Body.(type) {
		case *events.Shipped:
			if !j.crossBorder(b, t) {
				continue
			}
			dest, licence, exc = b.To.Country, b.Licence, b.LicenceException
			if covered(dest, t) {
				continue
			}
		case *events.ExportDeclared:
			dest, licence, exc = b.DestinationCountry, b.Licence, b.LicenceException
		default:
			continue
		}
		if licence != "" || c.Exception(exc, t) || !c.LicenceRequired(dest, t) || !j.controlled(v, t) {
			continue
		}
		what := "no licence"
		if exc != "" {
			what = "only " + exc + ", which is not a licence or a licence exception for it"
		}
		fs = append(fs, v.find(i, "R2", fmt.Sprintf("%s exported to %s on %s with %s (%s needs a licence: D:1/D:4, not A:5/A:6)",
			v.id, dest, day(t), what, dest), c.Source("requirement:ac2023-d1-d4"), dest))
	}
	return fs
}

// licensedEndUser reports whether a licence cited in the unit's chain,
// valid on day t, names party as its end user.
func (j *judge) licensedEndUser(v *view, party string, t time.Time) bool {
	for i := range v.recs {
		n := ""
		switch b := v.recs[i].Event.Body.(type) {
		case *events.Shipped:
			n = b.Licence
		case *events.ExportDeclared:
			n = b.Licence
		}
		if n != "" {
			if l := j.licence(n); l != nil && l.EndUser == party && j.licenceProblem(n, t, "", "") == "" {
				return true
			}
		}
	}
	return false
}

type role struct{ party, as string }

// roles are the parties an event names with their roles in it.
func roles(ev events.Event) []role {
	var out []role
	add := func(p, as string) {
		if p != "" {
			out = append(out, role{p, as})
		}
	}
	switch b := ev.Body.(type) {
	case *events.OwnershipTransferred:
		add(b.Buyer, "buyer")
		add(b.Seller, "seller")
		add(b.Payer, "payer")
	case *events.Shipped:
		add(b.To.Party, "consignee")
		add(b.FinalConsignee, "final consignee")
		add(b.DeclaredEndUser, "declared end user")
		add(b.From.Party, "shipper")
		add(b.Carrier, "carrier")
		add(b.Transaction.Payer, "payer")
	case *events.ExportDeclared:
		add(b.EndUser, "end user")
		add(b.Exporter, "exporter")
	case *events.Received:
		add(b.At.Party, "receiver")
	case *events.Installed:
		add(b.Tenant, "tenant")
	case *events.Returned:
		add(b.From, "returner")
		add(b.To, "return recipient")
	}
	return out
}

// R3: a buyer, consignee, end user or tenant headquartered (itself or its
// ultimate parent) in D:5 or Macau, unless a valid licence names it.
func r3(j *judge, v *view) []finding {
	var fs []finding
	judged := map[string]bool{}
	for i := range v.recs {
		r := &v.recs[i]
		t := r.OccurredAt
		for _, ro := range roles(r.Event) {
			switch ro.as {
			case "buyer", "consignee", "final consignee", "declared end user", "end user", "tenant":
			default:
				continue
			}
			if judged[ro.party] {
				continue
			}
			hq, bad := j.restrictedHQ(ro.party, t)
			if !bad || !j.controlled(v, t) || j.licensedEndUser(v, ro.party, t) {
				continue
			}
			judged[ro.party] = true
			fs = append(fs, v.find(i, "R3", fmt.Sprintf("%s has %s %s headquartered in %s (D:5 or Macau) on %s, with no licence naming it",
				v.id, ro.as, ro.party, hq, day(t)), j.controls(t).Source("requirement:ac2023-hq"), hq[:2]))
		}
	}
	return fs
}

// screenHit is one party's screening result against one list.
type screenHit struct {
	exact       bool
	name, entry string
	score       float64
	list        string
}

func (j *judge) list(t time.Time) *listVersion {
	ls := j.d.lists
	if len(ls) == 0 {
		return nil
	}
	best := &ls[0]
	for i := range ls {
		if !ls[i].eff.After(t) {
			best = &ls[i]
		}
	}
	return best
}

// screenParty screens a party's name (and its ultimate parent's) against
// list lv, once per list and party.
func (j *judge) screenParty(lv *listVersion, id string) []screenHit {
	k := lv.cite.Digest + "\x00" + id
	if h, ok := j.d.screen[k]; ok {
		return h
	}
	if h, ok := j.screen[k]; ok && j.screen != nil {
		return h
	}
	var out []screenHit
	pa := j.party(id)
	if pa != nil {
		for _, m := range lv.l.Screen(pa.Name, pa.Country) {
			out = append(out, screenHit{exact: m.Kind == "exact", name: pa.Name, entry: m.Name, score: m.Score, list: m.Entry.Source})
		}
		if pp := j.party(pa.UltimateParent); pp != nil && pa.UltimateParent != id {
			for _, m := range lv.l.Screen(pp.Name, pp.Country) {
				// An affiliate of a listed party: high, never critical.
				out = append(out, screenHit{name: pp.Name + " (ultimate parent of " + id + ")", entry: m.Name, score: m.Score, list: m.Entry.Source})
			}
		}
	}
	if j.screen != nil {
		j.screen[k] = out
	} else {
		j.d.screen[k] = out
	}
	return out
}

// R4: a party matches the screening list in force: exact critical, fuzzy
// or affiliate high.
func r4(j *judge, v *view) []finding {
	var fs []finding
	judged := map[string]bool{}
	for i := range v.recs {
		r := &v.recs[i]
		t := r.OccurredAt
		lv := j.list(t)
		if lv == nil {
			return nil
		}
		for _, ro := range roles(r.Event) {
			if judged[ro.party] {
				continue
			}
			judged[ro.party] = true
			hits := j.screenParty(lv, ro.party)
			if len(hits) == 0 || !j.controlled(v, t) {
				continue
			}
			h := hits[0]
			sev, kind := SeverityHigh, fmt.Sprintf("fuzzy match (score %.2f)", h.score)
			if h.exact {
				sev, kind = SeverityCritical, "exact match"
			}
			cite := lv.cite
			f := v.find(i, "R4", fmt.Sprintf("%s's %s %s (%q) is an %s of %q on the screening list (%s)",
				v.id, ro.as, ro.party, h.name, kind, h.entry, h.list), "screening list "+lv.cite.Name+" "+lv.cite.Version, "")
			if pa := j.party(ro.party); pa != nil {
				f.country = pa.Country
			}
			f.severity, f.screen = sev, &cite
			fs = append(fs, f)
		}
	}
	return fs
}

var r5Types = []string{events.PartyFreightForwarder, events.PartyTradingCompany, events.PartyBank}

// R5: the declared end user or final consignee is a freight forwarder,
// trading company or bank, or the goods go to a free-trade-zone site.
func r5(j *judge, v *view) []finding {
	var fs []finding
	for i := range v.recs {
		r := &v.recs[i]
		t := r.OccurredAt
		var check []role
		switch b := r.Event.Body.(type) {
		case *events.Shipped:
			check = []role{{b.DeclaredEndUser, "declared end user"}, {b.FinalConsignee, "final consignee"}}
			if s := j.site(b.To.Site); s != nil && s.Kind == events.SiteFreeTradeZone && j.controlled(v, t) {
				fs = append(fs, v.find(i, "R5", fmt.Sprintf("%s shipped on %s to %s, a free-trade-zone site in %s", v.id, day(t), s.Site, s.Country),
					"domain brief R5 (BIS red flags)", s.Country))
				continue
			}
		case *events.ExportDeclared:
			check = []role{{b.EndUser, "declared end user"}}
		}
		for _, ro := range check {
			if ty, ok := j.hasType(ro.party, r5Types...); ok && j.controlled(v, t) {
				fs = append(fs, v.find(i, "R5", fmt.Sprintf("%s's %s on %s is %s, a %s", v.id, ro.as, day(t), ro.party, strings.ReplaceAll(ty, "_", " ")),
					"domain brief R5 (BIS red flags: a freight forwarder or trading company as end user)", ""))
				break
			}
		}
	}
	return fs
}

// R6: a sale's or a shipment's payer is another party than the buyer or
// consignee.
func r6(j *judge, v *view) []finding {
	var fs []finding
	for i := range v.recs {
		r := &v.recs[i]
		t := r.OccurredAt
		payer, who := "", ""
		switch b := r.Event.Body.(type) {
		case *events.OwnershipTransferred:
			if b.Payer != "" && b.Payer != b.Buyer {
				payer, who = b.Payer, "buyer "+b.Buyer
			}
		case *events.Shipped:
			if p := b.Transaction.Payer; p != "" && p != b.To.Party && p != b.FinalConsignee {
				payer, who = p, "consignee "+b.To.Party
			}
		}
		if payer == "" || !j.controlled(v, t) {
			continue
		}
		where := ""
		if pa := j.party(payer); pa != nil {
			where = pa.Country
		}
		fs = append(fs, v.find(i, "R6", fmt.Sprintf("%s: paid on %s by %s (%s), not by the %s", v.id, day(t), payer, cmpOr(where, "country unknown"), who),
			"domain brief R6 (BIS red flags: payment from a third party, above all in CN/HK/MO)", where))
	}
	return fs
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// installedAfter reports whether the unit is installed after record i: an
// install in its chain, or it sits in a container that is installed now.
func (j *judge) installedAfter(v *view, i int) bool {
	for k := i + 1; k < len(v.recs); k++ {
		if v.recs[k].Type == events.TypeInstalled {
			return true
		}
	}
	if v.st.Container != "" {
		if cs, err := j.p.Unit(j.src, v.st.Container); err == nil && cs.Status == "installed" {
			return true
		}
	}
	return false
}

// endedAfter reports whether the unit was returned, destroyed or lost
// after record i.
func endedAfter(v *view, i int) bool {
	for k := i + 1; k < len(v.recs); k++ {
		switch v.recs[k].Type {
		case events.TypeReturned, events.TypeDestroyed, events.TypeReportedLost:
			return true
		}
	}
	return false
}

// R7: received in a hub and shipped across a border within the hub-dwell
// threshold, or received in a hub and never installed.
func r7(j *judge, v *view) []finding {
	var fs []finding
	for i := range v.recs {
		rc, ok := v.recs[i].Event.Body.(*events.Received)
		if !ok {
			continue
		}
		t := v.recs[i].OccurredAt
		c, th := j.controls(t), j.th(t)
		if !c.Hub(rc.At.Country, t) || !j.controlled(v, t) {
			continue
		}
		if s := j.site(rc.At.Site); s != nil && s.Kind == events.SiteFactory {
			continue // a factory keeps what it manufactures with
		}
		dwell := time.Duration(th.HubDwellDays) * 24 * time.Hour
		moved := false
		for k := i + 1; k < len(v.recs); k++ {
			sh, ok := v.recs[k].Event.Body.(*events.Shipped)
			if !ok || !j.crossBorder(sh, v.recs[k].OccurredAt) {
				continue
			}
			moved = true
			if d := v.recs[k].OccurredAt.Sub(t); d <= dwell {
				f := v.find(i, "R7", fmt.Sprintf("%s received in %s (a transshipment hub) on %s and shipped on to %s %.1f days later (threshold %d days)",
					v.id, rc.At.Country, day(t), sh.To.Country, d.Hours()/24, th.HubDwellDays), th.Sources["hub_dwell_days"], rc.At.Country)
				f.ev = append(f.ev, v.evidence(k))
				fs = append(fs, f)
			}
			break
		}
		deadline := time.Duration(th.InstallDeadlineDays) * 24 * time.Hour
		if !moved && !j.installedAfter(v, i) && !endedAfter(v, i) && j.now.Sub(t) > deadline {
			fs = append(fs, v.find(i, "R7", fmt.Sprintf("%s received in %s (a transshipment hub) on %s and never installed there",
				v.id, rc.At.Country, day(t)), th.Sources["hub_dwell_days"], rc.At.Country))
		}
	}
	return fs
}

// R8: the last export or receipt not followed by an install within the
// deadline, or an installed unit's attestations stop for longer than the
// gap threshold.
func r8(j *judge, v *view) []finding {
	last := -1
	for i := range v.recs {
		switch v.recs[i].Type {
		case events.TypeShipped, events.TypeReceived:
			last = i
		}
	}
	var fs []finding
	if last >= 0 {
		if rc, ok := v.recs[last].Event.Body.(*events.Received); ok {
			if s := j.site(rc.At.Site); s != nil && s.Kind == events.SiteFactory {
				last = -1 // in manufacturing: the factory's next shipment starts the clock
			}
		}
	}
	if last >= 0 {
		t := v.recs[last].OccurredAt
		th := j.th(t)
		deadline := time.Duration(th.InstallDeadlineDays) * 24 * time.Hour
		if !j.installedAfter(v, last) && !endedAfter(v, last) && j.now.Sub(t) > deadline && j.controlled(v, t) {
			fs = append(fs, v.find(last, "R8", fmt.Sprintf("%s: last %s on %s, no install in the %d days since (deadline %d days)",
				v.id, strings.TrimSuffix(strings.TrimPrefix(v.recs[last].Type, "unit."), ".v1"), day(t), int(j.now.Sub(t).Hours()/24), th.InstallDeadlineDays),
				th.Sources["install_deadline_days"], ""))
		}
	}
	// Attestation gaps since the last install, while installed.
	inst := -1
	for i := range v.recs {
		switch v.recs[i].Type {
		case events.TypeInstalled:
			inst = i
		case events.TypeShipped, events.TypeReturned, events.TypeDestroyed, events.TypeReportedLost:
			inst = -1
		case events.TypeAssembled, events.TypePacked:
			if v.recs[i].Direct && len(v.recs[i].Event.Subjects()) > 0 && v.recs[i].Event.Subjects()[0] != v.id {
				inst = -1 // put into another container: R10 says what that means
			}
		}
	}
	if inst < 0 {
		return fs
	}
	th := j.th(v.recs[inst].OccurredAt)
	gap := time.Duration(th.AttestationGapDays) * 24 * time.Hour
	prev := inst
	check := func(k int, until time.Time) bool {
		if d := until.Sub(v.recs[prev].OccurredAt); d > gap && j.controlled(v, v.recs[prev].OccurredAt) {
			f := v.find(prev, "R8", fmt.Sprintf("%s: installed, but no location attestation for %d days after %s (threshold %d days)",
				v.id, int(d.Hours()/24), day(v.recs[prev].OccurredAt), th.AttestationGapDays), th.Sources["attestation_gap_days"], "")
			if k >= 0 {
				f.ev = append(f.ev, v.evidence(k))
			}
			fs = append(fs, f)
			return true
		}
		return false
	}
	for k := inst + 1; k < len(v.recs); k++ {
		if v.recs[k].Type != events.TypeLocationAttested {
			continue
		}
		if check(k, v.recs[k].OccurredAt) {
			return fs
		}
		prev = k
	}
	check(-1, j.now)
	return fs
}

// R9: an attestation in another country than the install, or two
// consecutive attestations farther apart than the impossible-travel speed.
func r9(j *judge, v *view) []finding {
	var fs []finding
	installed := ""
	prev := -1
	for i := range v.recs {
		r := &v.recs[i]
		t := r.OccurredAt
		switch b := r.Event.Body.(type) {
		case *events.Installed:
			installed = b.Country
		case *events.Shipped, *events.Returned, *events.Destroyed, *events.ReportedLost:
			installed = ""
		case *events.LocationAttested:
			if !j.controlled(v, t) {
				continue
			}
			if installed != "" && !j.sameCountry(installed, b.Country, t) {
				f := v.find(i, "R9", fmt.Sprintf("%s attested in %s on %s while installed in %s", v.id, b.Country, day(t), installed),
					"domain brief R9 (attested country differs from the installed country)", b.Country)
				f.lift = r.Direct
				fs = append(fs, f)
			}
			if prev >= 0 && b.Lat != nil && b.Lon != nil {
				pb := v.recs[prev].Event.Body.(*events.LocationAttested)
				km := haversine(*pb.Lat, *pb.Lon, *b.Lat, *b.Lon)
				hours := t.Sub(v.recs[prev].OccurredAt).Hours()
				kmh := j.th(t).ImpossibleTravelKMH
				if km > 50 && (hours <= 0 || km/hours > kmh) {
					f := v.find(prev, "R9", fmt.Sprintf("%s attested in %s and %.0f km away in %s %.1f hours later (over %.0f km/h)",
						v.id, pb.Country, km, b.Country, hours, kmh), j.th(t).Sources["impossible_travel_kmh"], b.Country)
					f.ev = append(f.ev, v.evidence(i))
					fs = append(fs, f)
				}
			}
			if b.Lat != nil && b.Lon != nil {
				prev = i
			}
		}
	}
	return fs
}

func haversine(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371.0
	rad := math.Pi / 180
	dlat, dlon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(a)))
}

// R10: a unit never commissioned, any event after its destruction, a
// second container while still in the first, or the unit and its
// container attested in two countries at once.
func r10(j *judge, v *view) []finding {
	var fs []finding
	const fact = "domain brief R10 (serial integrity)"
	if !v.commissioned && len(v.recs) > 0 {
		fs = append(fs, v.find(0, "R10", fmt.Sprintf("%s was never commissioned: an unknown serial", v.id), fact, ""))
	}
	destroyed := -1
	container := events.UnitID("")
	lastDirect, lastVia := -1, -1
	for i := range v.recs {
		r := &v.recs[i]
		if destroyed >= 0 {
			f := v.find(i, "R10", fmt.Sprintf("%s: %s on %s after its destruction on %s", v.id, r.Type, day(r.OccurredAt), day(v.recs[destroyed].OccurredAt)), fact, "")
			f.ev = append(f.ev, v.evidence(destroyed))
			fs = append(fs, f)
			break
		}
		switch b := r.Event.Body.(type) {
		case *events.Destroyed:
			if r.Direct {
				destroyed = i
			}
		case *events.Assembled:
			container = v.enter(j, &fs, i, container, b.Parent, b.Children)
		case *events.Packed:
			container = v.enter(j, &fs, i, container, b.Parent, b.Children)
		case *events.Disassembled:
			if b.Parent == container && slices.Contains(b.Children, v.id) {
				container = ""
			}
		case *events.Unpacked:
			if b.Parent == container && slices.Contains(b.Children, v.id) {
				container = ""
			}
		case *events.LocationAttested:
			other := lastVia
			if r.Direct {
				lastDirect = i
			} else {
				other, lastVia = lastDirect, i
			}
			if other >= 0 {
				o := &v.recs[other]
				ob := o.Event.Body.(*events.LocationAttested)
				if r.OccurredAt.Sub(o.OccurredAt).Abs() <= 24*time.Hour && !j.sameCountry(ob.Country, b.Country, r.OccurredAt) {
					f := v.find(other, "R10", fmt.Sprintf("%s attested in %s and, through %s, in %s within a day: in two places at once",
						v.id, ob.Country, cmpOr(string(r.Via), string(o.Via)), b.Country), fact, b.Country)
					f.ev = append(f.ev, v.evidence(i))
					f.lift = true
					fs = append(fs, f)
				}
			}
		}
	}
	if len(fs) > 0 && !j.controlled(v, fs[0].at) {
		return nil
	}
	return fs
}

// enter handles a containment start at record i that names the unit as a
// child: a second container while it is still in another is R10.
func (v *view) enter(j *judge, fs *[]finding, i int, cur, parent events.UnitID, children []events.UnitID) events.UnitID {
	if !v.recs[i].Direct || parent == v.id || !slices.Contains(children, v.id) {
		return cur
	}
	if cur != "" && cur != parent {
		f := v.find(i, "R10", fmt.Sprintf("%s put into %s on %s while still inside %s", v.id, parent, day(v.recs[i].OccurredAt), cur),
			"domain brief R10 (a chip seen in another chassis than it was assembled into)", "")
		f.lift = true
		*fs = append(*fs, f)
	}
	return parent
}

var vendorNames = []string{"nvidia", "amd", "intel"}

// R11: declared goods or ECCN that do not fit the catalogued part.
func r11(j *judge, v *view) []finding {
	if !v.commissioned {
		return nil // an unknown serial resolves to no part (R10)
	}
	var fs []finding
	for i := range v.recs {
		r := &v.recs[i]
		t := r.OccurredAt
		desc, eccn := "", ""
		switch b := r.Event.Body.(type) {
		case *events.Shipped:
			desc, eccn = b.GoodsDescription, b.DeclaredECCN
		case *events.ExportDeclared:
			desc, eccn = b.GoodsDescription, b.ECCN
		default:
			continue
		}
		if !j.controlled(v, t) {
			continue
		}
		why := ""
		ld := strings.ToLower(desc)
		switch {
		case eccn != "" && !strings.HasPrefix(eccn, "3A090") && !strings.HasPrefix(eccn, "4A090"):
			why = "declared " + eccn + " while the part is " + v.st.ECCN
		case strings.Contains(ld, "generic") || strings.Contains(ld, "computer parts"):
			why = fmt.Sprintf("declared as %q while the part is %s %s", desc, v.st.ECCN, v.st.Model)
		default:
			for _, vn := range vendorNames {
				if len(v.vendors) > 0 && !v.vendors[vn] && containsWord(ld, vn) {
					why = fmt.Sprintf("declared as %q, another brand than the part's", desc)
					break
				}
			}
		}
		if why != "" {
			fs = append(fs, v.find(i, "R11", fmt.Sprintf("%s %s on %s: %s", v.id, strings.TrimSuffix(strings.TrimPrefix(r.Type, "unit."), ".v1"), day(t), why),
				j.pol(t).b.Catalogue.Source(), ""))
		}
	}
	return fs
}

func containsWord(s, w string) bool {
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') }) {
		if f == w {
			return true
		}
	}
	return false
}

// misfitLines are business lines that do not fit a buyer of data-center
// accelerators (Janford Realtor: a real-estate company).
var misfitLines = []string{"real estate", "realtor", "property", "restaurant", "catering", "apparel", "textile", "furniture",
	"travel", "cosmetic", "seafood", "jewel", "agricultur", "beauty", "fashion", "tourism"}

// R13: a buyer incorporated after the Oct 2022 rule, or one whose business
// line does not fit.
func r13(j *judge, v *view) []finding {
	var fs []finding
	judged := map[string]bool{}
	for i := range v.recs {
		o, ok := v.recs[i].Event.Body.(*events.OwnershipTransferred)
		if !ok || judged[o.Buyer] {
			continue
		}
		judged[o.Buyer] = true
		t := v.recs[i].OccurredAt
		pa := j.party(o.Buyer)
		if pa == nil || !j.controlled(v, t) {
			continue
		}
		th := j.th(t)
		why, fact := "", ""
		if pa.Incorporated != "" && pa.Incorporated > th.NewCustomerAfter {
			why, fact = "incorporated on "+string(pa.Incorporated)+", after "+string(th.NewCustomerAfter), th.Sources["new_customer_incorporated_after"]
		} else {
			bl := strings.ToLower(pa.BusinessLine)
			for _, m := range misfitLines {
				if strings.Contains(bl, m) {
					why, fact = "whose business line is "+pa.BusinessLine, "domain brief R13 (business line does not fit)"
					break
				}
			}
		}
		if why != "" {
			fs = append(fs, v.find(i, "R13", fmt.Sprintf("%s bought on %s by %s, %s", v.id, day(t), o.Buyer, why), fact, pa.Country))
		}
	}
	return fs
}

// R15: installed in a data center for a tenant headquartered in D:5 or
// Macau.
func r15(j *judge, v *view) []finding {
	var fs []finding
	for i := range v.recs {
		in, ok := v.recs[i].Event.Body.(*events.Installed)
		if !ok || in.Tenant == "" {
			continue
		}
		t := v.recs[i].OccurredAt
		if hq, bad := j.restrictedHQ(in.Tenant, t); bad && j.controlled(v, t) {
			fs = append(fs, v.find(i, "R15", fmt.Sprintf("%s installed at %s (%s) on %s for tenant %s, headquartered in %s", v.id, in.Site, in.Country, day(t), in.Tenant, hq),
				j.controls(t).Source("requirement:ac2023-hq"), hq[:2]))
		}
	}
	return fs
}

// R16: three or more sales across two or more countries within the window
// before any install.
func r16(j *judge, v *view) []finding {
	var sales []int
	for i := range v.recs {
		if v.recs[i].Type == events.TypeInstalled {
			break
		}
		if v.recs[i].Type == events.TypeOwnershipTransferred {
			sales = append(sales, i)
		}
	}
	if len(sales) == 0 {
		return nil
	}
	th := j.th(v.recs[sales[0]].OccurredAt)
	win := time.Duration(th.RapidResaleWindowDays) * 24 * time.Hour
	for a := range sales {
		countries := map[string]bool{}
		n := 0
		var ev []Evidence
		for b := a; b < len(sales) && v.recs[sales[b]].OccurredAt.Sub(v.recs[sales[a]].OccurredAt) <= win; b++ {
			o := v.recs[sales[b]].Event.Body.(*events.OwnershipTransferred)
			for _, p := range []string{o.Seller, o.Buyer} {
				if pa := j.party(p); pa != nil {
					countries[j.controls(v.recs[sales[b]].OccurredAt).Country(pa.Country, v.recs[sales[b]].OccurredAt)] = true
				}
			}
			n++
			ev = append(ev, v.evidence(sales[b]))
		}
		t := v.recs[sales[a]].OccurredAt
		if n >= th.RapidResaleMinSales && len(countries) >= th.RapidResaleMinCountries && j.controlled(v, t) {
			f := v.find(sales[a], "R16", fmt.Sprintf("%s sold %d times across %d countries within %d days from %s, before any install",
				v.id, n, len(countries), th.RapidResaleWindowDays, day(t)), th.Sources["rapid_resale_window_days"], "")
			f.ev = ev
			return []finding{f}
		}
	}
	return nil
}

// chinaExport returns the records of exports into China or Macau under
// the case-by-case regime (a valid licence, on or after its date) of a
// unit of the eligible class.
func (j *judge) chinaExports(v *view) []int {
	var out []int
	for i := range v.recs {
		sh, ok := v.recs[i].Event.Body.(*events.Shipped)
		if !ok || sh.Licence == "" {
			continue
		}
		t := v.recs[i].OccurredAt
		c := j.controls(t)
		reg, ok := c.ChinaCaseByCase(t)
		if !ok || !j.crossBorder(sh, t) || (c.Country(sh.To.Country, t) != "CN" && c.Country(sh.To.Country, t) != "MO") {
			continue
		}
		if j.licenceProblem(sh.Licence, t, sh.To.Country, "") != "" || !j.classEligible(v, reg) {
			continue
		}
		out = append(out, i)
	}
	return out
}

func (j *judge) classEligible(v *view, reg interface{ Eligible(float64, float64) bool }) bool {
	cat := j.pol(j.now).b.Catalogue
	if v.kind == events.KindChip {
		return v.catalogued && v.chip.TPP > 0 && reg.Eligible(v.chip.TPP, 0)
	}
	if len(v.models) == 0 {
		return false
	}
	for m := range v.models {
		ch, ok := cat.Lookup(m)
		if !ok || !reg.Eligible(ch.TPP, 0) {
			return false
		}
	}
	return true
}

// R17 (chain part): an H200-class export to China under the 2026 regime
// without a passing third-party lab test of every chip, or not from the US.
func r17(j *judge, v *view) []finding {
	xs := j.chinaExports(v)
	if len(xs) == 0 {
		return nil
	}
	i := xs[0]
	t := v.recs[i].OccurredAt
	reg, _ := j.controls(t).ChinaCaseByCase(t)
	sh := v.recs[i].Event.Body.(*events.Shipped)
	var fs []finding
	if reg.USExportsOnly && !j.sameCountry(sh.From.Country, "US", t) {
		fs = append(fs, v.find(i, "R17", fmt.Sprintf("%s exported to %s on %s under licence %s from %s: the regime allows exports from the US only",
			v.id, sh.To.Country, day(t), sh.Licence, sh.From.Country), reg.Source, sh.To.Country))
	}
	if reg.LabTestRequired {
		chips := []events.UnitID{v.id}
		if v.kind != events.KindChip {
			chips = chips[:0]
			for _, c := range v.st.Contents {
				chips = append(chips, c)
			}
		}
		var untested []events.UnitID
		for _, c := range chips {
			tests, _ := j.p.LabTests(j.src, c)
			ok := false
			for _, lt := range tests {
				ok = ok || lt.Result == events.ResultPass
			}
			if !ok {
				untested = append(untested, c)
			}
		}
		if len(untested) > 0 {
			what := "no passing third-party lab test"
			if v.kind != events.KindChip {
				what = fmt.Sprintf("%d of its chips without a passing third-party lab test", len(untested))
			}
			fs = append(fs, v.find(i, "R17", fmt.Sprintf("%s exported to %s on %s under the case-by-case licence %s with %s", v.id, sh.To.Country, day(t), sh.Licence, what),
				reg.Source, sh.To.Country))
		}
	}
	return fs
}

// R18: an export from, or transit through, Malaysia on or after the permit
// rule without a Strategic Trade Permit reference.
func r18(j *judge, v *view) []finding {
	var fs []finding
	for i := range v.recs {
		sh, ok := v.recs[i].Event.Body.(*events.Shipped)
		if !ok || sh.MalaysiaPermit != "" {
			continue
		}
		for _, t := range j.dates(&v.recs[i]) {
			c := j.controls(t)
			from := j.crossBorder(sh, t) && c.Country(sh.From.Country, t) == "MY"
			via := slices.ContainsFunc(sh.Via, func(x string) bool { return c.Country(x, t) == "MY" })
			if (from || via) && c.MalaysiaPermitRequired(t) && j.controlled(v, t) {
				how := "exported from"
				if !from {
					how = "transited"
				}
				f := v.find(i, "R18", fmt.Sprintf("%s %s Malaysia on %s with no Strategic Trade Permit reference", v.id, how, day(t)),
					c.Source("malaysia-permit"), "MY")
				f.at = t
				fs = append(fs, f)
				break
			}
		}
	}
	return fs
}

// R19: returned without an RMA, destroyed without a certificate, or a
// return of a serial that was never shipped.
func r19(j *judge, v *view) []finding {
	var fs []finding
	const fact = "domain brief R19 (return or destroy anomaly)"
	shipped := false
	for i := range v.recs {
		r := &v.recs[i]
		switch b := r.Event.Body.(type) {
		case *events.Shipped:
			shipped = true
		case *events.Returned:
			if !r.Direct {
				continue
			}
			if b.RMA == "" {
				fs = append(fs, v.find(i, "R19", fmt.Sprintf("%s returned by %s to %s on %s without an RMA number", v.id, b.From, b.To, day(r.OccurredAt)), fact, ""))
			} else if !shipped {
				fs = append(fs, v.find(i, "R19", fmt.Sprintf("%s returned under RMA %s on %s but never shipped: not the serial that was shipped", v.id, b.RMA, day(r.OccurredAt)), fact, ""))
			}
		case *events.Destroyed:
			if r.Direct && b.Certificate == "" {
				fs = append(fs, v.find(i, "R19", fmt.Sprintf("%s destroyed by %s on %s without a certificate of destruction", v.id, b.By, day(r.OccurredAt)), fact, ""))
			}
		}
	}
	if len(fs) > 0 && !j.controlled(v, fs[0].at) {
		return nil
	}
	return fs
}

// R21 (chain part): a licence cited after its validity or revocation, for
// another destination or end user, or one the ledger does not hold.
func r21(j *judge, v *view) []finding {
	var fs []finding
	for i := range v.recs {
		n, dest, endUser := "", "", ""
		switch b := v.recs[i].Event.Body.(type) {
		case *events.Shipped:
			if !j.crossBorder(b, v.recs[i].OccurredAt) {
				continue
			}
			n, dest, endUser = b.Licence, b.To.Country, b.DeclaredEndUser
		case *events.ExportDeclared:
			n, dest, endUser = b.Licence, b.DestinationCountry, b.EndUser
		}
		if n == "" {
			continue
		}
		for _, t := range j.dates(&v.recs[i]) {
			if why := j.licenceProblem(n, t, dest, endUser); why != "" && j.controlled(v, t) {
				f := v.find(i, "R21", fmt.Sprintf("%s exported to %s on %s citing %s", v.id, dest, day(t), why), "the licence's grant in the ledger", dest)
				if l := j.licence(n); l != nil {
					f.ev = append(f.ev, Evidence{Seq: l.Seq, Hash: l.Hash, EventID: l.EventID, Type: events.TypeLicenceGranted, OccurredAt: l.OccurredAt,
						Summary: "licence " + n + " granted to " + l.Holder})
				}
				f.at = t
				fs = append(fs, f)
				break
			}
		}
	}
	return fs
}

// R22: an event recorded more than the backdating gap after it occurred.
func r22(j *judge, v *view) []finding {
	var fs []finding
	for i := range v.recs {
		r := &v.recs[i]
		th := j.th(r.OccurredAt)
		gap := time.Duration(th.BackdatingGapHours) * time.Hour
		if d := r.RecordedAt.Sub(r.OccurredAt); d > gap && j.controlled(v, r.OccurredAt) {
			fs = append(fs, v.find(i, "R22", fmt.Sprintf("%s: %s dated %s was recorded %.0f hours later, on %s (threshold %d hours); judged under the later date too",
				v.id, r.Type, day(r.OccurredAt), d.Hours(), day(r.RecordedAt), th.BackdatingGapHours), th.Sources["backdating_gap_hours"], ""))
		}
	}
	return fs
}
