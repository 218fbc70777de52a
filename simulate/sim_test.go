package simulate_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/policy"
	"github.com/chipledger/chipledger/simulate"
)

// world is one generated world shared by the tests (2,000 chips, seed 1).
type world struct {
	out    []byte
	stats  simulate.Stats
	truth  *simulate.Truth
	csv    []byte
	events []events.Event // first copy of every line, in output order
}

var (
	sharedOnce sync.Once
	shared     world
	sharedErr  error
)

func generate(t testing.TB, opts simulate.Options) ([]byte, simulate.Stats, *simulate.Sim) {
	t.Helper()
	s, err := simulate.New(opts)
	require.NoError(t, err)
	var buf bytes.Buffer
	ws := simulate.NewWriterSink(&buf)
	st, err := s.Run(context.Background(), ws)
	require.NoError(t, err)
	require.NoError(t, ws.Flush())
	return buf.Bytes(), st, s
}

func sharedWorld(t *testing.T) *world {
	t.Helper()
	sharedOnce.Do(func() {
		out, st, s := generate(t, simulate.Options{Seed: 1, Chips: 2000})
		shared = world{out: out, stats: st, truth: s.Truth(), csv: s.Screening()}
		seen := map[string]bool{}
		for _, line := range bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n")) {
			ev, err := events.Decode(line)
			if err != nil {
				sharedErr = fmt.Errorf("line %.200s: %w", line, err)
				return
			}
			if seen[ev.ID] {
				continue
			}
			seen[ev.ID] = true
			shared.events = append(shared.events, ev)
		}
	})
	require.NoError(t, sharedErr)
	return &shared
}

func TestDeterministic(t *testing.T) {
	w := sharedWorld(t)
	tests := []struct {
		name  string
		opts  simulate.Options
		equal bool
	}{
		{"same seed and flags give the same bytes", simulate.Options{Seed: 1, Chips: 2000}, true},
		{"another seed gives another world", simulate.Options{Seed: 2, Chips: 2000}, false},
		{"another size gives another world", simulate.Options{Seed: 1, Chips: 2008}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, _, s := generate(t, tc.opts)
			if tc.equal {
				require.True(t, bytes.Equal(w.out, out), "two runs with the same options differ (%d and %d bytes)", len(w.out), len(out))
				var t1, t2 bytes.Buffer
				require.NoError(t, s.WriteTruth(&t1))
				require.NoError(t, json.NewEncoder(&t2).Encode(w.truth))
				assert.Equal(t, w.csv, s.Screening())
			} else {
				assert.False(t, bytes.Equal(w.out, out), "different options gave identical output")
			}
		})
	}
}

// TestLinesDecodeAndAreCanonical: every line is a valid event in its
// canonical form; a repeated id is a byte-identical retry.
func TestLinesDecodeAndAreCanonical(t *testing.T) {
	w := sharedWorld(t)
	byID := map[string][]byte{}
	var dups, skewed, backward int
	var prevOcc time.Time
	sc := bufio.NewScanner(bytes.NewReader(w.out))
	sc.Buffer(nil, events.MaxEventBytes+1)
	n := 0
	for sc.Scan() {
		line := sc.Bytes()
		n++
		ev, err := events.Decode(line)
		require.NoError(t, err, "line %d", n)
		if prev, ok := byID[ev.ID]; ok {
			require.Equal(t, string(prev), string(line), "line %d repeats id %s with other bytes", n, ev.ID)
			dups++
			continue
		}
		byID[ev.ID] = append([]byte(nil), line...)
		require.Equal(t, string(ev.Canonical()), string(line), "line %d is not canonical", n)
		if ev.RecordedAt.Before(ev.OccurredAt) {
			skewed++
		}
		if ev.OccurredAt.Before(prevOcc.Add(-24 * time.Hour)) {
			backward++
		}
		prevOcc = ev.OccurredAt
	}
	require.NoError(t, sc.Err())
	assert.EqualValues(t, w.stats.Lines, n)
	assert.EqualValues(t, w.stats.Duplicates, dups)
	assert.Positive(t, dups, "retried duplicates")
	assert.Positive(t, skewed, "publishers whose clocks run behind (recorded_at before occurred_at)")
	assert.Positive(t, backward, "late, out-of-order deliveries")
	assert.Positive(t, w.stats.Corrections, "corrections")
}

// containment maps a container to everything it ever held.
type containment map[events.UnitID][]events.UnitID

func (c containment) expand(us []events.UnitID, out map[events.UnitID]bool) {
	for _, u := range us {
		if out[u] {
			continue
		}
		out[u] = true
		c.expand(c[u], out)
	}
}

// TestBenignInvariants checks the benign world (every unit outside the
// scenarios, twins included): every shipment is received, every installed
// server is attested in its country, a chip is in at most one server at a
// time, nothing happens after destruction, nothing is recorded late enough
// to look backdated.
func TestBenignInvariants(t *testing.T) {
	w := sharedWorld(t)
	scen := map[events.UnitID]bool{}
	for _, s := range w.truth.Scenarios {
		for _, sub := range s.Subjects {
			if sub.Kind == "unit" {
				scen[events.UnitID(sub.ID)] = true
			}
		}
	}
	cont := containment{}
	retracted := map[string]bool{}
	for _, ev := range w.events {
		switch b := ev.Body.(type) {
		case *events.Packed:
			cont[b.Parent] = append(cont[b.Parent], b.Children...)
		case *events.Assembled:
			cont[b.Parent] = append(cont[b.Parent], b.Children...)
		case *events.Corrected:
			if b.Action == events.ActionRetract {
				retracted[b.Target] = true
			}
		}
	}
	benign := func(ev events.Event) bool {
		all := map[events.UnitID]bool{}
		cont.expand(ev.Subjects(), all)
		for u := range all {
			if scen[u] {
				return false
			}
		}
		return true
	}
	evs := append([]events.Event(nil), w.events...)
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].OccurredAt.Before(evs[j].OccurredAt) })
	shipped, received := map[string]bool{}, map[string]bool{}
	installedIn := map[events.UnitID]string{}
	attested := map[events.UnitID]int{}
	parent := map[events.UnitID]events.UnitID{}
	destroyed := map[events.UnitID]bool{}
	var nb int
	for _, ev := range evs {
		if !benign(ev) {
			continue
		}
		nb++
		assert.Less(t, ev.RecordedAt.Sub(ev.OccurredAt), 72*time.Hour, "event %s recorded %s after it occurred", ev.ID, ev.RecordedAt.Sub(ev.OccurredAt))
		for _, u := range ev.Subjects() {
			assert.False(t, destroyed[u], "%s %s after %s was destroyed", ev.Type, ev.ID, u)
		}
		switch b := ev.Body.(type) {
		case *events.Shipped:
			shipped[b.ShipmentID] = true
		case *events.Received:
			if b.ShipmentID != "" {
				received[b.ShipmentID] = true
			}
		case *events.Installed:
			for _, u := range b.Units {
				installedIn[u] = b.Country
			}
		case *events.LocationAttested:
			if retracted[ev.ID] {
				continue
			}
			for _, u := range b.Units {
				c, ok := installedIn[u]
				if assert.True(t, ok, "%s attested before any install", u) {
					assert.Equal(t, c, b.Country, "%s attested outside its install country", u)
				}
				attested[u]++
			}
		case *events.Assembled:
			for _, c := range b.Children {
				p, in := parent[c]
				assert.False(t, in && p != b.Parent, "%s assembled into %s while still in %s", c, b.Parent, p)
				parent[c] = b.Parent
			}
		case *events.Disassembled:
			for _, c := range b.Children {
				assert.Equal(t, b.Parent, parent[c], "%s disassembled from %s but is in %q", c, b.Parent, parent[c])
				delete(parent, c)
			}
		case *events.Destroyed:
			for _, u := range b.Units {
				destroyed[u] = true
				_, in := parent[u]
				assert.False(t, in, "%s destroyed while in a server", u)
			}
		}
	}
	assert.Greater(t, nb, len(w.events)/3, "benign events")
	for id := range shipped {
		assert.True(t, received[id], "shipment %s never received", id)
	}
	for u := range installedIn {
		if u.Kind() == events.KindSys {
			assert.Positive(t, attested[u], "installed server %s never attested", u)
		}
	}
	assert.Greater(t, len(installedIn), 100)
}

// TestTruth: every rule R1..R22 and every real case has a scenario, every
// subject is in the events, twins raise nothing.
func TestTruth(t *testing.T) {
	w := sharedWorld(t)
	units, parties, sites, countries := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, ev := range w.events {
		for _, u := range ev.Subjects() {
			units[string(u)] = true
		}
		switch b := ev.Body.(type) {
		case *events.PartyRegistered:
			parties[b.Party] = true
		case *events.SiteRegistered:
			sites[b.Site] = true
		case *events.Shipped:
			countries[b.To.Country] = true
		case *events.Installed:
			countries[b.Country] = true
		}
	}
	rules := map[string]bool{}
	var names []string
	for _, s := range w.truth.Scenarios {
		names = append(names, s.Name)
		require.NotEmpty(t, s.Subjects, s.Name)
		require.NotEmpty(t, s.Rules, s.Name)
		for _, sub := range s.Subjects {
			for _, r := range sub.Rules {
				rules[r] = true
			}
			switch sub.Kind {
			case "unit":
				assert.True(t, units[sub.ID], "%s: unit %s is in no event", s.Name, sub.ID)
			case "party":
				assert.True(t, parties[sub.ID], "%s: party %s is not registered", s.Name, sub.ID)
			case "site":
				assert.True(t, sites[sub.ID], "%s: site %s is not registered", s.Name, sub.ID)
			case "country":
				assert.True(t, countries[sub.ID], "%s: country %s is in no event", s.Name, sub.ID)
			default:
				t.Errorf("%s: subject kind %q", s.Name, sub.Kind)
			}
		}
	}
	for i := 1; i <= 22; i++ {
		assert.True(t, rules[fmt.Sprintf("R%d", i)], "no scenario raises R%d", i)
	}
	for _, c := range []string{"alx-solutions", "janford-realtor", "operation-gatekeeper", "oem-serial-transplant", "aperia-cloud", "megaspeed"} {
		assert.Contains(t, names, c)
	}
	scen := map[string]bool{}
	for _, s := range w.truth.Scenarios {
		for _, sub := range s.Subjects {
			if sub.Kind == "unit" {
				scen[sub.ID] = true
			}
		}
	}
	require.NotEmpty(t, w.truth.BenignTwins)
	for _, s := range w.truth.BenignTwins {
		assert.Empty(t, s.Rules, s.Name)
		for _, sub := range s.Subjects {
			assert.Empty(t, sub.Rules, "%s: twin subject %s", s.Name, sub.ID)
			assert.False(t, scen[sub.ID], "%s: twin subject %s is also in a scenario", s.Name, sub.ID)
			if sub.Kind == "unit" {
				assert.True(t, units[sub.ID], "%s: unit %s is in no event", s.Name, sub.ID)
			}
		}
	}
}

func TestScreeningCSV(t *testing.T) {
	w := sharedWorld(t)
	rows, err := csv.NewReader(bytes.NewReader(w.csv)).ReadAll()
	require.NoError(t, err)
	const header = "_id,source,entity_number,type,programs,name,title,addresses,federal_register_notice,start_date,end_date,standard_order,license_requirement,license_policy,call_sign,vessel_type,gross_tonnage,gross_registered_tonnage,vessel_flag,vessel_owner,remarks,source_list_url,alt_names,citizenships,dates_of_birth,nationalities,places_of_birth,source_information_url,ids"
	require.Equal(t, header, strings.Join(rows[0], ","))
	require.Greater(t, len(rows), 20)
	names := map[string]bool{}
	for _, r := range rows[1:] {
		require.Len(t, r, 29)
		names[r[5]] = true
	}
	for _, n := range []string{"Anatolia Bilisim Dis Ticaret A.S.", "Shenzhen Qianhai Kunpeng Technology Co., Ltd.", "Petrel Trade Holdings Limited"} {
		assert.True(t, names[n], "restricted party %q missing", n)
	}
	// The ledger carries the same list.
	var found bool
	for _, ev := range w.events {
		if b, ok := ev.Body.(*events.ScreeningActivated); ok {
			found = true
			assert.Equal(t, events.Digest(w.csv), b.Digest)
		}
	}
	assert.True(t, found, "screening.activated.v1")
}

func TestOptions(t *testing.T) {
	tests := []struct {
		name string
		opts simulate.Options
		ok   bool
	}{
		{"zero value", simulate.Options{}, true},
		{"smallest", simulate.Options{Chips: simulate.MinChips}, true},
		{"too few chips", simulate.Options{Chips: simulate.MinChips - 1}, false},
		{"too many chips", simulate.Options{Chips: simulate.MaxChips + 1}, false},
		{"too few months", simulate.Options{Months: 12}, false},
		{"more months", simulate.Options{Months: 24}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := simulate.New(tc.opts)
			if tc.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
}

// TestDefaultThresholds guards the embedded policy/thresholds.json.
func TestDefaultThresholds(t *testing.T) {
	th := policy.DefaultThresholds()
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"hub dwell days (R7)", float64(th.HubDwellDays), 14},
		{"install deadline days (R8)", float64(th.InstallDeadlineDays), 60},
		{"attestation gap days (R8)", float64(th.AttestationGapDays), 21},
		{"backdating gap hours (R22)", float64(th.BackdatingGapHours), 72},
		{"impossible travel km/h (R9)", th.ImpossibleTravelKMH, 1000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, tc.got) })
	}
	assert.Equal(t, events.Date("2022-10-07"), th.NewCustomerAfter)
	assert.Equal(t, events.Date("2025-07-14"), th.MalaysiaPermitEffective)
	assert.Positive(t, th.OrderSplittingUnits)
	assert.Positive(t, th.CapacityMismatchRatio)
	assert.Len(t, th.Sources, 18, "a source per threshold")
	th.Sources["hub_dwell_days"] = "changed"
	assert.NotEqual(t, "changed", policy.DefaultThresholds().Sources["hub_dwell_days"], "each call returns its own copy")
}

// memSink samples the heap while the world streams.
type memSink struct {
	n       int64
	maxHeap uint64
}

func (m *memSink) Event(_, _ []byte) error {
	m.n++
	if m.n%100_000 == 0 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		m.maxHeap = max(m.maxHeap, ms.HeapAlloc)
	}
	return nil
}

// TestMemoryBounded streams 200,000 chips and checks that the heap stays
// small: nothing grows with the number of chips.
func TestMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 200,000 chips")
	}
	// Other tests' data stays in this process: measure above it.
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	s, err := simulate.New(simulate.Options{Seed: 3, Chips: 200_000})
	require.NoError(t, err)
	var m memSink
	st, err := s.Run(context.Background(), &m)
	require.NoError(t, err)
	assert.Greater(t, st.Lines, int64(1_000_000))
	grew := m.maxHeap - min(base, m.maxHeap)
	assert.Less(t, grew, uint64(200<<20), "heap grew by %d MB", grew>>20)
	t.Logf("%d lines, %.1f per chip, heap grew by at most %d MB (HeapAlloc, garbage included)", st.Lines, float64(st.Lines)/float64(st.Chips), grew>>20)
}

// TestCancel stops a run when its context ends.
func TestCancel(t *testing.T) {
	s, err := simulate.New(simulate.Options{Seed: 1, Chips: 100})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = s.Run(ctx, simulate.NewWriterSink(io.Discard))
	assert.ErrorIs(t, err, context.Canceled)
}

// TestSpill: when the day buckets hold too much, the earliest is written
// early; no line is lost or changed, only the order differs.
func TestSpill(t *testing.T) {
	w := sharedWorld(t)
	restore := simulate.SetMaxHeld(16 << 10)
	out, st, _ := generate(t, simulate.Options{Seed: 1, Chips: 2000})
	restore()
	assert.Equal(t, w.stats.Lines, st.Lines)
	sortLines := func(b []byte) []string {
		ls := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		sort.Strings(ls)
		return ls
	}
	assert.Equal(t, sortLines(w.out), sortLines(out), "the same lines")
	assert.False(t, bytes.Equal(w.out, out), "in another order")
}
