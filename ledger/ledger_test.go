package ledger_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/ledger"
)

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func record(id string, line int64, subjects ...string) ledger.Record {
	body := fmt.Sprintf(`{"id":%q,"type":"unit.received.v1"}`, id)
	return ledger.Record{
		EventID:   id,
		Subjects:  subjects,
		Original:  []byte(body + "\n"),
		Canonical: []byte(body),
		Source:    ledger.Source{Name: "events.jsonl", Partition: -1, Offset: line},
		Received:  t0.Add(time.Duration(line) * time.Second),
	}
}

func openMem(t testing.TB, fs vfs.FS) *ledger.Store {
	t.Helper()
	s, err := ledger.Open("ledger", &ledger.Options{FS: fs})
	require.NoError(t, err)
	return s
}

func TestAppendReadBack(t *testing.T) {
	fs := vfs.NewMem()
	s := openMem(t, fs)
	res, err := s.Append(ledger.Batch{
		Records: []ledger.Record{record("a", 1, "chip:A1"), record("b", 2, "chip:A1", "sys:S1"), record("c", 3, "sys:S1")},
		Offsets: []ledger.Offset{{Topic: "chip-events", Partition: 2, Next: 42}},
	})
	require.NoError(t, err)
	assert.Equal(t, 3, res.Appended)
	assert.Equal(t, uint64(3), res.Head.Seq)
	assert.Equal(t, res.Head, s.Head())

	e2, err := s.Entry(2)
	require.NoError(t, err)
	assert.Equal(t, "b", e2.EventID)
	assert.Equal(t, []byte(`{"id":"b","type":"unit.received.v1"}`), e2.Canonical)
	assert.Equal(t, ledger.Source{Name: "events.jsonl", Partition: -1, Offset: 2}, e2.Source)
	assert.True(t, e2.Received.Equal(t0.Add(2*time.Second)), "received %v", e2.Received)
	e1, err := s.Entry(1)
	require.NoError(t, err)
	assert.True(t, e1.Prev.IsZero(), "entry 1 has a zero predecessor")
	assert.Equal(t, e1.Hash, e2.Prev, "entry 2 names entry 1's hash")
	assert.Equal(t, ledger.Hash(sha256.Sum256(e2.Raw)), e2.Hash, "the hash is SHA-256 over the raw bytes")

	byID, err := s.EntryByID("c")
	require.NoError(t, err)
	assert.Equal(t, uint64(3), byID.Seq)
	_, err = s.EntryByID("zzz")
	assert.ErrorIs(t, err, ledger.ErrNotFound)
	_, err = s.Entry(4)
	assert.ErrorIs(t, err, ledger.ErrNotFound)

	var seqs []uint64
	require.NoError(t, s.BySubject("sys:S1", func(e ledger.Entry) error { seqs = append(seqs, e.Seq); return nil }))
	assert.Equal(t, []uint64{2, 3}, seqs)
	seqs = nil
	require.NoError(t, s.BySubject("chip:A", func(e ledger.Entry) error { seqs = append(seqs, e.Seq); return nil }))
	assert.Empty(t, seqs, "a subject prefix of another subject matches nothing")

	seqs = nil
	require.NoError(t, s.Scan(2, func(e ledger.Entry) error { seqs = append(seqs, e.Seq); return nil }))
	assert.Equal(t, []uint64{2, 3}, seqs)

	offs, err := s.Offsets("chip-events")
	require.NoError(t, err)
	assert.Equal(t, map[int32]int64{2: 42}, offs)

	// Everything survives a reopen.
	require.NoError(t, s.Close())
	s = openMem(t, fs)
	defer s.Close()
	assert.Equal(t, res.Head, s.Head())
	head, err := s.Verify(context.Background(), nil)
	require.NoError(t, err)
	assert.Equal(t, res.Head, head)
}

func TestDuplicatesAndConflicts(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	_, err := s.Append(ledger.Batch{Records: []ledger.Record{record("a", 1, "chip:A1")}})
	require.NoError(t, err)

	changed := record("a", 4, "chip:A1")
	changed.Canonical = []byte(`{"id":"a","type":"unit.shipped.v1"}`)
	res, err := s.Append(ledger.Batch{Records: []ledger.Record{
		record("a", 2, "chip:A1"), // duplicate of a stored entry
		record("b", 3),
		record("b", 3), // duplicate within the batch
		changed,        // conflict with a stored entry
	}})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Appended)
	assert.Equal(t, 2, res.Duplicates)
	assert.Equal(t, 1, res.Conflicts)
	assert.Equal(t, 1, res.Quarantined)
	assert.Equal(t, uint64(2), res.Head.Seq)

	qs, err := s.Quarantine(ledger.QuarantineFilter{})
	require.NoError(t, err)
	require.Len(t, qs, 1)
	assert.Equal(t, ledger.ReasonConflict, qs[0].Reason)
	assert.Equal(t, uint64(1), qs[0].Existing)
	assert.Equal(t, changed.Original, qs[0].Original, "quarantine keeps the input byte for byte")
	assert.Contains(t, qs[0].Detail, "sequence 1")
}

func TestQuarantineAndRetry(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	bad := []byte("{not json\xff")
	res, err := s.Append(ledger.Batch{
		Records: []ledger.Record{record("a", 2)},
		Rejects: []ledger.Quarantined{{Reason: "not_json", Detail: "events: invalid character", Original: bad, Source: ledger.Source{Name: "t", Partition: 0, Offset: 7}}},
	})
	require.NoError(t, err)
	require.Len(t, res.Quarantine, 1)
	id := res.Quarantine[0].ID
	assert.Equal(t, uint64(1), id)

	open, err := s.Quarantine(ledger.QuarantineFilter{OpenOnly: true})
	require.NoError(t, err)
	require.Len(t, open, 1)
	assert.Equal(t, bad, open[0].Original)
	assert.Equal(t, "t/0@7", open[0].Source.String())

	fixed := record("fixed", 7)
	fixed.Resolves = id
	res, err = s.Append(ledger.Batch{Records: []ledger.Record{fixed}})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Appended)
	q, err := s.Quarantined(id)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), q.Resolved)
	open, err = s.Quarantine(ledger.QuarantineFilter{OpenOnly: true})
	require.NoError(t, err)
	assert.Empty(t, open)

	// A second retry of the same fix is a duplicate: nothing is appended twice.
	res, err = s.Append(ledger.Batch{Records: []ledger.Record{fixed}})
	require.NoError(t, err)
	assert.Equal(t, 0, res.Appended)
	assert.Equal(t, 1, res.Duplicates)
}

func TestInvalidRecordIsQuarantined(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	r := record("", 1)
	res, err := s.Append(ledger.Batch{Records: []ledger.Record{r, record("ok", 2)}})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Appended)
	require.Len(t, res.Quarantine, 1)
	assert.Equal(t, "invalid", res.Quarantine[0].Reason)
}

// tamper rewrites the stored value of one entry through Pebble directly.
func tamper(t *testing.T, fs vfs.FS, seq uint64, rewriteHash bool) {
	t.Helper()
	db, err := pebble.Open("ledger", &pebble.Options{FS: fs})
	require.NoError(t, err)
	key := append([]byte{'e'}, make([]byte, 8)...)
	for i := 0; i < 8; i++ {
		key[1+i] = byte(seq >> (56 - 8*i))
	}
	v, closer, err := db.Get(key)
	require.NoError(t, err)
	v = append([]byte(nil), v...)
	require.NoError(t, closer.Close())
	raw := v[:len(v)-ledger.HashSize]
	raw[len(raw)-ledger.HashSize-10] ^= 0x01 // a byte inside the canonical event
	if rewriteHash {
		h := ledger.HashEntry(raw)
		copy(v[len(raw):], h[:])
	}
	require.NoError(t, db.Set(key, v, pebble.Sync))
	require.NoError(t, db.Close())
}

func TestVerifyFindsTampering(t *testing.T) {
	for _, tc := range []struct {
		name        string
		rewriteHash bool
	}{
		{"byte changed", false},
		{"byte changed and stored hash recomputed", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := vfs.NewMem()
			s := openMem(t, fs)
			var recs []ledger.Record
			for i := 1; i <= 50; i++ {
				recs = append(recs, record(fmt.Sprintf("ev-%d", i), int64(i)))
			}
			_, err := s.Append(ledger.Batch{Records: recs})
			require.NoError(t, err)
			_, err = s.Verify(context.Background(), nil)
			require.NoError(t, err)
			require.NoError(t, s.Close())

			tamper(t, fs, 17, tc.rewriteHash)

			s = openMem(t, fs)
			defer s.Close()
			_, err = s.Verify(context.Background(), nil)
			var be *ledger.BrokenError
			require.True(t, errors.As(err, &be), "got %v, want a BrokenError", err)
			assert.Equal(t, uint64(17), be.Seq, "got %v", err)
		})
	}
}

func TestVerifyFindsTamperedLastEntry(t *testing.T) {
	fs := vfs.NewMem()
	s := openMem(t, fs)
	_, err := s.Append(ledger.Batch{Records: []ledger.Record{record("a", 1), record("b", 2)}})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	tamper(t, fs, 2, true)
	s = openMem(t, fs)
	defer s.Close()
	_, err = s.Verify(context.Background(), nil)
	var be *ledger.BrokenError
	require.True(t, errors.As(err, &be), "got %v", err)
	assert.Equal(t, uint64(2), be.Seq, "the head no longer matches the last entry: %v", err)
}

func TestSecondOpenIsRefused(t *testing.T) {
	dir := t.TempDir()
	s, err := ledger.Open(dir, nil)
	require.NoError(t, err)
	defer s.Close()
	_, err = ledger.Open(dir, nil)
	require.ErrorIs(t, err, ledger.ErrLocked)
}

func TestEntryEncoding(t *testing.T) {
	var prev ledger.Hash
	prev[0] = 9
	raw := ledger.EncodeEntry(7, t0, ledger.Source{Name: "chip-events", Partition: 3, Offset: 99}, "id-1", []byte("orig"), []byte("canon"), prev)
	e, err := ledger.DecodeEntry(raw)
	require.NoError(t, err)
	assert.Equal(t, uint64(7), e.Seq)
	assert.True(t, e.Received.Equal(t0))
	assert.Equal(t, "chip-events/3@99", e.Source.String())
	assert.Equal(t, "id-1", e.EventID)
	assert.Equal(t, []byte("orig"), e.Original)
	assert.Equal(t, []byte("canon"), e.Canonical)
	assert.Equal(t, prev, e.Prev)
	assert.Equal(t, raw, e.Raw)

	for _, bad := range [][]byte{nil, {2}, raw[:len(raw)-1], append(append([]byte(nil), raw...), 0)} {
		_, err := ledger.DecodeEntry(bad)
		assert.ErrorIs(t, err, ledger.ErrMalformed, "input %x", bad)
	}
}

func FuzzDecodeEntry(f *testing.F) {
	f.Add(ledger.EncodeEntry(1, t0, ledger.Source{Name: "x", Partition: -1, Offset: 1}, "a", []byte("o"), []byte("c"), ledger.Hash{}))
	f.Add([]byte{1, 0, 0})
	f.Add([]byte{})
	f.Add(ledger.EncodeDocEntry(ledger.DocEntry{Kind: ledger.KindDocument, Seq: 1, Received: t0, EventID: "d", Original: []byte("{}")}))
	f.Add(ledger.EncodeDocEntry(ledger.DocEntry{Kind: ledger.KindEvent, Seq: 2, Received: t0, EventID: "e", Original: []byte("o"), Canonical: []byte("c"), DocSeq: 1, DocPos: 3}))
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := ledger.DecodeEntry(raw)
		if err != nil {
			return
		}
		again := ledger.EncodeEntry(e.Seq, e.Received, e.Source, e.EventID, e.Original, e.Canonical, e.Prev)
		if e.Version == ledger.EntryVersionDoc {
			again = ledger.EncodeDocEntry(ledger.DocEntry{Kind: e.Kind, Seq: e.Seq, Received: e.Received, Source: e.Source, EventID: e.EventID,
				Original: e.Original, Canonical: e.Canonical, DocSeq: e.DocSeq, DocPos: e.DocPos, Prev: e.Prev})
		}
		if string(again) != string(raw) {
			t.Fatalf("re-encoding differs:\n got %x\nwant %x", again, raw)
		}
	})
}

func TestMirror(t *testing.T) {
	src := openMem(t, vfs.NewMem())
	defer src.Close()
	_, err := src.Append(ledger.Batch{Records: []ledger.Record{record("a", 1), record("b", 2), record("c", 3)}})
	require.NoError(t, err)
	var entries []ledger.Entry
	require.NoError(t, src.Scan(1, func(e ledger.Entry) error { entries = append(entries, e); return nil }))

	dst := openMem(t, vfs.NewMem())
	defer dst.Close()
	changed := dst.Changed()
	head, err := dst.Mirror(entries[:2], []ledger.Offset{{Topic: "chip-ledger", Partition: 0, Next: 2}}, map[string][]byte{"snap": []byte("x")})
	require.NoError(t, err)
	assert.Equal(t, uint64(2), head.Seq)
	select {
	case <-changed:
	default:
		t.Fatal("Changed was not signalled")
	}
	_, err = dst.Mirror(entries[:1], nil, nil)
	assert.ErrorIs(t, err, ledger.ErrNotNext, "a repeat does not extend the chain")
	bad := entries[2]
	bad.Raw = append([]byte(nil), bad.Raw...)
	bad.Raw[20] ^= 1
	_, err = dst.Mirror([]ledger.Entry{bad}, nil, nil)
	assert.ErrorIs(t, err, ledger.ErrNotNext, "altered bytes are refused")
	head, err = dst.Mirror(entries[2:], nil, nil)
	require.NoError(t, err)
	assert.Equal(t, src.Head(), head, "the mirror's head is the source's")
	v, err := dst.Meta("snap")
	require.NoError(t, err)
	assert.Equal(t, []byte("x"), v)
	_, err = dst.Verify(context.Background(), nil)
	require.NoError(t, err)
	e, err := dst.EntryByID("b")
	require.NoError(t, err)
	assert.Equal(t, entries[1].Raw, e.Raw)
}
