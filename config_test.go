package main

import (
	"flag"
	"strings"
	"testing"
	"time"
)

// TestServeConfigRefusesBadEnv: a value serve's flag would refuse is refused
// from its environment variable too, naming the variable, instead of leaving
// the default in place; out-of-range values stop the start as well.
func TestServeConfigRefusesBadEnv(t *testing.T) {
	cases := []struct {
		name, env, value, wantErr string
	}{
		{name: "int not a number", env: "SWITCHBOARD_MAX_BODY_BYTES", value: "10MB", wantErr: "SWITCHBOARD_MAX_BODY_BYTES"},
		{name: "workers not a number", env: "SWITCHBOARD_DELIVERY_WORKERS", value: "many", wantErr: "want a whole number"},
		{name: "duration without unit", env: "SWITCHBOARD_DELIVERY_TIMEOUT", value: "15", wantErr: "SWITCHBOARD_DELIVERY_TIMEOUT"},
		{name: "duration garbage", env: "SWITCHBOARD_SHUTDOWN_TIMEOUT", value: "bogus", wantErr: "want a duration"},
		{name: "bool yes", env: "SWITCHBOARD_NO_MIGRATE", value: "yes", wantErr: "SWITCHBOARD_NO_MIGRATE"},
		{name: "bool private", env: "SWITCHBOARD_ALLOW_PRIVATE_ENDPOINTS", value: "on", wantErr: "want true or false"},
		{name: "breaker cooldown garbage", env: "SWITCHBOARD_BREAKER_COOLDOWN", value: "1 minute", wantErr: "SWITCHBOARD_BREAKER_COOLDOWN"},
		{name: "negative shutdown timeout", env: "SWITCHBOARD_SHUTDOWN_TIMEOUT", value: "-5s", wantErr: "shutdown timeout"},
		{name: "negative breaker cooldown", env: "SWITCHBOARD_BREAKER_COOLDOWN", value: "-1m", wantErr: "breaker cooldown"},
		{name: "zero breaker cooldown", env: "SWITCHBOARD_BREAKER_COOLDOWN", value: "0s", wantErr: "breaker cooldown"},
		{name: "zero sources reload", env: "SWITCHBOARD_SOURCES_RELOAD", value: "0s", wantErr: "sources reload"},
		{name: "negative sources reload", env: "SWITCHBOARD_SOURCES_RELOAD", value: "-1s", wantErr: "sources reload"},
		{name: "metrics refresh under a second", env: "SWITCHBOARD_METRICS_REFRESH", value: "500ms", wantErr: "metrics refresh"},
		{name: "metrics refresh without unit", env: "SWITCHBOARD_METRICS_REFRESH", value: "15", wantErr: "SWITCHBOARD_METRICS_REFRESH"},
		{name: "queue fetch cooldown zero", env: "SWITCHBOARD_QUEUE_FETCH_COOLDOWN", value: "0s", wantErr: "queue fetch cooldown"},
		{name: "queue fetch cooldown over the poll", env: "SWITCHBOARD_QUEUE_FETCH_COOLDOWN", value: "60ms", wantErr: "want 1ms to 50ms"},
		{name: "queue fetch cooldown without unit", env: "SWITCHBOARD_QUEUE_FETCH_COOLDOWN", value: "10", wantErr: "SWITCHBOARD_QUEUE_FETCH_COOLDOWN"},
		{name: "trusted proxy not an address", env: "SWITCHBOARD_TRUSTED_PROXIES", value: "10.0.0.1,proxy.internal", wantErr: `"proxy.internal"`},
		{name: "trusted proxy bad CIDR", env: "SWITCHBOARD_TRUSTED_PROXIES", value: "10.0.0.0/33", wantErr: "trusted proxy"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(tc.env, tc.value)
			_, err := parseServeConfig(nil)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("%s=%s: err = %v, want it to mention %q", tc.env, tc.value, err, tc.wantErr)
			}
		})
	}
}

// TestServeConfigEnvAndFlags: valid variables are applied, a flag given on
// the command line wins over its variable, and a bad variable is reported
// even when its flag is given (the environment is still wrong).
func TestServeConfigEnvAndFlags(t *testing.T) {
	t.Setenv("SWITCHBOARD_DELIVERY_TIMEOUT", "3s")
	t.Setenv("SWITCHBOARD_NO_MIGRATE", "true")
	t.Setenv("SWITCHBOARD_TRUSTED_PROXIES", "10.0.0.1, 192.168.0.0/16")
	cfg, err := parseServeConfig([]string{"--shutdown-timeout", "0s"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DeliveryTimeout != 3*time.Second || !cfg.NoMigrate || cfg.ShutdownTimeout != 0 || len(cfg.TrustedProxies) != 2 {
		t.Fatalf("got timeout %v, no-migrate %v, shutdown %v, proxies %v; want 3s, true, 0s, 2 proxies",
			cfg.DeliveryTimeout, cfg.NoMigrate, cfg.ShutdownTimeout, cfg.TrustedProxies)
	}
	cfg, err = parseServeConfig([]string{"--delivery-timeout", "7s"})
	if err != nil || cfg.DeliveryTimeout != 7*time.Second {
		t.Fatalf("flag over variable: got %v (err %v), want 7s", cfg.DeliveryTimeout, err)
	}
	t.Setenv("SWITCHBOARD_DELIVERY_TIMEOUT", "3")
	if _, err := parseServeConfig([]string{"--delivery-timeout", "7s"}); err == nil {
		t.Fatal("SWITCHBOARD_DELIVERY_TIMEOUT=3 was accepted because the flag was given; want it refused")
	}
}

// TestServeFlagsNameTheirVariable: checkEnv finds a flag's variable in its
// usage, so every shared serve flag must name one there.
func TestServeFlagsNameTheirVariable(t *testing.T) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(new(strings.Builder))
	addDBFlags(fs)
	addDeliveryFlags(fs)
	addIngestFlags(fs)
	addPushBackFlags(fs)
	fs.VisitAll(func(f *flag.Flag) {
		if !strings.Contains(f.Usage, "(SWITCHBOARD_") {
			t.Errorf("flag --%s: usage %q names no SWITCHBOARD_ variable", f.Name, f.Usage)
		}
	})
}
