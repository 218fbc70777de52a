package policy

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/chipledger/chipledger/events"
)

//go:embed thresholds.json
var thresholdsJSON []byte

// Thresholds are the numeric limits of the red-flag rules (R7 to R22 of
// the domain brief) as one versioned data file, thresholds.json: the
// simulator places its near-threshold twins by them and detection judges
// by the same numbers. Sources maps each field's JSON name to its source or
// the reasoning behind the number, so a disputed figure is corrected in the
// data file, not in code.
type Thresholds struct {
	Version string `json:"version"`

	HubDwellDays             int         `json:"hub_dwell_days"`                  // R7: received in a hub and shipped on within this many days
	InstallDeadlineDays      int         `json:"install_deadline_days"`           // R8: exported or received and not installed within this many days
	AttestationGapDays       int         `json:"attestation_gap_days"`            // R8: location attestations stop for more than this many days
	OrderSplittingUnits      int         `json:"order_splitting_units"`           // R14: units per buyer group (chips)
	OrderSplittingWindowDays int         `json:"order_splitting_window_days"`     // R14: window the group's orders are summed over
	BackdatingGapHours       int         `json:"backdating_gap_hours"`            // R22: occurred_at this far before recorded_at
	ImpossibleTravelKMH      float64     `json:"impossible_travel_kmh"`           // R9: speed between consecutive attestations
	RapidResaleWindowDays    int         `json:"rapid_resale_window_days"`        // R16: window of the sales before an install
	RapidResaleMinSales      int         `json:"rapid_resale_min_sales"`          // R16: this many sales or more
	RapidResaleMinCountries  int         `json:"rapid_resale_min_countries"`      // R16: across this many countries or more
	NewCustomerAfter         events.Date `json:"new_customer_incorporated_after"` // R13: incorporated after this date
	NewCustomerLargeOrder    int         `json:"new_customer_large_order_units"`  // R13: a first order of this many chips or more
	MalaysiaPermitEffective  events.Date `json:"malaysia_permit_effective"`       // R18: permit needed from this date
	CapacityMismatchRatio    float64     `json:"capacity_mismatch_ratio"`         // R12: received / (installed or attested) above this
	ChinaH200Effective       events.Date `json:"china_h200_effective"`            // R17: case-by-case China licences from this date
	ChinaH200QuotaRatio      float64     `json:"china_h200_quota_ratio"`          // R17: China units / US end-user units above this
	CapH100PerConsignee      float64     `json:"cap_h100_equivalents_per_consignee"`
	CapTPPPerCountry         float64     `json:"cap_tpp_per_country"`

	Sources map[string]string `json:"sources"` // JSON field name -> source or reasoning
}

// DefaultThresholds returns the embedded thresholds (thresholds.json),
// parsed on every call so that callers may modify their copy. It panics
// only if the embedded file is broken, which a test guards.
func DefaultThresholds() Thresholds {
	var t Thresholds
	dec := json.NewDecoder(bytes.NewReader(thresholdsJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		panic("policy: the embedded thresholds.json is broken: " + err.Error())
	}
	if dec.More() {
		panic("policy: the embedded thresholds.json is broken: trailing data")
	}
	// Every number positive, every date valid, every field sourced.
	v := reflect.ValueOf(t)
	known := make(map[string]bool, v.NumField())
	for i := 0; i < v.NumField(); i++ {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		known[name] = true
		var bad bool
		switch x := v.Field(i).Interface().(type) {
		case int:
			bad = x <= 0
		case float64:
			bad = !(x > 0)
		case events.Date:
			bad = x.Time().IsZero()
		case string:
			bad = x == ""
		default:
			continue // Sources
		}
		if bad {
			panic(fmt.Sprintf("policy: the embedded thresholds.json is broken: %s is missing or not positive", name))
		}
		if name != "version" && strings.TrimSpace(t.Sources[name]) == "" {
			panic(fmt.Sprintf("policy: the embedded thresholds.json is broken: %s has no source", name))
		}
	}
	for k := range t.Sources {
		if !known[k] || k == "version" || k == "sources" {
			panic("policy: the embedded thresholds.json is broken: a source for unknown field " + k)
		}
	}
	return t
}
