package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chipledger/chipledger/ledger"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/projections/alerts"
	"github.com/chipledger/chipledger/projections/reports"
	"github.com/chipledger/chipledger/replica"
)

// ReporterOptions configure a Reporter.
type ReporterOptions struct {
	// Detect configures the detector of an as-of report and resolves the
	// policy documents the ledger names by digest only (Resolve; nil: the
	// ledger's own content).
	Detect alerts.Options
	// OwnDetector: a report as of an earlier time is judged by a detector
	// of its own, as of that time (exact, and a full evaluation). Only
	// where nothing else evaluates the replica's projection (the offline
	// CLI): a detector takes the projection's changes. Otherwise an as-of
	// report lists the replica's alerts at the head whose first triggering
	// event occurred by then, with their evidence up to then.
	OwnDetector bool
	// Evaluate, when set, brings the replica's alerts up to date before a
	// report at the head (offline, the replica evaluates once).
	Evaluate func() error
}

// Reporter builds the compliance reports (package reports) from a
// replica: GET /api/v1/reports/... and the CLI's offline `query report`.
// It keeps the reports' flow index and brings it up to the replica's head
// before each report; the first report reads every entry once.
type Reporter struct {
	r    *replica.Replica
	opts ReporterOptions
	mu   sync.Mutex // serialises index updates and builds
	idx  *reports.Index
	// the policy versions last loaded, and which activations they are
	pols   []reports.PolicyVersion
	polKey string
}

// NewReporter returns a Reporter over replica r.
func NewReporter(r *replica.Replica, opts ReporterOptions) *Reporter {
	return &Reporter{r: r, opts: opts, idx: reports.NewIndex()}
}

// ReportRequest is one report to build.
type ReportRequest struct {
	Kind    string // exporter, country, site or dossier
	Subject string // party, country code, site or unit
	Period  reports.Period
	AsOf    time.Time
	Walk    bool   // dossier: also re-walk the whole chain
	Format  string // json, csv or html (the API's; the CLI renders its own)
}

// ParseReportRequest reads a report's parameters: from (YYYY-MM-DD: from
// midnight UTC; or RFC 3339) and to (YYYY-MM-DD: the last day included;
// RFC 3339: the first instant excluded) for the exporter and country
// reports, as_of (YYYY-MM-DD is midnight UTC, as for query eval --as-of),
// walk=1 for a dossier, and format (json, csv or html; default json). A
// bad value is a 400; an unknown kind a 404.
func ParseReportRequest(kind, subject string, q url.Values) (ReportRequest, error) {
	rr := ReportRequest{Kind: kind, Subject: subject, Format: q.Get("format")}
	switch kind {
	case reports.KindExporter, reports.KindCountry, reports.KindSite, reports.KindDossier:
	default:
		return rr, fmt.Errorf("%w: report %q: want exporter, country, site or dossier", projections.ErrNotFound, kind)
	}
	if subject == "" {
		return rr, badRequest("the report needs a subject")
	}
	switch rr.Format {
	case "":
		rr.Format = reports.FormatJSON
	case reports.FormatJSON, reports.FormatCSV, reports.FormatHTML:
	default:
		return rr, badRequest(fmt.Sprintf("format %q: want json, csv or html", rr.Format))
	}
	period := kind == reports.KindExporter || kind == reports.KindCountry
	for _, name := range []string{"from", "to"} {
		v := q.Get(name)
		if v == "" {
			continue
		}
		if !period {
			return rr, badRequest(name + ": only the exporter and country reports cover a period")
		}
		t, err := ParseTime(v)
		if err != nil {
			return rr, badRequest(name + ": " + err.Error())
		}
		if name == "from" {
			rr.Period.From = t
		} else {
			if _, err := time.Parse(time.DateOnly, v); err == nil {
				t = t.Add(24 * time.Hour) // the day is included
			}
			rr.Period.To = t
		}
	}
	if !rr.Period.From.IsZero() && !rr.Period.To.IsZero() && !rr.Period.From.Before(rr.Period.To) {
		return rr, badRequest("to: the period ends before it starts")
	}
	if v := q.Get("as_of"); v != "" {
		t, err := ParseTime(v)
		if err != nil {
			return rr, badRequest("as_of: " + err.Error())
		}
		rr.AsOf = t
	}
	switch v := q.Get("walk"); v {
	case "", "0", "false":
	case "1", "true":
		if kind != reports.KindDossier {
			return rr, badRequest("walk: only a dossier re-walks the chain")
		}
		rr.Walk = true
	default:
		return rr, badRequest(fmt.Sprintf("walk %q: want 1 or 0", v))
	}
	return rr, nil
}

// Build builds one report.
func (rp *Reporter) Build(ctx context.Context, req ReportRequest) (reports.Report, error) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	// The bulk of the index outside the replica's read lock (applying
	// waits for the lock); the rest, if any, inside it.
	if err := rp.idx.Update(rp.r, rp.r.Head().Seq); err != nil {
		return nil, err
	}
	given := !req.AsOf.IsZero()
	if !given && rp.opts.Evaluate != nil {
		if err := rp.opts.Evaluate(); err != nil {
			return nil, err
		}
	}
	broken := rp.r.Broken()
	var rep reports.Report
	err := rp.r.View(func(p *projections.Projection, src projections.Source) error {
		if err := rp.idx.Update(rp.r, p.Seq()); err != nil {
			return err
		}
		h := rp.r.Head()
		in := reports.Input{Projection: p, Source: src, Ledger: rp.r, Index: rp.idx, Head: reports.Head{Seq: h.Seq, Hash: h.Hash.String()},
			Broken: broken, AsOf: req.AsOf}
		in.Policies = rp.policies(p, req.AsOf)
		switch {
		case given && rp.opts.OwnDetector:
			opts := rp.opts.Detect
			opts.AsOf = req.AsOf
			d := alerts.New(opts)
			if _, err := d.Evaluate(p, src); err != nil {
				return err
			}
			in.Alerts, in.Detection = d.Alerts(alerts.Filter{}), d.Stats().Seq
			in.AlertsNote = "judged as of the as-of time by a detector of the report's own over the whole ledger (like query eval --as-of)."
		default:
			st := rp.r.AlertStats()
			in.Alerts, in.Detection = rp.r.Alerts(alerts.Filter{}), st.Seq
			in.AlertsNote = fmt.Sprintf("the replica's, evaluated at ledger sequence %d.", st.Seq)
			if given {
				in.Alerts = alertsBy(in.Alerts, req.AsOf)
				in.AlertsNote = fmt.Sprintf("the replica's, evaluated at ledger sequence %d, limited to those whose first triggering event occurred by the as-of time, "+
					"with their evidence up to it; rules that depend on the clock or on totals (R7, R8, R12, R14, R17, R20, R21) may judge an earlier time differently: "+
					"an exact judgement as of the time is `query report --ledger` (offline).", st.Seq)
			}
		}
		var err error
		switch req.Kind {
		case reports.KindExporter:
			rep, err = reports.Exporter(in, req.Subject, req.Period)
		case reports.KindCountry:
			rep, err = reports.Country(in, req.Subject, req.Period)
		case reports.KindSite:
			rep, err = reports.Site(in, req.Subject)
		case reports.KindDossier:
			var walk func() (ledger.Head, error)
			if req.Walk {
				walk = func() (ledger.Head, error) { return rp.r.Verify(ctx) }
			}
			rep, err = reports.Dossier(in, req.Subject, walk)
		default:
			err = fmt.Errorf("%w: report %q", projections.ErrNotFound, req.Kind)
		}
		return err
	})
	if errors.Is(err, reports.ErrInvalid) {
		return nil, badRequest(err.Error())
	}
	return rep, err
}

// policies returns the policy versions activated by asOf (zero: all),
// loaded again only when they are other activations than last time.
func (rp *Reporter) policies(p *projections.Projection, asOf time.Time) []reports.PolicyVersion {
	var key strings.Builder
	for _, d := range p.Policies() {
		if asOf.IsZero() || !d.OccurredAt.After(asOf) {
			fmt.Fprintf(&key, "%s %s %d;", d.Name, d.Digest, d.Seq)
		}
	}
	if key.String() != rp.polKey || rp.pols == nil {
		rp.pols, _ = reports.LoadPolicies(p, rp.opts.Detect.Resolve, asOf)
		rp.polKey = key.String()
	}
	return rp.pols
}

// alertsBy keeps the alerts whose first triggering event occurred by t,
// with their evidence up to t.
func alertsBy(as []alerts.Alert, t time.Time) []alerts.Alert {
	out := make([]alerts.Alert, 0, len(as))
	for _, a := range as {
		if a.OccurredAt.After(t) {
			continue
		}
		a.Evidence = slices.DeleteFunc(slices.Clone(a.Evidence), func(e alerts.Evidence) bool { return e.OccurredAt.After(t) })
		out = append(out, a)
	}
	return out
}

// registerReports serves the compliance reports:
//
//	GET /api/v1/reports/exporter/{party}?from=&to=&as_of=&format=json|csv|html
//	GET /api/v1/reports/country/{cc}?from=&to=&as_of=&format=
//	GET /api/v1/reports/site/{site}?as_of=&format=
//	GET /api/v1/reports/dossier/{unit}?as_of=&walk=1&format=
//
// with Content-Type application/json, text/csv (and a Content-Disposition
// naming the file) or text/html; 400 for a bad parameter, 404 for an
// unknown party, site or unit. The first report builds the flow index
// (every entry read once); later ones read only the entries after it.
func registerReports(mux *http.ServeMux, r *replica.Replica, read func(handlerFunc) http.HandlerFunc) {
	rp := NewReporter(r, ReporterOptions{Detect: r.DetectOptions()})
	mux.HandleFunc("GET /api/v1/reports/{kind}/{id}", read(func(w http.ResponseWriter, req *http.Request) error {
		rr, err := ParseReportRequest(req.PathValue("kind"), req.PathValue("id"), req.URL.Query())
		if err != nil {
			return err
		}
		rep, err := rp.Build(req.Context(), rr)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := reports.Render(&buf, rr.Format, rep); err != nil {
			return err
		}
		w.Header().Set("Content-Type", reports.ContentType(rr.Format))
		if rr.Format == reports.FormatCSV {
			w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", reports.FileName(rep, rr.Format)))
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(buf.Bytes()) // the client went away: nothing to answer
		return nil
	}))
}
