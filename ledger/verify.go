package ledger

import (
	"context"
	"errors"
	"fmt"
)

// ErrHashMismatch is wrapped when a stored hash does not match the bytes.
var ErrHashMismatch = errors.New("ledger: hash mismatch")

// BrokenError names the first sequence at which the chain does not hold.
type BrokenError struct {
	Seq    uint64
	Reason string
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("ledger: chain broken at sequence %d: %s", e.Seq, e.Reason)
}

// Chain checks entries one at a time, in order, the way any holder of the
// entry bytes can: each entry decodes, follows its predecessor's sequence,
// names its predecessor's hash and hashes to the value recorded for it. The
// read side uses it on chip-ledger records; Verify uses it on the store.
type Chain struct {
	Head Head // the last entry accepted
}

// Next checks e, the entry after c.Head, and advances the head.
func (c *Chain) Next(e Entry) error {
	if e.Seq != c.Head.Seq+1 {
		return &BrokenError{Seq: c.Head.Seq + 1, Reason: fmt.Sprintf("found sequence %d", e.Seq)}
	}
	if e.Prev != c.Head.Hash {
		return &BrokenError{Seq: e.Seq, Reason: fmt.Sprintf("previous hash %s, want %s", e.Prev, c.Head.Hash)}
	}
	c.Head = Head{Seq: e.Seq, Hash: e.Hash}
	return nil
}

// VerifyProgress, when set, is called every VerifyProgressEvery entries.
type VerifyProgress func(checked uint64)

// VerifyProgressEvery is how often Verify reports progress.
const VerifyProgressEvery = 100_000

// Verify walks the whole chain from sequence 1: every entry must decode,
// carry its key's sequence, hash to its stored hash and name the previous
// entry's hash, and the last one must be the head. It returns the head it
// verified, or a *BrokenError naming the first bad sequence.
func (s *Store) Verify(ctx context.Context, progress VerifyProgress) (Head, error) {
	var c Chain
	next := uint64(1)
	err := s.iterate(entryKey(1), []byte{prefixEntry + 1}, func(k, v []byte) error {
		seq, err := seqFromKey(k, 1)
		if err != nil {
			return &BrokenError{Seq: next, Reason: err.Error()}
		}
		if seq != next {
			return &BrokenError{Seq: next, Reason: fmt.Sprintf("missing; next stored sequence is %d", seq)}
		}
		e, err := decodeStored(seq, v)
		if err != nil {
			return &BrokenError{Seq: seq, Reason: err.Error()}
		}
		if err := c.Next(e); err != nil {
			var be *BrokenError
			if errors.As(err, &be) && be.Seq == seq && seq > 1 {
				// The entry names a predecessor that is not the one stored:
				// the predecessor was rewritten with a matching stored hash.
				be.Seq = seq - 1
				be.Reason = "entry rewritten: its successor names hash " + e.Prev.String() + ", it hashes to " + c.Head.Hash.String()
			}
			return err
		}
		next++
		if progress != nil && e.Seq%VerifyProgressEvery == 0 {
			progress(e.Seq)
		}
		if next%1024 == 0 {
			return ctx.Err()
		}
		return nil
	})
	if err != nil {
		return c.Head, err
	}
	head := s.Head()
	switch {
	case head.Seq > c.Head.Seq:
		return c.Head, &BrokenError{Seq: c.Head.Seq + 1, Reason: fmt.Sprintf("missing; the head is sequence %d", head.Seq)}
	case head.Seq < c.Head.Seq:
		return c.Head, &BrokenError{Seq: head.Seq + 1, Reason: fmt.Sprintf("entry beyond the head (sequence %d)", head.Seq)}
	case head.Hash != c.Head.Hash:
		return c.Head, &BrokenError{Seq: head.Seq, Reason: fmt.Sprintf("hashes to %s, the head records %s", c.Head.Hash, head.Hash)}
	}
	return c.Head, nil
}
