package webhooks

import (
	"context"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/auth"
)

// auditAction records a manual action on one object ("delivery:12",
// "event:7", "endpoint:3") by the request's principal. Call it after the
// action committed.
func auditAction(c *fiber.Ctx, action string, tenantID int64, noun string, id int64, after any) error {
	return auth.Audit(c, action, tenantID, noun+":"+strconv.FormatInt(id, 10), nil, after)
}

// tenantOf returns the tenant_id of row id in table (deliveries, endpoints,
// recording_links), or 0 when it can't be read: the audit row then simply
// names no tenant, and the action it records has already happened.
func tenantOf(ctx context.Context, db *gorm.DB, table string, id int64) int64 {
	var tenantID int64
	db.WithContext(ctx).Table(table).Where("id = ?", id).Select("tenant_id").Scan(&tenantID)
	return tenantID
}
