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
	db, err := openMigratedDB(ctx, dbURL)
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
// server's POST /api/v1/auth/token, as any script does, and returns the
// server's API with it. The JWT lasts an hour; the tenants are created first.
func (a loadtestAdmin) signIn(ctx context.Context, base string) (loadtest.API, error) {
	body, _ := json.Marshal(map[string]string{"email": a.email, "password": a.password})
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/auth/token", bytes.NewReader(body))
	if err != nil {
		return loadtest.API{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return loadtest.API{}, fmt.Errorf("loadtest: sign in to the spawned server: %w", err)
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	var out struct{ Token string }
	if res.StatusCode != http.StatusOK || json.Unmarshal(answer, &out) != nil || out.Token == "" {
		return loadtest.API{}, fmt.Errorf("loadtest: sign in to the spawned server: status %d", res.StatusCode)
	}
	return loadtest.API{URL: base, Token: out.Token}, nil
}
