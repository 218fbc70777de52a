package simulate

import (
	"slices"
	"sort"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/policy"
)

type policyDoc struct {
	at  int64
	doc events.Document
}

// policyDocs are the policy versions activated before the world starts:
// the project's policy bundle (country groups, licence requirements, the
// dated regimes, hubs, the thresholds the simulator places its twins by,
// and the chip catalogue), carried whole so that detection judges every
// transfer by what the ledger holds. Its dated facts (the AI diffusion
// rule and its rescission, the Malaysian permit, the 2026 China regime)
// are versions within it.
func (s *Sim) policyDocs() []policyDoc {
	data := policy.DefaultBundleJSON()
	b := policy.DefaultBundle()
	return []policyDoc{{s.start - day, events.Document{Name: b.Name, Version: b.Version, Effective: "2023-11-17",
		Digest: events.Digest(data), Source: "chipledger policy bundle (policy/controls.json, thresholds.json, catalogue.json; docs/policy.md)",
		Content: string(data)}}}
}

// addReference adds the reference data: policy and screening activations,
// parties, sites with their declared capacities (from the pre-pass), and
// the benign world's licences (quantities and validity from the pre-pass).
func (s *Sim) addReference() {
	st := s.stor
	t := s.start - day + 120
	k := hash(s.seed, 0x2ef)
	put := func(at int64, body events.Body) {
		k = mix(k)
		rec := at + 5
		st.add(at, rec, [2]int64{rec + 1, 0}, false, k, s.w.operator.id, body)
	}
	next := func() int64 { t += 2; return t }
	for _, p := range s.policyDocs() {
		put(p.at, &events.PolicyActivated{Document: p.doc})
	}
	put(s.start-day+90, &events.ScreeningActivated{Document: events.Document{Name: "us-csl", Version: "2024-07-01",
		Digest: events.Digest(s.csv), Effective: "2024-07-01", Source: "US Consolidated Screening List (trade.gov), consolidated.csv",
		Content: string(s.csv)}})
	for _, p := range s.w.parties {
		info := p.info
		info.Types = slices.Clone(info.Types)
		put(next(), &events.PartyRegistered{PartyInfo: info})
	}
	for _, si := range s.w.sites {
		reg := si.reg
		if si.dc && reg.DeclaredCapacityUnits == nil {
			n := s.agg.siteChips[si.id]
			c := (n*5/4+256+63)/64*64 + 256
			kw := float64(c) * 1.4
			reg.DeclaredCapacityUnits, reg.DeclaredPowerKW = &c, &kw
		}
		put(next(), &reg)
	}
	for _, key := range sortedKeys(s.agg.lic) {
		u := s.agg.lic[key]
		put(next(), &events.LicenceGranted{Licence: s.licenceNumber(key), Holder: u.holder.id, DestinationCountry: u.dest,
			EndUser: u.endUser.id, ECCN: "4A090.a", Quantity: u.chips*6/5 + 16, ValidFrom: dateOf(min(u.first-30*day, s.start)),
			ValidUntil: dateOf(u.last + 180*day), Models: sortedKeys(u.models)})
	}
}

// sortDeliveries orders the story deliveries for Run.
func (st *stories) sortDeliveries() {
	sort.SliceStable(st.dlv, func(i, j int) bool { return st.dlv[i].del < st.dlv[j].del })
}
