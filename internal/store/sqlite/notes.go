package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/playhead/playhead/internal/store"
)

// Notes live in playhead.db beside tags, for the same reason: the index
// may be rebuilt from the log at any time.

// AddNote keeps a note on a session and returns it as kept.
func (s *Store) AddNote(ctx context.Context, n store.Note) (_ store.Note, err error) {
	defer s.check(&err)
	n, err = store.NormalizeNote(n)
	if err != nil {
		return store.Note{}, err
	}
	n.Created = time.Now().UTC().Truncate(time.Millisecond)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return store.Note{}, fmt.Errorf("add note: %w", err)
	}
	defer tx.Rollback()
	var count int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM session_notes WHERE project = ? AND session = ?`,
		n.Project, n.Session).Scan(&count); err != nil {
		return store.Note{}, fmt.Errorf("add note: %w", err)
	}
	if count >= store.MaxNotesPerSession {
		return store.Note{}, store.ErrTooManyNotes
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO session_notes (project, session, at, window, text, author, created)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, n.Project, n.Session, n.Time, n.Window, n.Text, n.Author, n.Created.UnixMilli())
	if err != nil {
		return store.Note{}, fmt.Errorf("add note: %w", err)
	}
	if n.ID, err = res.LastInsertId(); err != nil {
		return store.Note{}, fmt.Errorf("add note: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return store.Note{}, fmt.Errorf("add note: %w", err)
	}
	return n, nil
}

// Notes lists a session's notes by their moment, then as written.
func (s *Store) Notes(ctx context.Context, project int64, session string) (_ []store.Note, err error) {
	defer s.check(&err)
	rows, err := s.read.QueryContext(ctx, `SELECT id, at, window, text, author, created FROM session_notes
		WHERE project = ? AND session = ? ORDER BY at, id`, project, session)
	if err != nil {
		return nil, fmt.Errorf("read notes: %w", err)
	}
	defer rows.Close()
	notes := []store.Note{}
	for rows.Next() {
		n := store.Note{Project: project, Session: session}
		var created int64
		if err := rows.Scan(&n.ID, &n.Time, &n.Window, &n.Text, &n.Author, &created); err != nil {
			return nil, fmt.Errorf("read notes: %w", err)
		}
		n.Created = time.UnixMilli(created).UTC()
		notes = append(notes, n)
	}
	return notes, rows.Err()
}

// DeleteNote removes a note of a session; one the session does not hold
// is store.ErrNotFound.
func (s *Store) DeleteNote(ctx context.Context, project int64, session string, id int64) (err error) {
	defer s.check(&err)
	n, err := rowsAffected(s.write.ExecContext(ctx, `DELETE FROM session_notes WHERE project = ? AND session = ? AND id = ?`,
		project, session, id))
	if err != nil {
		return fmt.Errorf("delete note: %w", err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}
