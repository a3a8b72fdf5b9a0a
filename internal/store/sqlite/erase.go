package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/playhead/playhead/internal/store"
)

// Erasure removes rows, and with secure_delete (set on every writer) SQLite
// overwrites what they held instead of leaving it in free pages. The log's
// positions must still only grow: deleting the newest batch would let the
// next one take its position, which the processor has already passed, so
// the newest position ever given is kept in settings (logEndKey) and
// new batches are numbered after it.
const logEndKey = "log_end"

// logEnd is the newest position the log has given, as an SQL expression.
const logEnd = `max(coalesce((SELECT max(id) FROM batches), 0),
	coalesce((SELECT CAST(value AS INTEGER) FROM settings WHERE key = '` + logEndKey + `'), 0))`

// SessionRecorded gives the recorder's id of a project's session (any
// part of it).
func (s *Store) SessionRecorded(ctx context.Context, project int64, id string) (recorded string, err error) {
	defer s.check(&err)
	err = s.iread.QueryRowContext(ctx, `SELECT recorded FROM sessions WHERE project = ? AND id = ?`,
		project, id).Scan(&recorded)
	if errors.Is(err, sql.ErrNoRows) {
		return "", store.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("read session %s: %w", id, err)
	}
	return recorded, nil
}

// UserSessions lists the recorder's ids of a project's sessions in which
// the site identified the visitor as user, in any window.
func (s *Store) UserSessions(ctx context.Context, project int64, user string) ([]string, error) {
	return s.recordedIDs(ctx, `SELECT DISTINCT s.recorded FROM sessions s WHERE s.project = ?1
		AND (s.user_id = ?2 OR EXISTS (SELECT 1 FROM analysis a WHERE a.sn = s.n AND a.user_id = ?2))`, project, user)
}

// ExpiredSessions lists up to limit recorder's ids of a project's
// sessions whose every part ended before t.
func (s *Store) ExpiredSessions(ctx context.Context, project int64, t time.Time, limit int) ([]string, error) {
	return s.recordedIDs(ctx, `SELECT recorded FROM sessions WHERE project = ?
		GROUP BY recorded HAVING max(end_ts) < ? LIMIT ?`, project, t.UnixMilli(), limit)
}

func (s *Store) recordedIDs(ctx context.Context, query string, args ...any) (_ []string, err error) {
	defer s.check(&err)
	rows, err := s.iread.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("find sessions: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("find sessions: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// EraseSessions removes the recorder's sessions recorded of a project,
// every part of each: their batches, chunk rows, share links, tags,
// notes and watched marks from the log, then their rows of the index. The chunks'
// blob keys are returned for the caller to delete. The log goes first: a
// failure between the two leaves sessions listed without a recording,
// which erasing again removes, never a recording the index would bring
// back.
func (s *Store) EraseSessions(ctx context.Context, project int64, recorded []string) (_ store.Erased, err error) {
	defer s.check(&err)
	defer s.checked.reset()
	var out store.Erased
	if len(recorded) == 0 {
		return out, nil
	}
	err = s.inTx(ctx, s.write, func(tx *sql.Tx) error {
		if err := keepLogEnd(ctx, tx); err != nil {
			return err
		}
		for _, id := range recorded {
			keys, err := column(tx.QueryContext(ctx, `SELECT key FROM chunks WHERE project = ? AND session = ?`, project, id))
			if err != nil {
				return err
			}
			out.Keys = append(out.Keys, keys...)
			out.Chunks += int64(len(keys))
			if _, err := tx.ExecContext(ctx, `DELETE FROM chunks WHERE project = ? AND session = ?`, project, id); err != nil {
				return err
			}
			n, err := rowsAffected(tx.ExecContext(ctx, `DELETE FROM batches WHERE project = ? AND session = ?`, project, id))
			if err != nil {
				return err
			}
			out.Batches += n
			// Its parts are named recorded~N (store.PartID).
			for _, table := range []string{"share_links", "session_tags", "watched", "session_notes"} {
				if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE project = ?1
					AND (session = ?2 OR session GLOB ?2 || '~*')`, project, id); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return store.Erased{}, fmt.Errorf("erase sessions from the log: %w", err)
	}
	err = s.inTx(ctx, s.iwrite, func(tx *sql.Tx) error {
		for _, id := range recorded {
			n, err := eraseIndex(ctx, tx, `SELECT n FROM sessions WHERE project = ? AND recorded = ?`, project, id)
			if err != nil {
				return err
			}
			out.Sessions += n
		}
		return nil
	})
	if err != nil {
		return store.Erased{}, fmt.Errorf("erase sessions from the index: %w", err)
	}
	return out, nil
}

// PurgeProject removes a deleted project with everything it had: its
// sessions, log, chunk rows, goals, members, share links and notes, then its
// row. A project not deleted is store.ErrNotFound. Its blobs are left to
// the caller (their keys start with the project's id and a slash).
func (s *Store) PurgeProject(ctx context.Context, id int64) (_ store.Erased, err error) {
	defer s.check(&err)
	defer s.checked.reset()
	var out store.Erased
	// The index first: a failure after it leaves the project deleted and
	// its log there, and the next purge finishes.
	err = s.inTx(ctx, s.iwrite, func(tx *sql.Tx) error {
		n, err := eraseIndex(ctx, tx, `SELECT n FROM sessions WHERE project = ?`, id)
		out.Sessions = n
		return err
	})
	if err != nil {
		return store.Erased{}, fmt.Errorf("purge project %d from the index: %w", id, err)
	}
	err = s.inTx(ctx, s.write, func(tx *sql.Tx) error {
		var deleted int64
		err := tx.QueryRowContext(ctx, `SELECT deleted FROM projects WHERE id = ?`, id).Scan(&deleted)
		if errors.Is(err, sql.ErrNoRows) || err == nil && deleted == 0 {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := keepLogEnd(ctx, tx); err != nil {
			return err
		}
		if out.Chunks, err = rowsAffected(tx.ExecContext(ctx, `DELETE FROM chunks WHERE project = ?`, id)); err != nil {
			return err
		}
		if out.Batches, err = rowsAffected(tx.ExecContext(ctx, `DELETE FROM batches WHERE project = ?`, id)); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM goals WHERE project = ?`,
			`DELETE FROM project_members WHERE project = ?`,
			`DELETE FROM share_links WHERE project = ?`,
			`DELETE FROM session_notes WHERE project = ?`,
			`DELETE FROM projects WHERE id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return store.Erased{}, fmt.Errorf("purge project %d: %w", id, err)
	}
	return out, nil
}

// eraseIndex deletes the index's sessions whose numbers query picks, with
// every row under them, and says how many sessions it deleted.
func eraseIndex(ctx context.Context, tx *sql.Tx, query string, args ...any) (int64, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	var ns []int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return 0, err
		}
		ns = append(ns, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, n := range ns {
		// The search table is contentless: its rows go by the analysis'
		// wid, before the analysis does.
		for _, q := range []string{
			// Its path no longer counts, nor does it among all.
			`UPDATE paths SET sessions = sessions - 1 WHERE (project, hash) IN
				(SELECT project, path FROM sessions WHERE n = ?1 AND path <> 0
				UNION ALL SELECT project, 0 FROM sessions WHERE n = ?1 AND path <> 0)`,
			`DELETE FROM search WHERE rowid IN (SELECT wid FROM analysis WHERE sn = ?)`,
			`DELETE FROM analysis WHERE sn = ?`,
			`DELETE FROM custom_events WHERE sn = ?`,
			`DELETE FROM traits WHERE sn = ?`,
			`DELETE FROM page_views WHERE sn = ?`,
			`DELETE FROM windows WHERE sn = ?`,
			`DELETE FROM sessions WHERE n = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, n); err != nil {
				return 0, err
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM paths WHERE sessions <= 0`); err != nil {
		return 0, err
	}
	return int64(len(ns)), nil
}

// keepLogEnd records the newest position the log has given, before
// batches are deleted.
func keepLogEnd(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('`+logEndKey+`', `+logEnd+`)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`)
	return err
}

func (s *Store) inTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// Scrub makes erased data unreadable from the files: it merges the search
// index's segments, which keep deleted text until merged, and checkpoints
// both databases, truncating their write-ahead logs, which still hold
// the pages as they were before the erasure. A checkpoint that readers
// hold up is not an error; the next one finishes it.
func (s *Store) Scrub(ctx context.Context) (err error) {
	defer s.check(&err)
	if _, err := s.iwrite.ExecContext(ctx, `INSERT INTO search (search) VALUES ('optimize')`); err != nil {
		return fmt.Errorf("merge the search index: %w", err)
	}
	for _, db := range []*sql.DB{s.iwrite, s.write} {
		var busy, frames, done int
		if err := db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &done); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		if busy != 0 {
			s.log().Warn("checkpoint after an erasure held up by readers; the next one finishes it")
		}
	}
	return nil
}

// ProjectUsage says how much storage a project takes.
func (s *Store) ProjectUsage(ctx context.Context, project int64) (_ store.Usage, err error) {
	defer s.check(&err)
	var u store.Usage
	err = s.read.QueryRowContext(ctx, `SELECT
		(SELECT coalesce(sum(length(events)), 0) FROM batches WHERE project = ?1 AND released >= 0),
		(SELECT count(*) FROM batches WHERE project = ?1),
		(SELECT coalesce(sum(bytes), 0) FROM chunks WHERE project = ?1)`, project).Scan(&u.LogBytes, &u.Batches, &u.ChunkBytes)
	if err != nil {
		return store.Usage{}, fmt.Errorf("read storage of project %d: %w", project, err)
	}
	var oldest sql.NullInt64
	err = s.iread.QueryRowContext(ctx, `SELECT count(*), min(start_ts) FROM sessions WHERE project = ?`,
		project).Scan(&u.Sessions, &oldest)
	if err != nil {
		return store.Usage{}, fmt.Errorf("read sessions of project %d: %w", project, err)
	}
	if oldest.Valid {
		u.Oldest = ms(oldest.Int64)
	}
	return u, nil
}
