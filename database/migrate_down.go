package database

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/pressly/goose/v3"
)

// MigrateDown rolls Switchboard's migrations back, newest first, until
// version is the newest one applied, so a previous release can run on the
// schema it knows. It reports each step to out (nil to discard) before and
// after running it, so a step that waits or fails is named. River's
// migrations are left alone: every release so far uses the same River.
//
// It holds the lock Migrate holds, so a replica starting meanwhile cannot
// migrate up under it. It refuses a version above the current one and a
// database never migrated. A step that
// fails stops the rollback there; the error names it, and every step
// before it stays rolled back.
func (db *DB) MigrateDown(ctx context.Context, version int64, out io.Writer) error {
	if out == nil {
		out = io.Discard
	}
	unlock, err := db.lockMigrations(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	p, err := db.goose()
	if err != nil {
		return err
	}
	current, err := db.currentVersion(ctx, p)
	if err != nil {
		return err
	}
	if err := checkDownTarget(version, current); err != nil {
		return err
	}
	if current == version {
		_, err := fmt.Fprintf(out, "switchboard migrations are already at version %d: nothing to roll back\n", version)
		return err
	}
	for current > version {
		if err := downOneStep(ctx, p, current, out); err != nil {
			return err
		}
		if current, err = p.GetDBVersion(ctx); err != nil {
			return fmt.Errorf("read switchboard migration version: %w", err)
		}
	}
	return nil
}

// currentVersion is the newest Switchboard migration applied. It reads
// nothing it would have to create: goose makes its version table when asked
// about a database without one.
func (db *DB) currentVersion(ctx context.Context, p *goose.Provider) (int64, error) {
	versioned, err := db.hasTable(ctx, goose.DefaultTablename)
	if err != nil {
		return 0, err
	}
	if !versioned {
		return 0, errors.New("no switchboard migration was ever applied to this database: nothing to roll back")
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("read switchboard migration version: %w", err)
	}
	return v, nil
}

// checkDownTarget refuses a "rollback" that would go up.
func checkDownTarget(version, current int64) error {
	if version < 0 {
		return fmt.Errorf("migrate down --to %d: want a version of 0 or more", version)
	}
	if version > current {
		return fmt.Errorf("migrate down --to %d: the database is at version %d; down only goes back (use migrate up)", version, current)
	}
	return nil
}

// downOneStep rolls back migration current (the newest applied) and says so.
func downOneStep(ctx context.Context, p *goose.Provider, current int64, out io.Writer) error {
	name := sourceName(p, current)
	fmt.Fprintf(out, "rolling back switchboard migration %d (%s)\n", current, name)
	res, err := p.Down(ctx)
	if err != nil {
		return fmt.Errorf("roll back switchboard migration %d (%s): %w", current, name, err)
	}
	_, err = fmt.Fprintf(out, "rolled back switchboard migration %d in %s\n", res.Source.Version, res.Duration.Round(1e6))
	return err
}

func sourceName(p *goose.Provider, version int64) string {
	for _, src := range p.ListSources() {
		if src.Version == version {
			return filepath.Base(src.Path)
		}
	}
	return "unknown file"
}
