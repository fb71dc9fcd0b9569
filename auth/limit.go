package auth

import (
	"strconv"

	"github.com/switchboard-gw/switchboard/problem"
)

// ParseLimit reads the ?limit= of a JSON list (deliveries, audit, tenants,
// unrouted events), so every list answers a bad page size the same way:
// "" is 0 (the list's default); anything but a whole number from 1 to max,
// 0 included, is a problem.Invalid.
func ParseLimit(v string, max int) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, problem.Invalid("limit", "must be between 1 and "+strconv.Itoa(max))
	}
	return n, nil
}
