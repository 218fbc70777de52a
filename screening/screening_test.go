package screening_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/screening"
)

const smallCSV = "testdata/csl_small.csv"

func loadSmall(t testing.TB) *screening.List {
	t.Helper()
	f, err := os.Open(smallCSV)
	require.NoError(t, err)
	defer f.Close()
	l, err := screening.Load(f)
	require.NoError(t, err)
	return l
}

func byName(t *testing.T, l *screening.List, name string) *screening.Entry {
	t.Helper()
	for _, m := range l.Screen(name, "") {
		if m.Entry.Name == name {
			return m.Entry
		}
	}
	t.Fatalf("no entry named %q", name)
	return nil
}

func TestLoadSmall(t *testing.T) {
	data, err := os.ReadFile(smallCSV)
	require.NoError(t, err)
	l, err := screening.Load(bytes.NewReader(data))
	require.NoError(t, err)
	assert.Equal(t, 20, l.Len())
	sum := sha256.Sum256(data)
	assert.Equal(t, "sha256:"+hex.EncodeToString(sum[:]), l.Digest())

	tests := []struct {
		name      string
		source    string
		typ       string
		alt       []string
		programs  []string
		addresses int
		countries []string
	}{
		{name: "Huawei Technologies Co., Ltd.", source: "Entity List (EL) - Bureau of Industry and Security",
			addresses: 1, countries: []string{"CN"}},
		{name: "Semiconductor Manufacturing International Corporation", alt: []string{"SMIC"},
			source: "Entity List (EL) - Bureau of Industry and Security", addresses: 2, countries: []string{"CN"}},
		{name: "Iran Electronics Industries", typ: "Entity",
			source:   "Specially Designated Nationals (SDN) - Treasury Department",
			alt:      []string{"IEI", "Sanaye Electronic Iran", "SAIRAN", "Iran Electronic Industries"},
			programs: []string{"IRAN", "NPWMD", "IFSR"}, addresses: 1, countries: []string{"IR"}},
		// A country written as a name, not a code.
		{name: "Limited Liability Company Sertal", typ: "Entity", alt: []string{"OOO Sertal", "Sertal LLC"},
			source:   "Specially Designated Nationals (SDN) - Treasury Department",
			programs: []string{"RUSSIA-EO14024"}, addresses: 1, countries: []string{"RU"}},
		// An address over two lines (a quoted multi-line field).
		{name: "Joint Stock Company Mikron", typ: "Entity",
			source:   "Specially Designated Nationals (SDN) - Treasury Department",
			alt:      []string{"Aktsionernoe Obshchestvo Mikron", "AO Mikron", "Mikron JSC"},
			programs: []string{"RUSSIA-EO14024"}, addresses: 1, countries: []string{"RU"}},
		// The country of a vessel is its flag.
		{name: "ADRIAN DARYA 1", typ: "Vessel", alt: []string{"GRACE 1"},
			source:   "Specially Designated Nationals (SDN) - Treasury Department",
			programs: []string{"IRAN", "IRGC"}, countries: []string{"IR"}},
		{name: "KOZLOVSKY, Arkady Petrovich", typ: "Individual",
			source:   "Specially Designated Nationals (SDN) - Treasury Department",
			alt:      []string{"KOZLOVSKIY, Arkadiy Petrovich", "KOZLOVSKII, Arkadii"},
			programs: []string{"RUSSIA-EO14024"}, addresses: 1, countries: []string{"RU"}},
		{name: "Tobias Wexford Crane", source: "Denied Persons List (DPL) - Bureau of Industry and Security",
			addresses: 1, countries: []string{"US"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := byName(t, l, tt.name)
			assert.Equal(t, tt.source, e.Source)
			assert.Equal(t, tt.typ, e.Type)
			assert.Equal(t, tt.alt, e.AltNames)
			assert.Equal(t, tt.programs, e.Programs)
			assert.Len(t, e.Addresses, tt.addresses)
			assert.Equal(t, tt.countries, e.Countries)
			assert.Len(t, e.ID, 40)
			assert.NotEmpty(t, e.StartDate)
			assert.True(t, strings.HasPrefix(e.SourceListURL, "https://"), e.SourceListURL)
		})
	}

	huawei := byName(t, l, "Huawei Technologies Co., Ltd.")
	assert.Equal(t, "2019-05-16", huawei.StartDate)
	assert.Contains(t, huawei.LicenseRequirement, "744.21")
	assert.Contains(t, huawei.LicensePolicy, "presumption of denial")
	mikron := byName(t, l, "Joint Stock Company Mikron")
	assert.Equal(t, "Pervyi Zapadnyi Proezd, d. 12, str. 1\nZelenograd, Moscow, 124460, RU", mikron.Addresses[0])
	dpl := byName(t, l, "Tobias Wexford Crane")
	assert.Equal(t, "2033-03-01", dpl.EndDate)
}

// A BOM and CRLF line ends load to the same entries; the digest is of the
// bytes as given.
func TestLoadBOMAndCRLF(t *testing.T) {
	data, err := os.ReadFile(smallCSV)
	require.NoError(t, err)
	want := loadSmall(t)
	variants := map[string][]byte{
		"bom":      append([]byte("\xef\xbb\xbf"), data...),
		"crlf":     bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n")),
		"bom+crlf": append([]byte("\xef\xbb\xbf"), bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))...),
	}
	for name, v := range variants {
		t.Run(name, func(t *testing.T) {
			l, err := screening.Load(bytes.NewReader(v))
			require.NoError(t, err)
			assert.Equal(t, want.Len(), l.Len())
			assert.NotEqual(t, want.Digest(), l.Digest())
			sum := sha256.Sum256(v)
			assert.Equal(t, "sha256:"+hex.EncodeToString(sum[:]), l.Digest())
			ms := l.Screen("Mikron JSC", "RU")
			require.Len(t, ms, 1)
			// encoding/csv turns the CRLF inside a quoted field into LF.
			assert.Equal(t, "Pervyi Zapadnyi Proezd, d. 12, str. 1\nZelenograd, Moscow, 124460, RU", ms[0].Entry.Addresses[0])
		})
	}
}

func TestLoadErrors(t *testing.T) {
	header := strings.Join(screening.Columns(), ",")
	row := func(id, name string) string {
		cells := make([]string, len(screening.Columns()))
		cells[0], cells[1], cells[5] = id, "Entity List (EL) - Bureau of Industry and Security", name
		return strings.Join(cells, ",")
	}
	tests := []struct {
		name  string
		input string
		want  []string // substrings of the error
	}{
		{"empty input", "", []string{"screening: empty input"}},
		{"renamed column", strings.Replace(header, "alt_names", "alt_name", 1) + "\n" + row("1", "Acme"),
			[]string{`screening: header`, `missing column "alt_names"`, `unexpected column "alt_name"`}},
		{"extra column", header + ",score\n" + row("1", "Acme") + ",1",
			[]string{`unexpected column "score"`}},
		{"missing column", strings.TrimSuffix(header, ",ids") + "\n",
			[]string{`missing column "ids"`}},
		{"repeated column", strings.Replace(header, "title", "name", 1) + "\n",
			[]string{`missing column "title"`, `repeated column "name"`}},
		{"not csv", "hello world\n", []string{`missing column "_id"`, `unexpected column "hello world"`}},
		{"header only", header + "\n", []string{"screening: no rows"}},
		{"unterminated quote", header + "\n" + row("1", "Acme") + "\n" + row("2", `"Beta Corp`) + "\n" + row("3", "Gamma"),
			[]string{"screening: ", "line 3", `extraneous or missing " in quoted-field`}},
		{"bare quote", header + "\n" + row("1", `Acme "Big" Corp`),
			[]string{"screening: ", "line 2", `bare " in non-quoted-field`}},
		{"wrong field count", header + "\n" + row("1", "Acme") + "\n" + row("2", "Beta") + ",extra",
			[]string{"screening: ", "line 3", "wrong number of fields"}},
		{"empty name", header + "\n" + row("1", "Acme") + "\n" + row("2", "  "),
			[]string{"screening: line 3: empty name", `_id "2"`}},
		{"name without letters", header + "\n" + row("1", "Acme") + "\n" + row("2", "***"),
			[]string{"screening: line 3:", `name "***" has no letter or digit`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := screening.Load(strings.NewReader(tt.input))
			require.Error(t, err)
			assert.Nil(t, l)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestScreen(t *testing.T) {
	l := loadSmall(t)
	tests := []struct {
		name    string // the test
		query   string
		country string
		entry   string // "" when nothing may match
		matched string // the list name that matched
		kind    string
		cmatch  bool
	}{
		{"exact name", "Huawei Technologies Co., Ltd.", "", "Huawei Technologies Co., Ltd.", "Huawei Technologies Co., Ltd.", "exact", false},
		{"case, punctuation, suffix", "HUAWEI TECHNOLOGIES CO., LTD.", "", "Huawei Technologies Co., Ltd.", "Huawei Technologies Co., Ltd.", "exact", false},
		{"suffix without punctuation", "Huawei Technologies Co Ltd", "", "Huawei Technologies Co., Ltd.", "Huawei Technologies Co., Ltd.", "exact", false},
		{"no suffix", "huawei technologies", "", "Huawei Technologies Co., Ltd.", "Huawei Technologies Co., Ltd.", "exact", false},
		{"other suffix", "Huawei Technologies Limited", "", "Huawei Technologies Co., Ltd.", "Huawei Technologies Co., Ltd.", "exact", false},
		{"country code", "Huawei Technologies Co Ltd", "CN", "Huawei Technologies Co., Ltd.", "Huawei Technologies Co., Ltd.", "exact", true},
		{"country name", "Huawei Technologies Co Ltd", "China", "Huawei Technologies Co., Ltd.", "Huawei Technologies Co., Ltd.", "exact", true},
		{"other country", "Huawei Technologies Co Ltd", "US", "Huawei Technologies Co., Ltd.", "Huawei Technologies Co., Ltd.", "exact", false},
		{"alt name", "SMIC", "cn", "Semiconductor Manufacturing International Corporation", "SMIC", "exact", true},
		{"alt name, suffix", "Sugon Co., Ltd.", "", "Dawning Information Industry Co., Ltd.", "Sugon", "exact", false},
		{"alt name, spelt out", "Dawning Information Industry Company Limited", "", "Dawning Information Industry Co., Ltd.", "Dawning Information Industry Co., Ltd.", "exact", false},
		{"word order", "Arkady Petrovich Kozlovsky", "Russia", "KOZLOVSKY, Arkady Petrovich", "KOZLOVSKY, Arkady Petrovich", "exact", true},
		{"word order, alt name", "Arkadii Kozlovskii", "", "KOZLOVSKY, Arkady Petrovich", "KOZLOVSKII, Arkadii", "exact", false},
		{"spacing", "Shen Zhen Jiayu Electronic Technology Co Ltd", "", "Shenzhen Jiayu Electronic Technology Co., Ltd.", "Shenzhen Jiayu Electronic Technology Co., Ltd.", "exact", false},
		{"accents", "Tecnica Avanzada Comercial SA", "Venezuela", "Técnica Avanzada Comercial, S.A.", "Técnica Avanzada Comercial, S.A.", "exact", true},
		{"accents, upper case", "TÉCNICA AVANZADA COMERCIAL S. A.", "", "Técnica Avanzada Comercial, S.A.", "Técnica Avanzada Comercial, S.A.", "exact", false},
		{"apostrophe", "AVIC Xian Aircraft Industry Group Company Limited", "", "AVIC Xi'an Aircraft Industry Group Company Ltd.", "AVIC Xi'an Aircraft Industry Group Company Ltd.", "exact", false},
		{"legal prefix", "OOO Sertal", "RU", "Limited Liability Company Sertal", "Limited Liability Company Sertal", "exact", true},
		{"legal suffix L.L.C.", "Sertal, L.L.C.", "", "Limited Liability Company Sertal", "Limited Liability Company Sertal", "exact", false},
		{"legal prefix AO", "AO Mikron", "", "Joint Stock Company Mikron", "Joint Stock Company Mikron", "exact", false},
		{"vessel alt name", "Grace 1", "IR", "ADRIAN DARYA 1", "GRACE 1", "exact", true},
		{"individual", "tobias wexford crane", "US", "Tobias Wexford Crane", "Tobias Wexford Crane", "exact", true},
		{"SDN entity", "Shahid Hemmat Industrial Group", "", "Shahid Hemmat Industrial Group", "Shahid Hemmat Industrial Group", "exact", false},

		{"fuzzy: letter missing", "Huawei Technologis Co., Ltd.", "CN", "Huawei Technologies Co., Ltd.", "Huawei Technologies Co., Ltd.", "fuzzy", true},
		{"fuzzy: letter changed", "Huawey Technologies Co Ltd", "", "Huawei Technologies Co., Ltd.", "Huawei Technologies Co., Ltd.", "fuzzy", false},
		{"fuzzy: letters swapped", "Semiconductor Manufacturing Internaitonal Corp", "", "Semiconductor Manufacturing International Corporation", "Semiconductor Manufacturing International Corporation", "fuzzy", false},
		{"fuzzy: letter added", "Sinno Electronicks Co Ltd", "", "Sinno Electronics Co., Limited", "Sinno Electronics Co., Limited", "fuzzy", false},
		{"fuzzy: plural", "Chengdu Sunway Technology Co Ltd", "", "Chengdu Sunway Technologies Co., Ltd.", "Chengdu Sunway Technologies Co., Ltd.", "fuzzy", false},
		{"fuzzy: plural, alt name", "Iran Electronic Industry", "IR", "Iran Electronics Industries", "Iran Electronic Industries", "fuzzy", true},
		{"fuzzy: misspelt legal form", "Huawei Technologies Co., Limted", "", "Huawei Technologies Co., Ltd.", "Huawei Technologies Co., Ltd.", "fuzzy", false},
		{"fuzzy: misspelt legal form and name", "Shahid Hemat Industrial Group Corporatoin", "", "Shahid Hemmat Industrial Group", "Shahid Hemmat Industrial Group", "fuzzy", false},
		{"fuzzy: transliteration", "Kozlovskiy Arkadiy Petrovitch", "", "KOZLOVSKY, Arkady Petrovich", "KOZLOVSKIY, Arkadiy Petrovich", "fuzzy", false},

		{"unrelated", "Acme Widgets GmbH", "", "", "", "", false},
		{"unrelated forwarder", "Global Logistics Pte. Ltd.", "SG", "", "", "", false},
		{"decoy sharing a common word", "Acme Technologies Co., Ltd.", "CN", "", "", "", false},
		{"decoy: another institute number", "China Electronics Technology Group Corporation 15th Research Institute", "", "", "", "", false},
		{"decoy: one letter off a short name", "SMIT", "", "", "", "", false},
		{"decoy sharing a place", "Shenzhen Acme Trading Co Ltd", "CN", "", "", "", false},
		{"name only a legal form", "Co., Ltd.", "", "", "", "", false},
		{"empty", "", "", "", "", "", false},
		{"punctuation only", " ., - ", "", "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms := l.Screen(tt.query, tt.country)
			if tt.entry == "" {
				assert.Empty(t, ms, "%+v", ms)
				return
			}
			require.NotEmpty(t, ms)
			m := ms[0]
			assert.Equal(t, tt.entry, m.Entry.Name)
			assert.Equal(t, tt.matched, m.Name)
			assert.Equal(t, tt.kind, m.Kind)
			assert.Equal(t, tt.cmatch, m.CountryMatch)
			if tt.kind == screening.KindExact {
				assert.Equal(t, 1.0, m.Score)
			} else {
				assert.GreaterOrEqual(t, m.Score, screening.FuzzyThreshold)
				assert.Less(t, m.Score, 1.0)
			}
			for i := 1; i < len(ms); i++ {
				assert.GreaterOrEqual(t, ms[i-1].Score, ms[i].Score, "sorted by score")
			}
		})
	}
}

// Entities that differ by one distinctive word are not fuzzy matches of
// each other: an exact match on one does not bring the other.
func TestScreenDistinguishingWords(t *testing.T) {
	l := loadSmall(t)
	tests := []struct {
		query string
		want  string
	}{
		{"Huawei Technologies Co Ltd", "Huawei Technologies Co., Ltd."},
		{"Huawei Device Co Ltd", "Huawei Device Co., Ltd."},
		{"China Electronics Technology Group Corporation 14th Research Institute", "China Electronics Technology Group Corporation 14th Research Institute"},
		{"China Electronics Technology Group Corporation 38th Research Institute", "China Electronics Technology Group Corporation 38th Research Institute"},
		{"Chengdu Sunway Technologies", "Chengdu Sunway Technologies Co., Ltd."},
		{"CETC 14", "China Electronics Technology Group Corporation 14th Research Institute"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			ms := l.Screen(tt.query, "")
			require.Len(t, ms, 1, "%+v", ms)
			assert.Equal(t, tt.want, ms[0].Entry.Name)
			assert.Equal(t, screening.KindExact, ms[0].Kind)
		})
	}
}

// A List is safe for concurrent use: screening from many goroutines gives
// the results of screening from one.
func TestScreenConcurrent(t *testing.T) {
	l := loadSmall(t)
	names := []string{"Huawei Technologies Co Ltd", "Huawey Technologies", "SMIC", "Grace 1",
		"Kozlovskiy Arkadiy Petrovitch", "Acme Technologies", "Shen Zhen Jiayu Electronic Technology"}
	want := make([][]screening.Match, len(names))
	for i, n := range names {
		want[i] = l.Screen(n, "CN")
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for k := range 200 {
				i := (g + k) % len(names)
				assert.Equal(t, want[i], l.Screen(names[i], "CN"))
			}
		})
	}
	wg.Wait()
}

// One match per entry, ordered by score, then the screened country, then
// list order.
func TestScreenOrder(t *testing.T) {
	header := strings.Join(screening.Columns(), ",")
	row := func(id, name, addr, alt string) string {
		cells := make([]string, len(screening.Columns()))
		cells[0], cells[5], cells[7], cells[22] = id, name, `"`+addr+`"`, alt
		return strings.Join(cells, ",")
	}
	input := strings.Join([]string{header,
		row("1", "Orion Quantum Trading", "Dubai, AE", ""),
		row("2", "Orion Quantum Trading", "Hong Kong, HK", "Orion Quantum Trading Limited; Orion Quantum Trading HK"),
		row("3", "Orion Quantun Trading", "Singapore, SG", ""),
		row("4", "Vega Systems", "Singapore, SG", ""),
	}, "\n")
	l, err := screening.Load(strings.NewReader(input))
	require.NoError(t, err)

	ms := l.Screen("Orion Quantum Trading Ltd", "HK")
	require.Len(t, ms, 3)
	assert.Equal(t, []string{"2", "1", "3"}, []string{ms[0].Entry.ID, ms[1].Entry.ID, ms[2].Entry.ID})
	assert.Equal(t, []string{"exact", "exact", "fuzzy"}, []string{ms[0].Kind, ms[1].Kind, ms[2].Kind})
	assert.Equal(t, []bool{true, false, false}, []bool{ms[0].CountryMatch, ms[1].CountryMatch, ms[2].CountryMatch})

	ms = l.Screen("Orion Quantum Trading", "")
	require.Len(t, ms, 3)
	assert.Equal(t, []string{"1", "2", "3"}, []string{ms[0].Entry.ID, ms[1].Entry.ID, ms[2].Entry.ID})
}

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"HUAWEI TECHNOLOGIES CO., LTD.", "huawei technologies"},
		{"Huawei Technologies Co Ltd", "huawei technologies"},
		{"Huawei Technologies Co.,Ltd", "huawei technologies"},
		{"Huawei Technologies Co.Ltd.", "huawei technologies"},
		{"  Huawei\tTechnologies\n Company   Limited ", "huawei technologies"},
		{"Acme Corp.", "acme"},
		{"Acme Corporation", "acme"},
		{"Acme, Inc.", "acme"},
		{"Acme Incorporated", "acme"},
		{"Acme L.L.C.", "acme"},
		{"Acme LLC", "acme"},
		{"Acme Limited Liability Company", "acme"},
		{"Acme Pte. Ltd.", "acme"},
		{"Acme Sdn. Bhd.", "acme"},
		{"Acme PLC", "acme"},
		{"Acme GmbH", "acme"},
		{"Acme AG", "acme"},
		{"Acme S.A.", "acme"},
		{"Acme S. A.", "acme"},
		{"Acme B.V.", "acme"},
		{"Acme N.V.", "acme"},
		{"Acme LLP", "acme"},
		{"Acme FZE", "acme"},
		{"Acme FZ-LLC", "acme"},
		{"PT Acme Tbk", "acme"},
		{"OOO Acme", "acme"},
		{`OOO "Acme"`, "acme"},
		{"Joint Stock Company Acme", "acme"},
		{"Acme JSC", "acme"},
		{"Public Joint Stock Company Acme", "acme"},
		{"Acme Group", "acme group"},
		{"Acme Holdings Limited", "acme holdings"},
		{"Acme International Trading Co., Ltd.", "acme international trading"},
		{"Co., Ltd.", "co"},
		{"Limited", "limited"},
		{"Smith & Sons", "smith and sons"},
		{"Smith&Sons", "smith and sons"},
		{"Xi'an Aircraft", "xian aircraft"},
		{"Xi’an Aircraft", "xian aircraft"},
		{"Société Générale d'Électronique", "societe generale delectronique"},
		{"Łódź Straße Øresund Æther", "lodz strasse oresund aether"},
		{"Nguyễn Thị Minh Khai", "nguyen thi minh khai"},
		{"Ｈｕａｗｅｉ　Ｔｅｃｈ", "huawei tech"},
		{"Sino-Tech (HK) Co./Ltd", "sino tech hk"},
		{"No. 14 Research Institute", "no 14 research institute"},
		{"ООО Микрон", "ооо микрон"},
		{"华为技术有限公司", "华为技术有限公司"},
		{"", ""},
		{" - . , ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, screening.Normalize(tt.in))
		})
	}
}

func TestCountryCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"CN", "CN"}, {"cn", "CN"}, {"CHN", "CN"}, {"China", "CN"}, {"People's Republic of China", "CN"},
		{"Russia", "RU"}, {"Russian Federation", "RU"}, {"RUS", "RU"},
		{"Iran", "IR"}, {"Iran, Islamic Republic of", "IR"}, {"Islamic Republic of Iran", "IR"},
		{"Korea, Democratic People's Republic of", "KP"}, {"North Korea", "KP"},
		{"Hong Kong", "HK"}, {"Macau", "MO"}, {"Macao", "MO"},
		{"United Kingdom", "GB"}, {"UK", "GB"}, {"United States", "US"}, {"USA", "US"},
		{"Türkiye", "TR"}, {"Turkey", "TR"}, {"Turkiye", "TR"},
		{"Côte d'Ivoire", "CI"}, {"Viet Nam", "VN"}, {"Vietnam", "VN"}, {"Taiwan", "TW"},
		{"  Singapore ", "SG"}, {"Malaysia", "MY"}, {"United Arab Emirates", "AE"},
		{"", ""}, {"XX", ""}, {"Atlantis", ""}, {"Moscow", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, screening.CountryCode(tt.in))
		})
	}
}
