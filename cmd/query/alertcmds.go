package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chipledger/chipledger/cli"
	"github.com/chipledger/chipledger/config"
	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/httpapi"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/projections/alerts"
)

// runAlerts lists alerts: a table with a count by rule, or (--json) the
// API's AlertList.
func runAlerts(ctx context.Context, env *cli.Env, args []string) error {
	var severity, rule, country, since, state, subject string
	extra := func(fs *flag.FlagSet) {
		fs.StringVar(&severity, "severity", "", "at least this severity: info, medium, high or critical")
		fs.StringVar(&rule, "rule", "", "this rule only (R1..R22)")
		fs.StringVar(&country, "country", "", "about this country (ISO code)")
		fs.StringVar(&since, "since", "", "first triggering event on or after this date (YYYY-MM-DD or RFC 3339)")
		// not --state: that is the replica's store directory (config.State)
		fs.StringVar(&state, "alert-state", "all", "alerts in this state: open, acknowledged, dismissed, escalated, withdrawn or all")
		fs.StringVar(&subject, "subject", "", "on this subject (unit id, site id, party id or country code)")
	}
	cfg, fs, err := env.Parse("alerts", "", readFlags, 0, args, extra)
	if err != nil {
		return err
	}
	// The filter is checked before the backend is opened: a typo is a usage
	// error, not a rebuilt replica.
	query := url.Values{}
	for k, v := range map[string]string{"severity": severity, "rule": rule, "country": country, "since": since, "state": state, "subject": subject} {
		if v != "" {
			query.Set(k, v)
		}
	}
	if _, err := httpapi.AlertFilter(query); err != nil {
		fmt.Fprintf(env.Stderr, "query alerts: %v\n", err)
		fs.Usage()
		return cli.ErrUsage
	}
	return runBackend(ctx, env, cfg, fs, func(_ *config.Config, b backend, _ []string) error {
		list, err := b.alerts(ctx, query)
		if err != nil {
			return err
		}
		if cfg.Format == "json" {
			return cli.PrintJSON(env.Stdout, list)
		}
		return printAlerts(env.Stdout, list, state)
	})
}

func printAlerts(w io.Writer, list httpapi.AlertList, state string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEVERITY\tCASE\tRULE\tSTATE\tSUBJECT\tCOUNTRY\tFIRST EVENT\tSENTENCE")
	byRule := map[string]int{}
	for _, a := range list.Alerts {
		byRule[a.Rule]++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Severity, a.CaseSeverity, a.Rule, a.State, a.Subject, cli.OrDash(a.Country),
			a.OccurredAt.UTC().Format(time.DateOnly), a.Sentence)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if state == "" {
		state = "all"
	}
	fmt.Fprintf(w, "\n%d alerts (state %s); detection at sequence %d: %d raised and not withdrawn, %d withdrawn\n", len(list.Alerts), state,
		list.Detection.Seq, list.Detection.Open, list.Detection.Withdrawn)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tALERTS")
	rules := slices.SortedFunc(maps.Keys(byRule), func(a, b string) int { return cmp.Or(cmp.Compare(ruleNum(a), ruleNum(b)), cmp.Compare(a, b)) })
	for _, r := range rules {
		fmt.Fprintf(tw, "%s\t%d\n", r, byRule[r])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	printProblems(w, list.Detection.Problems)
	return nil
}

// printProblems lists the reference documents the detector could not use:
// the alerts that need them are missing.
func printProblems(w io.Writer, ps []alerts.Problem) {
	for _, p := range ps {
		fmt.Fprintf(w, "problem: %s %s (%s) not used: %s\n", p.Name, p.Version, p.Digest, p.Error)
	}
}

// ruleNum is the number of a rule id (R7 -> 7), for ordering.
func ruleNum(r string) int {
	n := 0
	for _, c := range r {
		if c >= '0' && c <= '9' {
			n = n*10 + int(c-'0')
		}
	}
	return n
}

// runAlert shows one alert: its fields, its evidence and its citations.
func runAlert(ctx context.Context, env *cli.Env, args []string) error {
	var reason string
	extra := func(fs *flag.FlagSet) {
		fs.StringVar(&reason, "reason", "", "why (ack, dismiss, escalate); a dismissal needs one")
	}
	cfg, fs, err := env.Parse("alert", "ID | ack|dismiss|escalate ID", readFlags, -1, args, extra)
	if err != nil {
		return err
	}
	switch {
	case fs.NArg() == 1:
	case fs.NArg() == 2 && triageAction(fs.Arg(0)) != "":
		return runTriage(ctx, env, cfg, triageAction(fs.Arg(0)), fs.Arg(1), reason)
	default:
		fs.Usage()
		return cli.ErrUsage
	}
	return runBackend(ctx, env, cfg, fs, func(cfg *config.Config, b backend, args []string) error {
		a, err := b.alert(ctx, args[0])
		if err != nil {
			return err
		}
		if cfg.Format == "json" {
			return cli.PrintJSON(env.Stdout, a)
		}
		return printAlert(env.Stdout, a)
	})
}

// triageAction maps the CLI's word to the API's action.
func triageAction(word string) string {
	switch word {
	case "ack", "acknowledge":
		return "acknowledge"
	case "dismiss":
		return "dismiss"
	case "escalate":
		return "escalate"
	}
	return ""
}

// runTriage sends an investigator's decision to a running query serve,
// which publishes it to chip-events under the token's name.
func runTriage(ctx context.Context, env *cli.Env, cfg *config.Config, action, id, reason string) error {
	if cfg.Server == "" {
		return errors.New("triage goes through a running query serve: give --server URL and an investigator's --token")
	}
	if action == "dismiss" && strings.TrimSpace(reason) == "" {
		return errors.New("a dismissal needs --reason TEXT")
	}
	r := &remote{base: strings.TrimRight(cfg.Server, "/"), token: cfg.Token, client: &http.Client{Timeout: time.Minute}}
	var resp httpapi.TriageResponse
	if err := r.post(ctx, "/api/v1/alerts/"+url.PathEscape(id)+"/"+action, httpapi.TriageRequest{Reason: reason}, &resp); err != nil {
		if errors.Is(err, errNotFound) {
			return fmt.Errorf("alert %s: not found", id)
		}
		return err
	}
	if cfg.Format == "json" {
		return cli.PrintJSON(env.Stdout, resp)
	}
	fmt.Fprintf(env.Stdout, "%s %s by %s: published as event %s, pending until it is back from the ledger\n",
		resp.Alert, resp.Pending.Action, resp.Pending.Investigator, resp.Pending.EventID)
	return nil
}

func printAlert(w io.Writer, a alerts.Alert) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "alert\t%s\nrule\t%s\t%s\nseverity\t%s\ncase severity\t%s\nsubject\t%s %s\ncountry\t%s\nstate\t%s\n",
		a.ID, a.Rule, a.Title, a.Severity, a.CaseSeverity, a.SubjectKind, a.Subject, cli.OrDash(a.Country), a.State)
	fmt.Fprintf(tw, "first event\t%s (occurred %s)\nraised at sequence\t%d\n", a.FirstEvent, a.OccurredAt.UTC().Format(time.RFC3339), a.RaisedSeq)
	if a.WithdrawnSeq != 0 {
		fmt.Fprintf(tw, "withdrawn at sequence\t%d\n", a.WithdrawnSeq)
	}
	fmt.Fprintf(tw, "sentence\t%s\n", a.Sentence)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nevidence (%d entries)\n", len(a.Evidence))
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tHASH\tEVENT ID\tTYPE\tOCCURRED\tUNIT\tVIA\tSUMMARY")
	for _, e := range a.Evidence {
		fmt.Fprintf(tw, "%d\t%.12s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.Hash, e.EventID, e.Type, e.OccurredAt.UTC().Format(time.RFC3339),
			cli.OrDash(string(e.Unit)), cli.OrDash(string(e.Via)), e.Summary)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(a.Pending) > 0 {
		fmt.Fprintf(w, "\npending (%d; published, not yet back from the ledger)\n", len(a.Pending))
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "AT\tACTION\tINVESTIGATOR\tEVENT ID\tREASON")
		for _, p := range a.Pending {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.At.UTC().Format(time.RFC3339), p.Action, p.Investigator, p.EventID, cli.OrDash(p.Reason))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(a.Decisions) > 0 {
		fmt.Fprintf(w, "\ndecisions (%d; the last is in force unless withdrawn)\n", len(a.Decisions))
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "OCCURRED\tACTION\tINVESTIGATOR\tSEQ\tHASH\tREASON")
		for _, d := range a.Decisions {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.12s\t%s\n", d.OccurredAt.UTC().Format(time.RFC3339), d.Action, d.Investigator, d.Seq, d.Hash, cli.OrDash(d.Reason))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "policy\t%s\n", citation(a.Policy))
	if a.Screening != nil {
		fmt.Fprintf(tw, "screening list\t%s\n", citation(*a.Screening))
	}
	fmt.Fprintf(tw, "fact source\t%s\n", cli.OrDash(a.Fact))
	return tw.Flush()
}

func citation(c alerts.Citation) string {
	s := fmt.Sprintf("%s %s %s", c.Name, c.Version, c.Digest)
	var more []string
	if c.Effective != "" {
		more = append(more, "effective "+c.Effective)
	}
	if c.Seq != 0 {
		more = append(more, fmt.Sprintf("activated at sequence %d", c.Seq))
	}
	if len(more) > 0 {
		s += " (" + strings.Join(more, ", ") + ")"
	}
	return s
}

// runEval scores the alerts of a ledger built offline against a simulator
// truth file. It uses a detector of its own (so --as-of never touches the
// replica's) on the offline replica's projection.
func runEval(ctx context.Context, env *cli.Env, args []string) error {
	var truthFile, asOf string
	cfg, fs, err := env.Parse("eval", "", readFlags, 0, args, func(fs *flag.FlagSet) {
		fs.StringVar(&truthFile, "truth", "", "the simulator's truth file (simulate --truth FILE); required")
		fs.StringVar(&asOf, "as-of", "", "judge the ledger as it stood at this time (YYYY-MM-DD or RFC 3339; default: its latest event)")
	})
	if err != nil {
		return err
	}
	if truthFile == "" {
		fmt.Fprintln(env.Stderr, "query eval: --truth FILE is required")
		fs.Usage()
		return cli.ErrUsage
	}
	var at time.Time
	if asOf != "" {
		if at, err = httpapi.ParseTime(asOf); err != nil {
			fmt.Fprintf(env.Stderr, "query eval: --as-of: %v\n", err)
			fs.Usage()
			return cli.ErrUsage
		}
	}
	if cfg.Server != "" {
		return errors.New("eval works offline only: give --ledger DIR (a stopped ingest's ledger), not --server")
	}
	if cfg.Ledger == "" {
		return fmt.Errorf("eval works offline only: --ledger DIR is required ($%s)", config.EnvLedger)
	}
	f, err := os.Open(truthFile)
	if err != nil {
		return err
	}
	truth, err := alerts.ReadTruth(f)
	f.Close()
	if err != nil {
		return err
	}
	log := cli.NewLogger(env.Stderr, cfg.LogLevel)
	r, err := offlineReplica(ctx, cfg, log, nil)
	if err != nil {
		return err
	}
	defer r.Close()
	var (
		score alerts.Score
		stats alerts.Stats
	)
	err = r.View(func(p *projections.Projection, src projections.Source) error {
		opts := detectOptions(cfg)
		opts.AsOf = at
		d := alerts.New(opts)
		if _, err := d.Evaluate(p, src); err != nil {
			return err
		}
		var units []string
		for _, u := range p.Units() {
			if k := u.Kind(); k == events.KindChip || k == events.KindSys {
				units = append(units, string(u))
			}
		}
		score, stats = alerts.Eval(truth, d.Alerts(alerts.Filter{}), units), d.Stats()
		return nil
	})
	if err != nil {
		return err
	}
	if cfg.Format == "json" {
		return cli.PrintJSON(env.Stdout, score)
	}
	return printScore(env.Stdout, score, stats, at)
}

func printScore(w io.Writer, s alerts.Score, st alerts.Stats, at time.Time) error {
	when := "its latest event"
	if !at.IsZero() {
		when = at.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(w, "truth: seed %d, %d chips; ledger sequence %d judged as of %s; %d open alerts\n", s.Seed, s.Chips, st.Seq, when, st.Open)
	printProblems(w, st.Problems)

	fmt.Fprintln(w, "\nrecall per scenario and rule (subjects on which the expected rule fired)")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tRULE\tKIND\tFOUND/EXPECTED\tRECALL\tMISSED (examples)")
	found, expected := 0, 0
	for _, r := range s.Recall {
		found, expected = found+r.Found, expected+r.Expected
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%.3f\t%s\n", r.Scenario, r.Rule, r.Kind, r.Found, r.Expected, r.Recall, examples(r.Missed, 3))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w, "\nprecision per rule and subject kind (alerts on subjects of scenarios expecting the rule)")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tKIND\tTRUE/ALERTS\tPRECISION\tFALSE (examples)")
	for _, p := range s.Precision {
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%.3f\t%s\n", p.Rule, p.Kind, p.True, p.Alerts, p.Precision, examples(p.False, 3))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintf(w, "\noverall recall: %.4f (%d of %d expected findings)\n", s.RecallAll, found, expected)
	fmt.Fprintf(w, "benign units with a high or critical alert: %d of %d (%.2f %%)", s.BenignFlagged, s.BenignUnits, 100*s.BenignShare)
	if len(s.BenignFlaggedIDs) > 0 {
		fmt.Fprintf(w, ", e.g. %s", examples(s.BenignFlaggedIDs, 5))
	}
	fmt.Fprintln(w)
	if len(s.TwinsFlagged) > 0 {
		fmt.Fprintf(w, "benign twins with a high or critical alert: %d, e.g. %s\n", len(s.TwinsFlagged), examples(s.TwinsFlagged, 5))
	}
	return nil
}

// examples shows up to n of ids, "-" for none.
func examples(ids []string, n int) string {
	if len(ids) == 0 {
		return "-"
	}
	s := strings.Join(ids[:min(n, len(ids))], ", ")
	if len(ids) > n {
		s += ", ..."
	}
	return s
}
