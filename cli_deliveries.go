package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/riverqueue/river"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/webhooks"
)

const deliveriesUsage = "deliveries: want list, show ID, retry ID, bulk-retry, replay, test or enable-endpoint"

// cmdDeliveries is the operator's view of deliveries (unscoped: it has the database).
func cmdDeliveries(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(deliveriesUsage)
	}
	sub := map[string]func(context.Context, []string, io.Writer) error{
		"list": deliveriesList, "show": deliveriesShow, "retry": deliveriesRetry, "bulk-retry": deliveriesBulkRetry,
		"replay": deliveriesReplay, "test": deliveriesTest, "enable-endpoint": deliveriesEnableEndpoint,
	}[args[0]]
	if sub == nil {
		return errors.New(deliveriesUsage)
	}
	return sub(ctx, args[1:], out)
}

// filterFlags are the list and bulk-retry filters, spelled like the API's query.
func filterFlags(fs *flag.FlagSet) map[string]*string {
	names := map[string]string{"tenant_id": "tenant", "endpoint_id": "endpoint", "event_type": "event-type",
		"meeting_code": "meeting-code", "candidate_name": "candidate-name", "since": "since", "until": "until", "after": "after", "limit": "limit"}
	out := map[string]*string{}
	for key, flagName := range names {
		out[key] = fs.String(flagName, "", "filter: "+key+" (times in RFC 3339)")
	}
	out["status"] = fs.String("status", "", "filter: status ("+webhooks.DeliveryStatusNames()+")")
	return out
}

func parseFilter(vals map[string]*string) (webhooks.DeliveryFilter, error) {
	return webhooks.ParseDeliveryFilter(func(key string, _ ...string) string { return *vals[key] })
}

func deliveriesList(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("deliveries list", flag.ContinueOnError)
	dbf := addDBFlags(fs)
	vals := filterFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	f, err := parseFilter(vals)
	if err != nil {
		return err
	}
	db, err := openMigratedDB(ctx, *dbf.url)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, next, err := webhooks.NewStore(db.Gorm).ListDeliveryRows(ctx, f)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCREATED\tTENANT\tENDPOINT\tEVENT\tMEETING_CODE\tSTATUS\tATTEMPTS\tLAST")
	for _, r := range rows {
		last := r.LastError
		if r.LastStatusCode != nil {
			last = strconv.Itoa(*r.LastStatusCode) + " " + last
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%s\t%s\t%s\t%d\t%s\n", r.ID, r.CreatedAt.UTC().Format(time.RFC3339), r.TenantID,
			r.EndpointID, r.EventType, r.MeetingCode, r.Status, r.Attempts, last)
	}
	if next > 0 {
		fmt.Fprintf(tw, "next page: --after %d\n", next)
	}
	return tw.Flush()
}

func deliveriesShow(ctx context.Context, args []string, out io.Writer) error {
	return withDeliveryID(ctx, "deliveries show", args, func(db *database.DB, _ *webhooks.Service, id int64) error {
		d, err := webhooks.NewStore(db.Gorm).FindDelivery(ctx, nil, id)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(webhooks.DeliveryDetailJSON(d)) // the API's shape, so scripts read one
	})
}

func deliveriesRetry(ctx context.Context, args []string, out io.Writer) error {
	return withDeliveryID(ctx, "deliveries retry", args, func(db *database.DB, svc *webhooks.Service, id int64) error {
		if err := svc.RetryDelivery(ctx, nil, id); err != nil {
			return err
		}
		if err := recordCLI(ctx, db, "delivery.retry", tenantOfRow(ctx, db, "deliveries", id), auditTarget("delivery", id), nil, nil); err != nil {
			return err
		}
		_, err := fmt.Fprintf(out, "delivery %d is pending again\n", id)
		return err
	})
}

// withDeliveryID parses "ID [flags]" or "[flags] ID", opens the database and
// an insert-only queue. The flag package stops at the first non-flag, so an
// ID given first is taken off before parsing: otherwise the flags after it
// (--database-url) would be ignored and the default database used.
func withDeliveryID(ctx context.Context, name string, args []string, fn func(*database.DB, *webhooks.Service, int64) error) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	dbf := addDBFlags(fs)
	var rest []string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		rest, args = args[:1], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	rest = append(rest, fs.Args()...)
	if len(rest) != 1 {
		return fmt.Errorf("%s: want one delivery id, got %q", name, rest)
	}
	id, err := strconv.ParseInt(rest[0], 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("%s: want a delivery id", name)
	}
	return withService(ctx, *dbf.url, func(db *database.DB, svc *webhooks.Service) error { return fn(db, svc, id) })
}

// withService opens the database and a River client that only inserts
// (running servers work the jobs).
func withService(ctx context.Context, url string, fn func(*database.DB, *webhooks.Service) error) error {
	db, err := openMigratedDB(ctx, url)
	if err != nil {
		return err
	}
	defer db.Close()
	queue, err := river.NewClient[*sql.Tx](db.RiverDriver(), &river.Config{})
	if err != nil {
		return fmt.Errorf("delivery queue: %w", err)
	}
	log := slog.New(slog.DiscardHandler)
	return fn(db, webhooks.NewService(db.Gorm, nil, queue, webhooks.NewRetryPolicy(nil, 0.2), log))
}
