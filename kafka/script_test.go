package kafka_test

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestScriptStatusAndEnv runs only the cheap subcommands of scripts/kafka.sh;
// starting and stopping the broker is exercised by CI.
func TestScriptStatusAndEnv(t *testing.T) {
	out, err := exec.Command("bash", "../scripts/kafka.sh", "env").Output()
	require.NoError(t, err)
	env := strings.TrimSpace(string(out))
	require.True(t, strings.HasPrefix(env, "export KAFKA_BROKERS=127.0.0.1:"), env)
	local := strings.TrimPrefix(env, "export KAFKA_BROKERS=")

	cmd := exec.Command("bash", "../scripts/kafka.sh", "status")
	out, err = cmd.CombinedOutput()
	status := strings.TrimSpace(string(out))
	var exit *exec.ExitError
	switch {
	case err == nil:
		assert.Contains(t, status, "kafka: running (pid ")
	case errors.As(err, &exit) && exit.ExitCode() == 1:
		assert.Equal(t, "kafka: not running", status)
		// The local broker must be up when the tests are pointed at it.
		require.NotEqual(t, local, os.Getenv("KAFKA_BROKERS"),
			"KAFKA_BROKERS names the local broker but `scripts/kafka.sh status` says it is not running: run `bash scripts/kafka.sh up`")
	default:
		t.Fatalf("scripts/kafka.sh status: %v: %s", err, status)
	}
}
