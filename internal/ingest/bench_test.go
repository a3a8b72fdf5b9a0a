package ingest

import (
	"bytes"
	"encoding/json"
	"github.com/klauspost/compress/gzip"
	"io"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/playhead/playhead/internal/recordings"
)

// benchBatches cuts the real recordings into batches of about 20 KB of
// event JSON, the size a recorder sends every few seconds.
func benchBatches(b *testing.B) [][]byte {
	all, err := recordings.All()
	if err != nil {
		b.Fatal(err)
	}
	var events []json.RawMessage
	for _, r := range all {
		events = append(events, r.Events()...)
	}
	var out [][]byte
	for i := 0; i < len(events); {
		size, j := 0, i
		for j < len(events) && size < 20_000 {
			size += len(events[j])
			j++
		}
		body, _ := json.Marshal(map[string]any{"key": "k", "session": "s", "window": "w", "seq": len(out), "events": events[i:j]})
		out = append(out, body)
		i = j
	}
	return out
}

func BenchmarkDecode(b *testing.B) {
	bodies := benchBatches(b)
	now := time.Now()
	var n int64
	for _, body := range bodies {
		n += int64(len(body))
	}
	b.SetBytes(n / int64(len(bodies)))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := Decode(bodies[i%len(bodies)], "", now, DefaultLimits); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeGzip is Decode as the server runs it on what recorders
// send: gzipped bodies, kept gzipped.
func BenchmarkDecodeGzip(b *testing.B) {
	bodies := benchBatches(b)
	zipped := make([][]byte, len(bodies))
	for i, body := range bodies {
		zipped[i] = gzipBytes(b, body)
	}
	now := time.Now()
	b.SetBytes(int64(len(bodies[0])))
	for i := 0; b.Loop(); i++ {
		if _, err := Decode(zipped[i%len(zipped)], "gzip", now, DefaultLimits); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareLimit is the floor under any ingest path: gunzip a batch
// and zstd it, nothing else.
func BenchmarkBareLimit(b *testing.B) {
	bodies := benchBatches(b)
	zipped := make([][]byte, len(bodies))
	for i, body := range bodies {
		zipped[i] = gzipBytes(b, body)
	}
	b.SetBytes(int64(len(bodies[0])))
	b.RunParallel(func(pb *testing.PB) {
		enc, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
		i := 0
		var buf bytes.Buffer
		zr := new(gzip.Reader)
		for pb.Next() {
			zr.Reset(bytes.NewReader(zipped[i%len(zipped)]))
			buf.Reset()
			io.Copy(&buf, zr)
			enc.EncodeAll(buf.Bytes(), nil)
			i++
		}
	})
}

func BenchmarkScan(b *testing.B) {
	bodies := benchBatches(b)
	b.SetBytes(int64(len(bodies[0])))
	for b.Loop() {
		if err := validJSON(bodies[0], 1000); err != nil {
			b.Fatal(err)
		}
	}
}
