package epcis

// chipledger's EPCIS extension fields live in one JSON-LD namespace. A
// document declares a prefix for it in its @context (Export writes
// {"cl": CLNamespace}); the fields are then written "cl:eccn" and so on.
// Another prefix for the same namespace, or the full IRI as the key, means
// the same field. docs/epcis.md lists every field and where it applies.
const (
	CLNamespace = "https://chipledger.example/epcis/v1/"
	CLPrefix    = "cl"
)

// Private business steps (CBV allows a business step outside the CBV as a
// URI): native custody facts that CBV has no step for.
const (
	BizStepExportDeclared   = CLNamespace + "export_declared"
	BizStepLocationAttested = CLNamespace + "location_attested"
	BizStepLostReported     = CLNamespace + "lost_reported"
)

// Extension field local names (after the prefix).
const (
	xPublisher        = "publisher"        // party id: who publishes the event (any event)
	xLedger           = "ledger"           // {"seq": N, "hash": "..."}: the ledger entry an exported event comes from; ignored on input
	xModel            = "model"            // commissioning (ilmd or event): model as catalogued
	xManufacturer     = "manufacturer"     // commissioning: party id
	xSerial           = "serial"           // commissioning: serial as printed (default: the EPC's serial)
	xDeclaredTPP      = "declaredTpp"      // commissioning: number
	xECCN             = "eccn"             // commissioning, shipping, export: ECCN declared
	xCountry          = "country"          // commissioning, receiving, installing, location attestation: country (overrides master data)
	xFromCountry      = "fromCountry"      // shipping: country of the origin (overrides master data)
	xToCountry        = "toCountry"        // shipping: country of the destination
	xVia              = "via"              // shipping: transit countries, in order
	xCarrier          = "carrier"          // shipping: party id
	xEndUser          = "endUser"          // shipping: declared end user; export: end user
	xFinalConsignee   = "finalConsignee"   // shipping: party id
	xGoodsDescription = "goodsDescription" // shipping, export
	xLicence          = "licence"          // shipping, export, lab test: licence number
	xLicenceException = "licenceException" // shipping, export: NLR, NAC, ACA, ...
	xMalaysiaPermit   = "myPermit"         // shipping: Malaysian Strategic Trade Permit
	xShipmentID       = "shipmentId"       // shipping, receiving (default: the desadv business transaction)
	xPayer            = "payer"            // shipping, sale: party id of who pays
	xPriceAmount      = "priceAmount"      // sale: decimal string
	xPriceCurrency    = "priceCurrency"    // sale: ISO 4217
	xTenant           = "tenant"           // installing: party id
	xRack             = "rack"             // installing
	xExporter         = "exporter"         // export: party id
	xOriginCountry    = "originCountry"    // export
	xDestCountry      = "destinationCountry"
	xDeclarationID    = "declarationId" // export
	xLat              = "lat"           // location attestation
	xLon              = "lon"
	xMethod           = "method"      // location attestation
	xAttestor         = "attestor"    // location attestation: party id
	xBy               = "by"          // destroying: party id
	xCertificate      = "certificate" // destroying: certificate of destruction
	xParty            = "party"       // lost: party id reporting it
	xNote             = "note"        // lost
	xLab              = "lab"         // lab test (inspecting): party id
	xResult           = "result"      // lab test: pass, fail, inconclusive
	xReport           = "report"      // lab test
	xReason           = "reason"      // in an errorDeclaration: the correction's reason text (also cl:publisher and cl:ledger there)
)

var knownExtensions = map[string]bool{}

func init() {
	for _, k := range []string{xPublisher, xLedger, xModel, xManufacturer, xSerial, xDeclaredTPP, xECCN, xCountry,
		xFromCountry, xToCountry, xVia, xCarrier, xEndUser, xFinalConsignee, xGoodsDescription, xLicence,
		xLicenceException, xMalaysiaPermit, xShipmentID, xPayer, xPriceAmount, xPriceCurrency, xTenant, xRack,
		xExporter, xOriginCountry, xDestCountry, xDeclarationID, xLat, xLon, xMethod, xAttestor, xBy, xCertificate,
		xParty, xNote, xLab, xResult, xReport, xReason} {
		knownExtensions[k] = true
	}
}
