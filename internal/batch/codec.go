package batch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// A batch's events are kept compressed from the moment ingest has checked
// them: in the log, in the store and on the way between. Two forms exist:
//
//   - zstd: a zstd frame of the JSON array of events. Used when the client
//     sent plain JSON.
//   - gzip body: the request body exactly as the client gzipped it, behind
//     a header that says where the events array lies once it is inflated.
//     The recorder gzips every batch it can, and compressing it again would
//     cost the ingest path a quarter of its CPU for about the same size.
const (
	gzipBody = 'G' // first byte of the gzip-body form; a zstd frame starts 0x28
)

var (
	encoder, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest),
		// Smaller tables: the same output for batches of tens of KB, a
		// fifth faster because less memory is cleared and touched.
		zstd.WithLowerEncoderMem(true))
	decoder, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(MaxEventsSize))
)

// MaxEventsSize bounds a decompressed batch; ingest refuses larger ones
// long before this.
const MaxEventsSize = 1 << 30

// Compress encodes a JSON array of events into the zstd form.
func Compress(events []byte) []byte {
	return encoder.EncodeAll(events, make([]byte, 0, len(events)/4))
}

// FromGzipBody keeps a gzipped request body as the stored form; the events
// array is bytes start to end of the inflated body.
func FromGzipBody(body []byte, start, end int) []byte {
	out := make([]byte, 0, 1+2*binary.MaxVarintLen64+len(body))
	out = append(out, gzipBody)
	out = binary.AppendUvarint(out, uint64(start))
	out = binary.AppendUvarint(out, uint64(end))
	return append(out, body...)
}

var errCorrupt = errors.New("corrupt stored batch")

// Decompress turns either stored form back into the JSON array of events.
func Decompress(blob []byte) ([]byte, error) {
	if len(blob) == 0 {
		return nil, errCorrupt
	}
	if blob[0] != gzipBody {
		out, err := decoder.DecodeAll(blob, nil)
		if err != nil {
			return nil, fmt.Errorf("decompress events: %w", err)
		}
		return out, nil
	}
	r := bytes.NewReader(blob[1:])
	start, err1 := binary.ReadUvarint(r)
	end, err2 := binary.ReadUvarint(r)
	if err1 != nil || err2 != nil || start > end || end > MaxEventsSize {
		return nil, errCorrupt
	}
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("decompress events: %w", err)
	}
	body, err := io.ReadAll(io.LimitReader(zr, int64(end)))
	if err != nil {
		return nil, fmt.Errorf("decompress events: %w", err)
	}
	if uint64(len(body)) < end {
		return nil, errCorrupt
	}
	return body[start:end], nil
}
