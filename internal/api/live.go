package api

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"time"

	"github.com/playhead/playhead/internal/chunk"
	"github.com/playhead/playhead/internal/store"
)

// A session in progress is followed as server-sent events: every
// livePoll the answer sends, per window, the events stored since the
// client's cursor. The connection is closed after liveFor, and the
// browser's EventSource comes back with the cursor of the last message
// (Last-Event-ID), so that no proxy holds a connection for hours and no
// event is sent twice or lost.
const (
	livePoll  = time.Second
	liveFor   = 5 * time.Minute
	livePing  = 15 * time.Second
	maxCursor = 16 << 10
)

// liveCursor is, per window, what the client has: every batch up to Seq,
// and the events up to TS of a chunk that also holds later batches.
type liveCursor map[string]windowCursor

type windowCursor struct {
	Seq int64 `json:"s"`
	TS  int64 `json:"t"`
}

func (c liveCursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (liveCursor, error) {
	bad := errBadParam{"cursor is not one this server gave"}
	if len(s) > maxCursor {
		return nil, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	c := liveCursor{}
	if err := json.Unmarshal(b, &c); err != nil || len(c) > store.MaxWindows {
		return nil, bad
	}
	return c, nil
}

// liveMessage is one message: new events of one window, in order.
type liveMessage struct {
	Window string            `json:"window"`
	Events []json.RawMessage `json:"events"`
}

// live streams the session's new events as they are stored. Without a
// cursor (the query's cursor, or Last-Event-ID) it starts from now; a
// window the cursor does not name is new to the client and sent whole.
// It ends with an "end" event once the session has had no activity for
// store.SessionIdle: the visitor has left.
func (a *API) live(w http.ResponseWriter, r *http.Request) {
	project, ok := ProjectID(r)
	if !ok {
		a.fail(w, store.ErrNotFound)
		return
	}
	ctx, session := r.Context(), r.PathValue("id")
	if _, err := a.Sessions.Session(ctx, project, session); err != nil {
		a.fail(w, err)
		return
	}
	var cursor liveCursor
	if s := r.Header.Get("Last-Event-ID"); s != "" {
		cursor, _ = decodeCursor(s) // a stale id from elsewhere: start from now
	} else if s := r.URL.Query().Get("cursor"); s != "" {
		c, err := decodeCursor(s)
		if err != nil {
			a.fail(w, err)
			return
		}
		cursor = c
	}
	if cursor == nil {
		// "From now" is what is stored before the answer begins, so
		// that a client who sends after seeing it is sure to be told.
		_, now, err := a.liveEvents(ctx, project, session, nil)
		if err != nil {
			a.fail(w, err)
			return
		}
		cursor = now
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not hold the stream back
	w.WriteHeader(http.StatusOK)

	send := func(format string, args ...any) error {
		rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return err
		}
		return rc.Flush()
	}
	if err := send("retry: 2000\n\n"); err != nil {
		return
	}
	deadline, pinged := time.Now().Add(liveFor), time.Now()
	tick := time.NewTicker(livePoll)
	defer tick.Stop()
	for {
		msgs, next, err := a.liveEvents(ctx, project, session, cursor)
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				a.Logger.Error("api: live session", "session", session, "err", err)
			}
			return
		}
		cursor = next
		for _, m := range msgs {
			data, _ := json.Marshal(m)
			if send("id: %s\nevent: events\ndata: %s\n\n", cursor.encode(), data) != nil {
				return
			}
			pinged = time.Now()
		}
		if len(msgs) == 0 && a.sessionOver(ctx, project, session) {
			send("event: end\ndata: {}\n\n")
			return
		}
		if time.Since(pinged) >= livePing {
			if send(": ping\n\n") != nil {
				return
			}
			pinged = time.Now()
		}
		if time.Now().After(deadline) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// sessionOver tells whether the session has ended: idle for longer than a
// session may be, or gone.
func (a *API) sessionOver(ctx context.Context, project int64, id string) bool {
	s, err := a.Sessions.Session(ctx, project, id)
	if err != nil {
		return errors.Is(err, store.ErrNotFound)
	}
	return time.Since(s.End) > store.SessionIdle
}

// liveEvents reads what the session holds past cursor. A nil cursor is
// "from now": it is set to what is stored, and nothing is sent.
func (a *API) liveEvents(ctx context.Context, project int64, session string, cursor liveCursor) ([]liveMessage, liveCursor, error) {
	parts, err := a.Recordings.Parts(ctx, project, session, "", math.MinInt64, math.MaxInt64)
	if err != nil {
		return nil, cursor, err
	}
	if cursor == nil {
		cursor = liveCursor{}
		for _, p := range parts {
			c := cursor[p.Window]
			cursor[p.Window] = windowCursor{Seq: max(c.Seq, p.LastSeq), TS: max(c.TS, p.Last)}
		}
		return nil, cursor, nil
	}
	var msgs []liveMessage
	for _, window := range byWindow(parts) {
		name := window[0].Window
		c, known := cursor[name]
		var events []chunk.Event
		for _, p := range window {
			if known && p.LastSeq <= c.Seq {
				continue
			}
			// A chunk may hold batches the client had as pending ones:
			// of those, only the events after the last one it had.
			after := int64(math.MinInt64)
			if known && p.FirstSeq <= c.Seq {
				after = c.TS
			}
			raw, err := a.partEvents(ctx, p)
			if err != nil {
				return nil, cursor, err
			}
			err = chunk.Split(raw, func(e chunk.Event) error {
				if e.Timestamp > after {
					events = append(events, e)
				}
				return nil
			})
			if err != nil {
				return nil, cursor, fmt.Errorf("part of window %s: %w", name, err)
			}
			c.Seq = max(c.Seq, p.LastSeq)
		}
		if len(events) == 0 {
			cursor[name] = c
			continue
		}
		slices.SortStableFunc(events, func(x, y chunk.Event) int { return cmp.Compare(x.Timestamp, y.Timestamp) })
		m := liveMessage{Window: name, Events: make([]json.RawMessage, len(events))}
		for i, e := range events {
			m.Events[i] = e.Raw
			c.TS = max(c.TS, e.Timestamp)
		}
		cursor[name] = c
		msgs = append(msgs, m)
	}
	return msgs, cursor, nil
}
