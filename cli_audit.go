package main

import (
	"context"
	"encoding/json"
	"os/user"
	"strconv"

	"github.com/switchboard-gw/switchboard/auth"
	"github.com/switchboard-gw/switchboard/database"
	"github.com/switchboard-gw/switchboard/tenants"
)

// cliAuditActor is the actor of every change made from the command line, so
// `actor=cli` finds them all; the OS user goes in the entry's "from where".
const cliAuditActor = "cli"

// recordCLI writes a change made from a shell to the audit trail, after the
// change committed. before/after are redacted like the API's (auth.Redact);
// tenantID 0 means no tenant; target is "<noun>:<id>".
func recordCLI(ctx context.Context, db *database.DB, action string, tenantID int64, target string, before, after any) error {
	e, err := cliEntry(auth.Change{Action: action, TenantID: tenantID, Target: target, Before: before, After: after})
	if err != nil {
		return err
	}
	return auth.NewStore(db.Gorm).Record(ctx, &e)
}

// cliEntry is the audit entry of ch made by the CLI: actor cli, from local:<OS user>, redacted.
func cliEntry(ch auth.Change) (auth.Entry, error) {
	b, err := auth.Redact(ch.Before)
	if err != nil {
		return auth.Entry{}, err
	}
	a, err := auth.Redact(ch.After)
	if err != nil {
		return auth.Entry{}, err
	}
	e := auth.Entry{Action: ch.Action, Actor: cliAuditActor, IP: cliOrigin(), Target: ch.Target, Before: b, After: a}
	if ch.TenantID != 0 {
		e.TenantID = &ch.TenantID
	}
	return e, nil
}

// cliOrigin is where a CLI change came from: "local:<OS user>".
func cliOrigin() string {
	if u, err := user.Current(); err == nil {
		return "local:" + u.Username
	}
	return "local"
}

// auditTarget names an audited object: auditTarget("endpoint", 12) = "endpoint:12".
func auditTarget(noun string, id int64) string { return noun + ":" + strconv.FormatInt(id, 10) }

// cliEndpointView is an endpoint's audit view without the once-shown plaintext secret.
func cliEndpointView(v tenants.EndpointView) tenants.EndpointView {
	v.NewSigningSecret = ""
	return v
}

// tenantOfRow returns the tenant_id of row id in table (deliveries,
// endpoints), or 0 when it can't be read: the audit entry then names no tenant.
func tenantOfRow(ctx context.Context, db *database.DB, table string, id int64) int64 {
	var tenantID int64
	db.Gorm.WithContext(ctx).Table(table).Where("id = ?", id).Select("tenant_id").Scan(&tenantID)
	return tenantID
}

// mappingAudit is a saved mapping version as the audit trail shows it.
func mappingAudit(number int, id int64, spec string) map[string]any {
	return map[string]any{"number": number, "id": id, "mapping": json.RawMessage(spec)}
}
