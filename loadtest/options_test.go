package loadtest

import (
	"math"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// TestValidate: every hard cap refuses what is past it with an error naming
// the setting, including values that compare false both ways (NaN) and a
// rate so small that its interval between events overflows a duration.
func TestValidate(t *testing.T) {
	ok := func() Options {
		return Options{Workload: Workload{Rate: 10, Duration: time.Second, Tenants: 2},
			Secret: "s", API: API{URL: "http://127.0.0.1:1", Token: "t"}, DatabaseURL: "sqlite:x.db", Drain: time.Second, SlowDelay: time.Second}
	}
	for _, tc := range []struct {
		name    string
		change  func(o *Options)
		wantErr string
	}{
		{name: "defaults pass", change: func(*Options) {}},
		{name: "closed loop passes", change: func(o *Options) { o.Rate, o.Concurrency = 0, 8 }},
		{name: "duration zero", change: func(o *Options) { o.Duration = 0 }, wantErr: "duration"},
		{name: "duration past cap", change: func(o *Options) { o.Duration = MaxDuration + time.Second }, wantErr: "duration"},
		{name: "warm-up past cap", change: func(o *Options) { o.Warmup = MaxDuration + time.Second }, wantErr: "warm-up"},
		{name: "no load", change: func(o *Options) { o.Rate = 0 }, wantErr: "--rate"},
		{name: "rate past cap", change: func(o *Options) { o.Rate = 60_000 }, wantErr: "rate"},
		{name: "rate infinite", change: func(o *Options) { o.Rate = math.Inf(1) }, wantErr: "rate"},
		{name: "rate NaN", change: func(o *Options) { o.Rate = math.NaN() }, wantErr: "rate"},
		{name: "rate too small for an interval", change: func(o *Options) { o.Rate = 1e-300 }, wantErr: "rate"},
		{name: "negative rate beside concurrency", change: func(o *Options) { o.Rate, o.Concurrency = -1, 8 }, wantErr: "rate"},
		{name: "concurrency past cap", change: func(o *Options) { o.Rate, o.Concurrency = 0, 5000 }, wantErr: "concurrency"},
		{name: "no tenants", change: func(o *Options) { o.Tenants = 0 }, wantErr: "tenants"},
		{name: "tenants past cap", change: func(o *Options) { o.Tenants = MaxTenants + 1 }, wantErr: "tenants"},
		{name: "slow share NaN", change: func(o *Options) { o.SlowShare = math.NaN() }, wantErr: "slow share"},
		{name: "slow share 1", change: func(o *Options) { o.SlowShare = 1 }, wantErr: "slow share"},
		{name: "fail rate NaN", change: func(o *Options) { o.FailRate = math.NaN() }, wantErr: "fail rate"},
		{name: "fail rate negative", change: func(o *Options) { o.FailRate = -0.1 }, wantErr: "fail rate"},
		{name: "drain past cap", change: func(o *Options) { o.Drain = 24 * time.Hour }, wantErr: "drain"},
		{name: "stats wait past cap", change: func(o *Options) { o.StatsWait = 24 * time.Hour }, wantErr: "stats wait"},
		{name: "slow delay past cap", change: func(o *Options) { o.SlowDelay = 24 * time.Hour }, wantErr: "slow delay"},
		{name: "no secret", change: func(o *Options) { o.Secret = "" }, wantErr: "secret"},
		{name: "no API token", change: func(o *Options) { o.API.Token = "" }, wantErr: "API token"},
		{name: "no database passes", change: func(o *Options) { o.DatabaseURL = "" }},
		{name: "baseline without database", change: func(o *Options) { o.Baseline, o.DatabaseURL = true, "" }, wantErr: "--database-url"},
		{name: "create concurrency past cap", change: func(o *Options) { o.CreateConcurrency = MaxCreateConcurrency + 1 }, wantErr: "create concurrency"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := ok()
			tc.change(&o)
			err := o.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.wantErr)
			}
		})
	}
}

// TestDescribeBuild: a built binary names the commit stamped into it, so a
// report says which build ran wherever the binary was started.
func TestDescribeBuild(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings []debug.BuildSetting
		want     string
	}{
		{"clean build", []debug.BuildSetting{{Key: "vcs.revision", Value: "7e45e98a1b2c3d4e5f60718293a4b5c6d7e8f901"}, {Key: "vcs.modified", Value: "false"}}, "7e45e98a1b2c"},
		{"modified tree", []debug.BuildSetting{{Key: "vcs.revision", Value: "7e45e98a1b2c3d4e5f60718293a4b5c6d7e8f901"}, {Key: "vcs.modified", Value: "true"}}, "7e45e98a1b2c-dirty"},
		{"no commit (go run, tests)", []debug.BuildSetting{{Key: "GOOS", Value: "linux"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := describeBuild(tc.settings); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}
