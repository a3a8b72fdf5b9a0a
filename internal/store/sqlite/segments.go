package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/playhead/playhead/internal/store"
)

// SaveSegment saves a named filter of a project's list; a segment of the
// same name is replaced.
func (s *Store) SaveSegment(ctx context.Context, seg store.Segment) (_ store.Segment, err error) {
	defer s.check(&err)
	if seg.Created.IsZero() {
		seg.Created = time.Now()
	}
	err = s.write.QueryRowContext(ctx, `INSERT INTO segments (project, name, query, created, by) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (project, name) DO UPDATE SET query = excluded.query, created = excluded.created, by = excluded.by
		RETURNING id`, seg.Project, seg.Name, seg.Query, seg.Created.UnixMilli(), seg.By).Scan(&seg.ID)
	if err != nil {
		return store.Segment{}, fmt.Errorf("save segment: %w", err)
	}
	return seg, nil
}

// DeleteSegment deletes a project's segment; store.ErrNotFound if it has
// no such one.
func (s *Store) DeleteSegment(ctx context.Context, project, id int64) (err error) {
	defer s.check(&err)
	res, err := s.write.ExecContext(ctx, `DELETE FROM segments WHERE project = ? AND id = ?`, project, id)
	if err != nil {
		return fmt.Errorf("delete segment: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// Segments lists the segments of the projects (nil: all) by name.
func (s *Store) Segments(ctx context.Context, projects []int64) (_ []store.Segment, err error) {
	defer s.check(&err)
	where, args := projectsIn("project", projects)
	rows, err := s.read.QueryContext(ctx, `SELECT id, project, name, query, created, by FROM segments WHERE `+where+
		` ORDER BY name COLLATE NOCASE, project`, args...)
	if err != nil {
		return nil, fmt.Errorf("read segments: %w", err)
	}
	defer rows.Close()
	var out []store.Segment
	for rows.Next() {
		var (
			seg     store.Segment
			created int64
		)
		if err := rows.Scan(&seg.ID, &seg.Project, &seg.Name, &seg.Query, &created, &seg.By); err != nil {
			return nil, fmt.Errorf("read segments: %w", err)
		}
		seg.Created = time.UnixMilli(created)
		out = append(out, seg)
	}
	return out, rows.Err()
}
