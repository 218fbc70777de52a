package events

import (
	"slices"
	"time"
)

// Event types of v1. A type string never changes meaning: a new or changed
// field makes a new versioned type (unit.shipped.v2), never an edit of v1.
const (
	TypeCommissioned         = "unit.commissioned.v1"
	TypeAssembled            = "unit.assembled.v1"
	TypeDisassembled         = "unit.disassembled.v1"
	TypePacked               = "unit.packed.v1"
	TypeUnpacked             = "unit.unpacked.v1"
	TypeShipped              = "unit.shipped.v1"
	TypeReceived             = "unit.received.v1"
	TypeOwnershipTransferred = "ownership.transferred.v1"
	TypeExportDeclared       = "export.declared.v1"
	TypeInstalled            = "unit.installed.v1"
	TypeLocationAttested     = "location.attested.v1"
	TypeReturned             = "unit.returned.v1"
	TypeDestroyed            = "unit.destroyed.v1"
	TypeReportedLost         = "unit.lost.v1"
	TypePartyRegistered      = "party.registered.v1"
	TypePartyUpdated         = "party.updated.v1"
	TypeSiteRegistered       = "site.registered.v1"
	TypeLicenceGranted       = "licence.granted.v1"
	TypeLicenceRevoked       = "licence.revoked.v1"
	TypeCorrected            = "event.corrected.v1"
	TypePolicyActivated      = "policy.activated.v1"
	TypeScreeningActivated   = "screening.activated.v1"
	TypeLabTestRecorded      = "lab.test_recorded.v1"
	TypeAlertAcknowledged    = "alert.acknowledged.v1"
	TypeAlertDismissed       = "alert.dismissed.v1"
	TypeAlertEscalated       = "alert.escalated.v1"
)

// Party types (PartyInfo.Types).
const (
	PartyManufacturer     = "manufacturer"
	PartyOEM              = "oem"
	PartyDistributor      = "distributor"
	PartyReseller         = "reseller"
	PartyFreightForwarder = "freight_forwarder"
	PartyCarrier          = "carrier"
	PartyCloud            = "cloud"
	PartyDatacenter       = "datacenter"
	PartyEndUser          = "end_user"
	PartyBank             = "bank"
	PartyTradingCompany   = "trading_company"
	PartyLab              = "lab"
	PartyGovernment       = "government"
	PartyOther            = "other"
)

var partyTypes = []string{
	PartyManufacturer, PartyOEM, PartyDistributor, PartyReseller, PartyFreightForwarder, PartyCarrier,
	PartyCloud, PartyDatacenter, PartyEndUser, PartyBank, PartyTradingCompany, PartyLab, PartyGovernment, PartyOther,
}

// Site kinds (SiteRegistered.Kind).
const (
	SiteDatacenter    = "datacenter"
	SiteWarehouse     = "warehouse"
	SiteFactory       = "factory"
	SiteFreeTradeZone = "free_trade_zone"
	SiteOffice        = "office"
)

var siteKinds = []string{SiteDatacenter, SiteWarehouse, SiteFactory, SiteFreeTradeZone, SiteOffice}

// Correction actions (Corrected.Action).
const (
	ActionRetract = "retract"
	ActionAmend   = "amend"
)

// Lab test results (LabTestRecorded.Result).
const (
	ResultPass         = "pass"
	ResultFail         = "fail"
	ResultInconclusive = "inconclusive"
)

// Date is a calendar date "2006-01-02" (time.DateOnly), years 1970..2200.
type Date string

// Time returns the date at midnight UTC, or the zero time if d is not a
// valid date.
func (d Date) Time() time.Time {
	t, err := time.Parse(time.DateOnly, string(d))
	if err != nil {
		return time.Time{}
	}
	return t
}

// Place is one end of a shipment or where units were received: the party
// that holds them, optionally its site, and the country.
type Place struct {
	Party   string `json:"party"`
	Site    string `json:"site,omitempty"`
	Country string `json:"country"`
}

// Transaction carries the commercial references of a shipment.
type Transaction struct {
	PO           string `json:"po,omitempty"`
	Invoice      string `json:"invoice,omitempty"`
	Payer        string `json:"payer,omitempty"` // party id of who pays
	BillOfLading string `json:"bill_of_lading,omitempty"`
}

// Money is a price: a non-negative decimal string and an ISO 4217 currency.
type Money struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

func lifecycleKey(units []UnitID) string {
	if len(units) == 0 {
		return ""
	}
	return string(units[0])
}

func containment(parent UnitID, children []UnitID) []UnitID {
	out := make([]UnitID, 0, 1+len(children))
	if parent != "" {
		out = append(out, parent)
	}
	return append(out, children...)
}

// checkContainment checks a parent, its children and an optional site.
func checkContainment(parent UnitID, children []UnitID, site string, parentKind string, childKinds ...string) error {
	var c checker
	c.unit("parent", parent, required, parentKind)
	c.units("children", children, childKinds...)
	for i, ch := range children {
		if c.err == nil && ch == parent {
			c.fail(ReasonInvalid, "children["+itoa(i)+"]", "a unit cannot contain itself")
		}
	}
	c.ref("site", site, optional)
	return c.result()
}

// ---- lifecycle -------------------------------------------------------

// Commissioned (unit.commissioned.v1): a unit got its serial and entered
// the world. Declared TPP and ECCN are what the publisher says; the chip
// catalogue in policy is authoritative and rules flag a disagreement.
type Commissioned struct {
	Unit         UnitID   `json:"unit"`
	Manufacturer string   `json:"manufacturer"`            // party id
	Model        string   `json:"model"`                   // e.g. "H100-SXM5-80GB"
	Serial       string   `json:"serial"`                  // the serial as printed on the unit
	DeclaredTPP  *float64 `json:"declared_tpp,omitempty"`  // total processing performance, dense
	DeclaredECCN string   `json:"declared_eccn,omitempty"` // e.g. "3A090.a"
	Site         string   `json:"site,omitempty"`
	Country      string   `json:"country,omitempty"`
}

func (b *Commissioned) Type() string       { return TypeCommissioned }
func (b *Commissioned) Subjects() []UnitID { return containment(b.Unit, nil) }
func (b *Commissioned) key() string        { return string(b.Unit) }
func (b *Commissioned) Validate() error {
	var c checker
	c.unit("unit", b.Unit, required)
	c.ref("manufacturer", b.Manufacturer, required)
	c.ref("model", b.Model, required)
	c.ref("serial", b.Serial, required)
	c.number("declared_tpp", b.DeclaredTPP, 0, maxAmount)
	c.code("declared_eccn", b.DeclaredECCN, optional)
	c.ref("site", b.Site, optional)
	c.country("country", b.Country, optional)
	return c.result()
}

// Assembled (unit.assembled.v1): children (chips or boards) were put into
// a system; the containment starts at occurred_at.
type Assembled struct {
	Parent   UnitID   `json:"parent"` // a sys unit
	Children []UnitID `json:"children"`
	Site     string   `json:"site,omitempty"`
}

func (b *Assembled) Type() string       { return TypeAssembled }
func (b *Assembled) Subjects() []UnitID { return containment(b.Parent, b.Children) }
func (b *Assembled) key() string        { return string(b.Parent) }
func (b *Assembled) Validate() error {
	return checkContainment(b.Parent, b.Children, b.Site, KindSys, KindChip, KindSys)
}

// Disassembled (unit.disassembled.v1): children were taken out of a
// system; the containment ends at occurred_at.
type Disassembled struct {
	Parent   UnitID   `json:"parent"` // a sys unit
	Children []UnitID `json:"children"`
	Site     string   `json:"site,omitempty"`
}

func (b *Disassembled) Type() string       { return TypeDisassembled }
func (b *Disassembled) Subjects() []UnitID { return containment(b.Parent, b.Children) }
func (b *Disassembled) key() string        { return string(b.Parent) }
func (b *Disassembled) Validate() error {
	return checkContainment(b.Parent, b.Children, b.Site, KindSys, KindChip, KindSys)
}

// Packed (unit.packed.v1): units were packed into a package (case,
// pallet); the containment starts at occurred_at.
type Packed struct {
	Parent   UnitID   `json:"parent"` // a pkg unit
	Children []UnitID `json:"children"`
	Site     string   `json:"site,omitempty"`
}

func (b *Packed) Type() string       { return TypePacked }
func (b *Packed) Subjects() []UnitID { return containment(b.Parent, b.Children) }
func (b *Packed) key() string        { return string(b.Parent) }
func (b *Packed) Validate() error {
	return checkContainment(b.Parent, b.Children, b.Site, KindPkg)
}

// Unpacked (unit.unpacked.v1): units were taken out of a package; the
// containment ends at occurred_at.
type Unpacked struct {
	Parent   UnitID   `json:"parent"` // a pkg unit
	Children []UnitID `json:"children"`
	Site     string   `json:"site,omitempty"`
}

func (b *Unpacked) Type() string       { return TypeUnpacked }
func (b *Unpacked) Subjects() []UnitID { return containment(b.Parent, b.Children) }
func (b *Unpacked) key() string        { return string(b.Parent) }
func (b *Unpacked) Validate() error {
	return checkContainment(b.Parent, b.Children, b.Site, KindPkg)
}

// Shipped (unit.shipped.v1): units left From for To. Units inside them
// (by containment) travel with them.
type Shipped struct {
	Units            []UnitID    `json:"units"`
	From             Place       `json:"from"`
	To               Place       `json:"to"`
	Via              []string    `json:"via,omitempty"`               // transit countries in order
	Carrier          string      `json:"carrier,omitempty"`           // party id
	DeclaredEndUser  string      `json:"declared_end_user,omitempty"` // party id
	FinalConsignee   string      `json:"final_consignee,omitempty"`   // party id
	GoodsDescription string      `json:"goods_description,omitempty"` // as on the shipping documents
	DeclaredECCN     string      `json:"declared_eccn,omitempty"`
	Licence          string      `json:"licence,omitempty"`           // licence number
	LicenceException string      `json:"licence_exception,omitempty"` // NAC, ACA, NLR, ...
	Transaction      Transaction `json:"transaction,omitzero"`
	MalaysiaPermit   string      `json:"my_permit,omitempty"` // Malaysian Strategic Trade Permit reference
	ShipmentID       string      `json:"shipment_id,omitempty"`
}

func (b *Shipped) Type() string       { return TypeShipped }
func (b *Shipped) Subjects() []UnitID { return slices.Clone(b.Units) }
func (b *Shipped) key() string        { return lifecycleKey(b.Units) }
func (b *Shipped) Validate() error {
	var c checker
	c.units("units", b.Units)
	c.place("from", b.From)
	c.place("to", b.To)
	c.countries("via", b.Via, optional)
	c.ref("carrier", b.Carrier, optional)
	c.ref("declared_end_user", b.DeclaredEndUser, optional)
	c.ref("final_consignee", b.FinalConsignee, optional)
	c.text("goods_description", b.GoodsDescription, optional, MaxStringBytes)
	c.code("declared_eccn", b.DeclaredECCN, optional)
	c.ref("licence", b.Licence, optional)
	c.code("licence_exception", b.LicenceException, optional)
	c.ref("transaction.po", b.Transaction.PO, optional)
	c.ref("transaction.invoice", b.Transaction.Invoice, optional)
	c.ref("transaction.payer", b.Transaction.Payer, optional)
	c.ref("transaction.bill_of_lading", b.Transaction.BillOfLading, optional)
	c.ref("my_permit", b.MalaysiaPermit, optional)
	c.ref("shipment_id", b.ShipmentID, optional)
	return c.result()
}

// Received (unit.received.v1): units arrived at a place.
type Received struct {
	Units      []UnitID `json:"units"`
	At         Place    `json:"at"`
	ShipmentID string   `json:"shipment_id,omitempty"`
}

func (b *Received) Type() string       { return TypeReceived }
func (b *Received) Subjects() []UnitID { return slices.Clone(b.Units) }
func (b *Received) key() string        { return lifecycleKey(b.Units) }
func (b *Received) Validate() error {
	var c checker
	c.units("units", b.Units)
	c.place("at", b.At)
	c.ref("shipment_id", b.ShipmentID, optional)
	return c.result()
}

// OwnershipTransferred (ownership.transferred.v1): a sale.
type OwnershipTransferred struct {
	Units    []UnitID `json:"units"`
	Seller   string   `json:"seller"`
	Buyer    string   `json:"buyer"`
	Payer    string   `json:"payer,omitempty"` // when another party than the buyer pays
	Price    Money    `json:"price,omitzero"`
	Contract string   `json:"contract,omitempty"`
}

func (b *OwnershipTransferred) Type() string       { return TypeOwnershipTransferred }
func (b *OwnershipTransferred) Subjects() []UnitID { return slices.Clone(b.Units) }
func (b *OwnershipTransferred) key() string        { return lifecycleKey(b.Units) }
func (b *OwnershipTransferred) Validate() error {
	var c checker
	c.units("units", b.Units)
	c.ref("seller", b.Seller, required)
	c.ref("buyer", b.Buyer, required)
	c.ref("payer", b.Payer, optional)
	if b.Price != (Money{}) {
		c.amount("price.amount", b.Price.Amount, required)
		if !c.missing("price.currency", b.Price.Currency == "", required) && !upperLetters(b.Price.Currency, 3) {
			c.fail(ReasonOutOfRange, "price.currency", "must be an ISO 4217 code (three uppercase letters)")
		}
	}
	c.ref("contract", b.Contract, optional)
	return c.result()
}

// ExportDeclared (export.declared.v1): an export declaration was filed for
// units leaving a country.
type ExportDeclared struct {
	Units              []UnitID `json:"units"`
	Exporter           string   `json:"exporter"` // party id
	OriginCountry      string   `json:"origin_country,omitempty"`
	DestinationCountry string   `json:"destination_country"`
	ECCN               string   `json:"eccn,omitempty"`
	Licence            string   `json:"licence,omitempty"`
	LicenceException   string   `json:"licence_exception,omitempty"`
	GoodsDescription   string   `json:"goods_description,omitempty"`
	EndUser            string   `json:"end_user,omitempty"`       // party id
	DeclarationID      string   `json:"declaration_id,omitempty"` // e.g. the AES ITN
}

func (b *ExportDeclared) Type() string       { return TypeExportDeclared }
func (b *ExportDeclared) Subjects() []UnitID { return slices.Clone(b.Units) }
func (b *ExportDeclared) key() string        { return lifecycleKey(b.Units) }
func (b *ExportDeclared) Validate() error {
	var c checker
	c.units("units", b.Units)
	c.ref("exporter", b.Exporter, required)
	c.country("origin_country", b.OriginCountry, optional)
	c.country("destination_country", b.DestinationCountry, required)
	c.code("eccn", b.ECCN, optional)
	c.ref("licence", b.Licence, optional)
	c.code("licence_exception", b.LicenceException, optional)
	c.text("goods_description", b.GoodsDescription, optional, MaxStringBytes)
	c.ref("end_user", b.EndUser, optional)
	c.ref("declaration_id", b.DeclarationID, optional)
	return c.result()
}

// Installed (unit.installed.v1): units were put into service at a site.
type Installed struct {
	Units   []UnitID `json:"units"`
	Site    string   `json:"site"`
	Country string   `json:"country"`
	Tenant  string   `json:"tenant,omitempty"` // party id of who uses them, for cloud sites
	Rack    string   `json:"rack,omitempty"`
}

func (b *Installed) Type() string       { return TypeInstalled }
func (b *Installed) Subjects() []UnitID { return slices.Clone(b.Units) }
func (b *Installed) key() string        { return lifecycleKey(b.Units) }
func (b *Installed) Validate() error {
	var c checker
	c.units("units", b.Units)
	c.ref("site", b.Site, required)
	c.country("country", b.Country, required)
	c.ref("tenant", b.Tenant, optional)
	c.ref("rack", b.Rack, optional)
	return c.result()
}

// LocationAttested (location.attested.v1): an attestor says where units
// are. Lat and Lon come together or not at all.
type LocationAttested struct {
	Units    []UnitID `json:"units"`
	Country  string   `json:"country"`
	Lat      *float64 `json:"lat,omitempty"` // -90..90
	Lon      *float64 `json:"lon,omitempty"` // -180..180
	Method   string   `json:"method"`        // gps, ip-latency, inspection, telemetry, ...
	Attestor string   `json:"attestor"`      // party id
}

func (b *LocationAttested) Type() string       { return TypeLocationAttested }
func (b *LocationAttested) Subjects() []UnitID { return slices.Clone(b.Units) }
func (b *LocationAttested) key() string        { return lifecycleKey(b.Units) }
func (b *LocationAttested) Validate() error {
	var c checker
	c.units("units", b.Units)
	c.country("country", b.Country, required)
	c.latLon(b.Lat, b.Lon)
	c.code("method", b.Method, required)
	c.ref("attestor", b.Attestor, required)
	return c.result()
}

// Returned (unit.returned.v1): units went back from one party to another
// (RMA, repair, refused delivery).
type Returned struct {
	Units []UnitID `json:"units"`
	From  string   `json:"from"` // party id
	To    string   `json:"to"`   // party id
	RMA   string   `json:"rma,omitempty"`
}

func (b *Returned) Type() string       { return TypeReturned }
func (b *Returned) Subjects() []UnitID { return slices.Clone(b.Units) }
func (b *Returned) key() string        { return lifecycleKey(b.Units) }
func (b *Returned) Validate() error {
	var c checker
	c.units("units", b.Units)
	c.ref("from", b.From, required)
	c.ref("to", b.To, required)
	c.ref("rma", b.RMA, optional)
	return c.result()
}

// Destroyed (unit.destroyed.v1): units were destroyed; any later event
// about them is a red flag.
type Destroyed struct {
	Units       []UnitID `json:"units"`
	Certificate string   `json:"certificate,omitempty"` // certificate of destruction
	By          string   `json:"by"`                    // party id
}

func (b *Destroyed) Type() string       { return TypeDestroyed }
func (b *Destroyed) Subjects() []UnitID { return slices.Clone(b.Units) }
func (b *Destroyed) key() string        { return lifecycleKey(b.Units) }
func (b *Destroyed) Validate() error {
	var c checker
	c.units("units", b.Units)
	c.ref("certificate", b.Certificate, optional)
	c.ref("by", b.By, required)
	return c.result()
}

// ReportedLost (unit.lost.v1): a party reports units lost or stolen.
type ReportedLost struct {
	Units []UnitID `json:"units"`
	Party string   `json:"party"`
	Note  string   `json:"note,omitempty"`
}

func (b *ReportedLost) Type() string       { return TypeReportedLost }
func (b *ReportedLost) Subjects() []UnitID { return slices.Clone(b.Units) }
func (b *ReportedLost) key() string        { return lifecycleKey(b.Units) }
func (b *ReportedLost) Validate() error {
	var c checker
	c.units("units", b.Units)
	c.ref("party", b.Party, required)
	c.text("note", b.Note, optional, MaxStringBytes)
	return c.result()
}

// ---- reference data --------------------------------------------------

// PartyInfo is the full record of a party, carried by PartyRegistered and
// PartyUpdated (an update replaces the whole record).
type PartyInfo struct {
	Party          string   `json:"party"` // party id
	Name           string   `json:"name"`
	Country        string   `json:"country"`    // country of incorporation
	HQCountry      string   `json:"hq_country"` // headquarters country
	UltimateParent string   `json:"ultimate_parent,omitempty"`
	Types          []string `json:"types"` // manufacturer, oem, distributor, ...
	Incorporated   Date     `json:"incorporated,omitempty"`
	BusinessLine   string   `json:"business_line,omitempty"`
	Address        string   `json:"address,omitempty"`
	Directors      []string `json:"directors,omitempty"`
}

func (p *PartyInfo) validate() error {
	var c checker
	c.ref("party", p.Party, required)
	c.text("name", p.Name, required, MaxStringBytes)
	c.country("country", p.Country, required)
	c.country("hq_country", p.HQCountry, required)
	c.ref("ultimate_parent", p.UltimateParent, optional)
	if !c.missing("types", len(p.Types) == 0, required) {
		for i, t := range p.Types {
			f := "types[" + itoa(i) + "]"
			c.oneOf(f, t, required, partyTypes)
			if c.err == nil && slices.Contains(p.Types[:i], t) {
				c.fail(ReasonInvalid, f, "duplicate type "+t)
			}
		}
	}
	c.date("incorporated", p.Incorporated, optional)
	c.text("business_line", p.BusinessLine, optional, MaxStringBytes)
	c.text("address", p.Address, optional, MaxStringBytes)
	if len(p.Directors) > MaxUnitsPerEvent {
		c.fail(ReasonOutOfRange, "directors", "too many entries")
	}
	for i, d := range p.Directors {
		c.text("directors["+itoa(i)+"]", d, required, MaxStringBytes)
	}
	return c.result()
}

// PartyRegistered (party.registered.v1): a party's record.
type PartyRegistered struct {
	PartyInfo
}

func (b *PartyRegistered) Type() string       { return TypePartyRegistered }
func (b *PartyRegistered) Subjects() []UnitID { return nil }
func (b *PartyRegistered) key() string        { return "party:" + b.Party }
func (b *PartyRegistered) Validate() error    { return b.validate() }

// PartyUpdated (party.updated.v1): a party's record, replacing the
// previous one whole.
type PartyUpdated struct {
	PartyInfo
}

func (b *PartyUpdated) Type() string       { return TypePartyUpdated }
func (b *PartyUpdated) Subjects() []UnitID { return nil }
func (b *PartyUpdated) key() string        { return "party:" + b.Party }
func (b *PartyUpdated) Validate() error    { return b.validate() }

// SiteRegistered (site.registered.v1): a site and its operator.
type SiteRegistered struct {
	Site                  string   `json:"site"`  // site id
	Party                 string   `json:"party"` // operator's party id
	Country               string   `json:"country"`
	Name                  string   `json:"name,omitempty"`
	Kind                  string   `json:"kind,omitempty"` // datacenter, warehouse, factory, free_trade_zone, office
	DeclaredCapacityUnits *int64   `json:"declared_capacity_units,omitempty"`
	DeclaredPowerKW       *float64 `json:"declared_power_kw,omitempty"`
}

func (b *SiteRegistered) Type() string       { return TypeSiteRegistered }
func (b *SiteRegistered) Subjects() []UnitID { return nil }
func (b *SiteRegistered) key() string        { return "site:" + b.Site }
func (b *SiteRegistered) Validate() error {
	var c checker
	c.ref("site", b.Site, required)
	c.ref("party", b.Party, required)
	c.country("country", b.Country, required)
	c.text("name", b.Name, optional, MaxStringBytes)
	c.oneOf("kind", b.Kind, optional, siteKinds)
	if b.DeclaredCapacityUnits != nil {
		c.count("declared_capacity_units", *b.DeclaredCapacityUnits, 0, maxCount)
	}
	c.number("declared_power_kw", b.DeclaredPowerKW, 0, maxAmount)
	return c.result()
}

// LicenceGranted (licence.granted.v1): an export licence and its terms.
type LicenceGranted struct {
	Licence            string   `json:"licence"` // licence number
	Holder             string   `json:"holder"`  // party id
	DestinationCountry string   `json:"destination_country"`
	EndUser            string   `json:"end_user,omitempty"` // party id
	ECCN               string   `json:"eccn"`
	Quantity           int64    `json:"quantity"` // units, > 0
	ValidFrom          Date     `json:"valid_from"`
	ValidUntil         Date     `json:"valid_until"` // inclusive
	Models             []string `json:"models,omitempty"`
}

func (b *LicenceGranted) Type() string       { return TypeLicenceGranted }
func (b *LicenceGranted) Subjects() []UnitID { return nil }
func (b *LicenceGranted) key() string        { return "licence:" + b.Licence }
func (b *LicenceGranted) Validate() error {
	var c checker
	c.ref("licence", b.Licence, required)
	c.ref("holder", b.Holder, required)
	c.country("destination_country", b.DestinationCountry, required)
	c.ref("end_user", b.EndUser, optional)
	c.code("eccn", b.ECCN, required)
	c.count("quantity", b.Quantity, 1, maxCount)
	c.date("valid_from", b.ValidFrom, required)
	c.date("valid_until", b.ValidUntil, required)
	if c.err == nil && b.ValidUntil < b.ValidFrom { // same fixed-width layout: string order is date order
		c.fail(ReasonInvalid, "valid_until", "before valid_from")
	}
	c.refs("models", b.Models, optional)
	return c.result()
}

// LicenceRevoked (licence.revoked.v1): a licence stops at occurred_at.
type LicenceRevoked struct {
	Licence string `json:"licence"`
	Reason  string `json:"reason,omitempty"`
}

func (b *LicenceRevoked) Type() string       { return TypeLicenceRevoked }
func (b *LicenceRevoked) Subjects() []UnitID { return nil }
func (b *LicenceRevoked) key() string        { return "licence:" + b.Licence }
func (b *LicenceRevoked) Validate() error {
	var c checker
	c.ref("licence", b.Licence, required)
	c.text("reason", b.Reason, optional, MaxStringBytes)
	return c.result()
}

// Corrected (event.corrected.v1): an earlier event (Target) is retracted,
// or amended by Amended, a full replacement that has the target's id and
// type. Nothing in the ledger is edited: readers apply the correction.
type Corrected struct {
	Target  string `json:"target"` // event id
	Action  string `json:"action"` // retract or amend
	Reason  string `json:"reason"`
	Amended *Event `json:"amended,omitempty"` // with action amend only
}

func (b *Corrected) Type() string       { return TypeCorrected }
func (b *Corrected) Subjects() []UnitID { return nil }
func (b *Corrected) key() string        { return "event:" + b.Target }
func (b *Corrected) Validate() error {
	var c checker
	c.eventID("target", b.Target, required)
	c.oneOf("action", b.Action, required, []string{ActionRetract, ActionAmend})
	c.text("reason", b.Reason, required, MaxStringBytes)
	if c.err != nil {
		return c.err
	}
	switch {
	case b.Action == ActionRetract && b.Amended != nil:
		return verr(ReasonInvalid, "amended", "a retraction carries no amended event")
	case b.Action == ActionAmend && b.Amended == nil:
		return verr(ReasonMissingField, "amended", "required when action is amend")
	case b.Amended == nil:
		return nil
	case b.Amended.Type == TypeCorrected:
		return verr(ReasonInvalid, "amended.type", "a correction cannot amend a correction")
	case b.Amended.ID != b.Target:
		return verr(ReasonInvalid, "amended.id", "must equal target")
	}
	return prefixed("amended", b.Amended.Validate())
}

// Document is a versioned reference document (policy, screening list),
// carried by PolicyActivated and ScreeningActivated. Digest is the SHA-256
// of the document's bytes; when Content carries the document, Digest must
// match it.
type Document struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Digest    string `json:"digest"`    // "sha256:" + 64 lowercase hex digits
	Effective Date   `json:"effective"` // the date it takes effect
	Source    string `json:"source"`    // where it comes from (URL, citation)
	Content   string `json:"content,omitempty"`
}

func (d *Document) validate() error {
	var c checker
	c.ref("name", d.Name, required)
	c.ref("version", d.Version, required)
	c.digest("digest", d.Digest, required)
	c.date("effective", d.Effective, required)
	c.text("source", d.Source, required, MaxStringBytes)
	c.text("content", d.Content, optional, MaxEventBytes)
	if c.err == nil && d.Content != "" && Digest([]byte(d.Content)) != d.Digest {
		c.fail(ReasonInvalid, "digest", "does not match content")
	}
	return c.result()
}

// PolicyActivated (policy.activated.v1): a policy version (country groups,
// licence requirements, thresholds, chip catalogue) comes into force.
type PolicyActivated struct {
	Document
}

func (b *PolicyActivated) Type() string       { return TypePolicyActivated }
func (b *PolicyActivated) Subjects() []UnitID { return nil }
func (b *PolicyActivated) key() string        { return "policy:" + b.Name }
func (b *PolicyActivated) Validate() error    { return b.validate() }

// ScreeningActivated (screening.activated.v1): a screening list version
// (restricted parties) comes into force.
type ScreeningActivated struct {
	Document
}

func (b *ScreeningActivated) Type() string       { return TypeScreeningActivated }
func (b *ScreeningActivated) Subjects() []UnitID { return nil }
func (b *ScreeningActivated) key() string        { return "screening:" + b.Name }
func (b *ScreeningActivated) Validate() error    { return b.validate() }

// LabTestRecorded (lab.test_recorded.v1): a third-party lab tested a unit.
type LabTestRecorded struct {
	Unit    UnitID `json:"unit"`
	Lab     string `json:"lab"`    // party id
	Result  string `json:"result"` // pass, fail, inconclusive
	Report  string `json:"report,omitempty"`
	Licence string `json:"licence,omitempty"`
}

func (b *LabTestRecorded) Type() string       { return TypeLabTestRecorded }
func (b *LabTestRecorded) Subjects() []UnitID { return containment(b.Unit, nil) }
func (b *LabTestRecorded) key() string        { return string(b.Unit) }
func (b *LabTestRecorded) Validate() error {
	var c checker
	c.unit("unit", b.Unit, required)
	c.ref("lab", b.Lab, required)
	c.oneOf("result", b.Result, required, []string{ResultPass, ResultFail, ResultInconclusive})
	c.ref("report", b.Report, optional)
	c.ref("licence", b.Licence, optional)
	return c.result()
}

// Triage is an investigator's decision on an alert: a fact in the ledger,
// attributable to the person, never a mutable flag. The query API fills
// Investigator from the token that authenticated the request.
type Triage struct {
	Alert        string `json:"alert"`            // alert id: rule:subject:first triggering event id
	Investigator string `json:"investigator"`     // the investigator's name
	Reason       string `json:"reason,omitempty"` // why; required for a dismissal
}

func (t *Triage) validate(reasonNeeded bool) error {
	var c checker
	c.text("alert", t.Alert, required, MaxStringBytes)
	c.text("investigator", t.Investigator, required, MaxStringBytes)
	n := optional
	if reasonNeeded {
		n = required
	}
	c.text("reason", t.Reason, n, MaxStringBytes)
	return c.result()
}

// AlertAcknowledged (alert.acknowledged.v1): an investigator has seen the
// alert and is working on it. Key: alert:<alert>.
type AlertAcknowledged struct{ Triage }

func (b *AlertAcknowledged) Type() string       { return TypeAlertAcknowledged }
func (b *AlertAcknowledged) Subjects() []UnitID { return nil }
func (b *AlertAcknowledged) key() string        { return "alert:" + b.Alert }
func (b *AlertAcknowledged) Validate() error    { return b.validate(false) }

// AlertDismissed (alert.dismissed.v1): an investigator found the alert
// unfounded, with a reason. Key: alert:<alert>.
type AlertDismissed struct{ Triage }

func (b *AlertDismissed) Type() string       { return TypeAlertDismissed }
func (b *AlertDismissed) Subjects() []UnitID { return nil }
func (b *AlertDismissed) key() string        { return "alert:" + b.Alert }
func (b *AlertDismissed) Validate() error    { return b.validate(true) }

// AlertEscalated (alert.escalated.v1): an investigator escalated the
// alert (to a case, to enforcement). Key: alert:<alert>.
type AlertEscalated struct{ Triage }

func (b *AlertEscalated) Type() string       { return TypeAlertEscalated }
func (b *AlertEscalated) Subjects() []UnitID { return nil }
func (b *AlertEscalated) key() string        { return "alert:" + b.Alert }
func (b *AlertEscalated) Validate() error    { return b.validate(false) }
