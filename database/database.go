// Package database opens Switchboard's store (embedded SQLite or PostgreSQL),
// applies its migrations (goose for our tables, rivermigrate for River's) and
// hands out the River driver that shares the same *sql.DB, so our rows and
// River's jobs can commit in one transaction.
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/ncruces/go-sqlite3/driver"
	"github.com/ncruces/go-sqlite3/gormlite"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialect names the database engine behind a DB.
type Dialect string

// The two supported engines.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DefaultURL is the embedded default: a SQLite file under ./data.
const DefaultURL = "sqlite:./data/switchboard.db"

// sqlitePragmas are the settings measured to work for GORM + River on one
// connection: WAL so readers don't block the writer, a busy timeout instead of
// instant SQLITE_BUSY, and immediate transactions so a writer never upgrades.
const sqlitePragmas = "_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate"

// DB is an open store: GORM for our tables, the same *sql.DB for River.
type DB struct {
	Gorm    *gorm.DB
	SQL     *sql.DB
	Dialect Dialect
	// Where says where the data lives, fit for a log line (no password).
	Where string
	// CaseFold is how case-insensitive searches fold case here (see Lower).
	CaseFold CaseFold

	listener *pgxpool.Pool // PostgreSQL only: one connection for River's LISTEN
	migrated atomic.Bool
}

// Open connects to rawURL ("sqlite:PATH" or "postgres://…"). For SQLite it
// creates the parent folder of PATH. It does not migrate.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	switch {
	case strings.HasPrefix(rawURL, "sqlite:"):
		return openSQLite(strings.TrimPrefix(rawURL, "sqlite:"))
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		return openPostgres(ctx, rawURL)
	}
	return nil, fmt.Errorf("database url %q: want sqlite:PATH or postgres://…", redactURL(rawURL))
}

func openSQLite(path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("database url: sqlite: needs a file path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite path: %w", err)
	}
	sqlDB, err := driver.Open("file:"+abs+"?"+sqlitePragmas, registerFunctions)
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	// One connection: SQLite has one writer anyway, and River and GORM share it.
	sqlDB.SetMaxOpenConns(1)
	sqlDB.SetConnMaxLifetime(0)
	gdb, err := gorm.Open(gormlite.OpenDB(sqlDB), gormConfig())
	if err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open gorm on sqlite: %w", err)
	}
	return &DB{Gorm: gdb, SQL: sqlDB, Dialect: SQLite, Where: abs, CaseFold: FoldUnicode}, nil
}

func openPostgres(ctx context.Context, rawURL string) (*DB, error) {
	connCfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parse postgres url: %w", err)
	}
	sqlDB := stdlib.OpenDB(*connCfg, stdlib.OptionAfterConnect(func(_ context.Context, c *pgx.Conn) error {
		addEncodeHooks(c.TypeMap())
		return nil
	}))
	sqlDB.SetMaxOpenConns(40)
	sqlDB.SetMaxIdleConns(40)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	gdb, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), gormConfig())
	if err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open gorm on postgres: %w", err)
	}
	fold, err := detectCaseFold(ctx, sqlDB)
	if err != nil {
		sqlDB.Close()
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("parse postgres url: %w", err)
	}
	cfg.MinConns, cfg.MaxConns = 0, 1
	listener, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open postgres listener pool: %w", err)
	}
	icuFolding.Store(gdb.Dialector, fold == FoldICU)
	return &DB{Gorm: gdb, SQL: sqlDB, Dialect: Postgres, Where: redactURL(rawURL), CaseFold: fold, listener: listener}, nil
}

func gormConfig() *gorm.Config {
	// PrepareStmt stays off: River needs the plain *sql.Tx inside GORM's transaction.
	return &gorm.Config{Logger: logger.Discard, PrepareStmt: false, SkipDefaultTransaction: true}
}

// LimitConns caps the PostgreSQL pool GORM and River share (SQLite keeps
// its single connection).
func (db *DB) LimitConns(n int) {
	if db.Dialect == Postgres && n > 0 {
		db.SQL.SetMaxOpenConns(n)
		db.SQL.SetMaxIdleConns(n)
	}
}

// Warm opens up to n pool connections at once and leaves them idle, so the
// first requests after start don't each wait for a new PostgreSQL backend.
// It gives up at ctx's deadline; what opened stays open. SQLite's single
// connection needs no warming.
func (db *DB) Warm(ctx context.Context, n int) (opened int, err error) {
	if db.Dialect != Postgres || n <= 0 {
		return 0, nil
	}
	if limit := db.SQL.Stats().MaxOpenConnections; limit > 0 && n > limit {
		n = limit
	}
	conns := make(chan *sql.Conn, n)
	errs := make(chan error, n)
	for range n {
		go func() {
			c, err := db.SQL.Conn(ctx)
			if err == nil {
				err = c.PingContext(ctx)
			}
			if err != nil {
				if c != nil {
					c.Close()
				}
				errs <- err
				return
			}
			conns <- c
		}()
	}
	// Every connection is held until all are open, so each goroutine
	// opens a new one instead of reusing another's.
	held := make([]*sql.Conn, 0, n)
	for range n {
		select {
		case c := <-conns:
			held = append(held, c)
		case e := <-errs:
			if err == nil {
				err = e // one cause is enough; the rest are usually the same
			}
		}
	}
	for _, c := range held {
		c.Close() // back to the pool, idle
	}
	if err != nil {
		return len(held), fmt.Errorf("warm the database pool: %d of %d connections: %w", n-len(held), n, err)
	}
	return len(held), nil
}

// RiverDriver returns the River driver over the shared *sql.DB. On PostgreSQL
// it listens for inserts on a dedicated connection, so a new job wakes a
// worker at once instead of at the next poll.
func (db *DB) RiverDriver() riverdriver.Driver[*sql.Tx] {
	if db.Dialect == Postgres {
		return riverdatabasesql.NewWithPgxListener(db.SQL, db.listener)
	}
	return riversqlite.New(db.SQL)
}

// Close releases both pools.
func (db *DB) Close() error {
	if db.listener != nil {
		db.listener.Close()
	}
	if db.Dialect == Postgres {
		icuFolding.Delete(db.Gorm.Dialector)
	}
	return db.SQL.Close()
}

// SQLTx returns the *sql.Tx behind a GORM transaction, which River's InsertTx
// needs. It fails when tx is not a transaction (a caller bug).
func SQLTx(tx *gorm.DB) (*sql.Tx, error) {
	sqlTx, ok := tx.Statement.ConnPool.(*sql.Tx)
	if !ok {
		return nil, fmt.Errorf("gorm handle is not a transaction (%T)", tx.Statement.ConnPool)
	}
	return sqlTx, nil
}

// redactURL hides the passwords of a database URL for logs and errors: the
// user info's and the password= and sslpassword= query parameters pgx reads.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	if u.RawQuery != "" {
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			k, _, _ := strings.Cut(p, "=")
			if k, err := url.QueryUnescape(k); err == nil && (k == "password" || k == "sslpassword") {
				parts[i] = k + "=xxxxx"
			}
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	return u.String()
}
