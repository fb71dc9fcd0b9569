// Package migrations embeds the goose SQL migrations, one folder per dialect.
// Both folders hold the same version numbers with the same intent; an applied
// file is never edited, a change is the next number.
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// FS returns the migrations for a dialect ("postgres" or "sqlite").
func FS(dialect string) (fs.FS, error) {
	return fs.Sub(files, dialect)
}
