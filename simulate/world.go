package simulate

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/policy"
)

// country is one country of the world with the facts the generator needs
// to stay legal in the benign world (which destinations need a licence,
// which are transshipment hubs). Detection reads its own policy; these
// flags only steer the generator.
type country struct {
	code, name, city string
	lat, lon         float64
	tier             int     // AI diffusion tier: 1, 2 or 3 (D:5 and Macau; HK is China)
	hub              bool    // transshipment hub of the domain brief
	licensed         bool    // D:1/D:4 and not A:5/A:6: 3A090/4A090 exports need a licence
	weight           float64 // share of benign demand
}

var countryTable = []country{
	{"US", "United States", "Ashburn", 39.0438, -77.4874, 1, false, false, 38},
	{"CA", "Canada", "Montreal", 45.5019, -73.5674, 1, false, false, 2},
	{"MX", "Mexico", "Queretaro", 20.5888, -100.3899, 2, false, false, 1},
	{"BR", "Brazil", "Sao Paulo", -23.5505, -46.6333, 2, false, false, 1.5},
	{"GB", "United Kingdom", "London", 51.5072, -0.1276, 1, false, false, 4},
	{"IE", "Ireland", "Dublin", 53.3498, -6.2603, 1, false, false, 1.5},
	{"FR", "France", "Paris", 48.8566, 2.3522, 1, false, false, 3},
	{"DE", "Germany", "Frankfurt", 50.1109, 8.6821, 1, false, false, 4},
	{"NL", "Netherlands", "Amsterdam", 52.3676, 4.9041, 1, false, false, 2},
	{"BE", "Belgium", "Brussels", 50.8503, 4.3517, 1, false, false, 0.6},
	{"ES", "Spain", "Madrid", 40.4168, -3.7038, 1, false, false, 1},
	{"IT", "Italy", "Milan", 45.4642, 9.19, 1, false, false, 1},
	{"DK", "Denmark", "Copenhagen", 55.6761, 12.5683, 1, false, false, 0.6},
	{"SE", "Sweden", "Stockholm", 59.3293, 18.0686, 1, false, false, 1},
	{"FI", "Finland", "Helsinki", 60.1699, 24.9384, 1, false, false, 0.7},
	{"NO", "Norway", "Oslo", 59.9139, 10.7522, 1, false, false, 0.7},
	{"PL", "Poland", "Warsaw", 52.2297, 21.0122, 2, false, false, 0.7},
	{"CH", "Switzerland", "Zurich", 47.3769, 8.5417, 2, false, false, 0.8},
	{"TR", "Turkey", "Istanbul", 41.0082, 28.9784, 2, false, false, 0.6},
	{"IL", "Israel", "Tel Aviv", 32.0853, 34.7818, 2, false, false, 1.2},
	{"SA", "Saudi Arabia", "Riyadh", 24.7136, 46.6753, 2, false, true, 1.5},
	{"AE", "United Arab Emirates", "Abu Dhabi", 24.4539, 54.3773, 2, true, true, 2},
	{"IN", "India", "Mumbai", 19.076, 72.8777, 2, false, false, 3},
	{"SG", "Singapore", "Singapore", 1.3521, 103.8198, 2, true, false, 3},
	{"MY", "Malaysia", "Johor Bahru", 1.4927, 103.7414, 2, true, false, 2},
	{"TH", "Thailand", "Bangkok", 13.7563, 100.5018, 2, true, false, 1},
	{"VN", "Vietnam", "Hanoi", 21.0278, 105.8342, 2, false, true, 0.6},
	{"ID", "Indonesia", "Jakarta", -6.2088, 106.8456, 2, true, false, 0.8},
	{"PH", "Philippines", "Manila", 14.5995, 120.9842, 2, false, false, 0.4},
	{"JP", "Japan", "Tokyo", 35.6762, 139.6503, 1, false, false, 4},
	{"KR", "South Korea", "Seoul", 37.5665, 126.978, 1, false, false, 3},
	{"TW", "Taiwan", "Taipei", 25.033, 121.5654, 1, true, false, 2.5},
	{"AU", "Australia", "Sydney", -33.8688, 151.2093, 1, false, false, 2},
	{"NZ", "New Zealand", "Auckland", -36.8485, 174.7633, 1, false, false, 0.3},
	{"KZ", "Kazakhstan", "Almaty", 43.222, 76.8512, 2, false, true, 0.3},
	{"CN", "China", "Shenzhen", 22.5431, 114.0579, 3, false, true, 0},
	{"HK", "Hong Kong (China)", "Hong Kong", 22.3193, 114.1694, 3, true, true, 0},
	{"MO", "Macau", "Macau", 22.1987, 113.5439, 3, false, true, 0},
	{"RU", "Russia", "Moscow", 55.7558, 37.6173, 3, false, true, 0},
	{"IR", "Iran", "Tehran", 35.6892, 51.389, 3, false, true, 0},
	{"BY", "Belarus", "Minsk", 53.9006, 27.559, 3, false, true, 0},
	{"VE", "Venezuela", "Caracas", 10.4806, -66.9036, 3, false, true, 0},
}

// model is a chip model the world makes, with its catalogue figures.
type model struct {
	name     string // catalogue model id, as in unit.commissioned.v1
	maker    string // party id
	label    string // as on shipping documents
	prefix   string // serial prefix
	tpp      float64
	eccn     string
	price    int // USD per chip
	h100eq   float64
	weight   float64
	from     string // first month it ships (YYYY-MM), "" always
	fadeFrom string // month its share drops to a tenth, "" never
}

var modelTable = []model{
	{name: "H100-SXM5-80GB", maker: "P-NVIDIA", label: "NVIDIA H100 SXM5 80GB", prefix: "1652", price: 30000, weight: 30},
	{name: "H200-SXM5-141GB", maker: "P-NVIDIA", label: "NVIDIA H200 SXM 141GB", prefix: "1654", price: 34000, weight: 22, from: "2024-09"},
	{name: "B200-SXM-192GB", maker: "P-NVIDIA", label: "NVIDIA B200 SXM 192GB", prefix: "1790", price: 42000, weight: 26, from: "2024-12"},
	{name: "A100-SXM4-80GB", maker: "P-NVIDIA", label: "NVIDIA A100 SXM4 80GB", prefix: "1322", price: 15000, weight: 10, fadeFrom: "2025-03"},
	{name: "MI300X", maker: "P-AMD", label: "AMD Instinct MI300X 192GB", prefix: "MI3X", price: 20000, weight: 10},
	{name: "GAUDI3", maker: "P-INTEL", label: "Intel Gaudi 3 AI accelerator", prefix: "HL325", price: 15000, weight: 4},
	{name: "RTX-4090", maker: "P-NVIDIA", label: "NVIDIA GeForce RTX 4090 24GB", prefix: "1324", price: 2000, weight: 8},
	{name: "H20-96GB", maker: "P-NVIDIA", label: "NVIDIA H20 96GB", prefix: "1710", price: 12000, weight: 0},
}

// party is a registered party and how it publishes.
type party struct {
	info  events.PartyInfo
	id    string
	skew  int64 // seconds its clock is off
	batch bool  // records in nightly batches (recorded_at up to a day late)
	gs1   string
}

// site is a registered site.
type site struct {
	reg      events.SiteRegistered
	id       string
	owner    *party
	country  *country
	lat, lon float64
	dc       bool
}

// oem is a server maker with its factory and system model.
type oem struct {
	p        *party
	factory  *site
	sysModel string
	label    string
	prefix   string
	models   []string // chip models it builds servers with
}

// customer is a benign buyer that installs what it buys.
type customer struct {
	p      *party
	sites  []*site
	cloud  bool
	weight float64
	c      *country
}

// world is the static part of the simulation: countries, parties, sites,
// models. It depends on the seed only, never on the number of chips.
type world struct {
	countries map[string]*country
	parties   []*party
	byID      map[string]*party
	sites     []*site
	siteByID  map[string]*site
	models    []*model
	modelBy   map[string]*model
	makers    map[string]*site // maker -> packaging site in TW
	oems      []*oem
	customers []*customer
	custByC   map[string][]*customer
	dests     []*country // countries with benign demand, in table order
	destW     []float64
	dists     map[string]*party // distributor per country
	distSite  map[string]*site
	carriers  []*party
	forwarder *party
	tenants   []*party
	operator  *party
	names     nameGen
}

// nameGen makes unique, deterministic names, addresses and directors.
type nameGen struct {
	r     rng
	used  map[string]bool
	dirN  int
	addrN int
}

var (
	givenNames = []string{"Wei", "Mei", "Arjun", "Priya", "James", "Sarah", "Lukas", "Anna", "Hiroshi", "Yuki", "Min-jun", "Ji-woo",
		"Omar", "Layla", "Carlos", "Lucia", "Pierre", "Camille", "Erik", "Ingrid", "David", "Noa", "Ahmet", "Elif", "Siti", "Ahmad",
		"Nguyen", "Linh", "Somchai", "Ploy", "Olga", "Ivan", "Tomasz", "Kasia", "Marco", "Giulia", "Liam", "Aoife", "Jack", "Chloe"}
	surnames = []string{"TAN", "LIM", "CHEN", "WANG", "PATEL", "SHARMA", "SMITH", "JOHNSON", "MUELLER", "SCHMIDT", "TANAKA", "SATO",
		"KIM", "PARK", "HASSAN", "HADDAD", "GARCIA", "LOPEZ", "MARTIN", "BERNARD", "LARSEN", "NILSSON", "COHEN", "LEVI", "YILMAZ",
		"KAYA", "RAHMAN", "ISMAIL", "TRAN", "PHAM", "SUKSAWAT", "WONG", "PETROVA", "NOWAK", "KOWALSKI", "ROSSI", "BIANCHI", "MURPHY",
		"KELLY", "BROWN", "TAYLOR", "NAKAMURA", "CHOI", "SILVA", "SANTOS", "DUBOIS", "FISCHER", "WEBER", "JANSEN", "DE VRIES"}
	streets = []string{"Harbour Road", "Science Park Drive", "Innovation Way", "Data Centre Lane", "Fibre Street", "Compute Avenue",
		"Industrial Estate Road", "Logistics Boulevard", "Technology Parkway", "Gateway Drive", "Riverside Quay", "Summit Road"}
	nameHeads = []string{"Aurora", "Borealis", "Cobalt", "Delta", "Ember", "Fjord", "Granite", "Helix", "Iris", "Juniper", "Kestrel",
		"Lumen", "Meridian", "Nimbus", "Orion", "Pinnacle", "Quasar", "Redwood", "Sierra", "Tundra", "Umbra", "Vertex", "Willow",
		"Xenon", "Yarrow", "Zenith", "Atlas", "Beacon", "Cedar", "Dune", "Equinox", "Falcon", "Glacier", "Harbor", "Indigo", "Jade",
		"Kinetic", "Lattice", "Monsoon", "Nova", "Onyx", "Polaris", "Quarry", "Radiant", "Solstice", "Tessera", "Unity", "Vanguard"}
)

func (n *nameGen) director() string {
	for {
		i := n.dirN
		n.dirN++
		g := givenNames[i%len(givenNames)]
		s := surnames[(i/len(givenNames)+i)%len(surnames)]
		name := s + " " + g
		if i >= len(givenNames)*len(surnames) {
			name += " " + strconv.Itoa(i)
		}
		if !n.used["d:"+name] {
			n.used["d:"+name] = true
			return name
		}
	}
}

func (n *nameGen) address(c *country) string {
	n.addrN++
	return fmt.Sprintf("%d %s, %s, %s", 10+n.addrN*7%890, streets[n.addrN%len(streets)], c.city, c.name)
}

// company returns an unused company name head.
func (n *nameGen) head() string {
	for k := 0; ; k++ {
		h := nameHeads[n.r.intn(len(nameHeads))]
		if k > 20 {
			h += " " + strconv.Itoa(k)
		}
		if !n.used["h:"+h] {
			n.used["h:"+h] = true
			return h
		}
	}
}

var legalSuffix = map[string]string{
	"US": "Inc.", "CA": "Ltd.", "MX": "S.A. de C.V.", "BR": "Ltda.", "GB": "Ltd", "IE": "Limited", "FR": "SAS", "DE": "GmbH",
	"NL": "B.V.", "BE": "SA", "ES": "S.L.", "IT": "S.r.l.", "DK": "ApS", "SE": "AB", "FI": "Oy", "NO": "AS", "PL": "Sp. z o.o.",
	"CH": "AG", "TR": "A.S.", "IL": "Ltd.", "SA": "LLC", "AE": "LLC", "IN": "Pvt. Ltd.", "SG": "Pte. Ltd.", "MY": "Sdn. Bhd.",
	"TH": "Co., Ltd.", "VN": "JSC", "ID": "PT", "PH": "Inc.", "JP": "K.K.", "KR": "Co., Ltd.", "TW": "Corp.", "AU": "Pty Ltd",
	"NZ": "Limited", "KZ": "LLP", "CN": "Co., Ltd.", "HK": "Limited", "MO": "Limitada", "RU": "LLC", "IR": "Co.", "BY": "LLC",
	"VE": "C.A.",
}

// newWorld builds the static world for a seed.
func newWorld(seed uint64) *world {
	w := &world{
		countries: map[string]*country{},
		byID:      map[string]*party{},
		siteByID:  map[string]*site{},
		modelBy:   map[string]*model{},
		makers:    map[string]*site{},
		custByC:   map[string][]*customer{},
		dists:     map[string]*party{},
		distSite:  map[string]*site{},
		names:     nameGen{r: newRNG(hash(seed, hstr("names"))), used: map[string]bool{}},
	}
	for i := range countryTable {
		c := &countryTable[i]
		cc := *c
		w.countries[c.code] = &cc
	}
	cat := policy.Default()
	for i := range modelTable {
		m := modelTable[i]
		if ch, ok := cat.Lookup(m.name); ok {
			m.tpp, m.eccn, m.h100eq = ch.TPP, ch.ECCN, ch.H100Equivalents
		}
		w.models = append(w.models, &m)
		w.modelBy[m.name] = &m
	}
	r := newRNG(hash(seed, hstr("world")))

	w.operator = w.addParty(&r, "P-CHIPLEDGER", "Chipledger Registry Operator", "US", []string{events.PartyOther}, "2023-01-10", "custody ledger operator", false)
	for _, mk := range []struct{ id, name, bl string }{
		{"P-NVIDIA", "NVIDIA Corporation", "GPU and accelerated computing design"},
		{"P-AMD", "Advanced Micro Devices, Inc.", "semiconductor design"},
		{"P-INTEL", "Intel Corporation", "semiconductor design and manufacturing"},
	} {
		w.addParty(&r, mk.id, mk.name, "US", []string{events.PartyManufacturer}, "", mk.bl, false)
	}
	tsmc := w.addParty(&r, "P-TSMC", "Taiwan Semiconductor Manufacturing Company, Limited", "TW", []string{events.PartyManufacturer}, "1987-02-21", "semiconductor foundry and advanced packaging", false)
	spil := w.addParty(&r, "P-SPIL", "Siliconware Precision Industries Co., Ltd.", "TW", []string{events.PartyManufacturer}, "1984-05-17", "semiconductor packaging and test", false)
	ap6 := w.addSite("S-TSMC-AP6", tsmc, "TW", "TSMC Advanced Backend Fab 6, Zhunan", events.SiteFactory, 24.6839, 120.9043)
	spilTC := w.addSite("S-SPIL-TC", spil, "TW", "SPIL Central Taiwan Science Park", events.SiteFactory, 24.2077, 120.6187)
	w.makers["P-NVIDIA"] = ap6
	w.makers["P-AMD"] = ap6
	w.makers["P-INTEL"] = spilTC

	for _, o := range []struct {
		id, name, c, site, city, sysModel, label, prefix string
		lat, lon                                         float64
		models                                           []string
	}{
		{"P-SUPERMICRO", "Super Micro Computer, Inc.", "US", "S-SMC-SJC", "Supermicro San Jose campus", "SYS-821GE-TNHR", "Supermicro SYS-821GE-TNHR", "SMC", 37.3829, -121.9201,
			[]string{"H100-SXM5-80GB", "H200-SXM5-141GB", "B200-SXM-192GB", "A100-SXM4-80GB", "MI300X", "GAUDI3", "RTX-4090"}},
		{"P-DELL", "Dell Technologies Inc.", "US", "S-DELL-RR", "Dell Round Rock integration center", "POWEREDGE-XE9680", "Dell PowerEdge XE9680", "DELL", 30.5083, -97.6789,
			[]string{"H100-SXM5-80GB", "H200-SXM5-141GB", "B200-SXM-192GB", "A100-SXM4-80GB", "MI300X", "GAUDI3"}},
		{"P-HPE", "Hewlett Packard Enterprise Company", "US", "S-HPE-HOU", "HPE Houston factory", "CRAY-XD670", "HPE Cray XD670", "HPE", 29.9717, -95.5417,
			[]string{"H100-SXM5-80GB", "H200-SXM5-141GB", "A100-SXM4-80GB", "MI300X"}},
		{"P-FOXCONN", "Hon Hai Precision Industry Co., Ltd.", "TW", "S-FXN-KHH", "Foxconn Kaohsiung server plant", "HGX-H100-8GPU", "Foxconn HGX 8-GPU server", "FXN", 22.6273, 120.3014,
			[]string{"H100-SXM5-80GB", "H200-SXM5-141GB", "B200-SXM-192GB", "A100-SXM4-80GB", "RTX-4090"}},
		{"P-QUANTA", "Quanta Computer Inc.", "TW", "S-QCT-TYN", "Quanta Taoyuan factory", "HGX-H100-8GPU", "QCT QuantaGrid D74H-7U", "QCT", 25.0105, 121.2148,
			[]string{"H100-SXM5-80GB", "H200-SXM5-141GB", "B200-SXM-192GB", "MI300X"}},
		{"P-WIWYNN", "Wiwynn Corporation", "TW", "S-WWY-NTP", "Wiwynn New Taipei factory", "HGX-H100-8GPU", "Wiwynn HGX 8-GPU server", "WWY", 25.0633, 121.4567,
			[]string{"H100-SXM5-80GB", "H200-SXM5-141GB", "B200-SXM-192GB"}},
	} {
		p := w.addParty(&r, o.id, o.name, o.c, []string{events.PartyOEM}, "", "server manufacturing", false)
		s := w.addSite(o.site, p, o.c, o.city, events.SiteFactory, o.lat, o.lon)
		w.oems = append(w.oems, &oem{p: p, factory: s, sysModel: o.sysModel, label: o.label, prefix: o.prefix, models: o.models})
	}

	for _, c := range []struct{ id, name, c string }{
		{"P-PACAIR", "Pacific Air Cargo Ltd.", "US"},
		{"P-FORMOSA-AIR", "Formosa Air Freight Corp.", "TW"},
		{"P-EUROAIR", "EuroAir Logistics GmbH", "DE"},
		{"P-SAKURA-CARGO", "Sakura Cargo K.K.", "JP"},
		{"P-GROUND-EXPRESS", "Ground Express Freight Inc.", "US"},
	} {
		w.carriers = append(w.carriers, w.addParty(&r, c.id, c.name, c.c, []string{events.PartyCarrier}, "", "air and road freight", false))
	}
	w.forwarder = w.addParty(&r, "P-MERIDIAN-FWD", "Meridian Global Forwarding AG", "CH", []string{events.PartyFreightForwarder}, "1996-03-14", "international freight forwarding", false)
	for _, b := range []struct{ id, name, c string }{
		{"P-FIRST-HARBOR-BANK", "First Harbor Bank, N.A.", "US"},
		{"P-ORCHARD-BANK", "Orchard Bank Singapore Limited", "SG"},
		{"P-RHEIN-BANK", "Rhein Handelsbank AG", "DE"},
	} {
		w.addParty(&r, b.id, b.name, b.c, []string{events.PartyBank}, "1970-01-02", "commercial banking", false)
	}
	w.addParty(&r, "P-VERILAB", "Verity Hardware Labs Inc.", "US", []string{events.PartyLab}, "2011-06-01", "third-party hardware testing", false)
	w.addParty(&r, "P-HSINCHU-LAB", "Hsinchu Test Laboratories Corp.", "TW", []string{events.PartyLab}, "2005-09-12", "semiconductor reliability testing", false)

	// Distributors: only outside the transshipment hubs, so that the
	// benign world never re-exports from a hub.
	for _, code := range []string{"US", "NL", "DE", "GB", "JP", "IN", "AU", "KR", "FR", "BR", "CA"} {
		c := w.countries[code]
		id := "P-DIST-" + code
		p := w.addParty(&r, id, w.names.head()+" Compute Distribution "+legalSuffix[code], code, []string{events.PartyDistributor}, "", "IT hardware distribution", true)
		s := w.addSite("S-DIST-"+code+"-WH1", p, code, p.info.Name+" warehouse", events.SiteWarehouse, c.lat+0.05, c.lon-0.05)
		w.dists[code], w.distSite[code] = p, s
	}

	// Tenants of the clouds: end users in allied and Tier 2 countries.
	tenantCountries := []string{"US", "US", "US", "GB", "DE", "FR", "JP", "KR", "CA", "NL", "SE", "IL", "IN", "SG", "AU", "CH", "ES", "IT"}
	for i, code := range tenantCountries {
		p := w.addParty(&r, fmt.Sprintf("P-TENANT-%02d", i+1), w.names.head()+" AI "+legalSuffix[code], code, []string{events.PartyEndUser}, "", tenantLines[i%len(tenantLines)], true)
		w.tenants = append(w.tenants, p)
	}

	// Customers: clouds, colocation operators and research or enterprise
	// users in every country with benign demand.
	n := 0
	for i := range countryTable {
		c := w.countries[countryTable[i].code]
		if c.weight == 0 {
			continue
		}
		w.dests = append(w.dests, c)
		w.destW = append(w.destW, c.weight)
		k := 1 + int(c.weight/1.5)
		if k > 5 {
			k = 5
		}
		for j := 0; j < k; j++ {
			n++
			kind := j % 3
			var types []string
			var bl, word string
			switch kind {
			case 0:
				types, bl, word = []string{events.PartyCloud, events.PartyDatacenter}, "GPU cloud services", "Cloud"
			case 1:
				types, bl, word = []string{events.PartyDatacenter}, "colocation data centers", "Data Centers"
			default:
				types, bl, word = []string{events.PartyEndUser}, researchLines[n%len(researchLines)], "Research"
			}
			id := fmt.Sprintf("P-CUST-%s-%d", c.code, j+1)
			p := w.addParty(&r, id, w.names.head()+" "+word+" "+legalSuffix[c.code], c.code, types, "", bl, true)
			cu := &customer{p: p, cloud: kind != 2, weight: 1 / float64(j+1), c: c}
			ns := 1 + r.intn(2)
			for s := 0; s < ns; s++ {
				sid := fmt.Sprintf("S-%s-DC%d", id[2:], s+1)
				st := w.addSite(sid, p, c.code, p.info.Name+" data center "+strconv.Itoa(s+1), events.SiteDatacenter,
					c.lat+(r.float()-0.5)*0.4, c.lon+(r.float()-0.5)*0.4)
				st.dc = true
				cu.sites = append(cu.sites, st)
			}
			w.customers = append(w.customers, cu)
			w.custByC[c.code] = append(w.custByC[c.code], cu)
		}
	}
	return w
}

var tenantLines = []string{"foundation model research", "AI drug discovery", "autonomous driving software", "financial risk modelling",
	"speech recognition", "computer vision", "climate simulation", "recommendation systems"}
var researchLines = []string{"university high-performance computing", "national research laboratory", "pharmaceutical research",
	"automotive engineering", "weather and climate research", "telecommunications research"}

// addParty registers a party. Benign parties get a unique address and
// directors and an incorporation date before the R13 cutoff.
func (w *world) addParty(r *rng, id, name, c string, types []string, inc, bl string, people bool) *party {
	cn := w.countries[c]
	p := &party{id: id}
	p.info = events.PartyInfo{Party: id, Name: name, Country: c, HQCountry: c, Types: types, BusinessLine: bl}
	if inc == "" && people {
		inc = fmt.Sprintf("%04d-%02d-%02d", 1990+r.intn(31), 1+r.intn(12), 1+r.intn(28))
	}
	p.info.Incorporated = events.Date(inc)
	if people {
		p.info.Address = w.names.address(cn)
		p.info.Directors = []string{w.names.director(), w.names.director()}
	}
	h := hash(hstr(id), 7)
	p.skew = int64(h%421) - 120 // -120 .. +300 s
	if h>>40%11 == 0 {
		p.skew = -900 - int64(h>>20%600) // a publisher whose clock runs 15-25 minutes behind
	}
	p.batch = h>>50%7 == 0
	p.gs1 = strconv.Itoa(1000000 + 7919*len(w.parties)) // a GS1 company prefix, unique per party
	w.parties = append(w.parties, p)
	w.byID[id] = p
	return p
}

func (w *world) addSite(id string, p *party, c, name, kind string, lat, lon float64) *site {
	s := &site{id: id, owner: p, country: w.countries[c], lat: round4(lat), lon: round4(lon)}
	s.reg = events.SiteRegistered{Site: id, Party: p.id, Country: c, Name: name, Kind: kind}
	w.sites = append(w.sites, s)
	w.siteByID[id] = s
	return s
}

// carrierFor picks the carrier of a lane.
func (w *world) carrierFor(from, to string, h uint64) *party {
	switch {
	case from == to && from == "US":
		return w.byID["P-GROUND-EXPRESS"]
	case from == "TW" || to == "TW":
		return w.byID["P-FORMOSA-AIR"]
	case from == "JP" || to == "JP" || to == "KR":
		return w.byID["P-SAKURA-CARGO"]
	case w.countries[from].lon > -30 && w.countries[from].lon < 60 && w.countries[to].lon > -30 && w.countries[to].lon < 60:
		return w.byID["P-EUROAIR"]
	}
	if h%3 == 0 {
		return w.byID["P-EUROAIR"]
	}
	return w.byID["P-PACAIR"]
}

// sscc returns a pallet or case id: an 18-digit SSCC (extension digit,
// GS1 company prefix, serial reference, check digit).
func sscc(prefix string, n int64) events.UnitID {
	var b [24]byte
	x := append(b[:0], "pkg:0"...)
	x = append(x, prefix...)
	x = appendPad(x, n%1_000_000_000, 9)
	sum := 0
	digits := x[4:]
	for i := 0; i < len(digits); i++ {
		d := int(digits[len(digits)-1-i] - '0')
		if i%2 == 0 {
			d *= 3
		}
		sum += d
	}
	x = append(x, byte('0'+(10-sum%10)%10))
	return events.UnitID(x)
}

func sysID(prefix string, n int64) events.UnitID {
	return events.UnitID("sys:" + prefix + "-" + fmt.Sprintf("%08d", n))
}

// sortedKeys returns a map's keys sorted.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
