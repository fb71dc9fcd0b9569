package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/switchboard-gw/switchboard/loadtest"
)

// loadtestFlags are the flags of `switchboard loadtest`.
type loadtestFlags struct {
	opts                           loadtest.Options
	target, dbURL, jsonOut         string
	apiToken                       string // --target: an admin's Bearer credential; never printed
	admin                          loadtestAdmin
	spawn, asJSON, allowRemote     bool
	keep, child, countStatements   bool
	serverPID                      int
	workers                        int
	retrySchedule, deliveryTimeout string
}

func parseLoadtestFlags(args []string) (*loadtestFlags, error) {
	f := &loadtestFlags{}
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.StringVar(&f.target, "target", "", "base URL of a running Switchboard (loopback unless --allow-remote)")
	fs.BoolVar(&f.spawn, "spawn", false, "run `serve` in-process on --database-url (default: a fresh SQLite file)")
	fs.StringVar(&f.dbURL, "database-url", "", "the target's database, read for stored events, commits, bytes and CPU per stored event, and the insert baseline (optional with --target; --spawn: default a fresh SQLite file)")
	// No default from the environment here: flag's usage would print it.
	fs.StringVar(&f.apiToken, "api-token", "", "--target: an admin's API token (sbt_…) or Bearer JWT; tenants are created through the target's API ("+loadtestTokenEnv+"; never printed)")
	fs.IntVar(&f.opts.CreateConcurrency, "create-concurrency", loadtest.DefaultCreateConcurrency, "tenant-creating API calls at once (imports of up to 1,000 tenants; single creates against a server without the import route)")
	fs.StringVar(&f.opts.Secret, "webhook-secret", os.Getenv("BOOOPLY_WEBHOOK_SECRET"), "inbound secret of the target (generated with --spawn)")
	fs.Float64Var(&f.opts.Rate, "rate", 0, "events per second, open loop (latency counts from each event's scheduled time)")
	fs.IntVar(&f.opts.Concurrency, "concurrency", 0, "closed loop: this many senders back to back (when --rate is 0)")
	fs.DurationVar(&f.opts.Duration, "duration", 10*time.Second, "how long each phase sends (at most 10m)")
	fs.Int64Var(&f.opts.MaxEvents, "max-events", loadtest.MaxEvents, "stop a phase after this many events")
	fs.IntVar(&f.opts.Tenants, "tenants", 10, "tenants to create, one endpoint each")
	fs.Float64Var(&f.opts.SlowShare, "slow-share", 0, "share of traffic for one slow tenant (adds a control phase without it)")
	fs.BoolVar(&f.opts.Hang, "hang", false, "the slow tenant's endpoint never answers (else it answers after --slow-delay)")
	fs.DurationVar(&f.opts.SlowDelay, "slow-delay", 2*time.Second, "answer time of the slow endpoint")
	fs.Float64Var(&f.opts.FailRate, "fail-rate", 0, "share of healthy endpoint answers that are 500 (retried by Switchboard)")
	fs.BoolVar(&f.opts.Baseline, "baseline", false, "also run the workload against a bare Fiber handler and a one-insert-per-request handler")
	fs.DurationVar(&f.opts.Warmup, "warmup", 0, "send to Switchboard for this long first, as a phase of its own (switchboard-warmup), so the measured phase starts warm")
	fs.DurationVar(&f.opts.Drain, "drain", 30*time.Second, "how long to wait for deliveries after sending")
	fs.DurationVar(&f.opts.StatsWait, "db-stats-wait", loadtest.DefaultStatsWait, "PostgreSQL: wait this long after each phase for commit counters (0 skips them)")
	fs.BoolVar(&f.asJSON, "json", false, "print the report as JSON (schema_version, git describe, machine)")
	fs.StringVar(&f.jsonOut, "json-out", "", "also write the JSON report to this file (the table still goes to stdout)")
	fs.BoolVar(&f.allowRemote, "allow-remote", false, "allow a target or database that is not on loopback")
	fs.IntVar(&f.serverPID, "server-pid", 0, "pid of the target server, to report its RSS (with --target)")
	fs.BoolVar(&f.child, "spawn-process", false, "with --spawn: run the server as a child process, so RSS is the server's alone")
	fs.BoolVar(&f.countStatements, "count-statements", false, "with --spawn on PostgreSQL: count the server's statements through a loopback protocol proxy")
	fs.BoolVar(&f.keep, "keep", false, "keep the spawned server's SQLite folder")
	fs.IntVar(&f.workers, "delivery-workers", -1, "--spawn: the server's delivery workers (-1: its default; 0: it only ingests, PostgreSQL)")
	fs.StringVar(&f.retrySchedule, "retry-schedule", "200ms,1s,2s", "--spawn: the server's retry schedule")
	fs.StringVar(&f.deliveryTimeout, "delivery-timeout", "", "--spawn: the server's delivery timeout (empty: its default)")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if f.spawn == (f.target != "") {
		return nil, errors.New("loadtest: give exactly one of --spawn or --target")
	}
	if f.target != "" {
		if err := f.checkTarget(); err != nil {
			return nil, err
		}
	}
	f.opts.DatabaseURL = f.dbURL
	f.opts.Version = loadtest.GitDescribe(version)
	return f, nil
}

// loadtestTokenEnv holds the --target's API token when --api-token is not given.
const loadtestTokenEnv = "SWITCHBOARD_LOADTEST_API_TOKEN"

// checkTarget checks --target and its API token before anything is sent.
func (f *loadtestFlags) checkTarget() error {
	// "localhost:8080" parses as scheme "localhost" with no host: it would
	// pass the loopback check and then fail every request.
	if u, err := url.Parse(f.target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("loadtest: --target %q: want http://host:port", f.target)
	}
	if f.apiToken == "" {
		f.apiToken = strings.TrimSpace(os.Getenv(loadtestTokenEnv))
	}
	if f.apiToken == "" {
		return errors.New("loadtest: --target needs an admin's API token (--api-token or " + loadtestTokenEnv +
			"): the tenants are created through the target's API")
	}
	f.opts.API = loadtest.API{URL: strings.TrimRight(f.target, "/"), Token: f.apiToken}
	return nil
}

func cmdLoadtest(ctx context.Context, args []string, out io.Writer) error {
	if len(args) > 0 && args[0] == "querybench" {
		return cmdQueryBench(ctx, args[1:], out)
	}
	if len(args) > 0 && args[0] == "compare" {
		return loadtestCompare(args[1:], out)
	}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return fmt.Errorf("loadtest: unknown action %q (want compare or querybench, or flags to run a load test)", args[0])
	}
	f, err := parseLoadtestFlags(args)
	if err != nil {
		return err
	}
	f.opts.Log = os.Stderr
	f.opts.RunID = randomHex(3)
	target := loadtest.Target{URL: strings.TrimRight(f.target, "/")}
	// Before anything starts: a spawned server would dial (and migrate) a
	// remote database, and a bad flag would only show after its start.
	if err := f.checkLoopback(target.URL); err != nil {
		return err
	}
	if err := f.checkWorkload(); err != nil {
		return err
	}
	if f.spawn {
		stop, err := f.spawnServer(ctx, &target)
		if err != nil {
			return err
		}
		defer stop()
		if f.opts.API, err = f.admin.signIn(ctx, target.URL, f.opts.RunID); err != nil {
			return err
		}
	} else if f.serverPID > 0 {
		target.RSS, target.RSSWhat = loadtest.RSSOf(f.serverPID), fmt.Sprintf("server pid %d (VmRSS)", f.serverPID)
		target.CPU = loadtest.CPUOf(f.serverPID)
		target.OwnProcess = f.serverPID != os.Getpid()
	}
	rep, err := loadtest.Run(ctx, f.opts, target)
	if err != nil {
		return err
	}
	if f.jsonOut != "" {
		if err := writeReportFile(f.jsonOut, rep); err != nil {
			return err
		}
	}
	if f.asJSON {
		return rep.WriteJSON(out)
	}
	return rep.WriteTable(out)
}

// checkLoopback refuses targets and databases off this machine unless allowed:
// a load test pointed at production by mistake is an outage.
func (f *loadtestFlags) checkLoopback(target string) error {
	if f.allowRemote {
		return nil
	}
	for _, raw := range []string{target, f.opts.DatabaseURL} {
		if raw == "" || strings.HasPrefix(raw, "sqlite:") {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil {
			return fmt.Errorf("loadtest: %q is not a URL", raw)
		}
		for _, host := range urlHosts(u) {
			if !isLocalHost(host) {
				return fmt.Errorf("loadtest: %s is not on loopback; pass --allow-remote if you mean it", host)
			}
		}
	}
	return nil
}

// checkWorkload applies Options.Validate before a server is spawned; the
// secret and database --spawn fills in later are stood in for.
func (f *loadtestFlags) checkWorkload() error {
	o := f.opts
	if f.countStatements {
		if _, err := countableDatabase(o.DatabaseURL); err != nil {
			return err
		}
	}
	if f.spawn {
		o.Secret = "spawned"
		o.API = loadtest.API{URL: "http://spawned", Token: "spawned"}
		if o.DatabaseURL == "" {
			o.DatabaseURL = "sqlite:spawned"
		}
	}
	return o.Validate()
}

// urlHosts lists the hosts a URL connects to. A PostgreSQL URL's host query
// parameter (a list, as libpq reads it) overrides the authority's host.
func urlHosts(u *url.URL) []string {
	if h := u.Query().Get("host"); h != "" && strings.HasPrefix(u.Scheme, "postgres") {
		return strings.Split(h, ",")
	}
	return []string{u.Hostname()}
}

// isLocalHost: a loopback address, localhost, or (for PostgreSQL) a Unix
// socket, named by its directory or left to the driver's default.
func isLocalHost(host string) bool {
	if host == "" || host == "localhost" || strings.HasPrefix(host, "/") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loadtestCompare is `switchboard loadtest compare OLD.json NEW.json`.
func loadtestCompare(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("loadtest compare", flag.ContinueOnError) // no flags: -h says so
	if err := fs.Parse(args); err != nil {
		return err
	}
	if args = fs.Args(); len(args) != 2 {
		return errors.New("loadtest compare: want OLD.json NEW.json")
	}
	old, err := loadtest.ReadReport(args[0])
	if err != nil {
		return err
	}
	cur, err := loadtest.ReadReport(args[1])
	if err != nil {
		return err
	}
	return loadtest.Compare(out, old, cur)
}

func writeReportFile(path string, rep *loadtest.Report) error {
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := rep.WriteJSON(fh); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
