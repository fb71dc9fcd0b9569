package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/secrets"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// cmdSources manages inbound sources (Boooply platform accounts) and their
// secrets. Running servers pick changes up at their next reload
// (SWITCHBOARD_SOURCES_RELOAD).
func cmdSources(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("sources: want create, list, rotate or delete")
	}
	if !slices.Contains([]string{"create", "list", "rotate", "delete"}, args[0]) {
		// Before the database is opened: a mistyped action created the SQLite file first.
		return fmt.Errorf("sources: unknown action %q (want create, list, rotate or delete)", args[0])
	}
	fs := flag.NewFlagSet("sources "+args[0], flag.ContinueOnError)
	dbf := addDBFlags(fs)
	key := fs.String("secret-key", os.Getenv("SWITCHBOARD_SECRET_KEY"), "key for secrets at rest (SWITCHBOARD_SECRET_KEY)")
	id := fs.Int64("id", 0, "source id (rotate, delete)")
	name := fs.String("name", "", "source name (create)")
	platform := fs.String("platform", "", "X-Boooply-Platform value that selects this source (create; empty: tried for every request)")
	secret := fs.String("secret", "", "the secret Boooply signs with (create, rotate; empty: generate one)")
	overlap := fs.Duration("overlap", webhooks.DefaultRotationOverlap, "how long the previous secrets stay valid (rotate; at most 720h)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	// The store refuses it too, but naming overlap_seconds; say --overlap here.
	if *overlap < 0 || *overlap > webhooks.MaxRotationOverlap {
		return fmt.Errorf("sources %s: --overlap must be between 0 and %dh (30 days)", args[0], int(webhooks.MaxRotationOverlap.Hours()))
	}
	db, err := openMigratedDB(ctx, *dbf.url)
	if err != nil {
		return err
	}
	defer db.Close()
	store, err := sourceStore(db, *key)
	if err != nil {
		return err
	}
	switch args[0] {
	case "create":
		s := &webhooks.Source{Name: *name, Platform: *platform}
		plain, err := store.CreateSource(ctx, s, *secret)
		if err != nil {
			return err
		}
		if err := recordCLI(ctx, db, "source.create", 0, auditTarget("source", s.ID), nil, s); err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "source %d created\nsecret (shown once): %s\n", s.ID, plain)
		return err
	case "rotate":
		plain, err := store.RotateSecret(ctx, *id, *secret, *overlap)
		if err != nil {
			return err
		}
		after := map[string]any{"overlap_seconds": int64(overlap.Seconds())}
		if err := recordCLI(ctx, db, "source.secret_add", 0, auditTarget("source", *id), nil, after); err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "new secret (shown once): %s\nprevious secrets stay valid until %s\n", plain, time.Now().Add(*overlap).UTC().Format(time.RFC3339))
		return err
	case "delete":
		if err := store.DeleteSource(ctx, *id); err != nil {
			return err
		}
		return recordCLI(ctx, db, "source.delete", 0, auditTarget("source", *id), nil, nil)
	case "list":
		return printSources(ctx, store, out)
	}
	return fmt.Errorf("sources: unknown action %q (want create, list, rotate or delete)", args[0])
}

func sourceStore(db *database.DB, key string) (*webhooks.SourceStore, error) {
	k, err := loadSecretKey(Config{SecretKey: key}, db, slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err != nil {
		return nil, err
	}
	return webhooks.NewSourceStore(db.Gorm, secrets.NewKeyring(k)), nil
}

func printSources(ctx context.Context, store *webhooks.SourceStore, out io.Writer) error {
	list, err := store.ListSources(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tPLATFORM\tENABLED\tSECRETS")
	for _, s := range list {
		secs := ""
		for _, x := range s.Secrets {
			secs += fmt.Sprintf("#%d %s", x.Number, x.Hint)
			if x.ExpiresAt != nil {
				secs += " (until " + x.ExpiresAt.UTC().Format(time.RFC3339) + ")"
			}
			secs += "  "
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%v\t%s\n", s.ID, s.Name, s.Platform, s.Enabled, secs)
	}
	return tw.Flush()
}
