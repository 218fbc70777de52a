package epcis_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/epcis"
	"github.com/chipledger/chipledger/events"
)

func TestUnitFromEPC(t *testing.T) {
	cases := []struct {
		uri  string
		want events.UnitID
		err  string
	}{
		{"urn:epc:id:sgtin:0614141.812345.1652423000001", "chip:80614141123458.1652423000001", ""},
		{"https://id.gs1.org/01/80614141123458/21/1652423000001", "chip:80614141123458.1652423000001", ""},
		{"https://id.gs1.de/gtin/80614141123458/ser/1652423000001?linkType=gs1:pip", "chip:80614141123458.1652423000001", ""},
		{"https://example.com/some/path/01/80614141123458/10/LOT1/21/1652423000001", "chip:80614141123458.1652423000001", ""},
		{"urn:epc:id:sgtin:0614141.107346.2017", "chip:10614141073464.2017", ""},
		{"https://id.gs1.org/01/10614141073464/21/2017", "chip:10614141073464.2017", ""},
		{"https://id.gs1.org/01/614141073467/21/X1", "chip:00614141073467.X1", ""}, // a GTIN-12, padded
		{"urn:epc:id:sgtin:0614141.812345.A%2FB-1", "chip:80614141123458.A/B-1", ""},
		{"https://id.gs1.org/01/80614141123458/21/A%2FB-1", "chip:80614141123458.A/B-1", ""},
		{"urn:epc:id:sscc:4012345.0000000111", "pkg:040123450000001112", ""},
		{"https://id.gs1.org/00/040123450000001112", "pkg:040123450000001112", ""},
		{"https://id.gs1.org/sscc/040123450000001112/", "pkg:040123450000001112", ""},
		{"urn:epc:id:giai:4012345.SMC00000001", "sys:4012345SMC00000001", ""},
		{"https://id.gs1.org/8004/4012345SMC00000001", "sys:4012345SMC00000001", ""},
		{"urn:chipledger:unit:sys:SMC-A1", "sys:SMC-A1", ""},
		{"urn:chipledger:unit:chip:1652423000001", "chip:1652423000001", ""},
		{"urn:chipledger:unit:pkg:00012345678901234567", "pkg:00012345678901234567", ""},
		{"urn:epc:id:sgtin:0614141.812345.abc", "", "lowercase"},
		{"urn:epc:id:sgtin:0614141.812345.A%22B", "", `has "\""`},
		{"urn:epc:id:sgtin:0614141.81234.1", "", "13 digits"},
		{"https://id.gs1.org/01/80614141123459/21/1", "", "wrong check digit"},
		{"https://id.gs1.org/00/040123450000001113", "", "wrong check digit"},
		{"https://id.gs1.org/01/80614141123458", "", "a class of products"},
		{"https://id.gs1.org/01/80614141123458/10/LOT1", "", "a class of products"},
		{"https://id.gs1.org/414/4012345000115", "", "no GTIN (01), SSCC (00) or GIAI (8004)"},
		{"urn:epc:id:sgln:4012345.00011.0", "", "only SGTIN (chips), GIAI (systems) and SSCC (packages)"},
		{"urn:epc:class:lgtin:4012345.012345.998877", "", "only SGTIN"},
		{"urn:chipledger:unit:gpu:1", "", "not a unit id"},
		{"urn:chipledger:unit:chip:" + strings.Repeat("1", 65), "", "not a unit id"},
		{"chip:1", "", "not an EPC URN"},
		{"", "", "not an EPC URN"},
	}
	for _, c := range cases {
		t.Run(c.uri, func(t *testing.T) {
			u, err := epcis.UnitFromEPC(c.uri)
			if c.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), c.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, u)
			p, err := events.ParseUnitID(string(u))
			require.NoError(t, err)
			assert.Equal(t, u, p, "normalised")
			back, err := epcis.UnitFromEPC(epcis.UnitEPC(u))
			require.NoError(t, err)
			assert.Equal(t, u, back, "UnitEPC is the inverse: %s", epcis.UnitEPC(u))
		})
	}
	assert.Equal(t, "https://id.gs1.org/00/040123450000001112", epcis.UnitEPC("pkg:040123450000001112"))
	assert.Equal(t, "https://id.gs1.org/01/80614141123458/21/A%2FB-1", epcis.UnitEPC("chip:80614141123458.A/B-1"))
	assert.Equal(t, "urn:chipledger:unit:sys:SMC-A1", epcis.UnitEPC("sys:SMC-A1"))
}

func TestSiteAndPartyIDs(t *testing.T) {
	for _, c := range []struct {
		f        func(string) (string, error)
		uri, out string
		err      string
	}{
		{epcis.SiteID, "urn:epc:id:sgln:4012345.00011.0", "https://id.gs1.org/414/4012345000115", ""},
		{epcis.SiteID, "https://id.gs1.de/414/4012345000115", "https://id.gs1.org/414/4012345000115", ""},
		{epcis.SiteID, "urn:epc:id:sgln:4012345.00011.12", "https://id.gs1.org/414/4012345000115/254/12", ""},
		{epcis.SiteID, "urn:chipledger:site:S-SMC-SJC", "S-SMC-SJC", ""},
		{epcis.SiteID, "geo:1.3,103.7", "geo:1.3,103.7", ""},
		{epcis.SiteID, "urn:chipledger:site:", "", "empty"},
		{epcis.SiteID, "urn:x:" + strings.Repeat("a", 130), "", "longer than 128 bytes"},
		{epcis.PartyID, "urn:epc:id:pgln:4000001.00000", "https://id.gs1.org/417/4000001000005", ""},
		{epcis.PartyID, "https://id.gs1.org/417/4000001000005", "https://id.gs1.org/417/4000001000005", ""},
		{epcis.PartyID, "urn:chipledger:party:P-SUPERMICRO", "P-SUPERMICRO", ""},
		{epcis.PartyID, "urn:chipledger:party:P%20X", "P X", ""},
		{epcis.PartyID, "urn:chipledger:party:%0A", "", "control"},
	} {
		got, err := c.f(c.uri)
		if c.err != "" {
			assert.ErrorContains(t, err, c.err, c.uri)
			continue
		}
		require.NoError(t, err, c.uri)
		assert.Equal(t, c.out, got, c.uri)
	}
}

func TestCanonicalValues(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"2023-02-02T11:04:03.1415Z", "2023-02-02T11:04:03.142Z"}, // 141.5 ms: half to even
		{"2023-02-02T11:04:03.1425Z", "2023-02-02T11:04:03.142Z"}, // 142.5 ms: half to even
		{"2023-02-02T11:04:03.14251Z", "2023-02-02T11:04:03.143Z"},
		{"2023-02-02T11:04:03.1424999999Z", "2023-02-02T11:04:03.142Z"}, // past microseconds: dropped
		{"2023-02-02T11:04:59.9996Z", "2023-02-02T11:05:00.000Z"},
		{"2022-02-16T20:33:31.116000-06:00", "2022-02-17T02:33:31.116Z"},
		{"2019-10-21T14:45:00Z", "2019-10-21T14:45:00.000Z"},
		{"2019-10-21T14:45:00+0130", "2019-10-21T13:15:00.000Z"},
		{"2019-02-30T14:45:00Z", "2019-02-30T14:45:00Z"}, // not a time: as written
		{"tomorrow", "tomorrow"},
	} {
		assert.Equal(t, c.want, epcis.CanonTime(c.in), c.in)
	}
	for _, c := range []struct{ in, want string }{
		{"150", "150"}, {"150.0", "150"}, {"+5", "5"}, {"5.", "5"}, {".5", "0.5"}, {"-0.0", "0"}, {"007", "7"},
		{"12.10", "12.1"}, {"1e5", "100000"}, {"1_000", "1000"}, {"0.0001", "0.0001"}, {"0.00001", "1e-05"},
		{"1.5e-7", "1.5e-07"}, {"1234567.5", "1234567.5"}, {"12345678901234567890", "12345678901234567168"},
		{"1e16", "10000000000000000"}, {"0.1", "0.1"}, {"23.319941", "23.319941"},
		{"nan", "nan"}, {"inf", "inf"}, {"0x10", "0x10"}, {"1_", "1_"}, {"+01:00", "+01:00"}, {"", ""}, {"1e400", "1e400"},
	} {
		assert.Equal(t, c.want, epcis.CanonNumber(c.in), c.in)
	}
}
