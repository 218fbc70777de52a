package httpapi

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"
)

// Roles of a token.
const (
	RoleReader       = "reader"       // reads units, chains, alerts and reports
	RoleInvestigator = "investigator" // reads, and triages alerts
)

// Identity is who a token belongs to.
type Identity struct {
	Name string `json:"name"`
	Role string `json:"role"`
	// Party limits the token to one party's units, alerts and reports (a
	// compliance officer's token); "" sees everything.
	Party string `json:"party,omitempty"`
}

// CanTriage reports whether the identity may acknowledge, dismiss and
// escalate alerts.
func (id Identity) CanTriage() bool { return id.Role == RoleInvestigator }

// tokenFile is the tokens file:
//
//	{"tokens": [
//	  {"name": "alice", "role": "investigator", "sha256": "<hex SHA-256 of the token>"},
//	  {"name": "ro-dashboard", "role": "reader", "token": "<the token itself>"}
//	]}
//
// A token is given as its SHA-256 (preferred: the file then holds no
// secret) or verbatim.
type tokenFile struct {
	Tokens []tokenEntry `json:"tokens"`
}

type tokenEntry struct {
	Name   string `json:"name"`
	Role   string `json:"role"`
	Party  string `json:"party,omitempty"`
	Token  string `json:"token,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
}

// Tokens are the API's identities, read from a tokens file and read again
// when the file changes (its size or modification time, checked on every
// use: a stat). A file that no longer loads keeps the identities in force
// and is logged.
type Tokens struct {
	path string
	log  *slog.Logger

	mu      sync.Mutex
	byHash  map[[32]byte]Identity
	modTime time.Time
	size    int64
}

// LoadTokens reads the tokens file at path; an invalid file is an error.
func LoadTokens(path string, log *slog.Logger) (*Tokens, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := &Tokens{path: path, log: log}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("httpapi: tokens: %w", err)
	}
	m, err := readTokens(path)
	if err != nil {
		return nil, err
	}
	t.byHash, t.modTime, t.size = m, st.ModTime(), st.Size()
	return t, nil
}

// ParseTokens parses a tokens file's content.
func ParseTokens(data []byte) (map[[32]byte]Identity, error) {
	var f tokenFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("httpapi: tokens: %w", err)
	}
	if dec.More() {
		return nil, errors.New("httpapi: tokens: trailing data after the object")
	}
	out := make(map[[32]byte]Identity, len(f.Tokens))
	names := map[string]bool{}
	for i, e := range f.Tokens {
		where := fmt.Sprintf("httpapi: tokens: tokens[%d]", i)
		if strings.TrimSpace(e.Name) == "" {
			return nil, fmt.Errorf("%s: name is required", where)
		}
		if names[e.Name] {
			return nil, fmt.Errorf("%s: name %q is used twice", where, e.Name)
		}
		names[e.Name] = true
		if e.Role != RoleReader && e.Role != RoleInvestigator {
			return nil, fmt.Errorf("%s: role %q: want %s or %s", where, e.Role, RoleReader, RoleInvestigator)
		}
		var h [32]byte
		switch {
		case e.Token != "" && e.SHA256 != "":
			return nil, fmt.Errorf("%s: give token or sha256, not both", where)
		case e.Token != "":
			if len(e.Token) < 16 {
				return nil, fmt.Errorf("%s: token shorter than 16 characters", where)
			}
			h = sha256.Sum256([]byte(e.Token))
		case e.SHA256 != "":
			b, err := hex.DecodeString(e.SHA256)
			if err != nil || len(b) != 32 {
				return nil, fmt.Errorf("%s: sha256 must be 64 hex digits", where)
			}
			copy(h[:], b)
		default:
			return nil, fmt.Errorf("%s: token or sha256 is required", where)
		}
		if _, dup := out[h]; dup {
			return nil, fmt.Errorf("%s: the same token as an earlier entry", where)
		}
		out[h] = Identity{Name: e.Name, Role: e.Role, Party: e.Party}
	}
	return out, nil
}

func readTokens(path string) (map[[32]byte]Identity, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("httpapi: tokens: %w", err)
	}
	return ParseTokens(data)
}

// Lookup returns the identity of a bearer token.
func (t *Tokens) Lookup(token string) (Identity, bool) {
	if token == "" {
		return Identity{}, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reload()
	h := sha256.Sum256([]byte(token))
	for k, id := range t.byHash { // constant time per entry: no early exit on a prefix
		if subtle.ConstantTimeCompare(k[:], h[:]) == 1 {
			return id, true
		}
	}
	return Identity{}, false
}

// reload reads the file again when its size or modification time changed.
func (t *Tokens) reload() {
	st, err := os.Stat(t.path)
	if err != nil {
		t.log.Warn("tokens file unreadable; the tokens loaded before stay in force", "path", t.path, "err", err)
		return
	}
	if st.ModTime().Equal(t.modTime) && st.Size() == t.size {
		return
	}
	m, err := readTokens(t.path)
	if err != nil {
		t.log.Warn("tokens file invalid; the tokens loaded before stay in force", "path", t.path, "err", err)
		return
	}
	t.byHash, t.modTime, t.size = m, st.ModTime(), st.Size()
	t.log.Info("tokens file reloaded", "path", t.path, "tokens", len(m))
}
