package ingest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
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
	Documents DocumentReader   // maps EPCIS documents (a line, or the whole input); nil: native events only
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
	if doc, ok, err := wholeDocument(br); err != nil {
		return counts, fmt.Errorf("ingest: read %s: %w", name, err)
	} else if ok {
		// One JSON document over several lines (a pretty-printed EPCIS
		// document): one message, at line 1.
		counts.Read++
		recs, rejects := PrepareInput(opts.Decoder, opts.Documents, doc, ledger.Source{Name: name, Partition: -1, Offset: 1}, now())
		batch.Records, batch.Rejects = recs, rejects
		return counts, flush()
	}
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
			recs, rejects := PrepareInput(opts.Decoder, opts.Documents, b, src, now())
			batch.Rejects = append(batch.Rejects, rejects...)
			batch.Records = append(batch.Records, recs...)
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

// wholeDocument reports whether the input is one JSON value spread over
// several lines rather than JSON Lines: its first line alone is not valid
// JSON but the whole input (at most MaxQuarantineBytes) is. It peeks
// without consuming unless it returns true.
func wholeDocument(br *bufio.Reader) ([]byte, bool, error) {
	first, err := br.Peek(1)
	if err != nil || (first[0] != '{' && first[0] != ' ' && first[0] != '\t' && first[0] != '\n' && first[0] != '\r') {
		return nil, false, nil
	}
	// The first line, within what is buffered.
	buf, _ := br.Peek(br.Buffered())
	if nl := bytes.IndexByte(buf, '\n'); nl >= 0 && json.Valid(bytes.TrimSpace(buf[:nl])) {
		return nil, false, nil
	}
	all, err := br.Peek(min(br.Size(), MaxQuarantineBytes))
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, false, err
	}
	if len(all) == br.Size() || !json.Valid(all) {
		return nil, false, nil // larger than the buffer, or not one value: read it as lines
	}
	doc := bytes.Clone(bytes.TrimSpace(all))
	_, _ = br.Discard(len(all))
	return doc, true, nil
}
