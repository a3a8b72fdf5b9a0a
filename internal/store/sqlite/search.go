package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/playhead/playhead/internal/store"
)

// countCap bounds the count of a search: counting every match of a broad
// filter over a large index costs a scan of it; past this many the count
// says "at least".
const countCap = 1000

// sorts are the orders a search lists in: an expression that an index
// covers, each ending in the session's number n to break ties.
var sorts = map[string]struct {
	expr string
	desc bool
}{
	store.SortNewest:  {"s.start_ts", true},
	store.SortOldest:  {"s.start_ts", false},
	store.SortLongest: {"(s.end_ts - s.start_ts)", true},
	store.SortScore:   {"s.score", true},
}

// Search lists one page of the sessions a filter picks, in the query's
// order, with their windows.
func (s *Store) Search(ctx context.Context, q store.SessionQuery) (_ store.SessionResults, err error) {
	defer s.check(&err)
	if q.Sort == "" {
		q.Sort = store.SortNewest
	}
	order, ok := sorts[q.Sort]
	if !ok {
		return store.SessionResults{}, &store.FilterError{Param: "sort", Message: fmt.Sprintf("unknown order %q", q.Sort)}
	}
	where, args, text, err := s.filterSQL(ctx, q.Filter, q.Sort == store.SortScore || q.Sort == store.SortLongest)
	if err != nil {
		return store.SessionResults{}, err
	}
	err = s.peopleSQL(ctx, q.Filter, q.Viewer, func(cond string, a ...any) {
		where += " AND " + cond
		args = append(args, a...)
	})
	if err != nil {
		return store.SessionResults{}, err
	}
	countSQL := `SELECT count(*) FROM (SELECT 1 FROM sessions s WHERE ` + where + ` AND ` + text.cond() +
		` LIMIT ` + strconv.Itoa(countCap+1) + `)`
	countArgs := append(slices.Clone(args), text.args()...)
	if text.plan != listed {
		// Counting a common word's sessions by testing each session
		// would read most of the index: the word's matches are read
		// instead, in order, until there are enough.
		countSQL = `SELECT count(*) FROM (SELECT DISTINCT s.n FROM (SELECT rowid >> ` + slotBits + ` AS n FROM search
			WHERE search MATCH ?) m CROSS JOIN sessions s ON s.n = m.n WHERE ` + where + ` LIMIT ` + strconv.Itoa(countCap+1) + `)`
		countArgs = append([]any{text.term}, args...)
	}
	where += " AND " + text.cond()
	args = append(args, text.args()...)
	tx, err := s.iread.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return store.SessionResults{}, fmt.Errorf("search sessions: %w", err)
	}
	defer tx.Rollback()
	var res store.SessionResults
	if q.Count {
		err := tx.QueryRowContext(ctx, countSQL, countArgs...).Scan(&res.Count)
		if err != nil {
			return store.SessionResults{}, fmt.Errorf("count sessions: %w", err)
		}
		if res.Count > countCap {
			res.Count, res.CountCapped = countCap, true
		}
	}
	cmp, dir := ">", "ASC"
	if order.desc {
		cmp, dir = "<", "DESC"
	}
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor, q.Sort)
		if err != nil {
			return store.SessionResults{}, err
		}
		where += " AND (" + order.expr + ", s.n) " + cmp + " (?, ?)"
		args = append(args, c.value, c.n)
	}
	limit := max(q.Limit, 1)
	rows, err := tx.QueryContext(ctx, `SELECT `+sessionColumns+`, `+order.expr+` FROM sessions s WHERE `+where+
		` ORDER BY `+order.expr+` `+dir+`, s.n `+dir+` LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return store.SessionResults{}, fmt.Errorf("search sessions: %w", err)
	}
	defer rows.Close()
	var (
		ns   []int64
		last cursor
	)
	for rows.Next() {
		var key any
		sess, n, err := scanSession(rows, &key)
		if err != nil {
			return store.SessionResults{}, fmt.Errorf("search sessions: %w", err)
		}
		if len(res.Sessions) == limit {
			res.Next = last.encode(q.Sort)
			break
		}
		res.Sessions = append(res.Sessions, sess)
		ns = append(ns, n)
		last = cursor{value: key, n: n}
	}
	if err := rows.Err(); err != nil {
		return store.SessionResults{}, fmt.Errorf("search sessions: %w", err)
	}
	rows.Close()
	if err := addWindows(ctx, tx, res.Sessions, ns); err != nil {
		return store.SessionResults{}, err
	}
	if err := s.addPeople(ctx, res.Sessions, q.Viewer); err != nil {
		return store.SessionResults{}, err
	}
	return res, nil
}

// filterSQL turns a filter into a condition on sessions s and its
// arguments. Every value is an argument; only fixed text is SQL.
//
// byOrder asks for sessions to be read in the sort's own index: the unary +
// keeps the planner from reading a project's sessions by start and sorting
// them all by score or length, which costs a second on a large project.
func (s *Store) filterSQL(ctx context.Context, f store.SessionFilter, byOrder bool) (_ string, _ []any, text textMatch, err error) {
	var (
		conds []string
		args  []any
	)
	add := func(cond string, a ...any) {
		conds = append(conds, cond)
		args = append(args, a...)
	}
	conds = append(conds, "1")
	if f.Project != 0 {
		if byOrder {
			add("+s.project = ?", f.Project)
		} else {
			add("s.project = ?", f.Project)
		}
	}
	if f.Projects != nil {
		in := make([]any, len(f.Projects))
		for i, p := range f.Projects {
			in[i] = p
		}
		add("s.project IN (NULL"+strings.Repeat(", ?", len(in))+")", in...)
	}
	if f.URL != "" {
		op, arg := urlMatch(f.URL)
		add("EXISTS (SELECT 1 FROM page_views pv WHERE pv.sn = s.n AND pv.url "+op+")", arg)
	}
	if f.Entry != "" {
		op, arg := urlMatch(f.Entry)
		add("s.entry_url "+op, arg)
	}
	if f.Exit != "" {
		op, arg := urlMatch(f.Exit)
		add("s.exit_url "+op, arg)
	}
	if f.MinDuration != nil {
		add("(s.end_ts - s.start_ts) >= ?", f.MinDuration.Milliseconds())
	}
	if f.MaxDuration != nil {
		add("(s.end_ts - s.start_ts) <= ?", f.MaxDuration.Milliseconds())
	}
	if f.MinActive != nil {
		add("s.active_ms >= ?", f.MinActive.Milliseconds())
	}
	if !f.From.IsZero() {
		add("s.start_ts >= ?", f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		add("s.start_ts <= ?", f.To.UnixMilli())
	}
	if f.Device != "" {
		add("s.device = ? COLLATE NOCASE", f.Device)
	}
	if f.OS != "" {
		add("s.os = ? COLLATE NOCASE", f.OS)
	}
	if f.Browser != "" {
		add(`(s.browser = ? COLLATE NOCASE OR s.browser LIKE ? ESCAPE '\')`, f.Browser, likeEscape(f.Browser)+" %")
	}
	if f.User != "" {
		// The second condition lets the planner use the index of
		// identified sessions, which leaves out the anonymous ones.
		add("s.user_id = ? AND s.user_id <> ''", f.User)
	}
	if f.Recorded != "" {
		add("s.recorded = ?", f.Recorded)
	}
	names := make([]string, 0, len(f.Traits))
	for k := range f.Traits {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		// A trait's sessions are gathered once by the index of (name,
		// value), and each session read in order looked up among them;
		// the unary + keeps the planner from sorting all of them.
		add("+s.n IN (SELECT t.sn FROM traits t WHERE t.name = ? AND t.value = ?)", k, f.Traits[k])
	}
	for _, e := range f.Events {
		add("EXISTS (SELECT 1 FROM custom_events e WHERE e.sn = s.n AND e.name = ?)", e)
	}
	for _, sig := range f.Signals {
		col, ok := signalColumns[sig.Kind]
		if !ok {
			return "", nil, text, &store.FilterError{Param: "signal", Message: fmt.Sprintf("unknown signal %q", sig.Kind)}
		}
		add("s."+col+" >= ?", max(sig.N, 1))
	}
	for _, g := range []struct {
		param string
		names []string
		not   bool
	}{{"converted", f.Converted, false}, {"not_converted", f.NotConverted, true}} {
		for _, name := range g.names {
			cond, a, err := s.goalSQL(ctx, f.Project, g.param, name, g.not)
			if err != nil {
				return "", nil, text, err
			}
			add(cond, a...)
		}
	}
	if f.Live != nil {
		op := ">="
		if !*f.Live {
			op = "<"
		}
		add("s.end_ts "+op+" ?", f.LiveSince.UnixMilli())
	}
	if f.Bounce != nil {
		cond := "(s.pages <= 1 AND (s.end_ts - s.start_ts) < 10000)"
		if !*f.Bounce {
			cond = "NOT " + cond
		}
		add(cond)
	}
	if f.Q != "" {
		words := store.Words(f.Q)
		if len(words) == 0 {
			return "", nil, text, &store.FilterError{Param: "q", Message: "has no words to search for"}
		}
		// Each word on its own, so that the words of a session may come
		// from different windows. The one in fewest windows drives the
		// search; the others are tested on the sessions it picks.
		matches := make([]textMatch, len(words))
		for i, w := range words {
			if matches[i], err = s.textMatch(ctx, w); err != nil {
				return "", nil, text, fmt.Errorf("search text: %w", err)
			}
		}
		slices.SortStableFunc(matches, func(a, b textMatch) int { return cmp.Compare(a.windows, b.windows) })
		text = matches[0]
		for _, m := range matches[1:] {
			add(m.cond(), m.term)
		}
	}
	return strings.Join(conds, " AND "), args, text, nil
}

// goalSQL is the condition that a session reached (or, with not, did not
// reach) the goal called name. Sessions of projects without such a goal
// match neither.
func (s *Store) goalSQL(ctx context.Context, project int64, param, name string, not bool) (string, []any, error) {
	goals, err := s.goalsNamed(ctx, project, name)
	if err != nil {
		return "", nil, err
	}
	if len(goals) == 0 {
		return "", nil, &store.FilterError{Param: param, Message: fmt.Sprintf("no goal is called %q", name)}
	}
	var (
		alts []string
		args []any
	)
	for _, g := range goals {
		reached := "EXISTS (SELECT 1 FROM page_views pv WHERE pv.sn = s.n AND pv.url GLOB ?)"
		arg := sqlGlob(g.URL)
		if g.Event != "" {
			reached, arg = "EXISTS (SELECT 1 FROM custom_events e WHERE e.sn = s.n AND e.name = ?)", g.Event
		}
		if not {
			reached = "NOT " + reached
		}
		alts = append(alts, "(s.project = ? AND "+reached+")")
		args = append(args, g.Project, arg)
	}
	return "(" + strings.Join(alts, " OR ") + ")", args, nil
}

// urlMatch is the SQL test and argument for a URL pattern (see
// store.SessionFilter).
func urlMatch(pattern string) (string, string) {
	if store.IsGlob(pattern) {
		return "GLOB ?", sqlGlob(pattern)
	}
	return `LIKE ? ESCAPE '\'`, "%" + likeEscape(pattern) + "%"
}

// sqlGlob makes a glob of * and ? into SQLite's, in which [ opens a class.
func sqlGlob(glob string) string { return strings.ReplaceAll(glob, "[", "[[]") }

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// cursor is where a page ended: the sort key and number of its last session.
type cursor struct {
	value any
	n     int64
}

func (c cursor) encode(sort string) string {
	b, _ := json.Marshal([]any{sort, c.value, c.n})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s, sort string) (cursor, error) {
	bad := func(msg string) (cursor, error) {
		return cursor{}, &store.FilterError{Param: "cursor", Message: msg}
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return bad("is not a cursor this server gave")
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(b, &parts); err != nil || len(parts) != 3 {
		return bad("is not a cursor this server gave")
	}
	var (
		was string
		c   cursor
		v   json.Number
	)
	if json.Unmarshal(parts[0], &was) != nil || json.Unmarshal(parts[1], &v) != nil || json.Unmarshal(parts[2], &c.n) != nil {
		return bad("is not a cursor this server gave")
	}
	if was != sort {
		return bad(fmt.Sprintf("continues a search sorted by %s, not %s", was, sort))
	}
	if sort == store.SortScore {
		f, err := v.Float64()
		if err != nil {
			return bad("is not a cursor this server gave")
		}
		c.value = f
	} else {
		i, err := v.Int64()
		if err != nil {
			return bad("is not a cursor this server gave")
		}
		c.value = i
	}
	return c, nil
}
