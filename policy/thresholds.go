package policy

import (
	_ "embed"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
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
// parsed by [LoadThresholds] on every call so that callers may modify their
// copy. It panics only if the embedded file is broken, which a test guards.
func DefaultThresholds() Thresholds {
	t, err := LoadThresholds(thresholdsJSON)
	if err != nil {
		panic("policy: the embedded thresholds.json is broken: " + strings.TrimPrefix(err.Error(), "policy: "))
	}
	return t
}

// maxThresholdsBytes bounds what LoadThresholds reads.
const maxThresholdsBytes = 1 << 20

// LoadThresholds reads a thresholds file (see thresholds.json) strictly:
// unknown fields, duplicate keys, trailing data, a number that is missing
// or not positive, a date that is missing or not YYYY-MM-DD, a field
// without its source in sources, and a source for an unknown field are
// errors ("policy: thresholds: <field>: <reason>").
func LoadThresholds(data []byte) (Thresholds, error) {
	if len(data) > maxThresholdsBytes {
		return Thresholds{}, fmt.Errorf("policy: thresholds: larger than %d bytes", maxThresholdsBytes)
	}
	if err := checkKeys("thresholds", data, reflect.TypeFor[Thresholds]()); err != nil {
		return Thresholds{}, err
	}
	var t Thresholds
	if err := decodeStrict("thresholds", data, &t); err != nil {
		return Thresholds{}, err
	}
	// Every number positive, every date valid, every field sourced.
	v := reflect.ValueOf(t)
	known := make(map[string]bool, v.NumField())
	for i := 0; i < v.NumField(); i++ {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		known[name] = true
		var reason string
		switch x := v.Field(i).Interface().(type) {
		case int:
			if x <= 0 {
				reason = "missing or not positive"
			}
		case float64:
			if !(x > 0) || math.IsInf(x, 0) {
				reason = "missing or not positive"
			}
		case events.Date:
			if x.Time().IsZero() {
				reason = fmt.Sprintf("%q: missing or not a date YYYY-MM-DD", string(x))
			}
		case string:
			if err := text(name, x, true); err != nil {
				reason = strings.TrimPrefix(err.Error(), name+" ")
			}
		default:
			continue // Sources
		}
		if reason != "" {
			return Thresholds{}, fmt.Errorf("policy: thresholds: %s: %s", name, reason)
		}
		if name == "version" {
			continue
		}
		if strings.TrimSpace(t.Sources[name]) == "" {
			return Thresholds{}, fmt.Errorf("policy: thresholds: %s: no source in sources", name)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(t.Sources)) {
		if !known[k] || k == "version" || k == "sources" {
			return Thresholds{}, fmt.Errorf("policy: thresholds: sources.%s: a source for an unknown field", k)
		}
		if err := text("sources."+k, t.Sources[k], true); err != nil {
			return Thresholds{}, fmt.Errorf("policy: thresholds: %v", err)
		}
	}
	return t, nil
}
