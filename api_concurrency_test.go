package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
)

// TestMappingConcurrentSaves: saves of one endpoint's mapping sent at the
// same moment each become their own version (201, distinct numbers, none
// lost), on SQLite and PostgreSQL. A save replaces the mapping whole and
// depends on no earlier version, so there is nothing for a client to
// reconcile: a 409 here would only make scripts retry.
func TestMappingConcurrentSaves(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		a := newTestAPIOn(t, db)
		_, tokens, f := roleSetup(t, a)
		base := apiServer(t, a)
		const n = 8
		path := f.expand("/api/v1/tenants/{T}/endpoints/{E}/mapping")
		var wg sync.WaitGroup
		statuses, numbers := make([]int, n), make([]int, n)
		for i := range n {
			wg.Go(func() {
				body := fmt.Sprintf(`{"mapping":{"mode":"rules","rules":[{"target":"n","value":%d}]},"comment":"save %d"}`, i, i)
				res, out := httpCall(t, base, "PUT", path, body, tokens["admin"])
				statuses[i] = res.StatusCode
				var v struct{ Number int }
				_ = json.Unmarshal(out, &v)
				numbers[i] = v.Number
			})
		}
		wg.Wait()
		for i, s := range statuses {
			if s != 201 {
				t.Errorf("save %d = %d, want 201", i, s)
			}
		}
		slices.Sort(numbers)
		for i, got := range numbers {
			if got != i+1 {
				t.Fatalf("version numbers = %v, want 1..%d each once", numbers, n)
			}
		}
		_, out := httpCall(t, base, "GET", path+"/versions", "", tokens["admin"])
		var vs struct{ Versions []struct{ Number int } }
		if err := json.Unmarshal(out, &vs); err != nil || len(vs.Versions) != n {
			t.Fatalf("versions = %s (%v), want %d", out, err, n)
		}
	})
}

// pagedLists are the lists that page with a keyset cursor.
var pagedLists = []string{"/tenants", "/deliveries", "/audit"}

// TestListsPageAlike: every paged list takes after= and limit= and answers
// {"items","next"}, next being "" on the last page; following next one row
// at a time visits every row once, on SQLite and PostgreSQL. openapi.json
// documents the same for each.
func TestListsPageAlike(t *testing.T) {
	documentedPaging(t)
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		a := newTestAPIOn(t, db)
		_, tokens, f := roleSetup(t, a)
		base := apiServer(t, a)
		roleCreate(t, a, tokens["admin"], "/api/v1/tenants", `{"name":"Third","source_id":"org_third"}`, "", nil)
		for range 2 {
			if res, out := httpCall(t, base, "POST", "/api/v1/deliveries/test", f.expand(`{"tenant_id":{T},"endpoint_id":{E}}`), tokens["admin"]); res.StatusCode != 202 {
				t.Fatalf("test send = %d %s", res.StatusCode, out)
			}
		}
		for _, list := range pagedLists {
			all := pageIDs(t, base, "/api/v1"+list+"?limit=500", tokens["admin"])
			if len(all) < 3 {
				t.Fatalf("%s has %d rows, want 3 or more to page", list, len(all))
			}
			var paged []int64
			after := ""
			for range len(all) + 1 {
				res, out := httpCall(t, base, "GET", "/api/v1"+list+"?limit=1&after="+after, "", tokens["admin"])
				var page struct {
					Items []struct{ ID int64 } `json:"items"`
					Next  *string              `json:"next"`
				}
				if err := json.Unmarshal(out, &page); err != nil || res.StatusCode != 200 || page.Next == nil {
					t.Fatalf("GET %s?limit=1&after=%s = %d %s, want items and a next string", list, after, res.StatusCode, out)
				}
				for _, it := range page.Items {
					paged = append(paged, it.ID)
				}
				if after = *page.Next; after == "" {
					break
				}
			}
			if !slices.Equal(paged, all) {
				t.Errorf("%s paged one at a time = %v, want %v", list, paged, all)
			}
		}
	})
}

func pageIDs(t *testing.T, base, path, token string) []int64 {
	t.Helper()
	res, out := httpCall(t, base, "GET", path, "", token)
	var page struct{ Items []struct{ ID int64 } }
	if err := json.Unmarshal(out, &page); err != nil || res.StatusCode != 200 {
		t.Fatalf("GET %s = %d %s", path, res.StatusCode, out)
	}
	ids := make([]int64, len(page.Items))
	for i, it := range page.Items {
		ids[i] = it.ID
	}
	return ids
}

// documentedPaging checks openapi.json gives each paged list the after and
// shared limit parameters and a required next string in its answer.
func documentedPaging(t *testing.T) {
	t.Helper()
	sc, err := newSchemaChecker(openAPIDoc)
	if err != nil {
		t.Fatal(err)
	}
	for _, list := range pagedLists {
		op := sc.doc["paths"].(map[string]any)[list].(map[string]any)["get"].(map[string]any)
		var names []string
		for _, p := range asSlice(op["parameters"]) {
			pm := p.(map[string]any)
			if ref, ok := pm["$ref"].(string); ok {
				names = append(names, ref)
				continue
			}
			names = append(names, pm["name"].(string))
		}
		if !slices.Contains(names, "after") || !slices.Contains(names, "#/components/parameters/limit") {
			t.Errorf("openapi.json: GET %s parameters %v, want after and the shared limit", list, names)
		}
		res, _ := sc.responseSchema("GET "+list, 200)
		next, _ := res["properties"].(map[string]any)["next"].(map[string]any)
		if next["type"] != "string" || !slices.Contains(asSlice(res["required"]), any("next")) {
			t.Errorf("openapi.json: GET %s answer's next = %v (required %v), want a required string", list, next, res["required"])
		}
	}
}

// TestSourceSecretConcurrentRotations: secrets added to one source at the
// same moment each get their own number (201 each, none a 500 on the
// (source_id, number) key), on SQLite and PostgreSQL.
func TestSourceSecretConcurrentRotations(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		a := newTestAPIOn(t, db)
		_, tokens, f := roleSetup(t, a)
		base := apiServer(t, a)
		const n = 6
		path := f.expand("/api/v1/sources/{S}/secrets")
		var wg sync.WaitGroup
		statuses := make([]int, n)
		for i := range n {
			wg.Go(func() {
				res, _ := httpCall(t, base, "POST", path, `{"overlap_seconds":60}`, tokens["admin"])
				statuses[i] = res.StatusCode
			})
		}
		wg.Wait()
		for i, s := range statuses {
			if s != 201 {
				t.Errorf("rotation %d = %d, want 201", i, s)
			}
		}
		_, out := httpCall(t, base, "GET", f.expand("/api/v1/sources/{S}"), "", tokens["admin"])
		var src struct{ Secrets []struct{ Number int } }
		if err := json.Unmarshal(out, &src); err != nil {
			t.Fatal(err)
		}
		var numbers []int
		for _, s := range src.Secrets {
			numbers = append(numbers, s.Number)
		}
		if want := []int{1, 2, 3, 4, 5, 6, 7}; !slices.Equal(numbers, want) {
			t.Fatalf("secret numbers = %v, want %v (the first plus one per rotation)", numbers, want)
		}
	})
}

// TestConcurrentPatchesKeepEachField: PATCHes of one endpoint (and one
// tenant) sent at the same moment, each changing a different field, all
// land: none writes back the others' fields as it read them, on SQLite and
// PostgreSQL.
func TestConcurrentPatchesKeepEachField(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *database.DB) {
		a := newTestAPIOn(t, db)
		_, tokens, f := roleSetup(t, a)
		base := apiServer(t, a)
		_, out := httpCall(t, base, "POST", "/api/v1/users", `{"email":"patched@example.com","role":"viewer"}`, tokens["admin"])
		var viewer struct{ User struct{ ID int64 } }
		if err := json.Unmarshal(out, &viewer); err != nil || viewer.User.ID == 0 {
			t.Fatalf("create user: %s (%v)", out, err)
		}
		for _, tc := range []struct {
			path    string
			patches []string
			want    map[string]any
		}{
			{"/api/v1/tenants/{T}/endpoints/{E}",
				[]string{`{"description":"d"}`, `{"timeout_ms":1234}`, `{"max_attempts":7}`, `{"method":"PUT"}`, `{"max_concurrency":3}`, `{"ordered":true}`},
				map[string]any{"description": "d", "timeout_ms": 1234.0, "max_attempts": 7.0, "method": "PUT", "max_concurrency": 3.0, "ordered": true}},
			{"/api/v1/tenants/{T}", []string{`{"name":"Renamed"}`, `{"notes":"n"}`, `{"status":"paused"}`},
				map[string]any{"name": "Renamed", "notes": "n", "status": "paused"}},
			{"/api/v1/sources/{S}", []string{`{"name":"renamed"}`, `{"platform":"p9"}`, `{"enabled":false}`},
				map[string]any{"name": "renamed", "platform": "p9", "enabled": false}},
			{"/api/v1/users/{U}", []string{`{"name":"Viewer Name"}`, `{"role":"support"}`, `{"tenant_ids":[{T}]}`},
				map[string]any{"name": "Viewer Name", "role": "support"}},
		} {
			path := strings.ReplaceAll(f.expand(tc.path), "{U}", fmt.Sprint(viewer.User.ID))
			var wg sync.WaitGroup
			for _, body := range tc.patches {
				body := f.expand(body)
				wg.Go(func() {
					if res, out := httpCall(t, base, "PATCH", path, body, tokens["admin"]); res.StatusCode != 200 {
						t.Errorf("PATCH %s %s = %d %s", path, body, res.StatusCode, out)
					}
				})
			}
			wg.Wait()
			_, out := httpCall(t, base, "GET", path, "", tokens["admin"])
			var got map[string]any
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			if ids := got["tenant_ids"]; strings.Contains(tc.path, "users") && fmt.Sprint(ids) != fmt.Sprintf("[%d]", f.tenant) {
				t.Errorf("%s after concurrent PATCHes: tenant_ids = %v, want [%d]", path, ids, f.tenant)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s after concurrent PATCHes: %s = %v, want %v (a PATCH wrote back what it had read)", path, k, got[k], v)
				}
			}
		}
	})
}
