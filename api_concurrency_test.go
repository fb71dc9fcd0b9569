package main

import (
	"encoding/json"
	"fmt"
	"slices"
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
