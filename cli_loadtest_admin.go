package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/loadtest"
)

// loadtestAdmin is the admin account a --spawn run creates on its server.
type loadtestAdmin struct {
	email, password string
}

// createLoadtestAdmin creates an admin for run runID in the database at
// dbURL the way `switchboard users create` does (validated, hashed,
// audited as the CLI), migrating the database first. Each run has its own
// account, so runs can repeat on one database; the password is random and
// never printed.
func createLoadtestAdmin(ctx context.Context, dbURL, runID string) (loadtestAdmin, error) {
	a := loadtestAdmin{email: "loadtest-" + runID + "@loadtest.switchboard.local", password: "loadtest-" + randomHex(16)}
	db, err := openOwnDB(ctx, dbURL)
	if err != nil {
		return a, fmt.Errorf("loadtest: open database: %w", err)
	}
	defer db.Close()
	store := auth.NewStore(db.Gorm)
	u, err := store.CreateUserWithPassword(ctx, &auth.User{Email: a.email, Name: "Load test " + runID, Role: auth.RoleAdmin}, a.password)
	if err != nil {
		return a, fmt.Errorf("loadtest: create admin: %w", err)
	}
	return a, auditCLI(ctx, store, "user.create", u.ID, nil, u)
}

// signIn trades the admin's email and password for a Bearer JWT at the
// server's POST /api/v1/auth/token, as any script does, then creates with it
// an admin API token for the run (POST /api/v1/tokens, expiring in a day: a
// JWT lasts an hour, which 100,000 tenants could outlast), and returns the
// server's API with that token.
func (a loadtestAdmin) signIn(ctx context.Context, base, runID string) (loadtest.API, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var jwt struct{ Token string }
	if err := postJSON(ctx, base+"/api/v1/auth/token", "", map[string]string{"email": a.email, "password": a.password}, &jwt); err != nil {
		return loadtest.API{}, fmt.Errorf("loadtest: sign in to the spawned server: %w", err)
	}
	var tok struct{ Token string }
	body := map[string]any{"name": "loadtest " + runID, "role": auth.RoleAdmin, "expires_in_days": 1}
	if err := postJSON(ctx, base+"/api/v1/tokens", jwt.Token, body, &tok); err != nil {
		return loadtest.API{}, fmt.Errorf("loadtest: create an API token on the spawned server: %w", err)
	}
	return loadtest.API{URL: base, Token: tok.Token}, nil
}

// postJSON posts in as JSON (with a Bearer token when given) and decodes a
// 200 or 201 answer into out. Errors carry the status, never a credential.
func postJSON(ctx context.Context, url, bearer string, in, out any) error {
	body, _ := json.Marshal(in)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusCreated {
		var p struct{ Message string }
		_ = json.Unmarshal(answer, &p)
		return fmt.Errorf("status %d %s", res.StatusCode, p.Message)
	}
	return json.Unmarshal(answer, out)
}
