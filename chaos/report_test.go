package chaos

import (
	"context"
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/database"
)

// report logs a run's figures as one "FIGURES {json}" line and, when
// SWITCHBOARD_CHAOS_REPORT names a file, appends the JSON there too; the
// scripts print it and the README quotes it.
func report(t *testing.T, figures map[string]any) {
	t.Helper()
	figures["test"] = t.Name()
	b, err := json.Marshal(figures)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("FIGURES %s", b)
	if path := os.Getenv("SWITCHBOARD_CHAOS_REPORT"); path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		_, _ = f.Write(append(b, '\n'))
	}
}

// loadFigures flattens the load client's and receivers' counts.
func loadFigures(st *loadStats, tl tally) map[string]any {
	return map[string]any{
		"sent": st.Sent.Load(), "acked": st.Acked.Load(), "unavailable_503": st.Unavailable.Load(),
		"refused_4xx": st.Refused.Load(), "transport_errors": st.TransportErrors.Load(), "other": st.Other.Load(),
		"delivered": tl.Delivered, "duplicates": tl.Duplicates, "extra_copies": tl.ExtraCopies, "lost": tl.Lost,
	}
}

// openRead opens the run's database for read-only queries (database/sql).
func openRead(t testing.TB, dbURL string) *database.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := database.Open(ctx, dbURL)
	if err != nil {
		t.Fatalf("open %s: %v", dbURL, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// deliveryStatuses counts deliveries by status.
func deliveryStatuses(t testing.TB, db *database.DB) map[string]int {
	t.Helper()
	rows, err := db.SQL.Query("SELECT status, COUNT(*) FROM deliveries GROUP BY status")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		out[s] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// noPanics fails t when a server log mentions a panic.
func noPanics(t *testing.T, logs string) {
	t.Helper()
	if strings.Contains(strings.ToLower(logs), "panic") {
		i := strings.Index(strings.ToLower(logs), "panic")
		t.Errorf("server log mentions a panic: …%s…", logs[max(0, i-200):min(len(logs), i+400)])
	}
}

// percentile returns the p-th percentile (0-100) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p / 100 * float64(len(s)-1))
	return s[i]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// waitSettled waits until every delivery is delivered or failed (a job
// that died with its process is retried after River's rescue delay) and
// returns how long that took. It fails t when d passes first.
func waitSettled(t testing.TB, db *database.DB, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	if !waitUntil(d, func() bool { return openDeliveries(t, db) == 0 }) {
		t.Errorf("%d deliveries still open after %s: %v", openDeliveries(t, db), d, deliveryStatuses(t, db))
	}
	return time.Since(start)
}

// openDeliveries counts deliveries neither delivered nor failed.
func openDeliveries(t testing.TB, db *database.DB) int {
	t.Helper()
	var n int
	if err := db.SQL.QueryRow("SELECT COUNT(*) FROM deliveries WHERE status NOT IN ('delivered', 'failed')").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// grepLines returns the lines of logs containing any of subs.
func grepLines(logs string, subs ...string) string {
	var out []string
	for _, line := range strings.Split(logs, "\n") {
		for _, sub := range subs {
			if strings.Contains(line, sub) {
				out = append(out, line)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}
