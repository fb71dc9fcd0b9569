package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/testdb"
)

// endpointSaveCases are endpoints saved through the API: URL templates are
// validated (routing.URLTemplates, wired into the tenants editor: syntax,
// and each placeholder against Boooply's samples) and
// the method is one of POST, PUT, PATCH.
var endpointSaveCases = []struct {
	name       string
	body       string
	wantStatus int
	wantField  string // the 422's details[0].field
	wantReason string
}{
	{name: "template in path and query", body: `{"url":"http://127.0.0.1:9/v1/candidates/{{correlation.candidate_id}}/notes?m={{data.meetingCode}}","method":"PUT"}`,
		wantStatus: 201},
	{name: "placeholder in the host", body: `{"url":"http://{{correlation.host}}/notes"}`, wantStatus: 422, wantField: "url",
		wantReason: "placeholder"},
	{name: "placeholder glued to the host", body: `{"url":"http://127.0.0.1:9{{correlation.x}}"}`, wantStatus: 422, wantField: "url",
		wantReason: "after the host"},
	{name: "unclosed placeholder", body: `{"url":"http://127.0.0.1:9/v1/{{correlation.x"}`, wantStatus: 422, wantField: "url",
		wantReason: "unclosed"},
	{name: "empty placeholder", body: `{"url":"http://127.0.0.1:9/v1/{{ }}/x"}`, wantStatus: 422, wantField: "url", wantReason: "placeholder"},
	{name: "placeholder no event fills", body: `{"url":"http://127.0.0.1:9/v1/{{meetingCode}}"}`, wantStatus: 422, wantField: "url",
		wantReason: "{{meetingCode}} is not a field of Boooply events; did you mean {{data.meetingCode}}?"},
	{name: "method GET refused", body: `{"url":"http://127.0.0.1:9/v1/x","method":"GET"}`, wantStatus: 422, wantField: "method"},
}

// TestEndpointSaveValidation saves endpoints through the real server's API on
// each database: valid templates and methods are stored, invalid ones are a
// 422 naming the field, on create and on update.
func TestEndpointSaveValidation(t *testing.T) {
	for _, target := range testdb.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			base, _ := startServer(t, target.URL)
			token := adminBearer(t, target.URL, base)
			tn := apiCall(t, token, "POST", base+"/api/v1/tenants", `{"name":"Tpl","source_id":"org_tpl"}`, 201)
			eps := fmt.Sprintf("%s/api/v1/tenants/%v/endpoints", base, tn["id"])
			for _, tc := range endpointSaveCases {
				t.Run(tc.name, func(t *testing.T) {
					got := apiCall(t, token, "POST", eps, tc.body, tc.wantStatus)
					if tc.wantStatus == 201 {
						if got["method"] != "PUT" || !strings.Contains(fmt.Sprint(got["url"]), "{{correlation.candidate_id}}") {
							t.Fatalf("saved endpoint = %v, want the template kept and method PUT", got)
						}
						return
					}
					checkInvalid(t, got, tc.wantField, tc.wantReason)
					// The same value on update of a valid endpoint is refused the same way.
					ok := apiCall(t, token, "POST", eps, `{"url":"http://127.0.0.1:9/ok"}`, 201)
					if ok["method"] != "POST" {
						t.Fatalf("default method = %v, want POST", ok["method"])
					}
					upd := apiCall(t, token, "PATCH", fmt.Sprintf("%s/%v", eps, ok["id"]), tc.body, 422)
					checkInvalid(t, upd, tc.wantField, tc.wantReason)
				})
			}
		})
	}
}

func checkInvalid(t *testing.T, got map[string]any, field, reason string) {
	t.Helper()
	details, _ := got["details"].([]any)
	if len(details) == 0 {
		t.Fatalf("422 without details: %v", got)
	}
	d, _ := details[0].(map[string]any)
	if d["field"] != field || !strings.Contains(fmt.Sprint(d["reason"]), reason) {
		t.Fatalf("details[0] = %v, want field %q with a reason mentioning %q", d, field, reason)
	}
}
