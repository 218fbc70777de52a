package epcis

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/chipledger/chipledger/events"
)

// ExportStep is one ledger entry of a unit's history: the canonical event
// and where the ledger holds it.
type ExportStep struct {
	Event events.Event
	Seq   uint64 // the entry's ledger sequence
	Hash  string // the entry's hash in the ledger's hash chain
}

// Export writes a unit's custody history as an EPCIS 2.0 document
// (JSON-LD, with the EPCIS context and the cl: prefix of CLNamespace)
// that validates against the schema and maps back, by Parse and Events,
// to the same canonical events: the inverse of the mapping, with the
// ledger sequence and hash of each event in cl:ledger. Steps are written
// in the order given. Every custody type is exported (docs/epcis.md);
// reference data, policy, screening and triage events are not custody
// and are refused. A retraction (event.corrected.v1) is written as an
// errorDeclaration on a copy of the event it retracts, which must be among
// the steps; an amendment also adds the amended event as the corrective
// event (under the id "<correction id>#amended", so it is not taken for a
// duplicate of the original). The document's creationDate is the latest
// recorded_at of the steps, so the same history gives the same bytes.
func Export(unit events.UnitID, steps []ExportStep) ([]byte, error) {
	x := exporter{sites: map[string]string{}, conflict: map[string]bool{}, byID: map[string]map[string]any{}}
	list := []any{}
	created := time.Unix(0, 0).UTC()
	for i, s := range steps {
		if err := s.Event.Validate(); err != nil {
			return nil, fmt.Errorf("epcis: export step %d: %w", i, err)
		}
		if s.Event.RecordedAt.After(created) {
			created = s.Event.RecordedAt.UTC()
		}
		evs, err := x.event(s)
		if err != nil {
			return nil, fmt.Errorf("epcis: export step %d (%s %s): %w", i, s.Event.Type, s.Event.ID, err)
		}
		list = append(list, evs...)
	}
	doc := map[string]any{
		"@context":         []any{ContextURL, map[string]any{CLPrefix: CLNamespace}},
		"type":             TypeDocument,
		"schemaVersion":    "2.0",
		"creationDate":     formatTime(created),
		CLPrefix + ":unit": UnitEPC(unit),
		"epcisBody":        map[string]any{"eventList": list},
	}
	if md := x.masterData(); md != nil {
		doc["epcisHeader"] = map[string]any{"epcisMasterData": map[string]any{"vocabularyList": md}}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("epcis: export: %w", err)
	}
	out := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if _, err := Parse(out); err != nil { // the contract: what Export writes, Parse reads
		return nil, fmt.Errorf("epcis: export does not validate: %w", err)
	}
	return out, nil
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

type exporter struct {
	sites    map[string]string // site id -> country, for the master data
	conflict map[string]bool   // sites seen with two countries
	byID     map[string]map[string]any
}

func (x *exporter) site(site, country string) {
	if site == "" || country == "" {
		return
	}
	if c, ok := x.sites[site]; ok && c != country {
		x.conflict[site] = true
	}
	x.sites[site] = country
}

// masterData lists every site with one country as a business location.
func (x *exporter) masterData() []any {
	var elems []any
	for _, s := range sortedKeys(x.sites) {
		if x.conflict[s] {
			continue
		}
		elems = append(elems, map[string]any{
			"id":         refURI(s, URNSite),
			"attributes": []any{map[string]any{"id": mdaCountryCode, "attribute": x.sites[s]}},
		})
	}
	if len(elems) == 0 {
		return nil
	}
	return []any{map[string]any{"type": vtypeLocation, "vocabularyElementList": elems}}
}

func cl(name string) string { return CLPrefix + ":" + name }

func epcList(units []events.UnitID) []any {
	out := make([]any, len(units))
	for i, u := range units {
		out[i] = UnitEPC(u)
	}
	return out
}

func location(site string) map[string]any { return map[string]any{"id": refURI(site, URNSite)} }

// put sets a cl: field when the value is not empty.
func put(ev map[string]any, name, value string) {
	if value != "" {
		ev[cl(name)] = value
	}
}

func putParty(ev map[string]any, name, party string) {
	if party != "" {
		ev[cl(name)] = refURI(party, URNParty)
	}
}

func end(key, party, site string) []any {
	item := key[:len(key)-len("List")]
	out := []any{map[string]any{"type": "possessing_party", item: refURI(party, URNParty)}}
	if site != "" {
		out = append(out, map[string]any{"type": "location", item: refURI(site, URNSite)})
	}
	return out
}

func owner(key, party string) []any {
	item := key[:len(key)-len("List")]
	return []any{map[string]any{"type": "owning_party", item: refURI(party, URNParty)}}
}

type bizTx struct{ typ, ref string }

func bizTransactions(txs ...bizTx) []any {
	var out []any
	for _, t := range txs {
		if t.ref == "" {
			continue
		}
		o := map[string]any{"bizTransaction": refURI(t.ref, URNRef)}
		if t.typ != "" {
			o["type"] = t.typ
		}
		out = append(out, o)
	}
	return out
}

func (x *exporter) base(s ExportStep, typ string) map[string]any {
	e := s.Event
	ev := map[string]any{
		"type":                typ,
		"eventID":             EventURI(e.ID),
		"eventTime":           formatTime(e.OccurredAt),
		"eventTimeZoneOffset": "+00:00",
		"recordTime":          formatTime(e.RecordedAt),
		cl(xPublisher):        refURI(e.Publisher, URNParty),
		cl(xLedger):           map[string]any{"seq": s.Seq, "hash": s.Hash},
	}
	x.byID[e.ID] = ev
	return ev
}

func (x *exporter) event(s ExportStep) ([]any, error) {
	e := s.Event
	var ev map[string]any
	switch b := e.Body.(type) {
	case *events.Commissioned:
		ev = x.base(s, "ObjectEvent")
		ev["action"], ev["bizStep"], ev["epcList"] = "ADD", "commissioning", epcList([]events.UnitID{b.Unit})
		ilmd := map[string]any{cl(xManufacturer): refURI(b.Manufacturer, URNParty), cl(xModel): b.Model, cl(xSerial): b.Serial}
		if b.DeclaredTPP != nil {
			ilmd[cl(xDeclaredTPP)] = *b.DeclaredTPP
		}
		put(ilmd, xECCN, b.DeclaredECCN)
		ev["ilmd"] = ilmd
		if b.Site != "" {
			ev["bizLocation"] = location(b.Site)
		}
		put(ev, xCountry, b.Country)
		x.site(b.Site, b.Country)
	case *events.Assembled:
		ev = x.containment(s, "AssociationEvent", "ADD", "assembling", b.Parent, b.Children, b.Site)
	case *events.Disassembled:
		ev = x.containment(s, "AssociationEvent", "DELETE", "removing", b.Parent, b.Children, b.Site)
	case *events.Packed:
		ev = x.containment(s, "AggregationEvent", "ADD", "packing", b.Parent, b.Children, b.Site)
	case *events.Unpacked:
		ev = x.containment(s, "AggregationEvent", "DELETE", "unpacking", b.Parent, b.Children, b.Site)
	case *events.Shipped:
		ev = x.base(s, "ObjectEvent")
		ev["action"], ev["bizStep"], ev["disposition"], ev["epcList"] = "OBSERVE", "shipping", "in_transit", epcList(b.Units)
		ev["sourceList"] = end("sourceList", b.From.Party, b.From.Site)
		ev["destinationList"] = end("destinationList", b.To.Party, b.To.Site)
		put(ev, xFromCountry, b.From.Country)
		put(ev, xToCountry, b.To.Country)
		x.site(b.From.Site, b.From.Country)
		x.site(b.To.Site, b.To.Country)
		if len(b.Via) > 0 {
			via := make([]any, len(b.Via))
			for i, c := range b.Via {
				via[i] = c
			}
			ev[cl(xVia)] = via
		}
		putParty(ev, xCarrier, b.Carrier)
		putParty(ev, xEndUser, b.DeclaredEndUser)
		putParty(ev, xFinalConsignee, b.FinalConsignee)
		put(ev, xGoodsDescription, b.GoodsDescription)
		put(ev, xECCN, b.DeclaredECCN)
		put(ev, xLicence, b.Licence)
		put(ev, xLicenceException, b.LicenceException)
		put(ev, xMalaysiaPermit, b.MalaysiaPermit)
		putParty(ev, xPayer, b.Transaction.Payer)
		if bt := bizTransactions(bizTx{"po", b.Transaction.PO}, bizTx{"inv", b.Transaction.Invoice},
			bizTx{"bol", b.Transaction.BillOfLading}, bizTx{"desadv", b.ShipmentID}); len(bt) > 0 {
			ev["bizTransactionList"] = bt
		}
	case *events.Received:
		ev = x.base(s, "ObjectEvent")
		ev["action"], ev["bizStep"], ev["disposition"], ev["epcList"] = "OBSERVE", "receiving", "in_progress", epcList(b.Units)
		if b.At.Site != "" {
			ev["bizLocation"] = location(b.At.Site)
		}
		ev["destinationList"] = end("destinationList", b.At.Party, "")
		put(ev, xCountry, b.At.Country)
		x.site(b.At.Site, b.At.Country)
		if bt := bizTransactions(bizTx{"desadv", b.ShipmentID}); len(bt) > 0 {
			ev["bizTransactionList"] = bt
		}
	case *events.OwnershipTransferred:
		ev = x.base(s, "TransactionEvent")
		ev["action"], ev["epcList"] = "ADD", epcList(b.Units)
		ev["sourceList"] = owner("sourceList", b.Seller)
		ev["destinationList"] = owner("destinationList", b.Buyer)
		putParty(ev, xPayer, b.Payer)
		put(ev, xPriceAmount, b.Price.Amount)
		put(ev, xPriceCurrency, b.Price.Currency)
		if b.Contract != "" {
			ev["bizTransactionList"] = bizTransactions(bizTx{"po", b.Contract})
		} else { // a TransactionEvent needs one: a placeholder the mapping skips
			ev["bizTransactionList"] = []any{map[string]any{"bizTransaction": EventURIPlaceholder(e.ID)}}
		}
	case *events.ExportDeclared:
		ev = x.base(s, "ObjectEvent")
		ev["action"], ev["bizStep"], ev["epcList"] = "OBSERVE", BizStepExportDeclared, epcList(b.Units)
		putParty(ev, xExporter, b.Exporter)
		put(ev, xOriginCountry, b.OriginCountry)
		put(ev, xDestCountry, b.DestinationCountry)
		put(ev, xECCN, b.ECCN)
		put(ev, xLicence, b.Licence)
		put(ev, xLicenceException, b.LicenceException)
		put(ev, xGoodsDescription, b.GoodsDescription)
		putParty(ev, xEndUser, b.EndUser)
		put(ev, xDeclarationID, b.DeclarationID)
	case *events.Installed:
		ev = x.base(s, "ObjectEvent")
		ev["action"], ev["bizStep"], ev["epcList"] = "OBSERVE", "installing", epcList(b.Units)
		ev["bizLocation"] = location(b.Site)
		put(ev, xCountry, b.Country)
		x.site(b.Site, b.Country)
		putParty(ev, xTenant, b.Tenant)
		put(ev, xRack, b.Rack)
	case *events.LocationAttested:
		ev = x.base(s, "ObjectEvent")
		ev["action"], ev["bizStep"], ev["epcList"] = "OBSERVE", BizStepLocationAttested, epcList(b.Units)
		put(ev, xCountry, b.Country)
		if b.Lat != nil {
			ev[cl(xLat)], ev[cl(xLon)] = *b.Lat, *b.Lon
		}
		put(ev, xMethod, b.Method)
		putParty(ev, xAttestor, b.Attestor)
	case *events.Returned:
		ev = x.base(s, "ObjectEvent")
		ev["action"], ev["bizStep"], ev["disposition"], ev["epcList"] = "OBSERVE", "shipping", "returned", epcList(b.Units)
		ev["sourceList"] = end("sourceList", b.From, "")
		ev["destinationList"] = end("destinationList", b.To, "")
		if bt := bizTransactions(bizTx{"rma", b.RMA}); len(bt) > 0 {
			ev["bizTransactionList"] = bt
		}
	case *events.Destroyed:
		ev = x.base(s, "ObjectEvent")
		ev["action"], ev["bizStep"], ev["disposition"], ev["epcList"] = "DELETE", "destroying", "destroyed", epcList(b.Units)
		putParty(ev, xBy, b.By)
		put(ev, xCertificate, b.Certificate)
	case *events.ReportedLost:
		ev = x.base(s, "ObjectEvent")
		ev["action"], ev["bizStep"], ev["epcList"] = "OBSERVE", BizStepLostReported, epcList(b.Units)
		putParty(ev, xParty, b.Party)
		put(ev, xNote, b.Note)
	case *events.LabTestRecorded:
		ev = x.base(s, "ObjectEvent")
		ev["action"], ev["bizStep"], ev["epcList"] = "OBSERVE", "inspecting", epcList([]events.UnitID{b.Unit})
		putParty(ev, xLab, b.Lab)
		put(ev, xResult, b.Result)
		put(ev, xReport, b.Report)
		put(ev, xLicence, b.Licence)
	case *events.Corrected:
		return x.correction(s, b)
	default:
		return nil, fmt.Errorf("%s is not a custody event: Export writes a unit's custody history", e.Type)
	}
	return []any{ev}, nil
}

// EventURIPlaceholder is the business transaction Export gives a sale
// without a contract (a TransactionEvent must have one); the mapping
// skips business transactions in the urn:chipledger:event: namespace.
func EventURIPlaceholder(id string) string { return URNEvent + pctEncode(id) }

func (x *exporter) containment(s ExportStep, typ, action, step string, parent events.UnitID, children []events.UnitID, site string) map[string]any {
	ev := x.base(s, typ)
	ev["action"], ev["bizStep"], ev["parentID"], ev["childEPCs"] = action, step, UnitEPC(parent), epcList(children)
	if site != "" {
		ev["bizLocation"] = location(site)
	}
	return ev
}

// correction writes a copy of the corrected event with an errorDeclaration:
// the copy hashes like the original (the hash leaves the errorDeclaration,
// eventID and recordTime out), and the correction's own publisher, ledger
// entry and reason are in the errorDeclaration.
func (x *exporter) correction(s ExportStep, b *events.Corrected) ([]any, error) {
	orig, ok := x.byID[b.Target]
	if !ok {
		return nil, fmt.Errorf("the corrected event %s is not among the steps before it", b.Target)
	}
	e := s.Event
	cp := make(map[string]any, len(orig)+1)
	for k, v := range orig {
		cp[k] = v
	}
	cp["recordTime"] = formatTime(e.RecordedAt)
	ed := map[string]any{
		"declarationTime": formatTime(e.OccurredAt),
		"reason":          "incorrect_data",
		cl(xReason):       b.Reason,
		cl(xPublisher):    refURI(e.Publisher, URNParty),
		cl(xLedger):       map[string]any{"seq": s.Seq, "hash": s.Hash},
	}
	cp["errorDeclaration"] = ed
	out := []any{cp}
	if b.Amended != nil {
		amended := ExportStep{Event: *b.Amended, Seq: s.Seq, Hash: s.Hash}
		amended.Event.ID = e.ID + "#amended"
		evs, err := x.event(amended)
		if err != nil {
			return nil, fmt.Errorf("amended event: %w", err)
		}
		ed["correctiveEventIDs"] = []any{EventURI(amended.Event.ID)}
		out = append(out, evs...)
	}
	return out, nil
}
