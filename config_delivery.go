package main

import (
	"errors"
	"flag"
	"net/url"
	"os"
	"time"

	"github.com/switchboard-gw/switchboard/webhooks"
)

// Delivery defaults, named so the README table and the code agree.
const defaultRetentionDays = 30

// deliveryFlags are serve's flags for the delivery engine.
type deliveryFlags struct {
	disableAfter, cooldown, rescue *time.Duration
	probe                          *time.Duration
	operatorURL                    *string
	retention, threshold, conc     *int
}

func addDeliveryFlags(fs *flag.FlagSet) deliveryFlags {
	return deliveryFlags{
		disableAfter: fs.Duration("endpoint-disable-after", envDuration("SWITCHBOARD_ENDPOINT_DISABLE_AFTER", webhooks.DefaultDisableAfter), "disable an endpoint failing this long (SWITCHBOARD_ENDPOINT_DISABLE_AFTER)"),
		operatorURL:  fs.String("operator-webhook-url", os.Getenv("SWITCHBOARD_OPERATOR_WEBHOOK_URL"), "POST a JSON notice here when an endpoint is disabled (SWITCHBOARD_OPERATOR_WEBHOOK_URL)"),
		retention:    fs.Int("retention-days", envInt("SWITCHBOARD_RETENTION_DAYS", defaultRetentionDays), "purge payload bodies after this many days, 0 = never (SWITCHBOARD_RETENTION_DAYS)"),
		threshold:    fs.Int("breaker-threshold", envInt("SWITCHBOARD_BREAKER_THRESHOLD", webhooks.DefaultBreakerThreshold), "consecutive failures that open an endpoint's circuit (SWITCHBOARD_BREAKER_THRESHOLD)"),
		cooldown:     fs.Duration("breaker-cooldown", envDuration("SWITCHBOARD_BREAKER_COOLDOWN", webhooks.DefaultBreakerCooldown), "wait before probing an open circuit (SWITCHBOARD_BREAKER_COOLDOWN)"),
		conc:         fs.Int("endpoint-max-concurrency", envInt("SWITCHBOARD_ENDPOINT_MAX_CONCURRENCY", webhooks.DefaultMaxConcurrency), "attempts in flight per endpoint per process unless the endpoint says (SWITCHBOARD_ENDPOINT_MAX_CONCURRENCY)"),
		probe:        fs.Duration("probe-interval", envDuration("SWITCHBOARD_PROBE_INTERVAL", webhooks.DefaultProbeInterval), "how often endpoints disabled automatically are probed at their probe_url, 0 = never (SWITCHBOARD_PROBE_INTERVAL)"),
		rescue:       fs.Duration("rescue-stuck-after", envDuration("SWITCHBOARD_RESCUE_STUCK_AFTER", 0), "hand a running delivery of a dead process to another after this; 0 = longest attempt + 1m (SWITCHBOARD_RESCUE_STUCK_AFTER)"),
	}
}

func (f deliveryFlags) config() DeliveryConfig {
	return DeliveryConfig{DisableAfter: *f.disableAfter, OperatorWebhookURL: *f.operatorURL, RetentionDays: *f.retention,
		BreakerThreshold: *f.threshold, BreakerCooldown: *f.cooldown, MaxConcurrency: *f.conc, RescueStuckAfter: *f.rescue,
		ProbeInterval: *f.probe}
}

func (c DeliveryConfig) validate() error {
	switch {
	case c.DisableAfter < time.Minute:
		return errors.New("endpoint disable-after must be at least 1m")
	case c.RetentionDays < 0:
		return errors.New("retention days must be 0 (keep) or more")
	case c.BreakerCooldown <= 0:
		return errors.New("breaker cooldown must be positive")
	case c.BreakerThreshold < 1:
		return errors.New("breaker threshold must be at least 1")
	case c.MaxConcurrency < 1:
		return errors.New("endpoint max concurrency must be at least 1")
	case c.RescueStuckAfter < 0:
		return errors.New("rescue-stuck-after must not be negative")
	case c.ProbeInterval != 0 && c.ProbeInterval < time.Second:
		return errors.New("probe interval must be 0 (off) or at least 1s")
	}
	if c.OperatorWebhookURL != "" {
		if u, err := url.Parse(c.OperatorWebhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("operator webhook URL must be an http(s) URL")
		}
	}
	return nil
}

// breakerConfig is the worker's view of the settings.
func (c DeliveryConfig) breakerConfig() webhooks.BreakerConfig {
	return webhooks.BreakerConfig{Threshold: c.BreakerThreshold, Cooldown: c.BreakerCooldown,
		DisableAfter: c.DisableAfter, OperatorWebhookURL: c.OperatorWebhookURL}
}
