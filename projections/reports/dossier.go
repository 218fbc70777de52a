package reports

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/ledger"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/projections/alerts"
)

// EntryView is a ledger entry in a dossier: every field needed to
// recompute its hash, with the event as readable JSON.
type EntryView struct {
	Seq       uint64          `json:"sequence"`
	Hash      string          `json:"hash"` // recomputed from Raw
	Prev      string          `json:"previous_hash"`
	Received  time.Time       `json:"received"`
	Source    ledger.Source   `json:"source"`
	EventID   string          `json:"event_id"`
	Original  string          `json:"original"`
	Canonical json.RawMessage `json:"canonical,omitempty"`
	Raw       []byte          `json:"raw"` // the exact bytes hashed (base64 in JSON)
	Error     string          `json:"error,omitempty"`
}

// EntryCheck is the verification of one cited entry.
type EntryCheck struct {
	Seq   uint64 `json:"sequence"`
	Cited string `json:"cited_hash,omitempty"` // the hash the custody chain or an alert cites (recorded when the replica verified it)
	Hash  string `json:"hash,omitempty"`       // recomputed from the entry's bytes
	// Decodes: the bytes decode as an entry of this sequence; HashMatches:
	// they hash to the cited hash; LinksBack: the entry names its
	// predecessor's recomputed hash (sequence 1: the zero hash);
	// LinkedForward: its successor names its hash, or it is the head and
	// its hash is the head's; Covered: the head the replica verified is at
	// or after it, with no break before it.
	Decodes       bool     `json:"decodes"`
	HashMatches   bool     `json:"hash_matches"`
	LinksBack     bool     `json:"links_back"`
	LinkedForward bool     `json:"linked_forward"`
	Covered       bool     `json:"covered_by_head"`
	OK            bool     `json:"ok"`
	Problems      []string `json:"problems,omitempty"`
}

// Verification is the result of verifying a dossier's entries against the
// chain head.
type Verification struct {
	OK      bool         `json:"ok"` // every entry checks, and the walk (when run) holds
	Entries int          `json:"entries"`
	Failed  int          `json:"failed"`
	Head    Head         `json:"head"`
	Broken  *BrokenAt    `json:"broken,omitempty"` // where the replica stopped, if it did
	Checks  []EntryCheck `json:"checks"`
	// Walk is the replica re-walking its whole copy of the chain from
	// sequence 1 (ledger.Store.Verify), when asked for.
	Walk   *Walk  `json:"walk,omitempty"`
	Method string `json:"method"`
}

// BrokenAt is where a chain does not hold.
type BrokenAt struct {
	Seq    uint64 `json:"sequence"`
	Reason string `json:"reason"`
}

// Walk is the result of re-walking the chain from sequence 1.
type Walk struct {
	OK    bool   `json:"ok"`
	Head  Head   `json:"head"`
	Error string `json:"error,omitempty"`
}

// DossierReport is the evidence package of one unit.
type DossierReport struct {
	Basis Basis `json:"basis"`
	// Unit is the unit's state at the as-of time: holder, owner, site,
	// country and status after its last step by then; kind, model,
	// catalogue figures, container and contents are the projection's at
	// the ledger head.
	Unit       projections.UnitState `json:"unit"`
	Containers []events.UnitID       `json:"containers"` // the container chain upward, at the head
	Chain      []projections.Step    `json:"chain"`      // every step by the as-of time, with its entry's sequence and hash
	Entries    []EntryView           `json:"entries"`    // every entry the chain and the alerts cite
	// Alerts are the alerts on the unit, in every state, with their
	// evidence.
	Alerts       []alerts.Alert `json:"alerts"`
	Verification Verification   `json:"verification"`
}

// Dossier builds the evidence package of unit (a unit id, or a bare
// serial looked up as a chip, a system and a package). walk, when not
// nil, re-walks the whole chain (the replica's Verify) and its result is
// part of the verification.
func Dossier(in Input, unit string, walk func() (ledger.Head, error)) (*DossierReport, error) {
	if in.Ledger == nil {
		return nil, errors.New("reports: a dossier needs the ledger's entries (Input.Ledger)")
	}
	if in.Projection == nil || in.Source == nil {
		return nil, errors.New("reports: the input needs a projection and its source")
	}
	u, err := ResolveUnit(in.Projection, in.Source, unit)
	if err != nil {
		return nil, err
	}
	e, basis, err := newEnv(in, KindDossier, string(u))
	if err != nil {
		return nil, err
	}
	rep := &DossierReport{Basis: *basis, Containers: []events.UnitID{}, Chain: []projections.Step{}, Entries: []EntryView{}, Alerts: []alerts.Alert{}}
	if rep.Unit, err = e.p.Unit(e.src, u); err != nil {
		return nil, err
	}
	tree, err := e.p.Tree(e.src, u)
	if err != nil {
		return nil, err
	}
	for _, c := range tree.Containers {
		rep.Containers = append(rep.Containers, c.Unit)
	}
	steps, err := e.p.Chain(projections.CachedSource(e.src, 1<<16), u)
	if err != nil {
		return nil, err
	}
	for _, s := range steps {
		if s.OccurredAt.After(e.asOf) {
			break
		}
		rep.Chain = append(rep.Chain, s)
	}
	if n := len(rep.Chain); n < len(steps) {
		// The state at the as-of time is the state after its last step.
		st := &rep.Unit
		st.Holder, st.Owner, st.Site, st.Country, st.Status = "", "", "", "", ""
		st.LastSeq, st.LastOccurred = 0, time.Time{}
		if n > 0 {
			l := rep.Chain[n-1]
			st.Holder, st.Owner, st.Site, st.Country, st.Status = l.Holder, l.Owner, l.Site, l.Country, l.Status
			st.LastSeq, st.LastOccurred = l.Seq, l.OccurredAt
		}
	}
	cited := map[uint64]string{}
	cite := func(seq uint64, hash string) {
		if seq == 0 {
			return
		}
		if h, ok := cited[seq]; !ok || h == "" {
			cited[seq] = hash
		}
	}
	for _, s := range rep.Chain {
		cite(s.Seq, s.Hash)
		cite(s.Original, "")
	}
	for _, a := range in.Alerts {
		if a.SubjectKind != alerts.KindUnit || a.Subject != string(u) {
			continue
		}
		rep.Alerts = append(rep.Alerts, a)
		for _, ev := range a.Evidence {
			cite(ev.Seq, ev.Hash)
		}
	}
	rep.Verification = verify(in.Ledger, cited, in.Head, in.Broken, walk)
	for _, seq := range slices.Sorted(maps.Keys(cited)) {
		rep.Entries = append(rep.Entries, entryView(in.Ledger, seq))
	}
	return rep, nil
}

func entryView(l Ledger, seq uint64) EntryView {
	v := EntryView{Seq: seq}
	e, err := l.Entry(seq)
	if err != nil {
		v.Error = err.Error()
		return v
	}
	v.Raw = e.Raw
	d, err := ledger.DecodeEntry(e.Raw)
	if err != nil {
		v.Error = err.Error()
		return v
	}
	v.Hash, v.Prev, v.Received, v.Source, v.EventID, v.Original = d.Hash.String(), d.Prev.String(), d.Received, d.Source, d.EventID, string(d.Original)
	if json.Valid(d.Canonical) {
		v.Canonical = json.RawMessage(d.Canonical)
	}
	return v
}

// verify checks every cited entry against its neighbours and the head,
// recomputing hashes from the bytes l returns (never trusting a stored
// hash), with ledger.Chain's rule for a link.
func verify(l Ledger, cited map[uint64]string, head Head, broken *ledger.BrokenError, walk func() (ledger.Head, error)) Verification {
	v := Verification{Head: head, Checks: []EntryCheck{},
		Method: "each cited entry's bytes are decoded and hashed again (SHA-256); the hash must equal the one the chain or alert cites, " +
			"the entry must name its predecessor's recomputed hash and its successor must name its hash (or it is the head and its hash is the head's), " +
			"and the head the replica verified entry by entry must be at or after it with no break before it"}
	if broken != nil {
		v.Broken = &BrokenAt{Seq: broken.Seq, Reason: broken.Reason}
	}
	type dec struct {
		e   ledger.Entry
		err error
	}
	memo := map[uint64]dec{}
	read := func(seq uint64) (ledger.Entry, error) {
		if d, ok := memo[seq]; ok {
			return d.e, d.err
		}
		var d dec
		raw, err := l.Entry(seq)
		if err == nil {
			d.e, err = ledger.DecodeEntry(raw.Raw)
		}
		d.err = err
		memo[seq] = d
		return d.e, d.err
	}
	for _, seq := range slices.Sorted(maps.Keys(cited)) {
		c := EntryCheck{Seq: seq, Cited: cited[seq]}
		bad := func(format string, args ...any) { c.Problems = append(c.Problems, fmt.Sprintf(format, args...)) }
		d, err := read(seq)
		switch {
		case err != nil:
			bad("entry %d: %v", seq, err)
		case d.Seq != seq:
			bad("the bytes are entry %d, not %d", d.Seq, seq)
		default:
			c.Decodes = true
			c.Hash = d.Hash.String()
			if c.Cited == "" || c.Cited == c.Hash {
				c.HashMatches = true
			} else {
				bad("the bytes hash to %s, the chain cites %s", c.Hash, c.Cited)
			}
			prev := ledger.Chain{} // entry 1 names the zero hash
			linkable := true
			if seq > 1 {
				if p, err := read(seq - 1); err != nil {
					bad("predecessor %d: %v", seq-1, err)
					linkable = false
				} else {
					prev.Head = ledger.Head{Seq: p.Seq, Hash: p.Hash}
				}
			}
			if linkable {
				if err := prev.Next(d); err != nil {
					bad("link to its predecessor: %v", err)
				} else {
					c.LinksBack = true
				}
			}
			if seq == head.Seq {
				if c.Hash == head.Hash {
					c.LinkedForward = true
				} else {
					bad("it is the head, which records hash %s", head.Hash)
				}
			} else if seq < head.Seq {
				n, err := read(seq + 1)
				if err != nil {
					bad("successor %d: %v", seq+1, err)
				} else if err := (&ledger.Chain{Head: ledger.Head{Seq: d.Seq, Hash: d.Hash}}).Next(n); err != nil {
					bad("its successor does not name it: %v", err)
				} else {
					c.LinkedForward = true
				}
			}
		}
		switch {
		case seq > head.Seq:
			bad("beyond the verified head (sequence %d)", head.Seq)
		case broken != nil && seq >= broken.Seq:
			bad("at or after the break at sequence %d", broken.Seq)
		default:
			c.Covered = true
		}
		c.OK = c.Decodes && c.HashMatches && c.LinksBack && c.LinkedForward && c.Covered
		v.Entries++
		if !c.OK {
			v.Failed++
		}
		v.Checks = append(v.Checks, c)
	}
	v.OK = v.Failed == 0 && broken == nil
	if walk != nil {
		h, err := walk()
		w := &Walk{OK: err == nil, Head: Head{Seq: h.Seq, Hash: h.Hash.String()}}
		if err != nil {
			w.Error = err.Error()
		} else if w.Head != head {
			w.OK, w.Error = false, fmt.Sprintf("the walk ends at sequence %d hash %s, not the head %d %s", w.Head.Seq, w.Head.Hash, head.Seq, head.Hash)
		}
		v.Walk = w
		v.OK = v.OK && w.OK
	}
	return v
}
