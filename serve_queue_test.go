package main

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/testdb"
	"github.com/switchboard-gw/switchboard/webhooks"
)

// TestQueueFetchCooldown: SWITCHBOARD_QUEUE_FETCH_COOLDOWN reaches River's
// fetch cooldown on PostgreSQL, SQLite keeps its 10 ms poll whatever the
// setting, and River accepts both ends of the range the setting allows.
func TestQueueFetchCooldown(t *testing.T) {
	cfg, err := parseServeConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.QueueFetchCooldown != defaultQueueFetchCooldown {
		t.Fatalf("default cooldown %v, want %v", cfg.QueueFetchCooldown, defaultQueueFetchCooldown)
	}
	t.Setenv("SWITCHBOARD_QUEUE_FETCH_COOLDOWN", "25ms")
	if cfg, err = parseServeConfig(nil); err != nil || cfg.QueueFetchCooldown != 25*time.Millisecond {
		t.Fatalf("SWITCHBOARD_QUEUE_FETCH_COOLDOWN=25ms: got %v (err %v)", cfg.QueueFetchCooldown, err)
	}

	cases := []struct {
		dialect  database.Dialect
		set      time.Duration
		cooldown time.Duration
	}{
		{database.Postgres, 25 * time.Millisecond, 25 * time.Millisecond},
		{database.Postgres, 0, defaultQueueFetchCooldown},
		{database.SQLite, 25 * time.Millisecond, queuePollSQLite},
	}
	for _, tc := range cases {
		var rc river.Config
		tuneQueue(&rc, tc.dialect, tc.set)
		if rc.FetchCooldown != tc.cooldown || rc.FetchCooldown > rc.FetchPollInterval {
			t.Errorf("%s, setting %v: cooldown %v under poll %v, want cooldown %v", tc.dialect, tc.set, rc.FetchCooldown, rc.FetchPollInterval, tc.cooldown)
		}
	}

	testdb.Each(t, func(t *testing.T, db *database.DB) {
		policy := webhooks.NewRetryPolicy(nil, 0)
		worker := webhooks.NewWorker(webhooks.WorkerConfig{DB: db.Gorm, Policy: policy, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		for _, cooldown := range []time.Duration{time.Millisecond, queuePollPostgres} {
			cfg := Config{DeliveryWorkers: 4, QueueFetchCooldown: cooldown}
			if _, err := newQueue(db, cfg, policy, worker, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
				t.Errorf("cooldown %v: River refused the queue: %v", cooldown, err)
			}
		}
	})
}
