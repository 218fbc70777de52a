package epcis_test

import (
	"bufio"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/epcis"
	"github.com/chipledger/chipledger/events"
)

// Every custody event of the story, as a one-event document line, maps
// back to the same canonical event.
func TestDocumentLineRoundTrip(t *testing.T) {
	f, err := os.Open("testdata/story.jsonl")
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		ev, err := events.Decode(sc.Bytes())
		require.NoError(t, err)
		line, ok, err := epcis.DocumentLine(ev)
		require.NoError(t, err)
		require.True(t, ok, ev.Type)
		require.NotContains(t, string(line), "\n")
		d, err := epcis.Parse(line)
		require.NoError(t, err)
		m, u := d.EventsWith(epcis.Options{SiteCountry: func(string) (string, bool) { return "SG", true }})
		require.Empty(t, u)
		require.Len(t, m, 1)
		require.Equal(t, string(ev.Canonical()), string(m[0].Event.Canonical()))
		n++
	}
	require.Positive(t, n)
	_, ok, err := epcis.DocumentLine(events.Event{ID: "x", Type: events.TypeSiteRegistered, Body: &events.SiteRegistered{Site: "S", Party: "P", Country: "SG"}})
	require.NoError(t, err)
	require.False(t, ok, "reference data stays native")
}
