package simulate

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/chipledger/chipledger/events"
)

// appendEvent appends the canonical JSON of ev (what ev.Canonical returns)
// without reflection for the high-volume types; others go through
// Canonical. TestLinesAreCanonical holds the two to the same bytes.
func appendEvent(b []byte, ev *events.Event) []byte {
	return appendEventID(b, nil, ev)
}

// appendEventID is appendEvent with the id given as bytes (ev.ID unused
// unless id is nil), so that the world path needs no id string.
func appendEventID(b []byte, id []byte, ev *events.Event) []byte {
	start := len(b)
	b = append(b, `{"id":`...)
	if id != nil {
		b = append(b, '"')
		b = append(b, id...)
		b = append(b, '"')
	} else {
		b = appendStr(b, ev.ID)
	}
	b = append(b, `,"type":`...)
	b = appendStr(b, ev.Type)
	b = append(b, `,"occurred_at":`...)
	b = appendTime(b, ev.OccurredAt)
	b = append(b, `,"recorded_at":`...)
	b = appendTime(b, ev.RecordedAt)
	b = append(b, `,"publisher":`...)
	b = appendStr(b, ev.Publisher)
	b = append(b, `,"body":{`...)
	switch x := ev.Body.(type) {
	case *events.Commissioned:
		b = appendUnitField(b, "unit", x.Unit, true)
		b = appendField(b, "manufacturer", x.Manufacturer)
		b = appendField(b, "model", x.Model)
		b = appendField(b, "serial", x.Serial)
		if x.DeclaredTPP != nil {
			b = append(b, `,"declared_tpp":`...)
			b = appendFloat(b, *x.DeclaredTPP)
		}
		b = appendField(b, "declared_eccn", x.DeclaredECCN)
		b = appendField(b, "site", x.Site)
		b = appendField(b, "country", x.Country)
	case *events.Assembled:
		b = appendContainment(b, x.Parent, x.Children, x.Site)
	case *events.Disassembled:
		b = appendContainment(b, x.Parent, x.Children, x.Site)
	case *events.Packed:
		b = appendContainment(b, x.Parent, x.Children, x.Site)
	case *events.Unpacked:
		b = appendContainment(b, x.Parent, x.Children, x.Site)
	case *events.Shipped:
		b = appendUnits(b, "units", x.Units, true)
		b = appendPlace(b, "from", x.From)
		b = appendPlace(b, "to", x.To)
		if len(x.Via) > 0 {
			b = append(b, `,"via":[`...)
			for i, v := range x.Via {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendStr(b, v)
			}
			b = append(b, ']')
		}
		b = appendField(b, "carrier", x.Carrier)
		b = appendField(b, "declared_end_user", x.DeclaredEndUser)
		b = appendField(b, "final_consignee", x.FinalConsignee)
		b = appendField(b, "goods_description", x.GoodsDescription)
		b = appendField(b, "declared_eccn", x.DeclaredECCN)
		b = appendField(b, "licence", x.Licence)
		b = appendField(b, "licence_exception", x.LicenceException)
		if x.Transaction != (events.Transaction{}) {
			b = append(b, `,"transaction":{`...)
			n := len(b)
			b = appendField(b, "po", x.Transaction.PO)
			b = appendField(b, "invoice", x.Transaction.Invoice)
			b = appendField(b, "payer", x.Transaction.Payer)
			b = appendField(b, "bill_of_lading", x.Transaction.BillOfLading)
			b = dropComma(b, n)
			b = append(b, '}')
		}
		b = appendField(b, "my_permit", x.MalaysiaPermit)
		b = appendField(b, "shipment_id", x.ShipmentID)
	case *events.Received:
		b = appendUnits(b, "units", x.Units, true)
		b = appendPlace(b, "at", x.At)
		b = appendField(b, "shipment_id", x.ShipmentID)
	case *events.OwnershipTransferred:
		b = appendUnits(b, "units", x.Units, true)
		b = appendField(b, "seller", x.Seller)
		b = appendField(b, "buyer", x.Buyer)
		b = appendField(b, "payer", x.Payer)
		if x.Price != (events.Money{}) {
			b = append(b, `,"price":{"amount":`...)
			b = appendStr(b, x.Price.Amount)
			b = append(b, `,"currency":`...)
			b = appendStr(b, x.Price.Currency)
			b = append(b, '}')
		}
		b = appendField(b, "contract", x.Contract)
	case *events.ExportDeclared:
		b = appendUnits(b, "units", x.Units, true)
		b = appendField(b, "exporter", x.Exporter)
		b = appendField(b, "origin_country", x.OriginCountry)
		b = appendField(b, "destination_country", x.DestinationCountry)
		b = appendField(b, "eccn", x.ECCN)
		b = appendField(b, "licence", x.Licence)
		b = appendField(b, "licence_exception", x.LicenceException)
		b = appendField(b, "goods_description", x.GoodsDescription)
		b = appendField(b, "end_user", x.EndUser)
		b = appendField(b, "declaration_id", x.DeclarationID)
	case *events.Installed:
		b = appendUnits(b, "units", x.Units, true)
		b = appendField(b, "site", x.Site)
		b = appendField(b, "country", x.Country)
		b = appendField(b, "tenant", x.Tenant)
		b = appendField(b, "rack", x.Rack)
	case *events.LocationAttested:
		b = appendUnits(b, "units", x.Units, true)
		b = appendField(b, "country", x.Country)
		if x.Lat != nil {
			b = append(b, `,"lat":`...)
			b = appendFloat(b, *x.Lat)
		}
		if x.Lon != nil {
			b = append(b, `,"lon":`...)
			b = appendFloat(b, *x.Lon)
		}
		b = appendField(b, "method", x.Method)
		b = appendField(b, "attestor", x.Attestor)
	case *events.Returned:
		b = appendUnits(b, "units", x.Units, true)
		b = appendField(b, "from", x.From)
		b = appendField(b, "to", x.To)
		b = appendField(b, "rma", x.RMA)
	case *events.Destroyed:
		b = appendUnits(b, "units", x.Units, true)
		b = appendField(b, "certificate", x.Certificate)
		b = appendField(b, "by", x.By)
	default:
		if id != nil {
			e := *ev
			e.ID = string(id)
			return append(b[:start], e.Canonical()...)
		}
		return append(b[:start], ev.Canonical()...)
	}
	return append(b, "}}"...)
}

func dropComma(b []byte, n int) []byte {
	// The first field of an object was written with a leading comma.
	if len(b) > n && b[n] == ',' {
		copy(b[n:], b[n+1:])
		b = b[:len(b)-1]
	}
	return b
}

func appendContainment(b []byte, parent events.UnitID, children []events.UnitID, site string) []byte {
	b = appendUnitField(b, "parent", parent, true)
	b = appendUnits(b, "children", children, false)
	return appendField(b, "site", site)
}

// appendField appends ,"name":"value" unless value is empty (omitempty).
func appendField(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendStr(b, value)
}

func appendUnitField(b []byte, name string, u events.UnitID, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, '"', ':', '"')
	b = append(b, u...)
	return append(b, '"')
}

func appendUnits(b []byte, name string, units []events.UnitID, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, `":[`...)
	for i, u := range units {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, u...)
		b = append(b, '"')
	}
	return append(b, ']')
}

func appendPlace(b []byte, name string, p events.Place) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, `":{"party":`...)
	b = appendStr(b, p.Party)
	b = appendField(b, "site", p.Site)
	b = appendField(b, "country", p.Country)
	return append(b, '}')
}

// appendStr appends s as a JSON string the way encoding/json does without
// HTML escaping.
func appendStr(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			_ = enc.Encode(s)
			return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendFloat appends f as encoding/json writes a float64.
func appendFloat(b []byte, f float64) []byte {
	// Fast path: a value with at most 4 decimals (coordinates, TPP) is
	// written as its shortest decimal, which is that value with trailing
	// zeros trimmed.
	if k := math.Round(f * 1e4); k == f*1e4 && math.Abs(k) < 1e15 && k/1e4 == f {
		n := int64(k)
		if n < 0 {
			b = append(b, '-')
			n = -n
		}
		b = strconv.AppendInt(b, n/10000, 10)
		if frac := n % 10000; frac != 0 {
			b = append(b, '.')
			d := [4]byte{byte('0' + frac/1000), byte('0' + frac/100%10), byte('0' + frac/10%10), byte('0' + frac%10)}
			m := 4
			for d[m-1] == '0' {
				m--
			}
			b = append(b, d[:m]...)
		}
		return b
	}
	abs := math.Abs(f)
	if abs == 0 || (abs >= 1e-6 && abs < 1e21) {
		if f == 0 {
			f = 0 // -0 as 0
		}
		return strconv.AppendFloat(b, f, 'f', -1, 64)
	}
	out, _ := json.Marshal(f)
	return append(b, out...)
}

// appendTime appends t as the canonical RFC 3339 UTC form, in quotes.
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	if t.Nanosecond() != 0 {
		b = t.UTC().AppendFormat(b, time.RFC3339Nano)
		return append(b, '"')
	}
	b = appendUnix(b, t.Unix())
	return append(b, '"')
}

// appendUnix appends Unix seconds as YYYY-MM-DDTHH:MM:SSZ.
func appendUnix(b []byte, sec int64) []byte {
	days := sec / 86400
	rem := sec % 86400
	if rem < 0 {
		rem += 86400
		days--
	}
	y, m, d := civil(days)
	b = append4(b, y)
	b = append(b, '-')
	b = append2(b, m)
	b = append(b, '-')
	b = append2(b, d)
	b = append(b, 'T')
	b = append2(b, int(rem/3600))
	b = append(b, ':')
	b = append2(b, int(rem/60%60))
	b = append(b, ':')
	b = append2(b, int(rem%60))
	return append(b, 'Z')
}

// civil converts days since 1970-01-01 to a date (Howard Hinnant's
// algorithm).
func civil(z int64) (year, month, day int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return int(y), int(m), int(d)
}

func append2(b []byte, v int) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }

func append4(b []byte, v int) []byte {
	return append(b, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}

// appendUUID7 appends a UUIDv7-shaped id (RFC 9562): 48 bits of Unix
// milliseconds, then 74 bits from the hash r (not random: derived from the
// seed and the event), with the version and variant bits.
func appendUUID7(b []byte, ms int64, r uint64, r2 uint64) []byte {
	var u [16]byte
	u[0] = byte(ms >> 40)
	u[1] = byte(ms >> 32)
	u[2] = byte(ms >> 24)
	u[3] = byte(ms >> 16)
	u[4] = byte(ms >> 8)
	u[5] = byte(ms)
	u[6] = 0x70 | byte(r>>60)&0x0f
	u[7] = byte(r >> 52)
	u[8] = 0x80 | byte(r>>46)&0x3f
	u[9] = byte(r >> 38)
	u[10] = byte(r2 >> 56)
	u[11] = byte(r2 >> 48)
	u[12] = byte(r2 >> 40)
	u[13] = byte(r2 >> 32)
	u[14] = byte(r2 >> 24)
	u[15] = byte(r2 >> 16)
	const hexd = "0123456789abcdef"
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexd[c>>4], hexd[c&0x0f])
	}
	return b
}

// appendAttestation appends a location.attested.v1 event without building
// an events.Event: the weekly attestations are most of the output. units
// are the unit ids, or unit alone when units is nil.
func appendAttestation(b, id []byte, occ, rec int64, pub string, units []events.UnitID, unit []byte, country string, lat, lon float64, method, attestor string) []byte {
	b = append(b, `{"id":"`...)
	b = append(b, id...)
	b = append(b, `","type":"location.attested.v1","occurred_at":"`...)
	b = appendUnix(b, occ)
	b = append(b, `","recorded_at":"`...)
	b = appendUnix(b, rec)
	b = append(b, `","publisher":`...)
	b = appendStr(b, pub)
	b = append(b, `,"body":{"units":[`...)
	if units == nil {
		b = append(b, '"')
		b = append(b, unit...)
		b = append(b, '"')
	}
	for i, u := range units {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, u...)
		b = append(b, '"')
	}
	b = append(b, `],"country":`...)
	b = appendStr(b, country)
	b = append(b, `,"lat":`...)
	b = appendFloat(b, lat)
	b = append(b, `,"lon":`...)
	b = appendFloat(b, lon)
	b = appendField(b, "method", method)
	b = appendField(b, "attestor", attestor)
	return append(b, "}}"...)
}
