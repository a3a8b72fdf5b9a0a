package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/playhead/playhead/internal/store"
)

// Tags and watched sessions live in playhead.db, beside the projects and
// users they belong to: the index may be rebuilt from the log at any time,
// and what people said about a session must outlive that. A search reads
// the sessions they name first and hands them to the index's query as one
// JSON argument; both are as many as people made, not as many as visitors.

// Tag puts a tag on a session of a project; a tag it carries already
// changes nothing. It returns the session's tags.
func (s *Store) Tag(ctx context.Context, project int64, session, tag string) (_ []string, err error) {
	defer s.check(&err)
	tag, err = store.NormalizeTag(tag)
	if err != nil {
		return nil, err
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("tag session: %w", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM session_tags WHERE project = ? AND session = ? AND tag <> ?`,
		project, session, tag).Scan(&n); err != nil {
		return nil, fmt.Errorf("tag session: %w", err)
	}
	if n >= store.MaxTagsPerSession {
		return nil, store.ErrTooManyTags
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO session_tags (project, session, tag, created) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, project, session, tag, time.Now().UnixMilli()); err != nil {
		return nil, fmt.Errorf("tag session: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("tag session: %w", err)
	}
	return s.SessionTags(ctx, project, session)
}

// Untag takes a tag off a session; one it does not carry changes nothing.
// It returns the session's tags.
func (s *Store) Untag(ctx context.Context, project int64, session, tag string) (_ []string, err error) {
	defer s.check(&err)
	tag, err = store.NormalizeTag(tag)
	if err != nil {
		return nil, err
	}
	if _, err := s.write.ExecContext(ctx, `DELETE FROM session_tags WHERE project = ? AND session = ? AND tag = ?`,
		project, session, tag); err != nil {
		return nil, fmt.Errorf("untag session: %w", err)
	}
	return s.SessionTags(ctx, project, session)
}

// SessionTags lists a session's tags in alphabetical order.
func (s *Store) SessionTags(ctx context.Context, project int64, session string) (_ []string, err error) {
	defer s.check(&err)
	tags, err := column(s.read.QueryContext(ctx, `SELECT tag FROM session_tags WHERE project = ? AND session = ? ORDER BY tag`, project, session))
	if err != nil {
		return nil, fmt.Errorf("read tags: %w", err)
	}
	if tags == nil {
		tags = []string{}
	}
	return tags, nil
}

// ProjectTags lists the tags in use in the projects (nil: all), each once,
// alphabetically, for the list's filter.
func (s *Store) ProjectTags(ctx context.Context, projects []int64) (_ []string, err error) {
	defer s.check(&err)
	where, args := projectsIn("project", projects)
	tags, err := column(s.read.QueryContext(ctx, `SELECT DISTINCT tag FROM session_tags WHERE `+where+` ORDER BY tag LIMIT 200`, args...))
	if err != nil {
		return nil, fmt.Errorf("read tags: %w", err)
	}
	return tags, nil
}

// MarkWatched records that a user opened a session in the player.
func (s *Store) MarkWatched(ctx context.Context, user, project int64, session string) (err error) {
	defer s.check(&err)
	_, err = s.write.ExecContext(ctx, `INSERT INTO watched (user_id, project, session, at) VALUES (?, ?, ?, ?)
		ON CONFLICT DO UPDATE SET at = excluded.at`, user, project, session, time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("mark session watched: %w", err)
	}
	return nil
}

// projectsIn is the condition that col is one of projects (nil: any).
func projectsIn(col string, projects []int64) (string, []any) {
	if projects == nil {
		return "1", nil
	}
	args := make([]any, len(projects))
	for i, p := range projects {
		args[i] = p
	}
	return col + " IN (NULL" + strings.Repeat(", ?", len(args)) + ")", args
}

// sessionKeys reads the (project, session) pairs a query of playhead.db
// names, as the JSON array of pairs that keyedSQL takes.
func (s *Store) sessionKeys(ctx context.Context, query string, args ...any) (string, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	keys := [][2]any{}
	for rows.Next() {
		var (
			p  int64
			id string
		)
		if err := rows.Scan(&p, &id); err != nil {
			return "", err
		}
		keys = append(keys, [2]any{p, id})
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	b, err := json.Marshal(keys)
	return string(b), err
}

// keyedSQL is the condition that session s is (or, with not, is not) one
// of the JSON array of [project, id] pairs given as its argument; the
// index's unique (project, id) finds each.
func keyedSQL(not bool) string {
	op := "IN"
	if not {
		op = "NOT IN"
	}
	return "(s.project, s.id) " + op + " (SELECT value ->> 0, value ->> 1 FROM json_each(?))"
}

// peopleSQL adds the conditions on tags and watched sessions of f to a
// search's conditions.
func (s *Store) peopleSQL(ctx context.Context, f store.SessionFilter, viewer int64, add func(string, ...any)) error {
	scope := f.Projects
	if f.Project != 0 {
		scope = []int64{f.Project}
	}
	where, pargs := projectsIn("project", scope)
	for _, tag := range f.Tags {
		keys, err := s.sessionKeys(ctx, `SELECT project, session FROM session_tags WHERE tag = ? AND `+where, append([]any{tag}, pargs...)...)
		if err != nil {
			return fmt.Errorf("read tagged sessions: %w", err)
		}
		add(keyedSQL(false), keys)
	}
	if f.Watched != nil {
		if viewer == 0 {
			return &store.FilterError{Param: "watched", Message: "is kept per user; an API token has none"}
		}
		keys, err := s.sessionKeys(ctx, `SELECT project, session FROM watched WHERE user_id = ? AND `+where, append([]any{viewer}, pargs...)...)
		if err != nil {
			return fmt.Errorf("read watched sessions: %w", err)
		}
		add(keyedSQL(!*f.Watched), keys)
	}
	return nil
}

// addPeople fills the tags of sessions, and whether viewer watched them.
func (s *Store) addPeople(ctx context.Context, sessions []store.Session, viewer int64) error {
	if len(sessions) == 0 {
		return nil
	}
	type key struct {
		project int64
		id      string
	}
	at := map[key]*store.Session{}
	pairs := make([][2]any, len(sessions))
	for i := range sessions {
		at[key{sessions[i].Project, sessions[i].ID}] = &sessions[i]
		pairs[i] = [2]any{sessions[i].Project, sessions[i].ID}
	}
	b, err := json.Marshal(pairs)
	if err != nil {
		return err
	}
	rows, err := s.read.QueryContext(ctx, `SELECT t.project, t.session, t.tag, '' FROM json_each(?) k
		JOIN session_tags t ON t.project = k.value ->> 0 AND t.session = k.value ->> 1
		UNION ALL SELECT w.project, w.session, '', 'w' FROM json_each(?) k
		JOIN watched w ON w.user_id = ? AND w.project = k.value ->> 0 AND w.session = k.value ->> 1
		ORDER BY 1, 2, 3`, string(b), string(b), viewer)
	if err != nil {
		return fmt.Errorf("read tags: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			k          key
			tag, watch string
		)
		if err := rows.Scan(&k.project, &k.id, &tag, &watch); err != nil {
			return fmt.Errorf("read tags: %w", err)
		}
		sess := at[k]
		if sess == nil {
			continue
		}
		if watch != "" {
			sess.Watched = true
		} else {
			sess.Tags = append(sess.Tags, tag)
		}
	}
	return rows.Err()
}
