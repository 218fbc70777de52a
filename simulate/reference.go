package simulate

import (
	"encoding/json"
	"slices"
	"sort"
	"time"

	"github.com/chipledger/chipledger/events"
)

type policyDoc struct {
	at  int64
	doc events.Document
}

// policyDocs are the policy versions activated during the world, each a
// short excerpt with its source; the thresholds are carried whole.
func (s *Sim) policyDocs() []policyDoc {
	day0 := s.start - day
	d := func(y, m, dd int) int64 { return time.Date(y, time.Month(m), dd, 6, 0, 0, 0, time.UTC).Unix() }
	th, _ := json.MarshalIndent(s.th, "", "  ")
	out := []policyDoc{
		{day0, events.Document{Name: "ear-advanced-computing", Version: "2023.11", Effective: "2023-11-17",
			Source:  "BIS interim final rule, Implementation of Additional Export Controls: Certain Advanced Computing Items (88 FR 73458, published 2023-10-25, effective 2023-11-17)",
			Content: "# ear-advanced-computing 2023.11 (excerpt)\n3A090.a: tpp >= 4800, or tpp >= 1600 and pd >= 5.92\n4A090.a: computers and servers containing 3A090.a items\nlicence required: China, Macau, D:5; D:1/D:4 not in A:5/A:6; buyers headquartered in D:5 or Macau anywhere\nexceptions: NAC, ACA\nHong Kong is China (final rule of 2020-12-23)\n"}},
		{day0 + 60, events.Document{Name: "chipledger-thresholds", Version: s.th.Version, Effective: "2024-07-01",
			Source: "chipledger policy/thresholds.json (each threshold with its source or reasoning)", Content: string(th) + "\n"}},
		{d(2025, 1, 15), events.Document{Name: "ai-diffusion", Version: "2025.01", Effective: "2025-01-13",
			Source:  "BIS interim final rule, Framework for Artificial Intelligence Diffusion (90 FR 4544, published 2025-01-15)",
			Content: "# ai-diffusion 2025.01 (excerpt)\ntier 1: AU BE CA DK FI FR DE IE IT JP NL NZ NO KR ES SE TW GB US\ntier 3: D:5 and MO\ntier 2: all other countries, 790M TPP per country 2025-2027, LPP about 1,699 H100-equivalents per customer per year\n"}},
		{d(2025, 5, 13), events.Document{Name: "ai-diffusion", Version: "2025.05-rescinded", Effective: "2025-05-13",
			Source:  "BIS announcement of the rescission of the AI Diffusion rule (2025-05-13)",
			Content: "# ai-diffusion 2025.05: rescinded, never enforced; kept for as-of evaluation and cap accounting reports\n"}},
		{d(2025, 7, 14), events.Document{Name: "malaysia-strategic-trade-permit", Version: "2025.07", Effective: "2025-07-14",
			Source:  "Malaysia MITI: Strategic Trade Permit for exports, transshipment and transit of US-origin high-performance AI chips (effective 2025-07-14)",
			Content: "# malaysia-strategic-trade-permit 2025.07\nexports and transits through MY of US-origin AI chips need a Strategic Trade Permit reference\n"}},
		{d(2026, 1, 15), events.Document{Name: "ear-advanced-computing", Version: "2026.01", Effective: "2026-01-15",
			Source:  "BIS rule of 2026-01-15: case-by-case licences for H200/MI325X-class chips to China and Macau",
			Content: "# ear-advanced-computing 2026.01 (excerpt)\nChina/Macau: case-by-case for TPP < 21000 and DRAM bandwidth < 6500 GB/s, exports from the US only,\nChina volume at most 50% of US end-user volume, third-party lab testing required\n"}},
	}
	for i := range out {
		out[i].doc.Digest = events.Digest([]byte(out[i].doc.Content))
	}
	return out
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
