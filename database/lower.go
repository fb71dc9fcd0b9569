package database

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"

	"github.com/ncruces/go-sqlite3"
	"gorm.io/gorm"
)

// sqliteLowerFunc is the Unicode-aware lower() registered on every SQLite
// connection (registerFunctions). SQLite's own lower() changes only A to Z,
// and redefining it would disagree with any index built with it, so it gets
// a name of its own. users_email_uq is built with it (migration 00020): the
// function must stay deterministic and keep its name.
const sqliteLowerFunc = "unicode_lower"

// Lower is the SQL of expr (a column, or ? for an argument) in lower case,
// with the same answer on both dialects: PostgreSQL's lower() folds every
// letter under the database's locale, SQLite's only ASCII, so a
// case-insensitive match found "ärzte" in "Ärzte" on one and not on the
// other. On SQLite it calls unicode_lower (strings.ToLower). On a
// PostgreSQL database whose locale folds only ASCII (LC_CTYPE C or POSIX)
// it folds under ICU's root collation instead, when the server has ICU
// (see CaseFold).
func Lower(db *gorm.DB, expr string) string {
	if db.Dialector.Name() != "postgres" {
		return sqliteLowerFunc + "(" + expr + ")"
	}
	if v, ok := icuFolding.Load(db.Dialector); ok && v.(bool) {
		return "LOWER((" + expr + ") COLLATE " + icuRootCollation + ")"
	}
	return "LOWER(" + expr + ")"
}

// CaseFold says how a database folds case for Lower.
type CaseFold string

const (
	// FoldUnicode: every letter (SQLite's unicode_lower, or a PostgreSQL locale that folds beyond ASCII).
	FoldUnicode CaseFold = "unicode"
	// FoldICU: a PostgreSQL database whose locale folds only ASCII, folded under ICU's root collation.
	FoldICU CaseFold = "icu"
	// FoldASCII: neither the locale nor ICU folds beyond ASCII: "Ä" and "ä" differ in searches.
	FoldASCII CaseFold = "ascii"
)

// icuRootCollation is PostgreSQL's predefined ICU collation for the root
// locale: its lower() follows Unicode whatever the database's LC_CTYPE.
const icuRootCollation = `"und-x-icu"`

// icuFolding records, by GORM dialector (shared by every session and
// transaction of one open database), the PostgreSQL databases that fold
// under ICU.
var icuFolding sync.Map

// foldProbe is a text whose lower case differs from it beyond ASCII only.
const foldProbe, foldProbeLower = "ÄÉÖ", "äéö"

// detectCaseFold asks PostgreSQL whether its lower() folds beyond ASCII
// and, when it doesn't, whether ICU's does. A server without ICU answers
// the second query with an error (no such collation): that is FoldASCII.
func detectCaseFold(ctx context.Context, sqlDB *sql.DB) (CaseFold, error) {
	var ok bool
	if err := sqlDB.QueryRowContext(ctx, "SELECT lower($1::text) = $2::text", foldProbe, foldProbeLower).Scan(&ok); err != nil {
		return "", fmt.Errorf("check how the database folds case: %w", err)
	}
	if ok {
		return FoldUnicode, nil
	}
	err := sqlDB.QueryRowContext(ctx, "SELECT lower(($1::text) COLLATE "+icuRootCollation+") = $2::text", foldProbe, foldProbeLower).Scan(&ok)
	if err != nil || !ok {
		return FoldASCII, nil
	}
	return FoldICU, nil
}

// registerFunctions adds Switchboard's SQL functions to a new SQLite connection.
func registerFunctions(c *sqlite3.Conn) error {
	return c.CreateFunction(sqliteLowerFunc, 1, sqlite3.DETERMINISTIC|sqlite3.INNOCUOUS, unicodeLower)
}

func unicodeLower(ctx sqlite3.Context, arg ...sqlite3.Value) {
	if arg[0].Type() == sqlite3.NULL {
		ctx.ResultNull()
		return
	}
	ctx.ResultText(strings.ToLower(arg[0].Text()))
}
