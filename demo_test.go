package chipledger_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/kafka/kafkatest"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// TestDemoCheck runs the README's demo end to end once, on a small world:
// the same script `make demo` runs, so the first command of the README is
// proven on every test run.
func TestDemoCheck(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	bin := t.TempDir()
	out, err := exec.Command("go", "build", "-o", bin+"/", "./cmd/...").CombinedOutput()
	require.NoError(t, err, "%s", out)

	cmd := exec.Command("bash", "scripts/demo.sh")
	cmd.Env = append(os.Environ(),
		"KAFKA_BROKERS="+brokers[0],
		"DEMO_CHECK=1",
		"DEMO_CHIPS=200",
		"DEMO_BIN="+bin,
		"DEMO_DIR="+filepath.Join(t.TempDir(), "demo"),
		"DEMO_INGEST_ADDR="+freeAddr(t),
		"DEMO_QUERY_ADDR="+freeAddr(t),
	)
	got, err := cmd.CombinedOutput()
	require.NoError(t, err, "demo output:\n%s", got)
	assert.Contains(t, string(got), "demo-check: ok")
	assert.Contains(t, string(got), "rejected:          0")
	assert.Contains(t, string(got), "the replica's chain matches ingest's head")
	assert.Contains(t, string(got), "scenario alx-solutions")
	assert.Regexp(t, `== open alerts by rule[^\n]*\n[1-9]\d* alerts \(state open\)[^\n]*\nRULE\s+ALERTS\nR1\s+[1-9]`, string(got), "the open alerts, counted by rule")
	assert.Regexp(t, `(?m)^alert\s+R1:chip:\S+$`, string(got), "an R1 alert in detail")
	assert.Contains(t, string(got), "fact source")
}
