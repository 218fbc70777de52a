// Package ledgertest damages ledgers on purpose, so that tests outside the
// ledger package can check that verification finds the damage. It is a
// storage package (it imports Pebble) and is never used by commands.
package ledgertest

import (
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// FlipByte flips one bit of a byte inside the canonical event of the entry
// at seq in the closed ledger at dir, leaving its stored hash as it was.
func FlipByte(dir string, seq uint64) error {
	db, err := pebble.Open(dir, &pebble.Options{})
	if err != nil {
		return fmt.Errorf("ledgertest: open %s: %w", dir, err)
	}
	key := binary.BigEndian.AppendUint64([]byte{'e'}, seq)
	v, closer, err := db.Get(key)
	if err != nil {
		_ = db.Close()
		return fmt.Errorf("ledgertest: entry %d: %w", seq, err)
	}
	v = append([]byte(nil), v...)
	_ = closer.Close()
	// The last 64 bytes are the previous hash and the stored hash; the
	// canonical event ends just before them.
	if len(v) < 80 {
		_ = db.Close()
		return fmt.Errorf("ledgertest: entry %d of %d bytes is too short", seq, len(v))
	}
	v[len(v)-70] ^= 0x01
	if err := db.Set(key, v, pebble.Sync); err != nil {
		_ = db.Close()
		return err
	}
	return db.Close()
}
