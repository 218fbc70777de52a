package projections

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"slices"
	"time"

	"github.com/chipledger/chipledger/events"
)

// snapshotVersion changes whenever the snapshot's layout or the meaning of
// what it holds changes; an older snapshot is refused (the replica then
// rebuilds from its stored entries).
const snapshotVersion = 1

// snapshot is the projection's state as gob encodes it: flat slices of
// basic types (gob's fast path), from which UnmarshalBinary rebuilds the
// maps. Holdings counters, contents and the catalogue cache are derived
// and rebuilt rather than stored.
type snapshot struct {
	Version int
	Seq     uint64
	Applied bool
	Now     int64 // Unix nanoseconds; 0 with NowZero
	NowZero bool

	Strs []string

	UnitIDs                                         []string
	RefsOff, Refs, RecvOff, Recv                    []uint32
	Holder, Owner, Site, Country, Dest, Model, Cont []uint32
	LastEv                                          []uint32
	Status                                          []uint8

	EvOcc              []int64
	EvSeq              []uint64
	EvSub              []uint32
	EvNSub             []uint16
	EvTyp, EvFlags     []uint8
	EvA, EvB, EvC, EvD []uint32
	Subjects           []uint32

	IDKeys []byte // 16 bytes per entry
	IDVals []uint32

	CorrTarget, CorrAmended []uint32
	CorrOcc                 []int64
	CorrSeq                 []uint64
	AmendEv                 []uint32
	AmendSrc                []uint64
	DepUnit                 []uint32
	DepOcc                  []int64
	DepSeq                  []uint64

	RefEvents           [][]byte // canonical JSON
	RefSeq, RefSrc      []uint64
	RefHash             []string
	RefDead, RefAmended []bool

	Pending []snapPending
}

type snapPending struct {
	Key     []byte
	Occ     int64
	Seq     uint64
	Hash    string
	Amended []byte // canonical JSON; nil: retract
}

// MarshalBinary returns a snapshot of the whole projection, from which
// UnmarshalBinary restores it without replaying the ledger.
func (p *Projection) MarshalBinary() ([]byte, error) {
	s := snapshot{Version: snapshotVersion, Seq: p.seq, Applied: p.applied, Strs: p.strs}
	if p.now.IsZero() {
		s.NowZero = true
	} else {
		s.Now = p.now.UnixNano()
	}
	n := len(p.units)
	s.UnitIDs = make([]string, n)
	s.RefsOff, s.RecvOff = make([]uint32, n+1), make([]uint32, n+1)
	for _, f := range []*[]uint32{&s.Holder, &s.Owner, &s.Site, &s.Country, &s.Dest, &s.Model, &s.Cont, &s.LastEv} {
		*f = make([]uint32, n)
	}
	s.Status = make([]uint8, n)
	for i := range p.units {
		ur := &p.units[i]
		s.UnitIDs[i] = string(ur.id)
		s.Refs = append(s.Refs, ur.refs...)
		s.RefsOff[i+1] = uint32(len(s.Refs))
		s.Recv = append(s.Recv, ur.recv...)
		s.RecvOff[i+1] = uint32(len(s.Recv))
		s.Holder[i], s.Owner[i], s.Site[i], s.Country[i] = ur.holder, ur.owner, ur.site, ur.country
		s.Dest[i], s.Model[i], s.Cont[i], s.LastEv[i], s.Status[i] = ur.dest, ur.model, ur.container, ur.lastEv, ur.status
	}
	m := len(p.evs)
	s.EvOcc, s.EvSeq, s.EvSub, s.EvNSub = make([]int64, m), make([]uint64, m), make([]uint32, m), make([]uint16, m)
	s.EvTyp, s.EvFlags = make([]uint8, m), make([]uint8, m)
	s.EvA, s.EvB, s.EvC, s.EvD = make([]uint32, m), make([]uint32, m), make([]uint32, m), make([]uint32, m)
	for i := range p.evs {
		r := &p.evs[i]
		s.EvOcc[i], s.EvSeq[i], s.EvSub[i], s.EvNSub[i], s.EvTyp[i], s.EvFlags[i] = r.occ, r.seq, r.sub, r.nsub, r.typ, r.flags
		s.EvA[i], s.EvB[i], s.EvC[i], s.EvD[i] = r.a, r.b, r.c, r.d
	}
	s.Subjects = p.subjects

	// Event ids in a fixed order (by what they point at), so that the same
	// state gives the same bytes.
	byEv := make([]int32, m)
	byRef := make([]int32, len(p.refs))
	keys := make([]idKey, 0, len(p.ids))
	for i := range byEv {
		byEv[i] = -1
	}
	for i := range byRef {
		byRef[i] = -1
	}
	for k, v := range p.ids {
		keys = append(keys, k)
		if v&refTag != 0 {
			byRef[v&^refTag] = int32(len(keys) - 1)
		} else {
			byEv[v] = int32(len(keys) - 1)
		}
	}
	s.IDKeys = make([]byte, 0, 16*len(keys))
	s.IDVals = make([]uint32, 0, len(keys))
	for i, ki := range byEv {
		if ki >= 0 {
			s.IDKeys = append(s.IDKeys, keys[ki][:]...)
			s.IDVals = append(s.IDVals, uint32(i))
		}
	}
	for i, ki := range byRef {
		if ki >= 0 {
			s.IDKeys = append(s.IDKeys, keys[ki][:]...)
			s.IDVals = append(s.IDVals, refTag|uint32(i))
		}
	}

	for _, t := range sortedKeys(p.corr) {
		c := p.corr[t]
		s.CorrTarget = append(s.CorrTarget, t)
		s.CorrAmended = append(s.CorrAmended, c.amended)
		s.CorrOcc = append(s.CorrOcc, c.key.occ)
		s.CorrSeq = append(s.CorrSeq, c.key.seq)
	}
	for _, ei := range sortedKeys(p.amendSrc) {
		s.AmendEv = append(s.AmendEv, ei)
		s.AmendSrc = append(s.AmendSrc, p.amendSrc[ei])
	}
	for _, u := range sortedKeys(p.departed) {
		s.DepUnit = append(s.DepUnit, u)
		s.DepOcc = append(s.DepOcc, p.departed[u].occ)
		s.DepSeq = append(s.DepSeq, p.departed[u].seq)
	}
	for _, v := range p.refs {
		b, err := v.ev.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("projections: snapshot: reference event %d: %w", v.src, err)
		}
		s.RefEvents = append(s.RefEvents, b)
		s.RefSeq, s.RefSrc = append(s.RefSeq, v.seq), append(s.RefSrc, v.src)
		s.RefHash = append(s.RefHash, v.hash)
		s.RefDead, s.RefAmended = append(s.RefDead, v.dead), append(s.RefAmended, v.amended)
	}
	pendingKeys := make([]idKey, 0, len(p.pending))
	for k := range p.pending {
		pendingKeys = append(pendingKeys, k)
	}
	sortIDKeys(pendingKeys)
	for _, k := range pendingKeys {
		for _, pc := range p.pending[k] {
			sp := snapPending{Key: append([]byte(nil), k[:]...), Occ: pc.key.occ, Seq: pc.seq, Hash: pc.hash}
			if pc.amended != nil {
				b, err := pc.amended.MarshalJSON()
				if err != nil {
					return nil, fmt.Errorf("projections: snapshot: pending correction %d: %w", pc.seq, err)
				}
				sp.Amended = b
			}
			s.Pending = append(s.Pending, sp)
		}
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&s); err != nil {
		return nil, fmt.Errorf("projections: snapshot: %w", err)
	}
	return buf.Bytes(), nil
}

// UnmarshalBinary replaces the projection's state with a snapshot made by
// MarshalBinary. The catalogue stays the one New was given: holdings are
// recounted from it.
func (p *Projection) UnmarshalBinary(data []byte) error {
	var s snapshot
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
		return fmt.Errorf("projections: snapshot: %w", err)
	}
	if s.Version != snapshotVersion {
		return fmt.Errorf("projections: snapshot version %d, want %d", s.Version, snapshotVersion)
	}
	q := New(p.cat)
	if err := q.restore(&s); err != nil {
		return err
	}
	*p = *q
	return nil
}

func (p *Projection) restore(s *snapshot) error {
	bad := func(what string) error { return fmt.Errorf("projections: snapshot: %s", what) }
	n, m := len(s.UnitIDs), len(s.EvOcc)
	for _, l := range []int{len(s.Holder), len(s.Owner), len(s.Site), len(s.Country), len(s.Dest), len(s.Model), len(s.Cont), len(s.LastEv), len(s.Status)} {
		if l != n {
			return bad("unit columns differ in length")
		}
	}
	if len(s.RefsOff) != n+1 || len(s.RecvOff) != n+1 {
		return bad("unit offsets")
	}
	for _, l := range []int{len(s.EvSeq), len(s.EvSub), len(s.EvNSub), len(s.EvTyp), len(s.EvFlags), len(s.EvA), len(s.EvB), len(s.EvC), len(s.EvD)} {
		if l != m {
			return bad("event columns differ in length")
		}
	}
	if len(s.Strs) == 0 || s.Strs[0] != "" {
		return bad("string table")
	}
	p.seq, p.applied = s.Seq, s.Applied
	if !s.NowZero {
		p.now = time.Unix(0, s.Now).UTC()
	}
	p.strs = s.Strs
	p.strIdx = make(map[string]uint32, len(s.Strs))
	for i, str := range s.Strs {
		p.strIdx[str] = uint32(i)
	}
	ns := uint32(len(s.Strs))
	okStr := func(vs ...uint32) bool {
		for _, v := range vs {
			if v&^tagMask >= ns {
				return false
			}
		}
		return true
	}
	p.evs = make([]evRec, m)
	for i := range p.evs {
		r := evRec{occ: s.EvOcc[i], seq: s.EvSeq[i], sub: s.EvSub[i], nsub: s.EvNSub[i], typ: s.EvTyp[i], flags: s.EvFlags[i],
			a: s.EvA[i], b: s.EvB[i], c: s.EvC[i], d: s.EvD[i]}
		if uint64(r.sub)+uint64(r.nsub) > uint64(len(s.Subjects)) || r.typ == tNone || int(r.typ) >= len(typeNames) || !okStr(r.a, r.b, r.c, r.d) {
			return bad(fmt.Sprintf("event %d", i))
		}
		p.evs[i] = r
	}
	for _, u := range s.Subjects {
		if int(u) >= n {
			return bad("subject out of range")
		}
	}
	p.subjects = s.Subjects
	p.units = make([]unitRec, n)
	p.unitIdx = make(map[events.UnitID]uint32, n)
	for i := range p.units {
		lo, hi, rlo, rhi := s.RefsOff[i], s.RefsOff[i+1], s.RecvOff[i], s.RecvOff[i+1]
		if lo > hi || int(hi) > len(s.Refs) || rlo > rhi || int(rhi) > len(s.Recv) {
			return bad("unit offsets")
		}
		id := events.UnitID(s.UnitIDs[i])
		ur := unitRec{id: id, kind: kindOf(id), lastEv: s.LastEv[i]}
		if lo < hi {
			ur.refs = s.Refs[lo:hi:hi]
		}
		if rlo < rhi {
			ur.recv = s.Recv[rlo:rhi:rhi]
		}
		ur.holder, ur.owner, ur.site, ur.country, ur.dest, ur.model = s.Holder[i], s.Owner[i], s.Site[i], s.Country[i], s.Dest[i], s.Model[i]
		ur.container, ur.status = s.Cont[i], s.Status[i]
		if !okStr(ur.holder, ur.owner, ur.site, ur.country, ur.dest, ur.model) || !okStr(ur.recv...) ||
			int(ur.container) > n || int(ur.lastEv) > m || int(ur.status) >= len(statusNames) {
			return bad(fmt.Sprintf("unit %s", id))
		}
		for _, ei := range ur.refs {
			if int(ei) >= m {
				return bad(fmt.Sprintf("unit %s: event out of range", id))
			}
		}
		p.units[i] = ur
		p.unitIdx[id] = uint32(i)
	}
	if len(p.unitIdx) != n {
		return bad("a unit twice")
	}

	if len(s.IDKeys) != 16*len(s.IDVals) {
		return bad("event ids")
	}
	p.ids = make(map[idKey]uint32, len(s.IDVals))
	for i, v := range s.IDVals {
		var k idKey
		copy(k[:], s.IDKeys[16*i:])
		p.ids[k] = v
	}
	if len(s.CorrAmended) != len(s.CorrTarget) || len(s.CorrOcc) != len(s.CorrTarget) || len(s.CorrSeq) != len(s.CorrTarget) || len(s.AmendSrc) != len(s.AmendEv) {
		return bad("corrections")
	}
	for i, t := range s.CorrTarget {
		p.corr[t] = corrState{key: key{s.CorrOcc[i], s.CorrSeq[i]}, amended: s.CorrAmended[i]}
	}
	for i, ei := range s.AmendEv {
		if int(ei) >= m {
			return bad("amendment out of range")
		}
		p.amendSrc[ei] = s.AmendSrc[i]
	}

	if len(s.DepOcc) != len(s.DepUnit) || len(s.DepSeq) != len(s.DepUnit) {
		return bad("departures")
	}
	for i, u := range s.DepUnit {
		if int(u) >= n {
			return bad("departure out of range")
		}
		p.departed[u] = key{s.DepOcc[i], s.DepSeq[i]}
	}

	r := len(s.RefEvents)
	if len(s.RefSeq) != r || len(s.RefSrc) != r || len(s.RefHash) != r || len(s.RefDead) != r || len(s.RefAmended) != r {
		return bad("reference data columns differ in length")
	}
	for i, b := range s.RefEvents {
		ev, err := events.Decode(b)
		if err != nil {
			return fmt.Errorf("projections: snapshot: reference event %d: %w", i, err)
		}
		vi, ok := p.addRef(ev, s.RefSeq[i], s.RefSrc[i], s.RefHash[i])
		if !ok {
			return bad(fmt.Sprintf("reference event %d", i))
		}
		p.refs[vi].dead, p.refs[vi].amended = s.RefDead[i], s.RefAmended[i]
	}
	for _, sp := range s.Pending {
		if len(sp.Key) != 16 {
			return bad("pending correction key")
		}
		var k idKey
		copy(k[:], sp.Key)
		pc := pendingCorrection{key: key{sp.Occ, sp.Seq}, seq: sp.Seq, hash: sp.Hash}
		if sp.Amended != nil {
			ev, err := events.Decode(sp.Amended)
			if err != nil {
				return fmt.Errorf("projections: snapshot: pending correction %d: %w", sp.Seq, err)
			}
			pc.amended = &ev
		}
		p.pending[k] = append(p.pending[k], pc)
	}

	// Derived state: contents, holdings counters, the catalogue cache.
	for i := range p.units {
		ur := &p.units[i]
		if ur.container != 0 {
			p.addKid(ur.container-1, uint32(i))
		}
		if ur.model != 0 {
			p.catalogue(ur.model)
		}
		p.count(uint32(i), +1)
	}
	for i := range p.evs {
		if p.evs[i].typ == tCommissioned && p.evs[i].d != 0 {
			p.catalogue(p.evs[i].d)
		}
	}
	return nil
}

func sortedKeys[V any](m map[uint32]V) []uint32 {
	ks := make([]uint32, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func sortIDKeys(ks []idKey) {
	slices.SortFunc(ks, func(a, b idKey) int { return bytes.Compare(a[:], b[:]) })
}
