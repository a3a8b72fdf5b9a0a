package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strings"

	"github.com/playhead/playhead/internal/store"
)

// analysisStatements replace one window's analysis and recompute its
// session's aggregates.
type analysisStatements struct {
	findAnalysis, insertAnalysis, updateAnalysis, dropEvents, dropText *sql.Stmt
	addEvent, addText, windowsOf, urlsOf, eventsOf, dropTraits         *sql.Stmt
	addTrait, setAggregates                                            *sql.Stmt
	pagesOf, sessionPath, setPath, countPath, pathCounts               *sql.Stmt
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
		{&st.findAnalysis, `SELECT wid, text_sum FROM analysis WHERE sn = ? AND window = ?`},
		// wid: the session's number and the window's place in it
		// (slotBits); a session's windows are never removed one by one.
		{&st.insertAnalysis, `INSERT INTO analysis (wid, sn, window, last_ts, active_ms, clicks, errors, failed_requests,
			exit_url, exit_ts, viewport_w, viewport_h, user_id, traits, visits, signals, counts, shown, text_sum)
			VALUES ((?1 << ` + slotBits + `) + (SELECT count(*) FROM analysis WHERE sn = ?1),
				?1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING wid`},
		{&st.updateAnalysis, `UPDATE analysis SET last_ts = ?, active_ms = ?, clicks = ?, errors = ?, failed_requests = ?,
			exit_url = ?, exit_ts = ?, viewport_w = ?, viewport_h = ?, user_id = ?, traits = ?, visits = ?, signals = ?,
			counts = ?, shown = ?, text_sum = ? WHERE wid = ?`},
		{&st.dropEvents, `DELETE FROM custom_events WHERE sn = ? AND window = ?`},
		{&st.dropText, `DELETE FROM search WHERE rowid = ?`},
		{&st.addEvent, `INSERT INTO custom_events (sn, name, window, ts) VALUES (?, ?, ?, ?)
			ON CONFLICT DO UPDATE SET ts = min(ts, excluded.ts)`},
		{&st.addText, `INSERT INTO search (rowid, body) VALUES (?, ?)`},
		{&st.windowsOf, `SELECT active_ms, clicks, errors, failed_requests, exit_url, exit_ts, viewport_w, viewport_h,
			user_id, traits, counts FROM analysis WHERE sn = ? ORDER BY last_ts, window`},
		{&st.urlsOf, `SELECT url FROM page_views WHERE sn = ?`},
		{&st.eventsOf, `SELECT DISTINCT name FROM custom_events WHERE sn = ?`},
		{&st.dropTraits, `DELETE FROM traits WHERE sn = ?`},
		{&st.addTrait, `INSERT INTO traits (sn, name, value) VALUES (?, ?, ?)`},
		// A device the User-Agent did not tell is told by the viewport's
		// width: under 768 CSS pixels a phone, under 1100 a tablet.
		{&st.pagesOf, `SELECT url FROM page_views WHERE sn = ? ORDER BY ts, window LIMIT 100`},
		{&st.sessionPath, `SELECT project, path FROM sessions WHERE n = ?`},
		{&st.setPath, `UPDATE sessions SET path = ? WHERE n = ?`},
		{&st.countPath, `INSERT INTO paths (project, hash, sessions) VALUES (?, ?, ?)
			ON CONFLICT DO UPDATE SET sessions = sessions + excluded.sessions`},
		{&st.pathCounts, `SELECT coalesce((SELECT sessions FROM paths WHERE project = ?1 AND hash = ?2), 0),
			coalesce((SELECT sessions FROM paths WHERE project = ?1 AND hash = 0), 0)`},
		{&st.setAggregates, `UPDATE sessions SET active_ms = ?1, clicks = ?2, errors = ?3, failed_requests = ?4,
			exit_url = ?5, user_id = ?6, viewport_w = ?7, viewport_h = ?8, score = ?9, score_parts = ?10,
			device = CASE WHEN device <> '' OR ?7 <= 0 THEN device WHEN ?7 < 768 THEN 'mobile'
				WHEN ?7 < 1100 THEN 'tablet' ELSE 'desktop' END` + set.String() + ` WHERE n = ?`},
	}
}

// visitJSON and signalJSON are how a window's pages and signals are kept
// in its analysis row; times are dated ms.
type visitJSON struct {
	URL        string `json:"url"`
	Title      string `json:"title"`
	Start      int64  `json:"start"`
	DurationMS int64  `json:"duration_ms"`
}

type shownJSON struct {
	TS      int64 `json:"ts"`
	Visible bool  `json:"visible"`
}

type signalJSON struct {
	Kind     string  `json:"kind"`
	TS       int64   `json:"ts"`
	URL      string  `json:"url"`
	Selector string  `json:"selector"`
	Text     string  `json:"text"`
	Count    int     `json:"count"`
	Value    float64 `json:"value"`
	Detail   string  `json:"detail"`
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
	var text strings.Builder
	visits := make([]visitJSON, 0, min(len(a.Pages), store.MaxVisits))
	for _, p := range a.Pages[:min(len(a.Pages), store.MaxVisits)] {
		v := visitJSON{store.Cut(p.URL, store.MaxURLBytes), store.Cut(p.Title, store.MaxTextBytes),
			p.Start.UnixMilli() + offset, p.Duration.Milliseconds()}
		visits = append(visits, v)
		text.WriteString(v.URL + "\n" + v.Title + "\n")
	}
	signals := make([]signalJSON, 0, min(len(a.Signals), store.MaxSignals))
	counts := map[string]int{}
	for _, g := range a.Signals[:min(len(a.Signals), store.MaxSignals)] {
		kind := store.Cut(g.Kind, 64)
		signals = append(signals, signalJSON{kind, g.Time.UnixMilli() + offset, store.Cut(g.URL, store.MaxURLBytes),
			store.Cut(g.Selector, store.MaxTextBytes), store.Cut(g.Text, store.MaxTextBytes), max(g.Count, 1), g.Value,
			store.Cut(g.Detail, store.MaxTextBytes)})
		counts[kind]++
	}
	for _, t := range a.Text[:min(len(a.Text), store.MaxTexts)] {
		text.WriteString(store.Cut(t, store.MaxTextBytes) + "\n")
	}
	shown := make([]shownJSON, 0, min(len(a.Shown), store.MaxShown))
	for _, v := range a.Shown[:min(len(a.Shown), store.MaxShown)] {
		shown = append(shown, shownJSON{v.Time.UnixMilli() + offset, v.Visible})
	}
	var js [5][]byte
	for i, v := range []any{traits, visits, signals, counts, shown} {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		js[i] = b
	}
	exitAt := int64(0)
	if !a.ExitAt.IsZero() {
		exitAt = a.ExitAt.UnixMilli() + offset
	}
	sum := textSum(text.String())
	args := []any{last, a.ActiveMS, a.Clicks, a.Errors, a.FailedRequests, store.Cut(a.ExitURL, store.MaxURLBytes), exitAt,
		a.ViewportWidth, a.ViewportHeight, store.Cut(a.UserID, store.MaxTextBytes),
		string(js[0]), string(js[1]), string(js[2]), string(js[3]), string(js[4]), sum}
	var wid, stored int64
	switch err := st.findAnalysis.QueryRowContext(ctx, n, window).Scan(&wid, &stored); {
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
		if _, err := st.dropEvents.ExecContext(ctx, n, window); err != nil {
			return err
		}
		if stored == sum {
			text.Reset() // in search already
		} else if _, err := st.dropText.ExecContext(ctx, wid); err != nil {
			return err
		}
	}
	for _, e := range a.CustomEvents[:min(len(a.CustomEvents), store.MaxCustomEvents)] {
		if _, err := st.addEvent.ExecContext(ctx, n, store.Cut(e.Name, store.MaxTextBytes), window, e.Time.UnixMilli()+offset); err != nil {
			return err
		}
	}
	if text.Len() > 0 {
		if _, err := st.addText.ExecContext(ctx, wid, text.String()); err != nil {
			return err
		}
	}
	return nil
}

// textSum is the text_sum of a window's search text: never 0, which
// stands for a text not known.
func textSum(text string) int64 {
	const offset64, prime64 = 14695981039346656037, 1099511628211
	h := uint64(offset64)
	for i := 0; i < len(text); i++ {
		h = (h ^ uint64(text[i])) * prime64
	}
	if h == 0 {
		return 1
	}
	return int64(h)
}

// aggregate recomputes a session's totals, exit page, user, traits,
// viewport, signal counts and score from its windows' analyses. "Latest"
// is by the window's last event when it was analysed. paged says whether
// the session may have new page views.
func (st *analysisStatements) aggregate(ctx context.Context, n int64, goals []store.Goal, paged bool) error {
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
			countsJSON string
		)
		if err := rows.Scan(&w.ActiveMS, &w.Clicks, &w.Errors, &w.FailedRequests, &w.ExitURL, &exitTS,
			&w.ViewportWidth, &w.ViewportHeight, &w.UserID, &traitsJSON, &countsJSON); err != nil {
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
		var (
			t map[string]string
			c map[string]int
		)
		if err := errors.Join(json.Unmarshal([]byte(traitsJSON), &t), json.Unmarshal([]byte(countsJSON), &c)); err != nil {
			rows.Close()
			return fmt.Errorf("aggregate session %d: %w", n, err)
		}
		for k, v := range t {
			traits[k] = v
		}
		for k, v := range c {
			counts[k] += v
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("aggregate session %d: %w", n, err)
	}
	if slices.ContainsFunc(goals, func(g store.Goal) bool { return store.IntentGlob(g) != "" }) {
		urls, err := column(st.urlsOf.QueryContext(ctx, n))
		if err != nil {
			return err
		}
		events, err := column(st.eventsOf.QueryContext(ctx, n))
		if err != nil {
			return err
		}
		missing = store.MissedGoals(goals, urls, events)
	}
	rare, err := st.trackPath(ctx, n, paged)
	if err != nil {
		return fmt.Errorf("path of session %d: %w", n, err)
	}
	score := store.ComputeScore(store.ScoreInput{Signals: counts, Errors: agg.Errors,
		FailedRequests: agg.FailedRequests, MissedGoals: missing, RarePath: rare})
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

// trackPath brings the session's path and the project's path counts up to
// date with its pages, and tells whether its path is rare
// (store.IsRarePath) among the sessions indexed so far. Without new page
// views (paged false) the path is the one stored.
func (st *analysisStatements) trackPath(ctx context.Context, n int64, paged bool) (rare bool, err error) {
	var project, was int64
	if err := st.sessionPath.QueryRowContext(ctx, n).Scan(&project, &was); err != nil {
		return false, err
	}
	path := was
	if paged {
		urls, err := column(st.pagesOf.QueryContext(ctx, n))
		if err != nil {
			return false, err
		}
		path = pathHash(store.PathKey(urls))
	}
	if path != was {
		count := func(hash, by int64) error {
			_, err := st.countPath.ExecContext(ctx, project, hash, by)
			return err
		}
		switch {
		case was == 0:
			err = count(0, 1)
		case path == 0:
			err = errors.Join(count(0, -1), count(was, -1))
		default:
			err = count(was, -1)
		}
		if path != 0 {
			err = errors.Join(err, count(path, 1))
		}
		if err == nil {
			_, err = st.setPath.ExecContext(ctx, path, n)
		}
		if err != nil {
			return false, err
		}
	}
	if path == 0 {
		return false, nil
	}
	var took, total int
	if err := st.pathCounts.QueryRowContext(ctx, project, path).Scan(&took, &total); err != nil {
		return false, err
	}
	return store.IsRarePath(took, total), nil
}

// pathHash names a path in the index: 0 for none.
func pathHash(key string) int64 {
	if key == "" {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	if v := int64(h.Sum64()); v != 0 {
		return v
	}
	return 1
}

// column reads the strings of a one-column query's rows.
func column(rows *sql.Rows, err error) ([]string, error) {
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
