package main

import (
	"context"
	"fmt"

	"github.com/switchboard-gw/switchboard/auth"
)

// demoAdminEmail is the demo's admin account; its password is random per run.
const demoAdminEmail = "admin@demo.switchboard.local"

// demoCreateAdmin migrates the demo database and creates the demo's admin
// before the server starts (so it logs no first-run setup link), and returns
// the password, which the demo prints once so a newcomer can sign in.
func demoCreateAdmin(ctx context.Context, dbURL string) (string, error) {
	db, err := openOwnDB(ctx, dbURL)
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
