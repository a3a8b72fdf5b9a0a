package ingest

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/playhead/playhead/internal/store"
)

// projectCache saves a store read per batch: a project's key, origins and
// switch change rarely, and a change takes effect within projectTTL.
// Unknown keys are remembered too, so that a flood of them costs nothing.
type projectCache struct {
	source Projects

	mu      sync.Mutex
	entries map[string]projectEntry
}

type projectEntry struct {
	p       store.Project
	found   bool
	expires time.Time
}

const (
	projectTTL    = 10 * time.Second
	maxCachedKeys = 10_000
)

func (c *projectCache) get(ctx context.Context, key string, now time.Time) (store.Project, bool, error) {
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.p, e.found, nil
	}
	p, err := c.source.ProjectByKey(ctx, key)
	found := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.Project{}, false, err
	}
	c.mu.Lock()
	if len(c.entries) >= maxCachedKeys {
		clear(c.entries) // crude, but bounded and rare
	}
	c.entries[key] = projectEntry{p: p, found: found, expires: now.Add(projectTTL)}
	c.mu.Unlock()
	return p, found, nil
}

// Forget drops what is cached of key, so that the next batch with it reads
// its project again: a rotated key stops at once, and a change of origins
// or of the switch applies at once, when made on this server.
func (h *Handler) Forget(key string) {
	h.projects.mu.Lock()
	delete(h.projects.entries, key)
	h.projects.mu.Unlock()
}
