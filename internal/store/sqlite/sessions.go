package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/playhead/playhead/internal/store"
)

// ApplySessionUpdates folds updates into the sessions index and records
// that the reader called name has applied the log up to position upto, in
// one transaction: a crash leaves either both or neither. A window's
// analysis replaces its previous one whole; then the aggregates of each
// session whose analysis changed are recomputed from its windows'.
func (s *Store) ApplySessionUpdates(ctx context.Context, name string, upto int64, updates []store.SessionUpdate) (err error) {
	defer s.check(&err)
	// What is applied will not be read again but by a rebuild.
	defer s.checked.drop(upto)
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
	paged := map[int64]bool{}     // sessions with page views added, by n
	analysed := map[int64]int64{} // sessions whose analysis or pages changed: n → project
	var order []int64             // analysed, in first-seen order
	for _, u := range updates {
		n, err := st.apply(ctx, u)
		if err != nil {
			return err
		}
		if len(u.PageViews) > 0 {
			paged[n] = true
		}
		// The score's missed goals depend on the pages too.
		if u.Analysis != nil || len(u.PageViews) > 0 {
			if _, ok := analysed[n]; !ok {
				order = append(order, n)
			}
			analysed[n] = u.Project
		}
	}
	for n := range paged {
		if _, err := st.entry.ExecContext(ctx, n); err != nil {
			return fmt.Errorf("update session %d: %w", n, err)
		}
	}
	goals := map[int64][]store.Goal{}
	for _, n := range order {
		project := analysed[n]
		g, ok := goals[project]
		if !ok {
			if g, err = s.Goals(ctx, project); err != nil {
				return err
			}
			goals[project] = g
		}
		if err := st.aggregate(ctx, n, g, paged[n]); err != nil {
			return err
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
	parts, insert, widenWindow, window, pageView, counts, entry *sql.Stmt
	analysisStatements
}

type stmtSQL struct {
	dst **sql.Stmt
	sql string
}

func (st *indexStatements) all() []stmtSQL {
	return append([]stmtSQL{
		{&st.parts, `SELECT n, clock_offset, pages, windows, start_ts, end_ts FROM sessions
			WHERE project = ? AND recorded = ? ORDER BY start_ts DESC`},
		{&st.insert, `INSERT INTO sessions (project, id, recorded, start_ts, end_ts, clock_offset, agent, browser, os, device)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING n`},

		{&st.widenWindow, `UPDATE windows SET start_ts = min(start_ts, ?3), end_ts = max(end_ts, ?4),
			events = events + ?5 WHERE sn = ?1 AND id = ?2`},
		{&st.window, `INSERT INTO windows (sn, id, start_ts, end_ts, events) VALUES (?, ?, ?, ?, ?)`},
		{&st.pageView, `INSERT INTO page_views (sn, window, ts, url, width, height)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`},
		{&st.counts, `UPDATE sessions SET start_ts = min(start_ts, ?), end_ts = max(end_ts, ?), pages = ?, windows = ?
			WHERE n = ?`},
		{&st.entry, `UPDATE sessions SET entry_url = coalesce((SELECT url FROM page_views
			WHERE sn = ?1 ORDER BY ts LIMIT 1), '') WHERE n = ?1`},
	}, st.analysisStatements.all()...)
}

func prepareIndex(ctx context.Context, tx *sql.Tx) (*indexStatements, error) {
	st := &indexStatements{}
	for _, p := range st.all() {
		stmt, err := tx.PrepareContext(ctx, p.sql)
		if err != nil {
			st.close()
			return nil, fmt.Errorf("prepare index statement: %w", err)
		}
		*p.dst = stmt
	}
	return st, nil
}

func (st *indexStatements) close() {
	for _, p := range st.all() {
		if *p.dst != nil {
			(*p.dst).Close()
		}
	}
}

// apply folds one update in and returns its session's number. A new
// session takes the update's clock offset; a known one keeps its own, so
// that its timeline stays whole. Windows and page views past the session's
// limits are left out, and so is the analysis of a window left out.
func (st *indexStatements) apply(ctx context.Context, u store.SessionUpdate) (int64, error) {
	p, err := st.part(ctx, u)
	if err != nil {
		return 0, fmt.Errorf("update session %s: %w", u.Session, err)
	}
	n, offset, pages, windows := p.n, p.offset, p.pages, p.windows
	if n == 0 {
		offset = u.ClockOffset.Milliseconds()
		err = st.insert.QueryRowContext(ctx, u.Project, store.PartID(u.Session, p.number), u.Session,
			u.First.UnixMilli()+offset, u.Last.UnixMilli()+offset, offset, u.UserAgent, u.Browser, u.OS, u.Device).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("update session %s: %w", u.Session, err)
		}
	}
	first, last := u.First.UnixMilli()+offset, u.Last.UnixMilli()+offset
	listed, err := rowsAffected(st.widenWindow.ExecContext(ctx, n, u.Window, first, last, u.Events))
	if err == nil && listed == 0 && windows < store.MaxWindows {
		_, err = st.window.ExecContext(ctx, n, u.Window, first, last, u.Events)
		windows++
		listed = 1
	}
	if err != nil {
		return 0, fmt.Errorf("update window %s/%s: %w", u.Session, u.Window, err)
	}
	for _, p := range u.PageViews {
		if pages >= store.MaxPageViews {
			break
		}
		added, err := rowsAffected(st.pageView.ExecContext(ctx, n, u.Window,
			p.Start.UnixMilli()+offset, p.URL, p.Width, p.Height))
		if err != nil {
			return 0, fmt.Errorf("add page view to %s: %w", u.Session, err)
		}
		pages += added
	}
	if _, err := st.counts.ExecContext(ctx, first, last, pages, windows, n); err != nil {
		return 0, fmt.Errorf("update session %s: %w", u.Session, err)
	}
	if u.Analysis != nil && listed > 0 {
		if err := st.replaceAnalysis(ctx, n, u.Window, offset, last, u.Analysis); err != nil {
			return 0, fmt.Errorf("analysis of %s/%s: %w", u.Session, u.Window, err)
		}
	}
	return n, nil
}

// sessionPart is the indexed part of a recorder's session that an update
// goes to; n is 0 for a part to make, number number.
type sessionPart struct {
	n, offset, pages, windows int64
	number                    int
}

// part finds the part of the recorder's session that u belongs to: the
// latest part that started before u's events, unless they come after the
// latest part has been idle for store.SessionIdle or would make it longer
// than store.SessionMaxLength, which starts a new part. Log order decides,
// so rebuilding the index from the log splits sessions the same way.
func (st *indexStatements) part(ctx context.Context, u store.SessionUpdate) (sessionPart, error) {
	rows, err := st.parts.QueryContext(ctx, u.Project, u.Session)
	if err != nil {
		return sessionPart{}, err
	}
	defer rows.Close()
	type known struct {
		sessionPart
		start, end int64
	}
	var parts []known // newest first
	for rows.Next() {
		var k known
		if err := rows.Scan(&k.n, &k.offset, &k.pages, &k.windows, &k.start, &k.end); err != nil {
			return sessionPart{}, err
		}
		parts = append(parts, k)
	}
	if err := rows.Err(); err != nil {
		return sessionPart{}, err
	}
	if len(parts) == 0 {
		return sessionPart{number: 1}, nil
	}
	latest := parts[0]
	first, last := u.First.UnixMilli()+latest.offset, u.Last.UnixMilli()+latest.offset
	if first > latest.end+store.SessionIdle.Milliseconds() || last > latest.start+store.SessionMaxLength.Milliseconds() {
		return sessionPart{number: len(parts) + 1}, nil
	}
	for _, p := range parts {
		if p.start <= last {
			return p.sessionPart, nil
		}
	}
	return parts[len(parts)-1].sessionPart, nil // older than every part: the first
}

func rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// sessionColumns are what a listed session shows, read by scanSession.
var sessionColumns = func() string {
	cols := `s.n, s.project, s.id, s.recorded, s.start_ts, s.end_ts, s.clock_offset, s.pages, s.entry_url, s.agent, s.browser,
		s.os, s.device, s.active_ms, s.clicks, s.errors, s.failed_requests, s.exit_url, s.user_id, s.viewport_w,
		s.viewport_h, s.score, s.score_parts`
	for _, k := range store.SignalKinds {
		cols += ", s." + signalColumns[k]
	}
	return cols
}()

// scanSession reads sessionColumns, then extra.
func scanSession(row interface{ Scan(...any) error }, extra ...any) (store.Session, int64, error) {
	var (
		s                  store.Session
		n                  int64
		start, end, offset int64
		parts              string
	)
	dst := []any{&n, &s.Project, &s.ID, &s.Recorded, &start, &end, &offset, &s.Pages, &s.EntryURL, &s.UserAgent, &s.Browser,
		&s.OS, &s.Device, &s.ActiveMS, &s.Clicks, &s.Errors, &s.FailedRequests, &s.ExitURL, &s.UserID,
		&s.ViewportWidth, &s.ViewportHeight, &s.Score.Total, &parts}
	counts := make([]int, len(store.SignalKinds))
	for i := range counts {
		dst = append(dst, &counts[i])
	}
	if err := row.Scan(append(dst, extra...)...); err != nil {
		return s, 0, err
	}
	s.Start, s.End = ms(start), ms(end)
	s.ClockOffset = time.Duration(offset) * time.Millisecond
	s.SignalCounts = map[string]int{}
	for i, k := range store.SignalKinds {
		if counts[i] > 0 {
			s.SignalCounts[k] = counts[i]
		}
	}
	if err := json.Unmarshal([]byte(parts), &s.Score.Parts); err != nil {
		return s, 0, fmt.Errorf("score of session %s: %w", s.ID, err)
	}
	return s, n, nil
}

func ms(v int64) time.Time { return time.UnixMilli(v).UTC() }

// Sessions lists up to limit sessions, newest first, with their windows:
// those of one project, or of every project when project is 0.
func (s *Store) Sessions(ctx context.Context, project int64, limit int) ([]store.Session, error) {
	res, err := s.Search(ctx, store.SessionQuery{Filter: store.SessionFilter{Project: project}, Limit: limit})
	return res.Sessions, err
}

// addWindows fills in the windows of list, whose numbers are ns.
func addWindows(ctx context.Context, tx *sql.Tx, list []store.Session, ns []int64) error {
	if len(list) == 0 {
		return nil
	}
	where := "sn IN (?" + strings.Repeat(", ?", len(ns)-1) + ")"
	args := make([]any, len(ns))
	for i, n := range ns {
		args[i] = n
	}
	windows, err := windowsOf(ctx, tx, where, args...)
	if err != nil {
		return err
	}
	for i := range list {
		list[i].Windows = windows[ns[i]]
	}
	return nil
}

// windowsOf reads the windows of the sessions that where picks, by session.
func windowsOf(ctx context.Context, tx *sql.Tx, where string, args ...any) (map[int64][]store.Window, error) {
	rows, err := tx.QueryContext(ctx, `SELECT sn, id, start_ts, end_ts, events FROM windows
		WHERE `+where+` ORDER BY start_ts, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read windows: %w", err)
	}
	defer rows.Close()
	out := map[int64][]store.Window{}
	for rows.Next() {
		var (
			n          int64
			w          store.Window
			start, end int64
		)
		if err := rows.Scan(&n, &w.ID, &start, &end, &w.Events); err != nil {
			return nil, fmt.Errorf("read windows: %w", err)
		}
		w.Start, w.End = ms(start), ms(end)
		out[n] = append(out[n], w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read windows: %w", err)
	}
	return out, nil
}

// Session returns one session of a project with its windows, page views,
// pages with time on each, signals, custom events, traits, and whether it
// reached each of the project's goals.
func (s *Store) Session(ctx context.Context, project int64, id string) (_ store.Session, err error) {
	defer s.check(&err)
	goals, err := s.Goals(ctx, project)
	if err != nil {
		return store.Session{}, err
	}
	tx, err := s.iread.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return store.Session{}, fmt.Errorf("read session %s: %w", id, err)
	}
	defer tx.Rollback()
	sess, n, err := scanSession(tx.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions s
		WHERE project = ? AND id = ?`, project, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Session{}, store.ErrNotFound
	}
	if err != nil {
		return store.Session{}, fmt.Errorf("read session %s: %w", id, err)
	}
	windows, err := windowsOf(ctx, tx, `sn = ?`, n)
	if err != nil {
		return store.Session{}, err
	}
	sess.Windows = windows[n]
	if err := readDetail(ctx, tx, n, &sess); err != nil {
		return store.Session{}, fmt.Errorf("read session %s: %w", id, err)
	}
	sess.Goals = goalResults(goals, sess)
	if sess.Tags, err = s.SessionTags(ctx, project, id); err != nil {
		return store.Session{}, err
	}
	return sess, nil
}

// readDetail reads what only one session's page shows.
func readDetail(ctx context.Context, tx *sql.Tx, n int64, sess *store.Session) error {
	sess.Traits = map[string]string{}
	for _, q := range []struct {
		sql  string
		scan func(func(...any) error) error
	}{
		{`SELECT window, ts, url, width, height FROM page_views WHERE sn = ? ORDER BY ts, window`, func(scan func(...any) error) error {
			var (
				p  store.PageView
				ts int64
			)
			err := scan(&p.Window, &ts, &p.URL, &p.Width, &p.Height)
			p.Start = ms(ts)
			sess.PageViews = append(sess.PageViews, p)
			return err
		}},
		{`SELECT window, visits, signals, shown FROM analysis WHERE sn = ?`, func(scan func(...any) error) error {
			var (
				window, vj, sj, shj string
				visits              []visitJSON
				signals             []signalJSON
				shown               []shownJSON
			)
			if err := scan(&window, &vj, &sj, &shj); err != nil {
				return err
			}
			if err := errors.Join(json.Unmarshal([]byte(vj), &visits), json.Unmarshal([]byte(sj), &signals),
				json.Unmarshal([]byte(shj), &shown)); err != nil {
				return err
			}
			for i := range sess.Windows {
				if w := &sess.Windows[i]; w.ID == window {
					for _, v := range shown {
						w.Shown = append(w.Shown, store.Visibility{Time: ms(v.TS), Visible: v.Visible})
					}
				}
			}
			for _, v := range visits {
				sess.Visits = append(sess.Visits, store.Visit{Window: window, PageVisit: store.PageVisit{URL: v.URL, Title: v.Title,
					Start: ms(v.Start), Duration: time.Duration(v.DurationMS) * time.Millisecond}})
			}
			for _, g := range signals {
				sess.Signals = append(sess.Signals, store.Signal{Kind: g.Kind, Window: window, Time: ms(g.TS), URL: g.URL,
					Selector: g.Selector, Text: g.Text, Count: g.Count, Value: g.Value, Detail: g.Detail})
			}
			return nil
		}},
		{`SELECT name, min(ts) FROM custom_events WHERE sn = ? GROUP BY name ORDER BY min(ts), name`, func(scan func(...any) error) error {
			var (
				e  store.CustomEvent
				ts int64
			)
			err := scan(&e.Name, &ts)
			e.Time = ms(ts)
			sess.CustomEvents = append(sess.CustomEvents, e)
			return err
		}},
		{`SELECT name, value FROM traits WHERE sn = ?`, func(scan func(...any) error) error {
			var k, v string
			err := scan(&k, &v)
			sess.Traits[k] = v
			return err
		}},
	} {
		rows, err := tx.QueryContext(ctx, q.sql, n)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := q.scan(rows.Scan); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	// Windows in time order, then within a window in its order.
	sort.SliceStable(sess.Visits, func(i, j int) bool { return sess.Visits[i].Start.Before(sess.Visits[j].Start) })
	sort.SliceStable(sess.Signals, func(i, j int) bool { return sess.Signals[i].Time.Before(sess.Signals[j].Time) })
	return nil
}

// ResetIndex forgets the sessions index and every reader's position, so
// that the processor rebuilds it from the log.
func (s *Store) ResetIndex(ctx context.Context) (err error) {
	defer s.check(&err)
	tx, err := s.iwrite.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("reset the sessions index: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM page_views; DELETE FROM windows;
		DELETE FROM custom_events; DELETE FROM traits;
		DELETE FROM search; DELETE FROM analysis; DELETE FROM sessions; DELETE FROM paths; DELETE FROM processed;`); err != nil {
		return fmt.Errorf("reset the sessions index: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("reset the sessions index: %w", err)
	}
	return nil
}
