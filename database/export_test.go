package database

import (
	"context"
	"fmt"

	"github.com/riverqueue/river/rivermigrate"
)

// MigrateUpTo applies River's migrations and ours up to version, so a test
// can fill a database as an older build left it before migrating the rest.
func (db *DB) MigrateUpTo(ctx context.Context, version int64) error {
	rm, err := rivermigrate.New(db.RiverDriver(), nil)
	if err != nil {
		return err
	}
	if _, err := rm.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return err
	}
	p, err := db.goose()
	if err != nil {
		return err
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		return fmt.Errorf("migrate up to %d: %w", version, err)
	}
	return nil
}

// MigrateDownTo rolls our migrations back to version.
func (db *DB) MigrateDownTo(ctx context.Context, version int64) error {
	p, err := db.goose()
	if err != nil {
		return err
	}
	if _, err := p.DownTo(ctx, version); err != nil {
		return fmt.Errorf("migrate down to %d: %w", version, err)
	}
	return nil
}
