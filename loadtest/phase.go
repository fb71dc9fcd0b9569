package loadtest

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// PhaseReport is what one phase (one target, one workload) measured.
type PhaseReport struct {
	Name         string           `json:"name"`
	SendSeconds  float64          `json:"send_seconds"`
	Sent         int64            `json:"sent"`
	Acked        int64            `json:"acked"`
	Duplicate    int64            `json:"acked_duplicate"`
	Rejected     int64            `json:"rejected"`
	Errors       int64            `json:"transport_errors"`
	Skipped      int64            `json:"skipped_client_saturated"`
	ByStatus     map[string]int64 `json:"by_status"`
	AckedPerSec  float64          `json:"acked_per_sec"`
	AvgBodyBytes float64          `json:"avg_body_bytes"`
	AckLatency   Summary          `json:"ack_latency"`
	// AckBySecond is the ack latency of the requests due in each second.
	AckBySecond []Window `json:"ack_by_second,omitempty"`
	// StoredEvents is how many events the phase added to the database.
	StoredEvents int64           `json:"stored_events,omitempty"`
	Delivery     *DeliveryReport `json:"delivery,omitempty"`
	DB           *DBDelta        `json:"db,omitempty"`
	RSSMaxMB     float64         `json:"rss_max_mb,omitempty"`
	// CPU per stored event over send and drain (its ingest and its
	// deliveries), in milliseconds: the server process (when its pid is
	// known) and the target database's PostgreSQL backends.
	ServerCPUMsPerEvent float64 `json:"server_cpu_ms_per_stored_event,omitempty"`
	DBCPUMsPerEvent     float64 `json:"db_cpu_ms_per_stored_event,omitempty"`
	// ToolCPUMsPerEvent is the load tool's own CPU (sending, receiving the
	// deliveries, bookkeeping) when the server is another process: the
	// share of the machine that, in production, the sender and the ATSs
	// would use elsewhere.
	ToolCPUMsPerEvent float64 `json:"tool_cpu_ms_per_stored_event,omitempty"`
	// Statements the server ran during the phase (send and drain), most frequent first.
	Statements         []StatementCount `json:"statements,omitempty"`
	StatementsPerEvent float64          `json:"statements_per_stored_event,omitempty"`
	// ServerAck is the server's account of the acks (its /metrics); nil
	// for a baseline or when /metrics could not be read.
	ServerAck *ServerAck `json:"server_ack,omitempty"`
}

// DeliveryReport is what the receivers saw of a phase's acked events.
type DeliveryReport struct {
	Expected        int `json:"expected"` // acked, routed to an endpoint that answers
	Delivered       int `json:"delivered"`
	Missing         int `json:"missing_after_drain"`
	HeldByHang      int `json:"held_by_hanging_endpoint"`
	DuplicatesByKey int `json:"duplicates_by_meeting_code_event"`
	DuplicatesByID  int `json:"duplicates_by_webhook_id"`
	// BadSignatures counts deliveries whose Standard Webhooks signature
	// did not verify with their endpoint's signing secret (or was missing).
	BadSignatures    int     `json:"bad_signatures"`
	DeliveriesPerSec float64 `json:"deliveries_per_sec"`
	DrainSeconds     float64 `json:"drain_seconds"`
	Lag              Summary `json:"lag"`
	LagOthers        Summary `json:"lag_other_tenants"` // every tenant but the slow one
}

// phaseRunner runs phases one after the other on shared receivers.
type phaseRunner struct {
	o     Options
	gen   *Generator
	recv  *Receiver
	probe *dbProbe
	seq   int64
	// clients keeps one HTTP client per target, so a phase after the
	// warm-up reuses its open connections.
	clients map[string]*http.Client
}

func (p *phaseRunner) clientFor(url string) *http.Client {
	if c, ok := p.clients[url]; ok {
		return c
	}
	if p.clients == nil {
		p.clients = map[string]*http.Client{}
	}
	c := newClient()
	p.clients[url] = c
	return c
}

func (p *phaseRunner) run(ctx context.Context, name string, target Target, delivers bool) PhaseReport {
	return p.runFor(ctx, name, target, delivers, p.o.Duration, true)
}

// runFor runs one phase that sends for dur. delivers: wait for the
// deliveries and measure them. counters: also read PostgreSQL's commit
// counters (a warm-up skips their wait).
func (p *phaseRunner) runFor(ctx context.Context, name string, target Target, delivers bool, dur time.Duration, counters bool) PhaseReport {
	fmt.Fprintf(p.o.Log, "phase %s: sending for %s\n", name, dur)
	t := &tally{}
	w := p.o.Workload
	w.Duration = dur
	s := &sender{url: target.URL + "/webhooks/boooply", gen: p.gen, client: p.clientFor(target.URL), w: w, t: t, seqOff: p.seq}
	p.seq += p.o.MaxEvents
	var before dbCounters
	var eventsBefore int64
	if delivers && p.probe != nil {
		before, eventsBefore = p.probe.counters(ctx), p.probe.events(ctx)
	}
	_, _, idsBefore := p.recv.Counts()
	badSigsBefore := p.recv.BadSignatures()
	var stmtsBefore map[string]int64
	if delivers && target.Statements != nil {
		stmtsBefore = target.Statements()
	}
	var serverCPU0, toolCPU0 time.Duration
	var dbCPU0 map[int]time.Duration
	toolCPU := CPUOf(0)
	if delivers {
		if target.CPU != nil {
			serverCPU0 = target.CPU()
		}
		if target.OwnProcess {
			toolCPU0 = toolCPU()
		}
		dbCPU0, _ = p.probe.backendCPU(ctx)
	}
	var metrics0 map[string]histTotal
	if delivers {
		metrics0, _ = scrapeIngest(ctx, target.URL) // nil: no server figures
	}
	rss := sampleRSS(target.RSS)
	start := time.Now()
	elapsed := s.run(ctx)
	var serverAck *ServerAck
	if metrics0 != nil {
		if metrics1, err := scrapeIngest(ctx, target.URL); err == nil {
			serverAck = serverAckDelta(metrics0, metrics1)
		}
	}
	r := PhaseReport{Name: name, SendSeconds: elapsed.Seconds(), Sent: t.sent.Load(), Acked: t.acked.Load(),
		Duplicate: t.duplicate.Load(), Rejected: t.rejected.Load(), Errors: t.errors.Load(), Skipped: t.skipped.Load(),
		ByStatus: t.statusCounts(), AckLatency: t.latency.Summarize(), AckBySecond: t.latency.BySecond(), ServerAck: serverAck}
	r.AckedPerSec = float64(r.Acked+r.Duplicate) / elapsed.Seconds()
	if r.Sent > 0 {
		r.AvgBodyBytes = float64(t.bodyBytes.Load()) / float64(r.Sent)
	}
	if delivers {
		r.Delivery = p.drain(ctx, t.acks, start)
		_, _, idsAfter := p.recv.Counts()
		r.Delivery.DuplicatesByID = idsAfter - idsBefore
		r.Delivery.BadSignatures = int(p.recv.BadSignatures() - badSigsBefore)
		if p.probe != nil {
			r.StoredEvents = p.probe.events(ctx) - eventsBefore
			if counters {
				r.DB = p.probe.delta(ctx, before, r.StoredEvents, p.o.StatsWait)
			}
		}
		if target.CPU != nil && serverCPU0 > 0 {
			r.ServerCPUMsPerEvent = msPerEvent(target.CPU()-serverCPU0, r.StoredEvents)
		}
		if toolCPU0 > 0 {
			r.ToolCPUMsPerEvent = msPerEvent(toolCPU()-toolCPU0, r.StoredEvents)
		}
		if after, ok := p.probe.backendCPU(ctx); ok && dbCPU0 != nil {
			r.DBCPUMsPerEvent = msPerEvent(cpuDelta(dbCPU0, after), r.StoredEvents)
		}
		if stmtsBefore != nil {
			var total int64
			r.Statements, total = statementDelta(stmtsBefore, target.Statements(), r.StoredEvents)
			r.StatementsPerEvent = float64(total) / float64(max(r.StoredEvents, 1))
		}
	}
	r.RSSMaxMB = rss.stop()
	fmt.Fprintf(p.o.Log, "phase %s: sent %d, acked %d in %.1fs\n", name, r.Sent, r.Acked, elapsed.Seconds())
	return r
}

// drain waits (up to Options.Drain) for every expected event to arrive,
// then measures lag from each ack to its first arrival.
func (p *phaseRunner) drain(ctx context.Context, acks []ack, start time.Time) *DeliveryReport {
	d := &DeliveryReport{}
	hanging := p.o.SlowTenant >= 0 && p.recv.behaviour(p.o.SlowTenant) == Hang
	var pending []ack
	for _, a := range acks {
		if hanging && a.tenant == p.o.SlowTenant {
			d.HeldByHang++
			continue
		}
		pending = append(pending, a)
	}
	d.Expected = len(pending)
	drainStart := time.Now()
	deadline := drainStart.Add(p.o.Drain)
	waiting := append([]ack(nil), pending...)
	for len(waiting) > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		keep := waiting[:0]
		for _, a := range waiting {
			if _, ok := p.recv.Lookup(a.code, a.event); !ok {
				keep = append(keep, a)
			}
		}
		waiting = keep
		if len(waiting) > 0 {
			time.Sleep(50 * time.Millisecond)
		}
	}
	d.DrainSeconds = time.Since(drainStart).Seconds()
	var lag, others Samples
	var last time.Time
	for _, a := range pending {
		got, ok := p.recv.Lookup(a.code, a.event)
		if !ok {
			d.Missing++
			continue
		}
		d.Delivered++
		d.DuplicatesByKey += got.Copies - 1
		l := max(0, got.First.Sub(a.at))
		lag.Add(l)
		if a.tenant != p.o.SlowTenant {
			others.Add(l)
		}
		if got.First.After(last) {
			last = got.First
		}
	}
	if d.Delivered > 0 {
		d.DeliveriesPerSec = float64(d.Delivered) / last.Sub(start).Seconds()
	}
	d.Lag, d.LagOthers = lag.Summarize(), others.Summarize()
	return d
}
