package main

import (
	"net/http"
	"testing"

	"github.com/switchboard-gw/switchboard/testdb"
)

// TestPprofOnlyWhenAsked: the profiler answers on its own listener when
// --pprof-listen is set, and never on the public port.
func TestPprofOnlyWhenAsked(t *testing.T) {
	addr, err := freeLoopbackAddr()
	if err != nil {
		t.Fatal(err)
	}
	base, _ := startServer(t, testdb.Targets(t)[0].URL, "--pprof-listen", addr)
	for _, tc := range []struct {
		name, url string
		want      int
	}{
		{"pprof listener", "http://" + addr + "/debug/pprof/", http.StatusOK},
		{"public port", base + "/debug/pprof/", http.StatusNotFound},
	} {
		resp, err := http.Get(tc.url)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: got %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
	}
}
