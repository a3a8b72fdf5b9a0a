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
	`-- Conversion goals: a page whose URL matches url (a glob), or a custom
	-- event named event. intent is a glob of pages that show a visitor
	-- meant to convert ('' for the default, see store.IntentGlob).
	CREATE TABLE goals (
		project INTEGER NOT NULL REFERENCES projects(id),
		name    TEXT NOT NULL,
		url     TEXT NOT NULL DEFAULT '',
		event   TEXT NOT NULL DEFAULT '',
		intent  TEXT NOT NULL DEFAULT '',
		created INTEGER NOT NULL,
		PRIMARY KEY (project, name)
	);`,
	accountsMigration,
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
	`-- Project settings (store.ProjectSettings), and deletion: a deleted
	-- project keeps its row until its data is erased.
	ALTER TABLE projects ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE projects ADD COLUMN sample_rate REAL NOT NULL DEFAULT 1;
	ALTER TABLE projects ADD COLUMN recorder TEXT NOT NULL DEFAULT '{}';
	ALTER TABLE projects ADD COLUMN quota_batches_minute INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE projects ADD COLUMN quota_bytes_day INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE projects ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
	-- Who did what, when: logins, invitations, role changes, key
	-- rotations, share links, deletions.
	CREATE TABLE audit (
		id      INTEGER PRIMARY KEY,
		at      INTEGER NOT NULL,
		actor   TEXT NOT NULL,
		action  TEXT NOT NULL,
		project INTEGER NOT NULL DEFAULT 0,
		target  TEXT NOT NULL DEFAULT '',
		detail  TEXT NOT NULL DEFAULT ''
	);`,
	`-- What people keep about sessions, beside the index (which may be
	-- rebuilt from the log at any time): tags, who watched which, and
	-- saved filters. Sessions are named by (project, id), as the index
	-- names them.
	CREATE TABLE session_tags (
		project INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
		session TEXT NOT NULL,
		tag     TEXT NOT NULL,
		created INTEGER NOT NULL,
		PRIMARY KEY (project, session, tag)
	) WITHOUT ROWID;
	CREATE INDEX session_tags_tag ON session_tags (project, tag);
	CREATE TABLE watched (
		user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		project INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
		session TEXT NOT NULL,
		at      INTEGER NOT NULL,
		PRIMARY KEY (user_id, project, session)
	) WITHOUT ROWID;
	CREATE TABLE segments (
		id      INTEGER PRIMARY KEY,
		project INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
		name    TEXT NOT NULL,
		query   TEXT NOT NULL, -- the list's URL query, as the search API reads it
		created INTEGER NOT NULL,
		by      TEXT NOT NULL DEFAULT '',
		UNIQUE (project, name)
	);`,
	`-- Notes people write on moments of sessions; like tags they outlive a
	-- rebuild of the index. at is the recording's time, ms since the epoch.
	CREATE TABLE session_notes (
		id      INTEGER PRIMARY KEY,
		project INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
		session TEXT NOT NULL,
		at      INTEGER NOT NULL,
		window  TEXT NOT NULL DEFAULT '',
		text    TEXT NOT NULL,
		author  TEXT NOT NULL,
		created INTEGER NOT NULL
	);
	CREATE INDEX session_notes_session ON session_notes (project, session, at);`,
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
	`-- What the windows' events tell (signals, pages with time on each,
	-- custom events, traits, search text), and the session aggregates that
	-- search filters and sorts on. Rows under a session point at it by its
	-- number n, which also breaks ties in every order. The index is made
	-- anew from the log, so that every window is analysed.
	DROP TABLE page_views;
	DROP TABLE windows;
	DROP TABLE sessions;
	DELETE FROM processed;
	CREATE TABLE sessions (
		n            INTEGER PRIMARY KEY,
		project      INTEGER NOT NULL, -- projects(id) in playhead.db
		id           TEXT NOT NULL,
		recorded     TEXT NOT NULL,    -- the recorder's id; id is it, or a later part of it
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
		active_ms    INTEGER NOT NULL DEFAULT 0,
		clicks       INTEGER NOT NULL DEFAULT 0,
		errors       INTEGER NOT NULL DEFAULT 0,
		failed_requests INTEGER NOT NULL DEFAULT 0,
		exit_url     TEXT NOT NULL DEFAULT '',
		user_id      TEXT NOT NULL DEFAULT '',
		viewport_w   INTEGER NOT NULL DEFAULT 0,
		viewport_h   INTEGER NOT NULL DEFAULT 0,
		score        REAL NOT NULL DEFAULT 0,
		score_parts  TEXT NOT NULL DEFAULT '[]', -- JSON: [{reason, count, points}]
		sig_rage_click INTEGER NOT NULL DEFAULT 0,
		sig_dead_click INTEGER NOT NULL DEFAULT 0,
		sig_error_click INTEGER NOT NULL DEFAULT 0,
		sig_js_error INTEGER NOT NULL DEFAULT 0,
		sig_failed_request INTEGER NOT NULL DEFAULT 0,
		sig_slow_request INTEGER NOT NULL DEFAULT 0,
		sig_slow_page INTEGER NOT NULL DEFAULT 0,
		sig_thrashing_cursor INTEGER NOT NULL DEFAULT 0,
		sig_excessive_scroll INTEGER NOT NULL DEFAULT 0,
		sig_quick_back INTEGER NOT NULL DEFAULT 0,
		sig_form_abandon INTEGER NOT NULL DEFAULT 0,
		sig_slow_form INTEGER NOT NULL DEFAULT 0,
		sig_inactivity INTEGER NOT NULL DEFAULT 0,
		UNIQUE (project, id)
	);
	CREATE INDEX sessions_start ON sessions (start_ts);
	CREATE INDEX sessions_recorded ON sessions (project, recorded, start_ts);
	CREATE INDEX sessions_project_start ON sessions (project, start_ts);
	CREATE INDEX sessions_length ON sessions (end_ts - start_ts);
	CREATE INDEX sessions_score ON sessions (score);
	CREATE INDEX sessions_end ON sessions (end_ts);
	CREATE INDEX sessions_user ON sessions (user_id) WHERE user_id <> '';
	CREATE TABLE windows (
		sn       INTEGER NOT NULL REFERENCES sessions (n),
		id       TEXT NOT NULL,
		start_ts INTEGER NOT NULL,
		end_ts   INTEGER NOT NULL,
		events   INTEGER NOT NULL,
		PRIMARY KEY (sn, id)
	) WITHOUT ROWID;
	CREATE TABLE page_views (
		sn     INTEGER NOT NULL REFERENCES sessions (n),
		window TEXT NOT NULL,
		ts     INTEGER NOT NULL,
		url    TEXT NOT NULL,
		width  INTEGER NOT NULL,
		height INTEGER NOT NULL,
		PRIMARY KEY (sn, window, ts, url)
	) WITHOUT ROWID;
	-- One window's analysis, replaced whole by each newer one; wid is the
	-- window's row in search. Pages and signals are bounded (store.Max*).
	CREATE TABLE analysis (
		wid        INTEGER PRIMARY KEY,
		sn         INTEGER NOT NULL REFERENCES sessions (n),
		window     TEXT NOT NULL,
		last_ts    INTEGER NOT NULL, -- the window's last event when analysed
		active_ms  INTEGER NOT NULL,
		clicks     INTEGER NOT NULL,
		errors     INTEGER NOT NULL,
		failed_requests INTEGER NOT NULL,
		exit_url   TEXT NOT NULL,
		exit_ts    INTEGER NOT NULL,
		viewport_w INTEGER NOT NULL,
		viewport_h INTEGER NOT NULL,
		user_id    TEXT NOT NULL,
		traits     TEXT NOT NULL, -- JSON object
		-- JSON, read only for one session's page: rows of their own
		-- would cost more statements for every update than they save.
		visits     TEXT NOT NULL, -- [{url, title, start (dated ms), duration_ms}]
		signals    TEXT NOT NULL, -- [{kind, ts (dated ms), url, selector, text, count, value, detail}]
		counts     TEXT NOT NULL, -- {kind: signals}
		UNIQUE (sn, window)
	);
	CREATE TABLE custom_events (
		sn     INTEGER NOT NULL,
		name   TEXT NOT NULL,
		window TEXT NOT NULL,
		ts     INTEGER NOT NULL,
		PRIMARY KEY (sn, name, window)
	) WITHOUT ROWID;
	-- The session's traits: every window's, the latest window's winning.
	CREATE TABLE traits (
		sn    INTEGER NOT NULL,
		name  TEXT NOT NULL,
		value TEXT NOT NULL,
		PRIMARY KEY (sn, name)
	) WITHOUT ROWID;
	CREATE INDEX traits_value ON traits (name, value);
	-- Free text of each window (page URLs and titles, clicked text, error
	-- messages), by analysis.wid.
	CREATE VIRTUAL TABLE search USING fts5(body, content='', contentless_delete=1);`,
	`-- Which session a window's text belongs to, without reading the
	-- window's wide analysis row: free-text search maps every match.
	CREATE INDEX analysis_owner ON analysis (wid, sn);`,
	`-- A window's analysis and search rows are numbered by its session
	-- (see slotBits), which makes a text match name its session; sessions
	-- know their path. The index is made anew from the log for both.
	DROP INDEX analysis_owner;
	DELETE FROM page_views; DELETE FROM windows; DELETE FROM custom_events; DELETE FROM traits;
	DROP TABLE search; DELETE FROM analysis; DELETE FROM sessions; DELETE FROM processed;
	CREATE VIRTUAL TABLE search USING fts5(body, content='', contentless_delete=1);
	-- The terms of search, and how many windows hold each (see text.go).
	CREATE VIRTUAL TABLE search_vocab USING fts5vocab(search, 'row');
	-- The path each session took (store.PathKey, hashed; 0 for none), and
	-- how many sessions of a project took each; hash 0 counts them all.
	ALTER TABLE sessions ADD COLUMN path INTEGER NOT NULL DEFAULT 0;
	CREATE TABLE paths (
		project  INTEGER NOT NULL,
		hash     INTEGER NOT NULL,
		sessions INTEGER NOT NULL,
		PRIMARY KEY (project, hash)
	) WITHOUT ROWID;`,
	`-- A hash of the window's text in search (FNV-1a, 64 bits; 0 when not
	-- known), so that an analysis whose text did not change leaves its
	-- search row alone: rewriting it costs the full-text index a delete
	-- and an insert.
	ALTER TABLE analysis ADD COLUMN text_sum INTEGER NOT NULL DEFAULT 0;`,
	`-- When the window's tab was shown or hidden, [{ts (dated ms),
	-- visible}]: the player follows the visitor from tab to tab with it. The index is made anew from the log to fill it in.
	ALTER TABLE analysis ADD COLUMN shown TEXT NOT NULL DEFAULT '[]';
	DELETE FROM page_views; DELETE FROM windows; DELETE FROM custom_events; DELETE FROM traits;
	DELETE FROM search; DELETE FROM analysis; DELETE FROM sessions; DELETE FROM paths; DELETE FROM processed;`,
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
