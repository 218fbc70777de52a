package simulate

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/policy"
)

// Defaults of Options.
const (
	DefaultChips  = 2000
	DefaultMonths = 20
	MinChips      = 100
	MaxChips      = 5_000_000
)

// DefaultStart is the first day of the simulated world.
var DefaultStart = time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)

// Options configure a world. The zero value is valid: seed 0, DefaultChips
// chips, DefaultMonths months from DefaultStart, the embedded thresholds.
type Options struct {
	// Seed fixes every choice; the same Options give the same bytes.
	Seed int64
	// Chips is the number of chips of the benign world (MinChips to
	// MaxChips; zero means DefaultChips). The scenarios and twins add about
	// 7,300 chips of their own, whatever Chips is.
	Chips int
	// Months is the length of the simulation (zero: DefaultMonths, which
	// covers 18 months of trade from 2024-07-01 and the China H200 licences
	// that start on 2026-01-15; the scenarios need at least that).
	Months int
	// Thresholds place the near-threshold twins and the scenarios'
	// parameters (zero value: policy.DefaultThresholds()).
	Thresholds *policy.Thresholds
	// Progress, when not nil, receives a progress line about every two
	// seconds of wall-clock time (only the progress line looks at the wall
	// clock; the events never do).
	Progress io.Writer
}

// Stats counts what Run produced.
type Stats struct {
	Lines         int64 // lines written, duplicates included
	Bytes         int64 // bytes written, newlines included
	Duplicates    int64 // lines that repeat an earlier line byte for byte
	Late          int64 // lines delivered more than a day after they were recorded
	Corrections   int64 // event.corrected.v1 lines
	Chips         int64 // chips commissioned (world and stories)
	Servers       int64 // servers assembled (world and stories)
	WorldChips    int64
	ScenarioChips int64 // chips of scenarios and twins
	Orders        int64 // benign orders
	Start, End    time.Time
}

// Sink receives the lines in output order. Line is one JSON event without
// the newline and key its partition key (Event.Primary); neither may be
// kept after the call returns.
type Sink interface {
	Event(line, key []byte) error
}

// Sim is one configured world. Build it with New; Run streams it.
type Sim struct {
	opts  Options
	th    policy.Thresholds
	seed  uint64
	w     *world
	start int64 // Unix seconds
	end   int64
	prod  int64 // last commission time of the benign world
	n     int64 // benign chips
	agg   *aggregates
	truth *Truth
	stor  *stories
	csv   []byte
}

// New validates opts and builds the world: static reference data, the
// benign world's aggregates (one pass over the order plans, no events) and
// the scenarios.
func New(opts Options) (*Sim, error) {
	if opts.Chips == 0 {
		opts.Chips = DefaultChips
	}
	if opts.Chips < MinChips || opts.Chips > MaxChips {
		return nil, fmt.Errorf("simulate: chips %d out of range %d..%d", opts.Chips, MinChips, MaxChips)
	}
	if opts.Months == 0 {
		opts.Months = DefaultMonths
	}
	if opts.Months < DefaultMonths || opts.Months > 60 {
		return nil, fmt.Errorf("simulate: months %d out of range %d..60", opts.Months, DefaultMonths)
	}
	s := &Sim{opts: opts, seed: uint64(opts.Seed), n: int64(opts.Chips)}
	if opts.Thresholds != nil {
		s.th = *opts.Thresholds
	} else {
		s.th = policy.DefaultThresholds()
	}
	s.start = DefaultStart.Unix()
	s.end = DefaultStart.AddDate(0, opts.Months, 0).Unix()
	s.prod = s.end - 100*day // the last orders finish their lifecycle and attest for weeks
	s.w = newWorld(s.seed)
	s.agg = s.prepass()
	s.stor = s.buildStories()
	s.csv = s.screeningCSV()
	s.addReference()
	s.stor.sortDeliveries()
	s.truth = s.buildTruth()
	return s, nil
}

const (
	hour = int64(3600)
	day  = 24 * hour
	// lifecycle bounds how long after its commission time a benign order
	// has custody events (its weekly attestations aside).
	lifecycle = 75 * day
)

// entry is one line of a day bucket.
type entry struct {
	off, n   int32
	koff, kn int32
}

// bucket holds the lines delivered on one day until that day is flushed.
// order holds one sort key per entry: the delivery second within the day
// (17 bits) above the entry's index, so that ties keep generation order.
type bucket struct {
	day   int64
	start int64 // first second of the day
	arena []byte
	ents  []entry
	order []uint64
}

// ringSize is the number of day buckets: deliveries are at most a week
// after the day they are generated on (lag, late delivery, retry).
const ringSize = 16

// gen is the state of one Run.
type gen struct {
	s      *Sim
	sink   Sink
	cur    int64 // day being flushed (days from start)
	lo, hi int64 // occurred window being generated: the day after cur
	ring   [ringSize]bucket
	pool   []bufs
	held   int // bytes in the ring's arenas
	stats  Stats
	// timing of the event being generated (see want)
	rec  int64
	dels [2]int64
	dup  bool
	late bool
	k    uint64
	scr  scratch
	ev   events.Event
	// progress
	last  time.Time
	began time.Time
}

// Run streams the world to sink in delivery order and returns what it
// wrote. It stops early when ctx ends or sink fails.
//
// Each event is generated once, on the day before the day it occurs (an
// event is never delivered more than 25 minutes before it occurs), into
// the bucket of the day it is delivered; each day's bucket is sorted by
// delivery time and written when the day is over.
func (s *Sim) Run(ctx context.Context, sink Sink) (Stats, error) {
	g := &gen{s: s, sink: sink, began: time.Now()}
	g.last = g.began
	for i := range g.ring {
		g.ring[i].day = math.MinInt64
	}
	g.stats.Start, g.stats.End = time.Unix(s.start, 0).UTC(), time.Unix(s.end, 0).UTC()
	first, last := int64(-2), (s.end-s.start)/day+ringSize
	evs, dlv := s.stor.events, s.stor.dlv
	if n := len(dlv); n > 0 {
		first = min(first, floorDiv(dlv[0].del-s.start, day))
		last = max(last, floorDiv(dlv[n-1].del-s.start, day))
	}
	si := 0 // next story delivery
	for d := first; d <= last; d++ {
		if err := ctx.Err(); err != nil {
			return g.stats, err
		}
		g.cur = d
		g.lo, g.hi = s.start+(d+1)*day, s.start+(d+2)*day
		if g.hi > s.start && g.lo < s.end {
			s.emitWorldDay(g)
			for i := range s.stor.scheds {
				g.emitSched(&s.stor.scheds[i])
			}
		}
		dayEnd := s.start + (d+1)*day
		for si < len(dlv) && dlv[si].del < dayEnd {
			dv := dlv[si]
			si++
			e := &evs[dv.idx]
			g.add(dv.del, e.line, e.key)
			if dv.copy == 1 {
				g.stats.Duplicates++
			}
			if e.corr && dv.copy == 0 {
				g.stats.Corrections++
			}
			if e.late && dv.copy == 0 {
				g.stats.Late++
			}
		}
		if err := g.spill(); err != nil {
			return g.stats, err
		}
		if err := g.flush(d); err != nil {
			return g.stats, err
		}
		g.progress(d, false)
	}
	g.progress(last, true)
	g.stats.Chips = s.n + s.stor.chips
	g.stats.WorldChips = s.n
	g.stats.ScenarioChips = s.stor.chips
	g.stats.Servers = s.agg.servers + s.stor.servers
	g.stats.Orders = s.agg.orders
	return g.stats, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func (g *gen) progress(d int64, final bool) {
	if g.s.opts.Progress == nil {
		return
	}
	now := time.Now()
	if !final && now.Sub(g.last) < 2*time.Second {
		return
	}
	g.last = now
	el := now.Sub(g.began).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(g.stats.Lines) / el
	}
	when := time.Unix(g.s.start+d*day, 0).UTC().Format("2006-01-02")
	state := "simulate"
	if final {
		state = "simulate: done"
	}
	fmt.Fprintf(g.s.opts.Progress, "%s: %s %d lines %.1f MB %.0f lines/s\n", state, when, g.stats.Lines, float64(g.stats.Bytes)/1e6, rate)
}

// bucket returns the bucket of the day del falls on (never one already
// flushed: such a delivery goes out with the current day).
func (g *gen) bucket(del int64) *bucket {
	d := floorDiv(del-g.s.start, day)
	if d < g.cur {
		d = g.cur
	}
	if d >= g.cur+ringSize {
		d = g.cur + ringSize - 1
	}
	b := &g.ring[int(((d%ringSize)+ringSize)%ringSize)]
	if b.day != d {
		b.day, b.start = d, g.s.start+d*day
		b.arena, b.ents, b.order = b.arena[:0], b.ents[:0], b.order[:0]
		if b.arena == nil && d <= g.cur+2 && len(g.pool) > 0 {
			p := g.pool[len(g.pool)-1]
			g.pool = g.pool[:len(g.pool)-1]
			b.arena, b.ents, b.order = p.arena[:0], p.ents[:0], p.order[:0]
		}
	}
	return b
}

// bufs are the buffers of a flushed busy bucket, kept for reuse.
type bufs struct {
	arena []byte
	ents  []entry
	order []uint64
}

// maxHeld bounds the bytes waiting in the day buckets. Past it the
// earliest bucket is written out before its day is over (its later lines
// follow when the day is), so memory stays bounded whatever the number of
// chips; up to millions of chips a day of output is far below it.
var maxHeld = 96 << 20

// spill writes out the earliest waiting bucket while too much is held.
func (g *gen) spill() error {
	for g.held > maxHeld {
		var first *bucket
		for i := range g.ring {
			b := &g.ring[i]
			if len(b.ents) > 0 && (first == nil || b.day < first.day) {
				first = b
			}
		}
		if first == nil {
			return nil
		}
		if err := g.flush(first.day); err != nil {
			return err
		}
	}
	return nil
}

// push records an entry delivered at del.
func (b *bucket) push(del int64, e entry) {
	sec := max(min(del-b.start, day-1), 0)
	b.order = append(b.order, uint64(sec)<<40|uint64(len(b.ents)))
	b.ents = append(b.ents, e)
}

// add appends one line (copied) to the bucket of its delivery day.
func (g *gen) add(del int64, line, key []byte) {
	b := g.bucket(del)
	off := len(b.arena)
	b.arena = append(b.arena, line...)
	koff := len(b.arena)
	b.arena = append(b.arena, key...)
	b.push(del, entry{off: int32(off), n: int32(len(line)), koff: int32(koff), kn: int32(len(key))})
	g.held += len(b.arena) - off
}

// flush writes the lines of day d in delivery order.
func (g *gen) flush(d int64) error {
	b := &g.ring[int(((d%ringSize)+ringSize)%ringSize)]
	if b.day != d {
		return nil
	}
	g.held -= len(b.arena)
	slices.Sort(b.order)
	for _, o := range b.order {
		e := b.ents[o&(1<<40-1)]
		line := b.arena[e.off : e.off+e.n]
		if err := g.sink.Event(line, b.arena[e.koff:e.koff+e.kn]); err != nil {
			return err
		}
		g.stats.Lines++
		g.stats.Bytes += int64(len(line)) + 1
	}
	b.ents, b.arena, b.order = b.ents[:0], b.arena[:0], b.order[:0]
	if cap(b.arena) > 1<<20 {
		// Sixteen buckets each keeping the largest day's capacity would
		// hold sixteen days of output: big buffers go to a small pool for
		// the next busy days (today's and tomorrow's buckets).
		if len(g.pool) < 2 {
			g.pool = append(g.pool, bufs{b.arena, b.ents, b.order})
		}
		b.ents, b.arena, b.order = nil, nil, nil
	}
	b.day = math.MinInt64
	return nil
}

// timing derives when an event is recorded and delivered from its key and
// publisher: recording lag of seconds to minutes (hours for a few, the
// next night for batch publishers), the publisher's clock skew, late
// delivery for a few (one to five days), a retried duplicate for fewer.
func (s *Sim) timing(occ int64, pub *party, k uint64, noisy bool) (rec int64, dels [2]int64, dup, late bool) {
	h := mix(k ^ 0x7ad4)
	lag := 1 + int64(h%600)
	switch {
	case pub != nil && pub.batch:
		next := (occ/day+1)*day + 2*hour
		lag = next - occ + int64(h>>10%900)
	case h>>12%100 < 3:
		lag = hour + int64(h>>20%(19*3600))
	}
	skew := int64(0)
	if pub != nil {
		skew = pub.skew
	}
	rec = occ + lag + skew
	del := rec + 1 + int64(h>>32%4)
	if noisy {
		h2 := mix(h)
		if h2%1000 < 7 {
			late = true
			del += day + int64(h2>>16%(4*86400))
		}
		if h2>>30%1000 < 4 {
			dup = true
			dels[1] = del + 60 + int64(h2>>40%21600)
		}
	}
	dels[0] = del
	return
}

// want computes the timing of the next world event (occurred at occ) and
// reports whether to generate it: whether occ falls in the window.
func (g *gen) want(occ int64, pub *party, k uint64) bool {
	if occ < g.lo || occ >= g.hi {
		return false
	}
	g.rec, g.dels, g.dup, g.late = g.s.timing(occ, pub, k, true)
	g.k = k
	return true
}

// put serialises the event prepared by the last want and files its
// copies in the buckets of their delivery days.
func (g *gen) put(occ int64, pub string, body events.Body) {
	var idb [36]byte
	id := appendUUID7(idb[:0], g.rec*1000+int64(mix(g.k)%1000), mix(g.k^1), mix(g.k^2))
	g.ev = events.Event{Type: body.Type(), OccurredAt: time.Unix(occ, 0), RecordedAt: time.Unix(g.rec, 0), Publisher: pub, Body: body}
	key := g.ev.Primary()
	b := g.bucket(g.dels[0])
	off := len(b.arena)
	b.arena = appendEventID(b.arena, id, &g.ev)
	g.file(b, off, key, body.Type())
}

// putAttestation is put for a location attestation (see appendAttestation).
func (g *gen) putAttestation(occ int64, pub string, units []events.UnitID, unit []byte, country string, lat, lon float64, method, attestor string) {
	var idb [36]byte
	id := appendUUID7(idb[:0], g.rec*1000+int64(mix(g.k)%1000), mix(g.k^1), mix(g.k^2))
	b := g.bucket(g.dels[0])
	off := len(b.arena)
	b.arena = appendAttestation(b.arena, id, occ, g.rec, pub, units, unit, country, lat, lon, method, attestor)
	if units != nil {
		unit = []byte(units[0])
	}
	g.fileKey(b, off, unit, events.TypeLocationAttested)
}

// file records the event just appended at off in bucket b (and its
// retried copy), with its partition key.
func (g *gen) file(b *bucket, off int, key string, typ string) {
	n := len(b.arena) - off
	koff := len(b.arena)
	b.arena = append(b.arena, key...)
	g.filed(b, off, n, koff, len(key), typ)
}

func (g *gen) fileKey(b *bucket, off int, key []byte, typ string) {
	n := len(b.arena) - off
	koff := len(b.arena)
	b.arena = append(b.arena, key...)
	g.filed(b, off, n, koff, len(key), typ)
}

func (g *gen) filed(b *bucket, off, n, koff, kn int, typ string) {
	b.push(g.dels[0], entry{off: int32(off), n: int32(n), koff: int32(koff), kn: int32(kn)})
	g.held += koff + kn - off
	if g.late {
		g.stats.Late++
	}
	if g.dup {
		g.add(g.dels[1], b.arena[off:off+n], b.arena[koff:koff+kn])
		g.stats.Duplicates++
	}
	if typ == events.TypeCorrected {
		g.stats.Corrections++
	}
}

// WriterSink writes JSON Lines to w (buffered; call Flush at the end).
type WriterSink struct{ bw *bufio.Writer }

// NewWriterSink returns a Sink that writes one line per event to w.
func NewWriterSink(w io.Writer) *WriterSink { return &WriterSink{bw: bufio.NewWriterSize(w, 1<<20)} }

// Event writes line and a newline.
func (s *WriterSink) Event(line, _ []byte) error {
	s.bw.Write(line)
	return s.bw.WriteByte('\n')
}

// Flush writes what is buffered.
func (s *WriterSink) Flush() error { return s.bw.Flush() }

// Generate is New then Run into w as JSON Lines.
func Generate(ctx context.Context, opts Options, w io.Writer) (Stats, error) {
	s, err := New(opts)
	if err != nil {
		return Stats{}, err
	}
	ws := NewWriterSink(w)
	st, err := s.Run(ctx, ws)
	if ferr := ws.Flush(); err == nil {
		err = ferr
	}
	return st, err
}
