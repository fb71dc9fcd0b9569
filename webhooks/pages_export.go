package webhooks

import (
	"bytes"
	"encoding/csv"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/problem"
)

// maxDeliveryExport bounds one CSV download, like a bulk retry.
const maxDeliveryExport = 10000

var deliveryCSVHeader = []string{"id", "created_at", "tenant_id", "tenant", "endpoint_id", "endpoint_url", "event_id",
	"event_type", "meeting_code", "candidate", "revision", "status", "attempts", "last_status_code", "last_error", "delivered_at", "page"}

// handleDeliveriesCSV downloads the deliveries the list's filters select
// (the caller's scope applies), newest first, up to maxDeliveryExport rows.
// A filter that doesn't parse is refused rather than dropped: a download
// carries no message saying it was ignored.
func (p *Pages) handleDeliveriesCSV(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermRead); err != nil {
		return err
	}
	f, vf, bad := deliveryPageFilter(c)
	if err := p.dropUnseenTargets(c.UserContext(), &f, &vf, &bad); err != nil {
		return err
	}
	if len(bad) > 0 {
		return problem.Invalid("filter", bad[0].Text)
	}
	var rows []DeliveryRow
	f.Limit = maxDeliveryLimit
	for len(rows) < maxDeliveryExport {
		page, next, err := p.store.ListDeliveryRows(c.UserContext(), f)
		if err != nil {
			return err
		}
		rows = append(rows, page...)
		if next == 0 {
			break
		}
		f.After = next
	}
	rows = rows[:min(len(rows), maxDeliveryExport)]
	names, err := p.tenantNames(c.UserContext(), rowTenantIDs(rows, 0))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="deliveries.csv"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.Write(deliveryCSVHeader) // a bytes.Buffer doesn't fail
	for _, r := range rows {
		_ = cw.Write(deliveryCSVRow(r, tenantLabel(names, r.TenantID)))
	}
	cw.Flush()
	return c.Send(buf.Bytes())
}

func deliveryCSVRow(r DeliveryRow, tenant string) []string {
	id := strconv.FormatInt(r.ID, 10)
	code, delivered := "", ""
	if r.LastStatusCode != nil {
		code = strconv.Itoa(*r.LastStatusCode)
	}
	if r.DeliveredAt != nil {
		delivered = r.DeliveredAt.UTC().Format("2006-01-02T15:04:05Z")
	}
	return []string{id, r.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"), strconv.FormatInt(r.TenantID, 10), auth.CSVSafe(tenant),
		strconv.FormatInt(r.EndpointID, 10), auth.CSVSafe(r.EndpointURL), strconv.FormatInt(r.EventID, 10), auth.CSVSafe(r.EventType),
		auth.CSVSafe(r.MeetingCode), auth.CSVSafe(r.Candidate), strconv.Itoa(r.Revision), string(r.Status), strconv.Itoa(r.Attempts),
		code, auth.CSVSafe(r.LastError), delivered, "/admin/deliveries/" + id}
}
