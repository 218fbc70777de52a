package policy_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/policy"
)

func TestDefaultBundleJSON(t *testing.T) {
	a := policy.DefaultBundleJSON()
	b := policy.DefaultBundleJSON()
	require.Equal(t, a, b, "the same bytes every call")
	a[0] = 'x'
	assert.Equal(t, b, policy.DefaultBundleJSON(), "each call returns its own copy")
	require.True(t, json.Valid(b))

	// The top-level keys, in order, and each part is its file.
	dec := json.NewDecoder(bytes.NewReader(b))
	_, err := dec.Token()
	require.NoError(t, err)
	var keys []string
	parts := map[string]json.RawMessage{}
	for dec.More() {
		k, err := dec.Token()
		require.NoError(t, err)
		var v json.RawMessage
		require.NoError(t, dec.Decode(&v))
		keys = append(keys, k.(string))
		parts[k.(string)] = v
	}
	assert.Equal(t, []string{"name", "version", "controls", "thresholds", "catalogue"}, keys)
	assert.JSONEq(t, `"chipledger-policy"`, string(parts["name"]))
	assert.JSONEq(t, `"`+policy.DefaultControls().Version()+`"`, string(parts["version"]))
	for part, file := range map[string]string{"controls": "controls.json", "thresholds": "thresholds.json", "catalogue": "catalogue.json"} {
		data, err := os.ReadFile(file)
		require.NoError(t, err)
		assert.JSONEq(t, string(data), string(parts[part]), part)
	}
}

func TestDefaultBundle(t *testing.T) {
	var b *policy.Bundle
	require.NotPanics(t, func() { b = policy.DefaultBundle() })
	assert.Equal(t, policy.BundleName, b.Name)
	assert.Equal(t, policy.DefaultControls().Version(), b.Version)
	assert.Equal(t, events.Digest(policy.DefaultBundleJSON()), b.Digest)
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, b.Digest)
	assert.Equal(t, policy.DefaultControls().Facts(), b.Controls.Facts())
	assert.Equal(t, policy.DefaultThresholds(), b.Thresholds)
	assert.Equal(t, policy.Default().Models(), b.Catalogue.Models())

	b.Thresholds.Sources["hub_dwell_days"] = "changed"
	b.Thresholds.HubDwellDays = 1
	again := policy.DefaultBundle()
	assert.NotEqual(t, "changed", again.Thresholds.Sources["hub_dwell_days"], "each call has its own thresholds")
	assert.Equal(t, 14, again.Thresholds.HubDwellDays)
	assert.Same(t, b.Controls, again.Controls, "the immutable parts are shared")

	// The digest is of the exact bytes: the same document indented
	// otherwise loads to a different digest.
	var compact bytes.Buffer
	require.NoError(t, json.Compact(&compact, policy.DefaultBundleJSON()))
	c, err := policy.LoadBundle(compact.Bytes())
	require.NoError(t, err)
	assert.Equal(t, events.Digest(compact.Bytes()), c.Digest)
	assert.NotEqual(t, b.Digest, c.Digest)
}

// bundleText is the default bundle as text, for the cases to break.
var bundleText = string(policy.DefaultBundleJSON())

// editBundle replaces the first old in the default bundle by new; it
// panics when old is absent.
func editBundle(old, new string) string {
	if !strings.Contains(bundleText, old) {
		panic("editBundle: " + old + " is not in the default bundle")
	}
	return strings.Replace(bundleText, old, new, 1)
}

// bundleCases are LoadBundle's table: the default bundle and one broken
// way per refusal class.
var bundleCases = []struct {
	name, in, err string
}{
	{"valid", bundleText, ""},
	{"not json", `{"name":`, "policy: bundle: "},
	{"not an object", `"chipledger-policy"`, "policy: bundle: want a JSON object, got string"},
	{"trailing data", bundleText + "{}", "policy: bundle: data after the top-level object"},
	{"unknown top-level field", editBundle(`"name": "chipledger-policy",`, `"name": "chipledger-policy", "signature": "x",`), "policy: bundle: signature: unknown field"},
	{"duplicate top-level key", editBundle(`"name": "chipledger-policy",`, `"name": "chipledger-policy", "name": "chipledger-policy",`), `policy: bundle: name: duplicate key "name"`},
	{"wrong name", editBundle(`"name": "chipledger-policy"`, `"name": "chipledger-thresholds"`), `policy: bundle: name: "chipledger-thresholds": want "chipledger-policy"`},
	{"no version", editBundle(`"version": "2026.1",`+"\n  \"controls\"", "\"controls\""), "policy: bundle: version is required"},
	{"version differs from the controls'", editBundle(`"version": "2026.1",`+"\n  \"controls\"", `"version": "2026.9",`+"\n  \"controls\""), `policy: bundle: version 2026.9 contradicts controls.version 2026.1`},
	{"broken controls", editBundle(`{"country": "VN"}`, `{"country": "Viet Nam"}`), `policy: bundle: controls: groups[2].members[`},
	{"unknown field in controls", editBundle(`"china_case_by_case": {`, `"china_case_by_case": {"colour": "red", `), "policy: bundle: controls: china_case_by_case.colour: unknown field"},
	{"duplicate key in controls", editBundle(`"china_case_by_case": {`, `"china_case_by_case": {"effective": "2026-01-15", `), `policy: bundle: controls: china_case_by_case.effective: duplicate key "effective"`},
	{"broken thresholds", editBundle(`"hub_dwell_days": 14`, `"hub_dwell_days": 0`), "policy: bundle: thresholds: hub_dwell_days: missing or not positive"},
	{"broken catalogue", editBundle(`"kind": "chip"`, `"kind": "gpu"`), `policy: bundle: catalogue: models[0] "H100-SXM5-80GB": kind "gpu"`},
	{"malaysia permit dates disagree", editBundle(`"malaysia_permit_effective": "2025-07-14"`, `"malaysia_permit_effective": "2025-07-15"`), "policy: bundle: thresholds.malaysia_permit_effective 2025-07-15 contradicts controls.malaysia_permit.effective 2025-07-14"},
	{"china h200 dates disagree", editBundle(`"china_h200_effective": "2026-01-15"`, `"china_h200_effective": "2026-01-16"`), "policy: bundle: thresholds.china_h200_effective 2026-01-16 contradicts controls.china_case_by_case.effective 2026-01-15"},
	{"china quota disagrees", editBundle(`"china_h200_quota_ratio": 0.5`, `"china_h200_quota_ratio": 0.4`), "policy: bundle: thresholds.china_h200_quota_ratio 0.4 contradicts controls.china_case_by_case.quota_ratio 0.5"},
	{"country cap disagrees", editBundle(`"cap_tpp_per_country": 790000000`, `"cap_tpp_per_country": 780000000`), "policy: bundle: thresholds.cap_tpp_per_country 790000000 contradicts controls.ai_diffusion.cap_tpp_per_country 780000000"},
	{"consignee cap disagrees", editBundle(`"cap_h100_equivalents_per_consignee": 1699`, `"cap_h100_equivalents_per_consignee": 1700`), "policy: bundle: thresholds.cap_h100_equivalents_per_consignee 1700 contradicts controls.ai_diffusion.lpp_h100_per_customer 1699"},
	{"catalogue ECCN no requirement lists", editBundle(`"eccn": "4A090.a"`, `"eccn": "4A090.c"`), `policy: bundle: catalogue.models[11].eccn "4A090.c" (SYS-821GE-TNHR) contradicts controls.requirements`},
}

func TestLoadBundle(t *testing.T) {
	for _, tc := range bundleCases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := policy.LoadBundle([]byte(tc.in))
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				assert.True(t, strings.HasPrefix(err.Error(), "policy: bundle: "), "error %q has the prefix", err)
				assert.Nil(t, b)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, events.Digest([]byte(tc.in)), b.Digest)
		})
	}
}

// TestLoadBundleMissingParts removes each part in turn.
func TestLoadBundleMissingParts(t *testing.T) {
	for _, part := range []string{"controls", "thresholds", "catalogue"} {
		for _, how := range []string{"absent", "null"} {
			t.Run(part+" "+how, func(t *testing.T) {
				var doc map[string]json.RawMessage
				require.NoError(t, json.Unmarshal(policy.DefaultBundleJSON(), &doc))
				if how == "null" {
					doc[part] = json.RawMessage("null")
				} else {
					delete(doc, part)
				}
				in, err := json.Marshal(doc)
				require.NoError(t, err)
				_, err = policy.LoadBundle(in)
				require.Error(t, err)
				assert.Equal(t, "policy: bundle: "+part+": missing", err.Error())
			})
		}
	}
}

func TestLoadThresholds(t *testing.T) {
	data, err := os.ReadFile("thresholds.json")
	require.NoError(t, err)
	th, err := policy.LoadThresholds(data)
	require.NoError(t, err)
	assert.Equal(t, policy.DefaultThresholds(), th)

	text := string(data)
	edit := func(old, new string) string {
		require.Contains(t, text, old)
		return strings.Replace(text, old, new, 1)
	}
	tests := []struct {
		name, in, err string
	}{
		{"unknown field", edit(`"hub_dwell_days": 14`, `"hub_dwell_days": 14, "colour": "red"`), "policy: thresholds: colour: unknown field"},
		{"duplicate key", edit(`"hub_dwell_days": 14`, `"hub_dwell_days": 14, "hub_dwell_days": 15`), `policy: thresholds: hub_dwell_days: duplicate key "hub_dwell_days"`},
		{"wrong type", edit(`"hub_dwell_days": 14`, `"hub_dwell_days": "14"`), "policy: thresholds: hub_dwell_days: want a JSON integer, got string"},
		{"zero", edit(`"hub_dwell_days": 14`, `"hub_dwell_days": 0`), "policy: thresholds: hub_dwell_days: missing or not positive"},
		{"missing number", edit(`"capacity_mismatch_ratio": 2,`, ``), "policy: thresholds: capacity_mismatch_ratio: missing or not positive"},
		{"bad date", edit(`"malaysia_permit_effective": "2025-07-14"`, `"malaysia_permit_effective": "14/07/2025"`), `policy: thresholds: malaysia_permit_effective: "14/07/2025": missing or not a date YYYY-MM-DD`},
		{"no version", edit(`"version": "2026.1"`, `"version": ""`), "policy: thresholds: version: is required"},
		{"no source", edit(`"hub_dwell_days": "R7`, `"hub_dwell_day": "R7`), "policy: thresholds: hub_dwell_days: no source in sources"},
		{"source for an unknown field", edit(`"sources": {`, `"sources": {"colour": "x", `), "policy: thresholds: sources.colour: a source for an unknown field"},
		{"trailing data", text + "{}", "policy: thresholds: data after the top-level object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := policy.LoadThresholds([]byte(tc.in))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.err)
		})
	}
}
