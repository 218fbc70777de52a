package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/kafka"
	"github.com/chipledger/chipledger/kafka/kafkatest"
	"github.com/chipledger/chipledger/simulate"
)

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestRunFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		code    int
		stderr  string
		outputs bool
	}{
		{"chips below the range", []string{"--chips", "99", "--out", os.DevNull}, 1, "out of range", false},
		{"unknown flag", []string{"--frobnicate"}, 2, "flag provided but not defined", false},
		{"positional argument", []string{"world.jsonl"}, 2, "unexpected argument", false},
		{"help", []string{"--help"}, 2, "Generates a deterministic world", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, tc.args...)
			assert.Equal(t, tc.code, code, stderr)
			assert.Contains(t, stderr, tc.stderr)
		})
	}
}

// TestRunWritesFiles: --out, --truth and --screening, and the same seed
// gives the same bytes on stdout.
func TestRunWritesFiles(t *testing.T) {
	dir := t.TempDir()
	out, truth, csl := filepath.Join(dir, "w.jsonl"), filepath.Join(dir, "truth.json"), filepath.Join(dir, "csl.csv")
	code, _, stderr := runCmd(t, "--chips", "100", "--seed", "7", "--out", out, "--truth", truth, "--screening", csl)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "lines")

	data, err := os.ReadFile(out)
	require.NoError(t, err)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, events.MaxEventBytes+1)
	n := 0
	for sc.Scan() {
		_, err := events.Decode(sc.Bytes())
		require.NoError(t, err, "line %d", n+1)
		n++
	}
	assert.Greater(t, n, 10_000)

	var tr simulate.Truth
	tb, err := os.ReadFile(truth)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(tb, &tr))
	assert.EqualValues(t, 7, tr.Seed)
	assert.NotEmpty(t, tr.Scenarios)
	cb, err := os.ReadFile(csl)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(cb), "_id,source,entity_number,type,programs,name,"), "CSL header")

	code, stdout, stderr := runCmd(t, "--chips", "100", "--seed", "7")
	require.Equal(t, 0, code, stderr)
	assert.True(t, stdout == string(data), "stdout differs from --out for the same seed")
}

// TestRunPublishes publishes a small world to a real broker, keyed by the
// primary subject.
func TestRunPublishes(t *testing.T) {
	brokers, prefix := kafkatest.Brokers(t), kafkatest.Prefix(t)
	code, _, stderr := runCmd(t, "--chips", "100", "--seed", "5", "--brokers", strings.Join(brokers, ","), "--topic-prefix", prefix)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "published")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	topic := kafka.TopicNames(prefix).Events
	last, err := kafka.LastOffsets(ctx, brokers, topic)
	require.NoError(t, err)
	var total int64
	for _, o := range last {
		total += o
	}
	s, err := simulate.New(simulate.Options{Seed: 5, Chips: 100})
	require.NoError(t, err)
	var c counter
	_, err = s.Run(ctx, &c)
	require.NoError(t, err)
	assert.Equal(t, c.n, total, "records on %s", topic)
	msg, err := kafka.ReadLast(ctx, brokers, topic, 0)
	require.NoError(t, err)
	ev, err := events.Decode(msg.Value)
	require.NoError(t, err)
	assert.Equal(t, ev.Primary(), string(msg.Key))
}

type counter struct{ n int64 }

func (c *counter) Event(_, _ []byte) error { c.n++; return nil }
