package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/testdb"
)

// TestDemo runs `switchboard demo` briefly: it starts, prints where it
// listens, events reach both demo tenants' receiver (the flaky one after a
// retry), a not-onboarded sourceId is held as unrouted, and it stops
// cleanly when its context is cancelled.
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- cmdDemo(ctx, []string{"--listen", "127.0.0.1:0", "--dir", dir, "--interval", "20ms", "--retry-schedule", "20ms,20ms,20ms"}, out)
	}()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			cancel()
			<-done
		}
	})
	waitFor(t, "the demo to start", func() bool { return strings.Contains(out.String(), "Switchboard demo is running.") })
	if !strings.Contains(out.String(), "admin UI:   http://127.0.0.1:") {
		t.Fatalf("no admin URL printed:\n%s", out)
	}
	// The demo's admin exists before the server starts: no first-run link.
	if strings.Contains(out.String(), "setup?token=") {
		t.Errorf("the demo printed a setup link although it creates its admin:\n%s", out)
	}
	waitFor(t, "deliveries to both demo tenants and a simulated outage", func() bool {
		s := out.String()
		return strings.Contains(s, "/acme → 204") && strings.Contains(s, "/globex → 204") && strings.Contains(s, "/globex → 503")
	})

	demoSignInAndBrowse(t, out.String())
	db := testdb.Open(t, "sqlite:"+filepath.Join(dir, "demo.db"))
	waitFor(t, "a delivery that succeeded after a failed attempt", func() bool {
		return countRows(t, db, `SELECT COUNT(*) FROM deliveries d WHERE d.status = 'delivered'
			AND (SELECT COUNT(*) FROM attempts a WHERE a.delivery_id = d.id) >= 2`) >= 1
	})
	if n := countRows(t, db, "SELECT COUNT(*) FROM tenants"); n != 2 {
		t.Errorf("demo tenants = %d, want 2", n)
	}
	waitFor(t, "an unrouted event", func() bool {
		return countRows(t, db, "SELECT COUNT(*) FROM events WHERE tenant_id IS NULL AND source_id = ?", demoUnroutedSourceID) >= 1
	})
	if n := countRows(t, db, "SELECT COUNT(DISTINCT meeting_code) FROM events"); n < 4 {
		t.Errorf("distinct meetingCodes = %d, want fresh ones per replay (≥ 4)", n)
	}

	cancel()
	stopped = true
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("demo returned %v after cancel", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("demo did not stop after its context was cancelled")
	}
	db.Close()

	// A second run in the same folder starts fresh instead of failing on the existing tenants.
	ctx2, cancel2 := context.WithCancel(context.Background())
	out2 := &syncBuffer{}
	done2 := make(chan error, 1)
	go func() {
		done2 <- cmdDemo(ctx2, []string{"--listen", "127.0.0.1:0", "--dir", dir, "--interval", "1h"}, out2)
	}()
	waitFor(t, "the second demo to start", func() bool { return strings.Contains(out2.String(), "Switchboard demo is running.") })
	cancel2()
	if err := <-done2; err != nil {
		t.Fatalf("second run: %v\n%s", err, out2)
	}
}

var demoSignInRE = regexp.MustCompile(`admin UI:\s+(http://\S+)/admin\n\s+sign in:\s+(\S+) / (\S+) \(shown once\)`)

// demoSignInAndBrowse signs in with the credentials the demo printed and
// opens the dashboard and the deliveries page.
func demoSignInAndBrowse(t *testing.T, printed string) {
	t.Helper()
	m := demoSignInRE.FindStringSubmatch(printed)
	if m == nil {
		t.Fatalf("no admin credentials printed:\n%s", printed)
	}
	base, email, password := m[1], m[2], m[3]
	res, err := http.Post(base+"/api/v1/auth/token", "application/json", strings.NewReader(`{"email":"`+email+`","password":"`+password+`"}`))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("sign in with the printed credentials: %v %v", res, err)
	}
	var tok struct{ Token string }
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for path, want := range map[string]string{"/admin": "Dashboard", "/admin/deliveries": "interview."} {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET %s as the demo admin: %d, want 200 with %q", path, res.StatusCode, want)
		}
	}
}
