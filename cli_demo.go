package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/switchboard-gw/switchboard/webhooks"
)

// demoTenant is one demo customer: its sourceId and the receiver path
// standing in for its ATS. failEvery > 0 makes every n-th request to it
// fail with 503, so retries show in the UI.
type demoTenant struct {
	name, sourceID, path string
	failEvery            int
}

var demoTenants = []demoTenant{
	{name: "Acme Corp (demo)", sourceID: "org_7234567890", path: "/acme"},
	{name: "Globex (demo, flaky ATS)", sourceID: "org_globex_demo", path: "/globex", failEvery: 3},
}

// demoUnroutedSourceID is sent now and then so the Unrouted screen has content.
const demoUnroutedSourceID = "org_not_onboarded_demo"

// demoEventTypes are the four candidate events Boooply publishes samples of.
var demoEventTypes = []string{"interview.transcript", "interview.evaluation", "interview.scores", "interview.recording"}

var demoCandidates = []string{"Jane Doe", "Ana Silva", "Kenji Sato", "Amara Okafor", "Lars Nilsson", "Priya Raman"}

// cmdDemo runs `switchboard demo`: serve on a fresh embedded database, two
// demo tenants forwarding to a built-in loopback receiver, and the four
// Boooply samples replayed every few seconds with fresh meetingCodes.
func cmdDemo(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	listen := fs.String("listen", defaultListen, "address of the demo server")
	dir := fs.String("dir", "", "folder for demo.db, recreated on each start (default: a new temporary folder, removed at exit)")
	interval := fs.Duration("interval", 3*time.Second, "time between replayed events")
	schedule := fs.String("retry-schedule", "2s,5s,15s", "retry waits, short so retries show quickly")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *interval <= 0 {
		return errors.New("demo: --interval must be positive")
	}
	folder, cleanup, err := demoFolder(*dir)
	if err != nil {
		return err
	}
	defer cleanup()
	out = &demoWriter{w: out}
	dbURL := "sqlite:" + filepath.Join(folder, "demo.db")
	secret := "demo_" + demoRandomHex(16)

	recv, err := startDemoReceiver(out)
	if err != nil {
		return err
	}
	defer recv.Close()
	addr, err := demoResolveListen(*listen)
	if err != nil {
		return err
	}
	password, err := demoCreateAdmin(ctx, dbURL)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	serveDone := make(chan error, 1)
	go func() {
		serveDone <- cmdServe(ctx, []string{"--listen", addr, "--database-url", dbURL, "--webhook-secret", secret,
			"--allow-private-endpoints", "--retry-schedule", *schedule, "--log-level", "warn", "--shutdown-timeout", "5s"}, out)
	}()
	base := "http://" + addr
	if err := demoWaitReady(ctx, base, serveDone); err != nil {
		return err
	}
	for _, t := range demoTenants {
		if err := cmdTenants(ctx, []string{"create", "--database-url", dbURL, "--allow-private-endpoints",
			"--name", t.name, "--source-id", t.sourceID, "--endpoint", recv.url + t.path}, io.Discard); err != nil {
			cancel()
			<-serveDone
			return fmt.Errorf("demo: create tenant %s: %w", t.name, err)
		}
	}
	fmt.Fprintf(out, "Switchboard demo is running.\n  admin UI:   %s/admin\n  sign in:    %s / %s (shown once)\n  ingest:     %s/webhooks/boooply (secret %s)\n  database:   %s\n  events:     switchboard events list --database-url %s\nReplaying the four Boooply samples every %s; Ctrl-C stops.\n",
		base, demoAdminEmail, password, base, secret, dbURL, dbURL, *interval)

	go replaySamples(ctx, base, secret, *interval, out)
	select {
	case <-ctx.Done():
		return <-serveDone
	case err := <-serveDone:
		return err
	}
}

// demoFolder returns dir (created if needed, with any earlier demo.db
// removed: its endpoints point at an old receiver port) or a new temporary folder.
func demoFolder(dir string) (string, func(), error) {
	if dir != "" {
		for _, f := range []string{"demo.db", "demo.db-wal", "demo.db-shm"} {
			if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return "", nil, fmt.Errorf("demo: start fresh: %w", err)
			}
		}
		return dir, func() {}, os.MkdirAll(dir, 0o700)
	}
	tmp, err := os.MkdirTemp("", "switchboard-demo-")
	if err != nil {
		return "", nil, fmt.Errorf("demo: %w", err)
	}
	return tmp, func() { os.RemoveAll(tmp) }, nil
}

// demoResolveListen turns port 0 into a concrete free port, so the demo knows
// the address it prints before serve starts.
func demoResolveListen(addr string) (string, error) {
	if !strings.HasSuffix(addr, ":0") {
		return addr, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("demo: listen on %s: %w", addr, err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// demoWaitReady polls /readyz until the server answers 200, serve fails, or a minute passes.
func demoWaitReady(ctx context.Context, base string, serveDone <-chan error) error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-serveDone:
			if err == nil {
				err = errors.New("serve stopped")
			}
			return fmt.Errorf("demo: server did not start: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return errors.New("demo: server not ready after a minute")
}

// replaySamples posts a signed sample every interval, cycling through the
// four event types and the tenants, with a fresh meetingCode each time.
func replaySamples(ctx context.Context, base, secret string, interval time.Duration, out io.Writer) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for n := 0; ; n++ {
		// Each tenant gets all four event types in turn.
		sourceID := demoTenants[(n/len(demoEventTypes))%len(demoTenants)].sourceID
		if n%7 == 6 {
			sourceID = demoUnroutedSourceID
		}
		eventType := demoEventTypes[n%len(demoEventTypes)]
		status, err := postDemoEvent(ctx, base, secret, eventType, sourceID, n)
		if err != nil && ctx.Err() == nil {
			fmt.Fprintf(out, "demo: post %s: %v\n", eventType, err)
		} else if err == nil {
			fmt.Fprintf(out, "sent     %-22s sourceId %-24s → %s\n", eventType, sourceID, status)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// demoEvent is a Boooply sample with a fresh meetingCode, the given
// sourceId and a rotating candidate name.
func demoEvent(eventType, sourceID string, n int) ([]byte, error) {
	body, err := webhooks.Sample(eventType)
	if err != nil {
		return nil, err
	}
	code := fmt.Sprintf("Boooply-AI-demo-%d-%s", n/len(demoEventTypes), demoRandomHex(3))
	if body, err = sjson.SetBytes(body, "data.meetingCode", code); err != nil {
		return nil, err
	}
	if body, err = sjson.SetBytes(body, "data.sourceId", sourceID); err != nil {
		return nil, err
	}
	if gjson.GetBytes(body, "data.candidateName").Exists() {
		body, err = sjson.SetBytes(body, "data.candidateName", demoCandidates[(n/len(demoEventTypes))%len(demoCandidates)])
	}
	return body, err
}

func postDemoEvent(ctx context.Context, base, secret, eventType, sourceID string, n int) (string, error) {
	body, err := demoEvent(eventType, sourceID, n)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/webhooks/boooply", strings.NewReader(string(body)))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Boooply-Signature", hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	ans, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return fmt.Sprintf("%d %s", resp.StatusCode, gjson.GetBytes(ans, "status").String()), nil
}

// demoReceiver is the built-in stand-in for the tenants' ATS.
type demoReceiver struct {
	*http.Server
	url  string
	mu   sync.Mutex
	hits map[string]int
}

func startDemoReceiver(out io.Writer) (*demoReceiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: receiver: %w", err)
	}
	r := &demoReceiver{url: "http://" + ln.Addr().String(), hits: map[string]int{}}
	r.Server = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		r.mu.Lock()
		r.hits[req.URL.Path]++
		n := r.hits[req.URL.Path]
		r.mu.Unlock()
		for _, t := range demoTenants {
			if t.path == req.URL.Path && t.failEvery > 0 && n%t.failEvery == 0 {
				fmt.Fprintf(out, "receiver %-22s %s → 503 (simulated outage; Switchboard will retry)\n", req.Header.Get("X-Switchboard-Event"), req.URL.Path)
				http.Error(w, "simulated outage", http.StatusServiceUnavailable)
				return
			}
		}
		fmt.Fprintf(out, "receiver %-22s %s → 204 (%d bytes, %s)\n", req.Header.Get("X-Switchboard-Event"), req.URL.Path, len(body), gjson.GetBytes(body, "data.meetingCode").String())
		w.WriteHeader(http.StatusNoContent)
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = r.Serve(ln) }()
	return r, nil
}

// demoWriter serialises writes from the server's logger, the receiver and the replay loop.
type demoWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *demoWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func demoRandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
