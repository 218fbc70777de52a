package policy_test

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/policy"
)

// day is a date at midnight UTC.
func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// now is a date under the baseline in force in 2026.
var now = day("2026-03-01")

// TestDefaultControls guards the embedded controls.json: it parses
// (DefaultControls would panic otherwise), once.
func TestDefaultControls(t *testing.T) {
	var c *policy.Controls
	require.NotPanics(t, func() { c = policy.DefaultControls() })
	require.Same(t, c, policy.DefaultControls(), "parsed once")
	assert.NotEmpty(t, c.Version())
	assert.NotEmpty(t, c.Source("controls"))

	data, err := os.ReadFile("controls.json")
	require.NoError(t, err)
	again, err := policy.LoadControls(data)
	require.NoError(t, err)
	assert.Equal(t, c.Facts(), again.Facts(), "the file on disk is the embedded one")
}

// TestGroups checks the memberships of the domain brief section 3.
func TestGroups(t *testing.T) {
	c := policy.DefaultControls()
	tests := []struct {
		country string
		want    []string
	}{
		{"CN", []string{"D:1", "D:4", "D:5"}},
		{"RU", []string{"D:1", "D:4", "D:5"}},
		{"MO", []string{"D:1", "D:4", "MO"}},
		{"IR", []string{"D:1", "D:4", "D:5", "E:1"}},
		{"CU", []string{"D:5", "E:2"}},
		{"SA", []string{"D:4"}},
		{"AE", []string{"D:4"}},
		{"VN", []string{"D:1"}},
		{"IL", []string{"A:6", "D:4"}},
		{"TW", []string{"A:6"}},
		{"GB", []string{"A:5"}},
		{"IN", []string{"A:5"}},
		{"KH", []string{"D:1"}}, // out of D:5 since 2026-02-03
		{"SG", nil},
		{"US", nil},
		{"cn", []string{"D:1", "D:4", "D:5"}}, // folded
	}
	for _, tc := range tests {
		t.Run(tc.country, func(t *testing.T) {
			got := c.Groups(tc.country, now)
			assert.Equal(t, tc.want, got)
			assert.True(t, slices.IsSorted(got))
			for _, g := range []string{"A:5", "A:6", "D:1", "D:4", "D:5", "E:1", "E:2", "MO"} {
				assert.Equal(t, slices.Contains(tc.want, g), c.InGroup(g, tc.country, now), "InGroup(%s)", g)
			}
		})
	}
	assert.False(t, c.InGroup("D:9", "CN", now), "an unknown group holds no country")
	assert.False(t, c.InGroup("MO", "CN", now), "MO is a group of its own")
}

// TestHongKongIsChina: from 2020-12-23 every group and tier query on HK
// answers as for CN; before it, HK was a destination of its own.
func TestHongKongIsChina(t *testing.T) {
	c := policy.DefaultControls()
	for _, at := range []time.Time{day("2020-12-23"), day("2022-11-01"), day("2023-11-17"), day("2025-02-01"), day("2026-01-15"), now} {
		t.Run(at.Format(time.DateOnly), func(t *testing.T) {
			for _, hk := range []string{"HK", "hk", " HK "} {
				assert.Equal(t, c.Groups("CN", at), c.Groups(hk, at))
				for _, g := range []string{"A:5", "A:6", "D:1", "D:4", "D:5", "E:1", "E:2", "MO"} {
					assert.Equal(t, c.InGroup(g, "CN", at), c.InGroup(g, hk, at), "InGroup(%s)", g)
				}
				assert.Equal(t, c.Embargoed("CN", at), c.Embargoed(hk, at))
				assert.Equal(t, c.LicenceRequired("CN", at), c.LicenceRequired(hk, at))
				assert.Equal(t, c.RestrictedHQ("CN", at), c.RestrictedHQ(hk, at))
				cnTier, cnOK := c.Tier("CN", at)
				hkTier, hkOK := c.Tier(hk, at)
				assert.Equal(t, cnTier, hkTier)
				assert.Equal(t, cnOK, hkOK)
			}
		})
	}
	before := day("2020-12-22")
	assert.Empty(t, c.Groups("HK", before))
	assert.NotEmpty(t, c.Groups("CN", before))
	assert.True(t, c.Embargoed("HK", now))
	assert.True(t, c.Hub("HK", now), "HK is a hub as a place")
	assert.False(t, c.Hub("CN", now), "CN is not a hub")
	assert.NotEmpty(t, c.Source("alias:HK"))
}

func TestLicenceRequired(t *testing.T) {
	c := policy.DefaultControls()
	tests := []struct {
		country string
		at      time.Time
		want    bool
	}{
		{"SA", now, true},
		{"AE", now, true},
		{"VN", now, true},
		{"IL", now, false}, // D:4 but A:6
		{"SG", now, false},
		{"MY", now, false},
		{"TW", now, false},
		{"US", now, false},
		{"GB", now, false},
		{"CN", now, true},
		{"HK", now, true},
		{"RU", now, true},
		{"MO", now, true},
		{"KH", now, true},  // D:1
		{"CU", now, false}, // embargoed, not in D:1/D:4: see Embargoed
		{"SA", day("2023-11-16"), false},
		{"SA", day("2023-11-17"), true},
	}
	for _, tc := range tests {
		t.Run(tc.country+" "+tc.at.Format(time.DateOnly), func(t *testing.T) {
			assert.Equal(t, tc.want, c.LicenceRequired(tc.country, tc.at))
		})
	}
}

func TestEmbargoed(t *testing.T) {
	c := policy.DefaultControls()
	tests := []struct {
		country string
		at      time.Time
		want    bool
	}{
		{"CN", now, true},
		{"HK", now, true},
		{"MO", now, true},
		{"RU", now, true},
		{"IR", now, true},
		{"KP", now, true},
		{"CU", now, true},
		{"SA", now, false},
		{"SG", now, false},
		{"US", now, false},
		{"KH", day("2025-06-01"), true},  // D:5 until 2026-02-03
		{"KH", day("2026-02-03"), false}, // removed
		{"CN", day("2022-10-06"), false}, // before the first advanced-computing rule
		{"CN", day("2022-10-07"), true},  // Oct 2022 rule: China
		{"HK", day("2022-10-07"), true},  // as China
		{"MO", day("2022-12-01"), false}, // Macau distinct until 2023-01-17
		{"MO", day("2023-01-17"), true},
		{"RU", day("2023-11-16"), false}, // D:5 joined the rule on 2023-11-17
		{"RU", day("2023-11-17"), true},
	}
	for _, tc := range tests {
		t.Run(tc.country+" "+tc.at.Format(time.DateOnly), func(t *testing.T) {
			assert.Equal(t, tc.want, c.Embargoed(tc.country, tc.at))
		})
	}
}

func TestRestrictedHQ(t *testing.T) {
	c := policy.DefaultControls()
	for _, tc := range []struct {
		country string
		at      time.Time
		want    bool
	}{
		{"CN", now, true}, {"HK", now, true}, {"MO", now, true}, {"RU", now, true},
		{"SG", now, false}, {"SA", now, false}, {"US", now, false},
		{"CN", day("2023-11-16"), false}, {"CN", day("2023-11-17"), true},
	} {
		assert.Equal(t, tc.want, c.RestrictedHQ(tc.country, tc.at), "%s %s", tc.country, tc.at.Format(time.DateOnly))
	}
}

// TestCambodia: KH is in D:5 from 2021-12-09 until its removal on
// 2026-02-03, and in D:1 throughout.
func TestCambodia(t *testing.T) {
	c := policy.DefaultControls()
	tests := []struct {
		at   string
		want bool
	}{
		{"2021-12-08", false},
		{"2021-12-09", true},
		{"2025-01-20", true},
		{"2026-02-02", true},
		{"2026-02-03", false},
		{"2026-06-01", false},
	}
	for _, tc := range tests {
		t.Run(tc.at, func(t *testing.T) {
			assert.Equal(t, tc.want, c.InGroup("D:5", "KH", day(tc.at)))
			assert.True(t, c.InGroup("D:1", "KH", day(tc.at)), "KH stays in D:1")
		})
	}
	assert.Equal(t, 22, countMembers(c, "D:5", now), "22 D:5 countries after Cambodia's removal")
	assert.Equal(t, 23, countMembers(c, "D:5", day("2026-01-01")))
}

// countMembers counts the group's members at at among every code a fact
// names.
func countMembers(c *policy.Controls, group string, at time.Time) int {
	n := 0
	seen := map[string]bool{}
	for _, f := range c.Facts() {
		cc, ok := strings.CutPrefix(f.ID, "group:"+group+"/")
		cc, _, _ = strings.Cut(cc, "#")
		if ok && !seen[cc] && c.InGroup(group, cc, at) {
			seen[cc] = true
			n++
		}
	}
	return n
}

func TestTier(t *testing.T) {
	c := policy.DefaultControls()
	in := day("2025-02-15")
	tests := []struct {
		country string
		at      time.Time
		tier    int
		ok      bool
	}{
		{"US", in, 1, true},
		{"GB", in, 1, true},
		{"TW", in, 1, true},
		{"JP", in, 1, true},
		{"CN", in, 3, true},
		{"HK", in, 3, true},
		{"MO", in, 3, true},
		{"RU", in, 3, true},
		{"KH", in, 3, true}, // in D:5 in 2025
		{"SG", in, 2, true},
		{"IN", in, 2, true},
		{"AE", in, 2, true},
		{"IL", in, 2, true},
		{"US", day("2025-01-12"), 0, false},
		{"US", day("2025-01-13"), 1, true},
		{"SG", day("2025-05-12"), 2, true},
		{"SG", day("2025-05-13"), 0, false}, // rescinded
		{"CN", now, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.country+" "+tc.at.Format(time.DateOnly), func(t *testing.T) {
			tier, ok := c.Tier(tc.country, tc.at)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.tier, tier)
		})
	}
}

func TestDiffusion(t *testing.T) {
	d := policy.DefaultControls().Diffusion()
	assert.Equal(t, day("2025-01-13"), d.Effective)
	assert.Equal(t, day("2025-01-15"), d.Published)
	assert.Equal(t, day("2025-05-13"), d.Rescinded)
	assert.Equal(t, day("2025-05-13"), d.Until)
	assert.False(t, d.Enforced)
	assert.Equal(t, 790_000_000.0, d.CapTPPPerCountry)
	assert.Equal(t, 1699.0, d.LPPH100PerCustomer)
	assert.Equal(t, 2025, d.CapFirstYear)
	assert.Equal(t, 2027, d.CapLastYear)
	assert.Len(t, d.Tier1, 19, "18 allies plus the US")
	assert.True(t, slices.IsSorted(d.Tier1))
	assert.Contains(t, d.Tier1, "US")
	assert.Equal(t, []string{"D:5", "MO"}, d.Tier3Groups)
	assert.NotEmpty(t, d.Source)
	assert.True(t, d.InForce(day("2025-03-01")))
	assert.False(t, d.InForce(day("2025-05-13")))
	d.Tier1[0] = "XX"
	assert.NotEqual(t, "XX", policy.DefaultControls().Diffusion().Tier1[0], "the caller's copy")
}

func TestControlled(t *testing.T) {
	c := policy.DefaultControls()
	tests := []struct {
		eccn string
		at   time.Time
		want bool
	}{
		{"3A090.a", now, true},
		{"3A090.b", now, true},
		{"4A090.a", now, true},
		{"4A090.b", now, true},
		{"3a090.A", now, true},
		{"4A090.a.1", now, true}, // a sub-paragraph
		{"3A090", now, true},     // the bare ECCN of a listed paragraph
		{"", now, false},
		{"EAR99", now, false},
		{"4A994", now, false},
		{"3A090.c", now, false}, // HBM: no requirement of these controls lists it
		{"3A0900", now, false},
		{"3A090.a", day("2022-10-06"), false},
		{"3A090", day("2022-10-07"), true},   // Oct 2022 rule
		{"3A090.b", day("2023-01-01"), true}, // the Oct 2022 rule lists 3A090 whole
		{"3A090.b", day("2023-11-17"), true},
	}
	for _, tc := range tests {
		t.Run(tc.eccn+" "+tc.at.Format(time.DateOnly), func(t *testing.T) {
			assert.Equal(t, tc.want, c.Controlled(tc.eccn, tc.at))
		})
	}
	// The catalogue's ECCNs are authoritative for the rule in force now:
	// every one that is 3A090 or 4A090 is controlled.
	for _, ch := range policy.Default().Models() {
		if ch.ECCN != "" {
			assert.True(t, c.Controlled(ch.ECCN, now), "%s %s", ch.Model, ch.ECCN)
		}
	}
}

func TestChinaCaseByCase(t *testing.T) {
	c := policy.DefaultControls()
	_, ok := c.ChinaCaseByCase(day("2026-01-14"))
	assert.False(t, ok, "not before 2026-01-15")
	r, ok := c.ChinaCaseByCase(day("2026-01-15"))
	require.True(t, ok)
	assert.Equal(t, day("2026-01-15"), r.Effective)
	assert.True(t, r.Until.IsZero())
	assert.Equal(t, 21000.0, r.MaxTPP)
	assert.Equal(t, 6500.0, r.MaxDRAMBandwidthGBs)
	assert.Equal(t, 0.5, r.QuotaRatio)
	assert.True(t, r.LabTestRequired)
	assert.True(t, r.USExportsOnly)
	assert.Equal(t, []string{"CN", "MO"}, r.Destinations)
	assert.NotEmpty(t, r.Source)
	assert.True(t, r.Eligible(15832, 4800), "H200")
	assert.True(t, r.Eligible(20800, 6000), "MI325X")
	assert.False(t, r.Eligible(36000, 8000), "B200")
	assert.False(t, r.Eligible(21000, 1000), "TPP at the limit")
	assert.False(t, r.Eligible(15832, 6500), "bandwidth at the limit")
}

func TestExceptionsHubsMalaysia(t *testing.T) {
	c := policy.DefaultControls()
	for _, code := range []string{"NAC", "ACA", "nac"} {
		assert.True(t, c.Exception(code, now), code)
		assert.False(t, c.Exception(code, day("2023-11-16")), code+" before 2023-11-17")
	}
	assert.False(t, c.Exception("LPP", now))
	assert.False(t, c.Exception("", now))

	for _, cc := range []string{"SG", "MY", "TH", "HK", "ID", "TW", "AE"} {
		assert.True(t, c.Hub(cc, now), cc)
	}
	for _, cc := range []string{"US", "CN", "DE", "VN"} {
		assert.False(t, c.Hub(cc, now), cc)
	}

	assert.False(t, c.MalaysiaPermitRequired(day("2025-07-13")))
	assert.True(t, c.MalaysiaPermitRequired(day("2025-07-14")))
	assert.True(t, c.MalaysiaPermitRequired(now))
	myt := time.FixedZone("MYT", 8*3600)
	assert.False(t, c.MalaysiaPermitRequired(time.Date(2025, 7, 14, 7, 0, 0, 0, myt)), "dates are midnight UTC")
	assert.True(t, c.MalaysiaPermitRequired(time.Date(2025, 7, 14, 8, 0, 0, 0, myt)))
}

// TestSources: every fact has a source, and the named facts exist.
func TestSources(t *testing.T) {
	c := policy.DefaultControls()
	for _, name := range []string{
		"controls", "group:D:1", "group:D:4", "group:D:5", "group:E:1", "group:E:2", "group:A:5", "group:A:6", "group:MO",
		"group:D:5/KH", "group:D:5/CN", "hub", "hub/SG", "alias:HK",
		"requirement:ac2023-d5-macau", "requirement:ac2023-d1-d4", "requirement:ac2023-hq", "requirement:ac2022-china",
		"exception:NAC", "exception:ACA", "malaysia-permit", "china-case-by-case", "ai-diffusion", "3a090", "3a090:2022-10", "3a090:2023-11",
	} {
		assert.NotEmpty(t, c.Source(name), name)
	}
	assert.Empty(t, c.Source("group:D:9"))
	assert.Empty(t, c.Source(""))

	facts := c.Facts()
	require.NotEmpty(t, facts)
	assert.True(t, slices.IsSortedFunc(facts, func(a, b policy.Fact) int { return strings.Compare(a.ID, b.ID) }))
	for _, f := range facts {
		assert.NotEmpty(t, f.Source, "fact %s has no source", f.ID)
		assert.Equal(t, f.Source, c.Source(f.ID))
	}
}

// TestDataHasSources walks controls.json itself: every object is a fact
// with a non-empty source, except an undated member (it has its list's
// source) and a version's parameters.
func TestDataHasSources(t *testing.T) {
	data, err := os.ReadFile("controls.json")
	require.NoError(t, err)
	var doc any
	require.NoError(t, json.Unmarshal(data, &doc))
	var walk func(path string, v any)
	n := 0
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			_, country := x["country"]
			_, dated := x["effective"]
			_, until := x["until"]
			if !strings.HasSuffix(path, ".parameters") && (!country || dated || until || strings.HasPrefix(path, "aliases")) {
				src, _ := x["source"].(string)
				assert.NotEmpty(t, strings.TrimSpace(src), "%s has no source", path)
				n++
			}
			for k, e := range x {
				walk(path+"."+k, e)
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		}
	}
	walk("", doc)
	assert.Greater(t, n, 20)

	// The 3A090 parameters of the rule in force agree with ClassifyECCN's.
	var f struct {
		Control struct {
			Versions []struct {
				ID         string             `json:"id"`
				Parameters map[string]float64 `json:"parameters"`
			} `json:"versions"`
		} `json:"control_3a090"`
	}
	require.NoError(t, json.Unmarshal(data, &f))
	i := slices.IndexFunc(f.Control.Versions, func(v struct {
		ID         string             `json:"id"`
		Parameters map[string]float64 `json:"parameters"`
	}) bool {
		return v.ID == "2023-11"
	})
	require.GreaterOrEqual(t, i, 0)
	p := f.Control.Versions[i].Parameters
	assert.Equal(t, float64(policy.TPPThresholdA), p["tpp_min"])
	assert.Equal(t, float64(policy.TPPDensityA), p["tpp_with_density_min"])
	assert.Equal(t, policy.PDThresholdA, p["pd_min"])
}

// TestVerifyMarks: the facts the domain brief marks (verify), and the
// members and dates the data had to fill in, are marked; the firm facts
// are not.
func TestVerifyMarks(t *testing.T) {
	c := policy.DefaultControls()
	facts := map[string]policy.Fact{}
	for _, f := range c.Facts() {
		facts[f.ID] = f
	}
	marked := []string{
		"group:D:5",     // medium (verify)
		"group:D:1",     // low (verify)
		"group:D:4",     // low (verify)
		"group:A:5",     // low (verify)
		"group:D:5/KH",  // the removal date and the date of addition
		"group:D:5/CN",  // a member inherits its group's mark
		"group:D:1/MM",  // the "likely" members of D:1 ...
		"group:D:1/NI",  //
		"group:D:4/IL",  // ... and of D:4
		"group:D:4/CN",  //
		"3a090:2023-11", // TPP bit length (verify against the 3A090 technical note)
		"exception:ACA", // no date in the brief
		"requirement:ac2022-china",
	}
	for _, id := range marked {
		f, ok := facts[id]
		require.True(t, ok, id)
		assert.True(t, f.Verify, "%s is marked verify", id)
	}
	for _, cc := range []string{"MM", "IR", "KP", "LY", "MO", "MD", "VE", "YE", "NI"} {
		assert.True(t, facts["group:D:1/"+cc].Verify, "likely D:1 member %s", cc)
	}
	for _, cc := range []string{"BH", "CN", "EG", "IR", "IQ", "IL", "JO", "KW", "LB", "LY", "MO", "KP", "OM", "PK", "QA", "RU", "SY", "YE"} {
		assert.True(t, facts["group:D:4/"+cc].Verify, "likely D:4 member %s", cc)
	}
	firm := []string{
		"group:E:2", "group:MO", "alias:HK", "requirement:ac2023-d5-macau", "requirement:ac2023-d1-d4",
		"requirement:ac2023-hq", "china-case-by-case", "exception:NAC", "malaysia-permit", "ai-diffusion", "hub",
	}
	for _, id := range firm {
		f, ok := facts[id]
		require.True(t, ok, id)
		assert.False(t, f.Verify, "%s is firm in the brief", id)
	}
	assert.Equal(t, "low", facts["group:D:1"].Confidence)
	assert.Equal(t, "medium", facts["group:D:5"].Confidence)
	assert.Equal(t, "high", facts["group:MO"].Confidence)
	assert.Equal(t, day("2026-02-03"), facts["group:D:5/KH"].Until)
}

// validControls is the smallest file LoadControls accepts; the cases below
// break it one rule at a time.
const validControls = `{
"version": "t1", "source": "test",
"groups": [
 {"name": "D:5", "confidence": "medium", "verify": true, "source": "s", "members": [{"country": "CN"}, {"country": "KH", "effective": "2021-12-09", "until": "2026-02-03", "source": "s"}]},
 {"name": "D:1", "confidence": "low", "source": "s", "members": [{"country": "VN"}, {"country": "CN"}]},
 {"name": "A:6", "confidence": "medium", "source": "s", "members": [{"country": "IL"}]},
 {"name": "MO", "confidence": "high", "source": "s", "members": [{"country": "MO"}]}
],
"aliases": [{"country": "HK", "as": "CN", "effective": "2020-12-23", "source": "s"}],
"requirements": [
 {"id": "d5", "eccns": ["3A090.a"], "destination_groups": ["D:5", "MO"], "policy": "denial", "effective": "2023-11-17", "source": "s"},
 {"id": "d1", "eccns": ["3A090.a"], "destination_groups": ["D:1"], "not_groups": ["A:6"], "policy": "required", "effective": "2023-11-17", "source": "s"},
 {"id": "hq", "eccns": ["3A090.a"], "hq_groups": ["D:5", "MO"], "policy": "required", "effective": "2023-11-17", "source": "s"}
],
"china_case_by_case": {"effective": "2026-01-15", "destinations": ["CN", "MO"], "chip_class": "H200", "max_tpp": 21000, "max_dram_bandwidth_gbs": 6500, "us_exports_only": true, "quota_ratio": 0.5, "lab_test_required": true, "source": "s"},
"exceptions": [{"code": "NAC", "name": "Notified Advanced Computing", "effective": "2023-11-17", "source": "s"}],
"hubs": {"source": "s", "members": [{"country": "SG"}, {"country": "HK"}]},
"malaysia_permit": {"effective": "2025-07-14", "source": "s"},
"ai_diffusion": {"name": "AI diffusion", "effective": "2025-01-13", "until": "2025-05-13", "rescinded": true, "enforced": false, "tier1": ["US", "IL"], "tier3_groups": ["D:5", "MO"], "cap_tpp_per_country": 790000000, "cap_first_year": 2025, "cap_last_year": 2027, "lpp_h100_per_customer": 1699, "source": "s"},
"control_3a090": {"source": "s", "versions": [{"id": "2023", "rule": "r", "effective": "2023-11-17", "eccns": ["3A090.a"], "test": "t", "parameters": {"tpp_min": 4800}, "source": "s"}]}
}`

// edit replaces the first old in validControls by new; it panics when old
// is absent, so that no case silently tests the valid file.
func edit(old, new string) string {
	if !strings.Contains(validControls, old) {
		panic("edit: " + old + " is not in validControls")
	}
	return strings.Replace(validControls, old, new, 1)
}

// controlsCases are LoadControls' table: the valid file, valid variants,
// and one broken way per refusal class. They also seed FuzzLoadControls.
var controlsCases = []struct {
	name, in, err string
}{
	{"valid", validControls, ""},
	{"valid: a country re-enters a group later", edit(`{"country": "VN"}, `, `{"country": "VN", "until": "2020-01-01", "source": "s"}, {"country": "VN", "effective": "2021-01-01", "source": "s"}, `), ""},

	// JSON form.
	{"not json", `{"version":`, "policy: controls: "},
	{"not an object", `[]`, "want a JSON object"},
	{"trailing data", validControls + `{}`, "data after the top-level object"},
	{"unknown top-level field", edit(`"version": "t1"`, `"owner": "x", "version": "t1"`), "owner: unknown field"},
	{"unknown nested field", edit(`{"country": "VN"}`, `{"country": "VN", "colour": "red"}`), "groups[1].members[0].colour: unknown field"},
	{"key in another case", edit(`"version": "t1"`, `"Version": "t1"`), "Version: unknown field"},
	{"duplicate key", edit(`"version": "t1"`, `"version": "t1", "version": "t2"`), `version: duplicate key "version"`},
	{"duplicate nested key", edit(`{"country": "VN"}`, `{"country": "VN", "country": "US"}`), `groups[1].members[0].country: duplicate key`},
	{"wrong type", edit(`"verify": true`, `"verify": "yes"`), "groups.verify: want a JSON boolean"},

	// Text and sources.
	{"no version", edit(`"version": "t1"`, `"version": ""`), "version: is required"},
	{"no top-level source", edit(`"source": "test"`, `"source": ""`), "source: missing: every fact needs its source"},
	{"group without source", edit(`"confidence": "low", "source": "s"`, `"confidence": "low"`), "groups[1].source: missing"},
	{"dated member without source", edit(`"until": "2026-02-03", "source": "s"`, `"until": "2026-02-03"`), "groups[0].members[1].source: missing: a dated membership needs its own source"},
	{"alias without source", edit(`"effective": "2020-12-23", "source": "s"`, `"effective": "2020-12-23"`), "aliases[0].source: missing"},
	{"requirement without source", edit(`"policy": "denial", "effective": "2023-11-17", "source": "s"`, `"policy": "denial", "effective": "2023-11-17"`), "requirements[0].source: missing"},
	{"case-by-case without source", edit(`"lab_test_required": true, "source": "s"`, `"lab_test_required": true`), "china_case_by_case.source: missing"},
	{"exception without source", edit(`"name": "Notified Advanced Computing", "effective": "2023-11-17", "source": "s"`, `"name": "Notified Advanced Computing", "effective": "2023-11-17"`), "exceptions[0].source: missing"},
	{"hubs without source", edit(`"hubs": {"source": "s", `, `"hubs": {`), "hubs.source: missing"},
	{"malaysia without source", edit(`"effective": "2025-07-14", "source": "s"`, `"effective": "2025-07-14"`), "malaysia_permit.source: missing"},
	{"diffusion without source", edit(`"lpp_h100_per_customer": 1699, "source": "s"`, `"lpp_h100_per_customer": 1699`), "ai_diffusion.source: missing"},
	{"3a090 without source", edit(`"control_3a090": {"source": "s", `, `"control_3a090": {`), "control_3a090.source: missing"},
	{"source with control character", edit(`"source": "test"`, `"source": "te\u0001st"`), "source: has control characters"},

	// Country codes and dates.
	{"lowercase country", edit(`{"country": "VN"}`, `{"country": "vn"}`), `groups[1].members[0].country: "vn" is not an ISO 3166-1 alpha-2 country code`},
	{"three-letter country", edit(`{"country": "VN"}`, `{"country": "VNM"}`), `"VNM" is not an ISO 3166-1 alpha-2`},
	{"bad destination country", edit(`"destinations": ["CN", "MO"]`, `"destinations": ["CN", "Macau"]`), `china_case_by_case.destinations[1]: "Macau" is not an ISO`},
	{"bad alias target", edit(`"as": "CN"`, `"as": "PRC"`), `aliases[0].as: "PRC" is not an ISO`},
	{"bad tier-1 country", edit(`"tier1": ["US", "IL"]`, `"tier1": ["US", "il"]`), `ai_diffusion.tier1[1]: "il" is not an ISO`},
	{"bad date", edit(`"effective": "2021-12-09"`, `"effective": "2021-13-09"`), `groups[0].members[1].effective: "2021-13-09" is not a date YYYY-MM-DD`},
	{"date with a time", edit(`"effective": "2025-07-14"`, `"effective": "2025-07-14T00:00:00Z"`), `malaysia_permit.effective: "2025-07-14T00:00:00Z" is not a date`},
	{"until before effective", edit(`"until": "2026-02-03"`, `"until": "2020-02-03"`), "groups[0].members[1].until: 2020-02-03 is not after effective 2021-12-09"},
	{"until equals effective", edit(`"effective": "2025-01-13", "until": "2025-05-13"`, `"effective": "2025-01-13", "until": "2025-01-13"`), "ai_diffusion.until: 2025-01-13 is not after effective"},
	{"requirement without effective", edit(`"policy": "denial", "effective": "2023-11-17", `, `"policy": "denial", `), "requirements[0].effective: missing"},

	// Groups.
	{"empty group", edit(`"members": [{"country": "IL"}]`, `"members": []`), "groups[2].members: a group needs at least one country"},
	{"bad group name", edit(`"name": "A:6"`, `"name": "A6"`), `groups[2].name: "A6": want a country group`},
	{"group twice", edit(`"name": "A:6"`, `"name": "D:1"`), `groups[2].name: group "D:1" is listed twice`},
	{"bad confidence", edit(`"confidence": "low"`, `"confidence": "sure"`), `groups[1].confidence: "sure": want high, medium or low`},
	{"in and out over overlapping dates", edit(`{"country": "VN"}, {"country": "CN"}`, `{"country": "VN"}, {"country": "CN"}, {"country": "VN", "until": "2026-01-01", "source": "s"}`), "groups[1].members[2].country: VN is listed twice over overlapping dates (also groups[1].members[0]): a country cannot be both in and out"},
	{"dated twice overlapping", edit(`{"country": "KH", "effective": "2021-12-09", "until": "2026-02-03", "source": "s"}`, `{"country": "KH", "effective": "2021-12-09", "until": "2026-02-03", "source": "s"}, {"country": "KH", "effective": "2026-02-02", "source": "s"}`), "KH is listed twice over overlapping dates"},
	{"group lists an alias", edit(`{"country": "VN"}, {"country": "CN"}`, `{"country": "VN"}, {"country": "CN"}, {"country": "HK"}`), "groups[1].members[2].country: HK is CN for the EAR from 2020-12-23 (alias:HK): list CN instead"},

	// Aliases.
	{"alias of itself", edit(`"as": "CN"`, `"as": "HK"`), "aliases[0].as: HK is an alias of itself"},
	{"alias twice", edit(`"aliases": [{"country": "HK", "as": "CN", "effective": "2020-12-23", "source": "s"}]`, `"aliases": [{"country": "HK", "as": "CN", "effective": "2020-12-23", "source": "s"}, {"country": "HK", "as": "MO", "effective": "2021-01-01", "source": "s"}]`), "aliases[1].country: HK is aliased twice"},
	{"alias chain", edit(`"aliases": [{"country": "HK", "as": "CN", "effective": "2020-12-23", "source": "s"}]`, `"aliases": [{"country": "HK", "as": "CN", "effective": "2020-12-23", "source": "s"}, {"country": "XK", "as": "HK", "effective": "2021-01-01", "source": "s"}]`), "aliases[1]: XK -> HK chains with aliases[0]"},

	// Requirements.
	{"unknown destination group", edit(`"destination_groups": ["D:1"]`, `"destination_groups": ["D:2"]`), `requirements[1].destination_groups[0]: unknown group "D:2"`},
	{"unknown not group", edit(`"not_groups": ["A:6"]`, `"not_groups": ["A:5"]`), `requirements[1].not_groups[0]: unknown group "A:5"`},
	{"unknown hq group", edit(`"hq_groups": ["D:5", "MO"]`, `"hq_groups": ["D:5", "E:1"]`), `requirements[2].hq_groups[1]: unknown group "E:1"`},
	{"requirement twice", edit(`"id": "d1"`, `"id": "d5"`), `requirements[1].id: requirement "d5" is listed twice`},
	{"bad policy", edit(`"policy": "denial"`, `"policy": "deny"`), `requirements[0].policy: "deny": want "denial", "case_by_case" or "required"`},
	{"not an ECCN", edit(`"eccns": ["3A090.a"], "destination_groups": ["D:5", "MO"]`, `"eccns": ["EAR99"], "destination_groups": ["D:5", "MO"]`), `requirements[0].eccns[0]: "EAR99" is not an ECCN`},
	{"no ECCNs", edit(`"eccns": ["3A090.a"], "destination_groups": ["D:5", "MO"]`, `"eccns": [], "destination_groups": ["D:5", "MO"]`), "requirements[0].eccns: no ECCNs"},
	{"ECCN no 3A090 version defines", edit(`"eccns": ["3A090.a"], "hq_groups"`, `"eccns": ["3A090.a", "4A090.a"], "hq_groups"`), "requirements[2].eccns[1]: 4A090.a is not an ECCN of the control_3a090 version in force on 2023-11-17"},
	{"requirement before any 3A090 version", edit(`"policy": "denial", "effective": "2023-11-17"`, `"policy": "denial", "effective": "2022-01-01"`), "requirements[0].eccns[0]: 3A090.a is not an ECCN of the control_3a090 version in force on 2022-01-01"},
	{"requirement without destination", edit(`"destination_groups": ["D:5", "MO"], "policy": "denial"`, `"policy": "denial"`), "requirements[0]: names no destinations, destination_groups or hq_groups"},
	{"not_groups without destination", edit(`"hq_groups": ["D:5", "MO"]`, `"hq_groups": ["D:5", "MO"], "not_groups": ["A:6"]`), "requirements[2].not_groups: not_groups without destinations"},

	// China case-by-case.
	{"quota above one", edit(`"quota_ratio": 0.5`, `"quota_ratio": 1.5`), "china_case_by_case.quota_ratio: 1.5: want a share of at most 1"},
	{"no max tpp", edit(`"max_tpp": 21000, `, ``), "china_case_by_case.max_tpp: 0: want a positive number"},
	{"lab test unstated", edit(`, "lab_test_required": true`, ``), "china_case_by_case.lab_test_required: missing"},

	// Exceptions.
	{"bad exception code", edit(`"code": "NAC"`, `"code": "nac"`), `exceptions[0].code: "nac": want an exception code`},
	{"exception twice", edit(`"exceptions": [{"code": "NAC", "name": "Notified Advanced Computing", "effective": "2023-11-17", "source": "s"}]`, `"exceptions": [{"code": "NAC", "name": "Notified Advanced Computing", "effective": "2023-11-17", "source": "s"}, {"code": "NAC", "name": "again", "effective": "2024-01-01", "source": "s"}]`), "exceptions[1].code: NAC is listed twice"},

	// Hubs.
	{"empty hub list", edit(`"members": [{"country": "SG"}, {"country": "HK"}]`, `"members": []`), "hubs.members: the hub list is empty"},
	{"hub twice", edit(`{"country": "SG"}, {"country": "HK"}`, `{"country": "SG"}, {"country": "SG"}`), "hubs.members[1].country: SG is listed twice"},

	// AI diffusion.
	{"tier-1 country in D:5", edit(`"tier1": ["US", "IL"]`, `"tier1": ["US", "CN"]`), "ai_diffusion.tier1[1]: CN is tier 1 and also in tier-3 group D:5 on 2025-01-13"},
	{"tier-1 country that was in D:5", edit(`"tier1": ["US", "IL"]`, `"tier1": ["US", "KH"]`), "ai_diffusion.tier1[1]: KH is tier 1 and also in tier-3 group D:5 on 2025-01-13"},
	{"tier-1 country joins D:5 within the window", strings.Replace(edit(`"tier1": ["US", "IL"]`, `"tier1": ["US", "VN"]`), `{"country": "CN"}, {"country": "KH"`, `{"country": "CN"}, {"country": "VN", "effective": "2025-03-01", "source": "s"}, {"country": "KH"`, 1), "ai_diffusion.tier1[1]: VN is tier 1 and also in tier-3 group D:5 on 2025-03-01"},
	{"valid: tier-1 country joins D:5 after the window", strings.Replace(edit(`"tier1": ["US", "IL"]`, `"tier1": ["US", "VN"]`), `{"country": "CN"}, {"country": "KH"`, `{"country": "CN"}, {"country": "VN", "effective": "2025-05-13", "source": "s"}, {"country": "KH"`, 1), ""},
	{"tier-1 alias", edit(`"tier1": ["US", "IL"]`, `"tier1": ["US", "HK"]`), "ai_diffusion.tier1[1]: HK is CN for the EAR while the framework is in force"},
	{"tier-1 twice", edit(`"tier1": ["US", "IL"]`, `"tier1": ["US", "US"]`), "ai_diffusion.tier1[1]: US is listed twice"},
	{"unknown tier-3 group", edit(`"tier3_groups": ["D:5", "MO"]`, `"tier3_groups": ["D:5", "D:9"]`), `ai_diffusion.tier3_groups[1]: unknown group "D:9"`},
	{"rescinded without until", edit(`"effective": "2025-01-13", "until": "2025-05-13"`, `"effective": "2025-01-13"`), "ai_diffusion.until: missing: a rescinded rule needs the date it ended"},
	{"rescission unstated", edit(`"rescinded": true, `, ``), "ai_diffusion.rescinded: missing"},
	{"cap years reversed", edit(`"cap_first_year": 2025, "cap_last_year": 2027`, `"cap_first_year": 2027, "cap_last_year": 2025`), "ai_diffusion.cap_last_year: 2025: want a year from cap_first_year 2027"},

	// ECCN 3A090 versions.
	{"versions overlap", edit(`"versions": [{`, `"versions": [{"id": "2022", "rule": "r", "effective": "2022-10-07", "until": "2023-11-18", "eccns": ["3A090"], "test": "t", "parameters": {"x": 1}, "source": "s"}, {`), "control_3a090.versions[1]: in force over the same dates as control_3a090.versions[0]"},
	{"bad parameter", edit(`"parameters": {"tpp_min": 4800}`, `"parameters": {"tpp_min": -1}`), "control_3a090.versions[0].parameters.tpp_min: -1: want a positive number"},

	// Missing sections.
	{"no hubs", edit(`"hubs": {"source": "s", "members": [{"country": "SG"}, {"country": "HK"}]},`, ``), "policy: controls: hubs: missing"},
	{"no malaysia permit", edit(`"malaysia_permit": {"effective": "2025-07-14", "source": "s"},`, ``), "malaysia_permit: missing"},
}

func TestLoadControls(t *testing.T) {
	for _, tc := range controlsCases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := policy.LoadControls([]byte(tc.in))
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				assert.True(t, strings.HasPrefix(err.Error(), "policy: controls: "), "error %q has the prefix", err)
				assert.Nil(t, c)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "t1", c.Version())
			assert.True(t, c.InGroup("D:5", "HK", now), "HK as CN")
			assert.True(t, c.LicenceRequired("VN", now))
			assert.False(t, c.LicenceRequired("IL", now))
		})
	}
}

// TestLoadControlsMissingSections removes each required section of the
// embedded file in turn.
func TestLoadControlsMissingSections(t *testing.T) {
	data, err := os.ReadFile("controls.json")
	require.NoError(t, err)
	for _, section := range []string{"groups", "requirements", "china_case_by_case", "hubs", "malaysia_permit", "ai_diffusion", "control_3a090"} {
		t.Run(section, func(t *testing.T) {
			var doc map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(data, &doc))
			delete(doc, section)
			in, err := json.Marshal(doc)
			require.NoError(t, err)
			_, err = policy.LoadControls(in)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "policy: controls: "+section+": ")
		})
	}
}

// FuzzLoadControls checks LoadControls never panics, refuses with the
// package prefix, and that whatever it accepts answers queries consistently.
func FuzzLoadControls(f *testing.F) {
	data, err := os.ReadFile("controls.json")
	require.NoError(f, err)
	f.Add(string(data))
	for _, tc := range controlsCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		c, err := policy.LoadControls([]byte(in))
		if err != nil {
			require.Nil(t, c)
			require.True(t, strings.HasPrefix(err.Error(), "policy: controls: "), "error %q", err)
			return
		}
		for _, f := range c.Facts() {
			require.NotEmpty(t, f.Source, f.ID)
			require.Equal(t, f.Source, c.Source(f.ID))
		}
		for _, at := range []time.Time{day("2020-01-01"), day("2025-02-01"), now} {
			for _, cc := range []string{"CN", "HK", "MO", "US", "SG", "KH"} {
				require.True(t, slices.IsSorted(c.Groups(cc, at)))
				if tier, ok := c.Tier(cc, at); ok {
					require.Contains(t, []int{1, 2, 3}, tier)
				}
			}
		}
	})
}
