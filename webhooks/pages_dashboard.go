package webhooks

import (
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/views"
)

// dashWindow is one of the dashboard's time windows.
type dashWindow struct {
	key, label string
	span       time.Duration
	buckets    int
	tick       string // chart label layout
}

var dashWindows = []dashWindow{
	{"24h", "Last 24 hours", 24 * time.Hour, 24, "15:04"},
	{"7d", "Last 7 days", 7 * 24 * time.Hour, 28, "Mon 15h"},
}

func (p *Pages) handleDashboard(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermRead); err != nil {
		return err
	}
	w := dashWindows[0]
	for _, cand := range dashWindows {
		if cand.key == c.Query("window") {
			w = cand
		}
	}
	// The window ends at the end of the current slot, so the chart's bars
	// start on whole hours (24 h) or 6-hour marks (7 d).
	slot := w.span / time.Duration(w.buckets)
	until := p.now().UTC().Truncate(slot).Add(slot)
	scope := auth.Scope(c)
	st, err := p.store.Stats(c.UserContext(), StatsQuery{Scope: scope, Since: until.Add(-w.span), Until: until, Buckets: w.buckets})
	if err != nil {
		return err
	}
	busiest := busiestTenants(st.ByTenant, dashTenantRows)
	names, err := p.tenantNames(c.UserContext(), append(troubleTenantIDs(st.Trouble), busiest...))
	if err != nil {
		return err
	}
	props := dashboardProps(st, names, busiest, w)
	props.Meta = p.pageMeta(c, "Dashboard", views.NavDashboard)
	if c.Get("HX-Request") == "true" {
		return RenderPage(c, fiber.StatusOK, views.DashboardView(props))
	}
	return RenderPage(c, fiber.StatusOK, views.DashboardPage(props))
}

// dashTenantRows bounds the "By tenant" table: with thousands of active
// tenants it listed every one.
const dashTenantRows = 25

// busiestTenants are the ids of at most n tenants with the most events,
// then deliveries, in the window (ties by id).
func busiestTenants(by map[int64]*Counts, n int) []int64 {
	ids := make([]int64, 0, len(by))
	for id := range by {
		ids = append(ids, id)
	}
	volume := func(id int64) (int, int) {
		c := by[id]
		return c.Received, c.Delivered + c.Failed + c.Pending + c.Held
	}
	sort.Slice(ids, func(i, j int) bool {
		ri, di := volume(ids[i])
		rj, dj := volume(ids[j])
		if ri != rj {
			return ri > rj
		}
		if di != dj {
			return di > dj
		}
		return ids[i] < ids[j]
	})
	return ids[:min(len(ids), n)]
}

func troubleTenantIDs(ts []Trouble) []int64 {
	ids := make([]int64, len(ts))
	for i, t := range ts {
		ids[i] = t.TenantID
	}
	return ids
}

// dashboardProps builds the dashboard; busiest are the tenants its "By
// tenant" table shows, busiest first.
func dashboardProps(st *Stats, names map[int64]string, busiest []int64, w dashWindow) views.Dashboard {
	props := views.Dashboard{Window: w.label, Totals: statRow("All events", "", st.Totals),
		Unrouted: st.Unrouted, UnroutedURL: "/admin/unrouted"}
	for _, o := range dashWindows {
		props.Windows = append(props.Windows, views.Option{Value: "/admin?window=" + o.key, Label: o.label, Selected: o.key == w.key})
	}
	for name, c := range st.ByType {
		props.ByType = append(props.ByType, statRow(name, "/admin/deliveries?event="+url.QueryEscape(name), *c))
	}
	for _, id := range busiest {
		props.ByTenant = append(props.ByTenant, statRow(tenantLabel(names, id), "/admin/deliveries?tenant="+strconv.FormatInt(id, 10), *st.ByTenant[id]))
	}
	if len(busiest) < len(st.ByTenant) {
		props.ByTenantNote = "The " + strconv.Itoa(len(busiest)) + " busiest of " + strconv.Itoa(len(st.ByTenant)) +
			" tenants with events in this period; the Deliveries page filters by any tenant."
	}
	sort.Slice(props.ByType, func(i, j int) bool { return props.ByType[i].Label < props.ByType[j].Label })
	// The slot labels are bare hours, so the title names their zone, as every other time shown does.
	props.Chart = views.Chart{ID: "volume-chart", Title: "Deliveries, " + w.label + " (UTC)"}
	for _, b := range st.Buckets {
		props.Chart.Buckets = append(props.Chart.Buckets, views.ChartBucket{Label: b.Start.UTC().Format(w.tick), Delivered: b.Delivered, Failed: b.Failed})
	}
	for _, t := range st.Trouble {
		props.Trouble = append(props.Trouble, views.TroubleEndpoint{Tenant: tenantLabel(names, t.TenantID), Endpoint: t.EndpointURL,
			Failures: t.Failures, LastError: t.LastError,
			URL: "/admin/deliveries?status=failed&endpoint=" + strconv.FormatInt(t.EndpointID, 10)})
	}
	return props
}

func statRow(label, link string, c Counts) views.StatRow {
	r := views.StatRow{Label: label, URL: link, Received: c.Received, Delivered: c.Delivered, Failed: c.Failed, Pending: c.Pending, Held: c.Held,
		P50: formatLatency(c.P50, c.HasLatency()), P95: formatLatency(c.P95, c.HasLatency())}
	if rate, ok := c.SuccessRate(); ok {
		r.SuccessRate = strconv.FormatFloat(rate*100, 'f', 1, 64) + " %"
	}
	return r
}
