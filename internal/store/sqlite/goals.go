package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/playhead/playhead/internal/store"
)

// AddGoal adds a conversion goal to the project whose ingest key is key.
// It answers store.ErrNotFound for an unknown key and store.ErrExists when
// the project has a goal of that name.
func (s *Store) AddGoal(ctx context.Context, key string, g store.Goal) (_ store.Goal, err error) {
	defer s.check(&err)
	p, err := s.ProjectByKey(ctx, key)
	if err != nil {
		return store.Goal{}, err
	}
	g.Project = p.ID
	_, err = s.write.ExecContext(ctx, `INSERT INTO goals (project, name, url, event, intent, created)
		VALUES (?, ?, ?, ?, ?, ?)`, g.Project, g.Name, g.URL, g.Event, g.Intent, time.Now().UnixMilli())
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed") {
			return store.Goal{}, fmt.Errorf("goal %q: %w", g.Name, store.ErrExists)
		}
		return store.Goal{}, fmt.Errorf("add goal: %w", err)
	}
	return g, nil
}

// RemoveGoal removes a project's goal; store.ErrNotFound when the key or
// the goal is unknown.
func (s *Store) RemoveGoal(ctx context.Context, key, name string) (err error) {
	defer s.check(&err)
	p, err := s.ProjectByKey(ctx, key)
	if err != nil {
		return err
	}
	res, err := s.write.ExecContext(ctx, `DELETE FROM goals WHERE project = ? AND name = ?`, p.ID, name)
	if err != nil {
		return fmt.Errorf("remove goal: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("goal %q: %w", name, store.ErrNotFound)
	}
	return nil
}

// Goals lists a project's goals by name; every project's when project is 0.
func (s *Store) Goals(ctx context.Context, project int64) (_ []store.Goal, err error) {
	defer s.check(&err)
	rows, err := s.read.QueryContext(ctx, `SELECT project, name, url, event, intent FROM goals
		WHERE ?1 = 0 OR project = ?1 ORDER BY project, name`, project)
	if err != nil {
		return nil, fmt.Errorf("read goals: %w", err)
	}
	defer rows.Close()
	var out []store.Goal
	for rows.Next() {
		var g store.Goal
		if err := rows.Scan(&g.Project, &g.Name, &g.URL, &g.Event, &g.Intent); err != nil {
			return nil, fmt.Errorf("read goals: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// goalsNamed returns the goals called name, of project or of every
// project when it is 0.
func (s *Store) goalsNamed(ctx context.Context, project int64, name string) ([]store.Goal, error) {
	all, err := s.Goals(ctx, project)
	if err != nil {
		return nil, err
	}
	var out []store.Goal
	for _, g := range all {
		if g.Name == name {
			out = append(out, g)
		}
	}
	return out, nil
}

// goalResults says which goals a session reached, and when first, from
// its page views and custom events.
func goalResults(goals []store.Goal, sess store.Session) []store.GoalResult {
	out := []store.GoalResult{}
	for _, g := range goals {
		r := store.GoalResult{Name: g.Name}
		at := func(t time.Time) {
			if !r.Reached || t.Before(r.At) {
				r.Reached, r.At = true, t
			}
		}
		if g.Event != "" {
			for _, e := range sess.CustomEvents {
				if e.Name == g.Event {
					at(e.Time)
				}
			}
		} else {
			for _, p := range sess.PageViews {
				if store.MatchGlob(g.URL, p.URL) {
					at(p.Start)
				}
			}
		}
		out = append(out, r)
	}
	return out
}
