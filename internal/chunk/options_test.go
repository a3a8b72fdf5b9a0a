package chunk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/dict"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/playhead/playhead/internal/synth"
)

// visit is a generated window cut into chunks as compaction cuts it (the
// same rule as internal/process/compact.go), with its whole stream of
// events, one a line.
type visit struct {
	chunks [][]Event
	stream []byte
}

func generate(b testing.TB, seed uint64, minutes int) visit {
	var (
		v      visit
		cur    []Event
		curRaw int
		curMin int64
		last   = -1
	)
	err := synth.Window(seed, minutes, 1795000000000, func(events []json.RawMessage) error {
		for _, r := range events {
			var e Event
			if err := Split([]byte("["+string(r)+"]"), func(x Event) error { e = x; return nil }); err != nil {
				return err
			}
			e.Raw = r
			v.stream = append(append(v.stream, r...), '\n')
			if len(cur) > 0 {
				span := e.Timestamp - curMin
				if PageStart(e, last) && (span >= 60_000 || curRaw >= 512<<10) || span >= 300_000 || curRaw >= 4<<20 {
					v.chunks, cur, curRaw = append(v.chunks, cur), nil, 0
				}
			}
			if len(cur) == 0 {
				curMin = e.Timestamp
			}
			cur = append(cur, e)
			curRaw += len(r) + 1
			last = e.Type
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	v.chunks = append(v.chunks, cur)
	return v
}

// stored is the visit's chunks as compaction stores them, each against the
// dictionary of the ones before it in its run, and the largest one's JSON
// in bytes.
func (v visit) stored() (blobs [][]byte, largest int) {
	var dict []byte
	for i, c := range v.chunks {
		if RunStart(i) {
			dict = nil
		}
		blob, m := Build(slices.Clone(c), dict)
		dict = DictAfter(dict, c)
		blobs, largest = append(blobs, blob), max(largest, m.Raw)
	}
	return blobs, largest
}

// array is a chunk's stored JSON, before compression.
func array(events []Event) []byte {
	raw := []byte{'['}
	for i, e := range events {
		if i > 0 {
			raw = append(raw, ',')
		}
		raw = append(raw, e.Raw...)
	}
	return append(raw, ']')
}

// kind names an event for the breakdown of where the bytes go.
func kind(e Event) string {
	switch {
	case e.Type == TypeFullSnapshot || e.Type == TypeMeta:
		return "page loads (Meta, full snapshot)"
	case bytes.Contains(e.Raw, []byte(`"data":{"source":1,`)):
		return "mouse moves"
	case bytes.Contains(e.Raw, []byte(`"data":{"source":0,`)):
		return "DOM mutations"
	}
	return "scroll, input, clicks"
}

// BenchmarkChunkOptions measures, on a generated 60-minute visit, what
// the stored form's options would save against chunks as they are: the
// encoder's level and window, how many pages a chunk holds, and zstd
// dictionaries trained on five other visits of the same site (other
// seeds, never the visit measured): from the structure of their pages
// alone (texts and data-carrying attributes emptied, sampleEvent), and,
// for comparison only, from their pages whole, which no dictionary may
// hold. Every figure is the whole visit's bytes over gzip -6 of its whole
// stream.
//
//	go test -run '^$' -bench ChunkOptions -benchtime 1x -v ./internal/chunk
func BenchmarkChunkOptions(b *testing.B) {
	v := generate(b, 1, 60)
	var train []visit
	for seed := uint64(100); seed < 105; seed++ {
		train = append(train, generate(b, seed, 60))
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, 6)
	zw.Write(v.stream)
	zw.Close()
	base := float64(gz.Len())

	for b.Loop() {
		var out strings.Builder
		row := func(name string, n int) { fmt.Fprintf(&out, "%-62s %9d %6.3f\n", name, n, float64(n)/base) }
		fmt.Fprintf(&out, "\n%-62s %9s %6s\n", "60-minute generated visit", "bytes", "/gzip-6")
		row("gzip -6 of the whole stream", gz.Len())
		size := func(e *zstd.Encoder, every int) int {
			n := 0
			for i := 0; i < len(v.chunks); i += every {
				var events []Event
				for _, c := range v.chunks[i:min(i+every, len(v.chunks))] {
					events = append(events, c...)
				}
				n += len(e.EncodeAll(array(events), nil))
			}
			return n
		}
		encoder := func(level zstd.EncoderLevel, window int, opts ...zstd.EOption) *zstd.Encoder {
			e, err := zstd.NewWriter(nil, append([]zstd.EOption{zstd.WithEncoderLevel(level),
				zstd.WithWindowSize(window), zstd.WithEncoderConcurrency(1)}, opts...)...)
			if err != nil {
				b.Fatal(err)
			}
			return e
		}
		enc := func() *zstd.Encoder { return encoder(zstd.SpeedBestCompression, window) }
		chunks := size(enc(), 1)
		row(fmt.Sprintf("chunks as JSON alone (%d, one a page)", len(v.chunks)), chunks)
		// Dictionaries chained over runs of chunks: 1 is none, the last
		// the whole window.
		for _, run := range []int{1, 4, Run, 16, len(v.chunks)} {
			n := 0
			var dict []byte
			for i, c := range v.chunks {
				if i%run == 0 {
					dict = nil
				}
				blob, _ := Build(slices.Clone(c), dict)
				n += len(blob)
				dict = DictAfter(dict, c)
			}
			row(fmt.Sprintf("as stored: moves as columns, dictionaries over runs of %d chunks", run), n)
		}

		// Where the bytes go: each kind of event alone, chunk by chunk.
		for _, k := range []string{"page loads (Meta, full snapshot)", "mouse moves", "DOM mutations", "scroll, input, clicks"} {
			n := 0
			for _, c := range v.chunks {
				var only []Event
				for _, e := range c {
					if kind(e) == k {
						only = append(only, e)
					}
				}
				n += len(enc().EncodeAll(array(only), nil))
			}
			row("  of which "+k+", alone", n)
		}

		row("level SpeedBetterCompression, 16 MiB window", size(encoder(zstd.SpeedBetterCompression, window), 1))
		row("level SpeedBestCompression, 4 MiB window", size(encoder(zstd.SpeedBestCompression, 4<<20), 1))
		row("level SpeedBestCompression, 64 MiB window", size(encoder(zstd.SpeedBestCompression, 64<<20), 1))
		for _, every := range []int{3, 5, len(v.chunks)} {
			row(fmt.Sprintf("%d pages a chunk", every), size(enc(), every))
		}

		var pages, structure [][]byte
		for _, t := range train {
			for _, c := range t.chunks {
				for _, e := range c {
					if e.Type != TypeFullSnapshot {
						continue
					}
					s, err := sampleEvent(nil, e.Raw)
					if err != nil {
						b.Fatal(err)
					}
					pages, structure = append(pages, e.Raw), append(structure, s)
				}
			}
		}
		trained, err := train32(structure)
		if err != nil {
			b.Fatal(err)
		}
		row(fmt.Sprintf("trained dictionary (%d KB) of other visits' page structure", len(trained)/1000),
			size(encoder(zstd.SpeedBestCompression, window, zstd.WithEncoderDict(trained)), 1))
		for _, d := range []struct {
			name    string
			samples [][]byte
			max     int
		}{{"page structure", structure, 4 << 20}, {"page structure", structure, 15 << 20}, {"pages whole (not allowed)", pages, 15 << 20}} {
			var raw []byte
			for i := len(d.samples) - 1; i >= 0 && len(raw)+len(d.samples[i]) <= d.max; i-- {
				raw = append(append([]byte(nil), d.samples[i]...), raw...)
			}
			row(fmt.Sprintf("raw dictionary (%d MB) of other visits' %s", len(raw)>>20, d.name),
				size(encoder(zstd.SpeedBestCompression, window, zstd.WithEncoderDictRaw(1<<15, raw)), 1))
		}
		b.Log(out.String())
	}
}

// train32 builds a zstd dictionary from samples cut into pieces of 32 KiB:
// klauspost's builder panics on a sample larger than a zstd block.
func train32(samples [][]byte) ([]byte, error) {
	var in [][]byte
	for _, s := range samples {
		for len(s) > 0 {
			n := min(len(s), 32<<10)
			in, s = append(in, s[:n]), s[n:]
		}
	}
	return dict.BuildZstdDict(in, dict.Options{MaxDictSize: 1 << 20, HashBytes: 6, ZstdDictID: 1 << 15})
}
