package policy

import (
	_ "embed"
	"fmt"
	"maps"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Controls is one version of the export-control facts chipledger judges
// transfers by (controls.json): country groups with dated memberships,
// country aliases (Hong Kong is China), the licence requirements of the
// advanced-computing rules, the 2026 China case-by-case regime, licence
// exceptions, transshipment hubs, Malaysia's permit rule, the rescinded AI
// diffusion framework and the versions of ECCN 3A090. Every fact has a
// source and may be marked for verification (see [Controls.Facts]).
//
// Every query takes the date it is asked for: a fact counts from its
// effective date (midnight UTC, inclusive) until its until date (exclusive;
// none means still in force). Country codes are ISO 3166-1 alpha-2; a query
// folds them to upper case and resolves aliases (HK answers as CN from
// 2020-12-23), so a group or tier query on HK answers as for CN.
//
// A Controls is immutable after loading: share it freely between
// goroutines.
type Controls struct {
	version, source string

	groupNames []string                     // sorted
	groups     map[string]map[string][]span // group -> country -> when a member
	aliases    []alias
	reqs       []requirement
	cbc        CaseByCase
	exceptions map[string][]span
	hubs       map[string][]span
	malaysia   span
	diffusion  Diffusion
	diffSpan   span
	tier1      map[string]bool

	facts     []Fact // sorted by ID
	factIndex map[string]int
}

// Fact is one sourced statement of the controls data, as listed by
// [Controls.Facts]; ID is the name [Controls.Source] takes.
type Fact struct {
	// ID names the fact: "controls" (the file), "group:D:5", "group:D:5/KH"
	// (a membership), "alias:HK", "requirement:<id>", "china-case-by-case",
	// "exception:NAC", "hub", "hub/SG", "malaysia-permit", "ai-diffusion",
	// "3a090", "3a090:<version id>". A second record for the same country
	// or code gets "#2", "#3", ... appended.
	ID     string
	Source string
	// Verify marks a fact to be checked against the primary source: the
	// domain brief marks it (verify), or the data had to fill in a date or
	// a member the brief does not give. A membership inherits its group's
	// mark.
	Verify     bool
	Confidence string // "high", "medium" or "low" for a country group and its members; "" otherwise
	Note       string
	Effective  time.Time // zero when the fact has no date of its own
	Until      time.Time // zero while in force
}

// CaseByCase is the China/Macau case-by-case licensing regime of
// 2026-01-15 for H200/MI325X-class chips.
type CaseByCase struct {
	Effective           time.Time
	Until               time.Time // zero while in force
	Destinations        []string  // CN, MO (HK answers as CN)
	ChipClass           string
	MaxTPP              float64 // eligible below this TPP
	MaxDRAMBandwidthGBs float64 // eligible below this DRAM bandwidth, GB/s
	QuotaRatio          float64 // China units at most this share of the units shipped to US end users
	LabTestRequired     bool    // third-party laboratory testing
	USExportsOnly       bool    // exports from the United States only
	Source              string
}

// Eligible reports whether a chip with this TPP and DRAM bandwidth (GB/s)
// is in the regime's class: below both limits.
func (r CaseByCase) Eligible(tpp, dramBandwidthGBs float64) bool {
	return tpp < r.MaxTPP && dramBandwidthGBs < r.MaxDRAMBandwidthGBs
}

// Diffusion is the Jan 2025 "Framework for AI Diffusion" as a dated policy
// version: rescinded before it was enforced, and still needed to judge a
// transfer as of a date in its window and for cap-accounting reports.
type Diffusion struct {
	Name               string
	Effective          time.Time
	Published          time.Time
	Until              time.Time // end of force (exclusive); zero while in force
	Rescinded          time.Time // Until when the rule was rescinded; zero otherwise
	Enforced           bool
	Tier1              []string // sorted, the US included
	Tier3Groups        []string // D:5, MO
	CapTPPPerCountry   float64  // Tier 2 cap per country over CapFirstYear..CapLastYear
	CapFirstYear       int
	CapLastYear        int
	LPPH100PerCustomer float64 // Low Processing Performance exception, H100-equivalents per customer per year
	Source             string
}

// InForce reports whether the framework was in force at at.
func (d Diffusion) InForce(at time.Time) bool {
	return span{d.Effective, d.Until}.in(at)
}

// Requirement policies.
const (
	PolicyDenial     = "denial"       // licence required, presumption of denial
	PolicyCaseByCase = "case_by_case" // licence required, reviewed case by case
	PolicyRequired   = "required"     // licence required
)

//go:embed controls.json
var controlsJSON []byte

var defaultControls = sync.OnceValue(func() *Controls {
	c, err := LoadControls(controlsJSON)
	if err != nil {
		panic("policy: the embedded controls.json is broken: " + strings.TrimPrefix(err.Error(), "policy: "))
	}
	return c
})

// DefaultControls returns the embedded controls (controls.json), parsed
// once. It panics only if the embedded file is broken, which a test guards.
func DefaultControls() *Controls { return defaultControls() }

// Version returns the controls' version string.
func (c *Controls) Version() string { return c.version }

// InGroup reports whether country is in the country group at at: "D:1",
// "D:4", "D:5", "E:1", "E:2", "A:5", "A:6", or "MO" (Macau, a group of its
// own). An aliased country answers as its alias (HK as CN from
// 2020-12-23). An unknown group holds no country.
func (c *Controls) InGroup(group, country string, at time.Time) bool {
	return c.inGroup(group, c.resolve(country, at), at)
}

func (c *Controls) inGroup(group, cc string, at time.Time) bool {
	return inAny(c.groups[group][cc], at)
}

// Groups returns the groups country is in at at, sorted.
func (c *Controls) Groups(country string, at time.Time) []string {
	cc := c.resolve(country, at)
	var out []string
	for _, g := range c.groupNames {
		if c.inGroup(g, cc, at) {
			out = append(out, g)
		}
	}
	return out
}

// Embargoed reports whether a licence requirement with a presumption of
// denial covers country as a destination at at: Macau and Country Group
// D:5 from 2023-11-17 (so CN, HK, MO, RU, IR, ...), China (with Hong Kong)
// from 2022-10-07 and Macau from 2023-01-17 under the earlier rule.
func (c *Controls) Embargoed(country string, at time.Time) bool {
	cc := c.resolve(country, at)
	for _, r := range c.reqs {
		if r.policy == PolicyDenial && r.in(at) && c.destination(r, cc, at) {
			return true
		}
	}
	return false
}

// LicenceRequired reports whether a licence requirement without a
// presumption of denial covers country as a destination at at: from
// 2023-11-17, a destination in D:1 or D:4 that is not also in A:5 or A:6
// (the R2 set: SA, AE, VN, ...; CN, HK and RU too, which are in D:1;
// not IL, SG or MY). Embargoed destinations outside D:1 and D:4 (CU, say)
// need a licence as well: ask Embargoed.
func (c *Controls) LicenceRequired(country string, at time.Time) bool {
	cc := c.resolve(country, at)
	for _, r := range c.reqs {
		if r.policy != PolicyDenial && r.in(at) && c.destination(r, cc, at) {
			return true
		}
	}
	return false
}

// RestrictedHQ reports whether a party headquartered in country (the
// buyer, end user or its ultimate parent) needs a licence wherever the
// items go, at at: the headquarters rule, Macau or D:5, from 2023-11-17.
func (c *Controls) RestrictedHQ(country string, at time.Time) bool {
	cc := c.resolve(country, at)
	for _, r := range c.reqs {
		if !r.in(at) {
			continue
		}
		for _, g := range r.hqGroups {
			if c.inGroup(g, cc, at) {
				return true
			}
		}
	}
	return false
}

// Hub reports whether country is a transshipment hub at at. Hubs are
// places, not EAR destinations: HK is a hub of its own, not through CN.
func (c *Controls) Hub(country string, at time.Time) bool {
	return inAny(c.hubs[foldCountry(country)], at)
}

// Exception reports whether the licence exception (NAC, ACA) is valid at
// at. The code is matched without regard to case.
func (c *Controls) Exception(code string, at time.Time) bool {
	return inAny(c.exceptions[strings.ToUpper(strings.TrimSpace(code))], at)
}

// MalaysiaPermitRequired reports whether Malaysia requires a Strategic
// Trade Permit for exports and transits of US-origin AI chips at at.
func (c *Controls) MalaysiaPermitRequired(at time.Time) bool { return c.malaysia.in(at) }

// ChinaCaseByCase returns the China/Macau case-by-case regime in force at
// at, if any.
func (c *Controls) ChinaCaseByCase(at time.Time) (CaseByCase, bool) {
	if !(span{c.cbc.Effective, c.cbc.Until}).in(at) {
		return CaseByCase{}, false
	}
	r := c.cbc
	r.Destinations = slices.Clone(r.Destinations)
	return r, true
}

// Tier returns country's tier under the AI diffusion framework at at: 1
// for the listed allies and the US, 3 for D:5 and Macau, 2 for everyone
// else. ok is false outside the framework's window (2025-01-13 to
// 2025-05-13, when it was rescinded): then no country has a tier.
func (c *Controls) Tier(country string, at time.Time) (tier int, ok bool) {
	if !c.diffSpan.in(at) {
		return 0, false
	}
	cc := c.resolve(country, at)
	if c.tier1[cc] {
		return 1, true
	}
	for _, g := range c.diffusion.Tier3Groups {
		if c.inGroup(g, cc, at) {
			return 3, true
		}
	}
	return 2, true
}

// Diffusion returns the AI diffusion framework as a dated version, also
// when rescinded (cap-accounting reports need its caps).
func (c *Controls) Diffusion() Diffusion {
	d := c.diffusion
	d.Tier1 = slices.Clone(d.Tier1)
	d.Tier3Groups = slices.Clone(d.Tier3Groups)
	return d
}

// Controlled reports whether a licence requirement in force at at lists
// the ECCN: 3A090.a/.b and 4A090.a/.b from 2023-11-17, 3A090 and 4A090
// from 2022-10-07. A sub-paragraph of a listed ECCN ("4A090.a.1") and the
// bare ECCN of a listed paragraph ("3A090") count; "", EAR99 and 4A994 do
// not. Case is ignored.
func (c *Controls) Controlled(eccn string, at time.Time) bool {
	eccn = strings.TrimSpace(eccn)
	if eccn == "" {
		return false
	}
	for _, r := range c.reqs {
		if !r.in(at) {
			continue
		}
		for _, e := range r.eccns {
			if eccnMatch(eccn, e) {
				return true
			}
		}
	}
	return false
}

// eccnMatch reports whether a and b are the same ECCN or one is a
// paragraph of the other.
func eccnMatch(a, b string) bool {
	a, b = strings.ToLower(a), strings.ToLower(b)
	return a == b || strings.HasPrefix(a, b+".") || strings.HasPrefix(b, a+".")
}

// Source returns the source of a named fact (see [Fact].ID): "group:D:5",
// "group:D:5/KH", "hub", "alias:HK", "requirement:<id>", "exception:NAC",
// "malaysia-permit", "china-case-by-case", "ai-diffusion", "3a090",
// "3a090:<version id>", "controls"; "" if there is no such fact.
func (c *Controls) Source(fact string) string {
	if i, ok := c.factIndex[fact]; ok {
		return c.facts[i].Source
	}
	return ""
}

// Facts returns every fact of the controls, sorted by ID.
func (c *Controls) Facts() []Fact { return slices.Clone(c.facts) }

// resolve folds a country code and applies the alias in force at at.
func (c *Controls) resolve(country string, at time.Time) string {
	cc := foldCountry(country)
	for _, a := range c.aliases {
		if a.country == cc && a.in(at) {
			return a.as
		}
	}
	return cc
}

// destination reports whether the (resolved) country cc is a destination
// of the requirement at at.
func (c *Controls) destination(r requirement, cc string, at time.Time) bool {
	in := slices.Contains(r.destinations, cc)
	for _, g := range r.destGroups {
		in = in || c.inGroup(g, cc, at)
	}
	if !in {
		return false
	}
	for _, g := range r.notGroups {
		if c.inGroup(g, cc, at) {
			return false
		}
	}
	return true
}

func foldCountry(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// span is a period of force: from from (inclusive; zero: always) to until
// (exclusive; zero: still in force).
type span struct{ from, until time.Time }

func (s span) in(at time.Time) bool {
	return !at.Before(s.from) && (s.until.IsZero() || at.Before(s.until))
}

func (s span) overlaps(o span) bool {
	return (s.until.IsZero() || o.from.Before(s.until)) && (o.until.IsZero() || s.from.Before(o.until))
}

func inAny(spans []span, at time.Time) bool {
	for _, s := range spans {
		if s.in(at) {
			return true
		}
	}
	return false
}

type alias struct {
	country, as string
	span
}

type requirement struct {
	id                              string
	eccns, destinations             []string
	destGroups, notGroups, hqGroups []string
	policy                          string
	span
}

// The file form of controls.json.
type fileControls struct {
	Version         string            `json:"version"`
	Source          string            `json:"source"`
	Groups          []fileGroup       `json:"groups"`
	Aliases         []fileAlias       `json:"aliases"`
	Requirements    []fileRequirement `json:"requirements"`
	ChinaCaseByCase *fileCaseByCase   `json:"china_case_by_case"`
	Exceptions      []fileException   `json:"exceptions"`
	Hubs            *fileHubs         `json:"hubs"`
	MalaysiaPermit  *fileMalaysia     `json:"malaysia_permit"`
	AIDiffusion     *fileDiffusion    `json:"ai_diffusion"`
	Control3A090    *file3A090        `json:"control_3a090"`
}

type fileGroup struct {
	Name       string       `json:"name"`
	Title      string       `json:"title"`
	Confidence string       `json:"confidence"`
	Verify     bool         `json:"verify"`
	Note       string       `json:"note"`
	Source     string       `json:"source"`
	Members    []fileMember `json:"members"`
}

// fileMember is a country in a group or in the hub list. Without dates it
// is a member for as long as the list is; a dated membership carries its
// own source. Without a source it has its list's.
type fileMember struct {
	Country   string `json:"country"`
	Effective string `json:"effective"`
	Until     string `json:"until"`
	Verify    bool   `json:"verify"`
	Note      string `json:"note"`
	Source    string `json:"source"`
}

type fileAlias struct {
	Country   string `json:"country"`
	As        string `json:"as"`
	Effective string `json:"effective"`
	Until     string `json:"until"`
	Verify    bool   `json:"verify"`
	Note      string `json:"note"`
	Source    string `json:"source"`
}

type fileRequirement struct {
	ID                string   `json:"id"`
	ECCNs             []string `json:"eccns"`
	Destinations      []string `json:"destinations"`
	DestinationGroups []string `json:"destination_groups"`
	NotGroups         []string `json:"not_groups"`
	HQGroups          []string `json:"hq_groups"`
	Policy            string   `json:"policy"`
	Effective         string   `json:"effective"`
	Until             string   `json:"until"`
	Verify            bool     `json:"verify"`
	Note              string   `json:"note"`
	Source            string   `json:"source"`
}

type fileCaseByCase struct {
	Effective           string   `json:"effective"`
	Until               string   `json:"until"`
	Destinations        []string `json:"destinations"`
	ChipClass           string   `json:"chip_class"`
	MaxTPP              float64  `json:"max_tpp"`
	MaxDRAMBandwidthGBs float64  `json:"max_dram_bandwidth_gbs"`
	USExportsOnly       *bool    `json:"us_exports_only"`
	QuotaRatio          float64  `json:"quota_ratio"`
	LabTestRequired     *bool    `json:"lab_test_required"`
	Verify              bool     `json:"verify"`
	Note                string   `json:"note"`
	Source              string   `json:"source"`
}

type fileException struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	Effective string `json:"effective"`
	Until     string `json:"until"`
	Verify    bool   `json:"verify"`
	Note      string `json:"note"`
	Source    string `json:"source"`
}

type fileHubs struct {
	Verify  bool         `json:"verify"`
	Note    string       `json:"note"`
	Source  string       `json:"source"`
	Members []fileMember `json:"members"`
}

type fileMalaysia struct {
	Effective string `json:"effective"`
	Until     string `json:"until"`
	Scope     string `json:"scope"`
	Verify    bool   `json:"verify"`
	Note      string `json:"note"`
	Source    string `json:"source"`
}

type fileDiffusion struct {
	Name               string   `json:"name"`
	Effective          string   `json:"effective"`
	Published          string   `json:"published"`
	Until              string   `json:"until"`
	Rescinded          *bool    `json:"rescinded"`
	Enforced           *bool    `json:"enforced"`
	Tier1              []string `json:"tier1"`
	Tier3Groups        []string `json:"tier3_groups"`
	CapTPPPerCountry   float64  `json:"cap_tpp_per_country"`
	CapFirstYear       int      `json:"cap_first_year"`
	CapLastYear        int      `json:"cap_last_year"`
	LPPH100PerCustomer float64  `json:"lpp_h100_per_customer"`
	Verify             bool     `json:"verify"`
	Note               string   `json:"note"`
	Source             string   `json:"source"`
}

type file3A090 struct {
	Source   string             `json:"source"`
	Versions []file3A090Version `json:"versions"`
}

type file3A090Version struct {
	ID         string             `json:"id"`
	Rule       string             `json:"rule"`
	Effective  string             `json:"effective"`
	Until      string             `json:"until"`
	ECCNs      []string           `json:"eccns"`
	Test       string             `json:"test"`
	Parameters map[string]float64 `json:"parameters"`
	Verify     bool               `json:"verify"`
	Note       string             `json:"note"`
	Source     string             `json:"source"`
}

// maxControlsBytes bounds what LoadControls reads.
const maxControlsBytes = 4 << 20

// LoadControls reads controls from their JSON form (see controls.json)
// strictly. It refuses, as "policy: controls: <field path>: <reason>":
// unknown fields, duplicate keys, trailing data, a country code that is not
// two uppercase letters, a date that is not YYYY-MM-DD, an until that is
// not after its effective date, a fact without a source (a dated
// membership needs its own), a group, alias, requirement, exception or
// version listed twice, a country listed twice in one group (or in the
// hubs) over overlapping dates, a group member that is an alias (HK:
// list CN), a requirement naming an unknown group or an ECCN no 3A090
// version defines, a tier-1 country that is in a tier-3 group (D:5, MO)
// while the framework is in force, an empty group or hub list, and a
// missing section.
func LoadControls(data []byte) (*Controls, error) {
	if len(data) > maxControlsBytes {
		return nil, fmt.Errorf("policy: controls: larger than %d bytes", maxControlsBytes)
	}
	if err := checkKeys("controls", data, reflect.TypeFor[fileControls]()); err != nil {
		return nil, err
	}
	var f fileControls
	if err := decodeStrict("controls", data, &f); err != nil {
		return nil, err
	}
	b := &controlsBuilder{c: &Controls{
		version:    f.Version,
		source:     f.Source,
		groups:     map[string]map[string][]span{},
		exceptions: map[string][]span{},
		hubs:       map[string][]span{},
		tier1:      map[string]bool{},
		factIndex:  map[string]int{},
	}}
	if err := b.build(&f); err != nil {
		return nil, err
	}
	c := b.c
	slices.SortFunc(c.facts, func(x, y Fact) int { return strings.Compare(x.ID, y.ID) })
	for i, ft := range c.facts {
		c.factIndex[ft.ID] = i
	}
	return c, nil
}

// controlsError is a refusal of LoadControls.
func controlsError(path, format string, args ...any) error {
	return fmt.Errorf("policy: controls: %s: %s", path, fmt.Sprintf(format, args...))
}

type controlsBuilder struct {
	c        *Controls
	versions []versionECCNs // of control_3a090
}

type versionECCNs struct {
	eccns []string
	span
}

func (b *controlsBuilder) build(f *fileControls) error {
	if err := checkText("version", f.Version, true); err != nil {
		return err
	}
	if err := checkSource("source", f.Source); err != nil {
		return err
	}
	b.fact(Fact{ID: "controls", Source: f.Source})
	if err := b.buildAliases(f.Aliases); err != nil {
		return err
	}
	if err := b.buildGroups(f.Groups); err != nil {
		return err
	}
	if f.Control3A090 == nil {
		return controlsError("control_3a090", "missing")
	}
	if err := b.build3A090(f.Control3A090); err != nil {
		return err
	}
	if err := b.buildRequirements(f.Requirements); err != nil {
		return err
	}
	if f.ChinaCaseByCase == nil {
		return controlsError("china_case_by_case", "missing")
	}
	if err := b.buildCaseByCase(f.ChinaCaseByCase); err != nil {
		return err
	}
	if err := b.buildExceptions(f.Exceptions); err != nil {
		return err
	}
	if f.Hubs == nil {
		return controlsError("hubs", "missing")
	}
	if err := b.buildHubs(f.Hubs); err != nil {
		return err
	}
	if f.MalaysiaPermit == nil {
		return controlsError("malaysia_permit", "missing")
	}
	if err := b.buildMalaysia(f.MalaysiaPermit); err != nil {
		return err
	}
	if f.AIDiffusion == nil {
		return controlsError("ai_diffusion", "missing")
	}
	return b.buildDiffusion(f.AIDiffusion)
}

// fact records a fact, numbering a repeated ID.
func (b *controlsBuilder) fact(ft Fact) {
	id := ft.ID
	for n := 2; ; n++ {
		if _, dup := b.c.factIndex[ft.ID]; !dup {
			break
		}
		ft.ID = id + "#" + strconv.Itoa(n)
	}
	b.c.factIndex[ft.ID] = len(b.c.facts)
	b.c.facts = append(b.c.facts, ft)
}

var (
	groupNameRE = regexp.MustCompile(`^[A-Z]:[0-9]{1,2}$`)
	eccnRE      = regexp.MustCompile(`^[0-9][A-E][0-9]{3}(\.[a-z0-9]{1,3})*$`)
	codeRE      = regexp.MustCompile(`^[A-Z]{2,8}$`)
	confidences = []string{"high", "medium", "low"}
)

func (b *controlsBuilder) buildGroups(groups []fileGroup) error {
	if len(groups) == 0 {
		return controlsError("groups", "no country groups")
	}
	for i, g := range groups {
		path := fmt.Sprintf("groups[%d]", i)
		if !groupNameRE.MatchString(g.Name) && !validCountry(g.Name) {
			return controlsError(path+".name", "%q: want a country group such as \"D:5\", or a country code for a group of one such as \"MO\"", g.Name)
		}
		if _, dup := b.c.groups[g.Name]; dup {
			return controlsError(path+".name", "group %q is listed twice", g.Name)
		}
		if err := checkText(path+".title", g.Title, false); err != nil {
			return err
		}
		if !slices.Contains(confidences, g.Confidence) {
			return controlsError(path+".confidence", "%q: want high, medium or low", g.Confidence)
		}
		if err := checkText(path+".note", g.Note, false); err != nil {
			return err
		}
		if err := checkSource(path+".source", g.Source); err != nil {
			return err
		}
		b.fact(Fact{ID: "group:" + g.Name, Source: g.Source, Verify: g.Verify, Confidence: g.Confidence, Note: g.Note})
		if len(g.Members) == 0 {
			return controlsError(path+".members", "a group needs at least one country")
		}
		members, err := b.members(path, "group:"+g.Name, g.Members, g.Source, g.Verify, g.Confidence, true)
		if err != nil {
			return err
		}
		b.c.groups[g.Name] = members
		b.c.groupNames = append(b.c.groupNames, g.Name)
	}
	slices.Sort(b.c.groupNames)
	return nil
}

// members validates the members of a group or of the hub list.
//
// A group lists the country an alias resolves to, never the alias (HK is
// listed as CN); the hub list names places, aliases included.
func (b *controlsBuilder) members(path, factID string, ms []fileMember, source string, verify bool, confidence string, group bool) (map[string][]span, error) {
	out := map[string][]span{}
	where := map[string][]int{} // country -> member indexes, for the overlap message
	for j, m := range ms {
		mp := fmt.Sprintf("%s.members[%d]", path, j)
		if err := checkCountry(mp+".country", m.Country); err != nil {
			return nil, err
		}
		s, err := parseSpan(mp, m.Effective, m.Until, false)
		if err != nil {
			return nil, err
		}
		if err := checkText(mp+".note", m.Note, false); err != nil {
			return nil, err
		}
		src := m.Source
		if src == "" && (m.Effective != "" || m.Until != "") {
			return nil, controlsError(mp+".source", "missing: a dated membership needs its own source")
		}
		if src != "" {
			if err := checkSource(mp+".source", src); err != nil {
				return nil, err
			}
		} else {
			src = source
		}
		for _, a := range b.c.aliases {
			if group && a.country == m.Country && a.overlaps(s) {
				return nil, controlsError(mp+".country", "%s is %s for the EAR from %s (alias:%s): list %s instead", a.country, a.as, date(a.from), a.country, a.as)
			}
		}
		for k, o := range out[m.Country] {
			if o.overlaps(s) {
				return nil, controlsError(mp+".country", "%s is listed twice over overlapping dates (also %s.members[%d]): a country cannot be both in and out of the list", m.Country, path, where[m.Country][k])
			}
		}
		out[m.Country] = append(out[m.Country], s)
		where[m.Country] = append(where[m.Country], j)
		b.fact(Fact{ID: factID + "/" + m.Country, Source: src, Verify: m.Verify || verify, Confidence: confidence, Note: m.Note, Effective: s.from, Until: s.until})
	}
	return out, nil
}

func (b *controlsBuilder) buildAliases(aliases []fileAlias) error {
	for i, a := range aliases {
		path := fmt.Sprintf("aliases[%d]", i)
		if err := checkCountry(path+".country", a.Country); err != nil {
			return err
		}
		if err := checkCountry(path+".as", a.As); err != nil {
			return err
		}
		if a.As == a.Country {
			return controlsError(path+".as", "%s is an alias of itself", a.Country)
		}
		s, err := parseSpan(path, a.Effective, a.Until, true)
		if err != nil {
			return err
		}
		if err := checkText(path+".note", a.Note, false); err != nil {
			return err
		}
		if err := checkSource(path+".source", a.Source); err != nil {
			return err
		}
		for k, o := range b.c.aliases {
			if o.country == a.Country && o.overlaps(s) {
				return controlsError(path+".country", "%s is aliased twice over overlapping dates (also aliases[%d])", a.Country, k)
			}
			if (o.country == a.As || o.as == a.Country) && o.overlaps(s) {
				return controlsError(path, "%s -> %s chains with aliases[%d] %s -> %s: name the final country", a.Country, a.As, k, o.country, o.as)
			}
		}
		b.c.aliases = append(b.c.aliases, alias{country: a.Country, as: a.As, span: s})
		b.fact(Fact{ID: "alias:" + a.Country, Source: a.Source, Verify: a.Verify, Note: a.Note, Effective: s.from, Until: s.until})
	}
	return nil
}

func (b *controlsBuilder) build3A090(f *file3A090) error {
	if err := checkSource("control_3a090.source", f.Source); err != nil {
		return err
	}
	b.fact(Fact{ID: "3a090", Source: f.Source})
	if len(f.Versions) == 0 {
		return controlsError("control_3a090.versions", "no versions")
	}
	ids := map[string]bool{}
	for i, v := range f.Versions {
		path := fmt.Sprintf("control_3a090.versions[%d]", i)
		if err := checkText(path+".id", v.ID, true); err != nil {
			return err
		}
		if ids[v.ID] {
			return controlsError(path+".id", "version %q is listed twice", v.ID)
		}
		ids[v.ID] = true
		if err := checkText(path+".rule", v.Rule, true); err != nil {
			return err
		}
		s, err := parseSpan(path, v.Effective, v.Until, true)
		if err != nil {
			return err
		}
		for k, o := range b.versions {
			if o.overlaps(s) {
				return controlsError(path, "in force over the same dates as control_3a090.versions[%d]", k)
			}
		}
		eccns, err := checkECCNs(path+".eccns", v.ECCNs)
		if err != nil {
			return err
		}
		if err := checkText(path+".test", v.Test, true); err != nil {
			return err
		}
		if len(v.Parameters) == 0 {
			return controlsError(path+".parameters", "no parameters")
		}
		for _, k := range slices.Sorted(maps.Keys(v.Parameters)) {
			if x := v.Parameters[k]; !(x > 0) || math.IsInf(x, 0) {
				return controlsError(path+".parameters."+k, "%v: want a positive number", x)
			}
		}
		if err := checkText(path+".note", v.Note, false); err != nil {
			return err
		}
		if err := checkSource(path+".source", v.Source); err != nil {
			return err
		}
		b.versions = append(b.versions, versionECCNs{eccns: eccns, span: s})
		b.fact(Fact{ID: "3a090:" + v.ID, Source: v.Source, Verify: v.Verify, Note: v.Note, Effective: s.from, Until: s.until})
	}
	return nil
}

func (b *controlsBuilder) buildRequirements(reqs []fileRequirement) error {
	if len(reqs) == 0 {
		return controlsError("requirements", "no licence requirements")
	}
	ids := map[string]bool{}
	for i, r := range reqs {
		path := fmt.Sprintf("requirements[%d]", i)
		if err := checkText(path+".id", r.ID, true); err != nil {
			return err
		}
		if ids[r.ID] {
			return controlsError(path+".id", "requirement %q is listed twice", r.ID)
		}
		ids[r.ID] = true
		s, err := parseSpan(path, r.Effective, r.Until, true)
		if err != nil {
			return err
		}
		eccns, err := checkECCNs(path+".eccns", r.ECCNs)
		if err != nil {
			return err
		}
		for j, e := range eccns {
			if !b.defined(e, s.from) {
				return controlsError(fmt.Sprintf("%s.eccns[%d]", path, j), "%s is not an ECCN of the control_3a090 version in force on %s", e, date(s.from))
			}
		}
		for j, cc := range r.Destinations {
			if err := checkCountry(fmt.Sprintf("%s.destinations[%d]", path, j), cc); err != nil {
				return err
			}
		}
		for _, gl := range []struct {
			name   string
			groups []string
		}{{"destination_groups", r.DestinationGroups}, {"not_groups", r.NotGroups}, {"hq_groups", r.HQGroups}} {
			for j, g := range gl.groups {
				if _, ok := b.c.groups[g]; !ok {
					return controlsError(fmt.Sprintf("%s.%s[%d]", path, gl.name, j), "unknown group %q", g)
				}
			}
		}
		dest := len(r.Destinations) > 0 || len(r.DestinationGroups) > 0
		if !dest && len(r.HQGroups) == 0 {
			return controlsError(path, "names no destinations, destination_groups or hq_groups")
		}
		if !dest && len(r.NotGroups) > 0 {
			return controlsError(path+".not_groups", "not_groups without destinations or destination_groups")
		}
		switch r.Policy {
		case PolicyDenial, PolicyCaseByCase, PolicyRequired:
		default:
			return controlsError(path+".policy", "%q: want %q, %q or %q", r.Policy, PolicyDenial, PolicyCaseByCase, PolicyRequired)
		}
		if err := checkText(path+".note", r.Note, false); err != nil {
			return err
		}
		if err := checkSource(path+".source", r.Source); err != nil {
			return err
		}
		b.c.reqs = append(b.c.reqs, requirement{
			id: r.ID, eccns: eccns, destinations: slices.Clone(r.Destinations),
			destGroups: slices.Clone(r.DestinationGroups), notGroups: slices.Clone(r.NotGroups), hqGroups: slices.Clone(r.HQGroups),
			policy: r.Policy, span: s,
		})
		b.fact(Fact{ID: "requirement:" + r.ID, Source: r.Source, Verify: r.Verify, Note: r.Note, Effective: s.from, Until: s.until})
	}
	return nil
}

// defined reports whether a control_3a090 version in force at at defines
// the ECCN.
func (b *controlsBuilder) defined(eccn string, at time.Time) bool {
	for _, v := range b.versions {
		if v.in(at) && slices.ContainsFunc(v.eccns, func(e string) bool { return strings.EqualFold(e, eccn) }) {
			return true
		}
	}
	return false
}

func (b *controlsBuilder) buildCaseByCase(f *fileCaseByCase) error {
	const path = "china_case_by_case"
	s, err := parseSpan(path, f.Effective, f.Until, true)
	if err != nil {
		return err
	}
	if len(f.Destinations) == 0 {
		return controlsError(path+".destinations", "no destinations")
	}
	for j, cc := range f.Destinations {
		if err := checkCountry(fmt.Sprintf("%s.destinations[%d]", path, j), cc); err != nil {
			return err
		}
	}
	if err := checkText(path+".chip_class", f.ChipClass, true); err != nil {
		return err
	}
	for _, n := range []struct {
		name string
		v    float64
	}{{"max_tpp", f.MaxTPP}, {"max_dram_bandwidth_gbs", f.MaxDRAMBandwidthGBs}, {"quota_ratio", f.QuotaRatio}} {
		if !(n.v > 0) || math.IsInf(n.v, 0) || n.v > 1e12 {
			return controlsError(path+"."+n.name, "%v: want a positive number", n.v)
		}
	}
	if f.QuotaRatio > 1 {
		return controlsError(path+".quota_ratio", "%v: want a share of at most 1", f.QuotaRatio)
	}
	if f.USExportsOnly == nil {
		return controlsError(path+".us_exports_only", "missing")
	}
	if f.LabTestRequired == nil {
		return controlsError(path+".lab_test_required", "missing")
	}
	if err := checkText(path+".note", f.Note, false); err != nil {
		return err
	}
	if err := checkSource(path+".source", f.Source); err != nil {
		return err
	}
	b.c.cbc = CaseByCase{
		Effective: s.from, Until: s.until, Destinations: slices.Clone(f.Destinations), ChipClass: f.ChipClass,
		MaxTPP: f.MaxTPP, MaxDRAMBandwidthGBs: f.MaxDRAMBandwidthGBs, QuotaRatio: f.QuotaRatio,
		LabTestRequired: *f.LabTestRequired, USExportsOnly: *f.USExportsOnly, Source: f.Source,
	}
	b.fact(Fact{ID: "china-case-by-case", Source: f.Source, Verify: f.Verify, Note: f.Note, Effective: s.from, Until: s.until})
	return nil
}

func (b *controlsBuilder) buildExceptions(exs []fileException) error {
	for i, e := range exs {
		path := fmt.Sprintf("exceptions[%d]", i)
		if !codeRE.MatchString(e.Code) {
			return controlsError(path+".code", "%q: want an exception code of 2 to 8 uppercase letters such as \"NAC\"", e.Code)
		}
		if err := checkText(path+".name", e.Name, true); err != nil {
			return err
		}
		s, err := parseSpan(path, e.Effective, e.Until, true)
		if err != nil {
			return err
		}
		for _, o := range b.c.exceptions[e.Code] {
			if o.overlaps(s) {
				return controlsError(path+".code", "%s is listed twice over overlapping dates", e.Code)
			}
		}
		if err := checkText(path+".note", e.Note, false); err != nil {
			return err
		}
		if err := checkSource(path+".source", e.Source); err != nil {
			return err
		}
		b.c.exceptions[e.Code] = append(b.c.exceptions[e.Code], s)
		b.fact(Fact{ID: "exception:" + e.Code, Source: e.Source, Verify: e.Verify, Note: e.Note, Effective: s.from, Until: s.until})
	}
	return nil
}

func (b *controlsBuilder) buildHubs(h *fileHubs) error {
	if err := checkText("hubs.note", h.Note, false); err != nil {
		return err
	}
	if err := checkSource("hubs.source", h.Source); err != nil {
		return err
	}
	b.fact(Fact{ID: "hub", Source: h.Source, Verify: h.Verify, Note: h.Note})
	if len(h.Members) == 0 {
		return controlsError("hubs.members", "the hub list is empty")
	}
	hubs, err := b.members("hubs", "hub", h.Members, h.Source, h.Verify, "", false)
	if err != nil {
		return err
	}
	b.c.hubs = hubs
	return nil
}

func (b *controlsBuilder) buildMalaysia(f *fileMalaysia) error {
	const path = "malaysia_permit"
	s, err := parseSpan(path, f.Effective, f.Until, true)
	if err != nil {
		return err
	}
	if err := checkText(path+".scope", f.Scope, false); err != nil {
		return err
	}
	if err := checkText(path+".note", f.Note, false); err != nil {
		return err
	}
	if err := checkSource(path+".source", f.Source); err != nil {
		return err
	}
	b.c.malaysia = s
	b.fact(Fact{ID: "malaysia-permit", Source: f.Source, Verify: f.Verify, Note: f.Note, Effective: s.from, Until: s.until})
	return nil
}

func (b *controlsBuilder) buildDiffusion(f *fileDiffusion) error {
	const path = "ai_diffusion"
	if err := checkText(path+".name", f.Name, true); err != nil {
		return err
	}
	s, err := parseSpan(path, f.Effective, f.Until, true)
	if err != nil {
		return err
	}
	var published time.Time
	if f.Published != "" {
		if published, err = parseDate(path+".published", f.Published); err != nil {
			return err
		}
	}
	if f.Rescinded == nil {
		return controlsError(path+".rescinded", "missing")
	}
	if f.Enforced == nil {
		return controlsError(path+".enforced", "missing")
	}
	if *f.Rescinded && s.until.IsZero() {
		return controlsError(path+".until", "missing: a rescinded rule needs the date it ended")
	}
	if len(f.Tier1) == 0 {
		return controlsError(path+".tier1", "no tier-1 countries")
	}
	if len(f.Tier3Groups) == 0 {
		return controlsError(path+".tier3_groups", "no tier-3 groups")
	}
	for j, g := range f.Tier3Groups {
		if _, ok := b.c.groups[g]; !ok {
			return controlsError(fmt.Sprintf("%s.tier3_groups[%d]", path, j), "unknown group %q", g)
		}
	}
	// Membership changes only at the dates of memberships and aliases: the
	// window's start and every such date inside it are all the days to
	// check a tier-1 country against the tier-3 groups.
	checks := []time.Time{s.from}
	for _, g := range f.Tier3Groups {
		for _, spans := range b.c.groups[g] {
			for _, m := range spans {
				checks = append(checks, m.from, m.until)
			}
		}
	}
	for _, a := range b.c.aliases {
		checks = append(checks, a.from, a.until)
	}
	for j, cc := range f.Tier1 {
		p := fmt.Sprintf("%s.tier1[%d]", path, j)
		if err := checkCountry(p, cc); err != nil {
			return err
		}
		if b.c.tier1[cc] {
			return controlsError(p, "%s is listed twice", cc)
		}
		b.c.tier1[cc] = true
		for _, a := range b.c.aliases {
			if a.country == cc && a.overlaps(s) {
				return controlsError(p, "%s is %s for the EAR while the framework is in force (alias:%s): list %s instead", cc, a.as, cc, a.as)
			}
		}
		for _, at := range checks {
			if !s.in(at) {
				continue
			}
			for _, g := range f.Tier3Groups {
				if b.c.inGroup(g, cc, at) {
					return controlsError(p, "%s is tier 1 and also in tier-3 group %s on %s", cc, g, date(at))
				}
			}
		}
	}
	for _, n := range []struct {
		name string
		v    float64
	}{{"cap_tpp_per_country", f.CapTPPPerCountry}, {"lpp_h100_per_customer", f.LPPH100PerCustomer}} {
		if !(n.v > 0) || math.IsInf(n.v, 0) || n.v > 1e15 {
			return controlsError(path+"."+n.name, "%v: want a positive number", n.v)
		}
	}
	if f.CapFirstYear < 2000 || f.CapFirstYear > 2100 {
		return controlsError(path+".cap_first_year", "%d: want a year", f.CapFirstYear)
	}
	if f.CapLastYear < f.CapFirstYear || f.CapLastYear > 2100 {
		return controlsError(path+".cap_last_year", "%d: want a year from cap_first_year %d", f.CapLastYear, f.CapFirstYear)
	}
	if err := checkText(path+".note", f.Note, false); err != nil {
		return err
	}
	if err := checkSource(path+".source", f.Source); err != nil {
		return err
	}
	d := Diffusion{
		Name: f.Name, Effective: s.from, Published: published, Until: s.until, Enforced: *f.Enforced,
		Tier1: slices.Sorted(maps.Keys(b.c.tier1)), Tier3Groups: slices.Clone(f.Tier3Groups),
		CapTPPPerCountry: f.CapTPPPerCountry, CapFirstYear: f.CapFirstYear, CapLastYear: f.CapLastYear,
		LPPH100PerCustomer: f.LPPH100PerCustomer, Source: f.Source,
	}
	if *f.Rescinded {
		d.Rescinded = s.until
	}
	b.c.diffusion, b.c.diffSpan = d, s
	b.fact(Fact{ID: "ai-diffusion", Source: f.Source, Verify: f.Verify, Note: f.Note, Effective: s.from, Until: s.until})
	return nil
}

// checkECCNs checks a non-empty list of distinct ECCNs.
func checkECCNs(path string, eccns []string) ([]string, error) {
	if len(eccns) == 0 {
		return nil, controlsError(path, "no ECCNs")
	}
	for j, e := range eccns {
		if !eccnRE.MatchString(e) {
			return nil, controlsError(fmt.Sprintf("%s[%d]", path, j), "%q is not an ECCN such as \"3A090.a\"", e)
		}
		if slices.ContainsFunc(eccns[:j], func(x string) bool { return strings.EqualFold(x, e) }) {
			return nil, controlsError(fmt.Sprintf("%s[%d]", path, j), "%s is listed twice", e)
		}
	}
	return slices.Clone(eccns), nil
}

func validCountry(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

func checkCountry(path, s string) error {
	if !validCountry(s) {
		return controlsError(path, "%q is not an ISO 3166-1 alpha-2 country code (two uppercase letters)", s)
	}
	return nil
}

// checkText checks a string field as text does.
func checkText(path, s string, required bool) error {
	if err := text("", s, required); err != nil {
		return controlsError(path, "%s", strings.TrimSpace(err.Error()))
	}
	return nil
}

// checkSource checks a fact's source: present, and text.
func checkSource(path, s string) error {
	if s == "" {
		return controlsError(path, "missing: every fact needs its source")
	}
	return checkText(path, s, true)
}

func parseDate(path, s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, controlsError(path, "%q is not a date YYYY-MM-DD", s)
	}
	return t, nil
}

// parseSpan reads the effective and until dates at path.
func parseSpan(path, effective, until string, effectiveRequired bool) (span, error) {
	var s span
	var err error
	if effective == "" && effectiveRequired {
		return s, controlsError(path+".effective", "missing")
	}
	if effective != "" {
		if s.from, err = parseDate(path+".effective", effective); err != nil {
			return s, err
		}
	}
	if until != "" {
		if s.until, err = parseDate(path+".until", until); err != nil {
			return s, err
		}
		if !s.until.After(s.from) {
			return s, controlsError(path+".until", "%s is not after effective %s", until, effective)
		}
	}
	return s, nil
}

func date(t time.Time) string { return t.Format(time.DateOnly) }

// Country returns the destination country code as the EAR treats it at
// at: the code folded to upper case, with the alias in force applied (Hong
// Kong answers as CN from 2020-12-23). Two codes are one destination when
// their Country values are equal.
func (c *Controls) Country(country string, at time.Time) string { return c.resolve(country, at) }
