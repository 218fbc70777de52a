package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/chipledger/chipledger/cli"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chipledger/chipledger/config"
	"github.com/chipledger/chipledger/ingest"
	"github.com/chipledger/chipledger/ledger"
)

// quarantineBackend is where quarantine commands act: a running ingest's
// admin endpoints, or a ledger directory that no ingest holds.
type quarantineBackend interface {
	list(ctx context.Context, f ledger.QuarantineFilter) ([]ledger.Quarantined, error)
	show(ctx context.Context, id uint64) (ledger.Quarantined, error)
	retry(ctx context.Context, id uint64, replacement []byte) (ingest.RetryResult, error)
	close() error
}

func runQuarantine(ctx context.Context, env *cli.Env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(env.Stderr, "usage: ingest quarantine list|show ID|retry ID [--file FIXED] (--ingest URL | --ledger DIR)")
		return cli.ErrUsage
	}
	sub := args[0]
	var (
		openOnly bool
		reason   string
		file     string
	)
	cfg, fs, err := env.Parse("quarantine "+sub, "[ID]", config.Ledger|config.Ingest|config.Token|config.Format, -1, args[1:], func(fs *flag.FlagSet) {
		switch sub {
		case "list":
			fs.BoolVar(&openOnly, "open", false, "only records not yet resolved")
			fs.StringVar(&reason, "reason", "", "only this reason (not_json, unknown_type, conflict, ...)")
		case "retry":
			fs.StringVar(&file, "file", "", "corrected bytes to append instead of the original (one event)")
		}
	})
	if err != nil {
		return err
	}
	b, err := openQuarantine(cfg)
	if err != nil {
		return err
	}
	defer b.close()

	id := uint64(0)
	if sub == "show" || sub == "retry" {
		if fs.NArg() != 1 {
			fs.Usage()
			return cli.ErrUsage
		}
		if id, err = strconv.ParseUint(fs.Arg(0), 10, 64); err != nil || id == 0 {
			return fmt.Errorf("quarantine id %q: want a positive integer", fs.Arg(0))
		}
	} else if fs.NArg() != 0 {
		fs.Usage()
		return cli.ErrUsage
	}

	switch sub {
	case "list":
		qs, err := b.list(ctx, ledger.QuarantineFilter{OpenOnly: openOnly, Reason: reason})
		if err != nil {
			return err
		}
		if cfg.Format == "json" {
			return cli.PrintJSON(env.Stdout, qs)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tREASON\tSOURCE\tEVENT\tRESOLVED\tDETAIL")
		for _, q := range qs {
			resolved := "-"
			if q.Resolved != 0 {
				resolved = "seq " + strconv.FormatUint(q.Resolved, 10)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", q.ID, q.Reason, q.Source, cli.OrDash(q.EventID), resolved, truncate(q.Detail, 90))
		}
		return tw.Flush()
	case "show":
		q, err := b.show(ctx, id)
		if err != nil {
			return err
		}
		if cfg.Format == "json" {
			return cli.PrintJSON(env.Stdout, q)
		}
		fmt.Fprintf(env.Stdout, "id:        %d\nreason:    %s\ndetail:    %s\nsource:    %s\nreceived:  %s\nevent id:  %s\nresolved:  %d\nbytes:     %d\n%s\n",
			q.ID, q.Reason, q.Detail, q.Source, q.Received.Format(time.RFC3339Nano), cli.OrDash(q.EventID), q.Resolved, len(q.Original), q.Original)
		return nil
	case "retry":
		var replacement []byte
		if file != "" {
			if replacement, err = os.ReadFile(file); err != nil {
				return err
			}
			replacement = bytes.TrimRight(replacement, "\r\n")
		}
		res, err := b.retry(ctx, id, replacement)
		if err != nil {
			return err
		}
		if cfg.Format == "json" {
			return cli.PrintJSON(env.Stdout, res)
		}
		if res.Appended {
			fmt.Fprintf(env.Stdout, "quarantine %d appended at sequence %d\n", id, res.Seq)
		} else {
			fmt.Fprintf(env.Stdout, "quarantine %d resolved: the event was already at sequence %d\n", id, res.Seq)
		}
		return nil
	}
	return fmt.Errorf("unknown quarantine command %q (want list, show or retry)", sub)
}

func openQuarantine(cfg *config.Config) (quarantineBackend, error) {
	switch {
	case cfg.Ingest != "" && cfg.Ledger != "":
		return nil, errors.New("--ingest and --ledger are mutually exclusive")
	case cfg.Ingest != "":
		return &remoteQuarantine{base: strings.TrimRight(cfg.Ingest, "/"), token: cfg.Token, client: &http.Client{Timeout: 30 * time.Second}}, nil
	case cfg.Ledger != "":
		s, err := ledger.Open(cfg.Ledger, nil)
		if err != nil {
			if errors.Is(err, ledger.ErrLocked) {
				return nil, fmt.Errorf("%w; while ingest runs, use --ingest URL", err)
			}
			return nil, err
		}
		return &localQuarantine{s: s}, nil
	}
	return nil, errors.New("--ingest URL or --ledger DIR is required")
}

type localQuarantine struct{ s *ledger.Store }

func (l *localQuarantine) list(_ context.Context, f ledger.QuarantineFilter) ([]ledger.Quarantined, error) {
	return l.s.Quarantine(f)
}
func (l *localQuarantine) show(_ context.Context, id uint64) (ledger.Quarantined, error) {
	return l.s.Quarantined(id)
}
func (l *localQuarantine) retry(_ context.Context, id uint64, replacement []byte) (ingest.RetryResult, error) {
	return ingest.Retry(l.s, nil, id, replacement, time.Now())
}
func (l *localQuarantine) close() error { return l.s.Close() }

type remoteQuarantine struct {
	base, token string
	client      *http.Client
}

func (r *remoteQuarantine) do(ctx context.Context, method, path string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil && e.Error.Message != "" {
			return fmt.Errorf("%s: %s", resp.Status, e.Error.Message)
		}
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	return json.Unmarshal(data, out)
}

func (r *remoteQuarantine) list(ctx context.Context, f ledger.QuarantineFilter) ([]ledger.Quarantined, error) {
	q := url.Values{"limit": {"10000"}}
	if f.OpenOnly {
		q.Set("open", "1")
	}
	if f.Reason != "" {
		q.Set("reason", f.Reason)
	}
	var out []ledger.Quarantined
	return out, r.do(ctx, http.MethodGet, "/admin/quarantine?"+q.Encode(), nil, &out)
}
func (r *remoteQuarantine) show(ctx context.Context, id uint64) (ledger.Quarantined, error) {
	var out ledger.Quarantined
	return out, r.do(ctx, http.MethodGet, fmt.Sprintf("/admin/quarantine/%d", id), nil, &out)
}
func (r *remoteQuarantine) retry(ctx context.Context, id uint64, replacement []byte) (ingest.RetryResult, error) {
	var out ingest.RetryResult
	return out, r.do(ctx, http.MethodPost, fmt.Sprintf("/admin/quarantine/%d/retry", id), replacement, &out)
}
func (r *remoteQuarantine) close() error { return nil }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
