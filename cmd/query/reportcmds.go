package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"sync"

	"github.com/chipledger/chipledger/cli"
	"github.com/chipledger/chipledger/config"
	"github.com/chipledger/chipledger/httpapi"
	"github.com/chipledger/chipledger/projections/reports"
)

// runReport builds a compliance report (package reports):
//
//	query report exporter PARTY [--from D] [--to D]
//	query report country CC [--from D] [--to D]
//	query report site SITE
//	query report dossier SERIAL [--walk]
//
// each with --as-of T and --format table|json|csv|html. Offline (--ledger)
// the report is built here, and an as-of report is judged as of then by a
// detector of its own; with --server the replica builds it. A dossier
// whose entries do not verify exits 1 after printing the report.
func runReport(ctx context.Context, env *cli.Env, args []string) error {
	var from, to, asOf string
	var walk bool
	cfg, fs, err := env.Parse("report", "exporter PARTY | country CC | site SITE | dossier SERIAL", readFlags, -1, args, func(fs *flag.FlagSet) {
		fs.StringVar(&from, "from", "", "exporter, country: events on or after this day (YYYY-MM-DD) or time (RFC 3339)")
		fs.StringVar(&to, "to", "", "exporter, country: events up to this day, included (YYYY-MM-DD), or before this time (RFC 3339)")
		fs.StringVar(&asOf, "as-of", "", "the ledger as it stood at this time: events that occurred later are left out (YYYY-MM-DD is midnight UTC)")
		fs.BoolVar(&walk, "walk", false, "dossier: also re-walk the whole chain from sequence 1")
	})
	if err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return cli.ErrUsage
	}
	q := url.Values{}
	for k, v := range map[string]string{"from": from, "to": to, "as_of": asOf} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if walk {
		q.Set("walk", "1")
	}
	// Checked before the backend is opened: a typo is a usage error, not a
	// rebuilt replica.
	if _, err := httpapi.ParseReportRequest(fs.Arg(0), fs.Arg(1), q); err != nil {
		fmt.Fprintf(env.Stderr, "query report: %v\n", err)
		fs.Usage()
		return cli.ErrUsage
	}
	return runBackend(ctx, env, cfg, fs, func(cfg *config.Config, b backend, args []string) error {
		rep, err := b.report(ctx, args[0], args[1], q)
		if err != nil {
			return err
		}
		if err := reports.Render(env.Stdout, cfg.Format, rep); err != nil {
			return err
		}
		if d, ok := rep.(*reports.DossierReport); ok && !d.Verification.OK {
			return &cli.ExitError{Code: 1, Err: fmt.Errorf("dossier %s: verification failed: %d of %d entries", d.Unit.Unit, d.Verification.Failed, d.Verification.Entries)}
		}
		return nil
	})
}

// reporter is the offline backend's report builder, made on first use.
type reporter struct {
	once sync.Once
	rp   *httpapi.Reporter
}

func (l *local) report(ctx context.Context, kind, subject string, q url.Values) (reports.Report, error) {
	rr, err := httpapi.ParseReportRequest(kind, subject, q)
	if err != nil {
		return nil, err
	}
	l.reports.once.Do(func() {
		// Nothing else evaluates this replica's projection: an as-of
		// report may judge it with a detector of its own.
		l.reports.rp = httpapi.NewReporter(l.r, httpapi.ReporterOptions{Detect: l.detectOpts, OwnDetector: true, Evaluate: l.detect})
	})
	return l.reports.rp.Build(ctx, rr)
}

func (r *remote) report(ctx context.Context, kind, subject string, q url.Values) (reports.Report, error) {
	var rep reports.Report
	switch kind {
	case reports.KindExporter:
		rep = &reports.ExporterReport{}
	case reports.KindCountry:
		rep = &reports.CountryReport{}
	case reports.KindSite:
		rep = &reports.SiteReport{}
	case reports.KindDossier:
		rep = &reports.DossierReport{}
	default:
		return nil, errors.New("report " + kind + ": want exporter, country, site or dossier")
	}
	q2 := url.Values{}
	for k, v := range q {
		q2[k] = v
	}
	q2.Set("format", reports.FormatJSON)
	return rep, r.get(ctx, "/api/v1/reports/"+url.PathEscape(kind)+"/"+url.PathEscape(subject)+"?"+q2.Encode(), rep)
}
