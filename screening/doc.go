// Package screening checks party names against the US Consolidated
// Screening List (CSL) published by trade.gov: the Entity List, the SDN list,
// the Military End User list, the Denied Persons list and the other lists the
// CSL merges. It backs rule R4 (restricted party): an exact match is
// critical, a fuzzy match is high.
//
// [Load] reads the CSL bulk CSV in its real format, strictly (the header must
// be the CSL's, every row needs a name) and builds the indexes once; [Normalize]
// is the name normalisation used on both sides; [List.Screen] returns the
// entries whose name or alternate name matches a party's name, exact
// (equal after normalisation, spacing or word order) or fuzzy (an IDF-weighted
// token overlap at or above [FuzzyThreshold]), best first.
//
// A List is immutable after Load and safe for concurrent use. The rules,
// thresholds and measured figures are in docs/screening.md.
package screening
