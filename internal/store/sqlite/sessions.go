package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/playhead/playhead/internal/store"
)

// ApplySessionUpdates folds updates into the sessions index and records
// that the reader called name has applied the log up to position upto, in
// one transaction: a crash leaves either both or neither.
func (s *Store) ApplySessionUpdates(ctx context.Context, name string, upto int64, updates []store.SessionUpdate) (err error) {
	defer s.check(&err)
	tx, err := s.iwrite.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	st, err := prepareIndex(ctx, tx)
	if err != nil {
		return err
	}
	defer st.close()
	type key struct {
		project int64
		session string
	}
	touched := map[key]bool{}
	for _, u := range updates {
		if err := st.apply(ctx, u); err != nil {
			return err
		}
		touched[key{u.Project, u.Session}] = true
	}
	for k := range touched {
		if _, err := st.entry.ExecContext(ctx, k.project, k.session); err != nil {
			return fmt.Errorf("update session %s: %w", k.session, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO processed (name, upto) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET upto = excluded.upto`, name, upto); err != nil {
		return fmt.Errorf("record processed position: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// indexStatements are the statements of one ApplySessionUpdates, prepared
// once for all its updates.
type indexStatements struct {
	session, insert, widen, widenWindow, window, pageView, counts, entry *sql.Stmt
}

func prepareIndex(ctx context.Context, tx *sql.Tx) (*indexStatements, error) {
	var st indexStatements
	for _, p := range []struct {
		dst **sql.Stmt
		sql string
	}{
		{&st.session, `SELECT clock_offset, pages, windows FROM sessions WHERE project = ? AND id = ?`},
		{&st.insert, `INSERT INTO sessions (project, id, start_ts, end_ts, clock_offset, agent, browser, os, device)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&st.widen, `UPDATE sessions SET start_ts = min(start_ts, ?), end_ts = max(end_ts, ?)
			WHERE project = ? AND id = ?`},
		{&st.widenWindow, `UPDATE windows SET start_ts = min(start_ts, ?4), end_ts = max(end_ts, ?5),
			events = events + ?6 WHERE project = ?1 AND session = ?2 AND id = ?3`},
		{&st.window, `INSERT INTO windows (project, session, id, start_ts, end_ts, events) VALUES (?, ?, ?, ?, ?, ?)`},
		{&st.pageView, `INSERT INTO page_views (project, session, window, ts, url, width, height)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`},
		{&st.counts, `UPDATE sessions SET pages = ?, windows = ? WHERE project = ? AND id = ?`},
		{&st.entry, `UPDATE sessions SET entry_url = coalesce((SELECT url FROM page_views
			WHERE project = ?1 AND session = ?2 ORDER BY ts LIMIT 1), '') WHERE project = ?1 AND id = ?2`},
	} {
		stmt, err := tx.PrepareContext(ctx, p.sql)
		if err != nil {
			st.close()
			return nil, fmt.Errorf("prepare index statement: %w", err)
		}
		*p.dst = stmt
	}
	return &st, nil
}

func (st *indexStatements) close() {
	for _, s := range []*sql.Stmt{st.session, st.insert, st.widen, st.widenWindow, st.window, st.pageView, st.counts, st.entry} {
		if s != nil {
			s.Close()
		}
	}
}

// apply folds one update in. A new session takes the update's clock
// offset; a known one keeps its own, so that its timeline stays whole.
// Windows and page views past the session's limits are left out.
func (st *indexStatements) apply(ctx context.Context, u store.SessionUpdate) error {
	var offset, pages, windows int64
	err := st.session.QueryRowContext(ctx, u.Project, u.Session).Scan(&offset, &pages, &windows)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		offset = u.ClockOffset.Milliseconds()
		_, err = st.insert.ExecContext(ctx, u.Project, u.Session, u.First.UnixMilli()+offset, u.Last.UnixMilli()+offset,
			offset, u.UserAgent, u.Browser, u.OS, u.Device)
	case err == nil:
		_, err = st.widen.ExecContext(ctx, u.First.UnixMilli()+offset, u.Last.UnixMilli()+offset, u.Project, u.Session)
	}
	if err != nil {
		return fmt.Errorf("update session %s: %w", u.Session, err)
	}
	first, last := u.First.UnixMilli()+offset, u.Last.UnixMilli()+offset
	n, err := rowsAffected(st.widenWindow.ExecContext(ctx, u.Project, u.Session, u.Window, first, last, u.Events))
	if err == nil && n == 0 && windows < store.MaxWindows {
		_, err = st.window.ExecContext(ctx, u.Project, u.Session, u.Window, first, last, u.Events)
		windows++
	}
	if err != nil {
		return fmt.Errorf("update window %s/%s: %w", u.Session, u.Window, err)
	}
	for _, p := range u.PageViews {
		if pages >= store.MaxPageViews {
			break
		}
		n, err := rowsAffected(st.pageView.ExecContext(ctx, u.Project, u.Session, u.Window,
			p.Start.UnixMilli()+offset, p.URL, p.Width, p.Height))
		if err != nil {
			return fmt.Errorf("add page view to %s: %w", u.Session, err)
		}
		pages += n
	}
	if _, err := st.counts.ExecContext(ctx, pages, windows, u.Project, u.Session); err != nil {
		return fmt.Errorf("update session %s: %w", u.Session, err)
	}
	return nil
}

func rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

const sessionColumns = `project, id, start_ts, end_ts, clock_offset, pages, entry_url, agent, browser, os, device`

func scanSession(row interface{ Scan(...any) error }) (store.Session, error) {
	var (
		s                  store.Session
		start, end, offset int64
	)
	err := row.Scan(&s.Project, &s.ID, &start, &end, &offset, &s.Pages, &s.EntryURL, &s.UserAgent, &s.Browser, &s.OS, &s.Device)
	s.Start, s.End = ms(start), ms(end)
	s.ClockOffset = time.Duration(offset) * time.Millisecond
	return s, err
}

func ms(v int64) time.Time { return time.UnixMilli(v).UTC() }

// sessionKey names one session: its id is unique only within its project.
type sessionKey struct {
	project int64
	id      string
}

// Sessions lists up to limit sessions, newest first, with their windows:
// those of one project, or of every project when project is 0.
func (s *Store) Sessions(ctx context.Context, project int64, limit int) (_ []store.Session, err error) {
	defer s.check(&err)
	// One read transaction: the sessions and their windows from one
	// snapshot, though the processor commits meanwhile.
	tx, err := s.iread.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE ?1 = 0 OR project = ?1 ORDER BY start_ts DESC, project, id LIMIT ?2`, project, limit)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	var list []store.Session
	for rows.Next() {
		sess, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("list sessions: %w", err)
		}
		list = append(list, sess)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	if len(list) == 0 {
		return list, nil
	}
	var where strings.Builder
	args := make([]any, 0, 2*len(list))
	for i, sess := range list {
		if i > 0 {
			where.WriteString(" OR ")
		}
		where.WriteString("(project = ? AND session = ?)")
		args = append(args, sess.Project, sess.ID)
	}
	windows, err := windowsOf(ctx, tx, where.String(), args...)
	if err != nil {
		return nil, err
	}
	for i := range list {
		list[i].Windows = windows[sessionKey{list[i].Project, list[i].ID}]
	}
	return list, nil
}

// windowsOf reads the windows of the sessions that where picks, by session.
func windowsOf(ctx context.Context, tx *sql.Tx, where string, args ...any) (map[sessionKey][]store.Window, error) {
	rows, err := tx.QueryContext(ctx, `SELECT project, session, id, start_ts, end_ts, events FROM windows
		WHERE `+where+` ORDER BY start_ts, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read windows: %w", err)
	}
	defer rows.Close()
	out := map[sessionKey][]store.Window{}
	for rows.Next() {
		var (
			k          sessionKey
			w          store.Window
			start, end int64
		)
		if err := rows.Scan(&k.project, &k.id, &w.ID, &start, &end, &w.Events); err != nil {
			return nil, fmt.Errorf("read windows: %w", err)
		}
		w.Start, w.End = ms(start), ms(end)
		out[k] = append(out[k], w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read windows: %w", err)
	}
	return out, nil
}

// Session returns one session of a project with its windows and page views.
func (s *Store) Session(ctx context.Context, project int64, id string) (_ store.Session, err error) {
	defer s.check(&err)
	tx, err := s.iread.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return store.Session{}, fmt.Errorf("read session %s: %w", id, err)
	}
	defer tx.Rollback()
	sess, err := scanSession(tx.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE project = ? AND id = ?`, project, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Session{}, store.ErrNotFound
	}
	if err != nil {
		return store.Session{}, fmt.Errorf("read session %s: %w", id, err)
	}
	windows, err := windowsOf(ctx, tx, `project = ? AND session = ?`, project, id)
	if err != nil {
		return store.Session{}, err
	}
	sess.Windows = windows[sessionKey{project, id}]
	prows, err := tx.QueryContext(ctx, `SELECT window, ts, url, width, height FROM page_views
		WHERE project = ? AND session = ? ORDER BY ts, window`, project, id)
	if err != nil {
		return store.Session{}, fmt.Errorf("read pages of %s: %w", id, err)
	}
	defer prows.Close()
	for prows.Next() {
		var (
			p  store.PageView
			ts int64
		)
		if err := prows.Scan(&p.Window, &ts, &p.URL, &p.Width, &p.Height); err != nil {
			return store.Session{}, fmt.Errorf("read pages of %s: %w", id, err)
		}
		p.Start = ms(ts)
		sess.PageViews = append(sess.PageViews, p)
	}
	return sess, prows.Err()
}

// ResetIndex forgets the sessions index and every reader's position, so
// that the processor rebuilds it from the log.
func (s *Store) ResetIndex(ctx context.Context) error {
	tx, err := s.iwrite.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("reset the sessions index: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM page_views; DELETE FROM windows;
		DELETE FROM sessions; DELETE FROM processed;`); err != nil {
		return fmt.Errorf("reset the sessions index: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("reset the sessions index: %w", err)
	}
	return nil
}
