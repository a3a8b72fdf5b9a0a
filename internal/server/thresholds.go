package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/playhead/playhead/internal/signals"
)

// Settings reads server settings.
type Settings interface {
	Setting(ctx context.Context, key string) (value string, ok bool, err error)
}

// thresholdsTTL is how long a project's thresholds are kept before they
// are read again: `playhead project signals` takes effect within it.
const thresholdsTTL = 10 * time.Second

// thresholds gives the processor each project's signal thresholds.
type thresholds struct {
	settings Settings
	logger   *slog.Logger

	mu      sync.Mutex
	entries map[int64]thresholdsEntry
}

type thresholdsEntry struct {
	cfg     signals.Config
	expires time.Time
}

func newThresholds(settings Settings, logger *slog.Logger) *thresholds {
	return &thresholds{settings: settings, logger: logger, entries: map[int64]thresholdsEntry{}}
}

// config returns the project's thresholds; the defaults where it has none
// or they cannot be read.
func (t *thresholds) config(project int64) signals.Config {
	now := time.Now()
	t.mu.Lock()
	e, ok := t.entries[project]
	t.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.cfg
	}
	cfg := signals.DefaultConfig
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	raw, found, err := t.settings.Setting(ctx, signals.SettingName(project))
	if err == nil && found {
		err = json.Unmarshal([]byte(raw), &cfg)
		if err == nil {
			err = cfg.Check()
		}
	}
	if err != nil {
		t.logger.Warn("project signal thresholds unreadable; using the defaults", "project", project, "err", err)
		cfg = signals.DefaultConfig
	}
	t.mu.Lock()
	t.entries[project] = thresholdsEntry{cfg: cfg, expires: now.Add(thresholdsTTL)}
	t.mu.Unlock()
	return cfg
}
