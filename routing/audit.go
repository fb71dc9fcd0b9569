package routing

import (
	"encoding/json"
	"sort"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
)

// auditMapping records a mapping change of one endpoint by the request's
// principal. Call it after the new version committed.
func auditMapping(c *fiber.Ctx, action string, tenantID, endpointID int64, before, after any) error {
	return auth.Audit(c, action, tenantID, "endpoint:"+strconv.FormatInt(endpointID, 10), before, after)
}

// The audit actions of a correlation change: their before and after copy
// the record's attributes (the ATS ids), which an erasure of the interview
// replaces (webhooks/erase.go).
const (
	AuditCorrelationPut    = "correlation.put"
	AuditCorrelationDelete = "correlation.delete"
)

// CorrelationAuditActions are the actions whose entries copy a correlation record.
var CorrelationAuditActions = []string{AuditCorrelationPut, AuditCorrelationDelete}

// CorrelationAuditTarget is the audit target of meetingCode's correlation record.
func CorrelationAuditTarget(meetingCode string) string { return "correlation:" + meetingCode }

// auditCorrelation records a correlation change (target CorrelationAuditTarget).
func auditCorrelation(c *fiber.Ctx, action string, tenantID int64, code string, before, after any) error {
	return auth.Audit(c, action, tenantID, CorrelationAuditTarget(code), before, after)
}

// currentView is the endpoint's current mapping version for the audit's
// "before", or nil when it has none (or it can't be read: the change still
// goes ahead and the audit simply has no before).
func (h *Handler) currentView(c *fiber.Ctx, tenantID, endpointID int64) any {
	v, err := h.store.CurrentVersion(c.UserContext(), tenantID, endpointID)
	if err != nil { // ErrNoMapping: the first version
		return nil
	}
	return versionView{MappingVersion: *v, Mapping: json.RawMessage(v.Spec)}
}

// auditCorrelationBulk records a bulk import: how many were saved and which meeting codes.
func auditCorrelationBulk(c *fiber.Ctx, tenantID int64, saved int, records map[string]map[string]string) error {
	codes := make([]string, 0, len(records))
	for code := range records {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	after := map[string]any{"saved": saved, "meeting_codes": codes}
	return auth.Audit(c, "correlation.bulk_put", tenantID, "tenant:"+strconv.FormatInt(tenantID, 10), nil, after)
}
