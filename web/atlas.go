package web

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/httpapi"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/projections/alerts"
	"github.com/chipledger/chipledger/replica"
)

// The atlas is what the UI knows about every custody chain at once: the
// chips' cross-border shipments as country-to-country flows (with the
// flows that carry alerts) and, per party, the units it ever held or
// owned (the scope index). Walking every chain takes seconds on a large
// ledger, so it is built in the background, in chunks of units (the
// replica's read lock is held for one chunk at a time) when the ledger or
// the alerts moved, at most every Options.AtlasEvery and never busier than
// a fifth of the time; pages show the sequence it was built at.

// chunk is the number of units walked under one read lock.
const chunk = 500

// lightSource serves the atlas's chain walks their entries: shipments and
// corrections decoded in full, every other entry as its type alone (a
// walk needs the type to check the entry is the event it applied; the
// atlas reads only the shipments' bodies). It grows with the ledger and
// is used by one builder at a time.
type lightSource struct {
	r     *replica.Replica
	types []string // interned type names
	typ   []uint8  // per sequence - 1: index into types
	full  map[uint64]*events.Event
	tix   map[string]uint8
}

func newLightSource(r *replica.Replica) *lightSource {
	return &lightSource{r: r, types: []string{""}, full: map[uint64]*events.Event{}, tix: map[string]uint8{"": 0}}
}

// fill reads the entries up to head that it has not read yet.
func (l *lightSource) fill(head uint64) error {
	for seq := uint64(len(l.typ)) + 1; seq <= head; seq++ {
		e, err := l.r.Entry(seq)
		if err != nil {
			return err
		}
		var ev events.Event
		if !e.Document() {
			ev, err = events.Decode(e.Canonical)
			if err != nil { // not projected either
				ev = events.Event{}
			}
		}
		ti, ok := l.tix[ev.Type]
		if !ok && len(l.types) < 255 {
			ti = uint8(len(l.types))
			l.types = append(l.types, ev.Type)
			l.tix[ev.Type] = ti
		}
		l.typ = append(l.typ, ti)
		switch ev.Body.(type) {
		case *events.Shipped, *events.Corrected:
			l.full[seq] = &ev
		default:
			if ti == 0 && ev.Type != "" { // more than 255 types: keep it whole
				l.full[seq] = &ev
			}
		}
	}
	return nil
}

func (l *lightSource) Entry(seq uint64) (projections.Entry, error) {
	if seq == 0 || seq > uint64(len(l.typ)) {
		return projections.Entry{}, projections.ErrNotFound
	}
	if ev := l.full[seq]; ev != nil {
		return projections.Entry{Seq: seq, Event: *ev}, nil
	}
	return projections.Entry{Seq: seq, Event: events.Event{Type: l.types[l.typ[seq-1]]}}, nil
}

// flowKey is a country-to-country flow.
type flowKey struct{ From, To string }

// Flow is the chips that crossed from one country to another.
type Flow struct {
	From, To  string
	Chips     int      // chip crossings (a chip shipped twice counts twice)
	Shipments int      // distinct shipments
	Flagged   int      // chip crossings on shipments an alert cites
	Rules     []string // the rules of those alerts
}

// hopRef is one chip crossing: the flow and the rules citing it.
type hopRef struct {
	flow  int32
	ship  uint64 // the shipment's entry
	rules uint32 // bit i: rule R(i+1)
}

// atlasSnap is one build of the atlas.
type atlasSnap struct {
	Seq     uint64 // the replica's sequence at the start of the build
	Built   time.Time
	Took    time.Duration
	Chips   int // chips walked
	flows   []flowKey
	perChip map[events.UnitID][]hopRef
	parties map[string]map[events.UnitID]bool
	all     []Flow // every chip's flows
}

func ruleBit(rule string) uint32 {
	n, err := strconv.Atoi(strings.TrimPrefix(rule, "R"))
	if err != nil || n < 1 || n > 32 {
		return 0
	}
	return 1 << (n - 1)
}

func bitRules(bits uint32) []string {
	var out []string
	for i := range 32 {
		if bits&(1<<i) != 0 {
			out = append(out, "R"+strconv.Itoa(i+1))
		}
	}
	return out
}

// flagging reports whether an alert marks the hops its evidence cites:
// raised and not withdrawn, and not dismissed by an investigator.
func flagging(a *alerts.Alert) bool {
	return a.State != alerts.StateWithdrawn && a.State != alerts.StateDismissed
}

// evidenceRules maps ledger sequences to the rules of the flagging alerts
// citing them.
func evidenceRules(as []alerts.Alert) map[uint64]uint32 {
	m := map[uint64]uint32{}
	for i := range as {
		if !flagging(&as[i]) {
			continue
		}
		bit := ruleBit(as[i].Rule)
		for _, ev := range as[i].Evidence {
			m[ev.Seq] |= bit
		}
	}
	return m
}

// atlas builds and holds the latest snapshot.
type atlas struct {
	r     *replica.Replica
	scope *httpapi.Scope
	build sync.Mutex // one build at a time; guards light
	light *lightSource
	mu    sync.RWMutex
	snap  *atlasSnap
}

func (a *atlas) current() *atlasSnap {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.snap
}

// refresh builds a new snapshot from the replica as it stands and
// installs it (and its scope index).
func (a *atlas) refresh() (*atlasSnap, error) {
	a.build.Lock()
	defer a.build.Unlock()
	start := time.Now()
	if a.light == nil {
		a.light = newLightSource(a.r)
	}
	ev := evidenceRules(a.r.Alerts(alerts.Filter{}))
	var units []events.UnitID
	var seq uint64
	_ = a.r.View(func(p *projections.Projection, _ projections.Source) error {
		units, seq = p.Units(), p.Seq()
		return nil
	})
	s := &atlasSnap{Seq: seq, perChip: map[events.UnitID][]hopRef{}, parties: map[string]map[events.UnitID]bool{}}
	index := map[flowKey]int32{}
	for lo := 0; lo < len(units); lo += chunk {
		part := units[lo:min(lo+chunk, len(units))]
		err := a.r.View(func(p *projections.Projection, _ projections.Source) error {
			if err := a.light.fill(p.Seq()); err != nil {
				return err
			}
			for _, u := range part {
				h, err := p.History(a.light, u)
				if errors.Is(err, projections.ErrNotFound) {
					continue // retracted since the list was taken
				}
				if err != nil {
					return err
				}
				for i := range h {
					for _, party := range [2]string{h[i].Holder, h[i].Owner} {
						if party == "" {
							continue
						}
						set := s.parties[party]
						if set == nil {
							set = map[events.UnitID]bool{}
							s.parties[party] = set
						}
						set[u] = true
					}
				}
				if u.Kind() != events.KindChip {
					continue
				}
				s.Chips++
				var hops []hopRef
				for i := range h {
					b, ok := h[i].Event.Body.(*events.Shipped)
					if !ok || b == nil || b.From.Country == b.To.Country || b.From.Country == "" || b.To.Country == "" {
						continue
					}
					k := flowKey{b.From.Country, b.To.Country}
					fi, ok := index[k]
					if !ok {
						fi = int32(len(s.flows))
						s.flows = append(s.flows, k)
						index[k] = fi
					}
					hops = append(hops, hopRef{flow: fi, ship: h[i].Seq, rules: ev[h[i].Seq]})
				}
				if len(hops) > 0 {
					s.perChip[u] = hops
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	s.all = s.flowList(nil)
	s.Built, s.Took = time.Now(), time.Since(start)
	a.mu.Lock()
	a.snap = s
	a.mu.Unlock()
	if a.scope != nil {
		a.scope.SetIndex(&httpapi.ScopeIndex{Seq: s.Seq, Units: s.parties})
	}
	return s, nil
}

// run rebuilds the atlas whenever the ledger or the alerts moved, at most
// every `every` and never busier than a fifth of the time, until ctx ends.
func (a *atlas) run(ctx context.Context, every time.Duration, log *slog.Logger) {
	var last struct{ head, det uint64 }
	var next time.Time
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		cur := struct{ head, det uint64 }{a.r.Head().Seq, a.r.AlertStats().Seq}
		if (cur != last || a.current() == nil) && !time.Now().Before(next) {
			s, err := a.refresh()
			if err != nil {
				log.Error("web: atlas build failed; retrying", "err", err)
				next = time.Now().Add(every)
			} else {
				last = cur
				next = time.Now().Add(max(every, 4*s.Took))
				level := slog.LevelDebug
				if s.Took > time.Second {
					level = slog.LevelInfo
				}
				log.Log(ctx, level, "web: flows and scope index built", "seq", s.Seq, "chips", s.Chips, "flows", len(s.flows), "parties", len(s.parties), "took", s.Took)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// flows sums the crossings of the chips in units (nil: every chip).
func (s *atlasSnap) flowList(units map[events.UnitID]bool) []Flow {
	type acc struct {
		chips, flagged int
		ships          map[uint64]bool
		rules          uint32
	}
	accs := make([]acc, len(s.flows))
	add := func(hops []hopRef) {
		for _, h := range hops {
			a := &accs[h.flow]
			a.chips++
			if a.ships == nil {
				a.ships = map[uint64]bool{}
			}
			a.ships[h.ship] = true
			if h.rules != 0 {
				a.flagged++
				a.rules |= h.rules
			}
		}
	}
	if units == nil && s.all != nil {
		return s.all
	}
	if units == nil {
		for _, hops := range s.perChip {
			add(hops)
		}
	} else {
		for u := range units {
			add(s.perChip[u])
		}
	}
	var out []Flow
	for i, k := range s.flows {
		if accs[i].chips == 0 {
			continue
		}
		out = append(out, Flow{From: k.From, To: k.To, Chips: accs[i].chips, Shipments: len(accs[i].ships),
			Flagged: accs[i].flagged, Rules: bitRules(accs[i].rules)})
	}
	slices.SortFunc(out, func(a, b Flow) int {
		return cmp.Or(cmp.Compare(b.Chips, a.Chips), cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
	})
	return out
}
