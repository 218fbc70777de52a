package policy_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/policy"
)

// TestDefault guards the embedded catalogue: it parses (Default would
// panic otherwise) and holds the models the domain brief names with their
// TPP figures.
func TestDefault(t *testing.T) {
	var c *policy.Catalogue
	require.NotPanics(t, func() { c = policy.Default() })
	require.Same(t, c, policy.Default(), "parsed once")
	assert.NotEmpty(t, c.Version())
	assert.Equal(t, "2023-11-17", c.Effective().Format("2006-01-02"))
	assert.NotEmpty(t, c.Source())

	tests := []struct {
		name, lookup, model string
		tpp                 float64
		eccn                string
	}{
		{"H100 SXM", "H100-SXM5-80GB", "H100-SXM5-80GB", 15832, "3A090.a"},
		{"H100 PCIe", "H100 PCIe", "H100-PCIE-80GB", 12096, "3A090.a"},
		{"H200", "H200", "H200-SXM5-141GB", 15832, "3A090.a"},
		{"H800", "H800", "H800-SXM5-80GB", 15832, "3A090.a"},
		{"H20", "H20", "H20-96GB", 2368, ""},
		{"B200", "B200", "B200-SXM-192GB", 36000, "3A090.a"},
		{"A100", "A100", "A100-SXM4-80GB", 4992, "3A090.a"},
		{"MI300X", "MI300X", "MI300X", 20919, "3A090.a"},
		{"MI325X", "MI325X", "MI325X", 20800, "3A090.a"},
		{"Gaudi 3", "Gaudi 3", "GAUDI3", 29360, "3A090.a"},
		{"RTX 4090", "RTX 4090", "RTX-4090", 5285, "3A090.a"},
		{"server", "SYS-821GE-TNHR", "SYS-821GE-TNHR", 0, "4A090.a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ch, ok := c.Lookup(tc.lookup)
			require.True(t, ok, "Lookup(%q)", tc.lookup)
			assert.Equal(t, tc.model, ch.Model)
			assert.Equal(t, tc.tpp, ch.TPP)
			assert.Equal(t, tc.eccn, ch.ECCN)
			assert.NotEmpty(t, ch.Vendor)
			assert.NotEmpty(t, ch.Source)
		})
	}
}

// TestCatalogueConsistency checks every entry of the embedded catalogue
// against the rules it encodes.
func TestCatalogueConsistency(t *testing.T) {
	models := policy.Default().Models()
	require.GreaterOrEqual(t, len(models), 12)
	for _, ch := range models {
		t.Run(ch.Model, func(t *testing.T) {
			assert.NotEmpty(t, ch.Source, "every fact carries its source")
			switch ch.Kind {
			case policy.KindChip:
				assert.Equal(t, policy.ClassifyECCN(ch.TPP, ch.PD), ch.ECCN, "ECCN of %s (tpp %v, pd %v)", ch.Model, ch.TPP, ch.PD)
				assert.InDelta(t, ch.TPP/15832, ch.H100Equivalents, 1e-12, "H100-equivalents = tpp/15832")
				if ch.DieAreaMM2 > 0 {
					assert.InDelta(t, ch.TPP/ch.DieAreaMM2, ch.PD, 1e-12, "pd = tpp/die area")
				}
			case policy.KindSystem:
				assert.Zero(t, ch.TPP, "a system has no TPP of its own")
				assert.Zero(t, ch.H100Equivalents)
				assert.True(t, strings.HasPrefix(ch.ECCN, "4A090"), "system ECCN %q", ch.ECCN)
			default:
				t.Fatalf("kind %q", ch.Kind)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	c := policy.Default()
	tests := []struct {
		name, in, want string
	}{
		{"exact id", "H100-SXM5-80GB", "H100-SXM5-80GB"},
		{"lower case", "h100-sxm5-80gb", "H100-SXM5-80GB"},
		{"spaces for hyphens", "h100 sxm5 80gb", "H100-SXM5-80GB"},
		{"alias", "H100 SXM", "H100-SXM5-80GB"},
		{"alias any case", "geforce rtx 4090", "RTX-4090"},
		{"surrounding space", "  MI300X ", "MI300X"},
		{"system", "supermicro sys-821ge-tnhr", "SYS-821GE-TNHR"},
		{"unknown", "H100-SXM5-81GB", ""},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ch, ok := c.Lookup(tc.in)
			assert.Equal(t, tc.want != "", ok)
			assert.Equal(t, tc.want, ch.Model)
		})
	}
	var nilCat *policy.Catalogue
	_, ok := nilCat.Lookup("H100")
	assert.False(t, ok, "a nil catalogue knows nothing")
}

func TestClassifyECCN(t *testing.T) {
	tests := []struct {
		name    string
		tpp, pd float64
		want    string
	}{
		{"H100 by TPP", 15832, 19.45, "3A090.a"},
		{"TPP at the threshold", 4800, 0, "3A090.a"},
		{"TPP just below, no density", 4799, 0, ""},
		{"density prong", 1600, 5.92, "3A090.a"},
		{"density just below", 1600, 5.91, "3A090.b"},
		{"TPP below 1600 never", 1599, 100, ""},
		{"b.1", 2400, 1.6, "3A090.b"},
		{"b.1 density too low", 2400, 1.59, ""},
		{"H20", 2368, 2.909, ""},
		{"b.2", 1600, 3.2, "3A090.b"},
		{"zero", 0, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, policy.ClassifyECCN(tc.tpp, tc.pd))
		})
	}
}

const validCatalogue = `{"version":"t1","effective":"2024-01-01","source":"test","models":[
{"model":"X-1","kind":"chip","aliases":["X1"],"vendor":"V","tpp":16000,"die_area_mm2":800,"eccn":"3A090.a","source":"s"},
{"model":"S-1","kind":"system","vendor":"V","eccn":"4A090.a","source":"s"}]}`

// loadCases are LoadCatalogue's table: a valid file and one broken way
// per rule. They also seed FuzzLoadCatalogue.
var loadCases = []struct {
	name, in, err string
}{
	{"valid", validCatalogue, ""},
	{"unknown field", strings.Replace(validCatalogue, `"vendor":"V","tpp"`, `"vendor":"V","colour":"green","tpp"`, 1), "unknown field"},
	{"unknown top-level field", strings.Replace(validCatalogue, `"version"`, `"owner":"x","version"`, 1), "unknown field"},
	{"duplicate key", strings.Replace(validCatalogue, `"vendor":"V","tpp"`, `"vendor":"V","vendor":"W","tpp"`, 1), "duplicate key"},
	{"duplicate model", strings.Replace(validCatalogue, `"model":"S-1"`, `"model":"x-1"`, 1), "already used"},
	{"alias clashes with a model", strings.Replace(validCatalogue, `"model":"S-1","kind":"system"`, `"model":"S-1","aliases":["x 1"],"kind":"system"`, 1), "already used"},
	{"alias repeats its model", strings.Replace(validCatalogue, `"aliases":["X1"]`, `"aliases":["X1","x_1"]`, 1), "repeats another"},
	{"trailing data", validCatalogue + `{}`, "after the top-level object"},
	{"not json", `{"version":`, "catalogue"},
	{"no version", strings.Replace(validCatalogue, `"t1"`, `""`, 1), "version is required"},
	{"bad effective", strings.Replace(validCatalogue, `"2024-01-01"`, `"2024-13-01"`, 1), "effective"},
	{"no models", `{"version":"t1","effective":"2024-01-01","source":"s","models":[]}`, "no models"},
	{"bad kind", strings.Replace(validCatalogue, `"kind":"chip"`, `"kind":"gpu"`, 1), "kind"},
	{"chip without tpp", strings.Replace(validCatalogue, `"tpp":16000,`, ``, 1), "tpp is required"},
	{"chip without eccn", strings.Replace(validCatalogue, `"eccn":"3A090.a",`, ``, 1), "eccn is required"},
	{"system with tpp", strings.Replace(validCatalogue, `"kind":"system",`, `"kind":"system","tpp":1,`, 1), "no tpp"},
	{"system without eccn", strings.Replace(validCatalogue, `"eccn":"4A090.a",`, ``, 1), "eccn is required"},
	{"negative die area", strings.Replace(validCatalogue, `"die_area_mm2":800`, `"die_area_mm2":-1`, 1), "out of range"},
	{"pd disagrees", strings.Replace(validCatalogue, `"die_area_mm2":800,`, `"die_area_mm2":800,"pd":30,`, 1), "pd"},
	{"h100 equivalents disagree", strings.Replace(validCatalogue, `"die_area_mm2":800,`, `"die_area_mm2":800,"h100_equivalents":2,`, 1), "h100_equivalents"},
	{"mid tpp needs density", strings.Replace(strings.Replace(validCatalogue, `"tpp":16000,"die_area_mm2":800,`, `"tpp":3000,`, 1), "3A090.a", "3A090.b", 1), "needs die_area_mm2 or pd"},
	{"no source", strings.Replace(validCatalogue, `"source":"s"}]`, `"source":""}]`, 1), "source is required"},
	{"control character", strings.Replace(validCatalogue, `"vendor":"V","tpp"`, `"vendor":"V\u0001","tpp"`, 1), "control"},
}

func TestLoadCatalogue(t *testing.T) {
	for _, tc := range loadCases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := policy.LoadCatalogue(strings.NewReader(tc.in))
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				assert.True(t, strings.HasPrefix(err.Error(), "policy: "), "error %q has the package prefix", err)
				assert.Nil(t, c)
				return
			}
			require.NoError(t, err)
			ch, ok := c.Lookup("x1")
			require.True(t, ok)
			assert.Equal(t, 20.0, ch.PD, "pd from tpp and die area")
			assert.InDelta(t, 16000.0/15832, ch.H100Equivalents, 1e-12)
		})
	}
}

func TestEmbeddedFileLoads(t *testing.T) {
	f, err := os.Open("catalogue.json")
	require.NoError(t, err)
	defer f.Close()
	c, err := policy.LoadCatalogue(f)
	require.NoError(t, err)
	assert.Equal(t, policy.Default().Models(), c.Models())
}

// FuzzLoadCatalogue checks LoadCatalogue never panics and that whatever it
// accepts is self-consistent: every model and alias looks up to itself.
func FuzzLoadCatalogue(f *testing.F) {
	data, err := os.ReadFile("catalogue.json")
	require.NoError(f, err)
	f.Add(string(data))
	for _, tc := range loadCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		c, err := policy.LoadCatalogue(strings.NewReader(in))
		if err != nil {
			require.Nil(t, c)
			require.True(t, strings.HasPrefix(err.Error(), "policy: "), "error %q", err)
			return
		}
		for _, ch := range c.Models() {
			for _, name := range append([]string{ch.Model}, ch.Aliases...) {
				got, ok := c.Lookup(name)
				require.True(t, ok, "Lookup(%q)", name)
				require.Equal(t, ch.Model, got.Model)
			}
			if ch.Kind == policy.KindChip {
				require.InDelta(t, ch.TPP/policy.H100TPP, ch.H100Equivalents, 1e-9)
			}
		}
	})
}
