package events_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/events"
)

// FuzzDecode checks that Decode never panics and that whatever it accepts
// has a canonical form that decodes to the same event and is a fixed point.
func FuzzDecode(f *testing.F) {
	for _, line := range readLines(f, examplesFile) {
		f.Add(line)
	}
	for _, tc := range badCases() {
		if len(tc.input) <= 4<<10 { // keep the corpus small; big inputs only test the size limits
			f.Add([]byte(tc.input))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := events.Decode(data)
		if err != nil {
			require.NotEmpty(t, events.Reason(err))
			require.True(t, strings.HasPrefix(err.Error(), "events: "))
			return
		}
		c := e.Canonical()
		require.LessOrEqual(t, len(c), events.MaxEventBytes)
		again, err := events.Decode(c)
		require.NoError(t, err, "canonical form of %q does not decode: %s", data, c)
		require.Equal(t, e, again)
		require.Equal(t, string(c), string(again.Canonical()))
		require.NoError(t, e.Validate())
		_ = e.Subjects()
		_ = e.Primary()
	})
}

// FuzzParseUnitID checks that a parsed unit id is valid, normalised and
// stable under parsing again and under ASCII case changes.
func FuzzParseUnitID(f *testing.F) {
	for _, s := range []string{
		"chip:1652423000001", "CHIP:abc-1", " sys:smc-a1 ", "pkg:00012345678901234567", "pkg:a.b_c/d-e",
		"", ":", "chip:", "gpu:1", "chip:AB C", "chip:ſ1", "\u212aind:1", "chip:" + strings.Repeat("a", 65),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := events.ParseUnitID(s)
		if err != nil {
			require.Empty(t, u)
			require.Equal(t, events.ReasonOutOfRange, events.Reason(err))
			return
		}
		require.Contains(t, []string{events.KindChip, events.KindSys, events.KindPkg}, u.Kind())
		serial := u.Serial()
		require.NotEmpty(t, serial)
		require.LessOrEqual(t, len(serial), events.MaxSerialLen)
		for _, c := range []byte(serial) {
			require.Contains(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-", string(c))
		}
		again, err := events.ParseUnitID(string(u))
		require.NoError(t, err)
		require.Equal(t, u, again)
		lower, err := events.ParseUnitID(asciiLower(s))
		require.NoError(t, err)
		require.Equal(t, u, lower)
	})
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
