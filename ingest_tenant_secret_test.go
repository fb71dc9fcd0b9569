package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/testdb"
)

// TestTenantInboundSecretAppliesAtOnce: a tenant's own inbound secret set
// through the admin API verifies the very next webhook on this replica, and
// the static secret stops verifying that tenant's sourceId, without waiting
// for the periodic reload (an hour here).
func TestTenantInboundSecretAppliesAtOnce(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			base, _ := startServer(t, target.URL, "--sources-reload", "1h")
			token := adminBearer(t, target.URL, base)
			created := apiCall(t, token, "POST", base+"/api/v1/tenants", `{"name":"Own Secret Co","source_id":"org_own_secret"}`, 201)
			tenant := fmt.Sprintf("%s/api/v1/tenants/%d", base, int64(created["id"].(float64)))
			apiCall(t, token, "PATCH", tenant, `{"inbound_secret":"whsec_tenant_own_secret"}`, 200)

			body := sampleFor(t, "org_own_secret", "Boooply-own-secret-1")
			status, ans := postRaw(t, base+"/webhooks/boooply", body, map[string]string{"X-Boooply-Signature": signWith("whsec_tenant_own_secret", body)})
			if status != 200 || !strings.Contains(ans, "accepted") {
				t.Fatalf("signed with the tenant's new secret: %d %s, want 200 accepted", status, ans)
			}
			body = sampleFor(t, "org_own_secret", "Boooply-own-secret-2")
			if status, ans := postRaw(t, base+"/webhooks/boooply", body, map[string]string{"X-Boooply-Signature": hmacHex(body)}); status != 401 {
				t.Fatalf("signed with the static secret for a tenant with its own: %d %s, want 401", status, ans)
			}
		})
	}
}
