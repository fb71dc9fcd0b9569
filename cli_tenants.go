package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/switchboard-gw/switchboard/egress"
	"github.com/switchboard-gw/switchboard/tenants"
)

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func cmdTenants(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("tenants: want create or list")
	}
	switch args[0] {
	case "create":
		return tenantsCreate(ctx, args[1:], out)
	case "list":
		return tenantsList(ctx, args[1:], out)
	}
	return fmt.Errorf("tenants: unknown action %q (want create or list)", args[0])
}

func tenantsCreate(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("tenants create", flag.ContinueOnError)
	dbf := addDBFlags(fs)
	name := fs.String("name", "", "tenant name (required)")
	sourceID := fs.String("source-id", "", "Boooply sourceId (the organizationId passed to Boooply) (required)")
	var urls stringList
	fs.Var(&urls, "endpoint", "endpoint URL; repeat for several")
	if err := fs.Parse(args); err != nil {
		return err
	}
	t := &tenants.Tenant{Name: *name, SourceID: *sourceID}
	if err := t.Validate(); err != nil {
		return err
	}
	guard := &egress.Guard{AllowPrivate: *dbf.allowPrivate}
	eps := make([]*tenants.Endpoint, len(urls))
	for i, u := range urls {
		eps[i] = &tenants.Endpoint{URL: u, Enabled: true}
		if err := eps[i].Validate(ctx, guard); err != nil {
			return err
		}
	}
	db, err := openMigratedDB(ctx, *dbf.url)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := tenants.NewStore(db.Gorm).CreateTenant(ctx, t, eps); err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, t.ID)
	return err
}

func tenantsList(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("tenants list", flag.ContinueOnError)
	dbf := addDBFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := openMigratedDB(ctx, *dbf.url)
	if err != nil {
		return err
	}
	defer db.Close()
	store := tenants.NewStore(db.Gorm)
	ts, err := store.ListTenants(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSOURCE_ID\tSTATUS\tENDPOINTS")
	for _, t := range ts {
		eps, err := store.ListEndpoints(ctx, t.ID)
		if err != nil {
			return err
		}
		var urls []string
		for _, e := range eps {
			urls = append(urls, e.URL)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.SourceID, t.Status, strings.Join(urls, " "))
	}
	return tw.Flush()
}
