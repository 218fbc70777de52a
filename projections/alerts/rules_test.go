package alerts_test

import (
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/policy"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/projections/alerts"
)

// story builds a small ledger event by event: reference data, then the
// custody events of a test case.
type story struct {
	t testing.TB
	w *world
	n int
}

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02T15", s)
	if err != nil {
		t, err = time.Parse(time.DateOnly, s)
	}
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func (s *story) ev(when string, body events.Body) string {
	s.t.Helper()
	return s.evAt(at(when), at(when).Add(time.Minute), body)
}

func (s *story) evAt(occurred, recorded time.Time, body events.Body) string {
	s.t.Helper()
	s.n++
	id := fmt.Sprintf("0193a000-0000-7000-8000-%012d", s.n)
	ev := events.Event{ID: id, Type: body.Type(), OccurredAt: occurred, RecordedAt: recorded, Publisher: "P-OP", Body: body}
	require.NoError(s.t, ev.Validate(), "test event %s", body.Type())
	require.NoError(s.t, s.w.apply(ev))
	return id
}

type partyOpt func(*events.PartyInfo)

func (s *story) party(id, country string, types []string, opts ...partyOpt) {
	info := events.PartyInfo{Party: id, Name: id + " Ltd", Country: country, HQCountry: country, Types: types,
		Incorporated: "2010-01-01", BusinessLine: "data center services", Address: id + " street 1", Directors: []string{"director of " + id}}
	for _, o := range opts {
		o(&info)
	}
	s.ev("2024-01-01T01", &events.PartyRegistered{PartyInfo: info})
}

func (s *story) site(id, party, country, kind string, capacity int64) {
	s.ev("2024-01-01T02", &events.SiteRegistered{Site: id, Party: party, Country: country, Kind: kind, DeclaredCapacityUnits: &capacity})
}

// newStory has the policy bundle, the usual parties and sites, and a
// server with two H100 chips assembled at the OEM in the US.
func newStory(t testing.TB) *story {
	s := &story{t: t, w: &world{p: projections.New(policy.Default()), src: &memSource{}}}
	data := policy.DefaultBundleJSON()
	s.ev("2024-01-01", &events.PolicyActivated{Document: events.Document{Name: policy.BundleName, Version: "test", Digest: events.Digest(data),
		Effective: "2023-11-17", Source: "test", Content: string(data)}})
	dc, cloud, oem := []string{events.PartyDatacenter}, []string{events.PartyCloud}, []string{events.PartyOEM}
	s.party("P-NVIDIA", "US", []string{events.PartyManufacturer})
	s.party("P-OEM", "US", oem)
	s.party("P-CARRIER", "US", []string{events.PartyCarrier})
	s.party("P-DE", "DE", dc)
	s.party("P-SG", "SG", cloud)
	s.party("P-CN", "CN", cloud)
	s.party("P-SA", "SA", dc)
	s.party("P-IN", "IN", dc)
	s.party("P-FWD", "SG", []string{events.PartyFreightForwarder})
	s.party("P-MY", "MY", []string{events.PartyDistributor})
	s.site("S-OEM", "P-OEM", "US", events.SiteFactory, 0)
	s.site("S-DE", "P-DE", "DE", events.SiteDatacenter, 1000)
	s.site("S-SG", "P-SG", "SG", events.SiteDatacenter, 1000)
	s.site("S-CN", "P-CN", "CN", events.SiteDatacenter, 1000)
	s.site("S-SA", "P-SA", "SA", events.SiteDatacenter, 1000)
	s.site("S-IN", "P-IN", "IN", events.SiteDatacenter, 1000)
	s.site("S-MY", "P-MY", "MY", events.SiteWarehouse, 0)
	s.site("S-FWD", "P-FWD", "SG", events.SiteWarehouse, 0)
	s.server("sys:S1", "H100-SXM5-80GB", "chip:C1", "chip:C2")
	return s
}

func (s *story) server(sys, model string, chips ...string) {
	for _, c := range chips {
		s.ev("2025-01-02", &events.Commissioned{Unit: events.UnitID(c), Manufacturer: "P-NVIDIA", Model: model, Serial: c[5:], Site: "S-OEM", Country: "US"})
	}
	s.ev("2025-01-03", &events.Commissioned{Unit: events.UnitID(sys), Manufacturer: "P-OEM", Model: "SYS-821GE-TNHR", Serial: sys[4:], Site: "S-OEM", Country: "US"})
	var kids []events.UnitID
	for _, c := range chips {
		kids = append(kids, events.UnitID(c))
	}
	s.ev("2025-01-03T12", &events.Assembled{Parent: events.UnitID(sys), Children: kids, Site: "S-OEM"})
}

type shipOpt func(*events.Shipped)

func licence(n string) shipOpt {
	return func(b *events.Shipped) { b.Licence, b.LicenceException = n, "" }
}
func exception(e string) shipOpt { return func(b *events.Shipped) { b.LicenceException = e } }
func endUser(p string) shipOpt   { return func(b *events.Shipped) { b.DeclaredEndUser = p } }
func goods(d, eccn string) shipOpt {
	return func(b *events.Shipped) { b.GoodsDescription, b.DeclaredECCN = d, eccn }
}
func via(c ...string) shipOpt { return func(b *events.Shipped) { b.Via = c } }
func payer(p string) shipOpt  { return func(b *events.Shipped) { b.Transaction.Payer = p } }
func permit(p string) shipOpt { return func(b *events.Shipped) { b.MalaysiaPermit = p } }

func (s *story) ship(when, unit, fromParty, fromCountry, toParty, toSite, toCountry string, opts ...shipOpt) {
	b := &events.Shipped{Units: []events.UnitID{events.UnitID(unit)}, From: events.Place{Party: fromParty, Country: fromCountry},
		To: events.Place{Party: toParty, Site: toSite, Country: toCountry}, Carrier: "P-CARRIER", LicenceException: "NLR",
		GoodsDescription: "GPU server, 8x NVIDIA H100 SXM5 80GB", DeclaredECCN: "4A090.a"}
	for _, o := range opts {
		o(b)
	}
	s.ev(when, b)
}

func (s *story) receive(when, unit, party, site, country string) {
	s.ev(when, &events.Received{Units: []events.UnitID{events.UnitID(unit)}, At: events.Place{Party: party, Site: site, Country: country}})
}

func (s *story) install(when, unit, site, country, tenant string) {
	s.ev(when, &events.Installed{Units: []events.UnitID{events.UnitID(unit)}, Site: site, Country: country, Tenant: tenant})
}

func (s *story) sell(when, unit, seller, buyer, payer string) {
	s.ev(when, &events.OwnershipTransferred{Units: []events.UnitID{events.UnitID(unit)}, Seller: seller, Buyer: buyer, Payer: payer})
}

// attest attests unit in country every week from..until.
func (s *story) attest(unit, country, from, until string) {
	for t := at(from); !t.After(at(until)); t = t.Add(7 * 24 * time.Hour) {
		s.ev(t.Format("2006-01-02T15"), &events.LocationAttested{Units: []events.UnitID{events.UnitID(unit)}, Country: country, Method: "telemetry", Attestor: "P-NVIDIA"})
	}
}

func (s *story) grant(n, holder, dest, user string, qty int64, from, until string) {
	s.ev("2024-06-01", &events.LicenceGranted{Licence: n, Holder: holder, DestinationCountry: dest, EndUser: user, ECCN: "4A090.a",
		Quantity: qty, ValidFrom: events.Date(from), ValidUntil: events.Date(until)})
}

// deliver is the benign delivery of sys:S1: sold, shipped, received,
// installed and attested to the end.
func (s *story) deliver(toParty, site, country string, opts ...shipOpt) {
	s.sell("2025-02-01", "sys:S1", "P-OEM", toParty, "")
	s.ship("2025-02-02", "sys:S1", "P-OEM", "US", toParty, site, country, opts...)
	s.receive("2025-02-05", "sys:S1", toParty, site, country)
	s.install("2025-02-08", "sys:S1", site, country, "")
	s.attest("sys:S1", country, "2025-02-10", "2025-06-30")
}

// rules returns the rules of the open alerts on subject.
func (s *story) rules(subject string) []string {
	d := alerts.New(alerts.Options{})
	_, err := d.Evaluate(s.w.p, s.w.src)
	require.NoError(s.t, err)
	var out []string
	for _, a := range d.Alerts(alerts.Filter{Subject: subject, State: alerts.StateOpen}) {
		if !slices.Contains(out, a.Rule) {
			out = append(out, a.Rule)
		}
	}
	slices.Sort(out)
	return out
}

func TestRules(t *testing.T) {
	cases := []struct {
		name    string
		rule    string
		subject string
		want    bool
		story   func(s *story)
	}{
		{"benign delivery raises nothing", "", "sys:S1", false, func(s *story) { s.deliver("P-DE", "S-DE", "DE") }},

		{"R1 export to China without a licence", "R1", "sys:S1", true, func(s *story) { s.deliver("P-CN", "S-CN", "CN") }},
		{"R1 attestation in Iran after a licensed export", "R1", "chip:C1", true, func(s *story) {
			s.grant("L1", "P-OEM", "AE", "P-SG", 10, "2025-01-01", "2025-12-31")
			s.deliver("P-DE", "S-DE", "DE")
			s.attest("chip:C1", "IR", "2025-07-01", "2025-07-01")
		}},
		{"R1 not for a licensed export to China", "R1", "sys:S1", false, func(s *story) {
			s.grant("L1", "P-OEM", "CN", "P-CN", 10, "2025-01-01", "2025-12-31")
			s.deliver("P-CN", "S-CN", "CN", licence("L1"))
		}},
		{"R1 not for an H20 (below 3A090)", "R1", "chip:H1", false, func(s *story) {
			s.server("sys:S2", "H20-96GB", "chip:H1")
			s.ship("2025-02-02", "sys:S2", "P-OEM", "US", "P-CN", "S-CN", "CN", goods("GPU server, 8x NVIDIA H20", "4A994"))
			s.receive("2025-02-05", "sys:S2", "P-CN", "S-CN", "CN")
		}},

		{"R2 Saudi Arabia under NLR", "R2", "sys:S1", true, func(s *story) { s.deliver("P-SA", "S-SA", "SA") }},
		{"R2 not with a licence for Saudi Arabia", "R2", "sys:S1", false, func(s *story) {
			s.grant("L1", "P-OEM", "SA", "P-SA", 10, "2025-01-01", "2025-12-31")
			s.deliver("P-SA", "S-SA", "SA", licence("L1"))
		}},
		{"R2 not for India (no licence needed)", "R2", "sys:S1", false, func(s *story) { s.deliver("P-IN", "S-IN", "IN") }},

		{"R3 buyer with a Chinese ultimate parent", "R3", "sys:S1", true, func(s *story) {
			s.party("P-SG2", "SG", []string{events.PartyCloud}, func(p *events.PartyInfo) { p.UltimateParent = "P-CN" })
			s.deliver("P-SG2", "S-SG", "SG")
		}},
		{"R3 not for a Singapore arm of a Japanese group", "R3", "sys:S1", false, func(s *story) {
			s.party("P-JP", "JP", []string{events.PartyCloud})
			s.party("P-SG2", "SG", []string{events.PartyCloud}, func(p *events.PartyInfo) { p.UltimateParent = "P-JP" })
			s.deliver("P-SG2", "S-SG", "SG")
		}},

		{"R5 forwarder as declared end user", "R5", "sys:S1", true, func(s *story) { s.deliver("P-SG", "S-SG", "SG", endUser("P-FWD")) }},
		{"R5 not for a forwarder as carrier", "R5", "sys:S1", false, func(s *story) {
			s.deliver("P-SG", "S-SG", "SG", func(b *events.Shipped) { b.Carrier = "P-FWD"; b.DeclaredEndUser = "P-SG" })
		}},

		{"R6 payer is a third party", "R6", "sys:S1", true, func(s *story) { s.deliver("P-DE", "S-DE", "DE", payer("P-CN")) }},
		{"R6 not when the payer is the consignee", "R6", "sys:S1", false, func(s *story) { s.deliver("P-DE", "S-DE", "DE", payer("P-DE")) }},

		{"R7 hub re-export after 3 days", "R7", "sys:S1", true, func(s *story) {
			s.ship("2025-02-02", "sys:S1", "P-OEM", "US", "P-FWD", "S-FWD", "SG")
			s.receive("2025-02-05", "sys:S1", "P-FWD", "S-FWD", "SG")
			s.ship("2025-02-08", "sys:S1", "P-FWD", "SG", "P-DE", "S-DE", "DE")
			s.receive("2025-02-10", "sys:S1", "P-DE", "S-DE", "DE")
			s.install("2025-02-11", "sys:S1", "S-DE", "DE", "")
			s.attest("sys:S1", "DE", "2025-02-12", "2025-06-30")
		}},
		{"R7 not after 16 days in the hub", "R7", "sys:S1", false, func(s *story) {
			s.ship("2025-02-02", "sys:S1", "P-OEM", "US", "P-FWD", "S-FWD", "SG")
			s.receive("2025-02-05", "sys:S1", "P-FWD", "S-FWD", "SG")
			s.ship("2025-02-21", "sys:S1", "P-FWD", "SG", "P-DE", "S-DE", "DE")
			s.receive("2025-02-23", "sys:S1", "P-DE", "S-DE", "DE")
			s.install("2025-02-24", "sys:S1", "S-DE", "DE", "")
			s.attest("sys:S1", "DE", "2025-02-25", "2025-06-30")
		}},

		{"R8 received, never installed", "R8", "sys:S1", true, func(s *story) {
			s.ship("2025-02-02", "sys:S1", "P-OEM", "US", "P-IN", "S-IN", "IN")
			s.receive("2025-02-05", "sys:S1", "P-IN", "S-IN", "IN")
			s.attest("sys:SX", "DE", "2025-06-30", "2025-06-30") // the ledger's clock moves on
		}},
		{"R8 not when installed after 50 days", "R8", "sys:S1", false, func(s *story) {
			s.ship("2025-02-02", "sys:S1", "P-OEM", "US", "P-IN", "S-IN", "IN")
			s.receive("2025-02-05", "sys:S1", "P-IN", "S-IN", "IN")
			s.install("2025-03-24", "sys:S1", "S-IN", "IN", "")
			s.attest("sys:S1", "IN", "2025-03-25", "2025-06-30")
		}},
		{"R8 attestations stop", "R8", "sys:S1", true, func(s *story) {
			s.ship("2025-02-02", "sys:S1", "P-OEM", "US", "P-IN", "S-IN", "IN")
			s.receive("2025-02-05", "sys:S1", "P-IN", "S-IN", "IN")
			s.install("2025-02-06", "sys:S1", "S-IN", "IN", "")
			s.attest("sys:S1", "IN", "2025-02-07", "2025-03-30")
			s.attest("sys:SX", "DE", "2025-06-30", "2025-06-30")
		}},

		{"R9 attested in another country than installed", "R9", "sys:S1", true, func(s *story) {
			s.deliver("P-DE", "S-DE", "DE")
			s.attest("sys:S1", "FR", "2025-07-01", "2025-07-01")
		}},

		{"R10 never commissioned", "R10", "chip:X9", true, func(s *story) {
			s.ship("2025-02-02", "chip:X9", "P-OEM", "US", "P-DE", "S-DE", "DE")
		}},
		{"R10 event after destruction", "R10", "chip:C9", true, func(s *story) {
			s.ev("2025-01-02", &events.Commissioned{Unit: "chip:C9", Manufacturer: "P-NVIDIA", Model: "H100-SXM5-80GB", Serial: "C9", Site: "S-OEM", Country: "US"})
			s.ev("2025-03-01", &events.Destroyed{Units: []events.UnitID{"chip:C9"}, Certificate: "CD-1", By: "P-OEM"})
			s.attest("chip:C9", "US", "2025-04-01", "2025-04-01")
		}},
		{"R10 not for a chip moved with both halves recorded", "R10", "chip:C1", false, func(s *story) {
			s.server("sys:S2", "H100-SXM5-80GB", "chip:C3")
			s.ev("2025-01-10", &events.Disassembled{Parent: "sys:S1", Children: []events.UnitID{"chip:C1"}, Site: "S-OEM"})
			s.ev("2025-01-11", &events.Assembled{Parent: "sys:S2", Children: []events.UnitID{"chip:C1"}, Site: "S-OEM"})
		}},
		{"R10 second chassis without disassembly", "R10", "chip:C1", true, func(s *story) {
			s.server("sys:S2", "H100-SXM5-80GB", "chip:C3")
			s.ev("2025-01-11", &events.Assembled{Parent: "sys:S2", Children: []events.UnitID{"chip:C1"}, Site: "S-OEM"})
		}},

		{"R11 generic computer parts, EAR99", "R11", "sys:S1", true, func(s *story) { s.deliver("P-DE", "S-DE", "DE", goods("generic computer parts", "EAR99")) }},
		{"R11 another brand", "R11", "chip:C1", true, func(s *story) {
			s.deliver("P-DE", "S-DE", "DE", goods("2 servers with AMD Instinct MI300X accelerators", ""))
		}},

		{"R13 buyer incorporated in 2024", "R13", "sys:S1", true, func(s *story) {
			s.party("P-NEW", "US", []string{events.PartyEndUser}, func(p *events.PartyInfo) { p.Incorporated = "2024-02-01" })
			s.deliver("P-NEW", "S-DE", "DE")
		}},
		{"R13 not days before the Oct 2022 rule", "R13", "sys:S1", false, func(s *story) {
			s.party("P-NEW", "US", []string{events.PartyEndUser}, func(p *events.PartyInfo) { p.Incorporated = "2022-10-01" })
			s.deliver("P-NEW", "S-DE", "DE")
		}},
		{"R13 a realtor buying servers", "R13", "sys:S1", true, func(s *story) {
			s.party("P-REALTY", "US", []string{events.PartyOther}, func(p *events.PartyInfo) { p.BusinessLine = "commercial real estate" })
			s.deliver("P-REALTY", "S-DE", "DE")
		}},

		{"R15 tenant headquartered in China", "R15", "sys:S1", true, func(s *story) {
			s.ship("2025-02-02", "sys:S1", "P-OEM", "US", "P-SG", "S-SG", "SG")
			s.receive("2025-02-05", "sys:S1", "P-SG", "S-SG", "SG")
			s.install("2025-02-08", "sys:S1", "S-SG", "SG", "P-CN")
			s.attest("sys:S1", "SG", "2025-02-10", "2025-06-30")
		}},

		{"R16 three sales across countries in a month", "R16", "sys:S1", true, func(s *story) {
			s.sell("2025-02-01", "sys:S1", "P-OEM", "P-MY", "")
			s.sell("2025-02-10", "sys:S1", "P-MY", "P-SG", "")
			s.sell("2025-02-20", "sys:S1", "P-SG", "P-DE", "")
			s.ship("2025-02-22", "sys:S1", "P-OEM", "US", "P-DE", "S-DE", "DE")
		}},
		{"R16 not for two sales", "R16", "sys:S1", false, func(s *story) {
			s.sell("2025-02-01", "sys:S1", "P-OEM", "P-MY", "")
			s.sell("2025-02-10", "sys:S1", "P-MY", "P-DE", "")
		}},

		{"R18 Malaysian re-export without a permit", "R18", "sys:S1", true, func(s *story) {
			s.ship("2025-08-10", "sys:S1", "P-MY", "MY", "P-SG", "S-SG", "SG")
		}},
		{"R18 not before 2025-07-14", "R18", "sys:S1", false, func(s *story) {
			s.ship("2025-06-10", "sys:S1", "P-MY", "MY", "P-SG", "S-SG", "SG")
		}},
		{"R18 not with a permit", "R18", "sys:S1", false, func(s *story) {
			s.ship("2025-08-10", "sys:S1", "P-OEM", "US", "P-IN", "S-IN", "IN", via("MY"), permit("STP-1"))
		}},
		{"R18 and R22: backdated before the permit rule", "R18", "sys:S1", true, func(s *story) {
			s.evAt(at("2025-07-10"), at("2025-07-25"), &events.Shipped{Units: []events.UnitID{"sys:S1"}, From: events.Place{Party: "P-MY", Country: "MY"},
				To: events.Place{Party: "P-SG", Country: "SG"}})
		}},

		{"R19 returned without an RMA", "R19", "chip:C1", true, func(s *story) {
			s.deliver("P-DE", "S-DE", "DE")
			s.ev("2025-07-01", &events.Disassembled{Parent: "sys:S1", Children: []events.UnitID{"chip:C1"}})
			s.ev("2025-07-02", &events.Returned{Units: []events.UnitID{"chip:C1"}, From: "P-DE", To: "P-OEM"})
		}},
		{"R19 not with an RMA", "R19", "chip:C1", false, func(s *story) {
			s.deliver("P-DE", "S-DE", "DE")
			s.ev("2025-07-01", &events.Disassembled{Parent: "sys:S1", Children: []events.UnitID{"chip:C1"}})
			s.ev("2025-07-02", &events.Returned{Units: []events.UnitID{"chip:C1"}, From: "P-DE", To: "P-OEM", RMA: "RMA-1"})
			s.ev("2025-07-10", &events.Destroyed{Units: []events.UnitID{"chip:C1"}, Certificate: "CD-1", By: "P-OEM"})
		}},

		{"R21 licence used after expiry", "R21", "sys:S1", true, func(s *story) {
			s.grant("L1", "P-OEM", "SA", "P-SA", 10, "2024-06-01", "2025-01-31")
			s.deliver("P-SA", "S-SA", "SA", licence("L1"))
		}},
		{"R21 licence for another destination", "R21", "sys:S1", true, func(s *story) {
			s.grant("L1", "P-OEM", "AE", "P-SA", 10, "2024-06-01", "2025-12-31")
			s.deliver("P-SA", "S-SA", "SA", licence("L1"))
		}},
		{"R21 beyond its quantity", "R21", "chip:C3", true, func(s *story) {
			s.grant("L1", "P-OEM", "SA", "P-SA", 2, "2024-06-01", "2025-12-31")
			s.deliver("P-SA", "S-SA", "SA", licence("L1"))
			s.server("sys:S2", "H100-SXM5-80GB", "chip:C3")
			s.ship("2025-03-02", "sys:S2", "P-OEM", "US", "P-SA", "S-SA", "SA", licence("L1"))
		}},
		{"R21 not used exactly to its quantity", "R21", "chip:C1", false, func(s *story) {
			s.grant("L1", "P-OEM", "SA", "P-SA", 2, "2024-06-01", "2025-02-02")
			s.deliver("P-SA", "S-SA", "SA", licence("L1"))
		}},

		{"R22 recorded ten days late", "R22", "sys:S1", true, func(s *story) {
			s.evAt(at("2025-02-02"), at("2025-02-12"), &events.Shipped{Units: []events.UnitID{"sys:S1"}, From: events.Place{Party: "P-OEM", Country: "US"},
				To: events.Place{Party: "P-DE", Country: "DE"}, LicenceException: "NLR"})
		}},
		{"R22 not 70 hours late", "R22", "sys:S1", false, func(s *story) {
			s.evAt(at("2025-02-02"), at("2025-02-02").Add(70*time.Hour), &events.Shipped{Units: []events.UnitID{"sys:S1"}, From: events.Place{Party: "P-OEM", Country: "US"},
				To: events.Place{Party: "P-DE", Country: "DE"}, LicenceException: "NLR"})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStory(t)
			c.story(s)
			got := s.rules(c.subject)
			if c.rule == "" {
				require.Emptyf(t, got, "rules on %s", c.subject)
				return
			}
			require.Equalf(t, c.want, slices.Contains(got, c.rule), "%s on %s: got rules %v", c.rule, c.subject, got)
		})
	}
}

func (s *story) screening() {
	data, err := os.ReadFile("../../screening/testdata/csl_small.csv")
	require.NoError(s.t, err)
	s.ev("2024-01-01T03", &events.ScreeningActivated{Document: events.Document{Name: "us-csl", Version: "test", Digest: events.Digest(data),
		Effective: "2024-01-01", Source: "test", Content: string(data)}})
}

// servers commissions n servers of two chips each (sys:Gk, chip:Gk-1/2).
func (s *story) servers(prefix string, n int) []string {
	var out []string
	for i := range n {
		id := fmt.Sprintf("sys:%s%d", prefix, i)
		s.server(id, "H100-SXM5-80GB", fmt.Sprintf("chip:%s%dA", prefix, i), fmt.Sprintf("chip:%s%dB", prefix, i))
		out = append(out, id)
	}
	return out
}

func TestAggregateRules(t *testing.T) {
	cases := []struct {
		name          string
		rule          string
		subject, kind string
		want          bool
		story         func(s *story)
	}{
		{"R4 exact name on the Entity List", "R4", "sys:S1", alerts.KindUnit, true, func(s *story) {
			s.screening()
			s.party("P-HW", "CN", []string{events.PartyEndUser}, func(p *events.PartyInfo) { p.Name = "Huawei Technologies Co., Ltd." })
			s.deliver("P-DE", "S-DE", "DE", payer("P-HW"))
		}},
		{"R4 not for an unrelated name", "R4", "sys:S1", alerts.KindUnit, false, func(s *story) {
			s.screening()
			s.deliver("P-DE", "S-DE", "DE")
		}},
		{"R12 received more than declared capacity", "R12", "S-SMALL", alerts.KindSite, true, func(s *story) {
			s.site("S-SMALL", "P-DE", "DE", events.SiteDatacenter, 4)
			for _, u := range s.servers("G", 3) {
				s.ship("2025-02-02", u, "P-OEM", "US", "P-DE", "S-SMALL", "DE")
				s.receive("2025-02-05", u, "P-DE", "S-SMALL", "DE")
				s.install("2025-02-06", u, "S-SMALL", "DE", "")
			}
		}},
		{"R12 not at 4 of 4", "R12", "S-SMALL", alerts.KindSite, false, func(s *story) {
			s.site("S-SMALL", "P-DE", "DE", events.SiteDatacenter, 4)
			for _, u := range s.servers("G", 2) {
				s.ship("2025-02-02", u, "P-OEM", "US", "P-DE", "S-SMALL", "DE")
				s.receive("2025-02-05", u, "P-DE", "S-SMALL", "DE")
				s.install("2025-02-06", u, "S-SMALL", "DE", "")
			}
		}},
		{"R14 related buyers together above the threshold", "R14", "P-B1", alerts.KindParty, true, func(s *story) {
			shared := func(p *events.PartyInfo) { p.Directors = []string{"SAME Director"} }
			s.party("P-B1", "US", []string{events.PartyEndUser}, shared)
			s.party("P-B2", "US", []string{events.PartyEndUser}, shared)
			// 2 x 70 servers x 2 chips = 280 chips > 256, each buyer 140 < 256.
			for i, u := range s.servers("G", 140) {
				s.sell("2025-02-01", u, "P-OEM", []string{"P-B1", "P-B2"}[i%2], "")
			}
		}},
		{"R14 not when unrelated", "R14", "P-B1", alerts.KindParty, false, func(s *story) {
			s.party("P-B1", "US", []string{events.PartyEndUser})
			s.party("P-B2", "US", []string{events.PartyEndUser})
			for i, u := range s.servers("G", 140) {
				s.sell("2025-02-01", u, "P-OEM", []string{"P-B1", "P-B2"}[i%2], "")
			}
		}},
		{"R17 China export under the 2026 licence without a lab test", "R17", "chip:C1", alerts.KindUnit, true, func(s *story) {
			s.grant("L1", "P-OEM", "CN", "P-CN", 10, "2026-01-16", "2026-12-31")
			s.ship("2026-01-20", "sys:S1", "P-OEM", "US", "P-CN", "S-CN", "CN", licence("L1"))
		}},
		{"R17 not when every chip passed its test", "R17", "sys:S1", alerts.KindUnit, false, func(s *story) {
			s.grant("L1", "P-OEM", "CN", "P-CN", 10, "2026-01-16", "2026-12-31")
			for _, c := range []events.UnitID{"chip:C1", "chip:C2"} {
				s.ev("2026-01-18", &events.LabTestRecorded{Unit: c, Lab: "P-OEM", Result: events.ResultPass, Licence: "L1"})
			}
			// US end users keep China under half their volume.
			for _, u := range s.servers("US", 4) {
				s.install("2026-01-19", u, "S-US", "US", "")
			}
			s.ship("2026-01-20", "sys:S1", "P-OEM", "US", "P-CN", "S-CN", "CN", licence("L1"))
		}},
		{"R20 Tier 2 consignee above the per-customer cap", "R20", "P-IN", alerts.KindParty, true, func(s *story) {
			// 900 servers x 2 H100 = 1,800 H100-equivalents > 1,699.
			for _, u := range s.servers("G", 900) {
				s.ship("2025-03-02", u, "P-OEM", "US", "P-IN", "S-IN", "IN")
			}
		}},
		{"R20 not under the cap", "R20", "P-IN", alerts.KindParty, false, func(s *story) {
			for _, u := range s.servers("G", 800) {
				s.ship("2025-03-02", u, "P-OEM", "US", "P-IN", "S-IN", "IN")
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStory(t)
			c.story(s)
			got := s.rules(c.subject)
			require.Equalf(t, c.want, slices.Contains(got, c.rule), "%s on %s %s: got rules %v", c.rule, c.kind, c.subject, got)
		})
	}
}
