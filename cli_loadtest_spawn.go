package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
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
	if f.opts.DatabaseURL == "" {
		f.opts.DatabaseURL = "sqlite:" + filepath.Join(dir, "switchboard.db")
	}
	if f.opts.Secret == "" {
		f.opts.Secret = "loadtest-" + randomHex(16)
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	args := []string{"--listen", addr, "--database-url", f.opts.DatabaseURL, "--webhook-secret", f.opts.Secret,
		"--secret-key", base64.StdEncoding.EncodeToString(key), "--allow-private-endpoints", "--log-level", "warn",
		"--retry-schedule", f.retrySchedule}
	if f.workers > 0 {
		args = append(args, "--delivery-workers", fmt.Sprint(f.workers))
	}
	if f.deliveryTimeout != "" {
		args = append(args, "--delivery-timeout", f.deliveryTimeout)
	}
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
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
