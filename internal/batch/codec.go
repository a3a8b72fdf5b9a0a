package batch

import (
	"fmt"

	"github.com/klauspost/compress/zstd"
)

// Events are kept zstd-compressed from the moment ingest has checked them:
// in the log, in the store and on the way between. The fastest level is
// used because ingest throughput is bound by CPU, and it still makes rrweb
// JSON five to ten times smaller.
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

// Compress encodes a JSON array of events into the stored form.
func Compress(events []byte) []byte {
	return encoder.EncodeAll(events, make([]byte, 0, len(events)/4))
}

// Decompress turns the stored form back into the JSON array of events.
func Decompress(blob []byte) ([]byte, error) {
	out, err := decoder.DecodeAll(blob, nil)
	if err != nil {
		return nil, fmt.Errorf("decompress events: %w", err)
	}
	return out, nil
}
