package auth

import (
	"bufio"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/switchboard-gw/switchboard/problem"
)

func (s *Service) handleAuditIndex(c *fiber.Ctx) error {
	if _, err := Require(c, PermManageUsers); err != nil {
		return err
	}
	f, err := auditFilter(c)
	if err != nil {
		return err
	}
	items, next, err := s.store.ListAudit(c.UserContext(), f)
	if err != nil {
		return err
	}
	// next and after are the paging vocabulary every list shares ("" on the
	// last page); next_cursor and cursor stay for clients written against them.
	out := fiber.Map{"items": items, "next": "", "next_cursor": nil}
	if next != 0 {
		out["next"] = strconv.FormatInt(next, 10)
		out["next_cursor"] = out["next"]
	}
	return c.JSON(out)
}

func (s *Service) handleAuditExport(c *fiber.Ctx) error {
	if _, err := Require(c, PermManageUsers); err != nil {
		return err
	}
	f, err := auditFilter(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="switchboard-audit.csv"`)
	w := bufio.NewWriter(c.Response().BodyWriter())
	if err := s.store.ExportAuditCSV(ctx, f, w); err != nil {
		return err
	}
	return w.Flush()
}

// auditFilter reads ?actor=&actor_id=&tenant_id=&action=&since=&until=&after=&limit=
// (cursor= is the older name of after=).
func auditFilter(c *fiber.Ctx) (AuditFilter, error) {
	f := AuditFilter{Actor: c.Query("actor"), Action: c.Query("action")}
	var err error
	if f.ActorID, err = queryInt(c, "actor_id"); err != nil {
		return f, err
	}
	if f.TenantID, err = queryInt(c, "tenant_id"); err != nil {
		return f, err
	}
	cursorName := "after"
	if c.Query("after") == "" {
		cursorName = "cursor"
	}
	if f.Cursor, err = queryInt(c, cursorName); err != nil {
		return f, err
	}
	if f.Limit, err = ParseLimit(c.Query("limit"), MaxAuditLimit); err != nil {
		return f, err
	}
	if f.Since, err = queryTime(c, "since"); err != nil {
		return f, err
	}
	f.Until, err = queryTime(c, "until")
	return f, err
}

func queryInt(c *fiber.Ctx, name string) (int64, error) {
	v := c.Query(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, problem.Invalid(name, "must be a positive integer")
	}
	return n, nil
}

func queryTime(c *fiber.Ctx, name string) (time.Time, error) {
	v := c.Query(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, problem.Invalid(name, "must be an RFC 3339 time like 2026-11-26T08:00:00Z")
	}
	return t, nil
}
