package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/playhead/playhead/internal/batch"
	"github.com/playhead/playhead/internal/store"
)

// maxGroup bounds how many batches share one commit, so that one fsync
// never waits behind an unbounded transaction.
const maxGroup = 256

type appendRequest struct {
	b     *batch.Batch
	pages string
	size  int64 // bytes counted in Store.queued
	done  chan appendResult
}

type appendResult struct {
	duplicate bool
	err       error
	id        int64 // position of a batch stored anew
}

// Append stores b durably. It returns once the batch is committed and
// fsynced, together with the other batches that arrived meanwhile (group
// commit). duplicate reports that (project, session, window, seq) was
// already stored with the same events, in which case nothing changed; the
// same key with other events is store.ErrConflict.
func (s *Store) Append(ctx context.Context, b *batch.Batch) (duplicate bool, err error) {
	queued := false
	defer func() {
		if !queued {
			release(b)
		}
	}()
	pages, err := json.Marshal(b.Pages)
	if err != nil {
		return false, fmt.Errorf("encode pages: %w", err)
	}
	req := &appendRequest{
		b:     b,
		pages: string(pages),
		size:  queuedSize(b, len(pages)),
		done:  make(chan appendResult, 1),
	}
	if s.queued.Add(req.size) > s.maxQueued.Load() {
		s.queued.Add(-req.size)
		return false, store.ErrBusy
	}
	// The read lock orders this send before Close: once Close holds the
	// lock no append can slip into the queue behind the writer's back.
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		s.queued.Add(-req.size)
		return false, store.ErrClosed
	}
	select {
	case s.appends <- req:
		s.mu.RUnlock()
		queued = true // the writer releases b
	case <-ctx.Done():
		s.mu.RUnlock()
		s.queued.Add(-req.size)
		return false, ctx.Err()
	}
	// Once queued the batch will be committed even if the client goes
	// away: wait for the outcome regardless of ctx, so that shutdown
	// drains it and the answer is never a lie.
	r := <-req.done
	return r.duplicate, r.err
}

// release gives the memory of b's checked events back to ingest.
func release(b *batch.Batch) {
	if b.Release != nil {
		b.Release()
	}
}

// queuedSize is what a queued batch holds in memory: its events (stored
// and checked, the latter in a buffer that may be larger), its page views
// (as JSON) and the strings beside them.
func queuedSize(b *batch.Batch, pagesJSON int) int64 {
	return int64(len(b.Events) + cap(b.Checked) + pagesJSON + len(b.UserAgent) + len(b.Session) + len(b.Window))
}

// writeLoop commits queued appends in groups: whatever queued up while the
// previous commit was fsyncing goes into the next one.
func (s *Store) writeLoop() {
	defer close(s.done)
	group := make([]*appendRequest, 0, maxGroup)
	probe := time.NewTimer(probeEvery)
	defer probe.Stop()
	for {
		var req *appendRequest
		select {
		case <-probe.C:
			// While commits fail, try one now and then even when no
			// batch comes to.
			if s.failing() {
				s.probe()
			}
			probe.Reset(probeEvery)
			continue
		case req = <-s.appends:
		case <-s.stop:
			// Close holds off new appends; commit what is still queued.
			select {
			case req = <-s.appends:
			default:
				return
			}
		}
		group = append(group[:0], req)
	fill:
		for len(group) < maxGroup {
			select {
			case req := <-s.appends:
				group = append(group, req)
			default:
				break fill
			}
		}
		s.commit(group)
	}
}

func (s *Store) commit(group []*appendRequest) {
	start := time.Now()
	results, err := s.insertGroup(group)
	err = s.classify(err)
	s.wrote(err)
	took := time.Since(start)
	s.writing.Add(int64(took))
	s.metrics.commitSeconds.Observe(took.Seconds())
	s.metrics.commitBatches.Observe(float64(len(group)))
	for i, req := range group {
		s.queued.Add(-req.size)
		if err != nil {
			release(req.b)
			req.done <- appendResult{err: err}
			continue
		}
		if r := results[i]; r.id != 0 && req.b.Checked != nil {
			s.checked.put(r.id, req.b.Checked, req.b.Release)
		} else {
			release(req.b)
		}
		req.done <- results[i]
	}
	if err == nil {
		select {
		case s.commits <- struct{}{}:
		default:
		}
	}
}

func (s *Store) insertGroup(group []*appendRequest) ([]appendResult, error) {
	// Background context: a commit must not be torn by one client leaving.
	ctx := context.Background()
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	insert := tx.StmtContext(ctx, s.insertBatch)
	results := make([]appendResult, len(group))
	for i, req := range group {
		b := req.b
		res, err := insert.ExecContext(ctx, b.Project, b.Session, b.Window, b.Seq,
			b.Received.UnixMilli(), b.UserAgent, b.Count, b.First, b.Last, req.pages, b.Events, b.Hash)
		if err != nil {
			return nil, fmt.Errorf("insert batch: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, fmt.Errorf("insert batch: %w", err)
		}
		if n == 1 {
			if results[i].id, err = res.LastInsertId(); err != nil {
				return nil, fmt.Errorf("insert batch: %w", err)
			}
			continue
		}
		// The key is taken: by this very batch sent again, or by another.
		var stored []byte
		if err := tx.StmtContext(ctx, s.batchHash).QueryRowContext(ctx, b.Project, b.Session, b.Window, b.Seq).Scan(&stored); err != nil {
			return nil, fmt.Errorf("read stored batch: %w", err)
		}
		if stored == nil || bytes.Equal(stored, b.Hash) {
			results[i].duplicate = true
		} else {
			results[i].err = store.ErrConflict
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return results, nil
}

// WriteTime is how long the log's writer has spent committing since the
// store opened: the processor yields to ingest while it grows nearly as
// fast as the clock.
func (s *Store) WriteTime() time.Duration {
	return time.Duration(s.writing.Load())
}

// BatchesAfter returns up to limit batch headers logged after position
// after, in log order. It stops early once the headers read exceed
// maxBytes of pages and user agents (0 for no bound), so that a step of
// long headers does not hold hundreds of megabytes; it returns at least
// one header whatever its size.
func (s *Store) BatchesAfter(ctx context.Context, after int64, limit, maxBytes int) (_ []batch.Header, err error) {
	defer s.check(&err)
	rows, err := s.read.QueryContext(ctx, `SELECT id, project, session, window, seq, received,
		agent, count, first_ts, last_ts, pages FROM batches WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read log: %w", err)
	}
	defer rows.Close()
	var hs []batch.Header
	size := 0
	for rows.Next() {
		var (
			h        batch.Header
			received int64
			pages    string
		)
		if err := rows.Scan(&h.ID, &h.Project, &h.Session, &h.Window, &h.Seq, &received,
			&h.UserAgent, &h.Count, &h.First, &h.Last, &pages); err != nil {
			return nil, fmt.Errorf("read log: %w", err)
		}
		h.Received = time.UnixMilli(received)
		if err := json.Unmarshal([]byte(pages), &h.Pages); err != nil {
			return nil, fmt.Errorf("read log: batch %d pages: %w", h.ID, err)
		}
		hs = append(hs, h)
		size += len(pages) + len(h.UserAgent)
		if maxBytes > 0 && size > maxBytes {
			break
		}
	}
	return hs, rows.Err()
}

// BatchJSON returns the events of the batch at position id as a JSON
// array: as ingest checked them if they are still in memory, else read
// from the log and inflated (nil when they cannot be, for the caller to
// skip the same way every time); store.ErrReleased once they were
// compacted and dropped.
func (s *Store) BatchJSON(ctx context.Context, id int64) ([]byte, error) {
	if events := s.checked.take(id); events != nil {
		return events, nil
	}
	blob, err := s.BatchEvents(ctx, id)
	if err != nil {
		return nil, err
	}
	raw, err := batch.Decompress(blob)
	if err != nil {
		return nil, nil
	}
	return raw, nil
}

// Processed returns how far the named reader has applied the log.
func (s *Store) Processed(ctx context.Context, name string) (_ int64, err error) {
	defer s.check(&err)
	var upto int64
	err = s.iread.QueryRowContext(ctx, `SELECT upto FROM processed WHERE name = ?`, name).Scan(&upto)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read processed position: %w", err)
	}
	return upto, nil
}

// LogStats is store.LogStats, named here too for the store's callers.
type LogStats = store.LogStats

// LogStats reads the log's size and how far the reader called name is.
func (s *Store) LogStats(ctx context.Context, name string) (_ LogStats, err error) {
	defer s.check(&err)
	var st LogStats
	if st.Processed, err = s.Processed(ctx, name); err != nil {
		return LogStats{}, err
	}
	err = s.read.QueryRowContext(ctx, `SELECT count(*), `+logEnd+`,
		count(CASE WHEN id <= ? THEN 1 END) FROM batches`,
		st.Processed).Scan(&st.Batches, &st.Last, &st.ProcessedCount)
	if err != nil {
		return LogStats{}, fmt.Errorf("read log stats: %w", err)
	}
	return st, nil
}

// BatchEvents returns the stored (compressed) events of the batch at
// position id; store.ErrReleased once they were compacted and dropped.
func (s *Store) BatchEvents(ctx context.Context, id int64) (blob []byte, err error) {
	defer s.check(&err)
	var released int64
	err = s.batchEvents.QueryRowContext(ctx, id).Scan(&blob, &released)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read batch %d: %w", id, err)
	}
	if released < 0 {
		return nil, store.ErrReleased
	}
	return blob, nil
}

// Backlog says how many batches are logged after position after, and when
// the first of them was received (zero when there is none). The count is
// the log positions after it, which is exact while the log is only
// appended to (an erasure makes it an upper bound), and costs two index
// lookups rather than a scan.
func (s *Store) Backlog(ctx context.Context, after int64) (batches int64, oldest time.Time, err error) {
	defer s.check(&err)
	var (
		last     int64
		received sql.NullInt64
	)
	err = s.read.QueryRowContext(ctx, `SELECT `+logEnd+`,
		(SELECT received FROM batches WHERE id > ?1 ORDER BY id LIMIT 1)`, after).Scan(&last, &received)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("read backlog: %w", err)
	}
	if received.Valid {
		oldest = time.UnixMilli(received.Int64)
	}
	return max(last-after, 0), oldest, nil
}
