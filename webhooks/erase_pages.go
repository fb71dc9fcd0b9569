package webhooks

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/views"
)

// erasableEvent reads the event of the erase pages (admins only): its
// interview is erased at its tenant, so an unrouted event (no tenant yet)
// is a problem.Conflict pointing at the API and the CLI.
func (p *Pages) erasableEvent(c *fiber.Ctx) (*Event, error) {
	if _, err := auth.Require(c, auth.PermEditConfig); err != nil {
		return nil, err
	}
	id, err := idParam(c, "id", "event")
	if err != nil {
		return nil, err
	}
	ev, err := p.store.FindEvent(c.UserContext(), id)
	if err != nil {
		return nil, err
	}
	if ev.TenantID == nil {
		return nil, problem.Conflict("an unrouted event belongs to no tenant yet: erase its meetingCode at a tenant with the API or `switchboard events erase`")
	}
	return ev, nil
}

// handleEventEraseConfirm is the confirm step: what the erasure removes and keeps, with counts.
func (p *Pages) handleEventEraseConfirm(c *fiber.Ctx) error {
	ev, err := p.erasableEvent(c)
	if err != nil {
		return err
	}
	er, err := NewEraser(p.store.db).Preview(c.UserContext(), *ev.TenantID, ev.MeetingCode)
	if err != nil {
		return err
	}
	names, err := p.tenantNames(c.UserContext(), []int64{*ev.TenantID})
	if err != nil {
		return err
	}
	id := strconv.FormatInt(ev.ID, 10)
	props := views.EventErase{Meta: p.pageMeta(c, "Erase candidate data", views.NavEvents), ID: id, MeetingCode: ev.MeetingCode,
		Tenant: views.Link{Label: tenantLabel(names, *ev.TenantID), URL: tenantURL(*ev.TenantID)},
		Events: er.Events, Erased: er.AlreadyErased, Correlation: er.Correlations > 0, AuditEntries: er.AuditEntries,
		ActionURL: "/admin/events/" + id + "/erase", CancelURL: "/admin/events/" + id}
	return RenderPage(c, fiber.StatusOK, views.EventErasePage(props))
}

// handleEventErase erases the event's interview at its tenant, as POST
// /api/v1/tenants/:tenant/erasures with its meeting_code does, and shows the event.
func (p *Pages) handleEventErase(c *fiber.Ctx) error {
	ev, err := p.erasableEvent(c)
	if err != nil {
		return err
	}
	res, err := NewEraser(p.store.db).Erase(c.UserContext(), EraseRequest{TenantID: *ev.TenantID, MeetingCode: ev.MeetingCode,
		By: auth.FromCtx(c).Email})
	if err != nil {
		return err
	}
	if err := auditErasures(c, *ev.TenantID, false, res); err != nil {
		return err
	}
	return c.Redirect("/admin/events/"+strconv.FormatInt(ev.ID, 10)+"?notice=erased", fiber.StatusSeeOther)
}

// erasedNote is "on <time> by <who>" for a page, or "" when not erased.
func erasedNote(at *time.Time, by *string) string {
	if at == nil {
		return ""
	}
	who := "someone"
	if by != nil && *by != "" {
		who = *by
	}
	return "on " + formatTime(*at) + " by " + who
}
