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
	"time"

	"github.com/riverqueue/river"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/egress"
	"github.com/switchboard-gw/switchboard/routing"
	"github.com/switchboard-gw/switchboard/secrets"
	"github.com/switchboard-gw/switchboard/tenants"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

const tenantsActions = "create, import, list, show, update, pause, resume, disable, delete or deliver-held"

func cmdTenants(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("tenants: want " + tenantsActions)
	}
	actions := map[string]command{
		"create": tenantsCreate, "import": tenantsImport, "list": tenantsList, "show": tenantsShow, "update": tenantsUpdate,
		"pause": tenantsSetStatus(tenants.StatusPaused), "disable": tenantsSetStatus(tenants.StatusDisabled),
		"resume": tenantsResume, "delete": tenantsDelete, "deliver-held": tenantsDeliverHeld,
	}
	act, ok := actions[args[0]]
	if !ok {
		return fmt.Errorf("tenants: unknown action %q (want %s)", args[0], tenantsActions)
	}
	return act(ctx, args[1:], out)
}

// cliFlags are the flags of every tenants/endpoints action.
type cliFlags struct {
	dbFlags
	secretKey *string
}

func addCLIFlags(fs *flag.FlagSet) cliFlags {
	return cliFlags{dbFlags: addDBFlags(fs),
		secretKey: fs.String("secret-key", os.Getenv("SWITCHBOARD_SECRET_KEY"), "key for secrets at rest (SWITCHBOARD_SECRET_KEY)")}
}

// cliEnv is an open database with the editor over it.
type cliEnv struct {
	db *database.DB
	ed *tenants.Editor
}

// open opens and migrates the database and loads the secret key the way serve does.
func (f cliFlags) open(ctx context.Context) (*cliEnv, error) {
	db, err := openMigratedDB(ctx, *f.url)
	if err != nil {
		return nil, err
	}
	var ring *secrets.Keyring
	key, err := loadSecretKey(Config{SecretKey: *f.secretKey}, db, slog.New(slog.NewTextHandler(os.Stderr, nil)))
	switch {
	case err == nil:
		ring = secrets.NewKeyring(key)
	case *f.secretKey != "":
		db.Close()
		return nil, err
	default:
		// PostgreSQL without the key: tenants and plain endpoints can still be
		// created (scripts rely on it); storing a secret is refused.
		fmt.Fprintln(os.Stderr, "switchboard: no SWITCHBOARD_SECRET_KEY: endpoints get no signing secret and secrets can't be stored")
	}
	guard := &egress.Guard{AllowPrivate: *f.allowPrivate}
	return &cliEnv{db: db, ed: newEditor(db, ring, guard, nil, nil)}, nil
}

// held returns the service that schedules held deliveries, with an
// insert-only queue client (the serving processes work the jobs).
// retrySchedule is the --retry-schedule value, validated like serve's.
func (e *cliEnv) held(retrySchedule string) (*webhooks.Service, error) {
	schedule, err := parseSchedule(retrySchedule)
	if err != nil {
		return nil, fmt.Errorf("--retry-schedule: %w", err)
	}
	queue, err := river.NewClient(e.db.RiverDriver(), &river.Config{})
	if err != nil {
		return nil, fmt.Errorf("delivery queue: %w", err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return webhooks.NewService(e.db.Gorm, routing.NewPlanner(), queue, webhooks.NewRetryPolicy(schedule, 0.2), log), nil
}

func tenantsCreate(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("tenants create", flag.ContinueOnError)
	cf := addCLIFlags(fs)
	name := fs.String("name", "", "tenant name (required)")
	sourceID := fs.String("source-id", "", "Boooply sourceId (the organizationId passed to Boooply) (required)")
	notes := fs.String("notes", "", "free-text notes")
	status := fs.String("status", "active", "active, paused or disabled")
	var urls stringList
	fs.Var(&urls, "endpoint", "endpoint URL; repeat for several (signing secrets: see endpoints rotate-secret)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	t := &tenants.Tenant{Name: *name, SourceID: *sourceID, Notes: *notes, Status: tenants.Status(*status)}
	if err := t.Validate(); err != nil {
		return err
	}
	inputs := make([]tenants.EndpointInput, len(urls))
	for i := range urls {
		inputs[i].URL = &urls[i]
	}
	env, err := cf.open(ctx)
	if err != nil {
		return err
	}
	defer env.db.Close()
	views, err := env.ed.CreateTenant(ctx, t, inputs)
	if err != nil {
		return err
	}
	for i := range views {
		views[i] = cliEndpointView(views[i])
	}
	after := map[string]any{"tenant": t, "endpoints": views}
	if err := recordCLI(ctx, env.db, "tenant.create", t.ID, auditTarget("tenant", t.ID), nil, after); err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, t.ID)
	return err
}

func tenantsList(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("tenants list", flag.ContinueOnError)
	cf := addCLIFlags(fs)
	var f tenants.TenantFilter
	fs.StringVar(&f.Search, "search", "", "substring of the name or sourceId")
	status := fs.String("status", "", "only active, paused or disabled tenants")
	fs.StringVar(&f.Sort, "sort", "id", "id, name or source_id; prefix - for descending")
	fs.StringVar(&f.After, "after", "", "cursor printed by the previous page")
	fs.IntVar(&f.Limit, "limit", tenants.DefaultPageSize, "page size (at most 500)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	f.Status = tenants.Status(*status)
	env, err := cf.open(ctx)
	if err != nil {
		return err
	}
	defer env.db.Close()
	ts, next, err := env.ed.ListTenants(ctx, f)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSOURCE_ID\tSTATUS\tENDPOINTS")
	for _, t := range ts {
		eps, err := env.ed.ListEndpoints(ctx, t.ID)
		if err != nil {
			return err
		}
		var urls []string
		for _, e := range eps {
			urls = append(urls, e.URL)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.SourceID, t.Status, strings.Join(urls, " "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if next != "" {
		fmt.Fprintf(out, "more: --after %s\n", next)
	}
	return nil
}

// tenantFlag adds the --tenant flag every action on one tenant takes.
func tenantFlag(fs *flag.FlagSet) *int64 {
	return fs.Int64("tenant", 0, "tenant id (required)")
}

func needTenant(id int64) error {
	if id <= 0 {
		return errors.New("--tenant ID is required")
	}
	return nil
}

func tenantsShow(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("tenants show", flag.ContinueOnError)
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
	t, err := env.ed.FindTenant(ctx, *id)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "id:              %d\nname:            %s\nsource_id:       %s\nstatus:          %s\ncreated_at:      %s\nupdated_at:      %s\n"+
		"inbound_secret:  %s\nboooply_api_key: %s\nnotes:           %s\n\n",
		t.ID, t.Name, t.SourceID, t.Status, t.CreatedAt.UTC().Format(time.RFC3339), t.UpdatedAt.UTC().Format(time.RFC3339),
		secretState(tenants.SecretState{Set: t.InboundSecretSealed != ""}), secretState(tenants.SecretState{Set: t.BoooplyAPIKeySealed != ""}), t.Notes)
	eps, err := env.ed.ListEndpoints(ctx, t.ID)
	if err != nil {
		return err
	}
	return printEndpoints(out, eps)
}

func tenantsUpdate(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("tenants update", flag.ContinueOnError)
	cf := addCLIFlags(fs)
	id := tenantFlag(fs)
	name := fs.String("name", "", "new name")
	sourceID := fs.String("source-id", "", "new sourceId")
	notes := fs.String("notes", "", "new notes")
	inbound := fs.String("inbound-secret-file", "", "file with the tenant's own Boooply webhook secret (- = stdin; empty file clears)")
	apiKey := fs.String("boooply-api-key-file", "", "file with the organization's Boooply API key (- = stdin; empty file clears)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := needTenant(*id); err != nil {
		return err
	}
	var u tenants.TenantUpdate
	var err error
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "name":
			u.Name = name
		case "source-id":
			u.SourceID = sourceID
		case "notes":
			u.Notes = notes
		case "inbound-secret-file":
			err = errors.Join(err, readInto(&u.InboundSecret, *inbound))
		case "boooply-api-key-file":
			err = errors.Join(err, readInto(&u.BoooplyAPIKey, *apiKey))
		}
	})
	if err != nil {
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
	t, err := env.ed.UpdateTenant(ctx, *id, u)
	if err != nil {
		return err
	}
	if err := recordCLI(ctx, env.db, "tenant.update", t.ID, auditTarget("tenant", t.ID), before, t); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "tenant %d updated\n", t.ID)
	return err
}

func tenantsSetStatus(s tenants.Status) command {
	return func(ctx context.Context, args []string, out io.Writer) error {
		fs := flag.NewFlagSet("tenants "+string(s), flag.ContinueOnError)
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
		if _, err := env.ed.UpdateTenant(ctx, *id, tenants.TenantUpdate{Status: &s}); err != nil {
			return err
		}
		action := map[tenants.Status]string{tenants.StatusPaused: "tenant.pause", tenants.StatusDisabled: "tenant.disable"}[s]
		after := map[string]any{"status": s}
		if err := recordCLI(ctx, env.db, action, *id, auditTarget("tenant", *id), map[string]any{"status": before.Status}, after); err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "tenant %d is %s\n", *id, s)
		return err
	}
}
