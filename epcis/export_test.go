package epcis

// Internals for the tests of package epcis_test.
var (
	DocumentPreHashes = documentPreHashes
	CanonicalDL       = canonicalDL
	CanonTime         = canonTime
	CanonNumber       = canonNumber
)
