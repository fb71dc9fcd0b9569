package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"time"
)

func tenantsResume(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("tenants resume", flag.ContinueOnError)
	cf := addCLIFlags(fs)
	id := tenantFlag(fs)
	schedule := retryScheduleFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := needTenant(*id); err != nil {
		return err
	}
	env, err := cf.open(ctx)
	if err != nil {
		return err
	}
	defer env.db.Close()
	held, err := env.held(*schedule)
	if err != nil {
		return err
	}
	t, n, err := env.ed.Resume(ctx, *id, held)
	if err != nil {
		return err
	}
	if err := recordCLI(ctx, env.db, "tenant.resume", *id, auditTarget("tenant", *id), nil, map[string]any{"status": t.Status, "released": n}); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "tenant %d is active; %d held deliveries released\n", *id, n)
	return err
}

func tenantsDelete(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("tenants delete", flag.ContinueOnError)
	cf := addCLIFlags(fs)
	id := tenantFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := needTenant(*id); err != nil {
		return err
	}
	env, err := cf.open(ctx)
	if err != nil {
		return err
	}
	defer env.db.Close()
	before, err := env.ed.FindTenant(ctx, *id)
	if err != nil {
		return err
	}
	if err := env.ed.DeleteTenant(ctx, *id); err != nil {
		return err
	}
	if err := recordCLI(ctx, env.db, "tenant.delete", *id, auditTarget("tenant", *id), before, nil); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "tenant %d deleted\n", *id)
	return err
}

func tenantsDeliverHeld(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("tenants deliver-held", flag.ContinueOnError)
	cf := addCLIFlags(fs)
	id := tenantFlag(fs)
	sinceStr := fs.String("since", "", "only events received at or after this RFC 3339 time (default: all)")
	nullSource := fs.Bool("null-source", false, "deliver the events that carry no sourceId instead of the tenant's own")
	schedule := retryScheduleFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := needTenant(*id); err != nil {
		return err
	}
	var since time.Time
	if *sinceStr != "" {
		var err error
		if since, err = time.Parse(time.RFC3339, *sinceStr); err != nil {
			return fmt.Errorf("--since: want an RFC 3339 time like 2026-11-01T00:00:00Z: %w", err)
		}
	}
	env, err := cf.open(ctx)
	if err != nil {
		return err
	}
	defer env.db.Close()
	held, err := env.held(*schedule)
	if err != nil {
		return err
	}
	n, err := env.ed.DeliverHeld(ctx, held, *id, *nullSource, since, cliActor())
	if err != nil {
		return err
	}
	after := map[string]any{"since": *sinceStr, "null_source": *nullSource, "events": n}
	if err := recordCLI(ctx, env.db, "unrouted.deliver_held", *id, auditTarget("tenant", *id), nil, after); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%d held events attached to tenant %d and scheduled\n", n, *id)
	return err
}

// cliActor names who ran a CLI command, for the deliver-held record.
func cliActor() string {
	if u, err := user.Current(); err == nil {
		return "cli:" + u.Username
	}
	return "cli"
}

// retryScheduleFlag is serve's --retry-schedule (SWITCHBOARD_RETRY_SCHEDULE)
// for the commands that queue deliveries, so one configuration is checked
// the same way everywhere. The waits themselves are applied per attempt by
// the serving processes' workers (a queued job carries only its delivery id).
func retryScheduleFlag(fs *flag.FlagSet) *string {
	return fs.String("retry-schedule", os.Getenv("SWITCHBOARD_RETRY_SCHEDULE"),
		"comma-separated waits between attempts, as serve takes them (SWITCHBOARD_RETRY_SCHEDULE)")
}
