// Package backend opens what a data folder keeps — the log, the sessions
// index, the blobs of recordings, the accounts — as one value whose fields
// are interfaces, so that the server and the commands never name the
// storage they run on. Each field is the union of the small interfaces the
// stages declare where they use them; a backend of another kind (a
// JetStream log, a PostgreSQL index, S3 blobs) implements them and passes
// the conformance suites beside them: internal/store/logtest,
// internal/store/indextest and internal/blob/blobtest.
package backend

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/playhead/playhead/internal/account"
	"github.com/playhead/playhead/internal/api"
	"github.com/playhead/playhead/internal/auth"
	blobfs "github.com/playhead/playhead/internal/blob/fs"
	"github.com/playhead/playhead/internal/chunk"
	"github.com/playhead/playhead/internal/erase"
	"github.com/playhead/playhead/internal/ingest"
	"github.com/playhead/playhead/internal/process"
	"github.com/playhead/playhead/internal/store"
	"github.com/playhead/playhead/internal/store/sqlite"
)

// Log is the durable log of batches and the chunks that replace them once
// compacted: ingest appends, the processor reads in order, compaction
// moves batches into chunks and releases them, readers list a recording's
// parts. internal/store/logtest is its conformance suite.
type Log interface {
	ingest.Log
	process.Log
	process.ChunkLog
	process.Events
	// BatchEvents returns the stored (compressed) events of the batch at
	// position id, or store.ErrReleased once they are only in chunks.
	BatchEvents(ctx context.Context, id int64) ([]byte, error)
	Parts(ctx context.Context, project int64, session, window string, from, to int64) ([]store.Part, error)
	// LogStats says how much the log holds and how far the reader called
	// name has applied it.
	LogStats(ctx context.Context, name string) (store.LogStats, error)
}

// Index is the sessions index, kept by the processor from the log, read
// by the API and the dashboard, and erased from by erasure. Erasing a
// session removes it from the log and the chunk index too.
// internal/store/indextest is its conformance suite.
type Index interface {
	process.Index
	api.Sessions
	api.Tags
	api.Notes
	// ResetIndex empties the index, so that the processor rebuilds it
	// from the log.
	ResetIndex(ctx context.Context) error

	ProjectTags(ctx context.Context, projects []int64) ([]string, error)
	Segments(ctx context.Context, projects []int64) ([]store.Segment, error)
	SaveSegment(ctx context.Context, seg store.Segment) (store.Segment, error)
	DeleteSegment(ctx context.Context, project, id int64) error
	MarkWatched(ctx context.Context, user, project int64, session string) error

	SessionRecorded(ctx context.Context, project int64, id string) (string, error)
	UserSessions(ctx context.Context, project int64, user string) ([]string, error)
	ExpiredSessions(ctx context.Context, project int64, t time.Time, limit int) ([]string, error)
	EraseSessions(ctx context.Context, project int64, recorded []string) (store.Erased, error)
	PurgeProject(ctx context.Context, id int64) (store.Erased, error)
}

// Blobs hold the compacted chunks of recordings. Put must be durable when
// it returns. internal/blob/blobtest is its conformance suite.
type Blobs interface {
	Put(ctx context.Context, key string, data []byte) error
	Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error)
	Delete(ctx context.Context, key string) error
	List(ctx context.Context, prefix string, fn func(key string, size int64) error) error
}

// Accounts keeps who may do what and the projects: users, logins, API
// tokens, share links, projects and their goals, settings and the audit
// log.
type Accounts interface {
	account.Store
	auth.GateStore
	ingest.Projects
	SetProjectEnabled(ctx context.Context, key string, enabled bool) error
	DeletedProjects(ctx context.Context) ([]store.Project, error)
	// Scrub drops what erased sessions left in the audit log.
	Scrub(ctx context.Context) error
}

// Health reports on the storage for /readyz and /metrics.
type Health interface {
	// Ping tells whether the storage answers.
	Ping(ctx context.Context) error
	// WriteErr is the failure of the latest write, nil once one works
	// again; a *store.UnavailableError when the storage itself fails.
	WriteErr() error
	// Overloaded tells whether writes queue near their bound.
	Overloaded() bool
	Collectors() []prometheus.Collector
}

// Backend is an open data folder.
type Backend struct {
	Log      Log
	Index    Index
	Blobs    Blobs
	Accounts Accounts
	Health   Health
	// Dicts keeps the dictionaries of the windows whose chunks are being
	// read or written (internal/chunk), for the API and compaction alike;
	// every erasure clears it.
	Dicts *chunk.Reader

	close func() error
	once  sync.Once
	err   error
}

// Erasure is what internal/erase reads and changes: the index's sessions
// and the accounts' projects and audit log.
func (b *Backend) Erasure() erase.Store { return erasure{b.Index, b.Accounts} }

type erasure struct {
	Index
	accounts Accounts
}

func (e erasure) Projects(ctx context.Context) ([]store.Project, error) {
	return e.accounts.Projects(ctx)
}
func (e erasure) DeletedProjects(ctx context.Context) ([]store.Project, error) {
	return e.accounts.DeletedProjects(ctx)
}
func (e erasure) Scrub(ctx context.Context) error { return e.accounts.Scrub(ctx) }
func (e erasure) Audit(ctx context.Context, a store.AuditEntry) error {
	return e.accounts.Audit(ctx, a)
}

// Close closes every store and releases the data folder; it may be called
// more than once.
func (b *Backend) Close() error {
	b.once.Do(func() { b.err = b.close() })
	return b.err
}

// Options tune Open.
type Options struct {
	// Lock holds the data folder for this process alone until Close, and
	// fails if another holds it: one server per data folder, as two
	// would each take the processor's position for their own. The
	// commands that only change accounts and projects do not lock.
	Lock bool
	// Logger receives the storage's episodes of failure; nil: slog's
	// default.
	Logger *slog.Logger
	// MaxQueued bounds the bytes of batches waiting for a commit; 0 for
	// DefaultMaxQueued.
	MaxQueued int64
}

// ErrLocked means another process holds the data folder (Options.Lock).
var ErrLocked = sqlite.ErrLocked

// DefaultMaxQueued bounds the bytes of batches waiting to be committed.
const DefaultMaxQueued = sqlite.DefaultMaxQueued

// Open opens the data folder dir, creating it if needed: the log, the
// index and the accounts in SQLite (playhead.db, index.db), the chunks as
// files under recordings/.
func Open(ctx context.Context, dir string, opts Options) (*Backend, error) {
	unlock := func() error { return nil }
	if opts.Lock {
		var err error
		if unlock, err = sqlite.Lock(dir); err != nil {
			return nil, err
		}
	}
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		return nil, errors.Join(err, unlock())
	}
	if opts.Logger != nil {
		st.SetLogger(opts.Logger)
	}
	if opts.MaxQueued > 0 {
		st.SetMaxQueued(opts.MaxQueued)
	}
	blobs := blobfs.New(filepath.Join(dir, sqlite.BlobDir))
	st.SetBlobs(blobs)
	return &Backend{Log: st, Index: st, Blobs: blobs, Accounts: st, Health: st, Dicts: chunk.NewReader(0),
		close: func() error { return errors.Join(st.Close(), unlock()) }}, nil
}
