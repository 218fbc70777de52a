package epcis

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/chipledger/chipledger/events"
)

// DocumentLine returns a native event in the EPCIS encoding, for
// publishers that speak EPCIS: a one-event EPCISDocument on one line
// (JSON Lines), which Parse and Events map back to the same canonical
// event. ok is false for the events EPCIS has no form for (reference
// data, policy and screening activations, triage decisions, corrections
// whose target is not in the same document): a publisher sends those
// native, beside its documents.
func DocumentLine(ev events.Event) (line []byte, ok bool, err error) {
	switch ev.Body.(type) {
	case *events.Commissioned, *events.Assembled, *events.Disassembled, *events.Packed, *events.Unpacked,
		*events.Shipped, *events.Received, *events.OwnershipTransferred, *events.ExportDeclared, *events.Installed,
		*events.LocationAttested, *events.Returned, *events.Destroyed, *events.ReportedLost, *events.LabTestRecorded:
	default:
		return nil, false, nil
	}
	doc, err := Export(events.UnitID(ev.Primary()), []ExportStep{{Event: ev}})
	if err != nil {
		return nil, false, fmt.Errorf("epcis: %s %s: %w", ev.Type, ev.ID, err)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, doc); err != nil {
		return nil, false, err
	}
	return b.Bytes(), true, nil
}
