package routing

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/views"
)

// editor builds the editor props for the draft; failed are the errors of a
// save (nil for none). The rows at fault, in failed or in the preview, are marked.
func (h *Handler) editor(c *fiber.Ctx, tenantID, endpointID int64, d draft, failed []views.MappingError) (views.MappingEditor, error) {
	base := editorURL(tenantID, endpointID)
	if d.Mode != "json" {
		m, _ := d.mapping()           // its errors are in failed and the preview
		d.JSON = prettyJSON(m.JSON()) // the JSON view follows the form
	}
	ts := tenants.NewStore(h.store.db)
	t, err := ts.FindTenant(c.UserContext(), tenantID)
	if err != nil {
		return views.MappingEditor{}, err
	}
	e, err := ts.FindEndpoint(c.UserContext(), tenantID, endpointID)
	if err != nil {
		return views.MappingEditor{}, err
	}
	p := views.MappingEditor{Meta: auth.Meta(c, "Mapping · "+t.Name, views.NavTenants), Title: "Mapping for " + e.URL,
		Crumbs: []views.Link{{Label: "Tenants", URL: "/admin/tenants"}, {Label: t.Name, URL: fmt.Sprintf("/admin/tenants/%d", tenantID)},
			{Label: "Endpoint", URL: fmt.Sprintf("/admin/tenants/%d/endpoints/%d", tenantID, endpointID)}},
		Action: base, PreviewURL: base + "/preview", PresetURL: base + "/preset", Mode: d.Mode, KeepUnmapped: d.KeepUnmapped,
		Expression: views.Field{ID: "mapping-expression", Name: "expression", Label: "jq program", Value: d.Expression,
			Hint: "Its single output must be a JSON object."},
		JSON: views.Field{ID: "mapping-json", Name: "mapping_json", Label: "Mapping (JSON)", Value: d.JSON,
			Hint: "The whole mapping as stored, incl. per-event-type rule sets (by_event) and every rule's operations."},
		Note: d.Note, PresetNote: d.PresetNote,
		Preview: h.preview(c, d), CanEdit: auth.Can(c, auth.PermEditConfig)}
	var msgs []string
	for _, e := range failed {
		msgs = append(msgs, e.String()+".")
	}
	p.Error = strings.Join(msgs, " ")
	// In jq and JSON mode the whole text is the field at fault: the message
	// goes under it too (the banner above the form is off screen once the
	// admin has scrolled to a long program).
	switch d.Mode {
	case "expression":
		p.Expression.Error = strings.Join(msgs, " ")
	case "json":
		p.JSON.Error = strings.Join(msgs, " ")
	}
	p.Rules = markRows(d.Rules, append(append([]views.MappingError(nil), failed...), p.Preview.Errors...))
	for _, o := range Ops() {
		p.Ops = append(p.Ops, views.RuleOp{Name: o.Name, Usage: o.Usage, Help: o.Help})
	}
	for _, pr := range Presets() {
		p.Presets = append(p.Presets, views.Option{Value: pr.Name, Label: pr.Title, Help: pr.Description})
	}
	p.Samples = h.sampleOptions(c, tenantID, d.Sample)
	p.Versions, err = h.versionRows(c, tenantID, endpointID)
	return p, err
}

// versionRows lists the saved versions, newest (current) first.
func (h *Handler) versionRows(c *fiber.Ctx, tenantID, endpointID int64) ([]views.MappingVersion, error) {
	base := editorURL(tenantID, endpointID)
	var out []views.MappingVersion
	vs, err := h.store.ListVersions(c.UserContext(), tenantID, endpointID)
	if err != nil {
		return nil, err
	}
	current := 0
	if len(vs) > 0 {
		current = vs[0].Number
	}
	for i, v := range vs {
		summary := "expression (jq)"
		if m, err := v.Mapping(); err == nil && m.Mode == ModeRules {
			summary = fmt.Sprintf("rules: %d", len(m.Rules))
			if len(m.ByEvent) > 0 {
				summary += fmt.Sprintf(", sets per event type: %d", len(m.ByEvent))
			}
		} else if err == nil && m.Mode == ModePassthrough {
			summary = "forward unchanged"
		}
		out = append(out, views.MappingVersion{Number: v.Number, Author: v.Author, Summary: summary,
			When: v.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"), Current: i == 0,
			RestoreURL: base + "/restore/" + strconv.Itoa(v.Number), DiffURL: fmt.Sprintf("%s/diff?from=%d&to=%d", base, v.Number, current)})
	}
	return out, nil
}

func (h *Handler) renderEditor(c *fiber.Ctx, status int, tenantID, endpointID int64, d draft, failed []views.MappingError) error {
	p, err := h.editor(c, tenantID, endpointID, d, failed)
	if err != nil {
		return err
	}
	return auth.Render(c, status, views.MappingEditorPage(p))
}

func (h *Handler) handleEditorPage(c *fiber.Ctx) error {
	tenantID, endpointID, err := endpointParams(c, auth.PermRead)
	if err != nil {
		return err
	}
	if err := checkEndpoint(c.UserContext(), h.store.db, tenantID, endpointID); err != nil {
		return err
	}
	return h.renderEditor(c, fiber.StatusOK, tenantID, endpointID, h.currentDraft(c, tenantID, endpointID), nil)
}

// handleEditorSave saves the form as a new version. Without JavaScript the
// rule buttons (add, up, down, remove) post here too and only edit the draft.
func (h *Handler) handleEditorSave(c *fiber.Ctx) error {
	tenantID, endpointID, err := endpointParams(c, auth.PermEditConfig)
	if err != nil {
		return err
	}
	d := draftFromForm(c)
	if c.Get("HX-Request") == "true" {
		// htmx sends the preview to a clicked button's formaction (the
		// rule buttons' no-JavaScript fallback): answer it as a preview.
		return auth.Render(c, fiber.StatusOK, views.MappingPreviewPane(h.preview(c, d)))
	}
	if act := c.FormValue("rule_action"); act != "" {
		d.Rules = editRules(d.Rules, act)
		return h.renderEditor(c, fiber.StatusOK, tenantID, endpointID, d, nil)
	}
	var m *Mapping
	spec, err := d.spec()
	if err == nil {
		m, err = ParseMapping(spec)
	}
	if err == nil {
		_, err = h.store.CreateVersion(c.UserContext(), tenantID, endpointID, m, author(c), "saved in the editor")
	}
	if err != nil {
		failed, ok := d.explain(err)
		if !ok {
			return err
		}
		return h.renderEditor(c, fiber.StatusUnprocessableEntity, tenantID, endpointID, d, failed)
	}
	if err := auth.Audit(c, "mapping.save", tenantID, fmt.Sprintf("endpoint:%d", endpointID), nil, m); err != nil {
		return err
	}
	return c.Redirect(auth.Done(editorURL(tenantID, endpointID), "mapping-saved"), fiber.StatusSeeOther)
}

// editRules applies a no-JavaScript rule button: add, up:i, down:i, remove:i.
func editRules(rs []views.Rule, act string) []views.Rule {
	verb, idx, _ := strings.Cut(act, ":")
	i, _ := strconv.Atoi(idx)
	switch {
	case verb == "add":
		return append(rs, views.Rule{})
	case i < 0 || i >= len(rs):
	case verb == "remove":
		return append(rs[:i], rs[i+1:]...)
	case verb == "up" && i > 0:
		rs[i-1], rs[i] = rs[i], rs[i-1]
	case verb == "down" && i+1 < len(rs):
		rs[i+1], rs[i] = rs[i], rs[i+1]
	}
	return rs
}

// handleEditorPreview answers the live preview pane (htmx, as you type).
func (h *Handler) handleEditorPreview(c *fiber.Ctx) error {
	if _, _, err := endpointParams(c, auth.PermRead); err != nil {
		return err
	}
	return auth.Render(c, fiber.StatusOK, views.MappingPreviewPane(h.preview(c, draftFromForm(c))))
}

// handleEditorPreset loads a preset into the editor (not saved).
func (h *Handler) handleEditorPreset(c *fiber.Ctx) error {
	tenantID, endpointID, err := endpointParams(c, auth.PermEditConfig)
	if err != nil {
		return err
	}
	pr, ok := FindPreset(c.FormValue("preset"))
	if !ok {
		return h.renderEditor(c, fiber.StatusUnprocessableEntity, tenantID, endpointID, draft{Mode: "rules", Sample: "evaluation"},
			[]views.MappingError{{Reason: "unknown preset"}})
	}
	m, err := ParseMapping(pr.Mapping)
	if err != nil {
		return err
	}
	d := draftOf(m)
	d.PresetNote = presetNotes(pr)
	return h.renderEditor(c, fiber.StatusOK, tenantID, endpointID, d, nil)
}

func (h *Handler) handleEditorRestore(c *fiber.Ctx) error {
	tenantID, endpointID, err := endpointParams(c, auth.PermEditConfig)
	if err != nil {
		return err
	}
	n, err := versionNumber(c.Params("version"), "version")
	if err != nil {
		return err
	}
	if _, err := h.store.RestoreVersion(c.UserContext(), tenantID, endpointID, n, author(c)); err != nil {
		return err
	}
	if err := auth.Audit(c, "mapping.restore", tenantID, fmt.Sprintf("endpoint:%d", endpointID), nil, map[string]int{"version": n}); err != nil {
		return err
	}
	return c.Redirect(auth.Done(editorURL(tenantID, endpointID), "mapping-restored"), fiber.StatusSeeOther)
}
