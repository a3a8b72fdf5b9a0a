package loadgen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
)

// What the recorder does (web/src/recorder/batcher.ts), mirrored so that
// batches look like the ones real visitors send.
const (
	flushInterval  = 2 * time.Second // a batch is cut at least this often
	maxBatchEvents = 500             // and holds at most this many events
)

// poolBatchesPerPage is how many batches of incremental events follow each
// page load: a visitor stays tens of seconds on a page, and at one flush
// every few seconds that is a few batches after the snapshot-heavy first.
const poolBatchesPerPage = 4

// A workload is the set of batches a run sends, built before the clock
// starts so that the load generator spends its CPU on sending, not on JSON
// and gzip.
//
// Every request must carry a (session, window, seq) of its own: the server
// stores a repeat once and answers 200 without doing the work. Gzipping a
// 20 KB body per request would take CPU the server needs, so each batch is
// prebuilt as a gzip member holding `"events":[…]}`, and a request prepends
// a tiny gzip member of its own holding `{"key":…,"seq":N,`. Concatenated
// members are one gzip stream (RFC 1952, 2.2) that any gzip reader,
// Go's included, reads as one body.
type workload struct {
	sessions []script
	sources  []string
}

// script is the batches of one simulated session, seq 0 to n-1.
type script []batchTemplate

type batchTemplate struct {
	seq      int
	snapshot bool   // holds a page load: Meta and FullSnapshot
	raw      int    // bytes of the events JSON array, uncompressed
	tail     []byte // gzip member of `"events":[…]}`
}

// newWorkload loads the recordings and cuts them into batches of at most
// target bytes of event JSON, with timestamps moved to start at now. Only
// a page load (Meta and FullSnapshot go together) or a single event may be
// larger.
func newWorkload(corpus string, target int, now time.Time) (*workload, error) {
	if target < 1 {
		return nil, errors.New("loadgen: BatchBytes must be at least 1")
	}
	recs, pool, err := loadRecordings(corpus)
	if err != nil {
		return nil, err
	}
	// gzip's default level is what browsers' CompressionStream uses.
	b := &builder{target: target, pool: pool, zw: gzip.NewWriter(nil)}
	w := &workload{}
	for _, rec := range recs {
		s, err := b.script(rec, now.UnixMilli())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rec.name, err)
		}
		w.sessions = append(w.sessions, s)
		w.sources = append(w.sources, rec.name)
	}
	return w, nil
}

// body writes the request body of batch t for the given ids into buf,
// using zw (reset here) for the head.
func (t *batchTemplate) body(buf *bytes.Buffer, zw *gzip.Writer, keyJSON []byte, session, window string) error {
	buf.Reset()
	zw.Reset(buf)
	fmt.Fprintf(zw, `{"key":%s,"session":"%s","window":"%s","seq":%d,`, keyJSON, session, window, t.seq)
	if err := zw.Close(); err != nil {
		return err
	}
	buf.Write(t.tail)
	return nil
}

// String says what the workload is made of, for the report.
func (w *workload) String() string {
	var n, raw, wire, snaps, snapRaw int
	for _, s := range w.sessions {
		for _, t := range s {
			n++
			raw += t.raw
			wire += len(t.tail)
			if t.snapshot {
				snaps++
				snapRaw += t.raw
			}
		}
	}
	return fmt.Sprintf("%d batches in %d session scripts, mean %.1f KB of event JSON (%.1f KB gzip'd); "+
		"%d with a page load (Meta+FullSnapshot), mean %.1f KB; %d incremental, mean %.1f KB; from %s",
		n, len(w.sessions), kb(raw, n), kb(wire, n), snaps, kb(snapRaw, snaps), n-snaps, kb(raw-snapRaw, n-snaps),
		strings.Join(w.sources, ", "))
}

func kb(total, n int) float64 { return float64(total) / float64(n) / 1e3 }

type builder struct {
	target int
	pool   []event
	next   int // the pool's next event; the pool is used round and round
	zw     *gzip.Writer
}

// script turns a recording into one session's batches: each page load as
// recorded (its first batch holds the Meta and FullSnapshot), then
// poolBatchesPerPage batches of incremental events. Batches are at least
// flushInterval apart, as the recorder sends them.
func (b *builder) script(rec recording, clock int64) (script, error) {
	var s script
	emit := func(events []event) error {
		t, err := b.template(len(s), events)
		s = append(s, t)
		clock = max(clock+flushInterval.Milliseconds(), events[len(events)-1].Timestamp+1)
		return err
	}
	for _, p := range rec.pages {
		// The page keeps its recorded pace, moved to the session's clock.
		events := make([]event, len(p))
		for i, e := range p {
			e.Timestamp += clock - p[0].Timestamp
			events[i] = e
		}
		// The recorder flushes on a timer, so a page's Meta and
		// FullSnapshot always go out together, however large.
		n := max(b.fit(events), slices.IndexFunc(events, isSnapshot)+1)
		for n > 0 {
			if err := emit(events[:n]); err != nil {
				return nil, err
			}
			events = events[n:]
			n = b.fit(events)
		}
		for range poolBatchesPerPage {
			if err := emit(b.fromPool(clock)); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

// fit returns how many of events, from the first, make a batch: as many as
// stay within the target, and at least one.
func (b *builder) fit(events []event) int {
	size := 1 // "[", and "]" counted with the commas
	for i, e := range events {
		size += len(encode(e)) + 1
		if i > 0 && (size > b.target || i == maxBatchEvents) {
			return i
		}
	}
	return len(events)
}

func isSnapshot(e event) bool { return e.Type == typeFullSnapshot }

// fromPool takes the next batch of incremental events from the pool,
// spread over one flush interval from clock. They are sized with clock as
// their timestamp: every time from 2001 to 2286 has 13 digits, so spreading
// them does not change the batch's size.
func (b *builder) fromPool(clock int64) []event {
	window := make([]event, min(maxBatchEvents, len(b.pool)))
	for i := range window {
		window[i] = b.pool[(b.next+i)%len(b.pool)]
		window[i].Timestamp = clock
	}
	n := b.fit(window)
	b.next = (b.next + n) % len(b.pool)
	events := window[:n]
	step := flushInterval.Milliseconds() / int64(n)
	for i := range events {
		events[i].Timestamp = clock + int64(i)*step
	}
	return events
}

// template encodes and gzips one batch's events.
func (b *builder) template(seq int, events []event) (batchTemplate, error) {
	var arr bytes.Buffer
	arr.WriteByte('[')
	for i, e := range events {
		if i > 0 {
			arr.WriteByte(',')
		}
		arr.Write(encode(e))
	}
	arr.WriteByte(']')
	var z bytes.Buffer
	b.zw.Reset(&z)
	b.zw.Write([]byte(`"events":`))
	b.zw.Write(arr.Bytes())
	b.zw.Write([]byte(`}`))
	if err := b.zw.Close(); err != nil {
		return batchTemplate{}, err
	}
	return batchTemplate{seq: seq, snapshot: slices.ContainsFunc(events, isSnapshot), raw: arr.Len(), tail: z.Bytes()}, nil
}

// encode writes an event as a recorder would: JSON.stringify does not
// escape <, > and &, and neither does this.
func encode(e event) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		panic(err) // an int, an int64 and JSON that was decoded: cannot fail
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
