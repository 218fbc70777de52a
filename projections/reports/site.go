package reports

import (
	"cmp"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/projections/alerts"
)

// SiteRef is a site as a report names it.
type SiteRef struct {
	ID               string   `json:"id"`
	Registered       bool     `json:"registered"`
	Name             string   `json:"name,omitempty"`
	Operator         string   `json:"operator,omitempty"`
	OperatorName     string   `json:"operator_name,omitempty"`
	Country          string   `json:"country,omitempty"`
	Kind             string   `json:"kind,omitempty"`
	DeclaredCapacity *int64   `json:"declared_capacity_chips,omitempty"`
	DeclaredPowerKW  *float64 `json:"declared_power_kw,omitempty"`
	Seq              uint64   `json:"seq,omitempty"` // the registration's entry
	Hash             string   `json:"hash,omitempty"`
}

// SiteModel counts one model's chips at a site.
type SiteModel struct {
	Model     string `json:"model"`
	Received  int    `json:"received"`
	Installed int    `json:"installed"`
	Attested  int    `json:"attested"`
}

// SiteReport sets what a site received, has installed and had attested
// against its declared capacity.
type SiteReport struct {
	Basis Basis   `json:"basis"`
	Site  SiteRef `json:"site"`
	// Received counts the chips whose custody chain has a receipt at the
	// site by the as-of time (whatever they became), Installed those
	// installed there at that time, Attested those with a location
	// attestation while at the site in the window before it (the policy's
	// attestation_gap_days), and AttestedElsewhere those of them whose
	// latest attestation in the window is in another country than the
	// site's.
	Received          int         `json:"received"`
	Installed         int         `json:"installed"`
	Attested          int         `json:"attested"`
	AttestedElsewhere int         `json:"attested_elsewhere"`
	WindowFrom        time.Time   `json:"window_from"`
	WindowTo          time.Time   `json:"window_to"`
	WindowDays        int         `json:"window_days"`
	ReceivedShare     float64     `json:"received_share_of_capacity,omitempty"`  // received / declared capacity
	InstalledShare    float64     `json:"installed_share_of_capacity,omitempty"` // installed / declared capacity
	OverCapacity      bool        `json:"over_capacity"`                         // received more chips than its declared capacity
	Ratio             float64     `json:"capacity_mismatch_ratio"`               // the policy's threshold
	OverRatio         bool        `json:"over_ratio"`                            // received more than Ratio times what is installed
	ByModel           []SiteModel `json:"by_model"`
	// Holdings are the projection's counters at the ledger head (they
	// agree with Received and Installed when the report is not as of an
	// earlier time).
	Holdings projections.Holdings `json:"holdings"`
	// R12 are the capacity alerts on the site; UnitAlerts the open alerts
	// on the chips counted here.
	R12        []AlertRef   `json:"r12"`
	UnitAlerts AlertSummary `json:"unit_alerts"`
}

// Site builds the site report of site. Its figures come from the custody
// chains of every chip received, installed or held there (as of the
// report's time).
func Site(in Input, site string) (*SiteReport, error) {
	e, basis, err := newEnv(in, KindSite, site)
	if err != nil {
		return nil, err
	}
	ix, err := e.index()
	if err != nil {
		return nil, err
	}
	res := ix.resolve()
	rep := &SiteReport{Basis: *basis, Site: SiteRef{ID: site}, ByModel: []SiteModel{}, R12: []AlertRef{}}
	s, registered := e.p.Site(site)
	if registered {
		rep.Site = SiteRef{ID: site, Registered: true, Name: s.Name, Operator: s.Party, OperatorName: e.partyName(s.Party), Country: s.Country,
			Kind: s.Kind, DeclaredCapacity: s.DeclaredCapacityUnits, DeclaredPowerKW: s.DeclaredPowerKW, Seq: s.Seq, Hash: s.Hash}
	}

	// Candidates: every chip received or installed here (by the index),
	// and what the site holds now.
	cand := map[events.UnitID]bool{}
	recvd := map[events.UnitID]bool{} // chips with a receipt here, by the index
	for _, ev := range res.live {
		if ev.OccurredAt.After(e.asOf) {
			continue
		}
		here, receipt := false, false
		switch b := ev.Body.(type) {
		case *events.Received:
			here, receipt = b.At.Site == site, b.At.Site == site
		case *events.Installed:
			here = b.Site == site
		}
		if !here {
			continue
		}
		chips, _ := res.chips(ev)
		for _, c := range chips {
			cand[c] = true
			if receipt {
				recvd[c] = true
			}
		}
	}
	held, err := e.p.HeldUnits(projections.BySite, site)
	if err != nil {
		return nil, err
	}
	for _, u := range held {
		if u.Kind() == events.KindChip {
			cand[u] = true
		}
	}
	if !registered && len(cand) == 0 {
		return nil, fmt.Errorf("%w: site %s", projections.ErrNotFound, site)
	}

	th := e.pol(e.asOf).Bundle.Thresholds
	rep.WindowDays, rep.Ratio = th.AttestationGapDays, th.CapacityMismatchRatio
	rep.WindowTo = e.asOf
	rep.WindowFrom = e.asOf.Add(-time.Duration(th.AttestationGapDays) * 24 * time.Hour)
	found, err := e.siteChips(site, rep.Site.Country, rep.WindowFrom, slices.Sorted(maps.Keys(cand)), recvd)
	if err != nil {
		return nil, err
	}
	models := map[string]*SiteModel{}
	counted := map[events.UnitID]bool{}
	for _, c := range slices.Sorted(maps.Keys(found)) {
		x := found[c]
		received, installed, attested, elsewhere := x.received, x.installed, x.attested, x.elsewhere
		if !received && !installed && !attested {
			continue
		}
		counted[c] = true
		f := e.chip(c)
		m := models[f.model]
		if m == nil {
			m = &SiteModel{Model: f.model}
			models[f.model] = m
		}
		if received {
			rep.Received++
			m.Received++
		}
		if installed {
			rep.Installed++
			m.Installed++
		}
		if attested {
			rep.Attested++
			m.Attested++
			if elsewhere {
				rep.AttestedElsewhere++
			}
		}
	}
	for _, m := range slices.Sorted(maps.Keys(models)) {
		rep.ByModel = append(rep.ByModel, *models[m])
	}
	if c := rep.Site.DeclaredCapacity; c != nil && *c > 0 {
		rep.ReceivedShare = float64(rep.Received) / float64(*c)
		rep.InstalledShare = float64(rep.Installed) / float64(*c)
	}
	rep.OverCapacity = rep.Site.DeclaredCapacity != nil && int64(rep.Received) > *rep.Site.DeclaredCapacity
	rep.OverRatio = rep.Received > 0 && float64(rep.Received) > rep.Ratio*float64(rep.Installed)
	if rep.Holdings, err = e.p.Holdings(e.src, projections.BySite, site); err != nil {
		return nil, err
	}
	for _, a := range in.Alerts {
		if a.Rule == "R12" && a.SubjectKind == alerts.KindSite && a.Subject == site {
			rep.R12 = append(rep.R12, ref(a))
		}
	}
	slices.SortFunc(rep.R12, func(a, b AlertRef) int { return cmp.Compare(a.ID, b.ID) })
	rep.UnitAlerts = summarise(in.Alerts, func(a *alerts.Alert) bool {
		return a.SubjectKind == alerts.KindUnit && counted[events.UnitID(a.Subject)]
	})
	return rep, nil
}

// siteChip is what a chip's custody chain says about a site.
type siteChip struct{ received, installed, attested, elsewhere bool }

// siteChips reads what every candidate chip's custody chain says about the
// site, on every core. Chips go by current container, so that the chips
// of one server share its entries in one worker's cache. As of the ledger's
// latest event, a chain is read only when its last step does not settle
// the question: receipts come from the index (received), the state from
// the projection (installed), and a chip whose last step is before the
// window has no attestation in it, one whose last step is an attestation
// in the window at the site has.
func (e *env) siteChips(site, country string, windowFrom time.Time, cand []events.UnitID, recvd map[events.UnitID]bool) (map[events.UnitID]siteChip, error) {
	groups := map[events.UnitID][]events.UnitID{}
	for _, c := range cand {
		k := c
		if n, err := e.p.Tree(e.src, c); err == nil && len(n.Containers) > 0 {
			k = n.Containers[0].Unit
		}
		groups[k] = append(groups[k], c)
	}
	keys := slices.Sorted(maps.Keys(groups))
	out := make([][]siteChip, len(keys))
	errs := make([]error, len(keys))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(keys)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			src := projections.CachedSource(e.src, 1<<16)
			for {
				g := int(next.Add(1) - 1)
				if g >= len(keys) {
					return
				}
				for _, c := range groups[keys[g]] {
					x, ok, err := e.siteChipNow(src, c, site, country, windowFrom, recvd[c])
					if err == nil && !ok {
						x, err = e.siteChip(src, c, site, country, windowFrom)
					}
					if err != nil {
						errs[g] = err
						break
					}
					out[g] = append(out[g], x)
				}
			}
		}()
	}
	wg.Wait()
	res := make(map[events.UnitID]siteChip, len(cand))
	for g, k := range keys {
		if errs[g] != nil {
			return nil, errs[g]
		}
		for i, c := range groups[k] {
			res[c] = out[g][i]
		}
	}
	return res, nil
}

// siteChipNow settles a chip from its state and its chain's last step,
// as of the ledger's latest event; ok is false when its chain must be read.
func (e *env) siteChipNow(src projections.Source, c events.UnitID, site, country string, windowFrom time.Time, received bool) (siteChip, bool, error) {
	if !e.asOf.Equal(e.p.Now()) {
		return siteChip{}, false, nil
	}
	st, err := e.p.Unit(src, c)
	if err != nil {
		return siteChip{}, false, err
	}
	x := siteChip{received: received, installed: st.Status == "installed" && st.Site == site}
	if !st.LastOccurred.After(windowFrom) {
		return x, true, nil // nothing in the window
	}
	if st.Site != site || st.LastSeq == 0 {
		return x, false, nil
	}
	last, err := src.Entry(st.LastSeq)
	if err != nil {
		return x, false, err
	}
	ev := last.Event
	if cr, ok := ev.Body.(*events.Corrected); ok && cr != nil && cr.Amended != nil {
		ev = *cr.Amended
	}
	b, ok := ev.Body.(*events.LocationAttested)
	if !ok || b == nil || !ev.OccurredAt.Equal(st.LastOccurred) {
		return x, false, nil
	}
	x.attested = true
	x.elsewhere = country != "" && e.country(b.Country, ev.OccurredAt) != e.country(country, ev.OccurredAt)
	return x, true, nil
}

func (e *env) siteChip(src projections.Source, c events.UnitID, site, country string, windowFrom time.Time) (siteChip, error) {
	var x siteChip
	recs, err := e.p.History(src, c)
	if err != nil {
		return x, err
	}
	var last *projections.Record
	for i := range recs {
		r := &recs[i]
		if r.OccurredAt.After(e.asOf) {
			break
		}
		last = r
		switch b := r.Event.Body.(type) {
		case *events.Received:
			if b.At.Site == site {
				x.received = true
			}
		case *events.LocationAttested:
			if r.Site == site && r.OccurredAt.After(windowFrom) {
				x.attested = true
				x.elsewhere = country != "" && e.country(b.Country, r.OccurredAt) != e.country(country, r.OccurredAt)
			}
		}
	}
	x.installed = last != nil && last.Status == "installed" && last.Site == site
	return x, nil
}
