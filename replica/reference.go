package replica

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/chipledger/chipledger/events"
)

// ErrReferenceMissing is wrapped by Reference.Content when the ledger does
// not carry a document's content and no file under the reference directory
// has its digest.
var ErrReferenceMissing = errors.New("replica: reference document not found")

// ErrReferenceDigest is wrapped by Reference.Content when a file that is
// named as the document (dir/<hex of digest>, dir/<hex>.*) does not have the
// document's digest: it is refused, never used.
var ErrReferenceDigest = errors.New("replica: reference document has another digest")

// Reference finds the content of policy and screening documents named in the
// ledger. A policy.activated.v1 or screening.activated.v1 event carries its
// document's content when the whole event fits in events.MaxEventBytes;
// otherwise it carries only the digest, and the replica finds the document
// under its --reference DIR by that digest.
//
// A Reference is safe for concurrent use.
type Reference struct {
	dir string

	mu       sync.Mutex
	files    map[string]refFile // path -> what the last scan found
	byDigest map[string]string  // digest -> path, from files
}

// refFile is one regular file of the directory as last hashed.
type refFile struct {
	size   int64
	mod    time.Time
	digest string
}

// NewReference returns a Reference reading dir; dir may be "", then only
// documents the ledger carries are found.
func NewReference(dir string) *Reference {
	return &Reference{dir: dir}
}

// Dir returns the reference directory ("" when there is none).
func (r *Reference) Dir() string { return r.dir }

// Content returns the document's bytes: its content when the ledger carries
// it, else a file under dir whose events.Digest equals doc.Digest. Files may
// be named anything: Content looks first for dir/<hex of digest> and
// dir/<hex>.* (e.g. <hex>.csv), then hashes every regular file in dir (not
// its subdirectories; symbolic links are followed) and caches digest ->
// path. A file is hashed again only when its size or modification time
// changed, so a file added after a miss is found by the next call without
// hashing the others again. The bytes returned are always checked against
// doc.Digest as they are read.
//
// Errors: ErrReferenceMissing (wrapped, naming the digest and the dir) when
// no file matches or the directory cannot be read; ErrReferenceDigest (wrapped, naming the file) when a file
// named as the document has other bytes.
func (r *Reference) Content(doc events.Document) ([]byte, error) {
	hexDigest, ok := strings.CutPrefix(doc.Digest, "sha256:")
	if !ok || len(hexDigest) != 64 || strings.ToLower(hexDigest) != hexDigest {
		return nil, fmt.Errorf("replica: reference %s %s: digest %q is not \"sha256:\" and 64 lowercase hex digits", doc.Name, doc.Version, doc.Digest)
	}
	if _, err := hex.DecodeString(hexDigest); err != nil {
		return nil, fmt.Errorf("replica: reference %s %s: digest %q is not \"sha256:\" and 64 lowercase hex digits", doc.Name, doc.Version, doc.Digest)
	}
	if doc.Content != "" {
		b := []byte(doc.Content)
		if got := events.Digest(b); got != doc.Digest { // decoded events never get here
			return nil, fmt.Errorf("%w: %s %s: the content carried has %s, the event names %s", ErrReferenceDigest, doc.Name, doc.Version, got, doc.Digest)
		}
		return b, nil
	}
	if r.dir == "" {
		return nil, fmt.Errorf("%w: %s %s (%s): the ledger does not carry its content and no reference directory (--reference DIR) is set",
			ErrReferenceMissing, doc.Name, doc.Version, doc.Digest)
	}

	// Files named as the document: they must be it.
	named, err := filepath.Glob(filepath.Join(r.dir, hexDigest+".*"))
	if err != nil { // only ErrBadPattern, and hex digits are no pattern
		return nil, err
	}
	sort.Strings(named)
	named = append([]string{filepath.Join(r.dir, hexDigest)}, named...)
	for _, p := range named {
		b, err := readRegular(p)
		if errors.Is(err, errNotRegular) || errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("replica: reference %s %s: %w", doc.Name, doc.Version, err)
		}
		if got := events.Digest(b); got != doc.Digest {
			return nil, fmt.Errorf("%w: %s is named as %s %s (%s) but its bytes have %s: refused",
				ErrReferenceDigest, p, doc.Name, doc.Version, doc.Digest, got)
		}
		return b, nil
	}

	// Any other file with the digest.
	if b, ok, err := r.lookup(doc.Digest, false); ok || err != nil {
		return b, err
	}
	if b, ok, err := r.lookup(doc.Digest, true); ok || err != nil {
		return b, err
	}
	return nil, fmt.Errorf("%w: %s %s: no file in %s has digest %s (the ledger does not carry its content; put the document there under any name, e.g. %s)",
		ErrReferenceMissing, doc.Name, doc.Version, r.dir, doc.Digest, hexDigest)
}

// lookup finds digest in the cache, scanning the directory first when scan is
// set, and reads the file; ok is false when no file has the digest, or when
// the cached file no longer has it (it changed since it was hashed: the next
// scan hashes it again).
func (r *Reference) lookup(digest string, scan bool) ([]byte, bool, error) {
	r.mu.Lock()
	if scan {
		if err := r.scanLocked(); err != nil {
			r.mu.Unlock()
			return nil, false, err
		}
	}
	p, found := r.byDigest[digest]
	r.mu.Unlock()
	if !found {
		return nil, false, nil
	}
	b, err := readRegular(p)
	if err == nil && events.Digest(b) == digest {
		return b, true, nil
	}
	// Gone or changed since it was hashed: forget it; the scan finds it
	// again if it still has the digest.
	r.mu.Lock()
	delete(r.files, p)
	if r.byDigest[digest] == p {
		delete(r.byDigest, digest)
	}
	r.mu.Unlock()
	return nil, false, nil
}

// scanLocked hashes every regular file of the directory that is new or
// changed since the last scan and rebuilds byDigest. r.mu is held.
func (r *Reference) scanLocked() error {
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		return fmt.Errorf("%w: reference directory: %w", ErrReferenceMissing, err)
	}
	files := make(map[string]refFile, len(entries))
	for _, e := range entries {
		p := filepath.Join(r.dir, e.Name())
		fi, err := os.Stat(p) // follows symbolic links
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if old, ok := r.files[p]; ok && old.size == fi.Size() && old.mod.Equal(fi.ModTime()) {
			files[p] = old
			continue
		}
		d, err := hashFile(p)
		if err != nil {
			continue // unreadable now; tried again at the next scan
		}
		files[p] = refFile{size: fi.Size(), mod: fi.ModTime(), digest: d}
	}
	byDigest := make(map[string]string, len(files))
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths) // the same file wins every time when two have the same bytes
	for _, p := range paths {
		if _, dup := byDigest[files[p].digest]; !dup {
			byDigest[files[p].digest] = p
		}
	}
	r.files, r.byDigest = files, byDigest
	return nil
}

var errNotRegular = errors.New("not a regular file")

// readRegular reads the file at p if it is a regular file (following
// symbolic links).
func readRegular(p string) ([]byte, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w", p, errNotRegular)
	}
	return os.ReadFile(p)
}

// hashFile returns events.Digest of the file's bytes, streaming.
func hashFile(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
