// Package loadtest drives a Switchboard server the way Boooply and the
// tenants' ATS would: loopback receivers stand in for ATS endpoints, tenants
// are created through the target's API, signed realistic events are posted
// at a fixed rate or concurrency, and the report gives acks, latency,
// end-to-end lag, duplicates, missing events and memory, next to baselines
// measured in the same run on the same machine.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Hard caps, so a typo can't run for an hour or fill the disk.
const (
	MaxDuration = 10 * time.Minute
	MaxEvents   = 2_000_000
	MaxTenants  = 100_000
	// MinRate keeps an open loop's interval between events a valid
	// duration: a smaller rate overflowed it and sent without pause.
	MinRate = 0.01
	MaxRate = 50_000
)

// Options configure a run.
type Options struct {
	Workload
	RunID  string // short id that keeps sourceIds and meetingCodes unique per run
	Secret string // inbound HMAC secret the target verifies with
	API    API    // the target's API, where the tenants are created
	// CreateConcurrency is how many tenant-creating API calls run at once (0: DefaultCreateConcurrency).
	CreateConcurrency int
	// DatabaseURL is the target's database, read for the figures the API
	// does not give (stored events, commits, bytes per event, CPU per
	// stored event) and used by the insert baseline. Optional: without
	// it those figures are reported unavailable.
	DatabaseURL string
	Drain       time.Duration
	// Warmup, when set, sends the same workload to Switchboard for this long
	// first, as its own phase ("switchboard-warmup", reported like any
	// other): the measured phase then starts on open connections, warm
	// caches and a grown heap, as a sustained stream would.
	Warmup    time.Duration
	Hang      bool          // the slow tenant never answers (else it answers after SlowDelay)
	SlowDelay time.Duration // answer time of a Slow endpoint
	FailRate  float64       // share of healthy receiver answers that are 500
	Baseline  bool          // also run the same workload against the two baselines
	StatsWait time.Duration // PostgreSQL: wait before reading commit counters; 0 skips them
	Log       io.Writer     // progress lines (never the report)
	Version   string        // git describe of the code under test
}

// Target is the Switchboard server under test.
type Target struct {
	URL string       // base URL; events go to URL + "/webhooks/boooply"
	RSS func() int64 // resident memory of the server process in bytes; nil if unknown
	// RSSWhat says whose memory RSS reads ("server pid 123", "this process (in-process server)").
	RSSWhat string
	// CPU reads the server process's CPU time (user + system); nil when the
	// server's pid is unknown or shared with the load tool.
	CPU func() time.Duration
	// OwnProcess is true when the server runs in a process of its own (a
	// child, or --server-pid of another process): then the load tool's own
	// CPU is reported beside it.
	OwnProcess bool
	// Statements, when set, returns the server's statement counts so far (StatementCounter.Snapshot).
	Statements func() map[string]int64
}

// Validate applies defaults and enforces the hard caps.
func (o *Options) Validate() error {
	switch {
	case o.Duration <= 0 || o.Duration > MaxDuration:
		return fmt.Errorf("duration must be between 0 and %s", MaxDuration)
	case o.Warmup < 0 || o.Warmup > MaxDuration:
		return fmt.Errorf("warm-up must be between 0 and %s", MaxDuration)
	case o.Rate == 0 && o.Concurrency <= 0:
		return errors.New("give --rate (open loop) or --concurrency (closed loop)")
	case o.Rate != 0 && !(o.Rate >= MinRate && o.Rate <= MaxRate): // NaN fails both
		return fmt.Errorf("rate must be between %g and %d events/s (0 with --concurrency)", MinRate, MaxRate)
	case o.Concurrency > 4096:
		return errors.New("concurrency is capped at 4096")
	case o.Tenants < 1 || o.Tenants > MaxTenants:
		return fmt.Errorf("tenants must be between 1 and %d", MaxTenants)
	case !(o.SlowShare >= 0 && o.SlowShare < 1):
		return errors.New("slow share must be in [0, 1)")
	case o.SlowShare > 0 && o.Tenants < 2:
		return errors.New("a slow tenant needs at least 2 tenants")
	case !(o.FailRate >= 0 && o.FailRate < 1):
		return errors.New("fail rate must be in [0, 1)")
	case o.Drain < 0 || o.Drain > MaxDuration:
		return fmt.Errorf("drain must be between 0 and %s", MaxDuration)
	case o.StatsWait < 0 || o.StatsWait > MaxDuration:
		return fmt.Errorf("db stats wait must be between 0 and %s", MaxDuration)
	case o.SlowDelay < 0 || o.SlowDelay > MaxDuration:
		return fmt.Errorf("slow delay must be between 0 and %s", MaxDuration)
	case o.Secret == "":
		return errors.New("a run needs the target's webhook secret")
	case o.API.URL == "" || o.API.Token == "":
		return errors.New("a run needs an admin's API token of the target: its tenants are created through its API")
	case o.CreateConcurrency < 0 || o.CreateConcurrency > MaxCreateConcurrency:
		return fmt.Errorf("create concurrency must be between 1 and %d", MaxCreateConcurrency)
	case o.Baseline && o.DatabaseURL == "":
		return errors.New("--baseline needs --database-url: the insert baseline writes into the target's database")
	}
	if o.CreateConcurrency == 0 {
		o.CreateConcurrency = DefaultCreateConcurrency
	}
	if o.MaxEvents <= 0 || o.MaxEvents > MaxEvents {
		o.MaxEvents = MaxEvents
	}
	if o.Drain <= 0 {
		o.Drain = 30 * time.Second
	}
	o.SlowTenant = -1
	if o.SlowShare > 0 {
		o.SlowTenant = 0
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return nil
}

// Run creates the tenants, runs every phase and returns the report.
func Run(ctx context.Context, o Options, target Target) (*Report, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	recv, err := StartReceiver()
	if err != nil {
		return nil, fmt.Errorf("start receiver: %w", err)
	}
	defer recv.Close()
	recv.FailRate, recv.SlowDelay = o.FailRate, o.SlowDelay
	gen, err := NewGenerator(o.RunID, o.Secret)
	if err != nil {
		return nil, err
	}
	rep := newReport(o, target)
	began := time.Now()
	keys, err := CreateTenants(ctx, o.API, o.RunID, o.Tenants, o.CreateConcurrency, recv.EndpointURL)
	if err != nil {
		return nil, err
	}
	recv.SetSigningKeys(keys)
	rep.TenantsCreateS = time.Since(began).Seconds()
	fmt.Fprintf(o.Log, "created %d tenants through the API in %.1fs (%d calls at a time)\n", o.Tenants, rep.TenantsCreateS, o.CreateConcurrency)
	probe, err := openProbe(ctx, o.DatabaseURL)
	if err != nil {
		return nil, err
	}
	defer probe.close()
	p := &phaseRunner{o: o, gen: gen, recv: recv, probe: probe}
	if o.Baseline {
		if err := p.baselines(ctx, rep); err != nil {
			return nil, err
		}
	}
	if o.Warmup > 0 {
		rep.add(p.runFor(ctx, "switchboard-warmup", target, true, o.Warmup, false))
	}
	if o.SlowTenant >= 0 {
		rep.add(p.run(ctx, "switchboard-control", target, true))
		recv.SetSlowTenant(o.SlowTenant, slowBehaviour(o.Hang))
	}
	rep.add(p.run(ctx, "switchboard", target, true))
	rep.finish()
	if probe != nil {
		if rep.Storage, err = probe.storage(ctx); err != nil {
			fmt.Fprintf(o.Log, "storage: %v\n", err)
		}
	}
	return rep, ctx.Err()
}

func slowBehaviour(hang bool) Behaviour {
	if hang {
		return Hang
	}
	return Slow
}

// baselines runs the workload against the bare Fiber handler and the
// one-insert-per-request handler.
func (p *phaseRunner) baselines(ctx context.Context, rep *Report) error {
	fiberURL, stopFiber, err := StartFiberBaseline(p.o.Secret)
	if err != nil {
		return err
	}
	rep.add(p.run(ctx, "baseline-fiber", Target{URL: fiberURL}, false))
	stopFiber()
	insertURL, stopInsert, err := StartInsertBaseline(ctx, p.o.Secret, p.o.DatabaseURL)
	if err != nil {
		return err
	}
	rep.add(p.run(ctx, "baseline-insert", Target{URL: insertURL}, false))
	return stopInsert()
}
