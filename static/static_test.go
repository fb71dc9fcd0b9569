package static

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// htmxSHA256 is the hash recorded in README.md for the vendored htmx 2.0.11.
const htmxSHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"

func TestHTMXPinned(t *testing.T) {
	body, err := FS.ReadFile("htmx.min.js")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	if got := hex.EncodeToString(sum[:]); got != htmxSHA256 {
		t.Fatalf("htmx.min.js sha256 = %s, want %s (update README.md and this test together)", got, htmxSHA256)
	}
}

func TestURLsAreContentHashed(t *testing.T) {
	re := regexp.MustCompile(`^/static/app\.[0-9a-f]{10}\.css$`)
	if u := URL("app.css"); !re.MatchString(u) {
		t.Fatalf("URL(app.css) = %q, want /static/app.<10 hex>.css", u)
	}
	if URL("app.js") == URL("htmx.min.js") {
		t.Fatal("two files share a URL")
	}
	defer func() {
		if recover() == nil {
			t.Error("URL of a missing file did not panic")
		}
	}()
	URL("missing.js")
}

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	cases := []struct {
		name, path, wantType, wantCache string
		wantStatus                      int
	}{
		{"hashed css", URL("app.css"), "text/css", "immutable", 200},
		{"hashed js", URL("htmx.min.js"), "javascript", "immutable", 200},
		{"plain name revalidates", "/static/app.js", "javascript", "no-cache", 200},
		{"stale hash", "/static/app.0000000000.css", "", "", 404},
		{"outside prefix", "/app.css", "", "", 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if !strings.Contains(resp.Header.Get("Content-Type"), tc.wantType) || !strings.Contains(resp.Header.Get("Cache-Control"), tc.wantCache) {
				t.Errorf("got %q / %q, want %q / %q", resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"), tc.wantType, tc.wantCache)
			}
		})
	}
}
