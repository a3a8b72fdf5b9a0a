package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/playhead/playhead/internal/store"
)

// CreateProject adds a project with a new random ingest key.
func (s *Store) CreateProject(ctx context.Context, name string, origins []string) (_ store.Project, err error) {
	defer s.check(&err)
	if origins == nil {
		origins = []string{}
	}
	o, err := json.Marshal(origins)
	if err != nil {
		return store.Project{}, fmt.Errorf("encode origins: %w", err)
	}
	p := store.Project{
		Name:    name,
		Key:     newKey(),
		Origins: origins,
		Enabled: true,
		Created: time.Now().UTC().Truncate(time.Millisecond),

		ProjectSettings: store.DefaultProjectSettings,
	}
	err = s.write.QueryRowContext(ctx, `INSERT INTO projects (name, key, origins, enabled, created)
		VALUES (?, ?, ?, 1, ?) RETURNING id`, p.Name, p.Key, string(o), p.Created.UnixMilli()).Scan(&p.ID)
	if err != nil {
		return store.Project{}, fmt.Errorf("create project: %w", err)
	}
	return p, nil
}

// newKey returns a public ingest key: 128 random bits, URL-safe.
func newKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "ph_" + base64.RawURLEncoding.EncodeToString(b)
}

// ProjectByKey finds the project whose ingest key is key; a deleted
// project is not found.
func (s *Store) ProjectByKey(ctx context.Context, key string) (store.Project, error) {
	return s.project(ctx, `key = ? AND deleted = 0`, key)
}

// ProjectByID finds a project by its id, deleted or not.
func (s *Store) ProjectByID(ctx context.Context, id int64) (store.Project, error) {
	return s.project(ctx, `id = ?`, id)
}

// Projects lists the projects that are not deleted, by id.
func (s *Store) Projects(ctx context.Context) ([]store.Project, error) {
	return s.projects(ctx, `deleted = 0`)
}

// DeletedProjects lists the projects deleted whose rows are still there.
func (s *Store) DeletedProjects(ctx context.Context) ([]store.Project, error) {
	return s.projects(ctx, `deleted <> 0`)
}

const projectColumns = `id, name, key, origins, enabled, created, deleted,
	retention_days, sample_rate, recorder, quota_batches_minute, quota_bytes_day`

type rowScanner interface{ Scan(dest ...any) error }

func scanProject(row rowScanner) (store.Project, error) {
	var (
		p                 store.Project
		origins, recorder string
		created, deleted  int64
	)
	err := row.Scan(&p.ID, &p.Name, &p.Key, &origins, &p.Enabled, &created, &deleted,
		&p.RetentionDays, &p.SampleRate, &recorder, &p.Quota.BatchesPerMinute, &p.Quota.BytesPerDay)
	if err != nil {
		return store.Project{}, err
	}
	p.Created = time.UnixMilli(created).UTC()
	if deleted != 0 {
		p.Deleted = time.UnixMilli(deleted).UTC()
	}
	if err := json.Unmarshal([]byte(origins), &p.Origins); err != nil {
		return store.Project{}, fmt.Errorf("project %d origins: %w", p.ID, err)
	}
	if err := json.Unmarshal([]byte(recorder), &p.Recorder); err != nil {
		return store.Project{}, fmt.Errorf("project %d recorder settings: %w", p.ID, err)
	}
	return p, nil
}

func (s *Store) project(ctx context.Context, where string, arg any) (_ store.Project, err error) {
	defer s.check(&err)
	p, err := scanProject(s.read.QueryRowContext(ctx, `SELECT `+projectColumns+` FROM projects WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Project{}, store.ErrNotFound
	}
	if err != nil {
		return store.Project{}, fmt.Errorf("read project: %w", err)
	}
	return p, nil
}

func (s *Store) projects(ctx context.Context, where string) (_ []store.Project, err error) {
	defer s.check(&err)
	rows, err := s.read.QueryContext(ctx, `SELECT `+projectColumns+` FROM projects WHERE `+where+` ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	defer rows.Close()
	var out []store.Project
	for rows.Next() {
		p, err := scanProject(rows)
		if err != nil {
			return nil, fmt.Errorf("list projects: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	return out, nil
}

// UpdateProject writes the project's name, origins, whether it records,
// and its settings.
func (s *Store) UpdateProject(ctx context.Context, p store.Project) (err error) {
	defer s.check(&err)
	if p.Origins == nil {
		p.Origins = []string{}
	}
	origins, err := json.Marshal(p.Origins)
	if err != nil {
		return fmt.Errorf("encode origins: %w", err)
	}
	recorder, err := json.Marshal(p.Recorder)
	if err != nil {
		return fmt.Errorf("encode recorder settings: %w", err)
	}
	res, err := s.write.ExecContext(ctx, `UPDATE projects SET name = ?, origins = ?, enabled = ?,
		retention_days = ?, sample_rate = ?, recorder = ?, quota_batches_minute = ?, quota_bytes_day = ?
		WHERE id = ? AND deleted = 0`,
		p.Name, string(origins), p.Enabled, p.RetentionDays, p.SampleRate, string(recorder),
		p.Quota.BatchesPerMinute, p.Quota.BytesPerDay, p.ID)
	if err != nil {
		return fmt.Errorf("update project %d: %w", p.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// RotateProjectKey gives the project a new ingest key; the old one stops
// working at once.
func (s *Store) RotateProjectKey(ctx context.Context, id int64) (key string, err error) {
	defer s.check(&err)
	key = newKey()
	res, err := s.write.ExecContext(ctx, `UPDATE projects SET key = ? WHERE id = ? AND deleted = 0`, key, id)
	if err != nil {
		return "", fmt.Errorf("rotate key of project %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return "", store.ErrNotFound
	}
	return key, nil
}

// DeleteProject marks the project deleted: its key stops working and it is
// listed nowhere. Its data is erased afterwards, in the background.
func (s *Store) DeleteProject(ctx context.Context, id int64) (err error) {
	defer s.check(&err)
	res, err := s.write.ExecContext(ctx, `UPDATE projects SET deleted = ?, enabled = 0 WHERE id = ? AND deleted = 0`,
		time.Now().UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("delete project %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// Audit appends an entry to the audit log.
func (s *Store) Audit(ctx context.Context, e store.AuditEntry) (err error) {
	defer s.check(&err)
	if e.At.IsZero() {
		e.At = time.Now()
	}
	_, err = s.write.ExecContext(ctx, `INSERT INTO audit (at, actor, action, project, target, detail)
		VALUES (?, ?, ?, ?, ?, ?)`, e.At.UnixMilli(), e.Actor, e.Action, e.Project, e.Target, e.Detail)
	if err != nil {
		return fmt.Errorf("write audit entry: %w", err)
	}
	return nil
}

// AuditLog lists up to limit entries older than before (0: the newest),
// newest first.
func (s *Store) AuditLog(ctx context.Context, before int64, limit int) (_ []store.AuditEntry, err error) {
	defer s.check(&err)
	if before <= 0 {
		before = math.MaxInt64
	}
	rows, err := s.read.QueryContext(ctx, `SELECT id, at, actor, action, project, target, detail
		FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?`, before, limit)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	var out []store.AuditEntry
	for rows.Next() {
		var (
			e  store.AuditEntry
			at int64
		)
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Project, &e.Target, &e.Detail); err != nil {
			return nil, fmt.Errorf("read audit log: %w", err)
		}
		e.At = time.UnixMilli(at).UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return out, nil
}

// Setting reads a server setting; ok is false when it was never set.
func (s *Store) Setting(ctx context.Context, key string) (value string, ok bool, err error) {
	defer s.check(&err)
	err = s.read.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read setting %s: %w", key, err)
	}
	return value, true, nil
}

// SetSetting writes a server setting.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("write setting %s: %w", key, err)
	}
	return nil
}

// SetProjectEnabled switches recording for the project with key on or off.
func (s *Store) SetProjectEnabled(ctx context.Context, key string, enabled bool) error {
	res, err := s.write.ExecContext(ctx, `UPDATE projects SET enabled = ? WHERE key = ?`, enabled, key)
	if err != nil {
		return fmt.Errorf("switch project: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}
