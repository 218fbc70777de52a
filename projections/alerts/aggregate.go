package alerts

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/chipledger/chipledger/events"
)

// contrib is one unit's part of the aggregate rules, kept per unit so that
// re-judging a unit replaces its part.
type contrib struct {
	chip      bool
	h100, tpp float64
	licUses   []licUse   // R21 quantity: exports citing a licence
	buys      []purchase // R14: chips bought
	china     []Evidence // R17 quota: exports to China under the 2026 regime
	usClass   bool       // R17 quota: an eligible chip installed in the US under the regime
	exports   []capUse   // R20: exports into Tier 2 countries
	received  map[string]Evidence
	installed string // R12: the site it is installed at now
	container events.UnitID
	lift      []finding // findings raised on the container too
}

type licUse struct {
	licence string
	ev      Evidence
}

type purchase struct {
	buyer, payer string
	ev           Evidence
}

type capUse struct {
	consignee, country string
	year               int
	ev                 Evidence
}

func (j *judge) contribution(v *view, fs []finding) *contrib {
	c := &contrib{chip: v.kind == events.KindChip, container: v.st.Container}
	if c.container != "" {
		for _, f := range fs {
			if f.lift {
				f.text = "inside it, " + f.text
				c.lift = append(c.lift, f)
			}
		}
	}
	if c.chip && v.catalogued {
		c.h100, c.tpp = v.chip.H100Equivalents, v.chip.TPP
	}
	for _, i := range j.chinaExports(v) {
		c.china = append(c.china, v.evidence(i))
	}
	for i := range v.recs {
		r := &v.recs[i]
		t := r.OccurredAt
		switch b := r.Event.Body.(type) {
		case *events.Shipped:
			if !j.crossBorder(b, t) {
				continue
			}
			if b.Licence != "" {
				c.licUses = append(c.licUses, licUse{b.Licence, v.evidence(i)})
			}
			if c.chip && c.h100 > 0 {
				// Tier 2 under the (rescinded) Jan 2025 rule: neither a
				// Tier 1 ally nor D:5/Macau.
				ctl := j.controls(t)
				diff, dest := ctl.Diffusion(), ctl.Country(b.To.Country, t)
				if y := t.Year(); !ctl.Embargoed(dest, t) && !slices.Contains(diff.Tier1, dest) && y >= diff.CapFirstYear && y <= diff.CapLastYear {
					c.exports = append(c.exports, capUse{b.To.Party, dest, y, v.evidence(i)})
				}
			}
		case *events.OwnershipTransferred:
			if c.chip && j.controlled(v, t) {
				c.buys = append(c.buys, purchase{b.Buyer, b.Payer, v.evidence(i)})
			}
		case *events.Received:
			if c.chip && b.At.Site != "" {
				if c.received == nil {
					c.received = map[string]Evidence{}
				}
				if _, ok := c.received[b.At.Site]; !ok {
					c.received[b.At.Site] = v.evidence(i)
				}
			}
		case *events.Installed:
			if reg, ok := j.controls(t).ChinaCaseByCase(t); ok && c.chip && j.sameCountry(b.Country, "US", t) && j.classEligible(v, reg) {
				c.usClass = true
			}
		}
	}
	if c.chip && v.st.Status == "installed" {
		c.installed = v.st.Site
	} else if c.chip && v.st.Container != "" {
		if cs, err := j.p.Unit(j.src, v.st.Container); err == nil && cs.Status == "installed" {
			c.installed = cs.Site
		}
	}
	return c
}

type subject struct{ kind, id string }

const maxEvidence = 20

// aggregate judges the rules over sites, parties, countries and licences
// from every unit's contribution.
func (j *judge) aggregate() map[subject][]finding {
	out := map[subject][]finding{}
	add := func(kind, id string, f finding) { out[subject{kind, id}] = append(out[subject{kind, id}], f) }
	units := slices.Sorted(maps.Keys(j.d.contribs))
	for _, u := range units {
		c := j.d.contribs[u]
		for _, f := range c.lift {
			add(KindUnit, string(c.container), f)
		}
	}
	j.r21Quantity(units, add)
	j.r17Quota(units, add)
	j.r12(units, add)
	j.r14(units, add)
	j.r20(units, add)
	return out
}

type addFunc func(kind, id string, f finding)

// R21 (quantity): the units of exports beyond the licence's quantity, in
// export order.
func (j *judge) r21Quantity(units []events.UnitID, add addFunc) {
	type use struct {
		ev    Evidence
		chips int
		units []events.UnitID
	}
	byLic := map[string]map[string]*use{}
	for _, u := range units {
		c := j.d.contribs[u]
		for _, lu := range c.licUses {
			m := byLic[lu.licence]
			if m == nil {
				m = map[string]*use{}
				byLic[lu.licence] = m
			}
			x := m[lu.ev.EventID]
			if x == nil {
				x = &use{ev: lu.ev}
				m[lu.ev.EventID] = x
			}
			if c.chip {
				x.chips++
			}
			x.units = append(x.units, u)
		}
	}
	for _, n := range slices.Sorted(maps.Keys(byLic)) {
		l := j.licence(n)
		if l == nil {
			continue
		}
		uses := slices.Collect(maps.Values(byLic[n]))
		slices.SortFunc(uses, func(a, b *use) int {
			return cmp.Or(a.ev.OccurredAt.Compare(b.ev.OccurredAt), cmp.Compare(a.ev.Seq, b.ev.Seq))
		})
		total := int64(0)
		for _, x := range uses {
			total += int64(x.chips)
			if total <= l.Quantity {
				continue
			}
			for _, u := range x.units {
				add(KindUnit, string(u), finding{rule: "R21", at: x.ev.OccurredAt,
					text: fmt.Sprintf("%s exported on %s under licence %s beyond its quantity: %d units used of %d", u, day(x.ev.OccurredAt), n, total, l.Quantity),
					fact: "the licence's grant in the ledger", country: l.DestinationCountry,
					ev: []Evidence{x.ev, {Seq: l.Seq, Hash: l.Hash, EventID: l.EventID, Type: events.TypeLicenceGranted, OccurredAt: l.OccurredAt,
						Summary: fmt.Sprintf("licence %s granted to %s for %d units", n, l.Holder, l.Quantity)}}})
			}
		}
	}
}

// R17 (quota): chips exported to China under the 2026 regime above the
// quota ratio of the eligible chips installed for US end users.
func (j *judge) r17Quota(units []events.UnitID, add addFunc) {
	china, us := 0, 0
	var first time.Time
	for _, u := range units {
		c := j.d.contribs[u]
		if c.chip && len(c.china) > 0 {
			china++
			if first.IsZero() || c.china[0].OccurredAt.Before(first) {
				first = c.china[0].OccurredAt
			}
		}
		if c.usClass {
			us++
		}
	}
	if china == 0 {
		return
	}
	reg, ok := j.controls(first).ChinaCaseByCase(first)
	if !ok || float64(china) <= reg.QuotaRatio*float64(us) {
		return
	}
	for _, u := range units {
		c := j.d.contribs[u]
		if len(c.china) == 0 {
			continue
		}
		add(KindUnit, string(u), finding{rule: "R17", at: c.china[0].OccurredAt, country: "CN", fact: reg.Source, ev: c.china[:1],
			text: fmt.Sprintf("%s exported to China under the 2026 regime while China's %d units exceed %.0f%% of the %d units for US end users",
				u, china, reg.QuotaRatio*100, us)})
	}
}

// R12: a data center that received more than its declared capacity, or
// more than the capacity ratio times what it has installed.
func (j *judge) r12(units []events.UnitID, add addFunc) {
	type siteCount struct {
		received, installed int
		ev                  []Evidence
	}
	sites := map[string]*siteCount{}
	get := func(s string) *siteCount {
		if sites[s] == nil {
			sites[s] = &siteCount{}
		}
		return sites[s]
	}
	for _, u := range units {
		c := j.d.contribs[u]
		for s, ev := range c.received {
			sc := get(s)
			sc.received++
			if len(sc.ev) < maxEvidence {
				sc.ev = append(sc.ev, ev)
			}
		}
		if c.installed != "" {
			get(c.installed).installed++
		}
	}
	for _, id := range slices.Sorted(maps.Keys(sites)) {
		sc := sites[id]
		s := j.site(id)
		if s == nil || s.Kind != events.SiteDatacenter || sc.received == 0 {
			continue
		}
		th := j.th(j.now)
		why := ""
		switch {
		case s.DeclaredCapacityUnits != nil && int64(sc.received) > *s.DeclaredCapacityUnits:
			why = fmt.Sprintf("received %d chips, more than its declared capacity of %d", sc.received, *s.DeclaredCapacityUnits)
		case float64(sc.received) > th.CapacityMismatchRatio*float64(sc.installed):
			why = fmt.Sprintf("received %d chips but has %d installed (more than %.0f times)", sc.received, sc.installed, th.CapacityMismatchRatio)
		}
		if why == "" {
			continue
		}
		ev := append([]Evidence{{Seq: s.Seq, Hash: s.Hash, EventID: s.EventID, Type: events.TypeSiteRegistered, OccurredAt: s.OccurredAt,
			Summary: "site " + id + " registered"}}, sc.ev...)
		add(KindSite, id, finding{rule: "R12", at: ev[0].OccurredAt, country: s.Country, fact: th.Sources["capacity_mismatch_ratio"], ev: ev,
			text: fmt.Sprintf("data center %s (%s) %s", id, s.Country, why)})
	}
}

// R14: buyers related by a shared address, director or payer, each under
// the order-splitting threshold within the window, together above it.
func (j *judge) r14(units []events.UnitID, add addFunc) {
	buys := map[string][]purchase{}
	payers := map[string]map[string]bool{} // payer -> buyers it paid for
	for _, u := range units {
		for _, b := range j.d.contribs[u].buys {
			buys[b.buyer] = append(buys[b.buyer], b)
			if b.payer != "" && b.payer != b.buyer {
				if payers[b.payer] == nil {
					payers[b.payer] = map[string]bool{}
				}
				payers[b.payer][b.buyer] = true
			}
		}
	}
	buyers := slices.Sorted(maps.Keys(buys))
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		if p, ok := parent[x]; ok && p != x {
			r := find(p)
			parent[x] = r
			return r
		}
		return x
	}
	union := func(a, b string) {
		if ra, rb := find(a), find(b); ra != rb {
			parent[max(ra, rb)] = min(ra, rb)
		}
	}
	byKey := map[string]string{}
	link := func(key, b string) {
		if o, ok := byKey[key]; ok {
			union(o, b)
		} else {
			byKey[key] = b
		}
	}
	for _, b := range buyers {
		parent[b] = find(b)
		if pa := j.party(b); pa != nil {
			if a := normAddr(pa.Address); a != "" {
				link("a:"+a, b)
			}
			for _, d := range pa.Directors {
				link("d:"+normAddr(d), b)
			}
		}
	}
	for _, p := range slices.Sorted(maps.Keys(payers)) {
		for _, b := range slices.Sorted(maps.Keys(payers[p])) {
			link("p:"+p, b)
		}
	}
	groups := map[string][]string{}
	for _, b := range buyers {
		groups[find(b)] = append(groups[find(b)], b)
	}
	th := j.th(j.now)
	win := time.Duration(th.OrderSplittingWindowDays) * 24 * time.Hour
	maxWindow := func(ps []purchase) (int, int) { // the most chips bought in one window, and where it starts
		slices.SortFunc(ps, func(a, b purchase) int { return a.ev.OccurredAt.Compare(b.ev.OccurredAt) })
		best, at, k := 0, 0, 0
		for i := range ps {
			for ps[i].ev.OccurredAt.Sub(ps[k].ev.OccurredAt) > win {
				k++
			}
			if i-k+1 > best {
				best, at = i-k+1, k
			}
		}
		return best, at
	}
	for _, root := range slices.Sorted(maps.Keys(groups)) {
		members := groups[root]
		if len(members) < 2 {
			continue
		}
		var all []purchase
		under := true
		for _, m := range members {
			n, _ := maxWindow(slices.Clone(buys[m]))
			under = under && n < th.OrderSplittingUnits
			all = append(all, buys[m]...)
		}
		total, at := maxWindow(all)
		if !under || total <= th.OrderSplittingUnits {
			continue
		}
		start := all[at].ev.OccurredAt
		for _, m := range members {
			var ev []Evidence
			seen := map[string]bool{}
			for _, b := range buys[m] {
				if d := b.ev.OccurredAt.Sub(start); d >= 0 && d <= win && !seen[b.ev.EventID] && len(ev) < maxEvidence {
					seen[b.ev.EventID] = true
					ev = append(ev, b.ev)
				}
			}
			if len(ev) == 0 {
				continue
			}
			country := ""
			if pa := j.party(m); pa != nil {
				country = pa.Country
			}
			add(KindParty, m, finding{rule: "R14", at: ev[0].OccurredAt, country: country, fact: th.Sources["order_splitting_units"], ev: ev,
				text: fmt.Sprintf("%s is one of %d related buyers (%s) that bought %d chips together within %d days from %s, each under %d",
					m, len(members), strings.Join(members, ", "), total, th.OrderSplittingWindowDays, day(start), th.OrderSplittingUnits)})
		}
	}
}

func normAddr(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}), " ")
}

// R20 (information): Tier 2 consignees and countries above the Jan 2025
// caps in a year of the cap period, for cap-accounting reports.
func (j *judge) r20(units []events.UnitID, add addFunc) {
	type key struct {
		who  string
		year int
	}
	type sum struct {
		v  float64
		ev []Evidence
	}
	cons, ctry := map[key]*sum{}, map[key]*sum{}
	acc := func(m map[key]*sum, k key, v float64, ev Evidence) {
		s := m[k]
		if s == nil {
			s = &sum{}
			m[k] = s
		}
		s.v += v
		if len(s.ev) < maxEvidence {
			s.ev = append(s.ev, ev)
		}
	}
	for _, u := range units {
		c := j.d.contribs[u]
		for _, x := range c.exports {
			acc(cons, key{x.consignee, x.year}, c.h100, x.ev)
			acc(ctry, key{x.country, x.year}, c.tpp, x.ev)
		}
	}
	d := j.controls(j.now).Diffusion()
	emit := func(m map[key]*sum, kind string, limit float64, unit string) {
		keys := slices.SortedFunc(maps.Keys(m), func(a, b key) int { return cmp.Or(cmp.Compare(a.who, b.who), cmp.Compare(a.year, b.year)) })
		for _, k := range keys {
			s := m[k]
			if s.v <= limit || k.who == "" {
				continue
			}
			country := k.who
			if kind == KindParty {
				country = ""
				if pa := j.party(k.who); pa != nil {
					country = pa.Country
				}
			}
			add(kind, k.who, finding{rule: "R20", at: s.ev[0].OccurredAt, country: country, fact: d.Source, ev: s.ev,
				text: fmt.Sprintf("%s %s received %.0f %s in %d, above the Jan 2025 cap of %.0f (rescinded, for cap accounting)", kind, k.who, s.v, unit, k.year, limit)})
		}
	}
	emit(cons, KindParty, d.LPPH100PerCustomer, "H100-equivalents")
	emit(ctry, KindCountry, d.CapTPPPerCountry, "TPP")
}
