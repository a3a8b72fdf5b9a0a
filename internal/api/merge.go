package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/playhead/playhead/internal/batch"
	"github.com/playhead/playhead/internal/store"
)

// Merge joins the stored (compressed) batches of one or more windows into one JSON array
// of events ordered by timestamp. Events with equal timestamps keep their
// upload order, so a Meta event stays ahead of its FullSnapshot.
func Merge(windows []store.WindowEvents) ([]byte, error) {
	type event struct {
		ts  int64
		raw json.RawMessage
	}
	var all []event
	size := 2
	for _, w := range windows {
		for _, blob := range w.Batches {
			b, err := batch.Decompress(blob)
			if err != nil {
				return nil, fmt.Errorf("stored batch of window %s: %w", w.Window, err)
			}
			var raws []json.RawMessage
			if err := json.Unmarshal(b, &raws); err != nil {
				return nil, fmt.Errorf("stored batch of window %s: %w", w.Window, err)
			}
			for _, raw := range raws {
				var head struct {
					Timestamp json.Number `json:"timestamp"`
				}
				if err := json.Unmarshal(raw, &head); err != nil {
					return nil, fmt.Errorf("stored event of window %s: %w", w.Window, err)
				}
				ts, err := head.Timestamp.Int64()
				if err != nil {
					f, _ := head.Timestamp.Float64()
					ts = int64(f)
				}
				all = append(all, event{ts, raw})
				size += len(raw) + 1
			}
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].ts < all[j].ts })
	var buf bytes.Buffer
	buf.Grow(size)
	buf.WriteByte('[')
	for i, e := range all {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(e.raw)
	}
	buf.WriteByte(']')
	return buf.Bytes(), nil
}
