package tenants

import (
	"context"
	"fmt"
	"slices"

	"gorm.io/gorm"
)

// unknownTypeClause is the condition of the partial index
// events_unknown_type_idx (migration 00019), repeated word for word: both
// databases use a partial index only for a query that states its condition.
// It names the event types Switchboard knew when the index was built, so the
// index holds only the rare events of other types and costs ingest nothing.
const unknownTypeClause = "event_type NOT IN ('interview.transcript', 'interview.evaluation', 'interview.scores', " +
	"'interview.recording', 'interview.interviewer_evaluation')"

// maxReceivedTypes bounds the received unknown types the endpoint form offers.
const maxReceivedTypes = 50

// ReceivedUnknownTypes lists, sorted, the event types Switchboard has
// received (events still stored, of any tenant) that are not in known: the
// names an endpoint may subscribe to besides the known ones and "*".
// Event type names are Boooply's vocabulary, not a tenant's data.
func (s *Store) ReceivedUnknownTypes(ctx context.Context, known []string) ([]string, error) {
	var names []string
	err := s.db.WithContext(ctx).Table("events").Where(unknownTypeClause).Distinct("event_type").
		Order("event_type").Limit(maxReceivedTypes).Pluck("event_type", &names).Error
	if err != nil {
		return nil, fmt.Errorf("list received event types: %w", err)
	}
	return slices.DeleteFunc(names, func(n string) bool { return slices.Contains(known, n) }), nil
}

// everReceived reports whether an event of eventType is stored, reading
// through db (the caller's transaction, if any). It uses the partial index,
// so it costs one index probe for any name outside the clause's list.
func everReceived(ctx context.Context, db *gorm.DB, eventType string) (bool, error) {
	var hits []string
	err := db.WithContext(ctx).Table("events").Where(unknownTypeClause).Where("event_type = ?", eventType).
		Limit(1).Pluck("event_type", &hits).Error
	if err != nil {
		return false, fmt.Errorf("look up received event type: %w", err)
	}
	return len(hits) > 0, nil
}
