package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/playhead/playhead/internal/store"
)

// analysisStatements replace one window's analysis and recompute its
// session's aggregates.
type analysisStatements struct {
	findAnalysis, insertAnalysis, updateAnalysis                    *sql.Stmt
	dropVisits, dropEvents, dropSignals, dropText                   *sql.Stmt
	addVisit, addEvent, addSignal, addText                          *sql.Stmt
	windowsOf, signalCounts, urlsOf, eventsOf, dropTraits, addTrait *sql.Stmt
	setAggregates                                                   *sql.Stmt
}

// signalColumns are the sessions columns that count signals, by kind: a
// fixed list, so that no name from outside reaches SQL.
var signalColumns = func() map[string]string {
	m := map[string]string{}
	for _, k := range store.SignalKinds {
		m[k] = "sig_" + k
	}
	return m
}()

func (st *analysisStatements) all() []stmtSQL {
	var set strings.Builder
	for _, k := range store.SignalKinds {
		fmt.Fprintf(&set, ", %s = ?", signalColumns[k])
	}
	return []stmtSQL{
		{&st.findAnalysis, `SELECT wid FROM analysis WHERE sn = ? AND window = ?`},
		{&st.insertAnalysis, `INSERT INTO analysis (sn, window, last_ts, active_ms, clicks, errors, failed_requests,
			exit_url, exit_ts, viewport_w, viewport_h, user_id, traits) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING wid`},
		{&st.updateAnalysis, `UPDATE analysis SET last_ts = ?, active_ms = ?, clicks = ?, errors = ?, failed_requests = ?,
			exit_url = ?, exit_ts = ?, viewport_w = ?, viewport_h = ?, user_id = ?, traits = ? WHERE wid = ?`},
		{&st.dropVisits, `DELETE FROM visits WHERE sn = ? AND window = ?`},
		{&st.dropEvents, `DELETE FROM custom_events WHERE sn = ? AND window = ?`},
		{&st.dropSignals, `DELETE FROM signals WHERE sn = ? AND window = ?`},
		{&st.dropText, `DELETE FROM search WHERE rowid = ?`},
		{&st.addVisit, `INSERT INTO visits (sn, window, i, url, title, start_ts, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?)`},
		{&st.addEvent, `INSERT INTO custom_events (sn, name, window, ts) VALUES (?, ?, ?, ?)
			ON CONFLICT DO UPDATE SET ts = min(ts, excluded.ts)`},
		{&st.addSignal, `INSERT INTO signals (sn, window, i, kind, ts, url, selector, text, count, value, detail)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&st.addText, `INSERT INTO search (rowid, body) VALUES (?, ?)`},
		{&st.windowsOf, `SELECT active_ms, clicks, errors, failed_requests, exit_url, exit_ts, viewport_w, viewport_h,
			user_id, traits FROM analysis WHERE sn = ? ORDER BY last_ts, window`},
		{&st.signalCounts, `SELECT kind, count(*) FROM signals WHERE sn = ? GROUP BY kind`},
		{&st.urlsOf, `SELECT url FROM page_views WHERE sn = ?`},
		{&st.eventsOf, `SELECT DISTINCT name FROM custom_events WHERE sn = ?`},
		{&st.dropTraits, `DELETE FROM traits WHERE sn = ?`},
		{&st.addTrait, `INSERT INTO traits (sn, name, value) VALUES (?, ?, ?)`},
		{&st.setAggregates, `UPDATE sessions SET active_ms = ?, clicks = ?, errors = ?, failed_requests = ?,
			exit_url = ?, user_id = ?, viewport_w = ?, viewport_h = ?, score = ?, score_parts = ?` + set.String() + ` WHERE n = ?`},
	}
}

// replaceAnalysis puts a window's analysis in place of its previous one,
// within the limits of store.Max*. Times are moved by the session's offset.
func (st *analysisStatements) replaceAnalysis(ctx context.Context, n int64, window string, offset, last int64, a *store.WindowAnalysis) error {
	traits := map[string]string{}
	for _, name := range sortedKeys(a.Traits) {
		if len(traits) == store.MaxTraits {
			break
		}
		traits[store.Cut(name, store.MaxTextBytes)] = store.Cut(a.Traits[name], store.MaxTextBytes)
	}
	tj, err := json.Marshal(traits)
	if err != nil {
		return err
	}
	exitAt := int64(0)
	if !a.ExitAt.IsZero() {
		exitAt = a.ExitAt.UnixMilli() + offset
	}
	args := []any{last, a.ActiveMS, a.Clicks, a.Errors, a.FailedRequests, store.Cut(a.ExitURL, store.MaxURLBytes), exitAt,
		a.ViewportWidth, a.ViewportHeight, store.Cut(a.UserID, store.MaxTextBytes), string(tj)}
	var wid int64
	switch err := st.findAnalysis.QueryRowContext(ctx, n, window).Scan(&wid); {
	case errors.Is(err, sql.ErrNoRows):
		if err := st.insertAnalysis.QueryRowContext(ctx, append([]any{n, window}, args...)...).Scan(&wid); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		if _, err := st.updateAnalysis.ExecContext(ctx, append(args, wid)...); err != nil {
			return err
		}
		for _, s := range []*sql.Stmt{st.dropVisits, st.dropEvents, st.dropSignals} {
			if _, err := s.ExecContext(ctx, n, window); err != nil {
				return err
			}
		}
		if _, err := st.dropText.ExecContext(ctx, wid); err != nil {
			return err
		}
	}
	var text strings.Builder
	for i, p := range a.Pages[:min(len(a.Pages), store.MaxVisits)] {
		u, title := store.Cut(p.URL, store.MaxURLBytes), store.Cut(p.Title, store.MaxTextBytes)
		if _, err := st.addVisit.ExecContext(ctx, n, window, i, u, title, p.Start.UnixMilli()+offset, p.Duration.Milliseconds()); err != nil {
			return err
		}
		text.WriteString(u + "\n" + title + "\n")
	}
	for _, e := range a.CustomEvents[:min(len(a.CustomEvents), store.MaxCustomEvents)] {
		if _, err := st.addEvent.ExecContext(ctx, n, store.Cut(e.Name, store.MaxTextBytes), window, e.Time.UnixMilli()+offset); err != nil {
			return err
		}
	}
	for i, s := range a.Signals[:min(len(a.Signals), store.MaxSignals)] {
		if _, err := st.addSignal.ExecContext(ctx, n, window, i, store.Cut(s.Kind, 64), s.Time.UnixMilli()+offset,
			store.Cut(s.URL, store.MaxURLBytes), store.Cut(s.Selector, store.MaxTextBytes), store.Cut(s.Text, store.MaxTextBytes),
			max(s.Count, 1), s.Value, store.Cut(s.Detail, store.MaxTextBytes)); err != nil {
			return err
		}
	}
	for _, t := range a.Text[:min(len(a.Text), store.MaxTexts)] {
		text.WriteString(store.Cut(t, store.MaxTextBytes) + "\n")
	}
	if text.Len() > 0 {
		if _, err := st.addText.ExecContext(ctx, wid, text.String()); err != nil {
			return err
		}
	}
	return nil
}

// aggregate recomputes a session's totals, exit page, user, traits,
// viewport, signal counts and score from its windows' analyses. "Latest"
// is by the window's last event when it was analysed.
func (st *analysisStatements) aggregate(ctx context.Context, n int64, goals []store.Goal) error {
	var (
		agg     store.Session
		exitAt  int64 = -1 << 62
		traits        = map[string]string{}
		counts        = map[string]int{}
		missing       = 0
	)
	rows, err := st.windowsOf.QueryContext(ctx, n)
	if err != nil {
		return fmt.Errorf("aggregate session %d: %w", n, err)
	}
	for rows.Next() {
		var (
			w          store.WindowAnalysis
			exitTS     int64
			traitsJSON string
		)
		if err := rows.Scan(&w.ActiveMS, &w.Clicks, &w.Errors, &w.FailedRequests, &w.ExitURL, &exitTS,
			&w.ViewportWidth, &w.ViewportHeight, &w.UserID, &traitsJSON); err != nil {
			rows.Close()
			return fmt.Errorf("aggregate session %d: %w", n, err)
		}
		agg.ActiveMS += w.ActiveMS
		agg.Clicks += w.Clicks
		agg.Errors += w.Errors
		agg.FailedRequests += w.FailedRequests
		if w.ExitURL != "" && exitTS >= exitAt {
			agg.ExitURL, exitAt = w.ExitURL, exitTS
		}
		if w.UserID != "" {
			agg.UserID = w.UserID
		}
		if w.ViewportWidth > 0 && w.ViewportHeight > 0 {
			agg.ViewportWidth, agg.ViewportHeight = w.ViewportWidth, w.ViewportHeight
		}
		var t map[string]string
		if err := json.Unmarshal([]byte(traitsJSON), &t); err == nil {
			for k, v := range t {
				traits[k] = v
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("aggregate session %d: %w", n, err)
	}
	if rows, err = st.signalCounts.QueryContext(ctx, n); err != nil {
		return fmt.Errorf("count signals of session %d: %w", n, err)
	}
	for rows.Next() {
		var (
			kind string
			c    int
		)
		if err := rows.Scan(&kind, &c); err != nil {
			rows.Close()
			return fmt.Errorf("count signals of session %d: %w", n, err)
		}
		counts[kind] = c
	}
	rows.Close()
	if len(goals) > 0 {
		urls, err := strings1(ctx, st.urlsOf, n)
		if err != nil {
			return err
		}
		events, err := strings1(ctx, st.eventsOf, n)
		if err != nil {
			return err
		}
		missing = store.MissedGoals(goals, urls, events)
	}
	score := store.ComputeScore(store.ScoreInput{Signals: counts, Errors: agg.Errors,
		FailedRequests: agg.FailedRequests, MissedGoals: missing})
	parts, err := json.Marshal(score.Parts)
	if err != nil {
		return err
	}
	args := []any{agg.ActiveMS, agg.Clicks, agg.Errors, agg.FailedRequests, agg.ExitURL, agg.UserID,
		agg.ViewportWidth, agg.ViewportHeight, score.Total, string(parts)}
	for _, k := range store.SignalKinds {
		args = append(args, counts[k])
	}
	if _, err := st.setAggregates.ExecContext(ctx, append(args, n)...); err != nil {
		return fmt.Errorf("update session %d: %w", n, err)
	}
	if _, err := st.dropTraits.ExecContext(ctx, n); err != nil {
		return fmt.Errorf("update traits of session %d: %w", n, err)
	}
	for i, name := range sortedKeys(traits) {
		if i == store.MaxTraits {
			break
		}
		if _, err := st.addTrait.ExecContext(ctx, n, name, traits[name]); err != nil {
			return fmt.Errorf("update traits of session %d: %w", n, err)
		}
	}
	return nil
}

// strings1 reads a one-column list of strings.
func strings1(ctx context.Context, stmt *sql.Stmt, args ...any) ([]string, error) {
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
