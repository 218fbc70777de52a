package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/chipledger/chipledger/events"
)

// BundleName is the name the policy bundle is activated under in the
// ledger (policy.activated.v1 "name").
const BundleName = "chipledger-policy"

// Bundle is the policy document activated in the ledger: the controls,
// the red-flag thresholds and the chip catalogue as one JSON document,
//
//	{"name": "chipledger-policy", "version": <controls version>,
//	 "controls": <controls.json>, "thresholds": <thresholds.json>,
//	 "catalogue": <catalogue.json>}
//
// so that one digest names everything a judgement depends on. Controls
// and Catalogue are immutable and may be shared; Thresholds is the
// caller's copy.
type Bundle struct {
	Name       string
	Version    string // the controls' version
	Controls   *Controls
	Thresholds Thresholds
	Catalogue  *Catalogue
	Digest     string // "sha256:" + hex SHA-256 of the exact bytes loaded (events.Digest)
}

// maxBundleBytes bounds what LoadBundle reads.
const maxBundleBytes = 8 << 20

var defaultBundleJSON = sync.OnceValue(func() []byte {
	name, _ := json.Marshal(BundleName)
	version, _ := json.Marshal(DefaultControls().Version())
	var out bytes.Buffer
	out.WriteString("{\n  \"name\": ")
	out.Write(name)
	out.WriteString(",\n  \"version\": ")
	out.Write(version)
	for _, part := range []struct {
		name string
		file []byte
	}{{"controls", controlsJSON}, {"thresholds", thresholdsJSON}, {"catalogue", embedded}} {
		// Each file as it is, one level deeper: a JSON string holds no
		// raw newline, so indenting every line keeps the JSON intact.
		out.WriteString(",\n  \"" + part.name + "\": ")
		out.Write(bytes.ReplaceAll(bytes.TrimSpace(part.file), []byte("\n"), []byte("\n  ")))
	}
	out.WriteString("\n}\n")
	if !json.Valid(out.Bytes()) {
		panic("policy: the embedded policy files do not make a JSON bundle")
	}
	return out.Bytes()
})

// DefaultBundleJSON returns the bundle of the embedded controls.json,
// thresholds.json and catalogue.json, each file's text one level deeper:
// the same bytes on every call (the caller's copy).
func DefaultBundleJSON() []byte { return bytes.Clone(defaultBundleJSON()) }

var defaultBundle = sync.OnceValue(func() *Bundle {
	b, err := LoadBundle(defaultBundleJSON())
	if err != nil {
		panic("policy: the embedded bundle is broken: " + strings.TrimPrefix(err.Error(), "policy: "))
	}
	return b
})

// DefaultBundle returns LoadBundle(DefaultBundleJSON()), parsed once. Each
// call returns its own Bundle with its own Thresholds; Controls and
// Catalogue are shared. It panics only if the embedded files are broken,
// which a test guards.
func DefaultBundle() *Bundle {
	b := *defaultBundle()
	b.Thresholds.Sources = maps.Clone(b.Thresholds.Sources)
	return &b
}

type fileBundle struct {
	Name       string          `json:"name"`
	Version    string          `json:"version"`
	Controls   json.RawMessage `json:"controls"`
	Thresholds json.RawMessage `json:"thresholds"`
	Catalogue  json.RawMessage `json:"catalogue"`
}

// LoadBundle reads a policy bundle strictly: unknown top-level fields,
// duplicate keys, trailing data, a name other than BundleName, a missing
// part, a version other than the controls' version are refused; each part
// is read by its own loader (LoadControls, LoadThresholds, LoadCatalogue);
// and the parts must agree where they state the same fact:
//
//   - thresholds.malaysia_permit_effective = controls.malaysia_permit.effective;
//   - thresholds.china_h200_effective = controls.china_case_by_case.effective;
//   - thresholds.china_h200_quota_ratio = controls.china_case_by_case.quota_ratio;
//   - thresholds.cap_tpp_per_country = controls.ai_diffusion.cap_tpp_per_country;
//   - thresholds.cap_h100_equivalents_per_consignee = controls.ai_diffusion.lpp_h100_per_customer;
//   - every 3A090 or 4A090 ECCN of the catalogue is one a licence
//     requirement of the controls lists on the catalogue's effective date.
//
// Errors read "policy: bundle: <part or field>: <reason>"; a contradiction
// names both fields.
func LoadBundle(data []byte) (*Bundle, error) {
	if len(data) > maxBundleBytes {
		return nil, fmt.Errorf("policy: bundle: larger than %d bytes", maxBundleBytes)
	}
	if err := checkKeys("bundle", data, reflect.TypeFor[fileBundle]()); err != nil {
		return nil, err
	}
	var f fileBundle
	if err := decodeStrict("bundle", data, &f); err != nil {
		return nil, err
	}
	if f.Name != BundleName {
		return nil, fmt.Errorf("policy: bundle: name: %q: want %q", f.Name, BundleName)
	}
	if err := text("version", f.Version, true); err != nil {
		return nil, fmt.Errorf("policy: bundle: %v", err)
	}
	for _, part := range []struct {
		name string
		raw  json.RawMessage
	}{{"controls", f.Controls}, {"thresholds", f.Thresholds}, {"catalogue", f.Catalogue}} {
		if len(part.raw) == 0 || string(part.raw) == "null" {
			return nil, fmt.Errorf("policy: bundle: %s: missing", part.name)
		}
	}
	partError := func(err error) error {
		return fmt.Errorf("policy: bundle: %s", strings.TrimPrefix(err.Error(), "policy: "))
	}
	controls, err := LoadControls(f.Controls)
	if err != nil {
		return nil, partError(err)
	}
	th, err := LoadThresholds(f.Thresholds)
	if err != nil {
		return nil, partError(err)
	}
	cat, err := LoadCatalogue(bytes.NewReader(f.Catalogue))
	if err != nil {
		return nil, partError(err)
	}
	contradiction := func(a string, av any, b string, bv any) error {
		return fmt.Errorf("policy: bundle: %s %s contradicts %s %s", a, plain(av), b, plain(bv))
	}
	if f.Version != controls.Version() {
		return nil, contradiction("version", f.Version, "controls.version", controls.Version())
	}
	if got, want := th.MalaysiaPermitEffective.Time(), controls.malaysia.from; !got.Equal(want) {
		return nil, contradiction("thresholds.malaysia_permit_effective", th.MalaysiaPermitEffective, "controls.malaysia_permit.effective", date(want))
	}
	cbc := controls.cbc
	if got := th.ChinaH200Effective.Time(); !got.Equal(cbc.Effective) {
		return nil, contradiction("thresholds.china_h200_effective", th.ChinaH200Effective, "controls.china_case_by_case.effective", date(cbc.Effective))
	}
	if th.ChinaH200QuotaRatio != cbc.QuotaRatio {
		return nil, contradiction("thresholds.china_h200_quota_ratio", th.ChinaH200QuotaRatio, "controls.china_case_by_case.quota_ratio", cbc.QuotaRatio)
	}
	d := controls.diffusion
	if th.CapTPPPerCountry != d.CapTPPPerCountry {
		return nil, contradiction("thresholds.cap_tpp_per_country", th.CapTPPPerCountry, "controls.ai_diffusion.cap_tpp_per_country", d.CapTPPPerCountry)
	}
	if th.CapH100PerConsignee != d.LPPH100PerCustomer {
		return nil, contradiction("thresholds.cap_h100_equivalents_per_consignee", th.CapH100PerConsignee, "controls.ai_diffusion.lpp_h100_per_customer", d.LPPH100PerCustomer)
	}
	for i, m := range cat.models {
		e := strings.ToUpper(m.ECCN)
		if (strings.HasPrefix(e, "3A090") || strings.HasPrefix(e, "4A090")) && !controls.Controlled(m.ECCN, cat.effective) {
			return nil, fmt.Errorf("policy: bundle: catalogue.models[%d].eccn %q (%s) contradicts controls.requirements: no requirement lists it on catalogue.effective %s",
				i, m.ECCN, m.Model, date(cat.effective))
		}
	}
	return &Bundle{
		Name:       f.Name,
		Version:    f.Version,
		Controls:   controls,
		Thresholds: th,
		Catalogue:  cat,
		Digest:     events.Digest(data),
	}, nil
}

// plain formats a value of a contradiction: numbers without exponent.
func plain(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
