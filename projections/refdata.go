package projections

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"github.com/chipledger/chipledger/events"
)

// Reference data is few events (parties, sites, licences, policy and
// screening versions): they are kept whole, every version, so that a
// correction of any of them can be undone and redone.

// refVersion is one reference-data event.
type refVersion struct {
	ev      events.Event
	seq     uint64 // ordering sequence (of the replaced event, for an amendment)
	src     uint64 // the entry it comes from
	hash    string // that entry's hash
	dead    bool   // retracted or replaced
	amended bool   // the content comes from a correction
}

// Reference-data kinds (refKey.kind).
const (
	rParty uint8 = iota + 1
	rSite
	rLicence
	rRevocation
	rPolicy
	rScreening
	rTriage
)

type refKey struct {
	kind uint8
	id   string
}

func isRefType(b events.Body) bool {
	switch b.(type) {
	case *events.PartyRegistered, *events.PartyUpdated, *events.SiteRegistered, *events.LicenceGranted,
		*events.LicenceRevoked, *events.PolicyActivated, *events.ScreeningActivated,
		*events.AlertAcknowledged, *events.AlertDismissed, *events.AlertEscalated:
		return true
	}
	return false
}

func isTriage(b events.Body) bool {
	switch b.(type) {
	case *events.AlertAcknowledged, *events.AlertDismissed, *events.AlertEscalated:
		return true
	}
	return false
}

func refKeyOf(b events.Body) (refKey, bool) {
	switch b := b.(type) {
	case *events.PartyRegistered:
		if b != nil {
			return refKey{rParty, b.Party}, true
		}
	case *events.PartyUpdated:
		if b != nil {
			return refKey{rParty, b.Party}, true
		}
	case *events.SiteRegistered:
		if b != nil {
			return refKey{rSite, b.Site}, true
		}
	case *events.LicenceGranted:
		if b != nil {
			return refKey{rLicence, b.Licence}, true
		}
	case *events.LicenceRevoked:
		if b != nil {
			return refKey{rRevocation, b.Licence}, true
		}
	case *events.PolicyActivated:
		if b != nil {
			return refKey{rPolicy, b.Name}, true
		}
	case *events.ScreeningActivated:
		if b != nil {
			return refKey{rScreening, b.Name}, true
		}
	case *events.AlertAcknowledged:
		if b != nil {
			return refKey{rTriage, b.Alert}, true
		}
	case *events.AlertDismissed:
		if b != nil {
			return refKey{rTriage, b.Alert}, true
		}
	case *events.AlertEscalated:
		if b != nil {
			return refKey{rTriage, b.Alert}, true
		}
	}
	return refKey{}, false
}

// addRef records a reference-data event; seq orders it among the versions
// of the same id, src and hash cite the entry it comes from.
func (p *Projection) addRef(ev events.Event, seq, src uint64, hash string) (uint32, bool) {
	rk, ok := refKeyOf(ev.Body)
	if !ok {
		return 0, false
	}
	vi := uint32(len(p.refs))
	if rk.kind == rTriage {
		p.triageChanged = true // a decision changes no rule's judgement
	} else {
		p.refsChanged = true
	}
	p.refs = append(p.refs, refVersion{ev: ev, seq: seq, src: src, hash: hash})
	p.refIndex[rk] = append(p.refIndex[rk], vi)
	return vi, true
}

func (v *refVersion) key() key { return key{v.ev.OccurredAt.UnixNano(), v.seq} }

// live returns the live versions of a reference id in key order.
func (p *Projection) live(kind uint8, id string) []*refVersion {
	var out []*refVersion
	for _, vi := range p.refIndex[refKey{kind, id}] {
		if v := &p.refs[vi]; !v.dead {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b *refVersion) int {
		ka, kb := a.key(), b.key()
		if ka.less(kb) {
			return -1
		}
		if kb.less(ka) {
			return 1
		}
		return 0
	})
	return out
}

// Provenance cites the ledger entry a reference record comes from.
type Provenance struct {
	EventID    string    `json:"event_id"`
	Seq        uint64    `json:"seq"`  // the entry (the correction's, when amended)
	Hash       string    `json:"hash"` // that entry's hash
	OccurredAt time.Time `json:"occurred_at"`
	Amended    bool      `json:"amended,omitempty"`
}

func (v *refVersion) provenance() Provenance {
	return Provenance{EventID: v.ev.ID, Seq: v.src, Hash: v.hash, OccurredAt: v.ev.OccurredAt, Amended: v.amended}
}

// Party is a party's record in force: its latest registration or update.
type Party struct {
	events.PartyInfo
	Provenance
	Registered time.Time `json:"registered"` // occurred_at of its first live record
}

// Party returns the record in force for party id.
func (p *Projection) Party(id string) (Party, bool) {
	vs := p.live(rParty, id)
	if len(vs) == 0 {
		return Party{}, false
	}
	v := vs[len(vs)-1]
	var info events.PartyInfo
	switch b := v.ev.Body.(type) {
	case *events.PartyRegistered:
		info = b.PartyInfo
	case *events.PartyUpdated:
		info = b.PartyInfo
	}
	return Party{PartyInfo: info, Provenance: v.provenance(), Registered: vs[0].ev.OccurredAt}, true
}

// Site is a site's record in force.
type Site struct {
	events.SiteRegistered
	Provenance
}

// Site returns the record in force for site id.
func (p *Projection) Site(id string) (Site, bool) {
	vs := p.live(rSite, id)
	if len(vs) == 0 {
		return Site{}, false
	}
	v := vs[len(vs)-1]
	return Site{SiteRegistered: *v.ev.Body.(*events.SiteRegistered), Provenance: v.provenance()}, true
}

// Licence is a licence's grant in force and its revocation, if any.
type Licence struct {
	events.LicenceGranted
	Provenance
	Revoked    bool        `json:"revoked"`
	RevokedAt  time.Time   `json:"revoked_at,omitzero"` // occurred_at of the first live revocation
	Revocation *Provenance `json:"revocation,omitempty"`
	Reason     string      `json:"revocation_reason,omitempty"`
}

// Licence returns the grant in force for licence number, with its
// revocation.
func (p *Projection) Licence(number string) (Licence, bool) {
	vs := p.live(rLicence, number)
	if len(vs) == 0 {
		return Licence{}, false
	}
	v := vs[len(vs)-1]
	l := Licence{LicenceGranted: *v.ev.Body.(*events.LicenceGranted), Provenance: v.provenance()}
	if rs := p.live(rRevocation, number); len(rs) > 0 {
		pr := rs[0].provenance()
		l.Revoked, l.RevokedAt, l.Revocation = true, rs[0].ev.OccurredAt, &pr
		l.Reason = rs[0].ev.Body.(*events.LicenceRevoked).Reason
	}
	return l, true
}

// Document is a policy or screening-list version.
type Document struct {
	events.Document
	Provenance
}

// Policies returns every live policy version, by name, then effective
// date, then occurred_at.
func (p *Projection) Policies() []Document { return p.documents(rPolicy) }

// Screenings returns every live screening-list version, by name, then
// effective date, then occurred_at.
func (p *Projection) Screenings() []Document { return p.documents(rScreening) }

func (p *Projection) documents(kind uint8) []Document {
	var out []Document
	for _, id := range p.refIDs(kind) {
		for _, v := range p.live(kind, id) {
			var d events.Document
			switch b := v.ev.Body.(type) {
			case *events.PolicyActivated:
				d = b.Document
			case *events.ScreeningActivated:
				d = b.Document
			}
			out = append(out, Document{Document: d, Provenance: v.provenance()})
		}
	}
	slices.SortStableFunc(out, func(a, b Document) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Effective, b.Effective))
	})
	return out
}

// Parties returns the ids of every party with a live record, sorted.
func (p *Projection) Parties() []string { return p.liveIDs(rParty) }

// Sites returns the ids of every site with a live record, sorted.
func (p *Projection) Sites() []string { return p.liveIDs(rSite) }

// Licences returns the numbers of every licence with a live grant, sorted.
func (p *Projection) Licences() []string { return p.liveIDs(rLicence) }

func (p *Projection) refIDs(kind uint8) []string {
	var out []string
	for k := range maps.Keys(p.refIndex) {
		if k.kind == kind {
			out = append(out, k.id)
		}
	}
	slices.Sort(out)
	return out
}

func (p *Projection) liveIDs(kind uint8) []string {
	var out []string
	for _, id := range p.refIDs(kind) {
		if len(p.live(kind, id)) > 0 {
			out = append(out, id)
		}
	}
	return out
}

// LabTest is a lab test recorded for a unit.
type LabTest struct {
	events.LabTestRecorded
	Provenance
}

// LabTests returns the live lab tests of unit u, in occurred_at order,
// read back from src.
func (p *Projection) LabTests(src Source, u events.UnitID) ([]LabTest, error) {
	ui, ok := p.find(u)
	if !ok {
		return nil, ErrNotFound
	}
	var out []LabTest
	for _, ei := range p.units[ui].refs {
		r := &p.evs[ei]
		if r.flags&fDead != 0 || r.typ != tLabTest {
			continue
		}
		e, ev, err := p.read(src, ei)
		if err != nil {
			return nil, err
		}
		b, ok := ev.Body.(*events.LabTestRecorded)
		if !ok || b == nil {
			continue
		}
		out = append(out, LabTest{LabTestRecorded: *b, Provenance: Provenance{
			EventID: ev.ID, Seq: e.Seq, Hash: e.Hash, OccurredAt: ev.OccurredAt, Amended: r.flags&fAmended != 0,
		}})
	}
	return out, nil
}

// Triage actions (Decision.Action).
const (
	ActionAcknowledged = "acknowledged"
	ActionDismissed    = "dismissed"
	ActionEscalated    = "escalated"
)

// Decision is an investigator's decision on an alert, from the ledger.
type Decision struct {
	Action string `json:"action"` // acknowledged, dismissed or escalated
	events.Triage
	Provenance
}

// Decisions returns the live decisions on an alert, in occurred_at order
// (the last is in force).
func (p *Projection) Decisions(alert string) []Decision {
	var out []Decision
	for _, v := range p.live(rTriage, alert) {
		d := Decision{Provenance: v.provenance()}
		switch b := v.ev.Body.(type) {
		case *events.AlertAcknowledged:
			d.Action, d.Triage = ActionAcknowledged, b.Triage
		case *events.AlertDismissed:
			d.Action, d.Triage = ActionDismissed, b.Triage
		case *events.AlertEscalated:
			d.Action, d.Triage = ActionEscalated, b.Triage
		}
		out = append(out, d)
	}
	return out
}

// DecidedAlerts returns the ids of the alerts with a live decision, sorted.
func (p *Projection) DecidedAlerts() []string { return p.liveIDs(rTriage) }
