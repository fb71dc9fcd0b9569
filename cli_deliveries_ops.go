package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/webhooks"
)

func deliveriesBulkRetry(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("deliveries bulk-retry", flag.ContinueOnError)
	dbf := addDBFlags(fs)
	vals := filterFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	f, err := parseFilter(vals)
	if err != nil {
		return err
	}
	if f.TenantID == 0 && f.EndpointID == 0 {
		return errors.New("deliveries bulk-retry: name --tenant or --endpoint")
	}
	return withService(ctx, *dbf.url, func(db *database.DB, svc *webhooks.Service) error {
		n, err := svc.BulkRetry(ctx, f)
		if err != nil {
			return err
		}
		tenantID := f.TenantID
		if tenantID == 0 {
			tenantID = tenantOfRow(ctx, db, "endpoints", f.EndpointID)
		}
		after := map[string]any{"endpoint_id": f.EndpointID, "since": f.Since, "until": f.Until, "retried": n}
		if err := recordCLI(ctx, db, "delivery.bulk_retry", tenantID, auditTarget("tenant", tenantID), nil, after); err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "%d failed deliveries are pending again\n", n)
		return err
	})
}

func deliveriesReplay(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("deliveries replay", flag.ContinueOnError)
	dbf := addDBFlags(fs)
	event := fs.Int64("event", 0, "event id")
	endpoint := fs.Int64("endpoint", 0, "endpoint id (of the event's tenant)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *event <= 0 || *endpoint <= 0 {
		return errors.New("deliveries replay: want --event and --endpoint")
	}
	return withService(ctx, *dbf.url, func(db *database.DB, svc *webhooks.Service) error {
		id, err := svc.Replay(ctx, nil, *event, *endpoint)
		if err != nil {
			return err
		}
		after := map[string]any{"endpoint_id": *endpoint, "delivery_id": id}
		if err := recordCLI(ctx, db, "event.replay", tenantOfRow(ctx, db, "deliveries", id), auditTarget("event", *event), nil, after); err != nil {
			return err
		}
		_, err = fmt.Fprintln(out, id)
		return err
	})
}

func deliveriesTest(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("deliveries test", flag.ContinueOnError)
	dbf := addDBFlags(fs)
	tenant := fs.Int64("tenant", 0, "tenant id")
	endpoint := fs.Int64("endpoint", 0, "endpoint id")
	eventType := fs.String("event-type", "interview.evaluation", "which sample to send")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *tenant <= 0 || *endpoint <= 0 {
		return errors.New("deliveries test: want --tenant and --endpoint")
	}
	return withService(ctx, *dbf.url, func(db *database.DB, svc *webhooks.Service) error {
		id, err := svc.SendTest(ctx, nil, *tenant, *endpoint, *eventType)
		if err != nil {
			return err
		}
		after := map[string]any{"event_type": *eventType, "delivery_id": id}
		if err := recordCLI(ctx, db, "delivery.test", *tenant, auditTarget("endpoint", *endpoint), nil, after); err != nil {
			return err
		}
		_, err = fmt.Fprintln(out, id)
		return err
	})
}

func deliveriesEnableEndpoint(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("deliveries enable-endpoint", flag.ContinueOnError)
	dbf := addDBFlags(fs)
	endpoint := fs.Int64("endpoint", 0, "endpoint id")
	redeliver := fs.Bool("redeliver", false, "also retry what failed while it was failing or disabled")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *endpoint <= 0 {
		return errors.New("deliveries enable-endpoint: want --endpoint")
	}
	return withService(ctx, *dbf.url, func(db *database.DB, svc *webhooks.Service) error {
		n, err := svc.EnableEndpoint(ctx, nil, *endpoint, *redeliver)
		if err != nil {
			return err
		}
		after := map[string]any{"enabled": true, "redeliver": *redeliver, "redelivered": n}
		if err := recordCLI(ctx, db, "endpoint.enable", tenantOfRow(ctx, db, "endpoints", *endpoint), auditTarget("endpoint", *endpoint), nil, after); err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "endpoint %d enabled; %d deliveries pending again\n", *endpoint, n)
		return err
	})
}
