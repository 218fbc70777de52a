package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chipledger/chipledger/config"
	"github.com/chipledger/chipledger/httpapi"
	"github.com/chipledger/chipledger/ledger"
	"github.com/chipledger/chipledger/metrics"
	"github.com/chipledger/chipledger/projections"
	"github.com/chipledger/chipledger/projections/alerts"
	"github.com/chipledger/chipledger/projections/reports"
	"github.com/chipledger/chipledger/replica"
)

// backend answers queries: a running replica over HTTP, or a replica built
// here from a ledger directory.
type backend interface {
	unit(ctx context.Context, id string) (projections.UnitState, error)
	chain(ctx context.Context, id string) ([]projections.Step, error)
	tree(ctx context.Context, id string) (projections.Node, error)
	entry(ctx context.Context, seq uint64) (replica.EntryView, error)
	holdings(ctx context.Context, by, id string) (projections.Holdings, error)
	head(ctx context.Context) (headView, error)
	dump(ctx context.Context, w io.Writer, coordinates bool) error
	// alerts returns every alert matching the filter q (the query
	// parameters of GET /api/v1/alerts, checked by httpapi.AlertFilter).
	alerts(ctx context.Context, q url.Values) (httpapi.AlertList, error)
	alert(ctx context.Context, id string) (alerts.Alert, error)
	// report builds a compliance report (reportcmds.go); q holds the
	// parameters of GET /api/v1/reports/{kind}/{subject}.
	report(ctx context.Context, kind, subject string, q url.Values) (reports.Report, error)
	close() error
}

type headView struct {
	Seq  uint64 `json:"sequence"`
	Hash string `json:"hash"`
}

// stateDir is where offline commands keep their replica: --state, or a
// folder beside the ledger.
func stateDir(cfg *config.Config) string {
	if cfg.State != "" {
		return cfg.State
	}
	return filepath.Clean(cfg.Ledger) + ".query-state"
}

func openBackend(ctx context.Context, cfg *config.Config, log *slog.Logger) (backend, error) {
	switch {
	case cfg.Server != "" && cfg.Ledger != "":
		return nil, errors.New("--server and --ledger are mutually exclusive")
	case cfg.Server != "":
		return &remote{base: strings.TrimRight(cfg.Server, "/"), token: cfg.Token, client: &http.Client{Timeout: time.Minute}}, nil
	case cfg.Ledger != "":
		r, err := offlineReplica(ctx, cfg, log, nil)
		if err != nil {
			return nil, err
		}
		return &local{r: r, detectOpts: detectOptions(cfg)}, nil
	}
	return nil, fmt.Errorf("--server URL or --ledger DIR is required ($%s or $%s)", config.EnvServer, config.EnvLedger)
}

// offlineReplica brings the replica in the state directory up to the
// ledger's head and returns it; the ledger is closed again at once. qm may
// be nil.
func offlineReplica(ctx context.Context, cfg *config.Config, log *slog.Logger, qm *metrics.Query) (*replica.Replica, error) {
	src, err := ledger.Open(cfg.Ledger, &ledger.Options{Logger: log})
	if err != nil {
		if errors.Is(err, ledger.ErrLocked) {
			return nil, fmt.Errorf("%w; while ingest runs, ask a replica with --server URL", err)
		}
		return nil, err
	}
	defer src.Close()
	r, err := replica.Open(stateDir(cfg), replica.Options{Logger: log, Metrics: qm, Detect: detectOptions(cfg)})
	if err != nil {
		return nil, err
	}
	if err := r.SyncLedger(ctx, src); err != nil {
		_ = r.Close()
		return nil, err
	}
	return r, nil
}

// detectOptions configure a replica's detector: documents the ledger names
// but does not carry are found under --reference DIR.
func detectOptions(cfg *config.Config) alerts.Options {
	return alerts.Options{Resolve: replica.NewReference(cfg.Reference).Content}
}

type local struct {
	r *replica.Replica
	// The alerts are evaluated once, by the first command that needs them:
	// a chain or a unit does not wait for detection.
	detectOnce sync.Once
	detectErr  error
	detectOpts alerts.Options // for the reports' own detector and policy documents
	reports    reporter
}

func (l *local) detect() error {
	l.detectOnce.Do(func() { _, l.detectErr = l.r.Detect() })
	return l.detectErr
}

func (l *local) alerts(_ context.Context, q url.Values) (httpapi.AlertList, error) {
	f, err := httpapi.AlertFilter(q)
	if err != nil {
		return httpapi.AlertList{}, err
	}
	if err := l.detect(); err != nil {
		return httpapi.AlertList{}, err
	}
	as := l.r.Alerts(f)
	if as == nil {
		as = []alerts.Alert{}
	}
	return httpapi.AlertList{Alerts: as, Total: len(as), Detection: l.r.AlertStats()}, nil
}

func (l *local) alert(_ context.Context, id string) (alerts.Alert, error) {
	if err := l.detect(); err != nil {
		return alerts.Alert{}, err
	}
	return l.r.Alert(id)
}

func (l *local) unit(_ context.Context, id string) (st projections.UnitState, err error) {
	err = l.r.View(func(p *projections.Projection, src projections.Source) error {
		u, err := httpapi.ResolveUnit(p, src, id)
		if err == nil {
			st, err = p.Unit(src, u)
		}
		return err
	})
	return st, err
}

func (l *local) chain(_ context.Context, id string) (steps []projections.Step, err error) {
	err = l.r.View(func(p *projections.Projection, src projections.Source) error {
		u, err := httpapi.ResolveUnit(p, src, id)
		if err == nil {
			steps, err = p.Chain(src, u)
		}
		return err
	})
	return steps, err
}

func (l *local) tree(_ context.Context, id string) (n projections.Node, err error) {
	err = l.r.View(func(p *projections.Projection, src projections.Source) error {
		u, err := httpapi.ResolveUnit(p, src, id)
		if err == nil {
			n, err = p.Tree(src, u)
		}
		return err
	})
	return n, err
}

func (l *local) entry(_ context.Context, seq uint64) (replica.EntryView, error) {
	e, err := l.r.Entry(seq)
	if err != nil {
		return replica.EntryView{}, err
	}
	return replica.ViewOf(e), nil
}

func (l *local) holdings(_ context.Context, by, id string) (h projections.Holdings, err error) {
	err = l.r.View(func(p *projections.Projection, src projections.Source) error {
		h, err = p.Holdings(src, by, id)
		return err
	})
	return h, err
}

func (l *local) head(context.Context) (headView, error) {
	h := l.r.Head()
	return headView{Seq: h.Seq, Hash: h.Hash.String()}, nil
}

func (l *local) dump(_ context.Context, w io.Writer, coordinates bool) error {
	return l.r.View(func(p *projections.Projection, src projections.Source) error {
		return p.Dump(src, w, coordinates)
	})
}

func (l *local) close() error { return l.r.Close() }

// remote asks a running `query serve`.
type remote struct {
	base, token string
	client      *http.Client
}

// errNotFound is what a 404 becomes on the client side.
var errNotFound = errors.New("not found")

func (r *remote) get(ctx context.Context, path string, out any) error {
	resp, err := r.open(ctx, path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(out)
}

// post sends body as JSON and decodes a 2xx answer into out.
func (r *remote) post(ctx context.Context, path string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.base+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.do(req, path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(out)
}

func (r *remote) open(ctx context.Context, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.base+path, nil)
	if err != nil {
		return nil, err
	}
	return r.do(req, path)
}

func (r *remote) do(req *http.Request, path string) (*http.Response, error) {
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	var e httpapi.ErrorBody
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&e)
	if resp.StatusCode == http.StatusNotFound {
		return nil, fmt.Errorf("%w: %s", errNotFound, path)
	}
	if e.Error.Message != "" {
		return nil, fmt.Errorf("%s: %s", resp.Status, e.Error.Message)
	}
	return nil, fmt.Errorf("%s %s: %s", req.Method, path, resp.Status)
}

func (r *remote) unit(ctx context.Context, id string) (st projections.UnitState, err error) {
	return st, r.get(ctx, "/api/v1/units/"+url.PathEscape(id), &st)
}

func (r *remote) chain(ctx context.Context, id string) ([]projections.Step, error) {
	var all []projections.Step
	next := 0
	for {
		var p httpapi.Page[projections.Step]
		if err := r.get(ctx, fmt.Sprintf("/api/v1/units/%s/chain?limit=1000&offset=%d", url.PathEscape(id), next), &p); err != nil {
			return nil, err
		}
		all = append(all, p.Items...)
		if p.Next == nil {
			return all, nil
		}
		next = *p.Next
	}
}

func (r *remote) tree(ctx context.Context, id string) (n projections.Node, err error) {
	return n, r.get(ctx, "/api/v1/units/"+url.PathEscape(id)+"/tree", &n)
}

func (r *remote) entry(ctx context.Context, seq uint64) (e replica.EntryView, err error) {
	return e, r.get(ctx, fmt.Sprintf("/api/v1/entries/%d", seq), &e)
}

func (r *remote) holdings(ctx context.Context, by, id string) (h projections.Holdings, err error) {
	return h, r.get(ctx, "/api/v1/holdings/"+url.PathEscape(by)+"/"+url.PathEscape(id), &h)
}

func (r *remote) head(ctx context.Context) (h headView, err error) {
	return h, r.get(ctx, "/api/v1/head", &h)
}

func (r *remote) dump(ctx context.Context, w io.Writer, coordinates bool) error {
	path := "/api/v1/dump"
	if !coordinates {
		path += "?coordinates=0"
	}
	resp, err := r.open(ctx, path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(w, resp.Body)
	return err
}

func (r *remote) alerts(ctx context.Context, q url.Values) (httpapi.AlertList, error) {
	var all httpapi.AlertList
	all.Alerts = []alerts.Alert{}
	q = maps.Clone(q)
	if q == nil {
		q = url.Values{}
	}
	q.Set("limit", "1000")
	next := 0
	for {
		q.Set("offset", strconv.Itoa(next))
		var p httpapi.AlertList
		if err := r.get(ctx, "/api/v1/alerts?"+q.Encode(), &p); err != nil {
			return httpapi.AlertList{}, err
		}
		all.Alerts = append(all.Alerts, p.Alerts...)
		all.Total, all.Detection = p.Total, p.Detection
		if p.Next == nil {
			return all, nil
		}
		next = *p.Next
	}
}

func (r *remote) alert(ctx context.Context, id string) (a alerts.Alert, err error) {
	return a, r.get(ctx, "/api/v1/alerts/"+url.PathEscape(id), &a)
}

func (r *remote) close() error { return nil }
