package webhooks

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	"github.com/switchboard-gw/switchboard/problem"
	"github.com/switchboard-gw/switchboard/routing"
	"github.com/switchboard-gw/switchboard/tenants"
)

// targetRow is one delivery with its event, endpoint and the endpoint's
// health, read by one joined query; each struct's columns carry a prefix
// so the same column names (id, tenant_id, …) don't collide.
type targetRow struct {
	D  Delivery         `gorm:"embedded;embeddedPrefix:d__"`
	E  Event            `gorm:"embedded;embeddedPrefix:e__"`
	EP tenants.Endpoint `gorm:"embedded;embeddedPrefix:ep__"`
	H  EndpointHealth   `gorm:"embedded;embeddedPrefix:h__"`
	// TenantStatus is the delivery's tenant's status (paused and disabled
	// tenants' queued deliveries are not sent).
	TenantStatus tenants.Status `gorm:"column:tn__status"`
	// MappingVersion is the endpoint's current mapping version (nil: none).
	MappingVersion *int64 `gorm:"column:mv__id"`
}

// targetQuery builds the joined SELECT once from the GORM schemas of the
// four structs, so a column added to a struct is read without editing SQL.
type targetQuery struct {
	once sync.Once
	sql  string
	err  error
}

func (q *targetQuery) build(db *gorm.DB) (string, error) {
	q.once.Do(func() {
		var cols []string
		for _, part := range []struct {
			model         any
			alias, prefix string
		}{{&Delivery{}, "d", "d__"}, {&Event{}, "e", "e__"}, {&tenants.Endpoint{}, "ep", "ep__"}, {&EndpointHealth{}, "ep", "h__"}} {
			s, err := schema.Parse(part.model, &sync.Map{}, db.NamingStrategy)
			if err != nil {
				q.err = fmt.Errorf("parse %T: %w", part.model, err)
				return
			}
			for _, c := range s.DBNames {
				cols = append(cols, part.alias+"."+c+" AS "+part.prefix+c)
			}
		}
		cols = append(cols, "tn.status AS tn__status", routing.CurrentVersionSQL("ep.id")+" AS mv__id")
		q.sql = "SELECT " + strings.Join(cols, ", ") + ` FROM deliveries d
			JOIN events e ON e.id = d.event_id JOIN endpoints ep ON ep.id = d.endpoint_id
			JOIN tenants tn ON tn.id = d.tenant_id WHERE d.id = ?`
	})
	return q.sql, q.err
}

// loadJoined reads everything one attempt needs in one round trip: the
// delivery, its event (body included), its endpoint, the endpoint's
// breaker state and its current mapping version (for
// routing.Mapper.RenderVersion). A missing delivery is problem.NotFound.
// The query is built on first use from the structs' GORM schemas.
func loadJoined(ctx context.Context, db *gorm.DB, q *targetQuery, id int64) (*target, error) {
	sql, err := q.build(db)
	if err != nil {
		return nil, err
	}
	var rows []targetRow
	if err := db.WithContext(ctx).Raw(sql, id).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("load delivery %d: %w", id, err)
	}
	if len(rows) == 0 {
		return nil, problem.NotFound("delivery")
	}
	r := &rows[0]
	return &target{delivery: r.D, tenantStatus: r.TenantStatus, event: r.E, endpoint: r.EP, health: r.H, mappingVersion: r.MappingVersion}, nil
}
