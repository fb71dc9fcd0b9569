package database

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/ncruces/go-sqlite3"
	"gorm.io/gorm"
)

// IsUniqueViolation reports whether err is a unique or primary key violation
// on either dialect.
func IsUniqueViolation(err error) bool {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return true
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	var lite *sqlite3.Error
	if errors.As(err, &lite) {
		x := lite.ExtendedCode()
		return x == sqlite3.CONSTRAINT_UNIQUE || x == sqlite3.CONSTRAINT_PRIMARYKEY
	}
	return false
}
