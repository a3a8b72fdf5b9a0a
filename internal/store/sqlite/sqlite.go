// Package sqlite is the embedded store: one SQLite database in WAL mode
// holds the durable ingest log, the recordings (its compressed batches, as
// ingest made them) and the sessions index. It is Playhead's default
// backend.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	blobfs "github.com/playhead/playhead/internal/blob/fs"
)

// The data folder holds two databases, so that the log's writer and the
// index's writer commit side by side instead of taking turns: SQLite has one
// writer per file.
const (
	FileName      = "playhead.db" // projects, settings and the durable log
	IndexFileName = "index.db"    // the sessions index the processor keeps
)

// Store is the SQLite backend. Writes go through one connection (SQLite has
// one writer anyway); reads use a pool of their own so that a long read
// never holds up an acknowledgement.
type Store struct {
	dir   string
	write *sql.DB // the log's one writer
	read  *sql.DB
	// The sessions index, in its own file.
	iwrite *sql.DB
	iread  *sql.DB

	// insertBatch and batchHash are prepared once on the one write
	// connection and reused by every commit.
	insertBatch, batchHash *sql.Stmt
	// windowChunks and windowBatches are the processor's reads of a
	// window it folds from the start (WindowBatches), prepared once on
	// the read pool rather than parsed at every call.
	windowChunks, windowBatches *sql.Stmt
	// batchEvents reads one batch's events back (BatchEvents): for every
	// batch the processor folds after it yielded to a burst of ingest.
	batchEvents *sql.Stmt

	appends chan *appendRequest
	mu      sync.RWMutex // guards closed against sends to appends
	closed  bool
	stop    chan struct{} // closed by Close: the writer drains and exits
	done    chan struct{} // closed when the writer has drained

	commits chan struct{} // signalled after each commit of new batches
	checked *checkedCache // events of batches not yet read by the processor

	queued    atomic.Int64 // bytes of batches waiting for a commit
	writing   atomic.Int64 // nanoseconds the writer has spent committing
	maxQueued atomic.Int64
	metrics   metrics

	logger atomic.Pointer[slog.Logger]
	health writeHealth

	blobs Blobs // compacted chunks
}

// DefaultMaxQueued bounds the bytes of batches waiting to be committed.
const DefaultMaxQueued = 64 << 20

// Open opens (creating and migrating if needed) the store in dir.
func Open(ctx context.Context, dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	var pools []*sql.DB
	fail := func(err error) (*Store, error) {
		for _, db := range pools {
			db.Close()
		}
		return nil, err
	}
	open := func(file string, migrations []string, pragmas ...string) (write, read *sql.DB, err error) {
		path := filepath.Join(dir, file)
		// secure_delete: what is deleted (an erased session) is
		// overwritten, not left readable in free pages.
		if write, err = openDB(path, 1, "immediate", append(pragmas, "secure_delete(ON)")...); err != nil {
			return nil, nil, err
		}
		pools = append(pools, write)
		if err := migrate(ctx, write, migrations); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", file, err)
		}
		if read, err = openDB(path, 8, "deferred"); err != nil {
			return nil, nil, err
		}
		pools = append(pools, read)
		return write, read, nil
	}
	// The log's writer keeps 64 MiB of pages: batches land at random
	// places of the (session, window, seq) index, which must stay in
	// memory for a commit not to read it back from disk.
	write, read, err := open(FileName, logMigrations, "cache_size(-65536)")
	if err != nil {
		return fail(err)
	}
	// The index's writer keeps 64 MiB of pages too: a session's rows are
	// found by its number, but the sessions and search indexes take writes
	// all over.
	iwrite, iread, err := open(IndexFileName, indexMigrations, "cache_size(-65536)")
	if err != nil {
		return fail(err)
	}
	// A batch takes the position after the newest ever given, which an
	// erasure of the newest batches keeps (logEnd).
	insertBatch, err := write.PrepareContext(ctx, `INSERT INTO batches
		(id, project, session, window, seq, received, agent, count, first_ts, last_ts, pages, events, hash)
		VALUES (`+logEnd+` + 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (project, session, window, seq) DO NOTHING`)
	if err != nil {
		return fail(fmt.Errorf("prepare batch insert: %w", err))
	}
	batchHash, err := write.PrepareContext(ctx, `SELECT hash FROM batches
		WHERE project = ? AND session = ? AND window = ? AND seq = ?`)
	if err != nil {
		insertBatch.Close()
		return fail(fmt.Errorf("prepare batch lookup: %w", err))
	}
	windowChunks, err := read.PrepareContext(ctx, `SELECT last_seq, max_id, key FROM chunks
		WHERE project = ? AND session = ? AND window = ? ORDER BY ord`)
	if err != nil {
		insertBatch.Close()
		batchHash.Close()
		return fail(fmt.Errorf("prepare window read: %w", err))
	}
	windowBatches, err := read.PrepareContext(ctx, `SELECT seq, id, events FROM batches
		WHERE project = ? AND session = ? AND window = ? AND id <= ? AND released = 0 ORDER BY seq`)
	if err != nil {
		insertBatch.Close()
		batchHash.Close()
		windowChunks.Close()
		return fail(fmt.Errorf("prepare window read: %w", err))
	}
	batchEvents, err := read.PrepareContext(ctx, `SELECT events, released FROM batches WHERE id = ?`)
	if err != nil {
		insertBatch.Close()
		batchHash.Close()
		windowChunks.Close()
		windowBatches.Close()
		return fail(fmt.Errorf("prepare batch read: %w", err))
	}
	s := &Store{
		dir:         dir,
		write:       write,
		read:        read,
		iwrite:      iwrite,
		iread:       iread,
		insertBatch: insertBatch,
		batchHash:   batchHash,
		appends:     make(chan *appendRequest, 1024),
		stop:        make(chan struct{}),
		done:        make(chan struct{}),
		commits:     make(chan struct{}, 1),
		metrics:     newMetrics(),
		checked:     newCheckedCache(maxChecked),
		blobs:       blobfs.New(filepath.Join(dir, BlobDir)),
	}
	s.windowChunks, s.windowBatches, s.batchEvents = windowChunks, windowBatches, batchEvents
	s.maxQueued.Store(DefaultMaxQueued)
	go s.writeLoop()
	return s, nil
}

// openDB opens a pool on path. synchronous=FULL makes every commit fsync
// the WAL: an acknowledged batch survives a crash or a power cut. Writers
// take the lock when they begin (txlock immediate) so that two processes
// never deadlock upgrading a read; readers never take it.
func openDB(path string, conns int, txlock string, pragmas ...string) (*sql.DB, error) {
	q := url.Values{}
	for _, p := range append([]string{
		"journal_mode(WAL)",
		"synchronous(FULL)",
		"busy_timeout(10000)",
		"foreign_keys(ON)",
	}, pragmas...) {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", txlock)
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0)
	return db, nil
}

// Close stops taking appends, waits for those already taken to commit, and
// closes the database.
func (s *Store) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.stop)
	}
	s.mu.Unlock()
	<-s.done
	return errors.Join(s.insertBatch.Close(), s.batchHash.Close(), s.windowChunks.Close(), s.windowBatches.Close(), s.batchEvents.Close(), s.read.Close(), s.write.Close(), s.iread.Close(), s.iwrite.Close())
}

// Dir is the data folder.
func (s *Store) Dir() string { return s.dir }

// Ping tells whether the database answers.
func (s *Store) Ping(ctx context.Context) (err error) {
	defer s.check(&err)
	return errors.Join(s.read.PingContext(ctx), s.iread.PingContext(ctx))
}

// Commits is signalled (without blocking, coalesced) after each commit that
// added batches to the log, so that the processor need not poll hard.
func (s *Store) Commits() <-chan struct{} { return s.commits }

// SetMaxQueued sets how many bytes of batches may wait for a commit before
// Append answers store.ErrBusy.
func (s *Store) SetMaxQueued(bytes int64) { s.maxQueued.Store(bytes) }

// Overloaded tells whether the commit queue is over three quarters full.
func (s *Store) Overloaded() bool { return s.queued.Load()*4 > s.maxQueued.Load()*3 }
