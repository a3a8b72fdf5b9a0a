// Package erase removes recordings for good: one session, every session
// of an identified user, the sessions a project keeps no longer
// (retention), and deleted projects with all they had. What it erases is
// gone from the index, the log and the blobs, and overwritten in the
// database files, so that neither the dashboard nor a rebuild of the index
// brings it back.
package erase

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/playhead/playhead/internal/store"
)

// Store is what an erasure reads and changes.
type Store interface {
	SessionRecorded(ctx context.Context, project int64, id string) (string, error)
	UserSessions(ctx context.Context, project int64, user string) ([]string, error)
	ExpiredSessions(ctx context.Context, project int64, t time.Time, limit int) ([]string, error)
	EraseSessions(ctx context.Context, project int64, recorded []string) (store.Erased, error)
	PurgeProject(ctx context.Context, id int64) (store.Erased, error)
	Projects(ctx context.Context) ([]store.Project, error)
	DeletedProjects(ctx context.Context) ([]store.Project, error)
	Scrub(ctx context.Context) error
	Audit(ctx context.Context, e store.AuditEntry) error
}

// Blobs hold the compacted recordings.
type Blobs interface {
	Delete(ctx context.Context, key string) error
	List(ctx context.Context, prefix string, fn func(key string, size int64) error) error
}

// Processor runs an erasure while it folds nothing into the index, and
// forgets what it keeps in memory of the erased sessions
// (process.Processor).
type Processor interface {
	Erase(erase func() (erased func(project int64, session string) bool, err error)) error
	Settle(ctx context.Context, since time.Time) error
}

// settleFor bounds how long an erasure by user waits for the index.
const settleFor = 20 * time.Second

// Cache is something kept in memory from the recordings (the chunks'
// dictionaries, chunk.Reader): cleared after every erasure, so that no
// page of an erased session stays there either.
type Cache interface{ Clear() }

// Actor names who erases when nobody asked: the retention job.
const System = "system"

// batchSize bounds the sessions one retention transaction erases, so
// that the processor and compaction wait only briefly for each.
const batchSize = 200

// Eraser erases. Set Store, Blobs and Processor; Logger may be nil.
type Eraser struct {
	Store     Store
	Blobs     Blobs
	Processor Processor
	Logger    *slog.Logger
	// Every is how often Run applies retention; an hour when zero.
	Every time.Duration
	// Caches are cleared after every erasure.
	Caches []Cache

	erased prometheus.Counter
	purged prometheus.Counter
}

// New returns an Eraser.
func New(st Store, blobs Blobs, proc Processor, logger *slog.Logger) *Eraser {
	if logger == nil {
		logger = slog.Default()
	}
	return &Eraser{Store: st, Blobs: blobs, Processor: proc, Logger: logger,
		erased: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "playhead_erased_sessions_total",
			Help: "Sessions erased: on request, by retention, and with purged projects.",
		}),
		purged: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "playhead_purged_projects_total",
			Help: "Deleted projects whose data was erased.",
		}),
	}
}

// Collectors returns the eraser's metrics.
func (e *Eraser) Collectors() []prometheus.Collector {
	return []prometheus.Collector{e.erased, e.purged}
}

// Session erases one session of a project, with every part of its
// recorder's session; store.ErrNotFound when the index has no such session.
func (e *Eraser) Session(ctx context.Context, actor string, project int64, id string) (store.Erased, error) {
	recorded, err := e.Store.SessionRecorded(ctx, project, id)
	if err != nil {
		return store.Erased{}, err
	}
	out, err := e.erase(ctx, project, []string{recorded})
	if err != nil {
		return out, err
	}
	return out, e.audit(ctx, store.AuditEntry{Actor: actor, Action: "session.erase", Project: project, Target: Fingerprint(id),
		Detail: describe(out)}, true)
}

// User erases every session of a project in which the site identified
// the visitor as user, among every batch acknowledged before it was asked;
// store.ErrIndexBehind when the index cannot take those in soon.
func (e *Eraser) User(ctx context.Context, actor string, project int64, user string) (store.Erased, error) {
	// The user's sessions are found by the index, which trails the log:
	// it must have taken in every batch acknowledged before this request.
	if e.Processor != nil {
		settle, cancel := context.WithTimeout(ctx, settleFor)
		err := e.Processor.Settle(settle, time.Now())
		cancel()
		if err != nil {
			return store.Erased{}, fmt.Errorf("%w: %w", store.ErrIndexBehind, err)
		}
	}
	recorded, err := e.Store.UserSessions(ctx, project, user)
	if err != nil {
		return store.Erased{}, err
	}
	out, err := e.erase(ctx, project, recorded)
	if err != nil {
		return out, err
	}
	return out, e.audit(ctx, store.AuditEntry{Actor: actor, Action: "user.erase", Project: project, Target: Fingerprint(user),
		Detail: describe(out)}, true)
}

// erase removes the recorder's sessions recorded of project and their
// blobs, and scrubs the files.
func (e *Eraser) erase(ctx context.Context, project int64, recorded []string) (store.Erased, error) {
	var out store.Erased
	if len(recorded) == 0 {
		return out, nil
	}
	err := e.hold(func() (func(int64, string) bool, error) {
		var err error
		out, err = e.Store.EraseSessions(ctx, project, recorded)
		return func(p int64, s string) bool { return p == project && slices.Contains(recorded, s) }, err
	})
	if err != nil {
		return store.Erased{}, err
	}
	e.erased.Add(float64(out.Sessions))
	// Last, so that a read under way cannot leave a dictionary of what
	// was erased behind it.
	defer e.clearCaches()
	for _, key := range out.Keys {
		if err := e.Blobs.Delete(ctx, key); err != nil {
			return out, fmt.Errorf("delete chunk: %w", err)
		}
	}
	return out, nil
}

func (e *Eraser) clearCaches() {
	for _, c := range e.Caches {
		c.Clear()
	}
}

func (e *Eraser) hold(fn func() (func(int64, string) bool, error)) error {
	if e.Processor == nil {
		_, err := fn()
		return err
	}
	return e.Processor.Erase(fn)
}

// audit records an erasure, after scrubbing the files when scrub says so.
func (e *Eraser) audit(ctx context.Context, entry store.AuditEntry, scrub bool) error {
	if scrub {
		if err := e.Store.Scrub(ctx); err != nil {
			return err
		}
	}
	if err := e.Store.Audit(ctx, entry); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// Fingerprint is how the audit log names an erased session or user: not
// by its id, which would keep what was erased, but by the start of its
// SHA-256, so that whoever knows the id can tell it was erased.
func Fingerprint(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "sha256:" + hex.EncodeToString(sum[:8])
}

func describe(out store.Erased) string {
	return fmt.Sprintf("%d sessions, %d batches, %d chunks", out.Sessions, out.Batches, out.Chunks)
}

// Report is what one run of Retain did.
type Report struct {
	Sessions int64 // sessions erased past their project's retention
	Projects int   // deleted projects purged
	Purged   int64 // sessions of those projects
}

// Retain erases the sessions of every project that ended more than its
// retention before now (a retention of 0 keeps them), and purges the
// deleted projects. A project that fails does not stop the others; the
// errors are joined.
func (e *Eraser) Retain(ctx context.Context, now time.Time) (Report, error) {
	var (
		rep  Report
		errs []error
	)
	projects, err := e.Store.Projects(ctx)
	if err != nil {
		return rep, err
	}
	for _, p := range projects {
		if p.RetentionDays <= 0 {
			continue
		}
		before := now.Add(-time.Duration(p.RetentionDays) * 24 * time.Hour)
		n, err := e.expire(ctx, p.ID, before)
		rep.Sessions += n
		if n > 0 {
			errs = append(errs, e.audit(ctx, store.AuditEntry{Actor: System, Action: "retention.erase", Project: p.ID,
				Detail: fmt.Sprintf("%d sessions ended before %s", n, before.UTC().Format(time.RFC3339))}, false))
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("retention of project %d: %w", p.ID, err))
		}
	}
	deleted, err := e.Store.DeletedProjects(ctx)
	if err != nil {
		errs = append(errs, err)
	}
	for _, p := range deleted {
		out, err := e.Purge(ctx, p.ID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rep.Projects++
		rep.Purged += out.Sessions
	}
	if rep.Sessions > 0 || rep.Projects > 0 {
		errs = append(errs, e.Store.Scrub(ctx))
	}
	return rep, errors.Join(errs...)
}

// expire erases a project's sessions ended before t, some at a time.
func (e *Eraser) expire(ctx context.Context, project int64, t time.Time) (int64, error) {
	var n int64
	for {
		recorded, err := e.Store.ExpiredSessions(ctx, project, t, batchSize)
		if err != nil || len(recorded) == 0 {
			return n, err
		}
		out, err := e.erase(ctx, project, recorded)
		n += out.Sessions
		if err != nil {
			return n, err
		}
		if len(recorded) < batchSize {
			return n, nil
		}
	}
}

// Purge erases a deleted project: its sessions, log, blobs, goals,
// members and share links, then its row. A project not deleted is
// store.ErrNotFound.
func (e *Eraser) Purge(ctx context.Context, id int64) (store.Erased, error) {
	var out store.Erased
	err := e.hold(func() (func(int64, string) bool, error) {
		var err error
		out, err = e.Store.PurgeProject(ctx, id)
		return func(p int64, _ string) bool { return p == id }, err
	})
	if err != nil {
		return out, err
	}
	e.erased.Add(float64(out.Sessions))
	e.purged.Inc()
	defer e.clearCaches()
	// Every blob of the project, chunks and leftovers of a compaction cut
	// short alike, is under its id.
	var keys []string
	err = e.Blobs.List(ctx, strconv.FormatInt(id, 10)+"/", func(key string, _ int64) error {
		keys = append(keys, key)
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("list the blobs of project %d: %w", id, err)
	}
	for _, key := range keys {
		if err := e.Blobs.Delete(ctx, key); err != nil {
			return out, fmt.Errorf("delete blob of project %d: %w", id, err)
		}
	}
	out.Chunks = max(out.Chunks, int64(len(keys)))
	return out, e.audit(ctx, store.AuditEntry{Actor: System, Action: "project.purge", Project: id,
		Detail: describe(out)}, false)
}

// Run applies retention at once and then every Every until ctx is done,
// logging one line per run.
func (e *Eraser) Run(ctx context.Context) {
	every := e.Every
	if every <= 0 {
		every = time.Hour
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		start := time.Now()
		rep, err := e.Retain(ctx, start)
		if ctx.Err() != nil {
			return
		}
		args := []any{"sessions", rep.Sessions, "projects_purged", rep.Projects, "sessions_purged", rep.Purged,
			"took", time.Since(start).Round(time.Millisecond)}
		if err != nil {
			e.Logger.Error("retention", append(args, "err", err)...)
		} else {
			e.Logger.Info("retention", args...)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
