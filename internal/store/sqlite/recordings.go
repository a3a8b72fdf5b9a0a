package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/playhead/playhead/internal/batch"
	"github.com/playhead/playhead/internal/chunk"
	"github.com/playhead/playhead/internal/store"
)

// Blobs is where compacted chunks are kept; the store reads them to fold
// a window for the processor (WindowBatches).
type Blobs interface {
	Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error)
}

// SetBlobs sets the store of chunks. Open sets files under the data
// folder (BlobDir).
func (s *Store) SetBlobs(b Blobs) { s.blobs = b }

// BlobDir is the folder of the data folder that holds chunks by default.
const BlobDir = "recordings"

// Parts lists the recording of a project's session (of one window if
// window is not ""), chunks and batches not yet compacted, whose events
// fall in [from, to) ms: by window, then each window's chunks then its
// batches, in order. A session with no batch at all is store.ErrNotFound.
//
// session is the index's id: a later part of a split session
// (store.PartID) lists its recorder's session within its own time span.
func (s *Store) Parts(ctx context.Context, project int64, session, window string, from, to int64) (_ []store.Part, err error) {
	defer s.check(&err)
	recorded, first, last, err := s.span(ctx, project, session)
	if err != nil {
		return nil, err
	}
	session, from, to = recorded, max(from, first), min(to, last)
	where := `project = ?1 AND session = ?2 AND (?3 = '' OR window = ?3) AND last_ts >= ?4 AND first_ts < ?5`
	rows, err := s.read.QueryContext(ctx, `
		SELECT window, 1, max_id, ord, key, first_seq, last_seq, first_ts, last_ts, events, bytes, full
			FROM chunks WHERE `+where+`
		UNION ALL
		SELECT window, 0, id, 0, '', seq, seq, first_ts, last_ts, count, length(events), pages LIKE '[%'
			FROM batches WHERE `+where+` AND released = 0
		ORDER BY 1, 2 DESC, 4, 6`, project, session, window, from, to)
	if err != nil {
		return nil, fmt.Errorf("read parts of %s: %w", session, err)
	}
	defer rows.Close()
	var parts []store.Part
	for rows.Next() {
		var p store.Part
		if err := rows.Scan(&p.Window, &p.Chunk, &p.ID, &p.Ord, &p.Key, &p.FirstSeq, &p.LastSeq,
			&p.First, &p.Last, &p.Events, &p.Bytes, &p.Full); err != nil {
			return nil, fmt.Errorf("read parts of %s: %w", session, err)
		}
		parts = append(parts, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read parts of %s: %w", session, err)
	}
	if len(parts) == 0 {
		var one int
		err := s.read.QueryRowContext(ctx, `SELECT 1 FROM batches WHERE project = ?1 AND session = ?2
			AND (?3 = '' OR window = ?3) LIMIT 1`, project, session, window).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, store.ErrNotFound
		}
		if err != nil {
			return nil, fmt.Errorf("read parts of %s: %w", session, err)
		}
	}
	return parts, nil
}

// span is where the index's session id lies in its recorder's session:
// the recorder's id and the time range [from, to) of its events. The first
// part reaches back to the start, the latest on to whatever comes, so that
// what the index has not applied yet is read too; a session the index does
// not know yet is taken as the recorder's whole session.
func (s *Store) span(ctx context.Context, project int64, id string) (recorded string, from, to int64, err error) {
	var later bool
	err = s.iread.QueryRowContext(ctx, `SELECT recorded, start_ts - clock_offset, end_ts - clock_offset + 1,
		EXISTS (SELECT 1 FROM sessions t WHERE t.project = s.project AND t.recorded = s.recorded AND t.start_ts > s.start_ts)
		FROM sessions s WHERE project = ? AND id = ?`, project, id).Scan(&recorded, &from, &to, &later)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if strings.Contains(id, "~") {
			return "", 0, 0, store.ErrNotFound
		}
		return id, math.MinInt64, math.MaxInt64, nil
	case err != nil:
		return "", 0, 0, fmt.Errorf("read session %s: %w", id, err)
	}
	if !later {
		to = math.MaxInt64
	}
	if id == recorded {
		from = math.MinInt64
	}
	return recorded, from, to, nil
}

func (s *Store) chunkBlob(ctx context.Context, key string) ([]byte, error) {
	r, err := s.blobs.Get(ctx, key, 0, -1)
	if err != nil {
		return nil, fmt.Errorf("read chunk: %w", err)
	}
	defer r.Close()
	blob, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read chunk %s: %w", key, err)
	}
	return blob, nil
}

// WindowBatches calls fn with a window's events as the processor folds
// them: each chunk's, then each batch's not compacted and logged at or
// before position upto, in order, as JSON arrays. seq is the last seq
// whose events the call completes and id the newest log position among
// them. Chunks are given whatever upto: they hold only batches the
// processor had applied when they were made, and one being rebuilt from
// the start takes a chunk's events in its first call.
func (s *Store) WindowBatches(ctx context.Context, project int64, session, window string, upto int64,
	fn func(seq, id int64, events []byte) error) (err error) {
	defer s.check(&err)
	// One read transaction: the chunks and the batches from the same
	// moment, not one from either side of a compaction.
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("read window %s/%s: %w", session, window, err)
	}
	defer tx.Rollback()
	type ref struct {
		seq, id int64
		key     string
	}
	var chunks []ref
	rows, err := tx.StmtContext(ctx, s.windowChunks).QueryContext(ctx, project, session, window)
	if err != nil {
		return fmt.Errorf("read window %s/%s: %w", session, window, err)
	}
	for rows.Next() {
		var r ref
		if err := rows.Scan(&r.seq, &r.id, &r.key); err != nil {
			rows.Close()
			return fmt.Errorf("read window %s/%s: %w", session, window, err)
		}
		chunks = append(chunks, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read window %s/%s: %w", session, window, err)
	}
	// Each chunk is compressed against the full snapshots of those
	// before it in its run, which reading them in order gives.
	var dict []byte
	for _, c := range chunks {
		blob, err := s.chunkBlob(ctx, c.key)
		if err != nil {
			return err
		}
		var raw []byte
		if raw, dict, err = chunk.Read(blob, dict); err != nil {
			return fmt.Errorf("chunk %s: %w", c.key, err)
		}
		if err := fn(c.seq, c.id, raw); err != nil {
			return err
		}
	}
	rows, err = tx.StmtContext(ctx, s.windowBatches).QueryContext(ctx, project, session, window, upto)
	if err != nil {
		return fmt.Errorf("read window %s/%s: %w", session, window, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			seq, id int64
			blob    []byte
		)
		if err := rows.Scan(&seq, &id, &blob); err != nil {
			return fmt.Errorf("read window %s/%s: %w", session, window, err)
		}
		raw := s.checked.take(id)
		if raw == nil {
			if raw, err = batch.Decompress(blob); err != nil {
				// Left for the caller to skip, the same way every time.
				raw = nil
			}
		}
		if err := fn(seq, id, raw); err != nil {
			return err
		}
	}
	return rows.Err()
}

// PendingWindows lists the windows with batches logged at or before
// position upto and not compacted.
func (s *Store) PendingWindows(ctx context.Context, upto int64) (_ []store.PendingWindow, err error) {
	defer s.check(&err)
	rows, err := s.read.QueryContext(ctx, `SELECT project, session, window, count(*), sum(length(events)), max(received)
		FROM batches WHERE released = 0 AND id <= ? GROUP BY project, session, window`, upto)
	if err != nil {
		return nil, fmt.Errorf("read pending windows: %w", err)
	}
	defer rows.Close()
	var out []store.PendingWindow
	for rows.Next() {
		var (
			p    store.PendingWindow
			last int64
		)
		if err := rows.Scan(&p.Project, &p.Session, &p.Window, &p.Batches, &p.Bytes, &last); err != nil {
			return nil, fmt.Errorf("read pending windows: %w", err)
		}
		p.Last = time.UnixMilli(last)
		out = append(out, p)
	}
	return out, rows.Err()
}

// NextChunk says what the window's next chunk is: its number, and the seq
// after the last one compacted (0 when none is).
func (s *Store) NextChunk(ctx context.Context, w store.WindowRef) (ord int, seq int64, err error) {
	defer s.check(&err)
	err = s.read.QueryRowContext(ctx, `SELECT coalesce(max(ord) + 1, 0), coalesce(max(last_seq) + 1, 0)
		FROM chunks WHERE project = ? AND session = ? AND window = ?`, w.Project, w.Session, w.Window).Scan(&ord, &seq)
	if err != nil {
		return 0, 0, fmt.Errorf("read chunks of %s/%s: %w", w.Session, w.Window, err)
	}
	return ord, seq, nil
}

// PendingBatches calls fn with the window's batches logged at or before
// upto and not compacted, in seq order, with their stored events.
func (s *Store) PendingBatches(ctx context.Context, w store.WindowRef, upto int64,
	fn func(id, seq int64, events []byte) error) (err error) {
	defer s.check(&err)
	rows, err := s.read.QueryContext(ctx, `SELECT id, seq, events FROM batches WHERE project = ? AND session = ?
		AND window = ? AND id <= ? AND released = 0 ORDER BY seq`, w.Project, w.Session, w.Window, upto)
	if err != nil {
		return fmt.Errorf("read batches of %s/%s: %w", w.Session, w.Window, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id, seq int64
			blob    []byte
		)
		if err := rows.Scan(&id, &seq, &blob); err != nil {
			return fmt.Errorf("read batches of %s/%s: %w", w.Session, w.Window, err)
		}
		if err := fn(id, seq, blob); err != nil {
			return err
		}
	}
	return rows.Err()
}

// LastPageStart gives the seq of the window's newest batch logged at or
// before upto and not compacted that loads a page; ok is false when none
// does.
func (s *Store) LastPageStart(ctx context.Context, w store.WindowRef, upto int64) (seq int64, ok bool, err error) {
	defer s.check(&err)
	var n sql.NullInt64
	err = s.read.QueryRowContext(ctx, `SELECT max(seq) FROM batches WHERE project = ? AND session = ?
		AND window = ? AND released = 0 AND id <= ? AND pages LIKE '[%'`, w.Project, w.Session, w.Window, upto).Scan(&n)
	if err != nil {
		return 0, false, fmt.Errorf("read batches of %s/%s: %w", w.Session, w.Window, err)
	}
	return n.Int64, n.Valid, nil
}

// ErrRaced means batches meant for chunks were compacted by someone else
// meanwhile; nothing was changed.
var ErrRaced = errors.New("batches already compacted")

// AddChunks records a window's new chunks, whose blobs are already
// stored, and releases the batches they hold, in one transaction: a crash
// leaves both or neither. Released batches keep their rows (key, hash,
// header), so that a retry of one is still answered 200 or 409; their
// events stay readable until DropReleased.
func (s *Store) AddChunks(ctx context.Context, w store.WindowRef, chunks []store.Part, batches []int64) (err error) {
	defer s.check(&err)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	for _, c := range chunks {
		if _, err := tx.ExecContext(ctx, `INSERT INTO chunks (project, session, window, ord, first_seq, last_seq,
			first_ts, last_ts, max_id, events, bytes, full, key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			w.Project, w.Session, w.Window, c.Ord, c.FirstSeq, c.LastSeq, c.First, c.Last, c.ID, c.Events,
			c.Bytes, c.Full, c.Key); err != nil {
			return fmt.Errorf("record chunk %s: %w", c.Key, err)
		}
	}
	now := time.Now().UnixMilli()
	release, err := tx.PrepareContext(ctx, `UPDATE batches SET released = ? WHERE id = ? AND released = 0`)
	if err != nil {
		return fmt.Errorf("release batches: %w", err)
	}
	defer release.Close()
	for _, id := range batches {
		n, err := rowsAffected(release.ExecContext(ctx, now, id))
		if err != nil {
			return fmt.Errorf("release batch %d: %w", id, err)
		}
		if n != 1 {
			return fmt.Errorf("release batch %d: %w", id, ErrRaced)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// DropReleased empties the events of batches released before the given
// time, at most limit of them, and says how many it emptied. The grace
// between release and drop lets a read that listed a batch just before
// its compaction finish from the log.
func (s *Store) DropReleased(ctx context.Context, before time.Time, limit int) (_ int64, err error) {
	defer s.check(&err)
	n, err := rowsAffected(s.write.ExecContext(ctx, `UPDATE batches SET events = x'', released = -1
		WHERE id IN (SELECT id FROM batches WHERE released > 0 AND released <= ? LIMIT ?)`,
		before.UnixMilli(), limit))
	if err != nil {
		return 0, fmt.Errorf("drop released batches: %w", err)
	}
	return n, nil
}

// RecordingBytes says how many bytes the recordings take: those of the
// chunks and those of the batches not yet released.
func (s *Store) RecordingBytes(ctx context.Context) (chunks, batches int64, err error) {
	defer s.check(&err)
	err = s.read.QueryRowContext(ctx, `SELECT (SELECT coalesce(sum(bytes), 0) FROM chunks),
		(SELECT coalesce(sum(length(events)), 0) FROM batches WHERE released = 0)`).Scan(&chunks, &batches)
	if err != nil {
		return 0, 0, fmt.Errorf("read recording sizes: %w", err)
	}
	return chunks, batches, nil
}
