package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/switchboard-gw/switchboard/database"
)

// openDB opens (without migrating) the database a CLI subcommand works on.
func openDB(ctx context.Context, url string) (*database.DB, error) {
	return database.Open(ctx, url)
}

// openMigratedDB opens the database and applies pending migrations, so CLI
// commands work on a fresh machine before serve ever ran.
func openMigratedDB(ctx context.Context, url string) (*database.DB, error) {
	db, err := openDB(ctx, url)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, nil); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func cmdMigrate(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	dbf := addDBFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := openDB(ctx, *dbf.url)
	if err != nil {
		return err
	}
	defer db.Close()
	switch fs.Arg(0) {
	case "", "up":
		if err := db.Migrate(ctx, out); err != nil {
			return err
		}
		_, err := fmt.Fprintln(out, "database is up to date:", db.Where)
		return err
	case "status":
		st, err := db.Status(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "COMPONENT\tVERSION\tNAME\tSTATE")
		for _, s := range st {
			state := "pending"
			if s.Applied {
				state = "applied"
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", s.Component, s.Version, s.Name, state)
		}
		return tw.Flush()
	}
	return fmt.Errorf("migrate: unknown action %q (want up or status)", fs.Arg(0))
}
