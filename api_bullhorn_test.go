package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestAPIBullhornEndpoint: a bullhorn endpoint round-trips through the API
// with its secrets write-only (shown as set, in no answer or audit entry);
// a missing password, a URL outside the session and a new loginInfo URL
// without the secrets are 422s naming the field.
func TestAPIBullhornEndpoint(t *testing.T) {
	const clientSecret, password = "bh-cs-api-5150", "bh-pw-api-7731"
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		a := newTestAPIOn(t, db)
		_, tokens, f := roleSetup(t, a)
		admin := tokens["admin"]
		path := fmt.Sprintf("/api/v1/tenants/%d/endpoints", f.tenant)
		body := func(edit string) string {
			return `{"url":"{{bullhorn.rest_url}}entity/Note","method":"PUT","auth_type":"bullhorn","auth_secret":"` + clientSecret + `",` +
				`"oauth2_client_id":"bh-client","bullhorn_username":"api.user","bullhorn_password":"` + password + `",` +
				`"bullhorn_login_info_url":"http://127.0.0.1:9/rest-services/loginInfo"` + edit + `}`
		}
		for _, tc := range []struct{ name, body, field string }{
			{"no password", strings.Replace(body(""), `"bullhorn_password":"`+password+`",`, "", 1), "bullhorn_password"},
			{"absolute URL", body(`,"url":"https://rest.example/entity/Note"`), "url"},
			{"no user", body(`,"bullhorn_username":""`), "bullhorn_username"},
		} {
			code, out := roleCall(t, a, "POST", path, tc.body, admin)
			if code != 422 || !strings.Contains(out, `"field":"`+tc.field+`"`) {
				t.Errorf("%s: %d %s, want 422 naming %s", tc.name, code, out, tc.field)
			}
		}
		code, out := roleCall(t, a, "POST", path, body(`,"bullhorn_redirect_uri":"https://vendor.example/cb"`), admin)
		if code != 201 {
			t.Fatalf("create: %d %s", code, out)
		}
		var v struct {
			ID        int64
			AuthType  string             `json:"auth_type"`
			ClientID  string             `json:"oauth2_client_id"`
			User      string             `json:"bullhorn_username"`
			LoginInfo string             `json:"bullhorn_login_info_url"`
			Redirect  string             `json:"bullhorn_redirect_uri"`
			Password  struct{ Set bool } `json:"bullhorn_password"`
			Secret    struct{ Set bool } `json:"auth_secret"`
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatal(err)
		}
		if v.AuthType != "bullhorn" || v.ClientID != "bh-client" || v.User != "api.user" || v.LoginInfo != "http://127.0.0.1:9/rest-services/loginInfo" ||
			v.Redirect != "https://vendor.example/cb" || !v.Password.Set || !v.Secret.Set {
			t.Fatalf("created endpoint %s", out)
		}
		ep := fmt.Sprintf("%s/%d", path, v.ID)
		if code, out = roleCall(t, a, "GET", ep, "", admin); code != 200 || !strings.Contains(out, `"url":"{{bullhorn.rest_url}}entity/Note"`) {
			t.Fatalf("show: %d %s", code, out)
		}
		code, out = roleCall(t, a, "PATCH", ep, `{"bullhorn_login_info_url":"http://127.0.0.2:9/rest-services/loginInfo","auth_secret":"`+clientSecret+`"}`, admin)
		if code != 422 || !strings.Contains(out, `"field":"bullhorn_password"`) {
			t.Fatalf("new loginInfo URL without the password: %d %s, want 422 naming bullhorn_password", code, out)
		}
		if code, out = roleCall(t, a, "PATCH", ep, `{"bullhorn_username":"api.other","description":"notes"}`, admin); code != 200 ||
			!strings.Contains(out, `"bullhorn_username":"api.other"`) {
			t.Fatalf("update the user alone: %d %s", code, out)
		}
		_, audit := roleCall(t, a, "GET", "/api/v1/audit?limit=100", "", admin)
		if !strings.Contains(audit, "endpoint.create") {
			t.Fatalf("audit lacks the endpoint's creation: %s", audit)
		}
		for _, got := range []string{out, audit} {
			if strings.Contains(got, clientSecret) || strings.Contains(got, password) {
				t.Fatalf("a secret is shown: %s", got)
			}
		}
	})
}
