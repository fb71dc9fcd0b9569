package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"gorm.io/gorm"

	"github.com/switchboard-gw/switchboard/auth"
)

// stdin is where `users create --password-stdin` reads; tests replace it.
var stdin io.Reader = os.Stdin

func cmdUsers(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("users: want create, list, disable, enable or set-role")
	}
	switch args[0] {
	case "create":
		return usersCreate(ctx, args[1:], out)
	case "list":
		return usersList(ctx, args[1:], out)
	case "disable", "enable":
		return usersSetDisabled(ctx, args[0] == "disable", args[1:], out)
	case "set-role":
		return usersSetRole(ctx, args[1:], out)
	}
	return fmt.Errorf("users: unknown action %q (want create, list, disable, enable or set-role)", args[0])
}

func usersCreate(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("users create", flag.ContinueOnError)
	dbf := addDBFlags(fs)
	email := fs.String("email", "", "sign-in email (required)")
	role := fs.String("role", "", "admin, support or viewer (required)")
	name := fs.String("name", "", "display name")
	tenantList := fs.String("tenants", "", "comma-separated ids of existing tenants a support/viewer account is limited to (default: all)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin (default: generate one and print it once)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ids, err := parseIDList(*tenantList)
	if err != nil {
		return err
	}
	pw, generated := auth.GeneratePassword(), true
	if *fromStdin {
		if pw, err = readPassword(stdin); err != nil {
			return err
		}
		generated = false
	}
	db, err := openMigratedDB(ctx, *dbf.url)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := checkTenantsExist(ctx, db.Gorm, ids); err != nil {
		return err
	}
	store := auth.NewStore(db.Gorm)
	u, err := store.CreateUserWithPassword(ctx, &auth.User{Email: *email, Name: *name, Role: auth.Role(*role), TenantIDs: ids}, pw)
	if err != nil {
		return err
	}
	if err := auditCLI(ctx, store, "user.create", u.ID, nil, u); err != nil {
		return err
	}
	fmt.Fprintf(out, "Created user %d (%s, %s).\n", u.ID, u.Email, u.Role)
	if generated {
		fmt.Fprintf(out, "Password (shown once): %s\n", pw)
	}
	return nil
}

func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func parseIDList(s string) ([]int64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var ids []int64
	for _, part := range splitList(s) {
		id, err := strconv.ParseInt(part, 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("--tenants: %q is not a tenant id", part)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// checkTenantsExist refuses a --tenants list naming an id no tenant has,
// naming every such id, before anything is written. Ids are handed out in
// order, so a scope naming one (a typo, a copied list) would grant the next
// tenant created; the API refuses it too (auth.Service.checkTenantIDs).
func checkTenantsExist(ctx context.Context, db *gorm.DB, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	var found []int64
	if err := db.WithContext(ctx).Table("tenants").Where("id IN ?", ids).Pluck("id", &found).Error; err != nil {
		return fmt.Errorf("check --tenants: %w", err)
	}
	var missing []string
	for _, id := range ids {
		if !slices.Contains(found, id) && !slices.Contains(missing, strconv.FormatInt(id, 10)) {
			missing = append(missing, strconv.FormatInt(id, 10))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("--tenants: no tenant has id %s (see tenants list); nothing was written", strings.Join(missing, ", "))
	}
	return nil
}

func usersList(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("users list", flag.ContinueOnError)
	dbf := addDBFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	db, err := openMigratedDB(ctx, *dbf.url)
	if err != nil {
		return err
	}
	defer db.Close()
	users, err := auth.NewStore(db.Gorm).ListUsers(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tROLE\tTENANTS\tSTATUS\tLAST_LOGIN")
	for _, u := range users {
		status, last, scope := "active", "-", "all"
		if u.Disabled {
			status = "disabled"
		}
		if u.LastLoginAt != nil {
			last = u.LastLoginAt.UTC().Format("2006-01-02 15:04")
		}
		if u.TenantIDs != nil {
			scope = strings.Trim(strings.Join(strings.Fields(fmt.Sprint(u.TenantIDs)), ","), "[]")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Name, u.Role, scope, status, last)
	}
	return tw.Flush()
}

func usersSetDisabled(ctx context.Context, disable bool, args []string, out io.Writer) error {
	verb := map[bool]string{true: "disable", false: "enable"}[disable]
	return updateUserCLI(ctx, "users "+verb, args, out, nil, func(up *auth.UserUpdate) error {
		up.Disabled = &disable
		return nil
	})
}

func usersSetRole(ctx context.Context, args []string, out io.Writer) error {
	var role *string
	return updateUserCLI(ctx, "users set-role", args, out, func(fs *flag.FlagSet) {
		role = fs.String("role", "", "admin, support or viewer (required)")
	}, func(up *auth.UserUpdate) error {
		r := auth.Role(*role)
		up.Role = &r
		return nil
	})
}

// updateUserCLI finds a user by --email, applies change and audits it. The
// store decides whether the user is signed out (only a real change does).
func updateUserCLI(ctx context.Context, name string, args []string, out io.Writer, flags func(*flag.FlagSet), change func(*auth.UserUpdate) error) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	dbf := addDBFlags(fs)
	email := fs.String("email", "", "the user's email (required)")
	if flags != nil {
		flags(fs)
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var up auth.UserUpdate
	if err := change(&up); err != nil {
		return err
	}
	db, err := openMigratedDB(ctx, *dbf.url)
	if err != nil {
		return err
	}
	defer db.Close()
	store := auth.NewStore(db.Gorm)
	u, err := store.FindUserByEmail(ctx, *email)
	if err != nil {
		return err
	}
	before, after, err := store.UpdateUser(ctx, u.ID, up)
	if err != nil {
		return err
	}
	if err := auditCLI(ctx, store, "user.update", u.ID, before, after); err != nil {
		return err
	}
	signedOut := ""
	if after.TokenVersion != before.TokenVersion {
		signedOut = " Signed out everywhere."
	}
	_, err = fmt.Fprintf(out, "User %d (%s): role %s, disabled %t.%s\n", after.ID, after.Email, after.Role, after.Disabled, signedOut)
	return err
}

func auditCLI(ctx context.Context, store *auth.Store, action string, userID int64, before, after any) error {
	b, err := auth.Redact(before)
	if err != nil {
		return err
	}
	a, err := auth.Redact(after)
	if err != nil {
		return err
	}
	return store.Record(ctx, &auth.Entry{Action: action, Actor: cliAuditActor, IP: cliOrigin(), Target: "user:" + strconv.FormatInt(userID, 10), Before: b, After: a})
}
