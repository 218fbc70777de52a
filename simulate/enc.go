package simulate

import (
	"time"

	"github.com/chipledger/chipledger/events"
)

// appendEvent appends the canonical JSON of ev: the same bytes ingest
// stores (TestLinesDecodeAndAreCanonical holds them equal).
func appendEvent(b []byte, ev *events.Event) []byte {
	return append(b, ev.Canonical()...)
}

// appendEventID is appendEvent with the id given as bytes.
func appendEventID(b []byte, id []byte, ev *events.Event) []byte {
	ev.ID = string(id)
	return appendEvent(b, ev)
}

// appendAttestation appends a location.attested.v1 event. units are the
// unit ids, or unit alone when units is nil.
func appendAttestation(b, id []byte, occ, rec int64, pub string, units []events.UnitID, unit []byte, country string, lat, lon float64, method, attestor string) []byte {
	if units == nil {
		units = []events.UnitID{events.UnitID(unit)}
	}
	ev := events.Event{
		ID: string(id), Type: events.TypeLocationAttested,
		OccurredAt: time.Unix(occ, 0).UTC(), RecordedAt: time.Unix(rec, 0).UTC(), Publisher: pub,
		Body: &events.LocationAttested{Units: units, Country: country, Lat: &lat, Lon: &lon, Method: method, Attestor: attestor},
	}
	return appendEvent(b, &ev)
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
