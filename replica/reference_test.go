package replica_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/replica"
)

// refDoc is a document as an activation event names it, without content.
func refDoc(content []byte) events.Document {
	return events.Document{Name: "us-csl", Version: "2025-06-01", Digest: events.Digest(content), Effective: "2025-06-01", Source: "test"}
}

func hexOf(digest string) string { return strings.TrimPrefix(digest, "sha256:") }

func TestReferenceContentFromTheEvent(t *testing.T) {
	content := []byte("name,source\nACME,test\n")
	doc := refDoc(content)
	doc.Content = string(content)
	for _, dir := range []string{"", t.TempDir()} {
		got, err := replica.NewReference(dir).Content(doc)
		require.NoError(t, err, "dir %q", dir)
		assert.Equal(t, content, got)
	}
	// Content that does not match the digest (never from a decoded event).
	doc.Content = "something else"
	_, err := replica.NewReference("").Content(doc)
	require.ErrorIs(t, err, replica.ErrReferenceDigest)
}

func TestReferenceContentFromAFileNamedByDigest(t *testing.T) {
	for _, name := range []string{"%s", "%s.csv", "%s.json"} {
		t.Run(name, func(t *testing.T) {
			content := []byte("document for " + name + "\n")
			doc := refDoc(content)
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, strings.Replace(name, "%s", hexOf(doc.Digest), 1)), content, 0o644))
			got, err := replica.NewReference(dir).Content(doc)
			require.NoError(t, err)
			assert.Equal(t, content, got)
		})
	}
}

func TestReferenceContentFromAnArbitrarilyNamedFile(t *testing.T) {
	dir := t.TempDir()
	a, b := []byte("policy bundle A\n"), []byte("screening list B\n")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "policy-2025.json"), a, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "csl.csv"), b, 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	require.NoError(t, os.Symlink(filepath.Join(dir, "csl.csv"), filepath.Join(dir, "latest")))
	r := replica.NewReference(dir)
	got, err := r.Content(refDoc(a))
	require.NoError(t, err)
	assert.Equal(t, a, got)
	got, err = r.Content(refDoc(b))
	require.NoError(t, err)
	assert.Equal(t, b, got)

	// A file added after a miss is found by the next call.
	c := []byte("added later\n")
	_, err = r.Content(refDoc(c))
	require.ErrorIs(t, err, replica.ErrReferenceMissing)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "later.txt"), c, 0o644))
	got, err = r.Content(refDoc(c))
	require.NoError(t, err)
	assert.Equal(t, c, got)

	// A cached file that changed is not returned for its old digest.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "policy-2025.json"), []byte("policy bundle A, edited\n"), 0o644))
	_, err = r.Content(refDoc(a))
	require.ErrorIs(t, err, replica.ErrReferenceMissing)

	// Concurrent callers share the cache.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			got, err := r.Content(refDoc(b))
			assert.NoError(t, err)
			assert.Equal(t, b, got)
		})
	}
	wg.Wait()
}

func TestReferenceFileNamedByDigestWithOtherBytesIsRefused(t *testing.T) {
	for _, name := range []string{"%s", "%s.csv"} {
		t.Run(name, func(t *testing.T) {
			content := []byte("the real document\n")
			doc := refDoc(content)
			dir := t.TempDir()
			bad := filepath.Join(dir, strings.Replace(name, "%s", hexOf(doc.Digest), 1))
			require.NoError(t, os.WriteFile(bad, []byte("an altered document\n"), 0o644))
			// The right bytes under another name do not make the altered file acceptable.
			require.NoError(t, os.WriteFile(filepath.Join(dir, "other"), content, 0o644))
			_, err := replica.NewReference(dir).Content(doc)
			require.ErrorIs(t, err, replica.ErrReferenceDigest)
			assert.Contains(t, err.Error(), bad)
			assert.Contains(t, err.Error(), events.Digest([]byte("an altered document\n")))
		})
	}
}

func TestReferenceMissing(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "unrelated.csv"), []byte("x\n"), 0o644))
	doc := refDoc([]byte("not there\n"))
	_, err := replica.NewReference(dir).Content(doc)
	require.ErrorIs(t, err, replica.ErrReferenceMissing)
	assert.Contains(t, err.Error(), doc.Digest)
	assert.Contains(t, err.Error(), dir)

	_, err = replica.NewReference("").Content(doc)
	require.ErrorIs(t, err, replica.ErrReferenceMissing)
	assert.Contains(t, err.Error(), doc.Digest)
	assert.Contains(t, err.Error(), "--reference")

	_, err = replica.NewReference(filepath.Join(dir, "does-not-exist")).Content(doc)
	require.ErrorIs(t, err, replica.ErrReferenceMissing, "a directory that cannot be read holds no document")

	bad := doc
	bad.Digest = "sha256:XYZ"
	_, err = replica.NewReference(dir).Content(bad)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "64 lowercase hex")
}
