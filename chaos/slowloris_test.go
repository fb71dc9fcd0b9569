package chaos

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// serverReadTimeout is Fiber's ReadTimeout in serve.go (newApp): the
// longest a client may take to send one request, headers and body.
const serverReadTimeout = 10 * time.Second

// TestSlowloris dribbles request bodies one byte at a time on 200
// connections: the server keeps serving others, and cuts every slow
// request within its read timeout.
func TestSlowloris(t *testing.T) {
	longRun(t)
	srv := startServer(t, "sqlite:"+t.TempDir()+"/switchboard.db")
	const conns = 200
	cut := make(chan time.Duration, conns)
	start := time.Now()
	for range conns {
		go func() { cut <- dribble(srv.addr, start) }()
	}
	// While they dribble, health checks and real events are still served.
	var worst time.Duration
	for i := range 20 {
		t0 := time.Now()
		if code := status(srv.base() + "/healthz"); code != http.StatusOK {
			t.Fatalf("healthz = %d during slowloris", code)
		}
		body := eventBody(fmt.Sprintf("chaos-00000000-%d", i+1), "org_slow_none")
		if code := postSigned(t, srv.base(), body); code != http.StatusOK {
			t.Errorf("ingest = %d during slowloris", code)
		}
		worst = max(worst, time.Since(t0))
		time.Sleep(100 * time.Millisecond)
	}
	var longest time.Duration
	for range conns {
		longest = max(longest, <-cut)
	}
	if longest > serverReadTimeout+5*time.Second {
		t.Errorf("a slow request was held %s, want at most the read timeout (%s)", longest, serverReadTimeout)
	}
	if worst > time.Second {
		t.Errorf("a health check plus an ingest took %s during slowloris", worst)
	}
	noPanics(t, srv.logs())
	report(t, map[string]any{"connections": conns, "longest_hold_s": longest.Seconds(),
		"read_timeout_s": serverReadTimeout.Seconds(), "worst_other_request_ms": ms(worst), "rss_kb": srv.rssKB()})
}

// dribble sends headers, then one body byte every 500 ms, until the server
// answers or closes; it returns how long after start that was (capped).
func dribble(addr string, start time.Time) time.Duration {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return time.Since(start)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * serverReadTimeout))
	fmt.Fprintf(conn, "POST /webhooks/boooply HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
	closed := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, conn); close(closed) }()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-closed:
			return time.Since(start)
		case <-tick.C:
			if _, err := conn.Write([]byte("{")); err != nil {
				<-closed
				return time.Since(start)
			}
		}
	}
}
