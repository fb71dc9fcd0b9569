package routing

import (
	"encoding/json"
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/problem"
)

// Handler serves the mapping and correlation API.
type Handler struct {
	store   *Store
	samples SampleFunc
	events  EventFunc
	recent  RecentEventsFunc // may be nil (see WithRecentEvents)
}

// NewHandler returns the API handler. samples and events feed previews
// (either may be nil: that input is then unavailable).
func NewHandler(store *Store, samples SampleFunc, events EventFunc) *Handler {
	return &Handler{store: store, samples: samples, events: events}
}

// Routes mounts the API on r (the /api/v1 group). Admins edit; support and
// viewers read; every tenant route checks the caller's tenant scope.
func Routes(r fiber.Router, h *Handler) {
	ep := "/tenants/:tenant/endpoints/:endpoint/mapping"
	r.Get(ep, h.handleMappingShow)
	r.Put(ep, h.handleMappingUpdate)
	r.Get(ep+"/versions", h.handleVersionIndex)
	r.Get(ep+"/versions/:version", h.handleVersionShow)
	r.Get(ep+"/diff", h.handleMappingDiff)
	r.Post(ep+"/restore", h.handleMappingRestore)
	r.Post("/mapping/preview", h.handleMappingPreview)
	r.Get("/mapping/presets", h.handlePresetIndex)
	r.Get("/mapping/ops", h.handleOpIndex)
	r.Post("/tenants/:tenant/correlations", h.handleCorrelationImport)
	cr := "/tenants/:tenant/correlations/:meetingCode"
	r.Get(cr, h.handleCorrelationShow)
	r.Put(cr, h.handleCorrelationUpdate)
	r.Delete(cr, h.handleCorrelationDelete)
}

// versionView is a version as the API shows it, mapping included.
type versionView struct {
	MappingVersion
	Mapping json.RawMessage `json:"mapping"`
}

func viewOf(v *MappingVersion) versionView {
	return versionView{MappingVersion: *v, Mapping: json.RawMessage(v.Spec)}
}

// endpointParams checks the tenant scope (and perm) and parses :endpoint.
func endpointParams(c *fiber.Ctx, perm auth.Permission) (tenantID, endpointID int64, err error) {
	if tenantID, err = auth.TenantParam(c, "tenant"); err != nil {
		return 0, 0, err
	}
	if _, err = auth.Require(c, perm); err != nil {
		return 0, 0, err
	}
	endpointID, err = strconv.ParseInt(c.Params("endpoint"), 10, 64)
	if err != nil || endpointID <= 0 {
		return 0, 0, problem.NotFound("endpoint")
	}
	return tenantID, endpointID, nil
}

func (h *Handler) handleMappingShow(c *fiber.Ctx) error {
	tenantID, endpointID, err := endpointParams(c, auth.PermRead)
	if err != nil {
		return err
	}
	v, err := h.store.CurrentVersion(c.UserContext(), tenantID, endpointID)
	if errors.Is(err, ErrNoMapping) {
		return c.JSON(fiber.Map{"version": nil, "mapping": Mapping{Mode: ModePassthrough}})
	} else if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"version": v, "mapping": json.RawMessage(v.Spec)})
}

// mappingUpdate is the body of PUT …/mapping.
type mappingUpdate struct {
	Mapping json.RawMessage `json:"mapping"`
	Comment string          `json:"comment"`
}

func (h *Handler) handleMappingUpdate(c *fiber.Ctx) error {
	tenantID, endpointID, err := endpointParams(c, auth.PermEditConfig)
	if err != nil {
		return err
	}
	var body mappingUpdate
	if err := decodeBody(c, &body); err != nil {
		return err
	}
	if len(body.Mapping) == 0 {
		return problem.Invalid("mapping", "is required")
	}
	m, err := ParseMapping(body.Mapping)
	if err != nil {
		return err
	}
	before := h.currentView(c, tenantID, endpointID)
	v, err := h.store.CreateVersion(c.UserContext(), tenantID, endpointID, m, author(c), body.Comment)
	if err != nil {
		return err
	}
	if err := auditMapping(c, "mapping.save", tenantID, endpointID, before, viewOf(v)); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(viewOf(v))
}

func author(c *fiber.Ctx) string {
	if p := auth.FromCtx(c); p != nil {
		return p.Email
	}
	return ""
}

// decodeBody reads a JSON body strictly; malformed input is a 400.
func decodeBody(c *fiber.Ctx, v any) error {
	return problem.DecodeJSON(c.Get(fiber.HeaderContentType), c.Body(), v)
}

func (h *Handler) handleVersionIndex(c *fiber.Ctx) error {
	tenantID, endpointID, err := endpointParams(c, auth.PermRead)
	if err != nil {
		return err
	}
	vs, err := h.store.ListVersions(c.UserContext(), tenantID, endpointID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"versions": vs})
}

func versionNumber(s, field string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, problem.Invalid(field, "must be a version number (1, 2, …)")
	}
	return n, nil
}

func (h *Handler) handleVersionShow(c *fiber.Ctx) error {
	tenantID, endpointID, err := endpointParams(c, auth.PermRead)
	if err != nil {
		return err
	}
	n, err := versionNumber(c.Params("version"), "version")
	if err != nil {
		return err
	}
	v, err := h.store.FindVersion(c.UserContext(), tenantID, endpointID, n)
	if err != nil {
		return err
	}
	return c.JSON(viewOf(v))
}

func (h *Handler) handleMappingDiff(c *fiber.Ctx) error {
	tenantID, endpointID, err := endpointParams(c, auth.PermRead)
	if err != nil {
		return err
	}
	var specs [2]string
	for i, field := range []string{"from", "to"} {
		n, err := versionNumber(c.Query(field), field)
		if err != nil {
			return err
		}
		v, err := h.store.FindVersion(c.UserContext(), tenantID, endpointID, n)
		if err != nil {
			return err
		}
		specs[i] = v.Spec
	}
	return c.JSON(fiber.Map{"from": c.Query("from"), "to": c.Query("to"), "diff": Diff(specs[0], specs[1])})
}

func (h *Handler) handleMappingRestore(c *fiber.Ctx) error {
	tenantID, endpointID, err := endpointParams(c, auth.PermEditConfig)
	if err != nil {
		return err
	}
	var body struct {
		Version int `json:"version"`
	}
	if err := decodeBody(c, &body); err != nil {
		return err
	}
	if body.Version <= 0 {
		return problem.Invalid("version", "must be a version number (1, 2, …)")
	}
	before := h.currentView(c, tenantID, endpointID)
	v, err := h.store.RestoreVersion(c.UserContext(), tenantID, endpointID, body.Version, author(c))
	if err != nil {
		return err
	}
	if err := auditMapping(c, "mapping.restore", tenantID, endpointID, before, viewOf(v)); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(viewOf(v))
}
