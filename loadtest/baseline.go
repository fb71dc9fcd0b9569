package loadtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// The baselines are the machine's own ceilings for the same workload: a Fiber
// handler that only verifies the HMAC (the HTTP + crypto ceiling), and one that
// also inserts the body as one row per request into the same database (the
// durable-write ceiling without batching).

// StartFiberBaseline serves POST /webhooks/boooply on a free loopback port:
// verify the signature, answer 200. stop shuts it down.
func StartFiberBaseline(secret string) (url string, stop func(), err error) {
	candidates := [][]byte{[]byte(secret)}
	app := newBaselineApp()
	app.Post("/webhooks/boooply", func(c *fiber.Ctx) error {
		if webhooks.VerifyWith(candidates, c.Body(), c.Get("X-Boooply-Signature")) != nil {
			return c.SendStatus(fiber.StatusUnauthorized)
		}
		return c.JSON(fiber.Map{"status": "accepted"})
	})
	url, err = listen(app)
	return url, func() { _ = app.ShutdownWithTimeout(5 * time.Second) }, err
}

// StartInsertBaseline is StartFiberBaseline plus one INSERT of the body per
// request into a scratch table: on PostgreSQL a scratch schema in the target
// database (dropped by stop), on SQLite a scratch file beside the target's
// (removed by stop), opened with Switchboard's own pool settings.
func StartInsertBaseline(ctx context.Context, secret, dbURL string) (url string, stop func() error, err error) {
	var b [4]byte
	_, _ = rand.Read(b[:])
	scratchURL, table, cleanup := dbURL, "loadtest_scratch_"+hex.EncodeToString(b[:]), ""
	if strings.HasPrefix(dbURL, "sqlite:") {
		path := filepath.Join(filepath.Dir(strings.TrimPrefix(dbURL, "sqlite:")), table+".db")
		scratchURL, cleanup = "sqlite:"+path, path
	}
	db, err := database.Open(ctx, scratchURL)
	if err != nil {
		return "", nil, err
	}
	ddl, insert := scratchSQL(db.Dialect, table)
	if _, err := db.SQL.ExecContext(ctx, ddl); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("create scratch table: %w", err)
	}
	candidates := [][]byte{[]byte(secret)}
	app := newBaselineApp()
	app.Post("/webhooks/boooply", func(c *fiber.Ctx) error {
		if webhooks.VerifyWith(candidates, c.Body(), c.Get("X-Boooply-Signature")) != nil {
			return c.SendStatus(fiber.StatusUnauthorized)
		}
		if _, err := db.SQL.ExecContext(c.UserContext(), insert, c.Body(), time.Now().UTC()); err != nil {
			return c.SendStatus(fiber.StatusServiceUnavailable)
		}
		return c.JSON(fiber.Map{"status": "accepted"})
	})
	url, err = listen(app)
	stop = func() error {
		_ = app.ShutdownWithTimeout(5 * time.Second)
		var err error
		if cleanup == "" {
			_, err = db.SQL.ExecContext(context.Background(), "DROP SCHEMA "+table+" CASCADE")
		}
		db.Close()
		if cleanup != "" {
			for _, f := range []string{cleanup, cleanup + "-wal", cleanup + "-shm"} {
				_ = os.Remove(f)
			}
		}
		return err
	}
	return url, stop, err
}

func scratchSQL(d database.Dialect, name string) (ddl, insert string) {
	if d == database.Postgres {
		return "CREATE SCHEMA " + name + "; CREATE TABLE " + name + ".events (id BIGSERIAL PRIMARY KEY, body BYTEA NOT NULL, received_at TIMESTAMPTZ NOT NULL)",
			"INSERT INTO " + name + ".events (body, received_at) VALUES ($1, $2)"
	}
	return "CREATE TABLE events (id INTEGER PRIMARY KEY, body BLOB NOT NULL, received_at TIMESTAMP NOT NULL)",
		"INSERT INTO events (body, received_at) VALUES (?, ?)"
}

func newBaselineApp() *fiber.App {
	return fiber.New(fiber.Config{DisableStartupMessage: true, BodyLimit: 10 << 20,
		ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second})
}

func listen(app *fiber.App) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	go app.Listener(ln) //nolint:errcheck // ends with Shutdown
	return "http://" + ln.Addr().String(), nil
}
