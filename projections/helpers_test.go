package projections_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/policy"
	"github.com/chipledger/chipledger/projections"
)

// memSource is an in-memory Source: the replica's store in tests.
type memSource map[uint64]projections.Entry

func (m memSource) Entry(seq uint64) (projections.Entry, error) {
	e, ok := m[seq]
	if !ok {
		return projections.Entry{}, fmt.Errorf("entry %d: %w", seq, projections.ErrNotFound)
	}
	return e, nil
}

// ledger feeds a projection entries with consecutive sequences and keeps
// them in a memSource.
type ledger struct {
	t   testing.TB
	p   *projections.Projection
	src memSource
	seq uint64
}

func newLedger(t testing.TB) *ledger {
	return &ledger{t: t, p: projections.New(policy.Default()), src: memSource{}}
}

// apply appends events as the next entries.
func (l *ledger) apply(evs ...events.Event) {
	l.t.Helper()
	for _, ev := range evs {
		l.seq++
		sum := sha256.Sum256(append([]byte(fmt.Sprint(l.seq)), ev.Canonical()...))
		e := projections.Entry{Seq: l.seq, Hash: hex.EncodeToString(sum[:]), Event: ev}
		l.src[l.seq] = e
		require.NoError(l.t, l.p.Apply(e), "apply %s %s", ev.Type, ev.ID)
	}
}

func (l *ledger) chain(u string) []projections.Step {
	l.t.Helper()
	steps, err := l.p.Chain(l.src, events.UnitID(u))
	require.NoError(l.t, err)
	return steps
}

func (l *ledger) unit(u string) projections.UnitState {
	l.t.Helper()
	st, err := l.p.Unit(l.src, events.UnitID(u))
	require.NoError(l.t, err)
	return st
}

func (l *ledger) holdings(by, id string) projections.Holdings {
	l.t.Helper()
	h, err := l.p.Holdings(l.src, by, id)
	require.NoError(l.t, err)
	return h
}

func (l *ledger) dump(coords bool) string {
	l.t.Helper()
	var b bytes.Buffer
	require.NoError(l.t, l.p.Dump(l.src, &b, coords))
	return b.String()
}

// decode decodes one event strictly, as the ledger does.
func decode(t testing.TB, line string) events.Event {
	t.Helper()
	ev, err := events.Decode([]byte(line))
	require.NoError(t, err, "decode %s", line)
	return ev
}

// mk builds an event from its parts: body is the JSON object of its body;
// recorded_at equals occurred_at.
func mk(t testing.TB, id, typ, occurred, body string) events.Event {
	t.Helper()
	return decode(t, fmt.Sprintf(`{"id":%q,"type":%q,"occurred_at":%q,"recorded_at":%q,"publisher":"P-TEST","body":%s}`,
		id, typ, occurred, occurred, body))
}

// examples reads events/testdata/examples.jsonl.
func examples(t testing.TB) []events.Event {
	t.Helper()
	f, err := os.Open("../events/testdata/examples.jsonl")
	require.NoError(t, err)
	defer f.Close()
	var out []events.Event
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			out = append(out, decode(t, line))
		}
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, out)
	return out
}

// types returns the type of every step, in order.
func types(steps []projections.Step) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.Type
	}
	return out
}

// find returns the steps of a type.
func find(steps []projections.Step, typ string) []projections.Step {
	var out []projections.Step
	for _, s := range steps {
		if s.Type == typ {
			out = append(out, s)
		}
	}
	return out
}

// Short event builders for the scenarios.

func commission(t testing.TB, id, at, unit, model string) events.Event {
	return mk(t, id, events.TypeCommissioned, at, fmt.Sprintf(
		`{"unit":%q,"manufacturer":"P-NVIDIA","model":%q,"serial":%q,"country":"TW"}`, unit, model, events.UnitID(unit).Serial()))
}

func contain(t testing.TB, id, typ, at, parent string, children ...string) events.Event {
	return mk(t, id, typ, at, fmt.Sprintf(`{"parent":%q,"children":[%s]}`, parent, quoteAll(children)))
}

func ship(t testing.TB, id, at, from, fromCountry, to, toCountry string, units ...string) events.Event {
	return mk(t, id, events.TypeShipped, at, fmt.Sprintf(
		`{"units":[%s],"from":{"party":%q,"country":%q},"to":{"party":%q,"country":%q},"carrier":"P-DHL"}`,
		quoteAll(units), from, fromCountry, to, toCountry))
}

func receive(t testing.TB, id, at, party, site, country string, units ...string) events.Event {
	return mk(t, id, events.TypeReceived, at, fmt.Sprintf(
		`{"units":[%s],"at":{"party":%q,"site":%q,"country":%q}}`, quoteAll(units), party, site, country))
}

func install(t testing.TB, id, at, site, country string, units ...string) events.Event {
	return mk(t, id, events.TypeInstalled, at, fmt.Sprintf(`{"units":[%s],"site":%q,"country":%q}`, quoteAll(units), site, country))
}

func retract(t testing.TB, id, at, target string) events.Event {
	return mk(t, id, events.TypeCorrected, at, fmt.Sprintf(`{"target":%q,"action":"retract","reason":"entered in error"}`, target))
}

func amend(t testing.TB, id, at string, amended events.Event) events.Event {
	return mk(t, id, events.TypeCorrected, at, fmt.Sprintf(`{"target":%q,"action":"amend","reason":"wrong party","amended":%s}`,
		amended.ID, amended.Canonical()))
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ",")
}
