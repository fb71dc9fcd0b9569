package webhooks

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/problem"
)

// EraseRequest names what to erase in one tenant: one meetingCode, or
// every meetingCode whose events carry a candidate name (exact, ignoring
// case). DryRun only lists and counts. By is recorded on the events.
type EraseRequest struct {
	TenantID      int64
	MeetingCode   string
	CandidateName string
	DryRun        bool
	By            string
}

// EraseResult is what Erase did: the meetingCodes it selected and, per
// meetingCode, the counts (in a dry run, what it would erase).
type EraseResult struct {
	DryRun       bool      `json:"dry_run"`
	MeetingCodes []string  `json:"meeting_codes"`
	Erasures     []Erasure `json:"erasures"`
}

// Erase is the one service call behind the API, the admin page and the
// CLI. Naming both or neither of MeetingCode and CandidateName is a
// problem.Invalid; an unknown tenant, or a meetingCode with nothing stored
// in the tenant, a problem.NotFound. A name matching nothing selects
// nothing (an empty result, not an error). The caller checks the role.
func (e *Eraser) Erase(ctx context.Context, r EraseRequest) (EraseResult, error) {
	out := EraseResult{DryRun: r.DryRun, MeetingCodes: []string{}, Erasures: []Erasure{}}
	byName := strings.TrimSpace(r.CandidateName) != ""
	switch {
	case byName && r.MeetingCode != "":
		return out, problem.Invalid("candidate_name", "name a meeting_code or a candidate_name, not both")
	case !byName && strings.TrimSpace(r.MeetingCode) == "":
		return out, problem.Invalid("meeting_code", "name a meeting_code or a candidate_name")
	}
	codes := []string{r.MeetingCode}
	if byName {
		var err error
		if codes, err = e.MeetingCodesOfCandidate(ctx, r.TenantID, r.CandidateName); err != nil {
			return out, err
		}
	}
	for _, code := range codes {
		var er Erasure
		var err error
		if r.DryRun {
			er, err = e.Preview(ctx, r.TenantID, code)
		} else {
			er, err = e.EraseInterview(ctx, r.TenantID, code, r.By)
		}
		if err != nil {
			return out, err
		}
		out.MeetingCodes = append(out.MeetingCodes, code)
		out.Erasures = append(out.Erasures, er)
	}
	return out, nil
}

// EraseHandler serves erasure on the JSON API.
type EraseHandler struct {
	eraser *Eraser
}

// NewEraseHandler returns the handler.
func NewEraseHandler(eraser *Eraser) *EraseHandler { return &EraseHandler{eraser: eraser} }

// EraseRoutes mounts POST /tenants/:tenant/erasures on the /api/v1 group
// (admin only: auth.PermEditConfig).
func EraseRoutes(api fiber.Router, h *EraseHandler) {
	api.Post("/tenants/:tenant/erasures", h.handleErasureCreate)
}

func (h *EraseHandler) handleErasureCreate(c *fiber.Ctx) error {
	tenantID, err := auth.TenantParam(c, "tenant")
	if err != nil {
		return err
	}
	p, err := auth.Require(c, auth.PermEditConfig)
	if err != nil {
		return err
	}
	var in struct {
		MeetingCode   string `json:"meeting_code"`
		CandidateName string `json:"candidate_name"`
		DryRun        bool   `json:"dry_run"`
	}
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	res, err := h.eraser.Erase(c.UserContext(), EraseRequest{TenantID: tenantID, MeetingCode: in.MeetingCode,
		CandidateName: in.CandidateName, DryRun: in.DryRun, By: p.Email})
	if err != nil {
		return err
	}
	if err := auditErasures(c, tenantID, in.CandidateName != "", res); err != nil {
		return err
	}
	return c.JSON(res)
}

// ErasureAudit is the audit entry's "after" of one erased meetingCode:
// counts and how it was selected, never the erased data or the name searched.
func ErasureAudit(byName bool, er Erasure) map[string]any {
	matched := "meeting_code"
	if byName {
		matched = "candidate_name"
	}
	return map[string]any{"matched_by": matched, "events": er.Events, "already_erased": er.AlreadyErased,
		"deliveries": er.Deliveries, "cancelled": er.Cancelled, "correlations": er.Correlations,
		"recording_links": er.RecordingLinks, "audit_entries": er.AuditEntries, "in_flight": er.InFlight}
}

// auditErasures records one event.erase entry per erased meetingCode
// (target interview:<meetingCode>); a dry run records nothing.
func auditErasures(c *fiber.Ctx, tenantID int64, byName bool, res EraseResult) error {
	if res.DryRun {
		return nil
	}
	changes := make([]auth.Change, len(res.Erasures))
	for i, er := range res.Erasures {
		changes[i] = auth.Change{Action: "event.erase", TenantID: tenantID, Target: "interview:" + er.MeetingCode, After: ErasureAudit(byName, er)}
	}
	return auth.AuditAll(c, changes)
}
