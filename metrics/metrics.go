// Package metrics holds chipledger's Prometheus metrics and is the only
// importer of the Prometheus client. Each daemon builds one Registry with
// the Go runtime and process collectors (resident memory included) and the
// metric set of its role.
package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry is a Prometheus registry with the runtime collectors.
type Registry struct {
	reg *prometheus.Registry
}

// NewRegistry returns a registry with the Go and process collectors.
func NewRegistry() *Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return &Registry{reg: reg}
}

// Handler serves the registry in the Prometheus text format.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{})
}

// Ingest is the write side's metric set. A nil *Ingest records nothing.
type Ingest struct {
	appended      prometheus.Counter
	duplicates    prometheus.Counter
	conflicts     prometheus.Counter
	rejected      *prometheus.CounterVec
	batchSize     prometheus.Histogram
	commitLatency prometheus.Histogram
	lag           *prometheus.GaugeVec
	headSeq       prometheus.Gauge
	published     prometheus.Gauge
	outboxLag     prometheus.Gauge
	outboxErrors  prometheus.Counter
}

// NewIngest registers the ingest metrics in r.
func NewIngest(r *Registry) *Ingest {
	m := &Ingest{
		appended: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chipledger_ingest_appended_total", Help: "Entries appended to the ledger."}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chipledger_ingest_duplicates_total", Help: "Events skipped because their id and content are already in the ledger."}),
		conflicts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chipledger_ingest_conflicts_total", Help: "Events whose id is in the ledger with different content (quarantined)."}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chipledger_ingest_rejected_total", Help: "Messages quarantined, by reason."}, []string{"reason"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "chipledger_ingest_batch_messages", Help: "Messages per synced ledger batch.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 9)}),
		commitLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "chipledger_ingest_commit_seconds", Help: "Time to commit one synced ledger batch.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "chipledger_ingest_partition_lag", Help: "Records in chip-events not yet in the ledger, per partition."}, []string{"partition"}),
		headSeq: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chipledger_ledger_head_sequence", Help: "Sequence of the last ledger entry."}),
		published: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chipledger_outbox_published_sequence", Help: "Last sequence published to chip-ledger."}),
		outboxLag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chipledger_outbox_lag", Help: "Entries committed but not yet published to chip-ledger."}),
		outboxErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chipledger_outbox_errors_total", Help: "Failed attempts to publish to chip-ledger (retried)."}),
	}
	r.reg.MustRegister(m.appended, m.duplicates, m.conflicts, m.rejected, m.batchSize, m.commitLatency,
		m.lag, m.headSeq, m.published, m.outboxLag, m.outboxErrors)
	return m
}

// Committed records one synced batch.
func (m *Ingest) Committed(messages, appended, duplicates, conflicts int, rejectedByReason map[string]int, took time.Duration, head uint64) {
	if m == nil {
		return
	}
	m.appended.Add(float64(appended))
	m.duplicates.Add(float64(duplicates))
	m.conflicts.Add(float64(conflicts))
	for reason, n := range rejectedByReason {
		m.rejected.WithLabelValues(reason).Add(float64(n))
	}
	m.batchSize.Observe(float64(messages))
	m.commitLatency.Observe(took.Seconds())
	m.headSeq.Set(float64(head))
}

// Lag sets the consumer lag of one partition.
func (m *Ingest) Lag(partition int, lag int64) {
	if m == nil {
		return
	}
	m.lag.WithLabelValues(strconv.Itoa(partition)).Set(float64(lag))
}

// Published records the outbox position against the head.
func (m *Ingest) Published(published, head uint64) {
	if m == nil {
		return
	}
	m.published.Set(float64(published))
	m.outboxLag.Set(float64(head - min(head, published)))
}

// OutboxError counts a failed publish attempt.
func (m *Ingest) OutboxError() {
	if m != nil {
		m.outboxErrors.Inc()
	}
}

// Query is a read replica's metric set. A nil *Query records nothing.
type Query struct {
	applied prometheus.Gauge
	broken  prometheus.Gauge
	lag     prometheus.Gauge

	detectSeq       prometheus.Gauge
	detectSeconds   prometheus.Histogram
	detectUnits     prometheus.Counter
	detectErrors    prometheus.Counter
	alertsOpen      *prometheus.GaugeVec
	alertsMu        sync.Mutex
	alertsRules     map[string]bool // rules ever reported, kept at 0 when none is open
	alertsWithdrawn prometheus.Gauge
}

// NewQuery registers the replica metrics in r.
func NewQuery(r *Registry) *Query {
	m := &Query{
		applied: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chipledger_replica_applied_sequence", Help: "Last ledger sequence verified and applied by this replica."}),
		broken: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chipledger_replica_broken_sequence", Help: "Sequence at which the replica found the chain broken (0: none)."}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chipledger_replica_lag", Help: "Records on chip-ledger not yet applied."}),
		detectSeq: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chipledger_detection_sequence", Help: "Ledger sequence the alerts were last evaluated at."}),
		detectSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "chipledger_detection_evaluation_seconds", Help: "Time to bring the alerts up to date with the applied entries.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 14)}),
		detectUnits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chipledger_detection_units_judged_total", Help: "Units (chips and systems) judged by the detection rules."}),
		detectErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chipledger_detection_errors_total", Help: "Evaluations that failed (the detector is rebuilt and retried)."}),
		alertsOpen: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "chipledger_alerts_open", Help: "Open alerts, by rule."}, []string{"rule"}),
		alertsWithdrawn: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chipledger_alerts_withdrawn", Help: "Alerts withdrawn (their evidence no longer holds)."}),
		alertsRules: map[string]bool{},
	}
	r.reg.MustRegister(m.applied, m.broken, m.lag, m.detectSeq, m.detectSeconds, m.detectUnits, m.detectErrors, m.alertsOpen, m.alertsWithdrawn)
	return m
}

// Detected records one evaluation of the alerts: the sequence evaluated,
// the units judged, how long it took, the open alerts by rule and the
// withdrawn ones. A rule with no open alert left is reported as 0.
func (m *Query) Detected(seq uint64, units int, took time.Duration, openByRule map[string]int, withdrawn int) {
	if m == nil {
		return
	}
	m.detectSeq.Set(float64(seq))
	m.detectUnits.Add(float64(units))
	m.detectSeconds.Observe(took.Seconds())
	m.alertsWithdrawn.Set(float64(withdrawn))
	m.alertsMu.Lock()
	defer m.alertsMu.Unlock()
	for rule := range openByRule {
		m.alertsRules[rule] = true
	}
	for rule := range m.alertsRules {
		m.alertsOpen.WithLabelValues(rule).Set(float64(openByRule[rule]))
	}
}

// DetectionError counts a failed evaluation.
func (m *Query) DetectionError() {
	if m != nil {
		m.detectErrors.Inc()
	}
}

// Applied records the applied head.
func (m *Query) Applied(seq uint64) {
	if m != nil {
		m.applied.Set(float64(seq))
	}
}

// Broken records a break.
func (m *Query) Broken(seq uint64) {
	if m != nil {
		m.broken.Set(float64(seq))
	}
}

// Lag records the records behind the chip-ledger end.
func (m *Query) Lag(n int64) {
	if m != nil {
		m.lag.Set(float64(n))
	}
}
