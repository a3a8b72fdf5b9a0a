package api

import (
	"context"
	"fmt"
	"io"
	"path"

	"github.com/playhead/playhead/internal/batch"
	"github.com/playhead/playhead/internal/chunk"
	"github.com/playhead/playhead/internal/store"
)

// Chunks reads the blobs of compacted chunks, by the keys of the chunk
// index.
type Chunks interface {
	Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error)
}

// partEvents returns the JSON array of events of a part that
// Recordings.Parts listed: a chunk's from its blob, a batch's from the log.
// A batch compacted since it was listed stays readable in the log for a
// while, so that a reader that listed it first finishes.
func (a *API) partEvents(ctx context.Context, p store.Part) ([]byte, error) {
	if !p.Chunk {
		stored, err := a.Recordings.BatchEvents(ctx, p.ID)
		if err != nil {
			return nil, err
		}
		return batch.Decompress(stored)
	}
	// A chunk is read with the dictionary its window's earlier chunks
	// make, found by their keys beside its own.
	prefix := path.Dir(p.Key)
	raw, err := a.Dicts.Chunk(ctx, prefix, p.Ord, func(ctx context.Context, ord int) ([]byte, error) {
		key := chunk.Key(prefix, ord)
		r, err := a.Chunks.Get(ctx, key, 0, -1)
		if err != nil {
			return nil, fmt.Errorf("read chunk %s: %w", key, err)
		}
		defer r.Close()
		stored, err := io.ReadAll(r)
		if err != nil {
			return nil, fmt.Errorf("read chunk %s: %w", key, err)
		}
		return stored, nil
	})
	if err != nil {
		return nil, fmt.Errorf("chunk %s: %w", p.Key, err)
	}
	return raw, nil
}
