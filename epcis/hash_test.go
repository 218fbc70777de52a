package epcis_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/epcis"
)

// hashVectors is where the event hash test vectors are (see its SOURCE.md).
const hashVectors = "../../shared/external/epcis-hash"

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimRight(l, "\r"); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// TestHashVectors computes the hash id of every event of every JSON and
// JSON-LD document of the reference implementation's tests/examples that
// has a .hashes file and compares each with the expected id, in order.
// Where the .prehashes line is consistent with the .hashes line (its
// SHA-256 is the expected hash), a mismatch also shows the pre-hash diff.
func TestHashVectors(t *testing.T) {
	dir := filepath.Join(hashVectors, "RalphTro-epcis-event-hash-generator", "tests", "examples")
	docs, err := filepath.Glob(filepath.Join(dir, "*.json*"))
	require.NoError(t, err)
	require.NotEmpty(t, docs)
	passed, total := 0, 0
	for _, doc := range docs {
		base := strings.TrimSuffix(strings.TrimSuffix(doc, ".jsonld"), ".json")
		if _, err := os.Stat(base + ".hashes"); err != nil {
			continue // no expected hashes (documented in SOURCE.md)
		}
		name := filepath.Base(doc)
		t.Run(name, func(t *testing.T) {
			want := readLines(t, base+".hashes")
			var pre []string
			if _, err := os.Stat(base + ".prehashes"); err == nil {
				pre = readLines(t, base+".prehashes")
			}
			data, err := os.ReadFile(doc)
			require.NoError(t, err)
			got, err := epcis.DocumentHashIDs(data)
			require.NoError(t, err)
			require.Len(t, got, len(want), "one hash per event")
			for i := range want {
				total++
				if got[i] == want[i] {
					passed++
					continue
				}
				msg := "event " + strconv.Itoa(i)
				if i < len(pre) && sha(pre[i]) == want[i] {
					mine, err := epcis.DocumentPreHashes(data)
					require.NoError(t, err)
					msg += "\nwant pre-hash " + pre[i] + "\ngot  pre-hash " + mine[i]
				}
				assert.Equal(t, want[i], got[i], msg)
			}
		})
	}
	t.Logf("hash vectors: %d of %d events match", passed, total)
	assert.Equal(t, total, passed)
	assert.GreaterOrEqual(t, total, 30, "the vectors were found")
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "ni:///sha-256;" + hex.EncodeToString(sum[:]) + "?ver=CBV2.0"
}

// TestHashExpectedEqual: every event of the reference implementation's
// tests/expected_equal JSON file is another representation of the same
// event, the one of tests/examples/ReferenceEventHashAlgorithm.
func TestHashExpectedEqual(t *testing.T) {
	dir := filepath.Join(hashVectors, "RalphTro-epcis-event-hash-generator", "tests")
	data, err := os.ReadFile(filepath.Join(dir, "expected_equal", "ReferenceEventHashAlgorithm.json"))
	require.NoError(t, err)
	got, err := epcis.DocumentHashIDs(data)
	require.NoError(t, err)
	require.Len(t, got, 2)
	want := readLines(t, filepath.Join(dir, "examples", "ReferenceEventHashAlgorithm.hashes"))
	for _, h := range got {
		assert.Equal(t, want[0], h)
	}
}

// TestHashOpenEPCIS: the OpenEPCIS test documents (14 documents and 3
// single events) have no expected hashes (their tests compare the XML and
// JSON forms); in JSON each must give a hash id per event, and the document
// that adds an errorDeclaration to the events of another keeps their
// hashes.
func TestHashOpenEPCIS(t *testing.T) {
	dir := filepath.Join(hashVectors, "openepcis-test-resources", "core", "src", "main", "resources", "2.0", "EPCIS", "JSON", "Capture")
	docs, err := filepath.Glob(filepath.Join(dir, "Documents", "*.json"))
	require.NoError(t, err)
	require.Len(t, docs, 14)
	byName := map[string][]string{}
	for _, p := range docs {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		got, err := epcis.DocumentHashIDs(data)
		require.NoError(t, err, p)
		require.NotEmpty(t, got)
		byName[filepath.Base(p)] = got
		for _, h := range got {
			assert.Regexp(t, `^ni:///sha-256;[0-9a-f]{64}\?ver=CBV2\.0$`, h)
		}
	}
	assert.Equal(t, byName["ObjectEvent.json"], byName["ObjectEvent_with_error_declaration.json"], "the errorDeclaration is left out")
	// single events (no document): HashID of the event object
	evs, err := filepath.Glob(filepath.Join(dir, "Events", "*.json"))
	require.NoError(t, err)
	require.Len(t, evs, 3)
	seen := map[string]bool{}
	for _, p := range evs {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		h, err := epcis.HashID(data)
		require.NoError(t, err, p)
		assert.False(t, seen[h], "distinct events, distinct hashes")
		seen[h] = true
	}
}

func TestHashIDForms(t *testing.T) {
	ev := `{"type": "ObjectEvent", "@context": [{"ex": "https://ns.example.com/epcis/"}], "eventTime": "2020-03-04T11:00:30.000+01:00",
 "eventTimeZoneOffset": "+01:00", "epcList": ["urn:epc:id:sscc:4012345.0000000333"], "action": "OBSERVE", "bizStep": "departing", "ex:f": "1"}`
	pre, err := epcis.PreHash(ev)
	require.NoError(t, err)
	assert.Equal(t, "eventType=ObjectEventeventTime=2020-03-04T10:00:30.000ZeventTimeZoneOffset=+01:00"+
		"epcListepc=https://id.gs1.org/00/040123450000003338action=OBSERVEbizStep=https://ref.gs1.org/cbv/BizStep-departing"+
		"{https://ns.example.com/epcis/}f=1", pre)
	h1, err := epcis.HashID([]byte(ev))
	require.NoError(t, err)
	assert.Equal(t, sha(pre), h1)
	// eventID, recordTime and errorDeclaration are left out; key order and
	// the EPC's form do not matter
	other := `{"errorDeclaration": {"declarationTime": "2021-01-01T00:00:00Z"}, "eventID": "urn:uuid:1", "recordTime": "2021-01-01T00:00:00Z",
 "ex:f": 1.0, "bizStep": "https://ref.gs1.org/cbv/BizStep-departing", "action": "OBSERVE", "epcList": ["https://id.gs1.org/00/040123450000003338"],
 "eventTimeZoneOffset": "+01:00", "eventTime": "2020-03-04T10:00:30Z", "type": "ObjectEvent", "@context": [{"ex": "https://ns.example.com/epcis/"}]}`
	h2, err := epcis.HashID(other)
	require.NoError(t, err)
	assert.Equal(t, h1, h2)
	changed := strings.Replace(ev, `"1"`, `"2"`, 1)
	h3, err := epcis.HashID(changed)
	require.NoError(t, err)
	assert.NotEqual(t, h1, h3, "any change of a value changes the hash")
	_, err = epcis.HashID(42)
	assert.Error(t, err)
	_, err = epcis.HashID(`[1]`)
	assert.Error(t, err)
	_, err = epcis.HashID(`{"action": "OBSERVE"}`)
	assert.Error(t, err, "no type")
}
