package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
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

// ProjectByKey finds the project whose ingest key is key.
func (s *Store) ProjectByKey(ctx context.Context, key string) (store.Project, error) {
	return s.project(ctx, `key = ?`, key)
}

// ProjectByID finds a project by its id.
func (s *Store) ProjectByID(ctx context.Context, id int64) (store.Project, error) {
	return s.project(ctx, `id = ?`, id)
}

func (s *Store) project(ctx context.Context, where string, arg any) (_ store.Project, err error) {
	defer s.check(&err)
	var (
		p       store.Project
		origins string
		created int64
	)
	err = s.read.QueryRowContext(ctx, `SELECT id, name, key, origins, enabled, created
		FROM projects WHERE `+where, arg).Scan(&p.ID, &p.Name, &p.Key, &origins, &p.Enabled, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Project{}, store.ErrNotFound
	}
	if err != nil {
		return store.Project{}, fmt.Errorf("read project: %w", err)
	}
	p.Created = time.UnixMilli(created).UTC()
	if err := json.Unmarshal([]byte(origins), &p.Origins); err != nil {
		return store.Project{}, fmt.Errorf("read project %d origins: %w", p.ID, err)
	}
	return p, nil
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
