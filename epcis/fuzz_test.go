package epcis_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chipledger/chipledger/epcis"
	"github.com/chipledger/chipledger/events"
)

// FuzzParse: Parse never panics; a parsed document maps every event once,
// each mapped event is valid and has its event's hash id, and the custody
// events export to a document that Parse accepts again.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(gs1Examples, "*.jsonld"))
	more, _ := filepath.Glob(filepath.Join(gs1Examples, "*", "*.jsonld"))
	vectors, _ := filepath.Glob(filepath.Join(hashVectors, "RalphTro-epcis-event-hash-generator", "tests", "examples", "*.jsonld"))
	files = append(append(append(files, more...), vectors...), "testdata/story.jsonld")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := epcis.Parse(data)
		if err != nil {
			if d != nil {
				t.Fatal("a document with an error")
			}
			return
		}
		ok, bad := d.EventsWith(epcis.Options{Publisher: "P-FUZZ", SiteCountry: func(string) (string, bool) { return "DE", true }})
		if len(ok)+len(bad) != d.Len() {
			t.Fatalf("%d mapped + %d unsupported != %d events", len(ok), len(bad), d.Len())
		}
		var steps []epcis.ExportStep
		ids := map[string]bool{}
		for _, m := range ok {
			if err := m.Event.Validate(); err != nil {
				t.Fatalf("mapped event %d is not valid: %v", m.Index, err)
			}
			if h, err := d.HashID(m.Index); err != nil || h != m.HashID {
				t.Fatalf("hash id %q, want %q (%v)", m.HashID, h, err)
			}
			if m.Event.Type == events.TypeCorrected && !ids[m.Event.Body.(*events.Corrected).Target] {
				continue // Export needs the corrected event among the steps
			}
			ids[m.Event.ID] = true
			steps = append(steps, epcis.ExportStep{Event: m.Event, Seq: uint64(m.Index)})
		}
		out, err := epcis.Export("sys:FUZZ", steps)
		if err != nil {
			if strings.Contains(err.Error(), "does not validate") {
				t.Fatalf("export of %d events does not validate: %v", len(steps), err)
			}
			return // e.g. more units than one document may carry
		}
		if _, err := epcis.Parse(out); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzUnitFromEPC: every unit id UnitFromEPC returns is a normalised unit
// id; the EPC URN and its canonical Digital Link URI give the same unit;
// and UnitEPC is its inverse.
func FuzzUnitFromEPC(f *testing.F) {
	for _, s := range []string{
		"urn:epc:id:sgtin:0614141.812345.1652423000001", "https://id.gs1.org/01/80614141123458/21/1652423000001",
		"urn:epc:id:sscc:4012345.0000000111", "https://id.gs1.org/00/040123450000001112", "urn:epc:id:giai:4012345.SMC1",
		"https://id.gs1.org/8004/4012345SMC1", "urn:chipledger:unit:sys:SMC-A1", "urn:epc:id:sgtin:0614141.812345.A%2FB",
		"https://example.com/01/9780345418913/21/7?x=1", "urn:epc:id:sgln:4012345.00011.0", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		u, err := epcis.UnitFromEPC(uri)
		if err != nil {
			return
		}
		if p, err := events.ParseUnitID(string(u)); err != nil || p != u {
			t.Fatalf("%q gave %q, not a normalised unit id (%v)", uri, u, err)
		}
		if dl, ok := epcis.CanonicalDL(uri); ok && strings.HasPrefix(uri, "urn:epc:") {
			v, err := epcis.UnitFromEPC(dl)
			if err != nil || v != u {
				t.Fatalf("%q is %q, its Digital Link %q is %q (%v)", uri, u, dl, v, err)
			}
		}
		back, err := epcis.UnitFromEPC(epcis.UnitEPC(u))
		if err != nil || back != u {
			t.Fatalf("UnitEPC(%q) = %q reads back as %q (%v)", u, epcis.UnitEPC(u), back, err)
		}
	})
}
