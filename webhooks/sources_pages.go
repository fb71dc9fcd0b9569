package webhooks

import (
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/views"
)

// SourcesPageRoutes mounts the sources page (inbound secrets) under admin.
// Like the API, every route needs PermEditConfig.
func SourcesPageRoutes(admin fiber.Router, h *SourcesHandler) {
	admin.Get("/sources", h.handleSourcesPage)
	admin.Post("/sources", h.handleSourceCreatePage)
	admin.Post("/sources/:id/rotate", h.handleSourceRotatePage)
	admin.Post("/sources/:id/secrets/:number/revoke", h.handleSourceRevokePage)
}

// sourcesProps lists every secret of every source (hints only).
func (h *SourcesHandler) sourcesProps(c *fiber.Ctx, name views.Field, errMsg string, secret *views.Secret) (views.Sources, error) {
	p := views.Sources{Meta: auth.Meta(c, "Sources", views.NavSources), Action: "/admin/sources", Error: errMsg,
		Name: name, NewSecret: secret, CanEdit: auth.Can(c, auth.PermEditConfig)}
	p.Name.ID, p.Name.Name, p.Name.Label = "source-name", "name", "Name"
	p.Name.Hint = "e.g. the Boooply account; a new secret is generated and shown once."
	list, err := h.store.ListSources(c.UserContext())
	if err != nil {
		return p, err
	}
	now := time.Now()
	for _, s := range list {
		base := "/admin/sources/" + strconv.FormatInt(s.ID, 10)
		for i, sec := range s.Secrets {
			status := "active"
			switch {
			case !s.Enabled:
				status = "disabled"
			case sec.ExpiresAt != nil && now.After(*sec.ExpiresAt):
				status = "revoked"
			case sec.ExpiresAt != nil:
				status = "retiring"
			}
			row := views.SourceRow{Name: fmt.Sprintf("%s #%d", s.Name, sec.Number), Status: status, Hint: sec.Hint,
				Created:   sec.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"),
				RevokeURL: fmt.Sprintf("%s/secrets/%d/revoke", base, sec.Number)}
			if status == "retiring" {
				row.Until = sec.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC")
			}
			if i == len(s.Secrets)-1 {
				row.RotateURL = base + "/rotate"
			}
			p.Rows = append(p.Rows, row)
		}
	}
	return p, nil
}

func (h *SourcesHandler) renderSources(c *fiber.Ctx, status int, name views.Field, errMsg string, secret *views.Secret) error {
	p, err := h.sourcesProps(c, name, errMsg, secret)
	if err != nil {
		return err
	}
	if secret != nil {
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
	return auth.Render(c, status, views.SourcesPage(p))
}

func (h *SourcesHandler) handleSourcesPage(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermEditConfig); err != nil {
		return err
	}
	return h.renderSources(c, fiber.StatusOK, views.Field{}, "", nil)
}

func (h *SourcesHandler) handleSourceCreatePage(c *fiber.Ctx) error {
	if _, err := auth.Require(c, auth.PermEditConfig); err != nil {
		return err
	}
	s := &Source{Name: c.FormValue("name"), Enabled: true}
	plain, err := h.store.CreateSource(c.UserContext(), s, "")
	if err != nil {
		fields, msg, ok := auth.FormErrors(err)
		if !ok {
			return err
		}
		return h.renderSources(c, fiber.StatusUnprocessableEntity, views.Field{Value: s.Name, Error: fields["name"]}, msg, nil)
	}
	h.reload(c.UserContext())
	if err := auth.Audit(c, "source.create", 0, "source:"+strconv.FormatInt(s.ID, 10), nil, s); err != nil {
		return err
	}
	return h.renderSources(c, fiber.StatusCreated, views.Field{}, "", shownSecret(s.Name, plain))
}

func shownSecret(name, plain string) *views.Secret {
	return &views.Secret{ID: "source-secret", Label: "Webhook secret of " + name, Value: plain,
		Note: "Enter it in Boooply's webhook settings. It is shown only now."}
}

func (h *SourcesHandler) handleSourceRotatePage(c *fiber.Ctx) error {
	id, err := h.sourceID(c)
	if err != nil {
		return err
	}
	plain, err := h.store.RotateSecret(c.UserContext(), id, "", DefaultRotationOverlap)
	if err != nil {
		return err
	}
	h.reload(c.UserContext())
	s, err := h.store.FindSource(c.UserContext(), id)
	if err != nil {
		return err
	}
	if err := auth.Audit(c, "source.secret_add", 0, "source:"+strconv.FormatInt(id, 10), nil, nil); err != nil {
		return err
	}
	return h.renderSources(c, fiber.StatusCreated, views.Field{}, "", shownSecret(s.Name, plain))
}

func (h *SourcesHandler) handleSourceRevokePage(c *fiber.Ctx) error {
	if err := h.removeSecret(c); err != nil {
		return err
	}
	return c.Redirect(auth.Done("/admin/sources", "source-revoked"), fiber.StatusSeeOther)
}
