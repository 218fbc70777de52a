package projections

import (
	"strconv"
	"strings"

	"github.com/chipledger/chipledger/events"
)

// summarize returns one sentence a person can read about event ev, naming
// parties, sites and countries by their ids.
func summarize(ev events.Event) string {
	var s strings.Builder
	w := func(parts ...string) {
		for _, p := range parts {
			s.WriteString(p)
		}
	}
	at := func(site string) {
		if site != "" {
			w(" at ", site)
		}
	}
	switch b := ev.Body.(type) {
	case *events.Commissioned:
		w("commissioned as ", b.Model, " serial ", b.Serial, " by ", b.Manufacturer)
		at(b.Site)
		if b.Country != "" {
			w(" in ", b.Country)
		}
	case *events.Assembled:
		w(unitList(b.Children), " assembled into ", string(b.Parent))
		at(b.Site)
	case *events.Disassembled:
		w(unitList(b.Children), " taken out of ", string(b.Parent))
		at(b.Site)
	case *events.Packed:
		w(unitList(b.Children), " packed into ", string(b.Parent))
		at(b.Site)
	case *events.Unpacked:
		w(unitList(b.Children), " unpacked from ", string(b.Parent))
		at(b.Site)
	case *events.Shipped:
		w("shipped from ", b.From.Party, " (", b.From.Country, ") to ", b.To.Party, " (", b.To.Country, ")")
		if len(b.Via) > 0 {
			w(" via ", strings.Join(b.Via, ", "))
		}
		if b.Carrier != "" {
			w(" by ", b.Carrier)
		}
		if b.DeclaredEndUser != "" {
			w(", declared end user ", b.DeclaredEndUser)
		}
		switch {
		case b.Licence != "":
			w(", licence ", b.Licence)
		case b.LicenceException != "":
			w(", licence exception ", b.LicenceException)
		}
	case *events.Received:
		w("received by ", place(b.At))
	case *events.OwnershipTransferred:
		w("sold by ", b.Seller, " to ", b.Buyer)
		if b.Payer != "" && b.Payer != b.Buyer {
			w(", paid by ", b.Payer)
		}
		if b.Price.Amount != "" {
			w(" for ", b.Price.Amount, " ", b.Price.Currency)
		}
	case *events.ExportDeclared:
		w("export declared by ", b.Exporter)
		if b.OriginCountry != "" {
			w(" from ", b.OriginCountry)
		}
		w(" to ", b.DestinationCountry)
		if b.ECCN != "" {
			w(" as ", b.ECCN)
		}
		switch {
		case b.Licence != "":
			w(" under licence ", b.Licence)
		case b.LicenceException != "":
			w(" under ", b.LicenceException)
		}
		if b.EndUser != "" {
			w(", end user ", b.EndUser)
		}
	case *events.Installed:
		w("installed at ", b.Site, " (", b.Country, ")")
		if b.Rack != "" {
			w(" rack ", b.Rack)
		}
		if b.Tenant != "" {
			w(" for tenant ", b.Tenant)
		}
	case *events.LocationAttested:
		w("location attested in ", b.Country, " by ", b.Attestor, " (", b.Method, ")")
	case *events.Returned:
		w("returned from ", b.From, " to ", b.To)
		if b.RMA != "" {
			w(" under ", b.RMA)
		}
	case *events.Destroyed:
		w("destroyed by ", b.By)
		if b.Certificate != "" {
			w(", certificate ", b.Certificate)
		}
	case *events.ReportedLost:
		w("reported lost by ", b.Party)
		if b.Note != "" {
			w(": ", b.Note)
		}
	case *events.LabTestRecorded:
		w("lab test by ", b.Lab, ": ", b.Result)
		if b.Report != "" {
			w(" (report ", b.Report, ")")
		}
	default:
		w(ev.Type)
	}
	return s.String()
}

func place(pl events.Place) string {
	s := pl.Party
	if pl.Site != "" {
		s += " at " + pl.Site
	}
	return s + " (" + pl.Country + ")"
}

// unitList names up to three units, or counts them.
func unitList(us []events.UnitID) string {
	if len(us) > 3 {
		return strconv.Itoa(len(us)) + " units"
	}
	names := make([]string, len(us))
	for i, u := range us {
		names[i] = string(u)
	}
	return strings.Join(names, " and ")
}
