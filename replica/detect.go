package replica

import (
	"context"
	"time"

	"github.com/chipledger/chipledger/projections/alerts"
)

// DetectionStatus is the state of a replica's detector, for /api/v1/status.
type DetectionStatus struct {
	Seq         uint64  `json:"seq"` // the ledger sequence the alerts were last evaluated at
	Open        int     `json:"open"`
	Withdrawn   int     `json:"withdrawn"`
	Problems    int     `json:"problems,omitempty"` // reference documents the detector could not use
	Evaluations uint64  `json:"evaluations"`
	LastSeconds float64 `json:"last_evaluation_seconds"`
	Error       string  `json:"error,omitempty"` // of the last evaluation, when it failed
}

func (r *Replica) detector() *alerts.Detector {
	r.detMu.Lock()
	defer r.detMu.Unlock()
	return r.det
}

// Detect brings the alerts up to date with the applied entries and returns
// the number of units judged. It evaluates under the replica's read lock
// (queries run beside it; Apply waits). After a failed evaluation the next
// one judges every unit with a fresh detector, which replaces the old one
// only once it has succeeded: the alerts served meanwhile are the last good
// ones.
func (r *Replica) Detect() (int, error) {
	r.detRun.Lock()
	defer r.detRun.Unlock()
	r.detMu.Lock()
	d, fresh := r.det, r.rebuild
	r.detMu.Unlock()
	if fresh {
		d = alerts.New(r.opts.Detect)
	}
	start := time.Now()
	r.mu.RLock()
	n, err := d.Evaluate(r.proj, source{r.store})
	r.mu.RUnlock()
	took := time.Since(start)

	r.detMu.Lock()
	r.detSt.Evaluations++
	r.detSt.LastSeconds = took.Seconds()
	if err != nil {
		r.rebuild = true
		r.detSt.Error = err.Error()
		r.detMu.Unlock()
		r.opts.Metrics.DetectionError()
		return n, err
	}
	r.det, r.rebuild, r.detSt.Error = d, false, ""
	r.detMu.Unlock()
	st := d.Stats()
	r.opts.Metrics.Detected(st.Seq, n, took, st.ByRule, st.Withdrawn)
	select {
	case r.evaluated <- struct{}{}:
	default:
	}
	return n, nil
}

// Evaluated is signalled after each successful evaluation (the alert feed
// publishes then). One receiver: the signal is not broadcast.
func (r *Replica) Evaluated() <-chan struct{} { return r.evaluated }

// RunDetection evaluates the alerts until ctx ends: once at start, then
// whenever entries were applied since the last evaluation, at most once per
// minInterval (0: one second) and never busier than half the time (after an
// evaluation that took d, the next starts d later at the earliest), so a
// replica catching up on a large ledger spends most of its time applying.
// Each evaluation is logged with the units judged, the open alerts and its
// duration. A failed evaluation is logged and retried; it never stops the
// replica.
func (r *Replica) RunDetection(ctx context.Context, minInterval time.Duration) error {
	if minInterval <= 0 {
		minInterval = time.Second
	}
	for {
		select { // this evaluation covers what was applied until now
		case <-r.applied:
		default:
		}
		start := time.Now()
		n, err := r.Detect()
		took := time.Since(start)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			r.log.Error("detection: evaluation failed; retrying with a fresh detector", "err", err, "took", took)
			select { // retry even if nothing new arrives
			case r.applied <- struct{}{}:
			default:
			}
		} else {
			st := r.AlertStats()
			r.log.Info("detection: alerts evaluated", "seq", st.Seq, "units", n, "open", st.Open, "withdrawn", st.Withdrawn, "took", took)
		}
		next := start.Add(max(minInterval, 2*took))
		select {
		case <-ctx.Done():
			return nil
		case <-r.applied:
		}
		if wait := time.Until(next); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
		}
	}
}

// Alerts returns the alerts matching f, highest case severity first. It
// does not wait for an evaluation in progress.
func (r *Replica) Alerts(f alerts.Filter) []alerts.Alert { return r.detector().Alerts(f) }

// Alert returns one alert by id (alerts.ErrNotFound, wrapped, when unknown).
func (r *Replica) Alert(id string) (alerts.Alert, error) { return r.detector().Alert(id) }

// AlertStats returns the detector's counts and the reference documents in use.
func (r *Replica) AlertStats() alerts.Stats { return r.detector().Stats() }

// DetectionStatus returns the detector's state: the sequence evaluated, the
// alert counts and the last evaluation's duration and error.
func (r *Replica) DetectionStatus() DetectionStatus {
	st := r.AlertStats()
	r.detMu.Lock()
	defer r.detMu.Unlock()
	ds := r.detSt
	ds.Seq, ds.Open, ds.Withdrawn, ds.Problems = st.Seq, st.Open, st.Withdrawn, len(st.Problems)
	return ds
}

// DetectOptions are the detector options the replica was opened with (its
// Resolve finds the documents the ledger names by digest only).
func (r *Replica) DetectOptions() alerts.Options { return r.opts.Detect }
