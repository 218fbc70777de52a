package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/kafka"
	"github.com/chipledger/chipledger/kafka/kafkatest"
	"github.com/chipledger/chipledger/policy"
	"github.com/chipledger/chipledger/replica"
	"github.com/chipledger/chipledger/screening"
)

// writeFile writes data to a new file named name and returns its path.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return p
}

// activated decodes the one line a dry run printed and returns the event and
// its document.
func activated(t *testing.T, stdout string) (events.Event, events.Document) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	require.Len(t, lines, 1, "a dry run prints one line: %q", stdout)
	ev, err := events.Decode([]byte(lines[0]))
	require.NoError(t, err)
	assert.Equal(t, lines[0], string(ev.Canonical()), "the line is the canonical form")
	assert.Equal(t, "chipledger-operator", ev.Publisher)
	assert.Equal(t, ev.OccurredAt, ev.RecordedAt)
	switch b := ev.Body.(type) {
	case *events.PolicyActivated:
		return ev, b.Document
	case *events.ScreeningActivated:
		return ev, b.Document
	}
	t.Fatalf("a %s event", ev.Type)
	return ev, events.Document{}
}

func TestActivateDefaultPolicyBundleDryRun(t *testing.T) {
	data := policy.DefaultBundleJSON()
	bundle, err := policy.LoadBundle(data)
	require.NoError(t, err)
	file := writeFile(t, "bundle.json", data)

	code, out, stderr := run(t, "", "activate", "--policy", file, "--effective", "2025-06-01", "--dry-run")
	require.Equal(t, 0, code, stderr)
	ev, doc := activated(t, out)
	assert.Equal(t, events.TypePolicyActivated, ev.Type)
	assert.Equal(t, policy.BundleName, doc.Name)
	assert.Equal(t, bundle.Name, doc.Name)
	assert.Equal(t, bundle.Version, doc.Version)
	assert.Equal(t, events.Digest(data), doc.Digest)
	assert.Equal(t, string(data), doc.Content, "the bundle travels in the event")
	assert.Equal(t, events.Date("2025-06-01"), doc.Effective)
	assert.Equal(t, "file bundle.json", doc.Source)
	assert.Equal(t, "policy:"+policy.BundleName, ev.Primary())
	assert.Contains(t, stderr, ev.ID+" policy.activated.v1 name="+doc.Name+" version="+doc.Version+" effective=2025-06-01 digest="+doc.Digest+" content included")
	assert.Contains(t, stderr, "dry run")

	// The dry run's output is what `ingest import` takes.
	dir := filepath.Join(t.TempDir(), "ledger")
	code, importOut, stderr := run(t, out, "import", "--ledger", dir, "-")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, importOut, "appended 1, duplicate 0, rejected 0")

	// Flags override the bundle's name and version; the date defaults to today.
	code, out, stderr = run(t, "", "activate", "--dry-run", "--policy", file, "--name", "policy-test", "--version", "v9", "--source", "https://example.org/p", "--publisher", "OPS1")
	require.Equal(t, 0, code, stderr)
	ev, err = events.Decode([]byte(strings.TrimSpace(out)))
	require.NoError(t, err)
	doc = ev.Body.(*events.PolicyActivated).Document
	assert.Equal(t, []string{"policy-test", "v9", "https://example.org/p", "OPS1"}, []string{doc.Name, doc.Version, doc.Source, ev.Publisher})
	assert.Equal(t, ev.RecordedAt.Format("2006-01-02"), string(doc.Effective))
}

func TestActivateScreeningListDryRun(t *testing.T) {
	const file = "../../screening/testdata/csl_small.csv"
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	list, err := screening.Load(bytes.NewReader(data))
	require.NoError(t, err)

	code, out, stderr := run(t, "", "activate", "--screening", file, "--effective", "2025-07-01", "--dry-run")
	require.Equal(t, 0, code, stderr)
	ev, doc := activated(t, out)
	assert.Equal(t, events.TypeScreeningActivated, ev.Type)
	assert.Equal(t, "us-csl", doc.Name)
	assert.Equal(t, "2025-07-01", doc.Version, "the version defaults to the effective date")
	assert.Equal(t, events.Digest(data), doc.Digest)
	assert.Equal(t, list.Digest(), doc.Digest, "the digest is the one screening results name")
	assert.Equal(t, string(data), doc.Content)
	assert.Equal(t, "file csl_small.csv", doc.Source)
	assert.Equal(t, "screening:us-csl", ev.Primary())
	assert.Contains(t, stderr, "content included")
}

func TestActivateRefusesAnInvalidPolicyBundle(t *testing.T) {
	for name, data := range map[string][]byte{
		"not json":         []byte(`{"name": "chipledger-policy",`),
		"unknown key":      bytes.Replace(policy.DefaultBundleJSON(), []byte(`{`), []byte(`{"surprise": 1, `), 1),
		"a screening list": mustRead(t, "../../screening/testdata/csl_small.csv"),
	} {
		t.Run(name, func(t *testing.T) {
			_, loadErr := policy.LoadBundle(data)
			require.Error(t, loadErr)
			code, out, stderr := run(t, "", "activate", "--policy", writeFile(t, "bundle.json", data), "--dry-run")
			assert.Equal(t, 1, code)
			assert.Empty(t, out)
			assert.Contains(t, stderr, loadErr.Error(), "the loader's error")
		})
	}
}

func TestActivateRefusesAnInvalidScreeningList(t *testing.T) {
	data := []byte("name,source\nACME,test\n")
	_, loadErr := screening.Load(bytes.NewReader(data))
	require.Error(t, loadErr)
	code, out, stderr := run(t, "", "activate", "--screening", writeFile(t, "csl.csv", data), "--dry-run")
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Contains(t, stderr, loadErr.Error())
}

// A policy bundle that cannot travel in the ledger is refused, not activated
// by digest.
func TestActivateRefusesAPolicyBundleTooLargeForAnEvent(t *testing.T) {
	data := append(bytes.TrimRight(policy.DefaultBundleJSON(), "\n"), bytes.Repeat([]byte(" \n"), events.MaxEventBytes/2)...)
	_, loadErr := policy.LoadBundle(data)
	code, out, stderr := run(t, "", "activate", "--policy", writeFile(t, "bundle.json", data), "--dry-run")
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	if loadErr != nil { // the loader may bound the size itself
		assert.Contains(t, stderr, loadErr.Error())
		return
	}
	assert.Contains(t, stderr, "a policy bundle must travel in the ledger")
	assert.Contains(t, stderr, fmt.Sprint(events.MaxEventBytes))
}

// largeScreeningList returns a valid CSL CSV of more than size bytes.
func largeScreeningList(t *testing.T, size int) []byte {
	t.Helper()
	cols := screening.Columns()
	pos := map[string]int{}
	for i, c := range cols {
		pos[c] = i
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	require.NoError(t, w.Write(cols))
	for i := 0; buf.Len() <= size; i++ {
		row := make([]string, len(cols))
		row[pos["_id"]] = fmt.Sprintf("%040x", i)
		row[pos["source"]] = "Entity List (EL) - Bureau of Industry and Security"
		row[pos["type"]] = "Entity"
		row[pos["name"]] = fmt.Sprintf("Example Trading Company %d, Ltd.", i)
		row[pos["addresses"]] = fmt.Sprintf("Unit %d, \"Harbour\" Tower, Hong Kong, HK", i)
		row[pos["alt_names"]] = fmt.Sprintf("ETC %d; Example Trading %d", i, i)
		row[pos["start_date"]] = "2024-01-01"
		row[pos["source_list_url"]] = "https://www.bis.doc.gov/index.php/policy-guidance/lists-of-parties-of-concern/entity-list"
		require.NoError(t, w.Write(row))
		w.Flush()
	}
	require.NoError(t, w.Error())
	_, err := screening.Load(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err, "the generated list loads")
	return buf.Bytes()
}

func TestActivateLargeScreeningListByDigest(t *testing.T) {
	data := largeScreeningList(t, events.MaxEventBytes)
	require.Greater(t, len(data), 256<<10)
	file := writeFile(t, "csl-2025-08.csv", data)

	code, out, stderr := run(t, "", "activate", "--screening", file, "--effective", "2025-08-01", "--dry-run")
	require.Equal(t, 0, code, stderr)
	ev, doc := activated(t, out)
	assert.Equal(t, events.TypeScreeningActivated, ev.Type)
	assert.Zero(t, len(doc.Content), "the list does not fit in an event")
	assert.Equal(t, events.Digest(data), doc.Digest)
	assert.LessOrEqual(t, len(out), 4<<10)
	assert.Contains(t, stderr, "content omitted")
	assert.Contains(t, stderr, "--reference DIR")
	assert.Contains(t, stderr, doc.Digest)

	// A replica finds it under its reference directory, by digest, under any name.
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "consolidated.csv"), data, 0o644))
	got, err := replica.NewReference(dir).Content(doc)
	require.NoError(t, err)
	assert.Equal(t, data, got)
	_, err = replica.NewReference("").Content(doc)
	assert.ErrorIs(t, err, replica.ErrReferenceMissing)
}

// The limit is on the whole event in canonical form: JSON escaping of the
// list's quotes and line ends counts, so a list somewhat smaller than
// events.MaxEventBytes does not fit either.
func TestActivateScreeningListWhoseEventWouldBeTooLarge(t *testing.T) {
	data := largeScreeningList(t, 250<<10)
	require.Less(t, len(data), events.MaxEventBytes)
	code, out, stderr := run(t, "", "activate", "--screening", writeFile(t, "csl.csv", data), "--dry-run")
	require.Equal(t, 0, code, stderr)
	_, doc := activated(t, out)
	assert.Zero(t, len(doc.Content), "the event with the list would be too large")
	assert.Equal(t, events.Digest(data), doc.Digest)
	assert.Contains(t, stderr, "canonical form")
	assert.Contains(t, stderr, "content omitted")
}

func TestActivateUsage(t *testing.T) {
	csl := "../../screening/testdata/csl_small.csv"
	for _, args := range [][]string{
		{"activate"},
		{"activate", "--dry-run"},
		{"activate", "--policy", csl, "--screening", csl},
		{"activate", "--screening", csl, "extra"},
		{"activate", "--screening"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, _, _ := run(t, "", args...)
			assert.Equal(t, 2, code)
		})
	}
	code, _, stderr := run(t, "", "activate", "--screening", csl, "--effective", "2025-13-01", "--dry-run")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "YYYY-MM-DD")
	code, _, stderr = run(t, "", "activate", "--screening", "does-not-exist.csv", "--dry-run")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "does-not-exist.csv")
	code, _, stderr = run(t, "", "activate", "--screening", csl, "--name", "has space ", "--dry-run")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "name")
}

func TestActivatePublishesToChipEvents(t *testing.T) {
	brokers, prefix := kafkatest.Brokers(t), kafkatest.Prefix(t)
	const file = "../../screening/testdata/csl_small.csv"
	data := mustRead(t, file)

	code, out, stderr := run(t, "", "activate", "--screening", file, "--effective", "2025-09-01",
		"--brokers", strings.Join(brokers, ","), "--topic-prefix", prefix)
	require.Equal(t, 0, code, stderr)
	topics := kafka.TopicNames(prefix)
	assert.Contains(t, out, "published to "+topics.Events)
	id := strings.Fields(out)[0]

	parts, err := kafka.PartitionCount(context.Background(), brokers, topics.Events)
	require.NoError(t, err)
	var got []kafka.Message
	for p := range parts {
		got = append(got, kafkatest.ReadAll(t, brokers, topics.Events, p)...)
	}
	require.Len(t, got, 1, "one event on chip-events")
	assert.Equal(t, "screening:us-csl", string(got[0].Key), "keyed by the event's primary id")
	ev, err := events.Decode(got[0].Value)
	require.NoError(t, err)
	assert.Equal(t, id, ev.ID)
	doc := ev.Body.(*events.ScreeningActivated).Document
	assert.Equal(t, events.Digest(data), doc.Digest)
	assert.Equal(t, string(data), doc.Content)
	assert.Equal(t, events.Date("2025-09-01"), doc.Effective)
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return b
}
