package chipledger_test

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestImportRules enforces the package layout: one package per outside
// dependency, and events on the standard library alone.
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	require.NoError(t, err, "go list")
	const mod = "github.com/chipledger/chipledger"
	// Which project packages may import a dependency (prefix match).
	owners := map[string][]string{
		"github.com/cockroachdb/pebble":         {mod + "/ledger"},
		"github.com/segmentio/kafka-go":         {mod + "/kafka"},
		"github.com/prometheus/":                {mod + "/metrics"},
		"net/http/pprof":                        {mod + "/httpapi"},
		"github.com/santhosh-tekuri/jsonschema": {mod + "/epcis"},
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for {
		var p struct {
			ImportPath string
			Imports    []string
			Doc        string
			Name       string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else {
			require.NoError(t, err)
		}
		seen++
		assert.NotEmpty(t, p.Doc, "package %s has no doc comment", p.ImportPath)
		for _, imp := range p.Imports {
			for dep, allowed := range owners {
				if !strings.HasPrefix(imp, dep) {
					continue
				}
				ok := false
				for _, a := range allowed {
					ok = ok || p.ImportPath == a || strings.HasPrefix(p.ImportPath, a+"/")
				}
				assert.True(t, ok, "%s imports %s; only %v may", p.ImportPath, imp, allowed)
			}
			if p.ImportPath == mod+"/events" {
				assert.False(t, strings.Contains(imp, "."), "events imports %s: it must use the standard library only", imp)
			}
			if p.ImportPath == mod+"/projections" {
				assert.False(t, imp == "net/http" || imp == "os" || strings.HasPrefix(imp, mod+"/ledger") || strings.HasPrefix(imp, mod+"/kafka"),
					"projections imports %s: it must stay pure (no I/O)", imp)
			}
		}
	}
	assert.Greater(t, seen, 8, "go list found the packages")
}
