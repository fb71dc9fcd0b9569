package webhooks

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/views"
)

// datetimeLocal is the layout of <input type="datetime-local">; the page reads it as UTC.
const datetimeLocal = "2006-01-02T15:04"

// deliveryPageFilter reads the list's filters from the URL. A value that
// doesn't parse is dropped with a message, so a mistyped link still opens.
func deliveryPageFilter(c *fiber.Ctx) (DeliveryFilter, views.DeliveryFilter, []views.Flash) {
	v := views.DeliveryFilter{Tenant: c.Query("tenant"), Endpoint: c.Query("endpoint"), EventType: c.Query("event"),
		Status: c.Query("status"), MeetingCode: strings.TrimSpace(c.Query("meeting_code")),
		Candidate: strings.TrimSpace(c.Query("candidate")), From: c.Query("from"), To: c.Query("to")}
	f := DeliveryFilter{Scope: auth.Scope(c), EventType: v.EventType, MeetingCode: v.MeetingCode, Candidate: v.Candidate, Limit: 50}
	var bad []views.Flash
	complain := func(what string) {
		bad = append(bad, views.Flash{Kind: views.FlashError, Text: what + " was ignored: it is not valid."})
	}
	after := c.Query("after")
	ints := []struct {
		name string
		raw  *string
		dst  *int64
	}{{"Tenant", &v.Tenant, &f.TenantID}, {"Endpoint", &v.Endpoint, &f.EndpointID}, {"Page cursor", &after, &f.After}}
	for _, p := range ints {
		if *p.raw == "" {
			continue
		}
		n, err := strconv.ParseInt(*p.raw, 10, 64)
		if err != nil || n <= 0 {
			complain(p.name)
			*p.raw = ""
			continue
		}
		*p.dst = n
	}
	times := []struct {
		name string
		raw  *string
		dst  *time.Time
	}{{"From", &v.From, &f.Since}, {"To", &v.To, &f.Until}}
	for _, p := range times {
		if *p.raw == "" {
			continue
		}
		t, err := time.Parse(datetimeLocal, *p.raw)
		if err != nil {
			complain(p.name)
			*p.raw = ""
			continue
		}
		*p.dst = t
	}
	if s := DeliveryStatus(v.Status); s == "" || s.Valid() {
		f.Status = s
	} else {
		complain("Status")
		v.Status = ""
	}
	return f, v, bad
}

func (p *Pages) handleDeliveries(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermRead); err != nil {
		return err
	}
	f, vf, bad := deliveryPageFilter(c)
	choices, err := p.resolveTenantText(c, &f, &vf)
	if err != nil {
		return err
	}
	if err := p.dropUnseenTargets(c.UserContext(), &f, &vf, &bad); err != nil {
		return err
	}
	var rows []DeliveryRow
	var next int64
	if choices == nil { // text naming no single tenant lists tenants, not deliveries
		if rows, next, err = p.store.ListDeliveryRows(c.UserContext(), f); err != nil {
			return err
		}
	}
	props, err := p.deliveryListProps(c, f, vf, rows)
	if err != nil {
		return err
	}
	props.TenantChoices = choices
	props.Meta.Flashes = append(props.Meta.Flashes, bad...)
	props.Pager = listPager(c, "/admin/deliveries", "delivery-table", len(rows), f.After, next)
	if c.Get("HX-Request") == "true" && c.Context().QueryArgs().Has(tenantTextParam) {
		// The form sent the text and maybe a stale id: the bar shows the list as a link names it.
		c.Set("HX-Push-Url", canonicalListURL(vf))
	}
	return RenderPage(c, fiber.StatusOK, views.DeliveriesPage(props))
}

// deliveryListProps builds the page around rows: the pickers (the chosen
// tenant's endpoints only), the actions on what the filters select, and
// the rows with their tenants named.
func (p *Pages) deliveryListProps(c *fiber.Ctx, f DeliveryFilter, vf views.DeliveryFilter, rows []DeliveryRow) (views.DeliveryList, error) {
	ctx := c.UserContext()
	names, err := p.tenantNames(ctx, rowTenantIDs(rows, f.TenantID))
	if err != nil {
		return views.DeliveryList{}, err
	}
	picker, err := p.tenantPicker(ctx, f, vf, names)
	if err != nil {
		return views.DeliveryList{}, err
	}
	endpoints, err := p.endpointOptions(ctx, f.Scope, f.TenantID, f.EndpointID)
	if err != nil {
		return views.DeliveryList{}, err
	}
	types, err := p.eventTypeOptions(ctx)
	if err != nil {
		return views.DeliveryList{}, err
	}
	canRetry := auth.Can(c, auth.PermRetry)
	props := views.DeliveryList{Meta: p.pageMeta(c, "Deliveries", views.NavDeliveries), ListURL: "/admin/deliveries", Filter: vf,
		Tenant: picker, Endpoints: endpoints, EventTypes: types, CanRetry: canRetry,
		Statuses: statusOptions(), ExportURL: withQuery("/admin/deliveries.csv", filterQuery(vf))}
	if f.TenantID == 0 {
		props.EndpointHint = "Choose a tenant to pick one of its endpoints."
	}
	if vf.MeetingCode != "" || vf.Candidate != "" {
		q := url.Values{}
		for k, v := range map[string]string{"meeting_code": vf.MeetingCode, "candidate": vf.Candidate} {
			if v != "" {
				q.Set(k, v)
			}
		}
		props.EventsURL = withQuery("/admin/events", q)
	}
	if canRetry && (f.TenantID > 0 || f.EndpointID > 0) && (f.Status == "" || f.Status == DeliveryFailed) && (len(rows) > 0 || f.After > 0) {
		// Like the API's bulk retry, only for a named tenant or endpoint: one
		// click must not restart every tenant's failures.
		props.BulkRetryURL = withQuery("/admin/deliveries/bulk-retry", filterQuery(vf))
	}
	for _, r := range rows {
		props.Rows = append(props.Rows, deliveryRowProps(r, names, canRetry, c.OriginalURL()))
	}
	return props, nil
}

// filterQuery is the list's filters as a query, as the form would send
// them: only those that were kept.
func filterQuery(v views.DeliveryFilter) url.Values {
	q := url.Values{}
	for k, val := range map[string]string{"tenant": v.Tenant, "endpoint": v.Endpoint, "event": v.EventType, "status": v.Status,
		"meeting_code": v.MeetingCode, "candidate": v.Candidate, "from": v.From, "to": v.To} {
		if val != "" {
			q.Set(k, val)
		}
	}
	return q
}

// statusOptions is the status picker: every state a delivery can be in.
func statusOptions() []views.Option {
	out := make([]views.Option, len(deliveryStatuses))
	for i, s := range deliveryStatuses {
		out[i] = views.Option{Value: string(s), Label: strings.ToUpper(string(s[:1])) + string(s[1:])}
	}
	return out
}

// deliveryRowProps is one row of the list at back (path and query), where a
// retry from the row returns.
func deliveryRowProps(r DeliveryRow, names map[int64]string, canRetry bool, back string) views.DeliveryRow {
	id := strconv.FormatInt(r.ID, 10)
	row := views.DeliveryRow{URL: "/admin/deliveries/" + id, ID: id, Time: formatTime(r.CreatedAt),
		Tenant: tenantLabel(names, r.TenantID), Endpoint: r.EndpointURL, EventType: r.EventType, MeetingCode: r.MeetingCode,
		Candidate: r.Candidate, Erased: r.ErasedAt != nil, Status: string(r.Status), Attempts: r.Attempts, LastResult: lastResult(r.Delivery)}
	if canRetry && r.Status == DeliveryFailed {
		row.RetryURL = row.URL + "/retry?back=" + url.QueryEscape(back)
	}
	return row
}

func lastResult(d Delivery) string {
	var parts []string
	if d.LastStatusCode != nil {
		parts = append(parts, "HTTP "+strconv.Itoa(*d.LastStatusCode))
	}
	if d.LastError != "" && (d.LastStatusCode == nil || d.Status != DeliveryDelivered) {
		parts = append(parts, d.LastError)
	}
	return strings.Join(parts, " · ")
}

// listPager links the first page (when not on it) and the next one, keeping every filter.
func listPager(c *fiber.Ctx, path, target string, shown int, after, next int64) views.Pager {
	q := url.Values{}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) { q.Add(string(k), string(v)) })
	q.Del("after")
	q.Del("notice")
	q.Del("done") // a confirmation belongs to the page the action returned to
	pg := views.Pager{Target: target, Summary: strconv.Itoa(shown) + " shown"}
	if after > 0 {
		pg.FirstURL = withQuery(path, q)
	}
	if next > 0 {
		q.Set("after", strconv.FormatInt(next, 10))
		pg.NextURL = withQuery(path, q)
	}
	return pg
}

// dropUnseenTargets drops a tenant or endpoint filter that names nothing
// the caller can see (deleted, mistyped, or outside a scoped user's
// tenants, which it must not tell apart), with the same message as a filter
// that doesn't parse. Kept, it would empty the list while the pickers,
// which list only what the caller sees, showed "All tenants".
func (p *Pages) dropUnseenTargets(ctx context.Context, f *DeliveryFilter, v *views.DeliveryFilter, bad *[]views.Flash) error {
	ignored := func(what string) {
		*bad = append(*bad, views.Flash{Kind: views.FlashError, Text: what + " was ignored: it is not valid."})
	}
	if f.TenantID > 0 {
		var n int64
		if err := scoped(p.store.db.WithContext(ctx).Table("tenants").Where("id = ?", f.TenantID), "id", f.Scope).Count(&n).Error; err != nil {
			return fmt.Errorf("check tenant filter: %w", err)
		}
		if n == 0 {
			ignored("Tenant")
			f.TenantID, v.Tenant = 0, ""
		}
	}
	if f.EndpointID > 0 {
		q := p.store.db.WithContext(ctx).Table("endpoints").Where("id = ?", f.EndpointID)
		if f.TenantID > 0 {
			q = q.Where("tenant_id = ?", f.TenantID)
		}
		var n int64
		if err := scoped(q, "tenant_id", f.Scope).Count(&n).Error; err != nil {
			return fmt.Errorf("check endpoint filter: %w", err)
		}
		if n == 0 {
			ignored("Endpoint")
			f.EndpointID, v.Endpoint = 0, ""
		}
	}
	return nil
}

// endpointOptions lists the endpoint picker's choices within scope: the
// chosen tenant's endpoints, else the chosen endpoint alone (a link from
// the dashboard names only it). Every tenant's endpoints would be
// thousands of options.
func (p *Pages) endpointOptions(ctx context.Context, scope []int64, tenantID, endpointID int64) ([]views.Option, error) {
	var rows []struct {
		ID     int64
		URL    string
		Tenant string
	}
	// Named by tenant too: many tenants' endpoints share their ATS's host.
	q := p.store.db.WithContext(ctx).Table("endpoints").Select("endpoints.id, endpoints.url, tenants.name AS tenant").
		Joins("JOIN tenants ON tenants.id = endpoints.tenant_id").Order("endpoints.url, endpoints.id").Limit(500)
	switch {
	case tenantID > 0:
		q = q.Where("endpoints.tenant_id = ?", tenantID)
	case endpointID > 0:
		q = q.Where("endpoints.id = ?", endpointID)
	default:
		return nil, nil
	}
	if err := scoped(q, "endpoints.tenant_id", scope).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("endpoint options: %w", err)
	}
	out := make([]views.Option, len(rows))
	for i, r := range rows {
		out[i] = views.Option{Value: strconv.FormatInt(r.ID, 10), Label: r.Tenant + " · #" + strconv.FormatInt(r.ID, 10) + " " + r.URL}
	}
	return out, nil
}

// handleBulkRetry retries every failed delivery the list's filters select
// (a tenant or an endpoint must be among them), audited like the API's bulk
// retry, and returns to the same list.
func (p *Pages) handleBulkRetry(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermRetry); err != nil {
		return err
	}
	f, _, bad := deliveryPageFilter(c)
	switch {
	case len(bad) > 0:
		return problem.Invalid("filter", bad[0].Text)
	case f.TenantID <= 0 && f.EndpointID <= 0:
		return problem.Invalid("tenant", "choose a tenant or an endpoint to retry its failed deliveries")
	}
	n, err := p.svc.BulkRetry(c.UserContext(), f)
	if err != nil {
		return err
	}
	tenant := f.TenantID
	if tenant == 0 {
		tenant = tenantOf(c.UserContext(), p.store.db, "endpoints", f.EndpointID)
	}
	if err := auditAction(c, "delivery.bulk_retry", tenant, "tenant", tenant, fiber.Map{"filter": c.Request().URI().QueryArgs().String(), "retried": n}); err != nil {
		return err
	}
	q := c.Request().URI().QueryArgs()
	q.Del("after")
	q.Set("status", string(DeliveryPending))
	q.Set("done", "bulk-retried")
	return c.Redirect("/admin/deliveries?"+string(q.QueryString()), fiber.StatusSeeOther)
}
