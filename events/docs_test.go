package events_test

import (
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/events"
)

const docsFile = "../docs/events.md"

var jsonBlock = regexp.MustCompile("(?ms)^```json\n(.*?)^```")

// TestDocsExamples checks the contract in docs/events.md: every ```json
// block is a valid event, it is one of the testdata examples, and every
// type has one.
func TestDocsExamples(t *testing.T) {
	doc, err := os.ReadFile(docsFile)
	require.NoError(t, err)
	blocks := jsonBlock.FindAllSubmatch(doc, -1)
	require.NotEmpty(t, blocks)

	_, evs := examples(t)
	canonical := map[string]bool{}
	for _, e := range evs {
		canonical[string(e.Canonical())] = true
	}

	covered := map[string]bool{}
	for i, m := range blocks {
		e, err := events.Decode(m[1])
		require.NoError(t, err, "json block %d of %s:\n%s", i+1, docsFile, m[1])
		covered[e.Type] = true
		assert.True(t, canonical[string(e.Canonical())], "json block %d (%s) of %s is not in %s", i+1, e.Type, docsFile, examplesFile)
	}
	for _, typ := range events.Types() {
		assert.True(t, covered[typ], "%s has no example of %s", docsFile, typ)
		heading := regexp.MustCompile(`(?m)^#### .*` + regexp.QuoteMeta(typ))
		assert.Regexp(t, heading, string(doc), "%s has no section for %s", docsFile, typ)
	}
}
