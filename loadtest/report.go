package loadtest

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// SchemaVersion changes when a field of Report changes meaning, so tools
// comparing two runs know whether they can.
const SchemaVersion = 1

// Report is the machine-readable result of a run (--json).
type Report struct {
	SchemaVersion  int           `json:"schema_version"`
	GitDescribe    string        `json:"git_describe"`
	StartedAt      time.Time     `json:"started_at"`
	Machine        Machine       `json:"machine"`
	Config         RunConfig     `json:"config"`
	TenantsCreateS float64       `json:"tenants_create_seconds"`
	Phases         []PhaseReport `json:"phases"`
	Ratios         []Ratio       `json:"ratios,omitempty"`
	Isolation      *Isolation    `json:"isolation,omitempty"`
	Storage        *Storage      `json:"storage,omitempty"`
	RSSWhat        string        `json:"rss_of,omitempty"`
	// Unavailable names the figures this run could not measure (JSON
	// names; absent from the phases rather than zero), with the reason in
	// UnavailableWhy: the target's database was not given.
	Unavailable    []string `json:"unavailable,omitempty"`
	UnavailableWhy string   `json:"unavailable_why,omitempty"`
}

// figuresFromDatabase are the figures read from the target's database
// directly, or derived from its count of stored events.
var figuresFromDatabase = []string{"stored_events", "db", "storage", "server_cpu_ms_per_stored_event",
	"db_cpu_ms_per_stored_event", "tool_cpu_ms_per_stored_event"}

// RunConfig echoes the workload, so a report stands on its own.
type RunConfig struct {
	Dialect     string  `json:"dialect"`
	Rate        float64 `json:"rate,omitempty"`
	Concurrency int     `json:"concurrency,omitempty"`
	DurationS   float64 `json:"duration_seconds"`
	WarmupS     float64 `json:"warmup_seconds,omitempty"`
	Tenants     int     `json:"tenants"`
	SlowShare   float64 `json:"slow_share,omitempty"`
	Hang        bool    `json:"hang,omitempty"`
	FailRate    float64 `json:"fail_rate,omitempty"`
	RunID       string  `json:"run_id"`
}

// Ratio compares the switchboard phase with a baseline phase of the same run.
type Ratio struct {
	Baseline   string  `json:"baseline"`
	Throughput float64 `json:"acked_per_sec_ratio"` // switchboard ÷ baseline; ≥ 1 is at least as fast
	AckP50     float64 `json:"ack_p50_ratio"`       // switchboard ÷ baseline; 1 is as fast
	AckP99     float64 `json:"ack_p99_ratio"`
}

// Isolation compares the other tenants' lag without and with the slow tenant.
type Isolation struct {
	ControlP99 float64 `json:"others_lag_p99_ms_control"`
	SlowP99    float64 `json:"others_lag_p99_ms_with_slow_tenant"`
	Ratio      float64 `json:"ratio"`
}

func newReport(o Options, t Target) *Report {
	r := &Report{SchemaVersion: SchemaVersion, GitDescribe: o.Version, StartedAt: time.Now().UTC(), Machine: ReadMachine(), RSSWhat: t.RSSWhat,
		Config: RunConfig{Dialect: dialectOf(o.DatabaseURL), Rate: o.Rate, Concurrency: o.Concurrency, DurationS: o.Duration.Seconds(), WarmupS: o.Warmup.Seconds(),
			Tenants: o.Tenants, SlowShare: o.SlowShare, Hang: o.Hang, FailRate: o.FailRate, RunID: o.RunID}}
	if o.DatabaseURL == "" {
		r.Unavailable, r.UnavailableWhy = figuresFromDatabase, "no --database-url: the load tool did not read the target's database"
	}
	return r
}

// dialectOf names the target's database by its URL; "unknown" without one.
func dialectOf(dbURL string) string {
	switch {
	case dbURL == "":
		return "unknown"
	case strings.HasPrefix(dbURL, "sqlite:"):
		return "sqlite"
	}
	return "postgres"
}

func (r *Report) add(p PhaseReport) { r.Phases = append(r.Phases, p) }

func (r *Report) phase(name string) *PhaseReport {
	for i := range r.Phases {
		if r.Phases[i].Name == name {
			return &r.Phases[i]
		}
	}
	return nil
}

// finish computes the ratios to the baselines and the isolation figure.
func (r *Report) finish() {
	sb := r.phase("switchboard")
	for _, name := range []string{"baseline-fiber", "baseline-insert"} {
		if b := r.phase(name); b != nil && sb != nil {
			r.Ratios = append(r.Ratios, Ratio{Baseline: name, Throughput: div(sb.AckedPerSec, b.AckedPerSec),
				AckP50: div(sb.AckLatency.P50, b.AckLatency.P50), AckP99: div(sb.AckLatency.P99, b.AckLatency.P99)})
		}
	}
	if c := r.phase("switchboard-control"); c != nil && sb != nil && c.Delivery != nil && sb.Delivery != nil {
		r.Isolation = &Isolation{ControlP99: c.Delivery.LagOthers.P99, SlowP99: sb.Delivery.LagOthers.P99}
		r.Isolation.Ratio = div(r.Isolation.SlowP99, r.Isolation.ControlP99)
	}
}

func div(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return float64(int64(a/b*100+0.5)) / 100
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes the human summary: one column per phase.
func (r *Report) WriteTable(w io.Writer) error {
	c := r.Config
	load := fmt.Sprintf("%.0f events/s open loop", c.Rate)
	if c.Rate <= 0 {
		load = fmt.Sprintf("%d concurrent (closed loop)", c.Concurrency)
	}
	fmt.Fprintf(w, "switchboard loadtest %s on %s, %d CPUs, load avg %s (%s): %s for %.0fs, %d tenants, %s\n\n",
		r.GitDescribe, r.Machine.CPUModel, r.Machine.CPUs, r.Machine.LoadAvg, c.Dialect, load, c.DurationS, c.Tenants, r.StartedAt.Format(time.RFC3339))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	header := "\t"
	for _, p := range r.Phases {
		header += p.Name + "\t"
	}
	fmt.Fprintln(tw, header)
	for _, row := range tableRows {
		line := row.label + "\t"
		for i := range r.Phases {
			line += row.cell(&r.Phases[i]) + "\t"
		}
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	r.writeFooter(w)
	return nil
}

func (r *Report) writeFooter(w io.Writer) {
	fmt.Fprintln(w)
	for _, x := range r.Ratios {
		fmt.Fprintf(w, "switchboard vs %s: throughput %.2fx, ack p50 %.2fx, ack p99 %.2fx\n", x.Baseline, x.Throughput, x.AckP50, x.AckP99)
	}
	if i := r.Isolation; i != nil {
		fmt.Fprintf(w, "isolation: other tenants' lag p99 %.1f ms without the slow tenant, %.1f ms with it (%.2fx)\n", i.ControlP99, i.SlowP99, i.Ratio)
	}
	if s := r.Storage; s != nil {
		fmt.Fprintf(w, "storage: %d events, %d bytes, %.0f bytes/event (%s", s.Events, s.Bytes, s.BytesPerEvent, s.What)
		if s.QueueBytes > 0 {
			fmt.Fprintf(w, "; river_job %d bytes", s.QueueBytes)
		}
		fmt.Fprintln(w, ")")
	}
	if r.RSSWhat != "" {
		fmt.Fprintf(w, "rss: %s\n", r.RSSWhat)
	}
	if len(r.Unavailable) > 0 {
		fmt.Fprintf(w, "not measured (%s): stored events, commits and row writes per stored event, bytes per event, "+
			"CPU per stored event (server, PostgreSQL, load tool)\n", r.UnavailableWhy)
	}
	for _, p := range r.Phases {
		if strings.HasPrefix(p.Name, "switchboard") && len(p.AckBySecond) > 1 {
			fmt.Fprintf(w, "ack p99 by second, %s (ms):%s\n", p.Name, windowP99s(p.AckBySecond))
		}
	}
	if sb := r.phase("switchboard"); sb != nil && len(sb.Statements) > 0 {
		fmt.Fprintln(w, "\nstatements of the switchboard phase (per stored event, most frequent first):")
		for _, st := range sb.Statements[:min(len(sb.Statements), 15)] {
			fmt.Fprintf(w, "  %8.3f  %s\n", st.PerEvent, st.SQL)
		}
	}
}

// windowP99s renders each window's p99 rounded to a millisecond, for one line.
func windowP99s(ws []Window) string {
	var b strings.Builder
	for _, x := range ws {
		fmt.Fprintf(&b, " %.0f", x.P99)
	}
	return b.String()
}
