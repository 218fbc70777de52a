package simulate_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/ingest"
	"github.com/chipledger/chipledger/ledger"
	"github.com/chipledger/chipledger/screening"
)

// TestAcceptedByIngestImport: the whole simulated output goes into a
// ledger; the only lines not appended are the feed's byte-identical
// retries, counted as duplicates.
func TestAcceptedByIngestImport(t *testing.T) {
	w := sharedWorld(t)
	s, err := ledger.Open(filepath.Join(t.TempDir(), "ledger"), nil)
	require.NoError(t, err)
	defer s.Close()
	c, err := ingest.Import(context.Background(), s, bytes.NewReader(w.out), "world.jsonl", ingest.ImportOptions{BatchSize: 5000})
	require.NoError(t, err)
	assert.Zero(t, c.Rejected, "rejected: %v", c.ByReason)
	assert.Equal(t, int64(len(w.events)), c.Appended, "every distinct event appended once")
	assert.Equal(t, c.Read-c.Appended, c.Duplicates, "the rest are the feed's retries")
	_, err = s.Verify(context.Background(), nil)
	require.NoError(t, err)
}

// TestScreeningFileLoads: the list the simulator writes is read by the
// screening package, and the restricted parties of its scenarios are found.
func TestScreeningFileLoads(t *testing.T) {
	w := sharedWorld(t)
	l, err := screening.Load(bytes.NewReader(w.csv))
	require.NoError(t, err)
	assert.Greater(t, l.Len(), 0)
}
