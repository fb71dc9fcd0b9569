package auth

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/views"
)

// auditActions are the action filter's choices (prefixes match a noun).
var auditActions = []string{"tenant.", "endpoint.", "mapping.", "source.", "user.", "token.", "delivery.", "auth."}

// localTime is the datetime-local form value.
const localTime = "2006-01-02T15:04"

// handleAuditPage shows the audit log with the filters kept in the URL and
// a CSV link for the same filter.
func (s *Service) handleAuditPage(c *fiber.Ctx) error {
	if _, err := Require(c, PermManageUsers); err != nil {
		return err
	}
	vf := views.AuditFilter{Actor: c.Query("actor"), Tenant: c.Query("tenant"), Action: c.Query("action"), From: c.Query("from"), To: c.Query("to")}
	f, q, err := auditPageFilter(vf)
	if err != nil {
		return err
	}
	f.Cursor, _ = strconv.ParseInt(c.Query("cursor"), 10, 64)
	f.Limit = 50
	items, next, err := s.store.ListAudit(c.UserContext(), f)
	if err != nil {
		return err
	}
	p := views.Audit{Meta: Meta(c, "Audit log", views.NavAudit), ListURL: "/admin/audit", CSVURL: "/api/v1/audit.csv?" + q.Encode(),
		Filter: vf, Pager: views.Pager{Target: "audit-table", Summary: fmt.Sprintf("%d shown", len(items))}}
	for _, a := range auditActions {
		p.Actions = append(p.Actions, views.Option{Value: a, Label: a + "*"})
	}
	for _, e := range items {
		p.Rows = append(p.Rows, auditRow(e))
	}
	page := url.Values{"actor": {vf.Actor}, "tenant": {vf.Tenant}, "action": {vf.Action}, "from": {vf.From}, "to": {vf.To}}
	if f.Cursor > 0 { // the last page links back to the first too
		p.Pager.FirstURL = "/admin/audit?" + page.Encode()
	}
	if next != 0 {
		page.Set("cursor", strconv.FormatInt(next, 10))
		p.Pager.NextURL = "/admin/audit?" + page.Encode()
	}
	if c.Get("HX-Request") == "true" {
		return Render(c, fiber.StatusOK, views.AuditTable(p))
	}
	return Render(c, fiber.StatusOK, views.AuditPage(p))
}

// auditPageFilter turns the form's values into a filter and the API query
// of the CSV link. Bad values are a 422 naming the field.
func auditPageFilter(vf views.AuditFilter) (AuditFilter, url.Values, error) {
	f := AuditFilter{Actor: vf.Actor, Action: vf.Action}
	q := url.Values{}
	if vf.Actor != "" {
		q.Set("actor", vf.Actor)
	}
	if vf.Action != "" {
		q.Set("action", vf.Action)
	}
	if vf.Tenant != "" {
		id, err := strconv.ParseInt(vf.Tenant, 10, 64)
		if err != nil || id <= 0 {
			return f, q, problem.Invalid("tenant", "must be a tenant id (a number)")
		}
		f.TenantID = id
		q.Set("tenant_id", vf.Tenant)
	}
	for _, t := range []struct {
		in, name, param string
		dst             *time.Time
	}{{vf.From, "from", "since", &f.Since}, {vf.To, "to", "until", &f.Until}} {
		if t.in == "" {
			continue
		}
		v, err := time.Parse(localTime, t.in)
		if err != nil {
			return f, q, problem.Invalid(t.name, "must be a date and time like 2026-11-26T08:00")
		}
		*t.dst = v.UTC()
		q.Set(t.param, v.UTC().Format(time.RFC3339))
	}
	return f, q, nil
}

// auditRow shows an entry; Changes compare the before and after objects
// field by field (already redacted when recorded).
func auditRow(e Entry) views.AuditRow {
	r := views.AuditRow{When: e.At.UTC().Format("2006-01-02 15:04:05 UTC"), Actor: e.Actor, Address: e.IP, Action: e.Action, Target: e.Target}
	if e.TenantID != nil {
		r.Tenant = "tenant " + strconv.FormatInt(*e.TenantID, 10)
	}
	before, after := objectOf(e.Before), objectOf(e.After)
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	for k := range keys {
		b, a := string(before[k]), string(after[k])
		if b != a && k != "updated_at" {
			r.Changes = append(r.Changes, views.Change{Field: k, Before: b, After: a})
		}
	}
	sort.Slice(r.Changes, func(i, j int) bool { return r.Changes[i].Field < r.Changes[j].Field })
	return r
}

func objectOf(s *string) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	if s != nil {
		_ = json.Unmarshal([]byte(*s), &out) // not an object: no field changes to show
	}
	return out
}
