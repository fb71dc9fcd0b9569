package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/secrets"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// sealedRow is one stored sealed value and what names its context.
type sealedRow struct {
	ID       int64
	SourceID int64
	Number   int
	Sealed   string
}

// sealedColumn is a column of sealed secrets and the context each row's
// value was sealed under (the same one its reader opens it with).
type sealedColumn struct {
	table, column string
	extra         string // more columns the context needs
	context       func(r sealedRow) string
}

// sealedColumns lists every column holding a sealed secret;
// TestKeysResealCoversEverySealedColumn keeps it complete.
var sealedColumns = []sealedColumn{
	{table: "tenants", column: "inbound_secret_sealed", context: func(r sealedRow) string { return webhooks.TenantInboundContext(r.ID) }},
	{table: "tenants", column: "previous_inbound_secret_sealed", context: func(r sealedRow) string { return webhooks.TenantInboundContext(r.ID) + "_prev" }},
	{table: "tenants", column: "boooply_api_key_sealed", context: func(r sealedRow) string { return webhooks.TenantBoooplyKeyContext(r.ID) }},
	{table: "endpoints", column: "auth_secret_sealed", context: func(r sealedRow) string { return tenants.EndpointSecretContext(r.ID, "auth") }},
	{table: "endpoints", column: "signing_secret_sealed", context: func(r sealedRow) string { return tenants.EndpointSecretContext(r.ID, "signing") }},
	{table: "endpoints", column: "previous_signing_secret_sealed", context: func(r sealedRow) string { return tenants.EndpointSecretContext(r.ID, "signing_prev") }},
	{table: "endpoints", column: "client_key_sealed", context: func(r sealedRow) string { return tenants.EndpointSecretContext(r.ID, "client_key") }},
	{table: "endpoints", column: "bullhorn_password_sealed", context: func(r sealedRow) string { return tenants.EndpointSecretContext(r.ID, "bullhorn_password") }},
	{table: "source_secrets", column: "secret_sealed", extra: ", source_id, number", context: func(r sealedRow) string { return webhooks.SourceSecretContext(r.SourceID, r.Number) }},
}

// cachedSealedColumns hold sealed values that are a cache, not
// configuration: stored Bullhorn sessions (keyed by fingerprints under the
// current key, which no replica would find again after a rotation) and
// OAuth2 access tokens (fetched again for the cost of one request). reseal
// deletes those under an older key instead of sealing them again: each
// login opens a new session, each endpoint fetches a new token.
// TestKeysResealCoversEverySealedColumn counts them as known.
var cachedSealedColumns = []struct{ table, column, key string }{
	{table: "bullhorn_sessions", column: "token_sealed", key: "login_key"},
	{table: "oauth2_tokens", column: "token_sealed", key: "endpoint_id"},
}

// resealCount is what reseal did to one column.
type resealCount struct {
	column            string
	resealed, current int
	unreadable        []int64 // row ids no key of the ring opens
}

// cmdKeys re-seals stored secrets under the current SWITCHBOARD_SECRET_KEY
// after a key rotation, so the previous key can be dropped.
func cmdKeys(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] != "reseal" {
		return errors.New("keys: want reseal")
	}
	fs := flag.NewFlagSet("keys reseal", flag.ContinueOnError)
	dbf := addDBFlags(fs)
	key := fs.String("secret-key", os.Getenv("SWITCHBOARD_SECRET_KEY"), "the current key for secrets at rest (SWITCHBOARD_SECRET_KEY)")
	prev := fs.String("previous-secret-keys", os.Getenv("SWITCHBOARD_PREVIOUS_SECRET_KEYS"), "comma-separated old keys the stored secrets may still be sealed with (SWITCHBOARD_PREVIOUS_SECRET_KEYS)")
	dryRun := fs.Bool("dry-run", false, "count what would be re-sealed, change nothing")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	db, err := openMigratedDB(ctx, *dbf.url)
	if err != nil {
		return err
	}
	defer db.Close()
	current, err := loadSecretKey(Config{SecretKey: *key}, db, slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err != nil {
		return err
	}
	previous, err := parsePreviousKeys(splitList(*prev))
	if err != nil {
		return err
	}
	ring := secrets.NewKeyring(current, previous...)
	counts, err := reseal(ctx, db, ring, *dryRun)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	verb := "RESEALED"
	if *dryRun {
		verb = "TO RESEAL"
	}
	fmt.Fprintf(tw, "COLUMN\t%s\tALREADY CURRENT\tUNREADABLE\n", verb)
	var total, bad int
	var badRows []string
	for _, c := range counts {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\n", c.column, c.resealed, c.current, len(c.unreadable))
		total += c.resealed
		bad += len(c.unreadable)
		for _, id := range c.unreadable {
			badRows = append(badRows, fmt.Sprintf("%s id %d", c.column, id))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if !*dryRun && total > 0 {
		after := map[string]any{"key_id": ring.KeyID(), "resealed": total}
		if err := recordCLI(ctx, db, "keys.reseal", 0, "secrets", nil, after); err != nil {
			return err
		}
	}
	if bad > 0 {
		return fmt.Errorf("keys reseal: %d secret(s) open with none of the given keys (%s): list the key they were sealed with in --previous-secret-keys, or set those secrets again",
			bad, strings.Join(badRows, ", "))
	}
	forgotten, err := forgetCachedSecrets(ctx, db, ring, *dryRun)
	if err != nil {
		return err
	}
	for _, f := range forgotten {
		what := "deleted"
		if *dryRun {
			what = "to delete"
		}
		fmt.Fprintf(out, "%s: %d under an older key %s (a cache: their logins open new sessions)\n", f.column, f.resealed, what)
	}
	fmt.Fprintf(out, "every stored secret is sealed with key %s", ring.KeyID())
	if *dryRun && total > 0 {
		fmt.Fprintf(out, " once %d are re-sealed", total)
	}
	fmt.Fprintln(out)
	return nil
}

// forgetCachedSecrets deletes the rows of cachedSealedColumns whose value
// is not under ring's current key (counts them only, with dryRun), and
// returns the columns where it found any; resealed holds the count.
func forgetCachedSecrets(ctx context.Context, db *database.DB, ring *secrets.Keyring, dryRun bool) ([]resealCount, error) {
	var out []resealCount
	for _, col := range cachedSealedColumns {
		c := resealCount{column: col.table + "." + col.column}
		var rows []struct{ Key, Sealed string }
		q := fmt.Sprintf("SELECT %s AS key, %s AS sealed FROM %s", col.key, col.column, col.table)
		if err := db.Gorm.WithContext(ctx).Raw(q).Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("read %s: %w", c.column, err)
		}
		for _, r := range rows {
			if ring.IsCurrent(r.Sealed) {
				continue
			}
			c.resealed++
			if dryRun {
				continue
			}
			del := fmt.Sprintf("DELETE FROM %s WHERE %s = ? AND %s = ?", col.table, col.key, col.column)
			if err := db.Gorm.WithContext(ctx).Exec(del, r.Key, r.Sealed).Error; err != nil {
				return nil, fmt.Errorf("delete %s %s: %w", c.column, col.key, err)
			}
		}
		if c.resealed > 0 {
			out = append(out, c)
		}
	}
	return out, nil
}

// reseal opens every sealed value not under ring's current key and seals
// it again under that key, in place. Each row is updated only if it still
// holds the value read, so a secret set or rotated meanwhile is left alone.
// Values are never printed or returned.
func reseal(ctx context.Context, db *database.DB, ring *secrets.Keyring, dryRun bool) ([]resealCount, error) {
	var out []resealCount
	for _, col := range sealedColumns {
		c := resealCount{column: col.table + "." + col.column}
		var rows []sealedRow
		q := fmt.Sprintf("SELECT id%s, %s AS sealed FROM %s WHERE %s <> '' ORDER BY id", col.extra, col.column, col.table, col.column)
		if err := db.Gorm.WithContext(ctx).Raw(q).Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("read %s: %w", c.column, err)
		}
		for _, r := range rows {
			if ring.IsCurrent(r.Sealed) {
				c.current++
				continue
			}
			plain, err := ring.Open(r.Sealed, col.context(r))
			if err != nil {
				c.unreadable = append(c.unreadable, r.ID)
				continue
			}
			c.resealed++
			if dryRun {
				continue
			}
			fresh, err := ring.Seal(plain, col.context(r))
			if err != nil {
				return nil, err
			}
			upd := fmt.Sprintf("UPDATE %s SET %s = ? WHERE id = ? AND %s = ?", col.table, col.column, col.column)
			res := db.Gorm.WithContext(ctx).Exec(upd, fresh, r.ID, r.Sealed)
			if res.Error != nil {
				return nil, fmt.Errorf("update %s id %d: %w", c.column, r.ID, res.Error)
			}
			if res.RowsAffected == 0 {
				c.resealed-- // set or rotated meanwhile: sealed by whoever wrote it
			}
		}
		out = append(out, c)
	}
	return out, nil
}
