package webhooks

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/egress"
)

func TestClassify(t *testing.T) {
	blocked := fmt.Errorf("dial: %w", egress.ErrBlocked)
	cases := []struct {
		name        string
		status      int
		err         error
		retryClient bool
		want        Kind
	}{
		{"200", 200, nil, false, Delivered},
		{"204", 204, nil, false, Delivered},
		{"connection error", 0, errors.New("refused"), false, Retry},
		{"ssrf blocked", 0, blocked, false, Permanent},
		{"408", 408, nil, false, Retry},
		{"429", 429, nil, false, Retry},
		{"500", 500, nil, false, Retry},
		{"503", 503, nil, false, Retry},
		{"400", 400, nil, false, Permanent},
		{"404", 404, nil, false, Permanent},
		{"404 retried when the endpoint asks", 404, nil, true, Retry},
		{"410 disables", 410, nil, false, Gone},
		{"410 disables even with retry_client_errors", 410, nil, true, Gone},
		{"302 not followed", 302, nil, false, Permanent},
		{"302 not retried with retry_client_errors", 302, nil, true, Permanent},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Classify(tc.status, tc.err, tc.retryClient).Kind; got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		status int
		value  string
		want   time.Duration
	}{
		{"seconds on 429", 429, "3", 3 * time.Second},
		{"seconds on 503", 503, "120", 2 * time.Minute},
		{"ignored on 500", 500, "3", 0},
		{"absent", 429, "", 0},
		{"garbage", 429, "soon", 0},
		{"negative", 429, "-5", 0},
		{"capped", 429, "999999999", maxRetryAfter},
		{"http date", 429, now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"date in the past", 503, now.Add(-time.Hour).Format(http.TimeFormat), 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := RetryAfter(tc.status, tc.value, now); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRetryPolicyNext(t *testing.T) {
	p := NewRetryPolicy([]time.Duration{time.Second, time.Minute, time.Hour}, 0)
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	cases := []struct {
		name       string
		attempt    int
		max        int
		retryAfter time.Duration
		deadline   time.Time
		want       time.Duration
		wantOK     bool
	}{
		{"first retry", 1, 0, 0, time.Time{}, time.Second, true},
		{"third retry", 3, 0, 0, time.Time{}, time.Hour, true},
		{"schedule exhausted", 4, 0, 0, time.Time{}, 0, false},
		{"endpoint allows fewer", 2, 2, 0, time.Time{}, 0, false},
		{"endpoint allows more: last step repeats", 6, 10, 0, time.Time{}, time.Hour, true},
		{"retry-after wins", 1, 0, 30 * time.Second, time.Time{}, 30 * time.Second, true},
		{"clamped to max age", 3, 0, 0, now.Add(10 * time.Minute), 10 * time.Minute, true},
		{"retry-after clamped to max age", 1, 0, time.Hour, now.Add(time.Minute), time.Minute, true},
		{"past max age", 1, 0, 0, now.Add(-time.Second), 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := p.Next(tc.attempt, tc.max, tc.retryAfter, now, tc.deadline)
			if got != tc.want || ok != tc.wantOK {
				t.Fatalf("got %v %v, want %v %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestRetryJitterStaysInBounds(t *testing.T) {
	p := NewRetryPolicy([]time.Duration{10 * time.Second}, 0.2)
	for range 1000 {
		if d := p.Delay(1); d < 8*time.Second || d > 12*time.Second {
			t.Fatalf("jittered delay %v outside 8s..12s", d)
		}
	}
}
