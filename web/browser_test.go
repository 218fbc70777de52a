package web_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chipledger/chipledger/events"
	"github.com/chipledger/chipledger/httpapi"
	"github.com/chipledger/chipledger/ingest"
	"github.com/chipledger/chipledger/internal/daemontest"
	"github.com/chipledger/chipledger/kafka"
	"github.com/chipledger/chipledger/kafka/kafkatest"
	"github.com/chipledger/chipledger/ledger"
	"github.com/chipledger/chipledger/projections/alerts"
)

// artifacts is where the browser test saves its screenshots (git-ignored).
const artifacts = "../artifacts"

// chromiumPath finds Debian's chromium on PATH; the test fails without it
// (.ci/run installs it).
func chromiumPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not on PATH: this test drives Debian's chromium package (apt-get install -y chromium; .ci/run installs it)")
	}
	return p
}

// browser starts a headless chromium and returns its first tab.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.WindowSize(1280, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	require.NoError(t, chromedp.Do(ctx), "start chromium")
	return ctx
}

// tab opens a tab in its own browser context (its own cookies: another
// user) with a time limit for the whole test.
func tab(t *testing.T, b context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Do(ctx))
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelT)
	return ctx
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(artifacts, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(artifacts, "web-"+name+".png"), png, 0o644))
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	require.NoError(t, err, sel)
	return s
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	require.NoError(t, err, js)
	return v
}

// accessible checks what every page must have: one h1, a main landmark,
// a label for every input, select and textarea, and a skip link that is
// the first thing the keyboard reaches.
func accessible(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	assert.Equal(t, 1, eval[int](t, ctx, `document.querySelectorAll("h1").length`), "%s: one h1", page)
	assert.Equal(t, 1, eval[int](t, ctx, `document.querySelectorAll("main").length`), "%s: a main landmark", page)
	unlabelled := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("input:not([type=hidden]), select, textarea"))
		.filter(e => e.labels.length === 0 || e.labels[0].textContent.trim() === "").map(e => e.outerHTML)`)
	assert.Empty(t, unlabelled, "%s: every input has a label", page)
	require.NoError(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`), chromedp.KeyEvent("\t")))
	assert.Equal(t, "skip", eval[string](t, ctx, `document.activeElement.className`), "%s: Tab first reaches the skip link", page)
	require.NoError(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`)))
}

func signIn(t *testing.T, ctx context.Context, base, token string) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible("#token"),
		chromedp.SendKeys("#token", token),
		chromedp.Click("form.signin button"),
		chromedp.WaitVisible(".who-name"),
	))
}

// TestBrowserTriageThroughTheLedger drives chromium through the UI of a
// `query serve` replica following a real ledger (ingest in process,
// chip-events and chip-ledger on the broker): an investigator signs in,
// searches a serial, opens its chain, follows it to one of its alerts and
// dismisses it with a reason; the dismissal is pending while ingest is
// stopped, and arrives from the ledger under the investigator's name once
// ingest runs again. A reader sees no triage form, a party-scoped officer
// cannot open another party's unit, and a form without its CSRF token is
// refused. Screenshots of the main pages go to artifacts/.
func TestBrowserTriageThroughTheLedger(t *testing.T) {
	b := browser(t)
	brokers, prefix := kafkatest.Brokers(t), kafkatest.Prefix(t)
	ctx := context.Background()
	topics, err := kafka.EnsureTopics(ctx, brokers, prefix, kafka.EnsureOptions{})
	require.NoError(t, err)
	var msgs []kafka.Message
	for _, line := range storyLines(t) {
		ev, err := events.Decode(line)
		require.NoError(t, err)
		msgs = append(msgs, kafka.Message{Key: []byte(ev.Primary()), Value: line})
	}
	p := kafka.NewProducer(brokers, topics.Events, kafka.ProducerOptions{})
	require.NoError(t, p.Produce(ctx, msgs...))
	require.NoError(t, p.Close())

	store, err := ledger.Open(filepath.Join(t.TempDir(), "ledger"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	startIngest := func() (stop func()) {
		svc := ingest.NewService(store, ingest.Options{Brokers: brokers, Prefix: prefix})
		ictx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- svc.Run(ictx) }()
		return func() {
			cancel()
			require.NoError(t, <-done)
		}
	}
	stopIngest := startIngest()
	t.Cleanup(func() { stopIngest() })

	tokens := filepath.Join(t.TempDir(), "tokens.json")
	require.NoError(t, os.WriteFile(tokens, []byte(tokensJSON), 0o600))
	bin := daemontest.Build(t, "../cmd/query")
	q := daemontest.Start(t, bin, "serve", "--addr", "127.0.0.1:0", "--log-level", "warn", "--state", filepath.Join(t.TempDir(), "replica"),
		"--topic-prefix", prefix, "--brokers", strings.Join(brokers, ","), "--tokens", tokens)
	base := q.URL
	require.Eventually(t, func() bool {
		var l httpapi.AlertList
		return getJSONQuiet(base+"/api/v1/alerts?rule=R1&subject=chip:T1", readerToken, &l) == http.StatusOK && len(l.Alerts) > 0
	}, time.Minute, 20*time.Millisecond, "the replica raises R1 on chip:T1")

	// alice: sign in, search the serial, open its chain.
	alice := tab(t, b)
	signIn(t, alice, base, investigatorToken)
	assert.Equal(t, "alice", text(t, alice, ".who-name"))
	accessible(t, alice, "home")
	require.NoError(t, chromedp.Do(alice,
		chromedp.SendKeys("#q", "T1"),
		chromedp.Click("form.search button"),
		chromedp.WaitVisible(`ul.units a[href="/units/chip:T1"]`),
	))
	accessible(t, alice, "search")
	screenshot(t, alice, "search")
	require.NoError(t, chromedp.Do(alice,
		chromedp.Click(`ul.units a[href="/units/chip:T1"]`),
		chromedp.WaitVisible("svg.pathsvg"),
	))
	assert.Equal(t, "chip:T1", text(t, alice, "h1"))
	words := text(t, alice, "ol.path-words")
	assert.Contains(t, words, "US → SG")
	assert.Contains(t, words, "SG → CN")
	assert.Contains(t, words, "cited by R1")
	assert.Positive(t, eval[int](t, alice, `document.querySelectorAll("svg.pathsvg path.hop.flagged").length`), "a red hop")
	assert.Positive(t, eval[int](t, alice, `document.querySelectorAll("table.timeline tbody tr").length`), "the timeline")
	assert.Equal(t, 0, eval[int](t, alice, `Array.from(document.querySelectorAll("table.timeline tbody tr")).filter(r => !r.querySelector("a[href^='/entries/']")).length`),
		"every step links to its entry")
	accessible(t, alice, "unit")
	screenshot(t, alice, "unit")

	// Follow the chain to one of its alerts.
	require.NoError(t, chromedp.Do(alice,
		chromedp.Click(`table.timeline a.rule`),
		chromedp.WaitVisible("form.dismiss"),
	))
	alertPath := eval[string](t, alice, `location.pathname`)
	alertID, err := url.PathUnescape(strings.TrimPrefix(alertPath, "/alerts/"))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(alertID, "R1:"), alertID)
	assert.Equal(t, "open", text(t, alice, "#alert-state"))
	accessible(t, alice, "alert")

	// Ingest stops: the dismissal is published and stays pending.
	stopIngest()
	stopIngest = func() {}
	const reason = "licence found in the exporter's files"
	require.NoError(t, chromedp.Do(alice,
		chromedp.SendKeys("#dismiss-reason", reason),
		chromedp.Click("form.dismiss button"),
		chromedp.WaitVisible(".pending-box"),
	))
	assert.Contains(t, text(t, alice, "ul.pending-list"), "dismissed by alice")
	require.NoError(t, chromedp.Do(alice, chromedp.Navigate(base+alertPath), chromedp.WaitVisible(".pending-box")))
	assert.Equal(t, "open", text(t, alice, "#alert-state"), "not in the ledger yet")
	screenshot(t, alice, "alert-pending")

	// Ingest runs again: the page (reloading itself while pending) shows
	// the decision from the ledger, under alice's name.
	stopIngest = startIngest()
	require.NoError(t, chromedp.Do(alice, chromedp.WaitVisible("tr.decision td.investigator")))
	require.NoError(t, chromedp.Do(alice, chromedp.WaitNotPresent(".pending-box")))
	assert.Equal(t, "alice", text(t, alice, "tr.decision td.investigator"))
	assert.Equal(t, reason, text(t, alice, "tr.decision td.reason"))
	assert.Equal(t, "dismissed", text(t, alice, "#alert-state"))
	screenshot(t, alice, "alert")
	var al alerts.Alert
	require.Equal(t, http.StatusOK, getJSONQuiet(base+"/api/v1/alerts/"+url.PathEscape(alertID), readerToken, &al))
	require.Equal(t, alerts.StateDismissed, al.State, "the API agrees")

	// The alerts list, filtered; the flows overview with the flagged flow.
	require.NoError(t, chromedp.Do(alice,
		chromedp.Navigate(base+"/alerts"),
		chromedp.WaitVisible("#f-rule"),
		chromedp.SetValue("#f-rule", "R1"),
		chromedp.SetValue("#f-state", "open"),
		chromedp.Click("form.filters button"),
		chromedp.WaitReady(`#f-rule option[value="R1"][selected]`), // the new page: the server selected it
	))
	assert.Contains(t, eval[string](t, alice, `location.search`), "rule=R1")
	assert.NotContains(t, text(t, alice, "table.alerts"), "dismissed", "the open R1 alerts only")
	accessible(t, alice, "alerts")
	screenshot(t, alice, "alerts")
	require.Eventually(t, func() bool {
		_ = chromedp.Do(alice, chromedp.Navigate(base+"/flows"), chromedp.WaitVisible("h1"))
		return eval[int](t, alice, `document.querySelectorAll("table.matrix td.flagged-cell").length`) > 0
	}, 30*time.Second, 200*time.Millisecond, "the flows overview marks US to CN")
	assert.Positive(t, eval[int](t, alice, `document.querySelectorAll("svg.flowsvg path.flow.flagged").length`))
	accessible(t, alice, "flows")
	screenshot(t, alice, "flows")

	// A form without its CSRF token is refused, and nothing is decided.
	other := openAlertOtherThan(t, base, alertID)
	require.NoError(t, chromedp.Do(alice,
		chromedp.Navigate(base+"/alerts/"+url.PathEscape(other.ID)),
		chromedp.WaitVisible("form.acknowledge"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("form.acknowledge input[name=csrf]").remove()`),
		chromedp.Click("form.acknowledge button"),
		chromedp.WaitVisible("p.error"),
	))
	assert.Contains(t, text(t, alice, "h1"), "403")
	assert.Contains(t, text(t, alice, "p.error"), "CSRF")
	var after alerts.Alert
	require.Equal(t, http.StatusOK, getJSONQuiet(base+"/api/v1/alerts/"+url.PathEscape(other.ID), readerToken, &after))
	assert.Equal(t, alerts.StateOpen, after.State)
	assert.Empty(t, after.Pending)
	assert.Empty(t, after.Decisions)

	// A reader sees the alert and no triage form.
	reader := tab(t, b)
	signIn(t, reader, base, readerToken)
	require.NoError(t, chromedp.Do(reader, chromedp.Navigate(base+"/alerts/"+url.PathEscape(other.ID)), chromedp.WaitVisible("#alert-state")))
	assert.Equal(t, 0, eval[int](t, reader, `document.querySelectorAll("form.triage-form, #dismiss-reason").length`))

	// The P-CN officer sees its units, not the German distributor's.
	officer := tab(t, b)
	signIn(t, officer, base, officerToken)
	require.NoError(t, chromedp.Do(officer, chromedp.Navigate(base+"/units/chip:T3"), chromedp.WaitVisible("h1")))
	assert.Contains(t, text(t, officer, "h1"), "404")
	require.NoError(t, chromedp.Do(officer, chromedp.Navigate(base+"/units/chip:T1"), chromedp.WaitVisible("svg.pathsvg")))
	assert.Equal(t, "chip:T1", text(t, officer, "h1"))
	assert.Equal(t, http.StatusNotFound, getJSONQuiet(base+"/api/v1/units/chip:T3", officerToken, nil), "the API hides it too")
}

func openAlertOtherThan(t *testing.T, base, id string) alerts.Alert {
	t.Helper()
	var l httpapi.AlertList
	require.Equal(t, http.StatusOK, getJSONQuiet(base+"/api/v1/alerts?state=open", readerToken, &l))
	for _, a := range l.Alerts {
		if a.ID != id {
			return a
		}
	}
	t.Fatal("no other open alert")
	return alerts.Alert{}
}

// getJSONQuiet is getJSON that answers 0 when the server is not there yet.
func getJSONQuiet(u, token string, out any) int {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return 0
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode == http.StatusOK {
		if jsonDecode(resp.Body, out) != nil {
			return 0
		}
	}
	return resp.StatusCode
}
