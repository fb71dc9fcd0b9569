package webhooks

import (
	"reflect"
	"testing"
)

// TestBusiestTenants: the dashboard's "By tenant" table keeps the tenants
// with the most events, then deliveries (ties by id), cut to n: it listed
// every active tenant, megabytes with thousands.
func TestBusiestTenants(t *testing.T) {
	by := map[int64]*Counts{
		1: {Received: 5, Delivered: 5},
		2: {Received: 9, Failed: 1},
		3: {Received: 5, Delivered: 4, Failed: 3},
		4: {Received: 5, Delivered: 5},
		5: {Received: 0, Pending: 2},
	}
	for _, tc := range []struct {
		name string
		n    int
		want []int64
	}{
		{name: "all, busiest first", n: 10, want: []int64{2, 3, 1, 4, 5}},
		{name: "cut", n: 2, want: []int64{2, 3}},
		{name: "ties by id", n: 4, want: []int64{2, 3, 1, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := busiestTenants(by, tc.n); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
