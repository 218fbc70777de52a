package kafka

import (
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"strconv"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
)

const (
	clientID = "chipledger"

	// DefaultEventPartitions is the partition count of chip-events when
	// EnsureOptions.EventPartitions is zero.
	DefaultEventPartitions = 6

	// defaultAdminTimeout bounds admin calls whose context has no deadline.
	defaultAdminTimeout = 30 * time.Second
	pollInterval        = 100 * time.Millisecond
)

// TopicConfig describes one topic to create.
type TopicConfig struct {
	Name              string
	Partitions        int               // must be >= 1
	ReplicationFactor int               // zero means 1
	Configs           map[string]string // topic-level configs, e.g. "retention.ms"
}

// EnsureOptions tunes EnsureTopics. The zero value is the local single-broker
// layout: chip-events with DefaultEventPartitions partitions, replication 1.
type EnsureOptions struct {
	// EventPartitions is the partition count of chip-events (zero: 6).
	EventPartitions int
	// ReplicationFactor of all four topics (zero: 1).
	ReplicationFactor int
}

// TopicSpecs returns the configuration EnsureTopics creates for prefix:
// chip-events with opts.EventPartitions partitions, the other three with one;
// chip-ledger without any retention limit (retention.ms = retention.bytes = -1);
// chip-alerts compacted (cleanup.policy = compact: the latest state of every alert);
// max.message.bytes = MaxMessageBytes on all four.
func TopicSpecs(prefix string, opts EnsureOptions) []TopicConfig {
	if opts.EventPartitions <= 0 {
		opts.EventPartitions = DefaultEventPartitions
	}
	if opts.ReplicationFactor <= 0 {
		opts.ReplicationFactor = 1
	}
	names := TopicNames(prefix)
	base := func() map[string]string {
		return map[string]string{"max.message.bytes": strconv.Itoa(MaxMessageBytes)}
	}
	ledger := base()
	ledger["retention.ms"] = "-1"
	ledger["retention.bytes"] = "-1"
	// chip-alerts is keyed by alert id: compaction keeps every alert's
	// latest state for as long as the topic lives.
	alertsCfg := base()
	alertsCfg["cleanup.policy"] = "compact"
	return []TopicConfig{
		{Name: names.Events, Partitions: opts.EventPartitions, ReplicationFactor: opts.ReplicationFactor, Configs: base()},
		{Name: names.Rejected, Partitions: 1, ReplicationFactor: opts.ReplicationFactor, Configs: base()},
		{Name: names.Ledger, Partitions: 1, ReplicationFactor: opts.ReplicationFactor, Configs: ledger},
		{Name: names.Alerts, Partitions: 1, ReplicationFactor: opts.ReplicationFactor, Configs: alertsCfg},
	}
}

// EnsureTopics creates chipledger's four topics for prefix (see TopicSpecs)
// through the Kafka admin API and waits until all of them are visible in the
// cluster metadata with their partition counts and partition leaders. It is
// idempotent: existing topics are accepted as they are (their configs are not
// altered), except that an existing topic with a different partition count is
// an error, since it would change which partition a key maps to.
func EnsureTopics(ctx context.Context, brokers []string, prefix string, opts EnsureOptions) (Topics, error) {
	if err := CreateTopics(ctx, brokers, TopicSpecs(prefix, opts)...); err != nil {
		return Topics{}, err
	}
	return TopicNames(prefix), nil
}

// CreateTopics idempotently creates topics and waits until they are visible in
// the metadata with the configured partition counts and a leader for every
// partition. See EnsureTopics for the rules about existing topics. Transient
// broker errors (e.g. a controller still starting) are retried until ctx ends
// (or 30 s when ctx has no deadline).
func CreateTopics(ctx context.Context, brokers []string, topics ...TopicConfig) error {
	if err := checkBrokers(brokers); err != nil {
		return err
	}
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()

	req := &kafkago.CreateTopicsRequest{}
	want := make(map[string]int, len(topics))
	for _, t := range topics {
		if t.Name == "" {
			return errorf("create topics: empty topic name")
		}
		if t.Partitions < 1 {
			return errorf("create topic %s: partitions must be >= 1, got %d", t.Name, t.Partitions)
		}
		rf := t.ReplicationFactor
		if rf <= 0 {
			rf = 1
		}
		tc := kafkago.TopicConfig{Topic: t.Name, NumPartitions: t.Partitions, ReplicationFactor: rf}
		keys := make([]string, 0, len(t.Configs))
		for k := range t.Configs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			tc.ConfigEntries = append(tc.ConfigEntries, kafkago.ConfigEntry{ConfigName: k, ConfigValue: t.Configs[k]})
		}
		req.Topics = append(req.Topics, tc)
		want[t.Name] = t.Partitions
	}
	if len(req.Topics) == 0 {
		return nil
	}

	// Create, retrying transient failures.
	for {
		err := createOnce(ctx, brokers, req)
		if err == nil {
			break
		}
		if !retriable(err) {
			return err
		}
		if !sleepCtx(ctx, 200*time.Millisecond) {
			return errorf("create topics: %w (last error: %v)", ctx.Err(), err)
		}
	}

	// Wait until every topic shows up with its partitions and leaders.
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	slices.Sort(names)
	var last error
	for {
		last = checkVisible(ctx, brokers, names, want)
		if last == nil {
			return nil
		}
		var mismatch *partitionMismatchError
		if errors.As(last, &mismatch) {
			return last
		}
		if !sleepCtx(ctx, pollInterval) {
			return errorf("waiting for topics %v: %w (last: %v)", names, ctx.Err(), last)
		}
	}
}

func createOnce(ctx context.Context, brokers []string, req *kafkago.CreateTopicsRequest) error {
	a := newAdmin(brokers)
	defer a.close()
	res, err := a.client.CreateTopics(ctx, req)
	if err != nil {
		return errorf("create topics: %w", err)
	}
	for _, t := range req.Topics {
		if err := res.Errors[t.Topic]; err != nil && !errors.Is(err, kafkago.TopicAlreadyExists) {
			return errorf("create topic %s: %w", t.Topic, err)
		}
	}
	return nil
}

type partitionMismatchError struct {
	topic     string
	want, got int
}

func (e *partitionMismatchError) Error() string {
	return "kafka: topic " + e.topic + " exists with " + strconv.Itoa(e.got) +
		" partitions, want " + strconv.Itoa(e.want)
}

func checkVisible(ctx context.Context, brokers []string, names []string, want map[string]int) error {
	a := newAdmin(brokers, names...)
	defer a.close()
	md, err := a.client.Metadata(ctx, &kafkago.MetadataRequest{Topics: names})
	if err != nil {
		return errorf("metadata: %w", err)
	}
	seen := make(map[string]bool, len(names))
	for _, t := range md.Topics {
		if _, ok := want[t.Name]; !ok {
			continue
		}
		if t.Error != nil {
			return errorf("topic %s: %w", t.Name, t.Error)
		}
		if len(t.Partitions) == 0 {
			return errorf("topic %s: no partitions yet", t.Name)
		}
		if len(t.Partitions) != want[t.Name] {
			// KRaft publishes a new topic with all its partitions at once, so
			// a different count means the topic existed before.
			return &partitionMismatchError{topic: t.Name, want: want[t.Name], got: len(t.Partitions)}
		}
		for _, p := range t.Partitions {
			if p.Error != nil {
				return errorf("topic %s partition %d: %w", t.Name, p.ID, p.Error)
			}
			if p.Leader.ID < 0 || p.Leader.Host == "" {
				return errorf("topic %s partition %d has no leader yet", t.Name, p.ID)
			}
		}
		seen[t.Name] = true
	}
	for _, n := range names {
		if !seen[n] {
			return errorf("topic %s not in metadata yet", n)
		}
	}
	// Metadata can name a leader a moment before that broker serves the
	// partition: require every partition to answer a ListOffsets too.
	for _, n := range names {
		parts := make([]int, want[n])
		for i := range parts {
			parts[i] = i
		}
		if _, err := a.offsets(ctx, n, parts...); err != nil {
			return err
		}
	}
	return nil
}

// DeleteTopics deletes topics; topics that do not exist are ignored. It is
// meant for tests and tools that clean up their prefixed topics, never for
// chip-ledger in production.
func DeleteTopics(ctx context.Context, brokers []string, topics ...string) error {
	if err := checkBrokers(brokers); err != nil {
		return err
	}
	if len(topics) == 0 {
		return nil
	}
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	return withAdmin(ctx, brokers, nil, func(a *admin) error {
		res, err := a.client.DeleteTopics(ctx, &kafkago.DeleteTopicsRequest{Topics: topics})
		if err != nil {
			return errorf("delete topics: %w", err)
		}
		for _, t := range topics {
			if err := res.Errors[t]; err != nil && !errors.Is(err, kafkago.UnknownTopicOrPartition) {
				return errorf("delete topic %s: %w", t, err)
			}
		}
		return nil
	})
}

// PartitionCount returns the number of partitions of topic.
func PartitionCount(ctx context.Context, brokers []string, topic string) (int, error) {
	if err := checkBrokers(brokers); err != nil {
		return 0, err
	}
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	var n int
	err := withAdmin(ctx, brokers, []string{topic}, func(a *admin) error {
		parts, err := a.partitions(ctx, topic)
		n = len(parts)
		return err
	})
	return n, err
}

// LastOffsets returns the high watermark (the offset the next record will get)
// of every partition of topic, keyed by partition.
func LastOffsets(ctx context.Context, brokers []string, topic string) (map[int]int64, error) {
	if err := checkBrokers(brokers); err != nil {
		return nil, err
	}
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	var out map[int]int64
	err := withAdmin(ctx, brokers, []string{topic}, func(a *admin) error {
		parts, err := a.partitions(ctx, topic)
		if err != nil {
			return err
		}
		offs, err := a.offsets(ctx, topic, parts...)
		if err != nil {
			return err
		}
		out = make(map[int]int64, len(offs))
		for p, o := range offs {
			out[p] = o.last
		}
		return nil
	})
	return out, err
}

// ReadLast returns the last record of one partition of topic, or nil (and no
// error) when the partition holds no record. chipledger uses it to find the
// last sequence published on chip-ledger.
func ReadLast(ctx context.Context, brokers []string, topic string, partition int) (*Message, error) {
	if err := checkBrokers(brokers); err != nil {
		return nil, err
	}
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	var found *Message
	err := withAdmin(ctx, brokers, []string{topic}, func(a *admin) error {
		found = nil
		if _, err := a.partitions(ctx, topic); err != nil {
			return err
		}
		offs, err := a.offsets(ctx, topic, partition)
		if err != nil {
			return err
		}
		o := offs[partition]
		if o.last <= o.first {
			return nil
		}
		found, err = a.readAt(ctx, topic, partition, o.last-1, o.last)
		return err
	})
	return found, err
}

// readAt returns the last record with an offset in [from, below) of the fetch
// that starts at from.
func (a *admin) readAt(ctx context.Context, topic string, partition int, from, below int64) (*Message, error) {
	res, err := a.client.Fetch(ctx, &kafkago.FetchRequest{
		Topic:     topic,
		Partition: partition,
		Offset:    from,
		MinBytes:  1,
		MaxBytes:  4 * MaxMessageBytes,
		MaxWait:   500 * time.Millisecond,
	})
	if err != nil {
		return nil, errorf("read %s/%d at %d: %w", topic, partition, from, err)
	}
	if res.Error != nil {
		return nil, errorf("read %s/%d at %d: %w", topic, partition, from, res.Error)
	}
	if res.Records == nil {
		return nil, errorf("read %s/%d at %d: no records returned", topic, partition, from)
	}
	var found *Message
	for {
		r, err := res.Records.ReadRecord()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, errorf("read %s/%d at %d: %w", topic, partition, from, err)
		}
		if r.Offset < from {
			continue // the batch holding from may start earlier
		}
		if r.Offset >= below {
			break
		}
		m, err := fromRecord(topic, partition, r)
		if err != nil {
			return nil, errorf("read %s/%d at %d: %w", topic, partition, from, err)
		}
		found = &m
	}
	if found == nil {
		return nil, errorf("read %s/%d: no record in [%d, %d)", topic, partition, from, below)
	}
	return found, nil
}

// DescribeTopicConfig returns the effective topic-level configuration of topic
// (including broker defaults), e.g. "retention.ms" -> "-1".
func DescribeTopicConfig(ctx context.Context, brokers []string, topic string) (map[string]string, error) {
	if err := checkBrokers(brokers); err != nil {
		return nil, err
	}
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	var out map[string]string
	err := withAdmin(ctx, brokers, []string{topic}, func(a *admin) error {
		res, err := a.client.DescribeConfigs(ctx, &kafkago.DescribeConfigsRequest{
			Resources: []kafkago.DescribeConfigRequestResource{{
				ResourceType: kafkago.ResourceTypeTopic,
				ResourceName: topic,
			}},
		})
		if err != nil {
			return errorf("describe configs of %s: %w", topic, err)
		}
		out = map[string]string{}
		for _, r := range res.Resources {
			if r.Error != nil {
				return errorf("describe configs of %s: %w", topic, r.Error)
			}
			for _, e := range r.ConfigEntries {
				out[e.ConfigName] = e.ConfigValue
			}
		}
		return nil
	})
	return out, err
}

// CommitGroupOffsets commits offsets (partition -> next offset to consume) of
// topic for consumer group, as a "simple" group outside any group membership,
// the way admin tools do. It is meant only for lag monitoring: chipledger's
// consumers keep their own positions and do not use consumer groups.
func CommitGroupOffsets(ctx context.Context, brokers []string, group, topic string, offsets map[int]int64) error {
	if err := checkBrokers(brokers); err != nil {
		return err
	}
	if group == "" {
		return errorf("commit offsets: empty group id")
	}
	if len(offsets) == 0 {
		return nil
	}
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	commits := make([]kafkago.OffsetCommit, 0, len(offsets))
	for p, o := range offsets {
		commits = append(commits, kafkago.OffsetCommit{Partition: p, Offset: o})
	}
	slices.SortFunc(commits, func(x, y kafkago.OffsetCommit) int { return x.Partition - y.Partition })
	return withAdmin(ctx, brokers, []string{topic}, func(a *admin) error {
		res, err := a.client.OffsetCommit(ctx, &kafkago.OffsetCommitRequest{
			GroupID:      group,
			GenerationID: -1, // no generation: a simple (admin) commit
			Topics:       map[string][]kafkago.OffsetCommit{topic: commits},
		})
		if err != nil {
			return errorf("commit offsets of %s for group %s: %w", topic, group, err)
		}
		for _, p := range res.Topics[topic] {
			if p.Error != nil {
				return errorf("commit offset of %s/%d for group %s: %w", topic, p.Partition, group, p.Error)
			}
		}
		return nil
	})
}

// GroupOffsets returns the committed offsets of group on topic, keyed by
// partition; partitions without a commit are absent.
func GroupOffsets(ctx context.Context, brokers []string, group, topic string) (map[int]int64, error) {
	if err := checkBrokers(brokers); err != nil {
		return nil, err
	}
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	var out map[int]int64
	err := withAdmin(ctx, brokers, []string{topic}, func(a *admin) error {
		parts, err := a.partitions(ctx, topic)
		if err != nil {
			return err
		}
		res, err := a.client.OffsetFetch(ctx, &kafkago.OffsetFetchRequest{
			GroupID: group,
			Topics:  map[string][]int{topic: parts},
		})
		if err != nil {
			return errorf("fetch offsets of %s for group %s: %w", topic, group, err)
		}
		if res.Error != nil {
			return errorf("fetch offsets of %s for group %s: %w", topic, group, res.Error)
		}
		out = map[int]int64{}
		for _, p := range res.Topics[topic] {
			if p.Error != nil {
				return errorf("fetch offset of %s/%d for group %s: %w", topic, p.Partition, group, p.Error)
			}
			if p.CommittedOffset >= 0 {
				out[p.Partition] = p.CommittedOffset
			}
		}
		return nil
	})
	return out, err
}

// admin is a short-lived client with its own transport, so that its metadata
// is fetched fresh from the cluster (kafka-go's shared transport answers
// metadata requests from a cache that may not know a topic created a moment
// ago by another process).
type admin struct {
	transport *kafkago.Transport
	client    *kafkago.Client
}

func newAdmin(brokers []string, topics ...string) *admin {
	t := &kafkago.Transport{
		ClientID:       clientID,
		DialTimeout:    5 * time.Second,
		MetadataTopics: topics,
	}
	return &admin{
		transport: t,
		client:    &kafkago.Client{Addr: brokerAddr(brokers), Transport: t, Timeout: defaultAdminTimeout},
	}
}

func (a *admin) close() { a.transport.CloseIdleConnections() }

func (a *admin) partitions(ctx context.Context, topic string) ([]int, error) {
	md, err := a.client.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, errorf("metadata of %s: %w", topic, err)
	}
	for _, t := range md.Topics {
		if t.Name != topic {
			continue
		}
		if t.Error != nil {
			return nil, errorf("metadata of %s: %w", topic, t.Error)
		}
		ids := make([]int, 0, len(t.Partitions))
		for _, p := range t.Partitions {
			ids = append(ids, p.ID)
		}
		slices.Sort(ids)
		if len(ids) == 0 {
			return nil, errorf("metadata of %s: no partitions", topic)
		}
		return ids, nil
	}
	return nil, errorf("metadata of %s: %w", topic, kafkago.UnknownTopicOrPartition)
}

type offsetRange struct{ first, last int64 }

func (a *admin) offsets(ctx context.Context, topic string, parts ...int) (map[int]offsetRange, error) {
	reqs := make([]kafkago.OffsetRequest, 0, 2*len(parts))
	for _, p := range parts {
		reqs = append(reqs, kafkago.FirstOffsetOf(p), kafkago.LastOffsetOf(p))
	}
	res, err := a.client.ListOffsets(ctx, &kafkago.ListOffsetsRequest{
		Topics: map[string][]kafkago.OffsetRequest{topic: reqs},
	})
	if err != nil {
		return nil, errorf("list offsets of %s: %w", topic, err)
	}
	out := make(map[int]offsetRange, len(parts))
	for _, po := range res.Topics[topic] {
		if po.Error != nil {
			return nil, errorf("list offsets of %s/%d: %w", topic, po.Partition, po.Error)
		}
		out[po.Partition] = offsetRange{first: po.FirstOffset, last: po.LastOffset}
	}
	for _, p := range parts {
		if _, ok := out[p]; !ok {
			return nil, errorf("list offsets of %s: partition %d missing from response", topic, p)
		}
	}
	return out, nil
}

func fromRecord(topic string, partition int, r *kafkago.Record) (Message, error) {
	key, err := protocol.ReadAll(r.Key)
	if err != nil {
		return Message{}, err
	}
	value, err := protocol.ReadAll(r.Value)
	if err != nil {
		return Message{}, err
	}
	m := Message{Topic: topic, Partition: partition, Offset: r.Offset, Key: key, Value: value, Time: r.Time}
	if len(r.Headers) > 0 {
		m.Headers = make(map[string][]byte, len(r.Headers))
		for _, h := range r.Headers {
			m.Headers[h.Key] = slices.Clone(h.Value)
		}
	}
	return m, nil
}

func brokerAddr(brokers []string) net.Addr { return kafkago.TCP(brokers...) }

func checkBrokers(brokers []string) error {
	if len(brokers) == 0 {
		return errorf("no brokers given")
	}
	for _, b := range brokers {
		if b == "" {
			return errorf("empty broker address")
		}
	}
	return nil
}

func withDefaultTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, defaultAdminTimeout)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// withAdmin runs fn with a fresh admin client, retrying with a new client
// (and so fresh metadata) while fn fails with a retriable error and ctx lasts.
func withAdmin(ctx context.Context, brokers []string, topics []string, fn func(a *admin) error) error {
	backoff := 50 * time.Millisecond
	for {
		a := newAdmin(brokers, topics...)
		err := fn(a)
		a.close()
		if err == nil || !retriable(err) {
			return err
		}
		if !sleepCtx(ctx, backoff) {
			return err
		}
		backoff = min(2*backoff, time.Second)
	}
}

// retriable reports whether err is worth retrying: a transient Kafka error
// (leader or group coordinator moving or still loading, e.g. right after a
// topic was created) or a network failure (broker still starting). An unknown
// topic is not retried.
func retriable(err error) bool {
	var kerr kafkago.Error
	if errors.As(err, &kerr) {
		return kerr.Temporary() && kerr != kafkago.UnknownTopicOrPartition
	}
	var nerr net.Error
	if errors.As(err, &nerr) {
		return true
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}
