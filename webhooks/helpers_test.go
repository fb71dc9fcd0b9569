package webhooks

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/secrets"
)

const testKeyB64 = "jDLh3evmDAXUsUBQbHAaWNgOKWgsEh3jRPnychVJku8="

func testKeyring(t testing.TB) *secrets.Keyring {
	t.Helper()
	k, err := secrets.ParseKey(testKeyB64)
	if err != nil {
		t.Fatal(err)
	}
	return secrets.NewKeyring(k)
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// testApp is a Fiber app with the ingest route and an error handler that
// maps problem codes the way main's does.
func testApp(h *Handler, mount ...func(*fiber.App)) *fiber.App {
	app := fiber.New(fiber.Config{BodyLimit: 1 << 20, ErrorHandler: func(c *fiber.Ctx, err error) error {
		if p, ok := problem.As(err); ok {
			if p.RetryAfter > 0 {
				c.Set(fiber.HeaderRetryAfter, "5")
			}
			return c.Status(problem.Status(p.Code)).JSON(p)
		}
		var fe *fiber.Error
		if errors.As(err, &fe) {
			return c.Status(fe.Code).JSON(fiber.Map{"code": "fiber", "message": fe.Message})
		}
		return c.Status(500).JSON(fiber.Map{"code": "internal"})
	}})
	if h != nil {
		Routes(app, h)
	}
	for _, m := range mount {
		m(app)
	}
	return app
}

// asRole injects a principal (and the audit store over db) the way the auth middleware does.
func asRole(role auth.Role, db *gorm.DB) fiber.Handler {
	audit := auth.NewStore(db)
	return func(c *fiber.Ctx) error {
		auth.SetAuditor(c, audit)
		if role != "" {
			auth.SetPrincipal(c, &auth.Principal{Email: string(role) + "@test", Role: role})
		}
		return c.Next()
	}
}

// postWebhook sends body to the ingest route with the given headers.
func postWebhook(t testing.TB, app *fiber.App, body []byte, headers map[string]string) (int, string, http.Header) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/webhooks/boooply", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// newTestHandler is the ingest handler over db with the given static secrets.
func newTestHandler(t testing.TB, db *database.DB, bearer BearerMode, static ...string) (*Handler, *Keys, *Service) {
	t.Helper()
	svc := newTestService(t, db)
	keys := NewKeys(db.Gorm, testKeyring(t), static, discardLog())
	if err := keys.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	return NewHandler(svc, keys, bearer, discardLog()), keys, svc
}
