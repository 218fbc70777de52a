package ingest

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/chipledger/chipledger/ledger"
)

// Counts is what an import or a consumer did.
type Counts struct {
	Read       int64            `json:"read"`
	Appended   int64            `json:"appended"`
	Duplicates int64            `json:"duplicates"`
	Conflicts  int64            `json:"conflicts"`
	Rejected   int64            `json:"rejected"`
	ByReason   map[string]int64 `json:"rejected_by_reason,omitempty"`
}

// Add adds an append result to c.
func (c *Counts) Add(r ledger.Result) {
	c.Appended += int64(r.Appended)
	c.Duplicates += int64(r.Duplicates)
	c.Conflicts += int64(r.Conflicts)
	c.Rejected += int64(r.Quarantined)
	for _, q := range r.Quarantine {
		if c.ByReason == nil {
			c.ByReason = make(map[string]int64)
		}
		c.ByReason[q.Reason]++
	}
}

// String is a one-line summary.
func (c Counts) String() string {
	var reasons []string
	for _, k := range slices.Sorted(maps.Keys(c.ByReason)) {
		reasons = append(reasons, fmt.Sprintf("%s=%d", k, c.ByReason[k]))
	}
	s := fmt.Sprintf("read %d, appended %d, duplicate %d, rejected %d", c.Read, c.Appended, c.Duplicates, c.Rejected)
	if len(reasons) > 0 {
		s += " (" + strings.Join(reasons, " ") + ")"
	}
	return s
}

// ImportOptions configure Import. The zero value decodes native events in
// batches of 1,000 lines with no progress reports.
type ImportOptions struct {
	Decoder   Decoder
	BatchSize int              // lines per synced batch; 0 means 1,000
	Progress  func(Counts)     // called after every batch when set
	Now       func() time.Time // the receive clock; nil means time.Now
}

// Import appends JSON Lines from r to the ledger, one event per line; name
// is recorded as the source of every entry with its line number. Empty
// lines are skipped; every other line is appended, counted as a duplicate,
// or quarantined with its reason, and the lines after a bad one go on.
func Import(ctx context.Context, s *ledger.Store, r io.Reader, name string, opts ImportOptions) (Counts, error) {
	batchSize := opts.BatchSize
	if batchSize <= 0 {
		batchSize = 1000
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	var (
		counts Counts
		batch  ledger.Batch
	)
	flush := func() error {
		if len(batch.Records) == 0 && len(batch.Rejects) == 0 {
			return nil
		}
		res, err := s.Append(batch)
		if err != nil {
			return err
		}
		counts.Add(res)
		batch = ledger.Batch{}
		if opts.Progress != nil {
			opts.Progress(counts)
		}
		return nil
	}
	br := bufio.NewReaderSize(r, 1<<20)
	var line int64
	for {
		if err := ctx.Err(); err != nil {
			return counts, err
		}
		b, total, err := readLine(br, MaxQuarantineBytes)
		if errors.Is(err, io.EOF) && total == 0 {
			break
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return counts, fmt.Errorf("ingest: read %s: %w", name, err)
		}
		line++
		if strings.TrimSpace(string(b)) == "" && total == len(b) {
			continue
		}
		counts.Read++
		src := ledger.Source{Name: name, Partition: -1, Offset: line}
		if total > len(b) {
			sum := sha256.Sum256(b)
			batch.Rejects = append(batch.Rejects, ledger.Quarantined{
				Reason:   "too_large",
				Detail:   fmt.Sprintf("ingest: line of %d bytes; the first %d are kept (their sha256 %x)", total, len(b), sum),
				Source:   src,
				Received: now(),
				Original: b,
			})
		} else {
			rec, q := Prepare(opts.Decoder, b, src, now())
			if q != nil {
				batch.Rejects = append(batch.Rejects, *q)
			} else {
				batch.Records = append(batch.Records, rec)
			}
		}
		if len(batch.Records)+len(batch.Rejects) >= batchSize {
			if err := flush(); err != nil {
				return counts, err
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	return counts, flush()
}

// readLine reads one line without its terminator ("\n" or "\r\n"). It keeps
// at most max bytes and returns the full length in total. At the end of
// input it returns io.EOF, with the last unterminated line if any.
func readLine(br *bufio.Reader, max int) (b []byte, total int, err error) {
	for {
		frag, ferr := br.ReadSlice('\n')
		total += len(frag)
		if room := max - len(b); room > 0 {
			if len(frag) > room {
				b = append(b, frag[:room]...)
			} else {
				b = append(b, frag...)
			}
		}
		if errors.Is(ferr, bufio.ErrBufferFull) {
			continue
		}
		if ferr == nil {
			// Drop the terminator from both the kept bytes and the total.
			total--
			if len(b) > 0 && b[len(b)-1] == '\n' {
				b = b[:len(b)-1]
			}
			if len(b) > 0 && b[len(b)-1] == '\r' {
				b = b[:len(b)-1]
				total--
			}
		}
		return b, total, ferr
	}
}
