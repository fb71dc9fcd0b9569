package main

import (
	"context"
	"fmt"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/database"
)

// demoAdminEmail is the demo's admin account; its password is random per run.
const demoAdminEmail = "admin@demo.switchboard.local"

// demoCreateAdmin creates the demo's admin in the demo database and returns
// the password, which the demo prints once so a newcomer can sign in.
func demoCreateAdmin(ctx context.Context, dbURL string) (string, error) {
	db, err := database.Open(ctx, dbURL)
	if err != nil {
		return "", fmt.Errorf("demo: open database: %w", err)
	}
	defer db.Close()
	password := "demo-" + demoRandomHex(8)
	u := &auth.User{Email: demoAdminEmail, Name: "Demo admin", Role: auth.RoleAdmin}
	if _, err := auth.NewStore(db.Gorm).CreateUserWithPassword(ctx, u, password); err != nil {
		return "", fmt.Errorf("demo: create admin: %w", err)
	}
	return password, nil
}
