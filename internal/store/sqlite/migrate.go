package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// Migrations are applied in order, per database file; PRAGMA user_version
// counts the ones done. Append only: never edit one that has shipped.
var logMigrations = []string{
	`CREATE TABLE projects (
		id      INTEGER PRIMARY KEY,
		name    TEXT NOT NULL,
		key     TEXT NOT NULL UNIQUE,
		origins TEXT NOT NULL DEFAULT '[]',
		enabled INTEGER NOT NULL DEFAULT 1,
		created INTEGER NOT NULL
	);
	CREATE TABLE settings (
		key   TEXT PRIMARY KEY,
		value TEXT NOT NULL
	);
	-- The durable ingest log. id orders batches by commit; the processor
	-- reads it in that order and keeps its place in index.db.
	CREATE TABLE batches (
		id       INTEGER PRIMARY KEY,
		project  INTEGER NOT NULL REFERENCES projects(id),
		session  TEXT NOT NULL,
		window   TEXT NOT NULL,
		seq      INTEGER NOT NULL,
		received INTEGER NOT NULL,
		agent    TEXT NOT NULL,
		count    INTEGER NOT NULL,
		first_ts INTEGER NOT NULL,
		last_ts  INTEGER NOT NULL,
		pages    TEXT NOT NULL,
		events   BLOB NOT NULL,
		UNIQUE (session, window, seq)
	);`,
	`-- Batches are keyed within their project, and keep a hash of their
	-- events to tell a retry from a reused sequence number. Batches logged
	-- before have no hash: a repeat of one is taken as a retry. ids are
	-- kept, and with them the index's position in the log.
	CREATE TABLE batches_scoped (
		id       INTEGER PRIMARY KEY,
		project  INTEGER NOT NULL REFERENCES projects(id),
		session  TEXT NOT NULL,
		window   TEXT NOT NULL,
		seq      INTEGER NOT NULL,
		received INTEGER NOT NULL,
		agent    TEXT NOT NULL,
		count    INTEGER NOT NULL,
		first_ts INTEGER NOT NULL,
		last_ts  INTEGER NOT NULL,
		pages    TEXT NOT NULL,
		events   BLOB NOT NULL,
		hash     BLOB,
		UNIQUE (project, session, window, seq)
	);
	INSERT INTO batches_scoped (id, project, session, window, seq, received, agent, count, first_ts, last_ts, pages, events)
		SELECT id, project, session, window, seq, received, agent, count, first_ts, last_ts, pages, events FROM batches;
	DROP TABLE batches;
	ALTER TABLE batches_scoped RENAME TO batches;`,
	`-- Compacted recordings: each window's events in zstd chunks, kept as
	-- blobs under key. A batch whose events are in chunks keeps its row
	-- (key, hash, header), so that a retry of it is still answered 200 or
	-- 409: released is 0 while its events are only here, the time it was
	-- compacted while they are kept a little longer for readers that
	-- listed it, and -1 once they are dropped.
	ALTER TABLE batches ADD COLUMN released INTEGER NOT NULL DEFAULT 0;
	-- Reading released in a row means reading past its events, through
	-- all their overflow pages: the pending batches are found by index.
	CREATE INDEX batches_pending ON batches (id) WHERE released = 0;
	CREATE INDEX batches_pending_window ON batches (project, session, window, seq) WHERE released = 0;
	CREATE INDEX batches_released ON batches (released) WHERE released > 0;
	CREATE TABLE chunks (
		project   INTEGER NOT NULL REFERENCES projects(id),
		session   TEXT NOT NULL,
		window    TEXT NOT NULL,
		ord       INTEGER NOT NULL, -- the window's chunks from 0
		first_seq INTEGER NOT NULL,
		last_seq  INTEGER NOT NULL,
		first_ts  INTEGER NOT NULL,
		last_ts   INTEGER NOT NULL,
		max_id    INTEGER NOT NULL, -- the newest log position of its batches
		events    INTEGER NOT NULL,
		bytes     INTEGER NOT NULL, -- stored, compressed
		full      INTEGER NOT NULL, -- starts with a full snapshot
		key       TEXT NOT NULL,
		PRIMARY KEY (project, session, window, ord)
	);`,
}

var indexMigrations = []string{
	`-- How far each reader of the log has applied it, committed with what
	-- it applied.
	CREATE TABLE processed (
		name TEXT PRIMARY KEY,
		upto INTEGER NOT NULL
	);
	CREATE TABLE sessions (
		id        TEXT PRIMARY KEY,
		project   INTEGER NOT NULL, -- projects(id) in playhead.db
		start_ts  INTEGER NOT NULL,
		end_ts    INTEGER NOT NULL,
		pages     INTEGER NOT NULL DEFAULT 0,
		entry_url TEXT NOT NULL DEFAULT '',
		agent     TEXT NOT NULL DEFAULT '',
		browser   TEXT NOT NULL DEFAULT '',
		os        TEXT NOT NULL DEFAULT '',
		device    TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX sessions_start ON sessions (start_ts DESC);
	CREATE TABLE windows (
		session  TEXT NOT NULL REFERENCES sessions(id),
		id       TEXT NOT NULL,
		start_ts INTEGER NOT NULL,
		end_ts   INTEGER NOT NULL,
		events   INTEGER NOT NULL,
		PRIMARY KEY (session, id)
	);
	CREATE TABLE page_views (
		session TEXT NOT NULL REFERENCES sessions(id),
		window  TEXT NOT NULL,
		ts      INTEGER NOT NULL,
		url     TEXT NOT NULL,
		width   INTEGER NOT NULL,
		height  INTEGER NOT NULL,
		PRIMARY KEY (session, window, ts, url)
	);`,
	`-- Sessions are keyed within their project, and carry the offset that
	-- dates them when the visitor's clock was implausible. The index is
	-- made anew from the log: forgetting the position rebuilds it.
	DROP TABLE page_views;
	DROP TABLE windows;
	DROP TABLE sessions;
	DELETE FROM processed;
	CREATE TABLE sessions (
		project      INTEGER NOT NULL, -- projects(id) in playhead.db
		id           TEXT NOT NULL,
		start_ts     INTEGER NOT NULL,
		end_ts       INTEGER NOT NULL,
		clock_offset INTEGER NOT NULL DEFAULT 0, -- ms added to the recording's times
		pages        INTEGER NOT NULL DEFAULT 0, -- page views listed
		windows      INTEGER NOT NULL DEFAULT 0, -- windows listed
		entry_url    TEXT NOT NULL DEFAULT '',
		agent        TEXT NOT NULL DEFAULT '',
		browser      TEXT NOT NULL DEFAULT '',
		os           TEXT NOT NULL DEFAULT '',
		device       TEXT NOT NULL DEFAULT '',
		PRIMARY KEY (project, id)
	);
	CREATE INDEX sessions_start ON sessions (start_ts DESC);
	CREATE TABLE windows (
		project  INTEGER NOT NULL,
		session  TEXT NOT NULL,
		id       TEXT NOT NULL,
		start_ts INTEGER NOT NULL,
		end_ts   INTEGER NOT NULL,
		events   INTEGER NOT NULL,
		PRIMARY KEY (project, session, id),
		FOREIGN KEY (project, session) REFERENCES sessions (project, id)
	);
	CREATE TABLE page_views (
		project INTEGER NOT NULL,
		session TEXT NOT NULL,
		window  TEXT NOT NULL,
		ts      INTEGER NOT NULL,
		url     TEXT NOT NULL,
		width   INTEGER NOT NULL,
		height  INTEGER NOT NULL,
		PRIMARY KEY (project, session, window, ts, url),
		FOREIGN KEY (project, session) REFERENCES sessions (project, id)
	);`,
}

func migrate(ctx context.Context, db *sql.DB, migrations []string) error {
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this binary knows (%d)", version, len(migrations))
	}
	for i := version; i < len(migrations); i++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate to %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate to %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate to %d: %w", i+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate to %d: %w", i+1, err)
		}
	}
	return nil
}
