package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/static"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestStaticAssets: the real server serves the embedded assets at their
// content-hashed URLs with immutable caching, and 404s unknown names.
func TestStaticAssets(t *testing.T) {
	base, _ := startServer(t, testdb.Targets(t)[0].URL)
	cases := []struct {
		path, wantType, wantCache string
		wantStatus                int
	}{
		{static.URL("app.css"), "text/css", "immutable", 200},
		{static.URL("htmx.min.js"), "javascript", "immutable", 200},
		{"/static/app.js", "javascript", "no-cache", 200},
		{"/static/nope.js", "", "", 404},
	}
	for _, tc := range cases {
		resp, err := http.Get(base + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.wantStatus {
			t.Errorf("%s: status %d, want %d", tc.path, resp.StatusCode, tc.wantStatus)
			continue
		}
		if tc.wantStatus == 200 && (!strings.Contains(resp.Header.Get("Content-Type"), tc.wantType) ||
			!strings.Contains(resp.Header.Get("Cache-Control"), tc.wantCache) || len(body) == 0) {
			t.Errorf("%s: %q / %q / %d bytes", tc.path, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"), len(body))
		}
	}
}
