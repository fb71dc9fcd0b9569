package webhooks

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/problem"
)

// DeliveriesHandler serves the deliveries JSON API.
type DeliveriesHandler struct {
	store *Store
	svc   *Service
}

// NewDeliveriesHandler returns the deliveries API handler.
func NewDeliveriesHandler(store *Store, svc *Service) *DeliveriesHandler {
	return &DeliveriesHandler{store: store, svc: svc}
}

// DeliveryRoutes mounts the deliveries API on r (the /api/v1 group).
// Reads need auth.PermRead and see only the caller's tenants; retry,
// replay and test sends need auth.PermRetry; re-enabling an endpoint needs
// auth.PermEditConfig.
func DeliveryRoutes(r fiber.Router, h *DeliveriesHandler) {
	r.Get("/deliveries", h.handleDeliveryIndex)
	r.Post("/deliveries/bulk-retry", h.handleDeliveryBulkRetry)
	r.Post("/deliveries/test", h.handleDeliveryTest)
	r.Get("/deliveries/:id", h.handleDeliveryShow)
	r.Post("/deliveries/:id/retry", h.handleDeliveryRetry)
	r.Post("/events/:id/replay", h.handleEventReplay)
	r.Post("/endpoints/:id/enable", h.handleEndpointEnable)
}

func (h *DeliveriesHandler) handleDeliveryIndex(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermRead); err != nil {
		return err
	}
	f, err := ParseDeliveryFilter(c.Query)
	if err != nil {
		return err
	}
	f.Scope = auth.Scope(c)
	rows, next, err := h.store.ListDeliveryRows(c.UserContext(), f)
	if err != nil {
		return err
	}
	items := make([]fiber.Map, len(rows))
	for i, r := range rows {
		items[i] = deliveryJSON(r)
	}
	// next is the paging vocabulary every list shares (pass it as after;
	// "" on the last page); next_cursor, the same as a number, stays for
	// clients written against it.
	out := fiber.Map{"items": items, "next": "", "next_cursor": next}
	if next != 0 {
		out["next"] = strconv.FormatInt(next, 10)
	}
	return c.JSON(out)
}

func (h *DeliveriesHandler) handleDeliveryShow(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermRead); err != nil {
		return err
	}
	id, err := idParam(c, "id", "delivery")
	if err != nil {
		return err
	}
	d, err := h.store.FindDelivery(c.UserContext(), auth.Scope(c), id)
	if err != nil {
		return err
	}
	return c.JSON(DeliveryDetailJSON(d))
}

// DeliveryDetailJSON is one delivery as GET /api/v1/deliveries/:id answers
// it and `switchboard deliveries show` prints it: the row, the body sent
// and every attempt. The caller has checked the tenant.
func DeliveryDetailJSON(d *DeliveryDetail) fiber.Map {
	out := deliveryJSON(d.DeliveryRow)
	out["body"] = bodyJSON(d.Body)
	atts := make([]fiber.Map, len(d.Attempts))
	for i, a := range d.Attempts {
		atts[i] = fiber.Map{"number": a.Number, "started_at": a.StartedAt, "duration_ms": a.DurationMS, "status_code": a.StatusCode,
			"error_class": a.ErrorClass, "error": a.Error, "request_headers": a.RequestHeaders,
			"response_headers": a.ResponseHeaders, "response_body": a.ResponseBody}
	}
	out["attempts"] = atts
	return out
}

func (h *DeliveriesHandler) handleDeliveryRetry(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermRetry); err != nil {
		return err
	}
	id, err := idParam(c, "id", "delivery")
	if err != nil {
		return err
	}
	if err := h.svc.RetryDelivery(c.UserContext(), auth.Scope(c), id); err != nil {
		return err
	}
	if err := auditAction(c, "delivery.retry", tenantOf(c.UserContext(), h.store.db, "deliveries", id), "delivery", id, nil); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"delivery_id": id, "status": DeliveryPending})
}

func (h *DeliveriesHandler) handleDeliveryBulkRetry(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermRetry); err != nil {
		return err
	}
	var in struct {
		TenantID   int64  `json:"tenant_id"`
		EndpointID int64  `json:"endpoint_id"`
		Since      string `json:"since"` // RFC 3339; "" = no bound
		Until      string `json:"until"`
	}
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	if in.TenantID == 0 && in.EndpointID == 0 {
		return problem.Invalid("tenant_id", "name a tenant_id or an endpoint_id")
	}
	since, err := bodyTime(in.Since, "since")
	if err != nil {
		return err
	}
	until, err := bodyTime(in.Until, "until")
	if err != nil {
		return err
	}
	n, err := h.svc.BulkRetry(c.UserContext(), DeliveryFilter{Scope: auth.Scope(c), TenantID: in.TenantID,
		EndpointID: in.EndpointID, Since: since, Until: until})
	if err != nil {
		return err
	}
	tenantID := in.TenantID
	if tenantID == 0 {
		tenantID = tenantOf(c.UserContext(), h.store.db, "endpoints", in.EndpointID)
	}
	after := fiber.Map{"endpoint_id": in.EndpointID, "since": since, "until": until, "retried": n}
	if err := auditAction(c, "delivery.bulk_retry", tenantID, "tenant", tenantID, after); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"retried": n})
}

func (h *DeliveriesHandler) handleEventReplay(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermRetry); err != nil {
		return err
	}
	id, err := idParam(c, "id", "event")
	if err != nil {
		return err
	}
	var in struct {
		EndpointID int64 `json:"endpoint_id"`
	}
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	if in.EndpointID <= 0 {
		return problem.Invalid("endpoint_id", "is required")
	}
	did, err := h.svc.Replay(c.UserContext(), auth.Scope(c), id, in.EndpointID)
	if err != nil {
		return err
	}
	after := fiber.Map{"endpoint_id": in.EndpointID, "delivery_id": did}
	if err := auditAction(c, "event.replay", tenantOf(c.UserContext(), h.store.db, "deliveries", did), "event", id, after); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"delivery_id": did})
}

func (h *DeliveriesHandler) handleDeliveryTest(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermRetry); err != nil {
		return err
	}
	var in struct {
		TenantID   int64  `json:"tenant_id"`
		EndpointID int64  `json:"endpoint_id"`
		EventType  string `json:"event_type"`
	}
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	if in.TenantID <= 0 || in.EndpointID <= 0 {
		return problem.Invalid("endpoint_id", "tenant_id and endpoint_id are required")
	}
	if in.EventType == "" {
		in.EventType = "interview.evaluation"
	}
	did, err := h.svc.SendTest(c.UserContext(), auth.Scope(c), in.TenantID, in.EndpointID, in.EventType)
	if err != nil {
		return err
	}
	after := fiber.Map{"event_type": in.EventType, "delivery_id": did}
	if err := auditAction(c, "delivery.test", in.TenantID, "endpoint", in.EndpointID, after); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"delivery_id": did})
}

func (h *DeliveriesHandler) handleEndpointEnable(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermEditConfig); err != nil {
		return err
	}
	id, err := idParam(c, "id", "endpoint")
	if err != nil {
		return err
	}
	var in struct {
		Redeliver bool `json:"redeliver"`
	}
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	if in.Redeliver {
		if _, err := auth.Require(c, auth.PermRetry); err != nil {
			return err
		}
	}
	n, err := h.svc.EnableEndpoint(c.UserContext(), auth.Scope(c), id, in.Redeliver)
	if err != nil {
		return err
	}
	after := fiber.Map{"enabled": true, "redeliver": in.Redeliver, "redelivered": n}
	if err := auditAction(c, "endpoint.enable", tenantOf(c.UserContext(), h.store.db, "endpoints", id), "endpoint", id, after); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"endpoint_id": id, "enabled": true, "redelivered": n})
}

// bodyTime reads an RFC 3339 time from a JSON body field ("" = zero), the
// same way the query filters and deliver-held do: a bad one is a 422 naming
// the field.
func bodyTime(v, field string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, problem.Invalid(field, "must be an RFC 3339 time, e.g. 2026-11-26T08:00:00Z")
	}
	return t, nil
}

func idParam(c *fiber.Ctx, name, what string) (int64, error) {
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, problem.NotFound(what)
	}
	return id, nil
}

// decodeBody reads a JSON body strictly; an empty body leaves v as it is.
func decodeBody(c *fiber.Ctx, v any) error {
	return problem.DecodeJSON(c.Get(fiber.HeaderContentType), c.Body(), v)
}

// bodyJSON embeds a JSON body as JSON and anything else as a string.
func bodyJSON(b []byte) any {
	if len(b) > 0 && json.Valid(b) {
		return json.RawMessage(b)
	}
	return string(b)
}

func deliveryJSON(r DeliveryRow) fiber.Map {
	return fiber.Map{"id": r.ID, "event_id": r.EventID, "tenant_id": r.TenantID, "endpoint_id": r.EndpointID,
		"endpoint_url": r.EndpointURL, "event_type": r.EventType, "meeting_code": r.MeetingCode, "revision": r.Revision,
		"status": r.Status, "attempts": r.Attempts, "last_status_code": r.LastStatusCode, "last_error": r.LastError,
		"created_at": r.CreatedAt, "updated_at": r.UpdatedAt, "delivered_at": r.DeliveredAt,
		"mapping_version_id": r.MappingVersionID, "payload_purged_at": r.PayloadPurgedAt, "next_attempt_at": r.NextAttemptAt,
		"erased_at": r.ErasedAt, "erased_by": r.ErasedBy}
}
