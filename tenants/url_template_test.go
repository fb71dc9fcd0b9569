package tenants

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/egress"
	"github.com/switchboard-gw/switchboard/testdb"
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

// TestHandEnableClearsAutomaticReason: choosing enabled by hand replaces an
// automatic disable, so the health probe never overrides the admin.
func TestHandEnableClearsAutomaticReason(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		ed := newTestEditor(t, db.Gorm)
		tn := mustCreateTenant(t, ed, "Probe", "org_probe", StatusActive, EndpointInput{URL: ptr("https://a.example/"), ProbeURL: ptr("https://a.example/health")})
		eps, err := ed.ListEndpoints(ctx, tn.ID)
		if err != nil || len(eps) != 1 || eps[0].ProbeURL != "https://a.example/health" {
			t.Fatalf("endpoints = %+v (err %v), want one with its probe URL", eps, err)
		}
		if err := db.Gorm.Exec("UPDATE endpoints SET enabled = ?, disabled_reason = 'endpoint answered 410', disabled_at = ? WHERE id = ?", false, time.Now().UTC(), eps[0].ID).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := ed.UpdateEndpoint(ctx, tn.ID, eps[0].ID, EndpointInput{Enabled: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		var reason string
		if err := db.Gorm.Raw("SELECT disabled_reason FROM endpoints WHERE id = ?", eps[0].ID).Scan(&reason).Error; err != nil || reason != "" {
			t.Fatalf("disabled_reason = %q (err %v), want it cleared by the hand choice", reason, err)
		}
	})
}
