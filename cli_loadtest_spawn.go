package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/switchboard-gw/switchboard/loadtest"
)

// spawnServer runs `serve` in this process on a free loopback port, fills in
// target and returns the function that stops it (and removes a temporary
// SQLite folder). Its log (warnings and up) goes to a file beside the data.
func (f *loadtestFlags) spawnServer(ctx context.Context, target *loadtest.Target) (func(), error) {
	dir, err := os.MkdirTemp("", "switchboard-loadtest-")
	if err != nil {
		return nil, err
	}
	stop, err := f.spawnIn(ctx, dir, target)
	if err != nil && !f.keep {
		os.RemoveAll(dir)
	}
	return stop, err
}

// spawnIn is spawnServer with its folder made; on an error the caller removes it.
func (f *loadtestFlags) spawnIn(ctx context.Context, dir string, target *loadtest.Target) (func(), error) {
	if f.opts.DatabaseURL == "" {
		f.opts.DatabaseURL = "sqlite:" + filepath.Join(dir, "switchboard.db")
	}
	if f.opts.Secret == "" {
		f.opts.Secret = "loadtest-" + randomHex(16)
	}
	// Before the server starts, as `switchboard users create` would: the
	// server then has an account and logs no first-run setup link.
	admin, err := createLoadtestAdmin(ctx, f.opts.DatabaseURL, f.opts.RunID)
	if err != nil {
		return nil, err
	}
	f.admin = admin
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	serverDB, err := f.serverDatabaseURL(target)
	if err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	args := []string{"--listen", addr, "--database-url", serverDB, "--webhook-secret", f.opts.Secret,
		"--secret-key", base64.StdEncoding.EncodeToString(key), "--allow-private-endpoints", "--log-level", "warn",
		"--retry-schedule", f.retrySchedule}
	if f.workers >= 0 {
		args = append(args, "--delivery-workers", fmt.Sprint(f.workers))
	}
	if f.deliveryTimeout != "" {
		args = append(args, "--delivery-timeout", f.deliveryTimeout)
	}
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	if f.child {
		return f.spawnChild(ctx, dir, args, logFile, target)
	}
	sctx, cancel := context.WithCancel(ctx)
	var serveErr error
	exited := make(chan struct{})
	go func() { serveErr = cmdServe(sctx, args, logFile); close(exited) }()
	stop := func() {
		cancel()
		<-exited
		logFile.Close()
		if !f.keep {
			os.RemoveAll(dir)
		} else {
			fmt.Fprintln(os.Stderr, "kept", dir)
		}
	}
	target.URL = "http://" + addr
	target.RSS, target.RSSWhat = loadtest.RSSOf(0), "this process (server in-process, plus the load generator)"
	if err := waitHealthy(ctx, target.URL, exited); err != nil {
		if serveErr != nil {
			err = fmt.Errorf("%w: %v", err, serveErr)
		}
		stop()
		return nil, fmt.Errorf("spawned server (log %s): %w", logFile.Name(), err)
	}
	return stop, nil
}

// spawnChild runs the server as a child process of this binary, so the RSS
// reported is the server's alone (read from /proc/<pid>/status).
func (f *loadtestFlags) spawnChild(ctx context.Context, dir string, args []string, logFile *os.File, target *loadtest.Target) (func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, append([]string{"serve"}, args...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start server process: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(45 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		logFile.Close()
		if !f.keep {
			os.RemoveAll(dir)
		}
	}
	target.URL = "http://" + args[1]
	pid := cmd.Process.Pid
	target.RSS, target.RSSWhat = loadtest.RSSOf(pid), fmt.Sprintf("server child process pid %d (VmRSS)", pid)
	target.CPU, target.OwnProcess = loadtest.CPUOf(pid), true
	if err := waitHealthy(ctx, target.URL, exited); err != nil {
		stop()
		return nil, fmt.Errorf("spawned server process (log %s): %w", logFile.Name(), err)
	}
	return stop, nil
}

// serverDatabaseURL is the URL the spawned server uses: the database URL, or
// with --count-statements the same database through a counting proxy.
func (f *loadtestFlags) serverDatabaseURL(target *loadtest.Target) (string, error) {
	if !f.countStatements {
		return f.opts.DatabaseURL, nil
	}
	u, err := countableDatabase(f.opts.DatabaseURL)
	if err != nil {
		return "", err
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "5432")
	}
	counter, err := loadtest.StartStatementCounter(host)
	if err != nil {
		return "", err
	}
	target.Statements = counter.Snapshot
	q := u.Query()
	q.Set("sslmode", "disable")
	u.Host, u.RawQuery = counter.Addr, q.Encode()
	return u.String(), nil
}

// countableDatabase parses a --database-url --count-statements can proxy:
// PostgreSQL on one TCP host.
func countableDatabase(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || !strings.HasPrefix(u.Scheme, "postgres") {
		return nil, errors.New("loadtest: --count-statements needs a postgres:// --database-url")
	}
	if hosts := urlHosts(u); len(hosts) != 1 || hosts[0] == "" || strings.HasPrefix(hosts[0], "/") {
		// The counter is a TCP proxy: a socket or a host list would bypass it.
		return nil, errors.New("loadtest: --count-statements needs a --database-url with one TCP host (not a Unix socket)")
	}
	return u, nil
}

func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitHealthy polls /healthz until it answers, the server exits, or 60 s pass.
func waitHealthy(ctx context.Context, base string, exited <-chan struct{}) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("serve exited early")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("not healthy after 60s")
}
