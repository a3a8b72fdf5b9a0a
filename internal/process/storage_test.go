package process_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/playhead/playhead/internal/batch"
	"github.com/playhead/playhead/internal/blob/fs"
	"github.com/playhead/playhead/internal/process"
	"github.com/playhead/playhead/internal/recordings"
	"github.com/playhead/playhead/internal/store/sqlite"
	"github.com/playhead/playhead/internal/synth"
)

// storageWindow is one window's batches, each a JSON array of events.
type storageWindow struct {
	id      string
	batches [][]json.RawMessage
}

// BenchmarkStorage stores recordings as the server does — each batch as
// the recorder gzips it, then compacted into chunks — and prints, beside
// the bytes of chunks per minute of recording, the raw JSON, the batches
// as logged (gzip per batch), and the whole stream compressed in one go:
// gzip -6, zstd -3, zstd -19 (the zstd command, if installed).
//
//	go test -run '^$' -bench Storage -benchtime 1x ./internal/process
func BenchmarkStorage(b *testing.B) {
	type row struct {
		name    string
		minutes float64
		windows []storageWindow
	}
	var rows []row
	for _, minutes := range []int{10, 180} {
		var w storageWindow
		w.id = "w"
		synth.Window(uint64(minutes), minutes, 1795000000000, func(events []json.RawMessage) error {
			w.batches = append(w.batches, events)
			return nil
		})
		rows = append(rows, row{fmt.Sprintf("generated, %d min", minutes), float64(minutes), []storageWindow{w}})
	}
	all, err := recordings.All()
	if err != nil {
		b.Fatal(err)
	}
	for _, rec := range all {
		var ws []storageWindow
		for _, w := range rec.Windows {
			sw := storageWindow{id: w.ID}
			for i := 0; i < len(w.Events); i += 20 {
				sw.batches = append(sw.batches, w.Events[i:min(i+20, len(w.Events))])
			}
			ws = append(ws, sw)
		}
		rows = append(rows, row{rec.Name, float64(rec.Facts().DurationMS) / 60000, ws})
	}
	for b.Loop() {
		var out strings.Builder
		fmt.Fprintf(&out, "\n%-22s %8s %10s %10s %10s %10s %10s %10s %8s\n", "recording", "minutes", "raw", "batch gzip", "gzip -6", "zstd -3", "zstd -19", "chunks", "/gzip-6")
		for _, r := range rows {
			var stream bytes.Buffer
			for _, w := range r.windows {
				for _, events := range w.batches {
					for _, e := range events {
						stream.Write(e)
						stream.WriteByte('\n')
					}
				}
			}
			logged, chunks := storeAndCompact(b, r.windows)
			gz := gzipLen(stream.Bytes(), 6)
			z3 := zstdLen(stream.Bytes(), zstd.SpeedDefault)
			z19 := zstdCommand(b, stream.Bytes())
			perMin := func(n int64) string { return fmt.Sprintf("%.1f KB", float64(n)/r.minutes/1000) }
			fmt.Fprintf(&out, "%-22s %8.1f %10s %10s %10s %10s %10s %10s %8.2f\n", r.name, r.minutes,
				perMin(int64(stream.Len())), perMin(logged), perMin(gz), perMin(z3), z19perMin(z19, r.minutes), perMin(chunks),
				float64(chunks)/float64(gz))
		}
		b.Log(out.String())
	}
}

func z19perMin(n int64, minutes float64) string {
	if n < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f KB", float64(n)/minutes/1000)
}

// storeAndCompact logs the windows' batches as gzipped bodies, has the
// processor apply them and compacts them; it returns the bytes the log
// held before and the chunks' bytes after.
func storeAndCompact(b *testing.B, windows []storageWindow) (logged, chunks int64) {
	ctx := context.Background()
	dir := b.TempDir()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := st.CreateProject(ctx, "shop", nil); err != nil {
		b.Fatal(err)
	}
	for _, w := range windows {
		for seq, events := range w.batches {
			raw, _ := json.Marshal(events)
			head := fmt.Sprintf(`{"key":"k","session":"s","window":%q,"seq":%d,"events":`, w.id, seq)
			body := gzipBytes([]byte(head+string(raw)+"}"), 6)
			hash := sha256.Sum256(raw)
			var first, last int64 = 1 << 62, 0
			for _, e := range events {
				ts := recordings.Timestamp(e)
				first, last = min(first, ts), max(last, ts)
			}
			bt := &batch.Batch{Project: 1, Session: "s", Window: w.id, Seq: int64(seq), Received: time.Now(),
				Events: batch.FromGzipBody(body, len(head), len(head)+len(raw)), Hash: hash[:], Count: len(events), First: first, Last: last}
			if _, err := st.Append(ctx, bt); err != nil {
				b.Fatal(err)
			}
		}
	}
	if _, logged, err = st.RecordingBytes(ctx); err != nil {
		b.Fatal(err)
	}
	p := &process.Processor{Log: st, Index: st}
	for upto := int64(0); ; {
		next, n, err := p.Step(ctx, upto)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			break
		}
		upto = next
	}
	c := &process.Compactor{Log: st, Blobs: fs.New(filepath.Join(dir, sqlite.BlobDir)), Quiet: -1, Grace: -1}
	if _, err := c.Pass(ctx); err != nil {
		b.Fatal(err)
	}
	chunks, rest, err := st.RecordingBytes(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if rest != 0 {
		b.Fatalf("%d bytes of batches left after compaction", rest)
	}
	return logged, chunks
}

func gzipBytes(p []byte, level int) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, level)
	zw.Write(p)
	zw.Close()
	return buf.Bytes()
}

func gzipLen(p []byte, level int) int64 { return int64(len(gzipBytes(p, level))) }

func zstdLen(p []byte, level zstd.EncoderLevel) int64 {
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(level))
	return int64(len(enc.EncodeAll(p, nil)))
}

// zstdCommand is the size of p compressed by `zstd -19`, or -1 without
// the command.
func zstdCommand(b *testing.B, p []byte) int64 {
	path, err := exec.LookPath("zstd")
	if err != nil {
		return -1
	}
	cmd := exec.Command(path, "-19", "-q", "-c")
	cmd.Stdin = bytes.NewReader(p)
	out, err := cmd.Output()
	if err != nil {
		b.Logf("zstd -19: %v", err)
		return -1
	}
	return int64(len(out))
}
