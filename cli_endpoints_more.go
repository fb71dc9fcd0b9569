package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/tenants"
)

func endpointsRemove(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("endpoints remove", flag.ContinueOnError)
	cf := addCLIFlags(fs)
	tenant := tenantFlag(fs)
	id := fs.Int64("endpoint", 0, "endpoint id (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := needEndpoint(*tenant, *id); err != nil {
		return err
	}
	env, err := cf.open(ctx)
	if err != nil {
		return err
	}
	defer env.db.Close()
	before, err := env.ed.FindEndpoint(ctx, *tenant, *id)
	if err != nil {
		return err
	}
	if err := env.ed.RemoveEndpoint(ctx, *tenant, *id); err != nil {
		return err
	}
	if err := recordCLI(ctx, env.db, "endpoint.delete", *tenant, auditTarget("endpoint", *id), before.View(), nil); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "endpoint %d removed\n", *id)
	return err
}

func endpointsList(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("endpoints list", flag.ContinueOnError)
	cf := addCLIFlags(fs)
	tenant := tenantFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := needTenant(*tenant); err != nil {
		return err
	}
	env, err := cf.open(ctx)
	if err != nil {
		return err
	}
	defer env.db.Close()
	if _, err := env.ed.FindTenant(ctx, *tenant); err != nil {
		return err
	}
	eps, err := env.ed.ListEndpoints(ctx, *tenant)
	if err != nil {
		return err
	}
	return printEndpoints(out, eps)
}

func endpointsRotate(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("endpoints rotate-secret", flag.ContinueOnError)
	cf := addCLIFlags(fs)
	tenant := tenantFlag(fs)
	id := fs.Int64("endpoint", 0, "endpoint id (required)")
	overlap := fs.Duration("overlap", tenants.DefaultSigningOverlap, "how long the previous secret keeps signing")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := needEndpoint(*tenant, *id); err != nil {
		return err
	}
	env, err := cf.open(ctx)
	if err != nil {
		return err
	}
	defer env.db.Close()
	v, err := env.ed.RotateSigningSecret(ctx, *tenant, *id, *overlap)
	if err != nil {
		return err
	}
	after := map[string]any{"overlap": overlap.String()}
	if err := recordCLI(ctx, env.db, "endpoint.rotate_secret", *tenant, auditTarget("endpoint", *id), nil, after); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "new signing secret (shown once, store it now): %s\n", v.NewSigningSecret)
	return err
}

// printEndpoints shows endpoints without any secret: only whether each is set.
func printEndpoints(out io.Writer, eps []tenants.Endpoint) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tURL\tMETHOD\tENABLED\tSUBSCRIPTIONS\tAUTH\tAUTH_SECRET\tSIGNING_SECRET\tCLIENT_CERT")
	for _, e := range eps {
		v := e.View()
		subs := strings.Join(v.Subscriptions, ",")
		if subs == "" {
			subs = "(defaults)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%t\t%s\t%s\t%s\t%s\t%t\n", v.ID, v.URL, v.Method, v.Enabled, subs, v.AuthType,
			secretState(v.AuthSecret), secretState(v.SigningSecret), v.ClientCertPEM != "")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, e := range eps {
		switch e.AuthType {
		case tenants.AuthOAuth2:
			printOAuth2(out, e.View())
		case tenants.AuthBullhorn:
			printBullhorn(out, e.View())
		}
	}
	return nil
}

// printOAuth2 shows an oauth2 endpoint's client credential settings (the
// client secret only as set/not set, in the table above).
func printOAuth2(out io.Writer, v tenants.EndpointView) {
	params := make([]string, 0, len(v.OAuth2Params))
	for _, k := range slices.Sorted(maps.Keys(v.OAuth2Params)) {
		params = append(params, k+"="+v.OAuth2Params[k])
	}
	fmt.Fprintf(out, "endpoint %d oauth2: token_url %s, client_id %s, scopes %q, token params %q, client auth %s\n",
		v.ID, v.OAuth2TokenURL, v.OAuth2ClientID, strings.Join(v.OAuth2Scopes, " "), strings.Join(params, " "), v.OAuth2ClientAuth)
}

// printBullhorn shows a bullhorn endpoint's login settings (the client
// secret and API password only as set/not set).
func printBullhorn(out io.Writer, v tenants.EndpointView) {
	password := tenants.SecretState{}
	if v.BullhornPassword != nil {
		password = *v.BullhornPassword
	}
	redirect := v.BullhornRedirect
	if redirect == "" {
		redirect = "(none)"
	}
	fmt.Fprintf(out, "endpoint %d bullhorn: client_id %s, user %s, password %s, login_info_url %s, redirect_uri %s\n",
		v.ID, v.OAuth2ClientID, v.BullhornUsername, secretState(password), v.BullhornLoginInfo, redirect)
}

func secretState(s tenants.SecretState) string {
	if !s.Set {
		return "not set"
	}
	if s.SetAt != nil {
		return "set " + s.SetAt.UTC().Format("2006-01-02T15:04Z")
	}
	return "set"
}

// printUnroutedGroups lists unrouted events grouped by sourceId (events list --unrouted --grouped).
func printUnroutedGroups(ctx context.Context, db *database.DB, limit int, out io.Writer) error {
	groups, err := tenants.NewStore(db.Gorm).ListUnrouted(ctx, nil, limit)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE_ID\tEVENTS\tFIRST_SEEN\tLAST_SEEN\tTENANT_NOW")
	for _, g := range groups {
		src, owner := "(null)", "-"
		if g.SourceID != nil {
			src = *g.SourceID
		}
		if g.TenantID != nil {
			owner = fmt.Sprintf("%d (tenants deliver-held --tenant %d)", *g.TenantID, *g.TenantID)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", src, g.Count, g.FirstSeen.UTC().Format(time.RFC3339),
			g.LastSeen.UTC().Format(time.RFC3339), owner)
	}
	return tw.Flush()
}
