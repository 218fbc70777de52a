package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/chipledger/chipledger/cli"
	"github.com/chipledger/chipledger/config"
	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/httpapi"
	"github.com/chipledger/chipledger/kafka"
	"github.com/chipledger/chipledger/ledger"
	"github.com/chipledger/chipledger/metrics"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/projections/alerts"
	"github.com/chipledger/chipledger/replica"
	"github.com/chipledger/chipledger/web"
)

// readFlags are the flags of every read command (--reference is used
// offline, where the replica's detector runs here).
const readFlags = config.Ledger | config.State | config.Server | config.Token | config.Format | config.Reference

// withBackend parses a read command with want positional arguments and
// runs fn with the backend.
func withBackend(ctx context.Context, env *cli.Env, name, argsUsage string, want int, args []string, extra func(*flag.FlagSet),
	fn func(cfg *config.Config, b backend, args []string) error) error {
	cfg, fs, err := env.Parse(name, argsUsage, readFlags, -1, args, extra)
	if err != nil {
		return err
	}
	if fs.NArg() != want {
		fs.Usage()
		return cli.ErrUsage
	}
	return runBackend(ctx, env, cfg, fs, fn)
}

// runBackend opens the backend of a parsed read command and runs fn with
// it; a not-found error names the command's arguments.
func runBackend(ctx context.Context, env *cli.Env, cfg *config.Config, fs *flag.FlagSet, fn func(cfg *config.Config, b backend, args []string) error) error {
	b, err := openBackend(ctx, cfg, cli.NewLogger(env.Stderr, cfg.LogLevel))
	if err != nil {
		return err
	}
	err = fn(cfg, b, fs.Args())
	if cerr := b.close(); err == nil {
		err = cerr
	}
	if errors.Is(err, errNotFound) || errors.Is(err, projections.ErrNotFound) || errors.Is(err, ledger.ErrNotFound) || errors.Is(err, alerts.ErrNotFound) {
		return fmt.Errorf("%s: not found", strings.Join(fs.Args(), " "))
	}
	return err
}

func runChain(ctx context.Context, env *cli.Env, args []string) error {
	return withBackend(ctx, env, "chain", "ID", 1, args, nil, func(cfg *config.Config, b backend, args []string) error {
		steps, err := b.chain(ctx, args[0])
		if err != nil {
			return err
		}
		if cfg.Format == "json" {
			return cli.PrintJSON(env.Stdout, steps)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "OCCURRED\tTYPE\tHOLDER\tOWNER\tSITE\tCOUNTRY\tVIA\tSEQ\tHASH\tSUMMARY")
		for _, s := range steps {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%.12s\t%s\n", s.OccurredAt.Format(time.RFC3339), s.Type,
				cli.OrDash(s.Holder), cli.OrDash(s.Owner), cli.OrDash(s.Site), cli.OrDash(s.Country), cli.OrDash(string(s.Via)), s.Seq, s.Hash, s.Summary)
		}
		return tw.Flush()
	})
}

func runUnit(ctx context.Context, env *cli.Env, args []string) error {
	return withBackend(ctx, env, "unit", "ID", 1, args, nil, func(cfg *config.Config, b backend, args []string) error {
		u, err := b.unit(ctx, args[0])
		if err != nil {
			return err
		}
		if cfg.Format == "json" {
			return cli.PrintJSON(env.Stdout, u)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "unit\t%s\nkind\t%s\nmodel\t%s\neccn\t%s\ntpp\t%g\nstatus\t%s\nholder\t%s\nowner\t%s\nsite\t%s\ncountry\t%s\ncontainer\t%s\ncontents\t%d\nlast sequence\t%d\n",
			u.Unit, u.Kind, cli.OrDash(u.Model), cli.OrDash(u.ECCN), u.TPP, u.Status, cli.OrDash(u.Holder), cli.OrDash(u.Owner), cli.OrDash(u.Site), cli.OrDash(u.Country),
			cli.OrDash(string(u.Container)), len(u.Contents), u.LastSeq)
		return tw.Flush()
	})
}

func runTree(ctx context.Context, env *cli.Env, args []string) error {
	return withBackend(ctx, env, "tree", "ID", 1, args, nil, func(cfg *config.Config, b backend, args []string) error {
		n, err := b.tree(ctx, args[0])
		if err != nil {
			return err
		}
		if cfg.Format == "json" {
			return cli.PrintJSON(env.Stdout, n)
		}
		return cli.PrintJSON(env.Stdout, n)
	})
}

func runEntry(ctx context.Context, env *cli.Env, args []string) error {
	return withBackend(ctx, env, "entry", "SEQ", 1, args, nil, func(cfg *config.Config, b backend, args []string) error {
		seq, err := strconv.ParseUint(args[0], 10, 64)
		if err != nil || seq == 0 {
			return fmt.Errorf("sequence %q: want a positive integer", args[0])
		}
		e, err := b.entry(ctx, seq)
		if err != nil {
			return err
		}
		if cfg.Format == "json" {
			return cli.PrintJSON(env.Stdout, e)
		}
		fmt.Fprintf(env.Stdout, "sequence:  %d\nhash:      %s\nprevious:  %s\nreceived:  %s\nsource:    %s\nevent id:  %s\nevent:     %s\noriginal:  %s\n",
			e.Seq, e.Hash, e.Prev, e.Received.Format(time.RFC3339Nano), e.Source, e.EventID, e.Canonical, e.Original)
		fmt.Fprintf(env.Stdout, "check:     sha256 of the %d entry bytes (--json: raw) is the hash\n", len(e.Raw))
		return nil
	})
}

func runHoldings(ctx context.Context, env *cli.Env, args []string) error {
	return withBackend(ctx, env, "holdings", "party|site|country ID", 2, args, nil, func(cfg *config.Config, b backend, args []string) error {
		if by := args[0]; by != "party" && by != "site" && by != "country" {
			return fmt.Errorf("holdings %q: want party, site or country", by)
		}
		h, err := b.holdings(ctx, args[0], args[1])
		if err != nil {
			return err
		}
		if cfg.Format == "json" {
			return cli.PrintJSON(env.Stdout, h)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "%s\t%s\nunits\t%d\nchips\t%d\nTPP\t%.0f\nH100-equivalents\t%.1f\nreceived\t%d\ninstalled\t%d\n",
			h.By, h.ID, h.Units, h.Chips, h.TPP, h.H100Equivalents, h.Received, h.Installed)
		for _, m := range sortedKeys(h.ByModel) {
			fmt.Fprintf(tw, "  %s\t%d\n", m, h.ByModel[m])
		}
		return tw.Flush()
	})
}

func runHead(ctx context.Context, env *cli.Env, args []string) error {
	return withBackend(ctx, env, "head", "", 0, args, nil, func(cfg *config.Config, b backend, _ []string) error {
		h, err := b.head(ctx)
		if err != nil {
			return err
		}
		if cfg.Format == "json" {
			return cli.PrintJSON(env.Stdout, h)
		}
		fmt.Fprintf(env.Stdout, "sequence %d hash %s\n", h.Seq, h.Hash)
		return nil
	})
}

func runDump(ctx context.Context, env *cli.Env, args []string) error {
	var noCoords bool
	return withBackend(ctx, env, "dump", "", 0, args, func(fs *flag.FlagSet) {
		fs.BoolVar(&noCoords, "no-coordinates", false, "leave out ledger sequences and hashes (compare stories across ledgers)")
	}, func(_ *config.Config, b backend, _ []string) error {
		return b.dump(ctx, env.Stdout, !noCoords)
	})
}

// runVerify checks the chain: offline, the whole ledger directory; against
// a replica, its recorded break and its head against ingest's /head.
func runVerify(ctx context.Context, env *cli.Env, args []string) error {
	var wait time.Duration
	cfg, fs, err := env.Parse("verify", "", readFlags|config.Ingest, -1, args, func(fs *flag.FlagSet) {
		fs.DurationVar(&wait, "wait", 30*time.Second, "how long a replica may take to reach ingest's head")
	})
	if err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return cli.ErrUsage
	}
	log := cli.NewLogger(env.Stderr, cfg.LogLevel)
	if cfg.Ledger != "" && cfg.Server != "" {
		return errors.New("--server and --ledger are mutually exclusive")
	}
	if cfg.Ledger != "" {
		s, err := ledger.Open(cfg.Ledger, &ledger.Options{Logger: log})
		if err != nil {
			return err
		}
		defer s.Close()
		h, err := s.Verify(ctx, nil)
		if err != nil {
			return &cli.ExitError{Code: 1, Err: err}
		}
		fmt.Fprintf(env.Stdout, "ok: %d entries verified; head sequence %d hash %s\n", h.Seq, h.Seq, h.Hash)
		return nil
	}
	if cfg.Server == "" {
		return fmt.Errorf("--server URL or --ledger DIR is required")
	}
	rb := &remote{base: strings.TrimRight(cfg.Server, "/"), token: cfg.Token, client: &http.Client{Timeout: time.Minute}}
	var st struct {
		Replica replica.Stats `json:"replica"`
	}
	if err := rb.get(ctx, "/api/v1/status", &st); err != nil {
		return err
	}
	if st.Replica.Broken != 0 {
		return &cli.ExitError{Code: 1, Err: &ledger.BrokenError{Seq: st.Replica.Broken, Reason: st.Replica.Reason}}
	}
	if cfg.Ingest == "" {
		fmt.Fprintf(env.Stdout, "ok: the replica verified %d entries\n", st.Replica.Applied)
		return nil
	}
	ib := &remote{base: strings.TrimRight(cfg.Ingest, "/"), client: rb.client}
	var ih headView
	if err := ib.get(ctx, "/head", &ih); err != nil {
		return fmt.Errorf("ingest head: %w", err)
	}
	if ih.Seq == 0 {
		fmt.Fprintln(env.Stdout, "ok: the ledger is empty")
		return nil
	}
	deadline := time.Now().Add(wait)
	for {
		rh, err := rb.head(ctx)
		if err != nil {
			return err
		}
		if rh.Seq >= ih.Seq {
			break
		}
		if time.Now().After(deadline) {
			return &cli.ExitError{Code: 1, Err: fmt.Errorf("the replica is at sequence %d, ingest at %d, after %s", rh.Seq, ih.Seq, wait)}
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	e, err := rb.entry(ctx, ih.Seq)
	if err != nil {
		return err
	}
	if e.Hash != ih.Hash {
		return &cli.ExitError{Code: 1, Err: &ledger.BrokenError{Seq: ih.Seq, Reason: fmt.Sprintf("the replica's entry hashes to %s, ingest's head is %s", e.Hash, ih.Hash)}}
	}
	fmt.Fprintf(env.Stdout, "ok: the replica's chain matches ingest's head at sequence %d hash %s\n", ih.Seq, ih.Hash)
	return nil
}

func runServe(ctx context.Context, env *cli.Env, args []string) error {
	var name, tokensFile string
	var publishAlerts bool
	cfg, fs, err := env.Parse("serve", "", config.Ledger|config.State|config.Brokers|config.TopicPrefix|config.Addr|config.Token|config.Reference, -1, args, func(fs *flag.FlagSet) {
		fs.StringVar(&name, "replica", "replica", "this replica's name, in logs")
		fs.StringVar(&tokensFile, "tokens", os.Getenv("CHIPLEDGER_TOKENS"), "tokens file of named identities (reader, investigator): every read then needs one, triage an investigator's ($CHIPLEDGER_TOKENS)")
		fs.BoolVar(&publishAlerts, "publish-alerts", false, "publish every alert and state change to chip-alerts (one replica); resumes after a restart")
	})
	if err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return cli.ErrUsage
	}
	log := cli.NewLogger(env.Stderr, cfg.LogLevel).With("replica", name)
	var tokens *httpapi.Tokens
	if tokensFile != "" {
		if tokens, err = httpapi.LoadTokens(tokensFile, log); err != nil {
			return err
		}
	}
	reg := metrics.NewRegistry()
	qm := metrics.NewQuery(reg)

	var r *replica.Replica
	follow := cfg.Ledger == ""
	if follow {
		if cfg.State == "" {
			return errors.New("--state DIR is required to follow chip-ledger (or give --ledger DIR)")
		}
		r, err = replica.Open(cfg.State, replica.Options{Logger: log, Metrics: qm, Detect: detectOptions(cfg)})
	} else {
		r, err = offlineReplica(ctx, cfg, log, qm)
	}
	if err != nil {
		return err
	}
	defer r.Close()

	topic := kafka.TopicNames(cfg.TopicPrefix).Ledger
	var lag atomic.Int64
	lag.Store(-1)
	ready := func() (bool, string) {
		if b := r.Broken(); b != nil {
			return false, b.Error()
		}
		if !follow {
			return true, ""
		}
		switch l := lag.Load(); {
		case l < 0:
			return false, "lag behind chip-ledger not measured yet"
		case l > 1000:
			return false, fmt.Sprintf("%d records behind chip-ledger", l)
		}
		return true, ""
	}
	ln, err := httpapi.Listen(cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	log.Info("query serving", "addr", ln.Addr().String(), "head", r.Head().Seq, "follow", follow)
	fmt.Fprintf(env.Stdout, "listening on http://%s\n", ln.Addr())

	g, gctx := errgroup.WithContext(ctx)
	topics := kafka.TopicNames(cfg.TopicPrefix)
	var triage httpapi.TriagePublisher
	if follow {
		// Decisions go to chip-events like any publisher's events: ingest
		// appends them and every replica replays them from chip-ledger.
		prod := kafka.NewProducer(cfg.BrokerList(), topics.Events, kafka.ProducerOptions{})
		defer prod.Close()
		triage = func(ctx context.Context, ev events.Event) error {
			line, err := events.Encode(ev)
			if err != nil {
				return err
			}
			return prod.Produce(ctx, kafka.Message{Key: []byte(ev.Primary()), Value: line})
		}
	} else if publishAlerts {
		return errors.New("--publish-alerts needs a replica that follows chip-ledger (--state DIR, not --ledger)")
	}
	// The web UI on /, sharing the API's scope rules and triage path.
	scope := httpapi.NewScope(r)
	decisions := httpapi.NewDecisions(r, triage, scope, log)
	ui := web.New(r, web.Options{Tokens: tokens, Token: cfg.Token, Scope: scope, Decisions: decisions, Logger: log})
	g.Go(func() error { return ui.Run(gctx) })
	g.Go(func() error {
		return httpapi.Serve(gctx, ln, httpapi.Query(r, httpapi.QueryOptions{
			Metrics: reg.Handler(), Token: cfg.Token, Tokens: tokens, Triage: triage, Logger: log, Ready: ready,
			Status: func() any { return map[string]any{"lag": lag.Load(), "follow": follow} },
			Scope:  scope, Decisions: decisions, Session: ui.Session, UI: ui,
		}), log)
	})
	g.Go(func() error { return r.RunDetection(gctx, 250*time.Millisecond) })
	if publishAlerts {
		feed, err := replica.NewAlertFeed(ctx, cfg.BrokerList(), topics.Alerts, log)
		if err != nil {
			return err
		}
		defer feed.Close()
		g.Go(func() error { return publishFeed(gctx, r, feed, log) })
	}
	if follow {
		brokers := cfg.BrokerList()
		g.Go(func() error { return r.Follow(gctx, brokers, topic) })
		g.Go(func() error {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				high, err := kafka.LastOffsets(gctx, brokers, topic)
				if err == nil {
					l := high[0] - r.Offset(topic)
					lag.Store(max(0, l))
					qm.Lag(max(0, l))
				}
				select {
				case <-gctx.Done():
					return nil
				case <-t.C:
				}
			}
		})
	}
	return g.Wait()
}

// publishFeed publishes the alerts to chip-alerts after every evaluation;
// a failed publish is retried after the next one (or a second later).
func publishFeed(ctx context.Context, r *replica.Replica, feed *replica.AlertFeed, log *slog.Logger) error {
	retry := time.NewTicker(time.Second)
	defer retry.Stop()
	failed := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-r.Evaluated():
		case <-retry.C:
			if !failed {
				continue
			}
		}
		n, err := feed.Publish(ctx, r.Alerts(alerts.Filter{}))
		failed = err != nil
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("alert feed: publish failed; retrying", "err", err)
		case n > 0:
			log.Info("alert feed: published", "records", n)
		}
	}
}
