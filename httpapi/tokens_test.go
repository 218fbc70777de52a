package httpapi_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/httpapi"
)

func TestTokensFile(t *testing.T) {
	sum := sha256.Sum256([]byte("investigator-token-alice"))
	path := filepath.Join(t.TempDir(), "tokens.json")
	write := func(s string) { require.NoError(t, os.WriteFile(path, []byte(s), 0o600)) }
	write(`{"tokens":[{"name":"alice","role":"investigator","sha256":"` + hex.EncodeToString(sum[:]) + `"},
		{"name":"dash","role":"reader","token":"reader-token-0123456789","party":"P-DELL"}]}`)
	tk, err := httpapi.LoadTokens(path, nil)
	require.NoError(t, err)
	id, ok := tk.Lookup("investigator-token-alice")
	require.True(t, ok)
	require.Equal(t, httpapi.Identity{Name: "alice", Role: httpapi.RoleInvestigator}, id)
	require.True(t, id.CanTriage())
	id, ok = tk.Lookup("reader-token-0123456789")
	require.True(t, ok)
	require.Equal(t, "P-DELL", id.Party)
	require.False(t, id.CanTriage())
	_, ok = tk.Lookup("nope")
	require.False(t, ok)

	// The file is read again when it changes; a broken file keeps the old set.
	write(`{"tokens":[{"name":"bob","role":"investigator","token":"investigator-token-bob!"}]}`)
	id, ok = tk.Lookup("investigator-token-bob!")
	require.True(t, ok, "reloaded")
	require.Equal(t, "bob", id.Name)
	_, ok = tk.Lookup("investigator-token-alice")
	require.False(t, ok, "alice's token was removed")
	write(`{"tokens":[{"name":"bob","role":"admin","token":"investigator-token-bob!"}]} `)
	_, ok = tk.Lookup("investigator-token-bob!")
	require.True(t, ok, "an invalid file keeps the tokens in force")
}

func TestParseTokensRefuses(t *testing.T) {
	for name, c := range map[string]struct{ in, err string }{
		"unknown field": {`{"tokens":[],"x":1}`, "unknown field"},
		"no name":       {`{"tokens":[{"role":"reader","token":"0123456789abcdef"}]}`, "name is required"},
		"bad role":      {`{"tokens":[{"name":"a","role":"admin","token":"0123456789abcdef"}]}`, `role "admin"`},
		"short token":   {`{"tokens":[{"name":"a","role":"reader","token":"short"}]}`, "shorter than 16"},
		"bad sha":       {`{"tokens":[{"name":"a","role":"reader","sha256":"xyz"}]}`, "64 hex digits"},
		"both":          {`{"tokens":[{"name":"a","role":"reader","token":"0123456789abcdef","sha256":"00"}]}`, "not both"},
		"twice":         {`{"tokens":[{"name":"a","role":"reader","token":"0123456789abcdef"},{"name":"b","role":"reader","token":"0123456789abcdef"}]}`, "same token"},
		"same name":     {`{"tokens":[{"name":"a","role":"reader","token":"0123456789abcdef"},{"name":"a","role":"reader","token":"0123456789abcdeX"}]}`, "used twice"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := httpapi.ParseTokens([]byte(c.in))
			require.ErrorContains(t, err, c.err)
		})
	}
}

func FuzzParseTokens(f *testing.F) {
	f.Add([]byte(`{"tokens":[{"name":"a","role":"reader","token":"0123456789abcdef"}]}`))
	f.Add([]byte(`{"tokens":[{"name":"a","role":"investigator","sha256":"` + hex.EncodeToString(make([]byte, 32)) + `"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := httpapi.ParseTokens(data)
		if err == nil {
			for _, id := range m {
				require.NotEmpty(t, id.Name)
			}
		}
	})
}
