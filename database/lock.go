package database

import (
	"fmt"

	"gorm.io/gorm"
)

// Lock strengths for LockRow.
const (
	// LockForChange is for a change of the row's columns: two changes take
	// turns, so the second reads what the first wrote (no lost update),
	// while other rows' foreign-key checks on it (ingest's) go on.
	LockForChange = "NO KEY UPDATE"
	// LockForDelete is the lock a DELETE needs: it waits for a writer still
	// holding a foreign-key share lock on the row (an ingest committing), so
	// a count of the row's history taken after it sees that writer's rows.
	LockForDelete = "UPDATE"
)

// LockRow locks row id of table on PostgreSQL until tx ends; SQLite
// transactions are serial already. A missing row locks nothing and is no
// error: the caller's own read reports it.
func LockRow(tx *gorm.DB, table string, id int64, strength string) error {
	if tx.Dialector.Name() != "postgres" {
		return nil
	}
	var ids []int64
	if err := tx.Raw("SELECT id FROM "+table+" WHERE id = ? FOR "+strength, id).Scan(&ids).Error; err != nil {
		return fmt.Errorf("lock %s %d: %w", table, id, err)
	}
	return nil
}
