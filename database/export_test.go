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

// MigrateRiverOnly applies River's migrations and none of ours: the state a
// fresh database has before our first migration.
func (db *DB) MigrateRiverOnly(ctx context.Context) error {
	rm, err := rivermigrate.New(db.RiverDriver(), nil)
	if err != nil {
		return err
	}
	_, err = rm.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}

// MigrateUpByOne applies our next pending migration and returns its
// version, or goose.ErrNoNextVersion when none is pending.
func (db *DB) MigrateUpByOne(ctx context.Context) (int64, error) {
	p, err := db.goose()
	if err != nil {
		return 0, err
	}
	res, err := p.UpByOne(ctx)
	if err != nil {
		return 0, err
	}
	return res.Source.Version, nil
}

// MigrationLockID is the advisory lock Migrate and MigrateDown hold.
const MigrationLockID = migrationLockID
