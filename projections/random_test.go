package projections_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/policy"
	"github.com/chipledger/chipledger/projections"
)

// randomStory generates n events about a small world of chips, servers
// and pallets, anomalies included (a unit put into two containers,
// unpacked from one it is not in, containment cycles, corrections of
// events that come later or never), every one at a distinct occurred_at.
func randomStory(t testing.TB, seed uint64, n int) []events.Event {
	r := rand.New(rand.NewPCG(seed, 7))
	chips := []string{"chip:C0", "chip:C1", "chip:C2", "chip:C3", "chip:C4", "chip:C5"}
	syss := []string{"sys:S0", "sys:S1", "sys:S2"}
	pkgs := []string{"pkg:P0", "pkg:P1"}
	all := append(append(append([]string(nil), chips...), syss...), pkgs...)
	parties := []string{"P-A", "P-B", "P-C", "P-D"}
	sites := []string{"S-A", "S-B", "S-C"}
	countries := []string{"US", "SG", "MY", "AE"}
	pick := func(ss []string) string { return ss[r.IntN(len(ss))] }
	some := func(ss []string, not string) []string {
		var out []string
		for _, i := range r.Perm(len(ss))[:1+r.IntN(3)] {
			if ss[i] != not {
				out = append(out, ss[i])
			}
		}
		if len(out) == 0 {
			out = []string{ss[0]}
			if ss[0] == not {
				out = []string{ss[1]}
			}
		}
		return out
	}
	times := r.Perm(n * 2)
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(i int) string { return base.Add(time.Duration(times[i]) * time.Minute).Format(time.RFC3339) }
	body := func() (string, string) {
		switch r.IntN(13) {
		case 0:
			u := pick(append(chips, syss...))
			return events.TypeCommissioned, fmt.Sprintf(`{"unit":%q,"manufacturer":%q,"model":%q,"serial":"X","country":%q}`,
				u, pick(parties), pick([]string{"H100-SXM5-80GB", "B200", "H20", "UNKNOWN-1"}), pick(countries))
		case 1, 2:
			p := pick(syss)
			typ := events.TypeAssembled
			if r.IntN(3) == 0 {
				typ = events.TypeDisassembled
			}
			return typ, fmt.Sprintf(`{"parent":%q,"children":[%s],"site":%q}`, p, quoteAll(some(append(chips, syss...), p)), pick(sites))
		case 3, 4:
			p := pick(pkgs)
			typ := events.TypePacked
			if r.IntN(3) == 0 {
				typ = events.TypeUnpacked
			}
			return typ, fmt.Sprintf(`{"parent":%q,"children":[%s]}`, p, quoteAll(some(all, p)))
		case 5, 6:
			return events.TypeShipped, fmt.Sprintf(`{"units":[%s],"from":{"party":%q,"country":%q},"to":{"party":%q,"country":%q}}`,
				quoteAll(some(all, "")), pick(parties), pick(countries), pick(parties), pick(countries))
		case 7:
			return events.TypeReceived, fmt.Sprintf(`{"units":[%s],"at":{"party":%q,"site":%q,"country":%q}}`,
				quoteAll(some(all, "")), pick(parties), pick(sites), pick(countries))
		case 8:
			return events.TypeInstalled, fmt.Sprintf(`{"units":[%s],"site":%q,"country":%q}`, quoteAll(some(all, "")), pick(sites), pick(countries))
		case 9:
			return events.TypeLocationAttested, fmt.Sprintf(`{"units":[%s],"country":%q,"method":"gps","attestor":"P-A"}`, quoteAll(some(chips, "")), pick(countries))
		case 10:
			return events.TypeOwnershipTransferred, fmt.Sprintf(`{"units":[%s],"seller":%q,"buyer":%q}`, quoteAll(some(all, "")), pick(parties), pick(parties))
		case 11:
			return events.TypeReturned, fmt.Sprintf(`{"units":[%s],"from":%q,"to":%q}`, quoteAll(some(all, "")), pick(parties), pick(parties))
		default:
			typ := pick([]string{events.TypeDestroyed, events.TypeReportedLost})
			if typ == events.TypeDestroyed {
				return typ, fmt.Sprintf(`{"units":[%q],"by":"P-A"}`, pick(chips))
			}
			return typ, fmt.Sprintf(`{"units":[%q],"party":"P-A"}`, pick(chips))
		}
	}
	var evs []events.Event
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("e%03d", i)
		if i > 0 && r.IntN(8) == 0 {
			target := fmt.Sprintf("e%03d", r.IntN(n)) // earlier, later, itself or never a unit event
			if r.IntN(2) == 0 {
				evs = append(evs, mk(t, id, events.TypeCorrected, at(i), fmt.Sprintf(`{"target":%q,"action":"retract","reason":"r"}`, target)))
				continue
			}
			// An amendment: the target's type is unknown here, so it
			// may be ignored (another type) or replace it.
			typ, b := body()
			b = strings.ReplaceAll(b, "chip:C0", fmt.Sprintf("chip:Z%d", i)) // a unit only the amendment names
			amended := mk(t, target, typ, at(n+i), b)
			evs = append(evs, mk(t, id, events.TypeCorrected, at(i), fmt.Sprintf(`{"target":%q,"action":"amend","reason":"r","amended":%s}`,
				target, amended.Canonical())))
			continue
		}
		typ, b := body()
		evs = append(evs, mk(t, id, typ, at(i), b))
	}
	return evs
}

// checkConsistent checks that every unit's current state, kept
// incrementally, is the state after the last step of its chain, folded
// afresh.
func checkConsistent(t testing.TB, l *ledger) {
	for _, u := range l.p.Units() {
		st := l.unit(string(u))
		steps := l.chain(string(u))
		if len(steps) == 0 {
			require.Equal(t, []string{"", "", "", "", ""}, []string{st.Holder, st.Owner, st.Site, st.Country, st.Status}, "unit %s without steps", u)
			require.Zero(t, st.LastSeq)
			continue
		}
		last := steps[len(steps)-1]
		require.Equal(t, []string{last.Holder, last.Owner, last.Site, last.Country, last.Status},
			[]string{st.Holder, st.Owner, st.Site, st.Country, st.Status}, "unit %s: state vs its chain's last step", u)
		require.Equal(t, last.Seq, st.LastSeq, "unit %s", u)
	}
}

func TestRandomOrders(t *testing.T) {
	for seed := range uint64(40) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			randomOrders(t, seed, 60)
		})
	}
}

func randomOrders(t *testing.T, seed uint64, n int) {
	evs := randomStory(t, seed, n)
	ref := newLedger(t)
	ref.apply(evs...)
	checkConsistent(t, ref)
	want := ref.dump(false)
	r := rand.New(rand.NewPCG(seed, 99))
	for k := 0; k < 4; k++ {
		order := append([]events.Event(nil), evs...)
		if k == 0 {
			for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
				order[i], order[j] = order[j], order[i]
			}
		} else {
			r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		l := newLedger(t)
		l.apply(order...)
		checkConsistent(t, l)
		got := l.dump(false)
		if got != want {
			gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
			for i := range min(len(gl), len(wl)) {
				require.Equal(t, wl[i], gl[i], "order %d: first differing unit", k)
			}
		}
		require.Equal(t, want, got, "order %d", k)
		for _, by := range []string{projections.ByParty, projections.BySite, projections.ByCountry} {
			for _, id := range []string{"P-A", "P-B", "P-C", "P-D", "S-A", "S-B", "S-C", "US", "SG", "MY", "AE"} {
				require.Equal(t, ref.holdings(by, id), l.holdings(by, id), "order %d: holdings %s %s", k, by, id)
			}
		}
		snap, err := l.p.MarshalBinary()
		require.NoError(t, err)
		restored := &ledger{t: t, p: projections.New(policy.Default()), src: l.src}
		require.NoError(t, restored.p.UnmarshalBinary(snap))
		require.Equal(t, got, restored.dump(false), "order %d: restored", k)
	}
}

// FuzzApplyOrder runs the order-independence check on stories of any seed.
func FuzzApplyOrder(f *testing.F) {
	for seed := range uint64(4) {
		f.Add(seed, uint8(40))
	}
	f.Fuzz(func(t *testing.T, seed uint64, n uint8) {
		if n < 2 {
			return
		}
		randomOrders(t, seed, int(n))
	})
}
