package replica_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/kafka"
	"github.com/chipledger/chipledger/kafka/kafkatest"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/projections/alerts"
	"github.com/chipledger/chipledger/replica"
)

// readFeed returns every record of the alerts topic: alert id -> versions
// in offset order.
func readFeed(t *testing.T, brokers []string, topic string) map[string][]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ends, err := kafka.LastOffsets(ctx, brokers, topic)
	require.NoError(t, err)
	out := map[string][]string{}
	for part, end := range ends {
		if end == 0 {
			continue
		}
		r, err := kafka.NewPartitionReader(brokers, topic, part, kafka.FirstOffset, kafka.ReaderOptions{})
		require.NoError(t, err)
		for {
			m, err := r.Fetch(ctx)
			require.NoError(t, err)
			var rec replica.FeedRecord
			require.NoError(t, json.Unmarshal(m.Value, &rec))
			require.Equal(t, string(m.Key), rec.Alert.ID)
			require.Equal(t, rec.Version, string(m.Headers["version"]))
			out[rec.Alert.ID] = append(out[rec.Alert.ID], rec.Version)
			if m.Offset+1 >= end {
				break
			}
		}
		require.NoError(t, r.Close())
	}
	return out
}

// The feed publishes each alert state once; a feed started again on the
// same topic publishes only what changed since.
func TestAlertFeedPublishesOnce(t *testing.T) {
	brokers, prefix := kafkatest.Brokers(t), kafkatest.Prefix(t)
	ctx := context.Background()
	topics, err := kafka.EnsureTopics(ctx, brokers, prefix, kafka.EnsureOptions{})
	require.NoError(t, err)
	as := []alerts.Alert{
		{ID: "R1:sys:A:e1", Rule: "R1", State: alerts.StateOpen, Severity: alerts.SeverityCritical, CaseSeverity: alerts.SeverityCritical, RaisedSeq: 10},
		{ID: "R6:sys:A:e2", Rule: "R6", State: alerts.StateOpen, Severity: alerts.SeverityHigh, CaseSeverity: alerts.SeverityCritical, RaisedSeq: 11},
		{ID: "R8:chip:B:e3", Rule: "R8", State: alerts.StateOpen, Severity: alerts.SeverityHigh, CaseSeverity: alerts.SeverityHigh, RaisedSeq: 12},
	}
	f, err := replica.NewAlertFeed(ctx, brokers, topics.Alerts, nil)
	require.NoError(t, err)
	n, err := f.Publish(ctx, as)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	n, err = f.Publish(ctx, as)
	require.NoError(t, err)
	require.Zero(t, n, "nothing changed")
	require.NoError(t, f.Close())

	// A restart: a new feed reads the topic back.
	as[1].State = alerts.StateDismissed
	as[1].Decisions = []projections.Decision{{Action: projections.ActionDismissed}}
	as[2].State, as[2].WithdrawnSeq = alerts.StateWithdrawn, 20
	f, err = replica.NewAlertFeed(ctx, brokers, topics.Alerts, nil)
	require.NoError(t, err)
	defer f.Close()
	n, err = f.Publish(ctx, as)
	require.NoError(t, err)
	require.Equal(t, 2, n, "only the two changed states")

	got := readFeed(t, brokers, topics.Alerts)
	require.Len(t, got, 3)
	for _, a := range as {
		vs := got[a.ID]
		require.Equal(t, replica.Version(a), vs[len(vs)-1], "the topic's last record of %s is its state", a.ID)
		seen := map[string]bool{}
		for _, v := range vs {
			require.False(t, seen[v], "%s published twice at version %s", a.ID, v)
			seen[v] = true
		}
	}
}
