package ledger_test

import (
	"context"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/ledger"
)

// A document's original bytes are an entry of their own (version 2, kind
// document) and the events mapped from it cite it and their position.
func TestDocumentEntries(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	doc := ledger.Record{EventID: "epcis:doc-1", Document: true, Original: []byte(`{"type":"EPCISDocument","epcisBody":{"eventList":[{},{}]}}`),
		Source: ledger.Source{Name: "chip-events", Partition: 2, Offset: 7}, Received: t0}
	e0, e1 := record("ev-0", 7), record("ev-1", 7)
	e0.Doc, e1.Doc = &ledger.DocRef{ID: doc.EventID, Pos: 0}, &ledger.DocRef{ID: doc.EventID, Pos: 1}
	native := record("native-1", 8)
	res, err := s.Append(ledger.Batch{Records: []ledger.Record{doc, e0, e1, native}})
	require.NoError(t, err)
	require.Equal(t, 4, res.Appended)

	d, err := s.Entry(1)
	require.NoError(t, err)
	require.True(t, d.Document())
	require.Equal(t, uint8(ledger.EntryVersionDoc), d.Version)
	require.Equal(t, doc.Original, d.Original)
	require.Empty(t, d.Canonical)
	for i, want := range []uint32{0, 1} {
		e, err := s.Entry(uint64(2 + i))
		require.NoError(t, err)
		require.False(t, e.Document())
		require.Equal(t, uint64(1), e.DocSeq)
		require.Equal(t, want, e.DocPos)
	}
	n, err := s.Entry(4)
	require.NoError(t, err)
	require.Equal(t, uint8(ledger.EntryVersion), n.Version, "native events keep version 1")
	require.Zero(t, n.DocSeq)

	// The same document again: all duplicates; a later event of it still
	// cites the document's first entry.
	e2 := record("ev-2", 9)
	e2.Doc = &ledger.DocRef{ID: doc.EventID, Pos: 2}
	res, err = s.Append(ledger.Batch{Records: []ledger.Record{doc, e0, e2}})
	require.NoError(t, err)
	require.Equal(t, 2, res.Duplicates)
	require.Equal(t, 1, res.Appended)
	e, err := s.Entry(5)
	require.NoError(t, err)
	require.Equal(t, uint64(1), e.DocSeq)

	// An event whose document is quarantined is quarantined too.
	bad := doc
	bad.EventID, bad.Canonical = "epcis:doc-bad", []byte("x")
	e3 := record("ev-3", 10)
	e3.Doc = &ledger.DocRef{ID: bad.EventID}
	res, err = s.Append(ledger.Batch{Records: []ledger.Record{bad, e3}})
	require.NoError(t, err)
	require.Equal(t, 0, res.Appended)
	require.Equal(t, 2, res.Quarantined)

	// A reference to an event, or to a document appended in an earlier
	// batch, resolves by id.
	e4 := record("ev-4", 11)
	e4.Doc = &ledger.DocRef{ID: "ev-0"}
	e6 := record("ev-6", 12)
	e6.Doc = &ledger.DocRef{ID: doc.EventID, Pos: 5}
	res, err = s.Append(ledger.Batch{Records: []ledger.Record{e4, e6}})
	require.NoError(t, err)
	require.Equal(t, 1, res.Quarantined, "ev-0 is an event, not a document")
	require.Equal(t, 1, res.Appended)
	e, err = s.Entry(6)
	require.NoError(t, err)
	require.Equal(t, uint64(1), e.DocSeq)
	require.Equal(t, uint32(5), e.DocPos)

	head, err := s.Verify(context.Background(), nil)
	require.NoError(t, err)
	require.Equal(t, uint64(6), head.Seq)
	// Round trip through the encoding.
	raw := ledger.EncodeDocEntry(ledger.DocEntry{Kind: ledger.KindEvent, Seq: 9, EventID: "x", Original: []byte("o"), Canonical: []byte("c"), DocSeq: 3, DocPos: 4})
	got, err := ledger.DecodeEntry(raw)
	require.NoError(t, err)
	require.Equal(t, uint64(3), got.DocSeq)
	_, err = ledger.DecodeEntry(ledger.EncodeDocEntry(ledger.DocEntry{Kind: ledger.KindEvent, Seq: 9, EventID: "x", Canonical: []byte("c"), DocSeq: 9}))
	require.ErrorIs(t, err, ledger.ErrMalformed, "a document reference must be earlier")
	_, err = ledger.DecodeEntry(ledger.EncodeDocEntry(ledger.DocEntry{Kind: ledger.KindDocument, Seq: 9, EventID: "x", Canonical: []byte("c")}))
	require.ErrorIs(t, err, ledger.ErrMalformed, "a document carries no canonical event")
}
