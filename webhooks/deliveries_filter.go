package webhooks

import (
	"strconv"
	"time"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/problem"
)

// ParseDeliveryFilter reads list filters from query parameters (the API's
// and the CLI's shared vocabulary): tenant_id, endpoint_id, event_type,
// status, meeting_code, candidate_name, since, until (RFC 3339), after (cursor), limit.
func ParseDeliveryFilter(get func(key string, def ...string) string) (DeliveryFilter, error) {
	var f DeliveryFilter
	ints := []struct {
		name string
		dst  *int64
	}{{"tenant_id", &f.TenantID}, {"endpoint_id", &f.EndpointID}, {"after", &f.After}}
	for _, p := range ints {
		if v := get(p.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return f, problem.Invalid(p.name, "must be a positive integer")
			}
			*p.dst = n
		}
	}
	var err error
	if f.Limit, err = auth.ParseLimit(get("limit"), maxDeliveryLimit); err != nil {
		return f, err
	}
	times := []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}}
	for _, p := range times {
		if v := get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, problem.Invalid(p.name, "must be an RFC 3339 time, e.g. 2026-11-26T08:00:00Z")
			}
			*p.dst = t
		}
	}
	f.EventType, f.MeetingCode, f.Candidate = get("event_type"), get("meeting_code"), get("candidate_name")
	if f.Status = DeliveryStatus(get("status")); f.Status != "" && !f.Status.Valid() {
		return f, problem.Invalid("status", "must be "+DeliveryStatusNames())
	}
	return f, nil
}
