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
	touched := map[string]bool{}
	for _, u := range updates {
		ok, err := st.apply(ctx, u)
		if err != nil {
			return err
		}
		if ok {
			touched[u.Session] = true
		}
	}
	for id := range touched {
		if _, err := st.summarize.ExecContext(ctx, id); err != nil {
			return fmt.Errorf("update session %s: %w", id, err)
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
	owner, insert, widen, window, pageView, summarize *sql.Stmt
}

func prepareIndex(ctx context.Context, tx *sql.Tx) (*indexStatements, error) {
	var st indexStatements
	for _, p := range []struct {
		dst **sql.Stmt
		sql string
	}{
		{&st.owner, `SELECT project FROM sessions WHERE id = ?`},
		{&st.insert, `INSERT INTO sessions (id, project, start_ts, end_ts, agent, browser, os, device)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`},
		{&st.widen, `UPDATE sessions SET start_ts = min(start_ts, ?), end_ts = max(end_ts, ?) WHERE id = ?`},
		{&st.window, `INSERT INTO windows (session, id, start_ts, end_ts, events) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (session, id) DO UPDATE SET start_ts = min(start_ts, excluded.start_ts),
				end_ts = max(end_ts, excluded.end_ts), events = events + excluded.events`},
		{&st.pageView, `INSERT INTO page_views (session, window, ts, url, width, height)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`},
		{&st.summarize, `UPDATE sessions SET
			pages = (SELECT count(*) FROM page_views WHERE session = ?1),
			entry_url = coalesce((SELECT url FROM page_views WHERE session = ?1 ORDER BY ts LIMIT 1), '')
			WHERE id = ?1`},
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
	for _, s := range []*sql.Stmt{st.owner, st.insert, st.widen, st.window, st.pageView, st.summarize} {
		if s != nil {
			s.Close()
		}
	}
}

// apply folds one update in. It reports false, changing nothing, for a
// session id already owned by another project.
func (st *indexStatements) apply(ctx context.Context, u store.SessionUpdate) (bool, error) {
	var owner int64
	err := st.owner.QueryRowContext(ctx, u.Session).Scan(&owner)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = st.insert.ExecContext(ctx, u.Session, u.Project, u.First.UnixMilli(), u.Last.UnixMilli(),
			u.UserAgent, u.Browser, u.OS, u.Device)
	case err != nil:
	case owner != u.Project:
		return false, nil
	default:
		_, err = st.widen.ExecContext(ctx, u.First.UnixMilli(), u.Last.UnixMilli(), u.Session)
	}
	if err != nil {
		return false, fmt.Errorf("update session %s: %w", u.Session, err)
	}
	if _, err := st.window.ExecContext(ctx, u.Session, u.Window, u.First.UnixMilli(), u.Last.UnixMilli(), u.Events); err != nil {
		return false, fmt.Errorf("update window %s/%s: %w", u.Session, u.Window, err)
	}
	for _, p := range u.PageViews {
		if _, err := st.pageView.ExecContext(ctx, u.Session, u.Window, p.Start.UnixMilli(), p.URL, p.Width, p.Height); err != nil {
			return false, fmt.Errorf("add page view to %s: %w", u.Session, err)
		}
	}
	return true, nil
}

const sessionColumns = `id, project, start_ts, end_ts, pages, entry_url, agent, browser, os, device`

func scanSession(row interface{ Scan(...any) error }) (store.Session, error) {
	var (
		s          store.Session
		start, end int64
	)
	err := row.Scan(&s.ID, &s.Project, &start, &end, &s.Pages, &s.EntryURL, &s.UserAgent, &s.Browser, &s.OS, &s.Device)
	s.Start, s.End = ms(start), ms(end)
	return s, err
}

func ms(v int64) time.Time { return time.UnixMilli(v).UTC() }

// Sessions lists up to limit sessions, newest first, with their windows.
func (s *Store) Sessions(ctx context.Context, limit int) (_ []store.Session, err error) {
	defer s.check(&err)
	// One read transaction: the sessions and their windows from one
	// snapshot, though the processor commits meanwhile.
	tx, err := s.iread.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions
		ORDER BY start_ts DESC, id LIMIT ?`, limit)
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
	ids := make([]any, len(list))
	for i, sess := range list {
		ids[i] = sess.ID
	}
	windows, err := windowsOf(ctx, tx, `session IN (?`+strings.Repeat(",?", len(ids)-1)+`)`, ids...)
	if err != nil {
		return nil, err
	}
	for i := range list {
		list[i].Windows = windows[list[i].ID]
	}
	return list, nil
}

// windowsOf reads the windows of the sessions that where picks, by session.
func windowsOf(ctx context.Context, tx *sql.Tx, where string, args ...any) (map[string][]store.Window, error) {
	rows, err := tx.QueryContext(ctx, `SELECT session, id, start_ts, end_ts, events FROM windows
		WHERE `+where+` ORDER BY start_ts, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read windows: %w", err)
	}
	defer rows.Close()
	out := map[string][]store.Window{}
	for rows.Next() {
		var (
			session    string
			w          store.Window
			start, end int64
		)
		if err := rows.Scan(&session, &w.ID, &start, &end, &w.Events); err != nil {
			return nil, fmt.Errorf("read windows: %w", err)
		}
		w.Start, w.End = ms(start), ms(end)
		out[session] = append(out[session], w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read windows: %w", err)
	}
	return out, nil
}

// Session returns one session with its windows and page views.
func (s *Store) Session(ctx context.Context, id string) (_ store.Session, err error) {
	defer s.check(&err)
	tx, err := s.iread.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return store.Session{}, fmt.Errorf("read session %s: %w", id, err)
	}
	defer tx.Rollback()
	sess, err := scanSession(tx.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Session{}, store.ErrNotFound
	}
	if err != nil {
		return store.Session{}, fmt.Errorf("read session %s: %w", id, err)
	}
	windows, err := windowsOf(ctx, tx, `session = ?`, id)
	if err != nil {
		return store.Session{}, err
	}
	sess.Windows = windows[id]
	prows, err := tx.QueryContext(ctx, `SELECT window, ts, url, width, height FROM page_views
		WHERE session = ? ORDER BY ts, window`, id)
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

// SessionEvents returns the stored batches of a session, window by window
// in upload order, in their compressed form; window, when not empty, picks one. It reads the log
// itself, so it includes batches the index has not caught up with yet.
func (s *Store) SessionEvents(ctx context.Context, session, window string) (_ []store.WindowEvents, err error) {
	defer s.check(&err)
	q := `SELECT window, events FROM batches WHERE session = ?`
	args := []any{session}
	if window != "" {
		q += ` AND window = ?`
		args = append(args, window)
	}
	rows, err := s.read.QueryContext(ctx, q+` ORDER BY window, seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("read events of %s: %w", session, err)
	}
	defer rows.Close()
	var out []store.WindowEvents
	for rows.Next() {
		var (
			w    string
			blob []byte
		)
		if err := rows.Scan(&w, &blob); err != nil {
			return nil, fmt.Errorf("read events of %s: %w", session, err)
		}
		if len(out) == 0 || out[len(out)-1].Window != w {
			out = append(out, store.WindowEvents{Window: w})
		}
		last := &out[len(out)-1]
		last.Batches = append(last.Batches, blob)
	}
	return out, rows.Err()
}
