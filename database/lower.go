package database

import (
	"strings"

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
// letter (under any locale but C), SQLite's only ASCII, so a
// case-insensitive match found "ärzte" in "Ärzte" on one and not on the
// other. On SQLite it calls unicode_lower (strings.ToLower).
func Lower(db *gorm.DB, expr string) string {
	if db.Dialector.Name() == "postgres" {
		return "LOWER(" + expr + ")"
	}
	return sqliteLowerFunc + "(" + expr + ")"
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
