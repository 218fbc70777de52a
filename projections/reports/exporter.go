package reports

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/projections/alerts"
)

// Document kinds of an exporter report.
const (
	DocShipment    = "shipment"    // a cross-border unit.shipped.v1 with the party as shipper (from.party)
	DocDeclaration = "declaration" // an export.declared.v1 with the party as exporter
)

// Period bounds the events a report covers: From <= occurred_at < To; a
// zero bound is open.
type Period struct {
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"` // exclusive
}

func (p Period) contains(t time.Time) bool {
	return (p.From.IsZero() || !t.Before(p.From)) && (p.To.IsZero() || t.Before(p.To))
}

func (p Period) check() error {
	if !p.From.IsZero() && !p.To.IsZero() && !p.From.Before(p.To) {
		return fmt.Errorf("%w: the period ends (%s) before it starts (%s)", ErrInvalid, stamp(p.To), stamp(p.From))
	}
	return nil
}

// PartyRef is a party as a report names it.
type PartyRef struct {
	ID         string   `json:"id"`
	Registered bool     `json:"registered"`
	Name       string   `json:"name,omitempty"`
	Country    string   `json:"country,omitempty"`
	HQCountry  string   `json:"hq_country,omitempty"`
	Types      []string `json:"types,omitempty"`
	Seq        uint64   `json:"seq,omitempty"` // the record's entry
	Hash       string   `json:"hash,omitempty"`
}

func partyRef(e *env, id string) PartyRef {
	r := PartyRef{ID: id}
	if pa, ok := e.party(id); ok {
		r = PartyRef{ID: id, Registered: true, Name: pa.Name, Country: pa.Country, HQCountry: pa.HQCountry, Types: pa.Types, Seq: pa.Seq, Hash: pa.Hash}
	}
	return r
}

// ExportDocument is one shipment or export declaration of the exporter.
type ExportDocument struct {
	Kind          string          `json:"kind"` // shipment or declaration
	EventID       string          `json:"event_id"`
	Seq           uint64          `json:"seq"` // the entry its content comes from
	Amended       bool            `json:"amended,omitempty"`
	OccurredAt    time.Time       `json:"occurred_at"`
	Origin        string          `json:"origin"`
	Destination   string          `json:"destination"`
	Via           []string        `json:"via,omitempty"`
	Consignee     string          `json:"consignee,omitempty"` // shipment: to.party; declaration: end user
	EndUser       string          `json:"end_user,omitempty"`
	Licence       string          `json:"licence,omitempty"`
	Exception     string          `json:"licence_exception,omitempty"`
	Authorisation string          `json:"authorisation"`        // the licence, the exception code, or "none"
	ECCN          string          `json:"eccn"`                 // as declared; else the chips' catalogue ECCN
	ECCNSource    string          `json:"eccn_source"`          // declared, catalogue or none
	ChipECCNs     []string        `json:"chip_eccns,omitempty"` // the catalogue's ECCNs of the chips ("uncatalogued", "below 3A090")
	Units         []events.UnitID `json:"units"`                // as named by the document
	Chips         int             `json:"chips"`                // inside those units at the time, each once
	TPP           float64         `json:"tpp"`                  // of those chips, from the catalogue
	H100          float64         `json:"h100_equivalents"`     // of those chips
	Reached       []events.UnitID `json:"-"`                    // every unit it reached
	Description   string          `json:"goods_description,omitempty"`
}

// ExportRow sums an exporter's documents of one kind by destination, ECCN
// and authorisation.
type ExportRow struct {
	Kind          string   `json:"kind"`
	Destination   string   `json:"destination"`
	ECCN          string   `json:"eccn"`
	Authorisation string   `json:"authorisation"`
	Documents     int      `json:"documents"`
	Units         int      `json:"units"` // units named by those documents
	Chips         int      `json:"chips"`
	TPP           float64  `json:"tpp"`
	H100          float64  `json:"h100_equivalents"`
	ChipECCNs     []string `json:"chip_eccns,omitempty"`
}

// LicenceUse is a licence's utilisation as of the report's time.
type LicenceUse struct {
	Licence     string    `json:"licence"`
	Known       bool      `json:"known"` // granted in the ledger by the as-of time
	Holder      string    `json:"holder,omitempty"`
	Destination string    `json:"destination,omitempty"`
	EndUser     string    `json:"end_user,omitempty"`
	ECCN        string    `json:"eccn,omitempty"`
	Models      []string  `json:"models,omitempty"`
	Quantity    int64     `json:"quantity"`
	ValidFrom   string    `json:"valid_from,omitempty"`
	ValidUntil  string    `json:"valid_until,omitempty"` // inclusive
	Valid       bool      `json:"valid"`                 // at the as-of time: within its dates and not revoked
	Revoked     bool      `json:"revoked"`
	RevokedAt   time.Time `json:"revoked_at,omitzero"`
	Reason      string    `json:"revocation_reason,omitempty"`
	// Used counts the chips of every cross-border shipment citing the
	// licence (whoever shipped), once per shipment, as rule R21 counts
	// them; Shipments those shipments; UsedInPeriod the chips of the
	// exporter's own shipments citing it in the report's period.
	Used         int    `json:"used"`
	Shipments    int    `json:"shipments"`
	UsedInPeriod int    `json:"used_in_period"`
	Declarations int    `json:"declarations"` // export declarations citing it (not counted as use)
	Remaining    int64  `json:"remaining"`    // quantity - used; negative when used beyond it
	Over         bool   `json:"over_quantity"`
	Seq          uint64 `json:"seq,omitempty"` // the grant's entry
	Hash         string `json:"hash,omitempty"`
}

// ExporterReport is what an exporter exported in a period and under which
// authorisation, its licences' utilisation, and the open alerts on what it
// exported.
type ExporterReport struct {
	Basis     Basis            `json:"basis"`
	Party     PartyRef         `json:"party"`
	Period    Period           `json:"period"`
	Rows      []ExportRow      `json:"rows"`
	Totals    []ExportRow      `json:"totals"` // one per kind: destination, ECCN and authorisation "all"
	Documents []ExportDocument `json:"documents"`
	Licences  []LicenceUse     `json:"licences"`
	// Alerts are the open alerts on every unit the documents reached (the
	// units named and what was inside them); PartyAlerts those on the
	// party itself.
	Alerts      AlertSummary `json:"alerts"`
	PartyAlerts AlertSummary `json:"party_alerts"`
}

// Exporter builds the exporter report of party: its cross-border
// shipments (as shipper) and export declarations (as exporter) that
// occurred in the period and by the as-of time.
func Exporter(in Input, party string, period Period) (*ExporterReport, error) {
	if err := period.check(); err != nil {
		return nil, err
	}
	e, basis, err := newEnv(in, KindExporter, party)
	if err != nil {
		return nil, err
	}
	ix, err := e.index()
	if err != nil {
		return nil, err
	}
	res := ix.resolve()
	rep := &ExporterReport{Basis: *basis, Party: partyRef(e, party), Period: period, Rows: []ExportRow{}, Totals: []ExportRow{},
		Documents: []ExportDocument{}, Licences: []LicenceUse{}}
	known := rep.Party.Registered

	// Every licence's use, from every cross-border shipment citing one.
	type use struct{ chips, shipments, inPeriod, declarations int }
	uses := map[string]*use{}
	get := func(n string) *use {
		if uses[n] == nil {
			uses[n] = &use{}
		}
		return uses[n]
	}
	reached := map[events.UnitID]bool{}
	for _, ev := range res.live {
		if ev.OccurredAt.After(e.asOf) {
			continue
		}
		var doc *ExportDocument
		switch b := ev.Body.(type) {
		case *events.Shipped:
			if !e.crossBorder(b, ev.OccurredAt) {
				continue
			}
			mine := b.From.Party == party
			known = known || mine
			if b.Licence == "" && !(mine && period.contains(ev.OccurredAt)) {
				continue
			}
			chips, all := res.chips(ev)
			if b.Licence != "" {
				u := get(b.Licence)
				u.chips += len(chips)
				u.shipments++
				if mine && period.contains(ev.OccurredAt) {
					u.inPeriod += len(chips)
				}
			}
			if !mine || !period.contains(ev.OccurredAt) {
				continue
			}
			doc = &ExportDocument{Kind: DocShipment, Origin: b.From.Country, Destination: b.To.Country, Via: b.Via, Consignee: b.To.Party,
				EndUser: cmp.Or(b.DeclaredEndUser, b.FinalConsignee), Licence: b.Licence, Exception: b.LicenceException,
				ECCN: b.DeclaredECCN, Description: b.GoodsDescription}
			e.fill(doc, ev, chips, all)
		case *events.ExportDeclared:
			mine := b.Exporter == party
			known = known || mine
			if b.Licence != "" {
				get(b.Licence).declarations++
			}
			if !mine || !period.contains(ev.OccurredAt) {
				continue
			}
			chips, all := res.chips(ev)
			doc = &ExportDocument{Kind: DocDeclaration, Origin: b.OriginCountry, Destination: b.DestinationCountry, Consignee: b.EndUser,
				EndUser: b.EndUser, Licence: b.Licence, Exception: b.LicenceException, ECCN: b.ECCN, Description: b.GoodsDescription}
			e.fill(doc, ev, chips, all)
		}
		if doc != nil {
			for _, u := range doc.Reached {
				reached[u] = true
			}
			rep.Documents = append(rep.Documents, *doc)
		}
	}
	if !known {
		return nil, fmt.Errorf("%w: party %s", projections.ErrNotFound, party)
	}

	// Rows and totals, each from the documents.
	type rk struct{ kind, dest, eccn, auth string }
	rows := map[rk]*ExportRow{}
	eccns := map[rk]map[string]bool{}
	totals := map[string]*ExportRow{}
	for _, d := range rep.Documents {
		k := rk{d.Kind, d.Destination, d.ECCN, d.Authorisation}
		r := rows[k]
		if r == nil {
			r = &ExportRow{Kind: d.Kind, Destination: d.Destination, ECCN: d.ECCN, Authorisation: d.Authorisation}
			rows[k] = r
			eccns[k] = map[string]bool{}
		}
		t := totals[d.Kind]
		if t == nil {
			t = &ExportRow{Kind: d.Kind, Destination: "all", ECCN: "all", Authorisation: "all"}
			totals[d.Kind] = t
		}
		for _, x := range []*ExportRow{r, t} {
			x.Documents++
			x.Units += len(d.Units)
			x.Chips += d.Chips
			x.TPP += d.TPP
			x.H100 += d.H100
		}
		for _, c := range d.ChipECCNs {
			eccns[k][c] = true
		}
	}
	for k, r := range rows {
		r.ChipECCNs = sortedSet(eccns[k])
		rep.Rows = append(rep.Rows, *r)
	}
	slices.SortFunc(rep.Rows, func(a, b ExportRow) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Destination, b.Destination), cmp.Compare(a.ECCN, b.ECCN), cmp.Compare(a.Authorisation, b.Authorisation))
	})
	for _, kind := range []string{DocDeclaration, DocShipment} {
		if t := totals[kind]; t != nil {
			rep.Totals = append(rep.Totals, *t)
		}
	}

	// The party's licences and every licence its documents cite.
	lics := map[string]bool{}
	for _, n := range e.p.Licences() {
		if l, ok := e.p.Licence(n); ok && l.Holder == party && !l.OccurredAt.After(e.asOf) {
			lics[n] = true
		}
	}
	for _, d := range rep.Documents {
		if d.Licence != "" {
			lics[d.Licence] = true
		}
	}
	for _, n := range sortedSet(lics) {
		lu := LicenceUse{Licence: n}
		if l, ok := e.p.Licence(n); ok && !l.OccurredAt.After(e.asOf) {
			lu.Known = true
			lu.Holder, lu.Destination, lu.EndUser, lu.ECCN, lu.Models = l.Holder, l.DestinationCountry, l.EndUser, l.ECCN, l.Models
			lu.Quantity, lu.ValidFrom, lu.ValidUntil = l.Quantity, string(l.ValidFrom), string(l.ValidUntil)
			lu.Seq, lu.Hash = l.Seq, l.Hash
			if l.Revoked && !l.RevokedAt.After(e.asOf) {
				lu.Revoked, lu.RevokedAt, lu.Reason = true, l.RevokedAt, l.Reason
			}
			lu.Valid = !lu.Revoked && !e.asOf.Before(l.ValidFrom.Time()) && e.asOf.Before(l.ValidUntil.Time().Add(24*time.Hour))
		}
		if u := uses[n]; u != nil {
			lu.Used, lu.Shipments, lu.UsedInPeriod, lu.Declarations = u.chips, u.shipments, u.inPeriod, u.declarations
		}
		lu.Remaining = lu.Quantity - int64(lu.Used)
		lu.Over = lu.Known && lu.Remaining < 0
		rep.Licences = append(rep.Licences, lu)
	}

	rep.Alerts = summarise(in.Alerts, func(a *alerts.Alert) bool {
		return a.SubjectKind == alerts.KindUnit && reached[events.UnitID(a.Subject)]
	})
	rep.PartyAlerts = summarise(in.Alerts, func(a *alerts.Alert) bool {
		return a.SubjectKind == alerts.KindParty && a.Subject == party
	})
	return rep, nil
}

// fill completes a document from its event and the chips it reached.
func (e *env) fill(d *ExportDocument, ev *ixEvent, chips, all []events.UnitID) {
	d.EventID, d.Seq, d.Amended, d.OccurredAt = ev.ID, ev.Cite, ev.Amended, ev.OccurredAt
	d.Units, d.Reached = ev.Units, all
	d.Authorisation = authorisation(d.Licence, d.Exception)
	set := map[string]bool{}
	for _, c := range chips {
		f := e.chip(c)
		d.Chips++
		d.TPP += f.tpp
		d.H100 += f.h100
		switch {
		case !f.ok:
			set[labelUncatalogued] = true
		case f.eccn == "":
			set[labelBelow] = true
		default:
			set[f.eccn] = true
		}
	}
	d.ChipECCNs = sortedSet(set)
	switch {
	case d.ECCN != "":
		d.ECCNSource = "declared"
	default:
		var cat []string
		for _, c := range d.ChipECCNs {
			if c != labelUncatalogued && c != labelBelow {
				cat = append(cat, c)
			}
		}
		d.ECCN, d.ECCNSource = strings.Join(cat, "+"), "catalogue"
		if d.ECCN == "" {
			d.ECCNSource = "none"
		}
	}
}

// Labels of chips without a catalogue ECCN.
const (
	labelUncatalogued = "uncatalogued"
	labelBelow        = "below 3A090"
)

func authorisation(licence, exception string) string {
	switch {
	case licence != "":
		return licence
	case exception != "":
		return exception
	}
	return "none"
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
