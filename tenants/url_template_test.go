package tenants

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/egress"
)

// TestTemplatedURLs: the SSRF guard judges a template URL with its
// placeholders replaced, and the template checker runs first.
func TestTemplatedURLs(t *testing.T) {
	refuse := URLTemplateFunc(func(raw string) error {
		if strings.Contains(raw, "bad") {
			return errors.New("bad placeholder")
		}
		return nil
	})
	cases := []struct {
		name, url string
		wantErr   string
	}{
		{name: "public IP with placeholders", url: "https://93.184.215.14/v1/{{correlation.x}}/n?q={{data.y}}"},
		{name: "loopback with placeholders", url: "http://127.0.0.1/v1/{{correlation.x}}", wantErr: "loopback"},
		{name: "template refused before dialing", url: "https://93.184.215.14/{{bad}}", wantErr: "bad placeholder"},
		{name: "no placeholders", url: "http://10.0.0.1/x", wantErr: "private"},
	}
	check := templatedURLs{urls: &egress.Guard{}, templates: refuse}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := check.CheckURL(context.Background(), tc.url)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("CheckURL(%q) = %v, want %q", tc.url, err, tc.wantErr)
			}
		})
	}
}
