package chaos

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// ssrfURLs are endpoint URLs that must be refused without
// --allow-private-endpoints: every private, loopback, link-local, metadata
// and CGNAT range, and the spellings that hide them.
var ssrfURLs = []string{
	"http://127.0.0.1/hook", "http://127.0.0.2:8080/hook", "https://127.255.255.254/hook",
	"http://[::1]/hook", "http://[0:0:0:0:0:0:0:1]:9999/hook",
	"http://10.0.0.1/hook", "http://10.255.255.255/hook",
	"http://172.16.0.1/hook", "http://172.31.255.254/hook",
	"http://192.168.0.1/hook", "http://192.168.255.255/hook",
	"http://169.254.169.254/latest/meta-data/", "http://169.254.1.1/hook", "http://[fd00:ec2::254]/latest/meta-data/",
	"http://100.64.0.1/hook", "http://100.127.255.254/hook",
	"http://localhost/hook", "http://LOCALHOST:8080/hook", "http://localhost./hook", "http://api.localhost/hook",
	"http://2130706433/hook", "http://0x7f000001/hook", "http://0x7f.1/hook", "http://0177.0.0.1/hook",
	"http://017700000001/hook", "http://127.1/hook", "http://0xa9fea9fe/hook", "http://3232235521/hook",
	"http://[::ffff:127.0.0.1]/hook", "http://[::ffff:7f00:1]/hook", "http://[::ffff:169.254.169.254]/hook",
	"http://[0:0:0:0:0:ffff:a00:1]/hook", "http://[::127.0.0.1]/hook",
	"http://[64:ff9b::7f00:1]/hook", "http://[2002:7f00:1::]/hook", "http://[2002:a9fe:a9fe::]/hook",
	"http://0.0.0.0/hook", "http://0/hook", "http://[::]/hook", "http://[fe80::1]/hook", "http://[fc00::1]/hook",
	"http://224.0.0.1/hook", "http://255.255.255.255/hook",
	"file:///etc/passwd", "gopher://127.0.0.1:25/", "ftp://example.com/x",
	"http://user:pass@example.com/hook", "http://example.com@127.0.0.1/hook",
	"http://127.0.0.1%2f@example.com/hook", "http://[::1%25lo]/hook",
}

// TestSSRFEndpointMatrix creates a tenant through the CLI for each URL
// without --allow-private-endpoints: every one is refused and nothing is
// stored. A public literal address is the control that is accepted.
func TestSSRFEndpointMatrix(t *testing.T) {
	dbURL := "sqlite:" + t.TempDir() + "/switchboard.db"
	urls := ssrfURLs
	if name := loopbackHostsName(); name != "" {
		urls = append(urls, "http://"+name+"/hook", "http://"+name+".:8080/hook")
	} else {
		t.Log("no /etc/hosts name other than localhost points at loopback; that row is not run")
	}
	for i, u := range urls {
		out, err := cli(t, "tenants", "create", "--database-url", dbURL, "--name", "SSRF", "--source-id", "org_ssrf_"+itoa(i), "--endpoint", u)
		if err == nil {
			t.Errorf("%s: accepted (tenant %s), want refused", u, strings.TrimSpace(out))
		} else if !strings.Contains(out, "url") || strings.Contains(out, "panic") {
			t.Errorf("%s: refused for the wrong reason: %s", u, out)
		}
	}
	if out, err := cli(t, "tenants", "create", "--database-url", dbURL, "--name", "Public", "--source-id", "org_public",
		"--endpoint", "https://93.184.215.14/hook"); err != nil {
		t.Fatalf("control: a public address was refused: %v\n%s", err, out)
	}
	out, err := cli(t, "tenants", "list", "--database-url", dbURL)
	if err != nil || strings.Count(out, "org_") != 1 {
		t.Errorf("after the matrix, tenants list = %v\n%s\nwant only org_public", err, out)
	}
	report(t, map[string]any{"urls_refused": len(urls)})
}

// loopbackHostsName returns a name from /etc/hosts (other than localhost)
// that resolves to a loopback address, or "".
func loopbackHostsName() string {
	b, err := os.ReadFile("/etc/hosts")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(strings.SplitN(line, "#", 2)[0])
		if len(f) < 2 || !(strings.HasPrefix(f[0], "127.") || f[0] == "::1") {
			continue
		}
		for _, name := range f[1:] {
			if !strings.Contains(strings.ToLower(name), "localhost") {
				return name
			}
		}
	}
	return ""
}

// TestRedirectNotFollowed points an allowed loopback endpoint at a
// receiver that redirects (302 and 307) to another loopback port: the
// second receiver is never called and the delivery fails with the 3xx.
func TestRedirectNotFollowed(t *testing.T) {
	var targetHits atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		targetHits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer target.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := http.StatusFound
		if strings.HasSuffix(r.URL.Path, "/307") {
			code = http.StatusTemporaryRedirect
		}
		http.Redirect(w, r, target.URL+"/stolen", code)
	}))
	defer redirector.Close()
	dbURL := "sqlite:" + t.TempDir() + "/switchboard.db"
	mustCreateTenant(t, dbURL, "org_redirect", redirector.URL+"/302", redirector.URL+"/307")
	srv := startServer(t, dbURL)
	body := eventBody("chaos-00000000-1", "org_redirect")
	if code := postSigned(t, srv.base(), body); code != http.StatusOK {
		t.Fatalf("ingest = %d, want 200", code)
	}
	db := openRead(t, dbURL)
	if !waitUntil(30*time.Second, func() bool { return deliveryStatuses(t, db)["failed"] == 2 }) {
		t.Fatalf("deliveries = %v, want 2 failed", deliveryStatuses(t, db))
	}
	var agg sql.NullString
	if err := db.SQL.QueryRowContext(context.Background(),
		"SELECT GROUP_CONCAT(last_status_code) FROM deliveries").Scan(&agg); err != nil {
		t.Fatal(err)
	}
	if codes := agg.String; !strings.Contains(codes, "302") || !strings.Contains(codes, "307") {
		t.Errorf("last status codes = %q, want 302 and 307", codes)
	}
	if n := targetHits.Load(); n != 0 {
		t.Errorf("the redirect target was called %d times, want 0", n)
	}
}

// postSigned posts body with a valid signature and returns the status.
func postSigned(t testing.TB, base string, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/boooply", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Boooply-Signature", sign(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func itoa(i int) string { return strconv.Itoa(i) }
