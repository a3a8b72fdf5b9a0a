package api

import (
	"context"
	"fmt"
	"io"

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
	r, err := a.Chunks.Get(ctx, p.Key, 0, -1)
	if err != nil {
		return nil, fmt.Errorf("read chunk %s: %w", p.Key, err)
	}
	defer r.Close()
	stored, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read chunk %s: %w", p.Key, err)
	}
	raw, err := chunk.Decode(stored)
	if err != nil {
		return nil, fmt.Errorf("chunk %s: %w", p.Key, err)
	}
	return raw, nil
}
