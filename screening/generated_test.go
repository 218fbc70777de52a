package screening_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/screening"
)

// The generated list: as many rows as the real CSL (about 26,000), in its
// format, with names built like the Entity List's and the SDN list's: a
// place, a distinctive word, common descriptive words and a legal form for
// entities; "SURNAME, Given Patronymic" for individuals; alternate names,
// one or two addresses with a country code, programs.
const generatedRows = 26000

var (
	syllables = strings.Fields(`zhong hua xin tai long feng hai tian jin yuan kang ming sheng rui bo da hong
		wei xing guang an chen li jia yu hao kai lian mei neng peng qi rong shu tong wan xiao yang zhi ke
		heng lan jun sen yi`)
	ruParts = strings.Fields(`tekh prom energo stroy neft invest mash elektro radio avia sib ural volga
		kom opt trans telekom mikro sistem servis snab komplekt resurs`)
	places = strings.Fields(`Shenzhen Beijing Shanghai Guangzhou Hangzhou Chengdu Wuhan Tianjin Nanjing
		Xian Suzhou Dongguan Hefei Changsha Qingdao Xiamen Moscow Zelenograd Novosibirsk Yekaterinburg
		Tehran Isfahan Dubai Minsk Istanbul Almaty Tashkent Bishkek Yerevan Baku`)
	descriptors = []string{"Technology", "Technologies", "Electronics", "Electronic", "Trading",
		"International", "Industrial", "Industry", "Group", "Holdings", "Import and Export",
		"Science and Technology", "Semiconductor", "Microelectronics", "Information", "Systems",
		"Network", "Development", "Logistics", "Supply Chain", "Communication", "Engineering",
		"Research Institute", "Machinery", "Equipment", "Precision", "Optical", "Energy",
		"Investment", "Aviation", "Shipping", "Computer", "Intelligent", "Digital", "Software"}
	legalForms = []string{"Co., Ltd.", "Co., Ltd.", "Co., Ltd.", "Limited", "Company Limited", "LLC",
		"JSC", "Inc.", "Corporation", "Pte. Ltd.", "FZE", "GmbH", ""}
	givenNames = strings.Fields(`Ivan Sergei Alexei Dmitry Andrei Mikhail Nikolai Vladimir Oleg Pavel Yuri
		Igor Anatoly Boris Viktor Arkady Maxim Roman Denis Konstantin Ali Mohammad Hossein Reza Hassan
		Mehdi Ahmad Saeed Majid Hamid Wei Jun Lei Ming Tao Jie Hui Yan Ping Qiang`)
	countriesFor = map[string]string{"Moscow": "RU", "Zelenograd": "RU", "Novosibirsk": "RU",
		"Yekaterinburg": "RU", "Tehran": "IR", "Isfahan": "IR", "Dubai": "AE", "Minsk": "BY",
		"Istanbul": "TR", "Almaty": "KZ", "Tashkent": "UZ", "Bishkek": "KG", "Yerevan": "AM", "Baku": "AZ"}
	sources = []string{"Entity List (EL) - Bureau of Industry and Security",
		"Specially Designated Nationals (SDN) - Treasury Department",
		"Military End User (MEU) List - Bureau of Industry and Security",
		"Unverified List (UVL) - Bureau of Industry and Security",
		"Non-SDN Menu-Based Sanctions List (NS-MBS List) - Treasury Department"}
)

func title(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

type generator struct{ r *rand.Rand }

func (g generator) pick(s []string) string { return s[g.r.IntN(len(s))] }

// word returns a distinctive word: two or three syllables, or a Russian-style compound.
func (g generator) word() string {
	if g.r.IntN(4) == 0 {
		return title(g.pick(ruParts) + g.pick(ruParts))
	}
	n := 2 + g.r.IntN(2)
	var b strings.Builder
	for range n {
		b.WriteString(g.pick(syllables))
	}
	return title(b.String())
}

func (g generator) entity() (name string, alts []string, place string) {
	place = g.pick(places)
	core := g.word()
	var desc []string
	for range 1 + g.r.IntN(3) {
		desc = append(desc, g.pick(descriptors))
	}
	parts := []string{core}
	if g.r.IntN(10) < 6 {
		parts = []string{place, core}
	}
	parts = append(parts, desc...)
	if f := g.pick(legalForms); f != "" {
		parts = append(parts, f)
	}
	name = strings.Join(parts, " ")
	switch g.r.IntN(10) {
	case 0, 1, 2: // a different legal form
		alts = append(alts, strings.Join(append(parts[:len(parts)-1:len(parts)-1], g.pick(legalForms)), " "))
	case 3, 4: // another distinctive word
		alts = append(alts, g.word()+" "+strings.Join(desc, " "))
	case 5: // an abbreviation and an upper-case form
		var ab strings.Builder
		for _, p := range strings.Fields(strings.Join(parts[:len(parts)-1], " ")) {
			ab.WriteByte(p[0])
		}
		alts = append(alts, strings.ToUpper(ab.String()), strings.ToUpper(name))
	}
	return name, alts, place
}

func (g generator) person() (name string, alts []string, place string) {
	sur := strings.ToUpper(g.word())
	given, patronymic := g.pick(givenNames), g.pick(givenNames)+"ovich"
	name = fmt.Sprintf("%s, %s %s", sur, given, patronymic)
	if g.r.IntN(2) == 0 {
		alts = append(alts, fmt.Sprintf("%sIY, %s", sur, given))
	}
	return name, alts, g.pick(places)
}

var (
	generatedOnce sync.Once
	generatedCSV  []byte
)

// generated returns the generated list's CSV (built once).
func generated(tb testing.TB) []byte {
	tb.Helper()
	generatedOnce.Do(func() {
		g := generator{rand.New(rand.NewPCG(1, 2))}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		cols := screening.Columns()
		_ = w.Write(cols)
		for i := range generatedRows {
			var name, place, typ string
			var alts []string
			if g.r.IntN(3) == 0 {
				name, alts, place = g.person()
				typ = "Individual"
			} else {
				name, alts, place = g.entity()
				typ = "Entity"
			}
			cc := countriesFor[place]
			if cc == "" {
				cc = "CN"
				if g.r.IntN(8) == 0 {
					cc = "HK"
				}
			}
			addrs := []string{fmt.Sprintf("No. %d %s Road, %s District, %s, %s", 1+g.r.IntN(300), g.word(), g.word(), place, cc)}
			if g.r.IntN(4) == 0 {
				addrs = append(addrs, fmt.Sprintf("Room %d, %s Tower, %s, %s", 100+g.r.IntN(2000), g.word(), place, cc))
			}
			src := g.pick(sources)
			rec := make([]string, len(cols))
			set := func(col, v string) {
				for j, c := range cols {
					if c == col {
						rec[j] = v
						return
					}
				}
				panic(col)
			}
			set("_id", fmt.Sprintf("%040x", uint64(i)*0x9e3779b97f4a7c15))
			set("source", src)
			set("entity_number", fmt.Sprint(10000+i))
			set("type", typ)
			set("programs", g.pick([]string{"RUSSIA-EO14024", "IRAN; NPWMD", "SDGT", "CMIC-EO13959", "NPWMD; IFSR", ""}))
			set("name", name)
			set("addresses", strings.Join(addrs, "; "))
			set("federal_register_notice", fmt.Sprintf("%d FR %d", 83+g.r.IntN(8), 10000+g.r.IntN(80000)))
			set("start_date", fmt.Sprintf("20%02d-%02d-%02d", 10+g.r.IntN(16), 1+g.r.IntN(12), 1+g.r.IntN(28)))
			set("license_requirement", "For all items subject to the EAR. (See §744.11 of the EAR).")
			set("license_policy", "Presumption of denial.")
			set("remarks", g.pick([]string{"", "", "Linked To: " + g.word() + " Group.", "Secondary sanctions risk: see Section 11 of Executive Order 14024."}))
			set("source_list_url", "https://www.bis.doc.gov/index.php/policy-guidance/lists-of-parties-of-concern/entity-list")
			set("source_information_url", "https://www.bis.doc.gov/index.php/policy-guidance/lists-of-parties-of-concern")
			set("alt_names", strings.Join(alts, "; "))
			if typ == "Individual" {
				set("nationalities", cc)
				set("dates_of_birth", fmt.Sprintf("19%02d-%02d-%02d", 40+g.r.IntN(60), 1+g.r.IntN(12), 1+g.r.IntN(28)))
			}
			_ = w.Write(rec)
		}
		w.Flush()
		generatedCSV = buf.Bytes()
	})
	return generatedCSV
}

var (
	generatedListOnce sync.Once
	generatedList     *screening.List
)

func loadGenerated(tb testing.TB) *screening.List {
	tb.Helper()
	data := generated(tb)
	generatedListOnce.Do(func() {
		l, err := screening.Load(bytes.NewReader(data))
		require.NoError(tb, err)
		generatedList = l
	})
	require.NotNil(tb, generatedList)
	return generatedList
}

// mutate changes one letter in the longest word of a name (a typing error).
func mutate(r *rand.Rand, name string) string {
	words := strings.Fields(name)
	best := 0
	for i, w := range words {
		if len(w) > len(words[best]) {
			best = i
		}
	}
	w := []rune(words[best])
	i := 1 + r.IntN(len(w)-1)
	c := 'a' + rune(r.IntN(26))
	if c == unicode.ToLower(w[i]) {
		c = 'a' + (c-'a'+1)%26
	}
	w[i] = c
	words[best] = string(w)
	return strings.Join(words, " ")
}

type benchQuery struct {
	name, country string
	kind          string // the expected kind of the best match, "" for none
	want          string // the expected entry's ID
}

// queries builds screening queries on the generated list: exact names,
// case and legal-form variants of alternate names, one-letter typing errors
// and names that are not on the list but share its common words.
func queries(l *screening.List, data []byte, n int) []benchQuery {
	r := rand.New(rand.NewPCG(3, 4))
	cr := csv.NewReader(bytes.NewReader(data))
	rows, _ := cr.ReadAll()
	rows = rows[1:]
	other := generator{rand.New(rand.NewPCG(5, 6))}
	var qs []benchQuery
	for len(qs) < n {
		row := rows[r.IntN(len(rows))]
		id, name, alts := row[0], row[5], row[22]
		switch len(qs) % 4 {
		case 0:
			qs = append(qs, benchQuery{name, "CN", screening.KindExact, id})
		case 1:
			if alts == "" {
				qs = append(qs, benchQuery{strings.ToUpper(name) + " LTD", "", screening.KindExact, id})
			} else {
				qs = append(qs, benchQuery{strings.ToLower(strings.Split(alts, "; ")[0]), "HK", screening.KindExact, id})
			}
		case 2:
			qs = append(qs, benchQuery{mutate(r, name), "", screening.KindFuzzy, id})
		case 3:
			// Not on the list: a made-up distinctive word with a list's common words.
			w := title(strings.Repeat(other.pick([]string{"qu", "zo", "vex", "ny"}), 2) + other.pick(syllables))
			qs = append(qs, benchQuery{other.pick(places) + " " + w + " " + other.pick(descriptors) + " Co., Ltd.", "CN", "", ""})
		}
	}
	return qs
}

// The generated list screens as the small one does: exact names and
// variants of them are exact, a typing error is found as fuzzy, and names
// that share only common words match nothing.
func TestScreenGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a 26,000-row list")
	}
	data := generated(t)
	l := loadGenerated(t)
	require.Equal(t, generatedRows, l.Len())
	qs := queries(l, data, 2000)
	found := map[string]int{}
	for _, q := range qs {
		ms := l.Screen(q.name, q.country)
		if q.kind == "" {
			assert.Empty(t, ms, "%q: %+v", q.name, ms)
			continue
		}
		var hit *screening.Match
		for i := range ms {
			if ms[i].Entry.ID == q.want {
				hit = &ms[i]
				break
			}
		}
		if q.kind == screening.KindExact {
			if assert.NotNil(t, hit, "%q", q.name) {
				assert.Equal(t, screening.KindExact, hit.Kind, q.name)
			}
			continue
		}
		// A typing error can turn one listed name into another: then the
		// wanted entry may be exact; count, and require most to be fuzzy.
		if hit != nil && hit.Kind == screening.KindFuzzy {
			found["fuzzy"]++
		} else if hit != nil {
			found["exact"]++
		} else {
			found["missed"]++
		}
	}
	t.Logf("typing errors (%d): %v", len(qs)/4, found)
	assert.Zero(t, found["missed"])
	assert.GreaterOrEqual(t, found["fuzzy"], len(qs)/4*95/100)
}

func BenchmarkLoad(b *testing.B) {
	data := generated(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := screening.Load(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScreen(b *testing.B) {
	data := generated(b)
	l := loadGenerated(b)
	qs := queries(l, data, 4000)
	kinds := []struct {
		name string
		keep func(benchQuery) bool
	}{
		{"mix", func(benchQuery) bool { return true }},
		{"exact", func(q benchQuery) bool { return q.kind == screening.KindExact }},
		{"fuzzy", func(q benchQuery) bool { return q.kind == screening.KindFuzzy }},
		{"miss", func(q benchQuery) bool { return q.kind == "" }},
	}
	for _, k := range kinds {
		var sel []benchQuery
		for _, q := range qs {
			if k.keep(q) {
				sel = append(sel, q)
			}
		}
		b.Run(k.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				q := sel[i%len(sel)]
				l.Screen(q.name, q.country)
				i++
			}
		})
	}
}
