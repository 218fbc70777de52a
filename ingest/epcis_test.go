package ingest_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/epcis"
	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/ingest"
	"github.com/chipledger/chipledger/ledger"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/replica"
	"github.com/chipledger/chipledger/simulate"
)

// siteRegistration registers the story's data center, which its EPCIS
// document names without master data: reference data is native in both.
const siteRegistration = `{"id":"0193f000-0000-7000-8000-0000000000aa","type":"site.registered.v1","occurred_at":"2024-12-01T00:00:00Z","recorded_at":"2024-12-01T00:00:00Z","publisher":"P-CHIPLEDGER","body":{"site":"S-MERLION-DC1","party":"P-MERLION-CLOUD","country":"SG","kind":"datacenter"}}`

// importFile imports a file into a new ledger with the EPCIS reader, after
// the story's site registration.
func importFile(t *testing.T, file string) (*ledger.Store, ingest.Counts) {
	t.Helper()
	s, err := ledger.Open(filepath.Join(t.TempDir(), "ledger"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	_, err = ingest.Import(context.Background(), s, strings.NewReader(siteRegistration+"\n"), "sites.jsonl", ingest.ImportOptions{})
	require.NoError(t, err)
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	c, err := ingest.Import(context.Background(), s, f, filepath.Base(file), ingest.ImportOptions{Documents: ingest.EPCISReader(s, "")})
	require.NoError(t, err)
	return s, c
}

// dumpOf is the canonical dump, without ledger coordinates, of a replica
// built from s.
func dumpOf(t *testing.T, s *ledger.Store) string {
	t.Helper()
	r, err := replica.Open(filepath.Join(t.TempDir(), "replica"), replica.Options{})
	require.NoError(t, err)
	defer r.Close()
	require.NoError(t, r.SyncLedger(context.Background(), s))
	var b bytes.Buffer
	require.NoError(t, r.View(func(p *projections.Projection, src projections.Source) error { return p.Dump(src, &b, false) }))
	return b.String()
}

// A custody story told as one EPCIS document gives the same custody as the
// same story in native events; the document is an entry of its own and
// every event entry cites it and its position.
func TestEPCISDocumentImport(t *testing.T) {
	docStore, c := importFile(t, "../epcis/testdata/story.jsonld")
	require.Zero(t, c.Rejected, "%s", c)
	nativeStore, nc := importFile(t, "../epcis/testdata/story.jsonl")
	require.Zero(t, nc.Rejected)
	require.Equal(t, nc.Appended+1, c.Appended, "the document's entry and the same events")

	doc, err := docStore.Entry(2)
	require.NoError(t, err)
	require.True(t, doc.Document())
	raw, err := os.ReadFile("../epcis/testdata/story.jsonld")
	require.NoError(t, err)
	require.Equal(t, string(bytes.TrimSpace(raw)), string(doc.Original), "the document as received")
	require.Equal(t, ingest.DocumentID(doc.Original), doc.EventID)
	for seq := uint64(3); seq <= docStore.Head().Seq; seq++ {
		e, err := docStore.Entry(seq)
		require.NoError(t, err)
		require.Equal(t, uint64(2), e.DocSeq, "entry %d cites its document", seq)
		require.Equal(t, uint32(seq-3), e.DocPos)
	}
	_, err = docStore.Verify(context.Background(), nil)
	require.NoError(t, err)

	require.Equal(t, dumpOf(t, nativeStore), dumpOf(t, docStore), "the same custody from EPCIS as from native events")

	// The same document again: nothing new.
	f, err := os.Open("../epcis/testdata/story.jsonld")
	require.NoError(t, err)
	defer f.Close()
	again, err := ingest.Import(context.Background(), docStore, f, "again", ingest.ImportOptions{Documents: ingest.EPCISReader(docStore, "")})
	require.NoError(t, err)
	require.Zero(t, again.Appended)
	require.Equal(t, c.Appended, again.Duplicates)
}

// An invalid document is quarantined whole; an unsupported event on its own.
func TestEPCISRejects(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	require.NoError(t, os.WriteFile(bad, []byte(`{"type":"EPCISDocument","schemaVersion":"2.0","epcisBody":{"eventList":[{"type":"ObjectEvent"}]}}`+"\n"), 0o644))
	s, c := importFile(t, bad)
	require.EqualValues(t, 1, c.Rejected)
	require.EqualValues(t, 1, c.ByReason[ingest.ReasonDocumentInvalid], "%s", c)
	require.Equal(t, uint64(1), s.Head().Seq, "only the site registration")

	transform, err := os.ReadFile("../../shared/external/epcis/JSON/Example_9.6.4-TransformationEvent.jsonld")
	require.NoError(t, err)
	one := filepath.Join(dir, "transform.jsonl")
	require.NoError(t, os.WriteFile(one, []byte(strings.ReplaceAll(string(transform), "\n", " ")+"\n"), 0o644))
	_, c = importFile(t, one)
	require.GreaterOrEqual(t, c.ByReason[ingest.ReasonUnsupported], int64(1), "%s", c)
}

type lines [][]byte

func (l *lines) Event(line, _ []byte) error { *l = append(*l, bytes.Clone(line)); return nil }

// A simulated world imported as native events and as EPCIS documents
// (reference data and corrections native in both) gives identical
// canonical dumps without ledger coordinates. The world is cut after its
// first 6,000 lines to keep the test short (`make epcis-check` runs a
// whole world).
func TestSimulatedWorldNativeAndEPCIS(t *testing.T) {
	n := 6000
	if v := os.Getenv("EPCIS_WORLD_LINES"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	sim, err := simulate.New(simulate.Options{Seed: 5, Chips: 100})
	require.NoError(t, err)
	var all lines
	_, err = sim.Run(context.Background(), &all)
	require.NoError(t, err)
	all = all[:min(n, len(all))]
	var native, docs bytes.Buffer
	converted := 0
	for _, l := range all {
		native.Write(l)
		native.WriteByte('\n')
		ev, err := events.Decode(l)
		require.NoError(t, err)
		d, ok, err := epcis.DocumentLine(ev)
		require.NoError(t, err)
		if ok {
			l = d
			converted++
		}
		docs.Write(l)
		docs.WriteByte('\n')
	}
	importBytes := func(b []byte) (*ledger.Store, ingest.Counts) {
		s, err := ledger.Open(filepath.Join(t.TempDir(), "ledger"), nil)
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		c, err := ingest.Import(context.Background(), s, bytes.NewReader(b), "world.jsonl", ingest.ImportOptions{Documents: ingest.EPCISReader(s, "")})
		require.NoError(t, err)
		return s, c
	}
	ns, nc := importBytes(native.Bytes())
	es, ec := importBytes(docs.Bytes())
	require.Zero(t, nc.Rejected, "%s", nc)
	require.Zero(t, ec.Rejected, "%s", ec)
	require.Greater(t, converted, len(all)/2, "most lines are custody events")
	require.Equal(t, dumpOf(t, ns), dumpOf(t, es))
	t.Logf("%d lines, %d as EPCIS documents: native %s; EPCIS %s", len(all), converted, nc, ec)
}

// A quarantined document retried with a corrected replacement appends the
// document and its events, and the quarantine record is resolved.
func TestEPCISRetry(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	require.NoError(t, os.WriteFile(bad, []byte(`{"type":"EPCISDocument","schemaVersion":"2.0","epcisBody":{"eventList":[{"type":"ObjectEvent"}]}}`+"\n"), 0o644))
	s, c := importFile(t, bad)
	require.EqualValues(t, 1, c.Rejected)
	fixed, err := os.ReadFile("../epcis/testdata/story.jsonld")
	require.NoError(t, err)
	res, err := ingest.Retry(s, nil, 1, fixed, t0())
	require.NoError(t, err)
	require.True(t, res.Appended)
	doc, err := s.Entry(res.Seq)
	require.NoError(t, err)
	require.True(t, doc.Document(), "resolved by the document's entry")
	require.Equal(t, uint64(13), s.Head().Seq, "the site, the document and its 11 events")
	_, err = ingest.Retry(s, nil, 1, fixed, t0())
	require.ErrorIs(t, err, ingest.ErrResolved)
}

func t0() time.Time { return time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC) }
