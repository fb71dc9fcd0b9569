// Package uitest drives Debian's Chromium with chromedp for the admin UI's
// browser tests: it starts a headless browser per test with the flags this
// machine kind needs, records JavaScript dialogs, uncaught exceptions and
// Content-Security-Policy violations, and saves screenshots to artifacts/.
// Only tests import it.
package uitest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ChromiumPath returns the Chromium binary: $SWITCHBOARD_CHROMIUM, else
// chromium (Debian's package) or chromium-browser on PATH, else "".
func ChromiumPath() string {
	if p := os.Getenv("SWITCHBOARD_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Browser is one headless Chromium tab and what it reported.
type Browser struct {
	Ctx context.Context

	mu         sync.Mutex
	dialogs    []string
	exceptions []string
	csp        []string
}

// New starts headless Chromium for t with a fresh profile, or skips t when
// this machine has no Chromium (`apt-get install chromium`; .ci/run does).
// The browser stops when t ends.
func New(t *testing.T) *Browser {
	t.Helper()
	path := ChromiumPath()
	if path == "" {
		t.Skip("browser test skipped: no Chromium on this machine (apt-get install chromium, or set SWITCHBOARD_CHROMIUM)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	b := &Browser{Ctx: ctx}
	// The first run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium %s: %v", path, err)
	}
	if err := chromedp.Listen(ctx, b.record); err != nil {
		t.Fatal(err)
	}
	return b
}

// record keeps what the page reported; it must return fast (chromedp's rule).
func (b *Browser) record(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch e := ev.(type) {
	case *page.EventJavascriptDialogOpening:
		b.dialogs = append(b.dialogs, e.Message)
		go func() { // a dialog blocks the page until answered
			_, _ = chromedp.Call(b.Ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}()
	case *runtime.EventExceptionThrown:
		b.exceptions = append(b.exceptions, (&chromedp.ExceptionError{ExceptionDetails: e.ExceptionDetails}).Error())
	case *log.EventEntryAdded:
		if strings.Contains(e.Entry.Text, "Content Security Policy") {
			b.csp = append(b.csp, e.Entry.Text)
		}
	}
}

// Problems returns, and forgets, the dialogs, exceptions and CSP
// violations seen since the last call.
func (b *Browser) Problems() (dialogs, exceptions, csp []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	dialogs, exceptions, csp = b.dialogs, b.exceptions, b.csp
	b.dialogs, b.exceptions, b.csp = nil, nil, nil
	return dialogs, exceptions, csp
}

// Do runs the actions with a time limit, failing t on error.
func (b *Browser) Do(t testing.TB, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Eval evaluates a JavaScript expression and returns its value.
func Eval[T any](t testing.TB, b *Browser, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// WaitFor polls a JavaScript condition until it is true or 10 s pass.
func (b *Browser) WaitFor(t testing.TB, what, cond string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		t.Fatalf("waiting for %s (%s): %v", what, cond, err)
	}
}

// WaitNav polls cond across page navigations (a form post replaces the
// page, which ends a single WaitFor poll) until it is true or 15 s pass.
func (b *Browser) WaitNav(t testing.TB, what, cond string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.Ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		cancel()
		if err == nil && ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("waiting for %s (%s): not true after 15 s; page: %s", what, cond, Eval[string](t, b, "location.href"))
}

// Screenshot saves a full-page PNG as artifacts/ui/<name>.png and returns its path.
// It waits for the page to finish loading: a test often goes on as soon as
// the element it waits for is parsed, and a page still loading can have no
// layout yet ("Cannot take screenshot with 0 width").
func (b *Browser) Screenshot(t testing.TB, name string) string {
	t.Helper()
	b.WaitNav(t, "page loaded for screenshot "+name, `document.readyState === "complete" && document.documentElement.scrollWidth > 0`)
	ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := ArtifactsDir(t)
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// ArtifactsDir is where screenshots go: $SWITCHBOARD_ARTIFACTS, else
// artifacts/ui at the module root (gitignored). It is created if missing.
func ArtifactsDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("SWITCHBOARD_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(moduleRoot(t), "artifacts", "ui")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func moduleRoot(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}
