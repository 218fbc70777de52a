// Package projections turns the ledger's entries, applied in sequence
// order, into the read side's views: the custody chain of every unit
// (chips, systems, packages) following containment recursively, each
// unit's current state, holdings per party, site and country, the
// containment tree, and the reference data (parties, sites, licences,
// policy and screening versions) the detection rules read.
//
// A Projection is pure and deterministic: no I/O of its own, no wall
// clock ("now" is the latest occurred_at seen), and two projections fed
// the same entries dump byte-identical state. It keeps compact per-unit
// indexes, not events: a query reads the events it needs back through a
// [Source] the caller provides (the replica's store).
//
// A Projection is not safe for concurrent use while Apply runs; queries
// only read, so any number may run together between Applies (the replica
// guards it with a read-write lock). docs/projections.md describes the
// semantics and the decisions behind them.
package projections

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/policy"
)

// ErrNotFound is returned for a unit, entry, party or holding that the
// projection does not know.
var ErrNotFound = errors.New("projections: not found")

// ErrOutOfOrder is returned by Apply for an entry whose sequence is not
// after the last one applied.
var ErrOutOfOrder = errors.New("projections: sequence out of order")

// Entry is one ledger entry as the projections see it.
type Entry struct {
	Seq   uint64
	Hash  string // hex SHA-256 of the ledger entry
	Event events.Event
}

// Source returns applied entries by sequence (the replica's store
// implements it). It returns an error wrapping ErrNotFound for a sequence
// it does not hold.
type Source interface {
	Entry(seq uint64) (Entry, error)
}

// Step is one event in a unit's custody chain, with the ledger entry that
// proves it and the unit's state after it.
type Step struct {
	Seq        uint64        `json:"seq,omitempty"`  // the entry the step's content comes from
	Hash       string        `json:"hash,omitempty"` // that entry's hash
	EventID    string        `json:"event_id"`
	Type       string        `json:"type"`
	OccurredAt time.Time     `json:"occurred_at"`
	RecordedAt time.Time     `json:"recorded_at"`
	Via        events.UnitID `json:"via,omitempty"` // the container whose event this is; "" if the event names the unit itself
	Holder     string        `json:"holder,omitempty"`
	Owner      string        `json:"owner,omitempty"`
	Site       string        `json:"site,omitempty"`
	Country    string        `json:"country,omitempty"`
	Status     string        `json:"status,omitempty"`
	Summary    string        `json:"summary"`
	// Amended is set when a correction replaced the event: Seq and Hash are
	// the correction's entry, Original the sequence of the replaced event.
	Amended  bool   `json:"amended,omitempty"`
	Original uint64 `json:"original_seq,omitempty"`
}

// UnitState is a unit's current state: the end of its custody chain.
type UnitState struct {
	Unit              events.UnitID   `json:"unit"`
	Kind              string          `json:"kind"`
	Model             string          `json:"model,omitempty"`              // as commissioned
	CatalogueModel    string          `json:"catalogue_model,omitempty"`    // the catalogue's id for Model, when catalogued
	TPP               float64         `json:"tpp"`                          // chip: the catalogue's; system or package: its chips' now
	H100Equivalents   float64         `json:"h100_equivalents"`             // TPP / 15832
	ECCN              string          `json:"eccn,omitempty"`               // the catalogue's (a system without an entry: derived from its chips)
	DeclaredTPP       *float64        `json:"declared_tpp,omitempty"`       // as commissioned
	DeclaredECCN      string          `json:"declared_eccn,omitempty"`      // as commissioned
	Holder            string          `json:"holder,omitempty"`             // party in possession
	Owner             string          `json:"owner,omitempty"`              // party that owns it
	Site              string          `json:"site,omitempty"`               // site it is at; "" in transit or unknown
	Country           string          `json:"country,omitempty"`            // where it is, as last known
	Status            string          `json:"status,omitempty"`             // see docs/projections.md
	ExportDestination string          `json:"export_destination,omitempty"` // destination of the last export declaration
	Container         events.UnitID   `json:"container,omitempty"`          // current direct parent
	Contents          []events.UnitID `json:"contents,omitempty"`           // current direct children, sorted
	LastSeq           uint64          `json:"last_seq,omitempty"`           // entry of the chain's last step
	LastOccurred      time.Time       `json:"last_occurred,omitzero"`       // occurred_at of the chain's last step
}

// Node is a unit in a containment tree.
type Node struct {
	Unit     events.UnitID `json:"unit"`
	Kind     string        `json:"kind"`
	Model    string        `json:"model,omitempty"`
	Status   string        `json:"status,omitempty"`
	Holder   string        `json:"holder,omitempty"`
	Site     string        `json:"site,omitempty"`
	Country  string        `json:"country,omitempty"`
	TPP      float64       `json:"tpp"`                // chip: the catalogue's; otherwise the sum over Contents
	Contents []Node        `json:"contents,omitempty"` // current children, recursively, sorted
	// Containers is the current container chain upward, direct parent
	// first; only the tree's root carries it, and its nodes carry no
	// contents.
	Containers []Node `json:"containers,omitempty"`
}

// Holdings are the units a party holds, a site keeps or a country has now.
type Holdings struct {
	By              string         `json:"by"` // party, site or country
	ID              string         `json:"id"`
	Units           int            `json:"units"`              // every kind
	Chips           int            `json:"chips"`              // chips only, each once
	TPP             float64        `json:"tpp"`                // over chips, from the catalogue
	H100Equivalents float64        `json:"h100_equivalents"`   // over chips, from the catalogue
	ByModel         map[string]int `json:"by_model,omitempty"` // chips per model (catalogue id when catalogued)
	Received        int            `json:"received"`           // chips whose chain has a receipt here (ever)
	Installed       int            `json:"installed"`          // chips installed here now
}

// Holdings dimensions.
const (
	ByParty   = "party"
	BySite    = "site"
	ByCountry = "country"
)

// Projection is the read side's state built from the ledger's entries.
type Projection struct {
	cat     *policy.Catalogue
	seq     uint64
	applied bool
	now     time.Time

	strs   []string          // interned strings; 0 is ""
	strIdx map[string]uint32 // string -> strs index

	units   []unitRec
	unitIdx map[events.UnitID]uint32
	kids    map[uint32][]uint32 // container -> current direct children
	// departed: container -> the latest key at which a unit left it by
	// going into another container without an end event.
	departed map[uint32]key

	evs      []evRec
	subjects []uint32             // evRec subjects, flat (containment: parent first)
	ids      map[idKey]uint32     // event id -> evs index, or refTag|refs index
	corr     map[uint32]corrState // corrected target (evs index or refTag|refs index) -> correction in force
	amendSrc map[uint32]uint64    // amended evs index -> the correction's sequence
	pending  map[idKey][]pendingCorrection

	refs     []refVersion
	refIndex map[refKey][]uint32 // reference data id -> refs indexes

	hold     [3][]counts            // holdings counters: party, site, country rows, by interned id
	modelCat map[uint32]policy.Chip // model string -> catalogue entry, for catalogued models

	gen uint32 // stamp generation for unitRec.stamp

	touched       map[uint32]struct{} // units whose chain changed since the last TakeChanges
	refsChanged   bool                // reference data changed since the last TakeChanges
	triageChanged bool                // an alert decision arrived since the last TakeChanges
}

// New returns an empty projection that reads chip figures from cat (nil:
// no chip is catalogued, every TPP is 0).
func New(cat *policy.Catalogue) *Projection {
	p := &Projection{cat: cat}
	p.reset()
	return p
}

func (p *Projection) reset() {
	p.seq, p.applied, p.now = 0, false, time.Time{}
	p.strs = []string{""}
	p.strIdx = map[string]uint32{"": 0}
	p.units = nil
	p.unitIdx = make(map[events.UnitID]uint32)
	p.kids = make(map[uint32][]uint32)
	p.departed = make(map[uint32]key)
	p.evs = nil
	p.subjects = nil
	p.ids = make(map[idKey]uint32)
	p.corr = make(map[uint32]corrState)
	p.amendSrc = make(map[uint32]uint64)
	p.pending = make(map[idKey][]pendingCorrection)
	p.refs = nil
	p.refIndex = make(map[refKey][]uint32)
	p.hold = [3][]counts{}
	p.modelCat = make(map[uint32]policy.Chip)
	p.gen = 0
	p.touched = make(map[uint32]struct{})
	p.refsChanged = false
	p.triageChanged = false
}

// Changes are what Apply changed since the last TakeChanges: the units
// whose custody chain changed (a new, late or corrected event, or one of
// a container they were in), and whether reference data (parties, sites,
// licences, policy and screening versions) changed. Detection re-evaluates
// what they touch.
type Changes struct {
	Units     []events.UnitID // sorted
	Reference bool
	Triage    bool // an investigator's decision on an alert arrived
}

// TakeChanges returns the changes since the last call and forgets them.
func (p *Projection) TakeChanges() Changes {
	c := Changes{Reference: p.refsChanged, Triage: p.triageChanged}
	c.Units = make([]events.UnitID, 0, len(p.touched))
	for u := range p.touched {
		c.Units = append(c.Units, p.units[u].id)
	}
	slices.Sort(c.Units)
	clear(p.touched)
	p.refsChanged, p.triageChanged = false, false
	return c
}

// Seq returns the sequence of the last entry applied (0 before any).
func (p *Projection) Seq() uint64 { return p.seq }

// Now returns the latest occurred_at of every event applied (decisions on
// alerts aside, see Apply): the
// projection's clock, which comes from the ledger, never the wall clock.
func (p *Projection) Now() time.Time { return p.now }

// Apply applies the next ledger entry. Sequences must increase (the caller
// applies each once, in order); Apply returns an error only for one that
// does not (ErrOutOfOrder), never for the event's content: an entry whose
// event is empty (one this version cannot read), incomplete or anomalous
// is recorded as far as it can be and the sequence advances.
func (p *Projection) Apply(e Entry) error {
	if e.Seq == 0 || (p.applied && e.Seq <= p.seq) {
		return fmt.Errorf("%w: %d after %d", ErrOutOfOrder, e.Seq, p.seq)
	}
	p.seq, p.applied = e.Seq, true
	ev := e.Event
	if ev.Body == nil {
		return nil
	}
	if ev.OccurredAt.After(p.now) && !isTriage(ev.Body) {
		// A decision on an alert is stamped by the investigator's clock: it
		// says nothing about where chips are, so it does not move the
		// clock the time-based rules measure against.
		p.now = ev.OccurredAt
	}
	if c, ok := ev.Body.(*events.Corrected); ok {
		if c != nil {
			p.correct(e.Seq, e.Hash, ev, c)
		}
		return nil
	}
	if isRefType(ev.Body) {
		vi, ok := p.addRef(ev, e.Seq, e.Seq, e.Hash)
		if ok {
			p.indexID(ev.ID, refTag|vi)
		}
		return nil
	}
	ei, ok := p.addUnitEvent(ev, e.Seq)
	if !ok {
		return nil
	}
	p.integrate(ei)
	p.indexID(ev.ID, ei)
	return nil
}

// indexID records an event id for corrections, and applies the
// corrections that were waiting for it.
func (p *Projection) indexID(id string, target uint32) {
	if id == "" {
		return
	}
	k := keyOf(id)
	if _, dup := p.ids[k]; !dup { // the ledger keeps the first of a repeated id
		p.ids[k] = target
	}
	if len(p.pending) == 0 {
		return
	}
	if pcs, ok := p.pending[k]; ok {
		delete(p.pending, k)
		for _, pc := range pcs { // in force: the latest; applyCorrection ignores earlier ones
			p.applyCorrection(target, pc)
		}
	}
}

// Units returns every unit the projection knows (named by a live event),
// sorted.
func (p *Projection) Units() []events.UnitID {
	out := make([]events.UnitID, 0, len(p.units))
	for i := range p.units {
		if p.alive(uint32(i)) {
			out = append(out, p.units[i].id)
		}
	}
	slices.Sort(out)
	return out
}
