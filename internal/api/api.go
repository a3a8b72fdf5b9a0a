// Package api serves the JSON query API under /api/v1: the session list, one
// session's metadata and its events as a plain rrweb stream.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/playhead/playhead/internal/chunk"
	"github.com/playhead/playhead/internal/store"
)

// Sessions is the read side of the store that the API needs. A session is
// always read within its project: ids are the recorders' and unique only
// there.
type Sessions interface {
	Search(ctx context.Context, q store.SessionQuery) (store.SessionResults, error)
	Session(ctx context.Context, project int64, id string) (store.Session, error)
}

// API serves the query endpoints.
type API struct {
	Sessions   Sessions
	Recordings Recordings
	// Chunks holds the compacted chunks that Recordings lists, and Dicts
	// keeps the dictionaries of the windows being read, so that a player
	// fetching a window's chunks one after another has each decoded once.
	Chunks Chunks
	Dicts  *chunk.Reader
	// Tags, if set, lets writers tag sessions (tags.go).
	Tags Tags
	// Notes, if set, lets readers read and writers write notes (notes.go).
	Notes  Notes
	Logger *slog.Logger
	// Eraser and Audit, when set, add the routes that erase sessions and
	// read the audit log.
	Eraser Eraser
	Audit  AuditLog
}

// Mux is where routes are registered: an http.ServeMux, or the server's
// router that puts each behind its access.
type Mux interface {
	HandleFunc(pattern string, f func(http.ResponseWriter, *http.Request))
	Handle(pattern string, h http.Handler)
}

// Register adds the API's routes to mux.
func (a *API) Register(mux Mux) {
	mux.HandleFunc("GET /api/v1/sessions", a.list)
	mux.HandleFunc("GET /api/v1/projects/{project}/sessions", a.list)
	mux.HandleFunc("GET /api/v1/projects/{project}/sessions/{id}", a.get)
	mux.HandleFunc("GET /api/v1/projects/{project}/sessions/{id}/events", a.events)
	mux.HandleFunc("GET /api/v1/projects/{project}/sessions/{id}/chunks", a.chunks)
	mux.HandleFunc("GET /api/v1/projects/{project}/sessions/{id}/live", a.live)
	mux.HandleFunc("GET /api/v1/projects/{project}/sessions/{id}/export", a.export)
	a.registerErase(mux)
	if a.Tags != nil {
		mux.HandleFunc("POST /api/v1/projects/{project}/sessions/{id}/tags", a.tag)
		mux.HandleFunc("DELETE /api/v1/projects/{project}/sessions/{id}/tags/{tag}", a.untag)
	}
	if a.Notes != nil {
		mux.HandleFunc("GET /api/v1/projects/{project}/sessions/{id}/notes", a.listNotes)
		mux.HandleFunc("POST /api/v1/projects/{project}/sessions/{id}/notes", a.addNote)
		mux.HandleFunc("DELETE /api/v1/projects/{project}/sessions/{id}/notes/{note}", a.deleteNote)
	}
}

// ProjectID reads the {project} of a path: a project's numeric id. ok is
// false for anything else, which names no project.
func ProjectID(r *http.Request) (id int64, ok bool) {
	id, err := strconv.ParseInt(r.PathValue("project"), 10, 64)
	return id, err == nil && id > 0
}

type sessionJSON struct {
	Project        int64          `json:"project"`
	ID             string         `json:"id"`
	Recorded       string         `json:"recorded"`
	Start          time.Time      `json:"start"`
	End            time.Time      `json:"end"`
	ClockOffsetMS  int64          `json:"clock_offset_ms"`
	DurationMS     int64          `json:"duration_ms"`
	ActiveMS       int64          `json:"active_ms"`
	Pages          int            `json:"pages"`
	EntryURL       string         `json:"entry_url"`
	ExitURL        string         `json:"exit_url"`
	UserID         string         `json:"user_id"`
	Browser        string         `json:"browser"`
	OS             string         `json:"os"`
	Device         string         `json:"device"`
	ViewportWidth  int            `json:"viewport_width"`
	ViewportHeight int            `json:"viewport_height"`
	Clicks         int            `json:"clicks"`
	Errors         int            `json:"errors"`
	FailedRequests int            `json:"failed_requests"`
	SignalCounts   map[string]int `json:"signal_counts"`
	Score          scoreJSON      `json:"score"`
	Windows        []windowJSON   `json:"windows"`
	Tags           []string       `json:"tags"`
	Watched        bool           `json:"watched"`

	// Only for one session.
	PageViews    []pageViewJSON    `json:"page_views,omitempty"`
	Visits       []visitJSON       `json:"visits,omitempty"`
	Signals      []signalJSON      `json:"signals,omitempty"`
	CustomEvents []customEventJSON `json:"custom_events,omitempty"`
	Traits       map[string]string `json:"traits,omitempty"`
	Goals        []goalJSON        `json:"goals,omitempty"`
}

type scoreJSON struct {
	Total float64           `json:"total"`
	Parts []store.ScorePart `json:"parts"`
}

type windowJSON struct {
	ID     string      `json:"id"`
	Start  time.Time   `json:"start"`
	End    time.Time   `json:"end"`
	Events int         `json:"events"`
	Shown  []shownJSON `json:"shown,omitempty"` // only for one session
}

type shownJSON struct {
	Time    time.Time `json:"time"`
	Visible bool      `json:"visible"`
}

type pageViewJSON struct {
	URL    string    `json:"url"`
	Start  time.Time `json:"start"`
	Window string    `json:"window"`
	Width  int       `json:"width,omitempty"`
	Height int       `json:"height,omitempty"`
}

type visitJSON struct {
	URL        string    `json:"url"`
	Title      string    `json:"title"`
	Start      time.Time `json:"start"`
	DurationMS int64     `json:"duration_ms"`
	Window     string    `json:"window"`
}

type signalJSON struct {
	Kind     string    `json:"kind"`
	Time     time.Time `json:"time"`
	Window   string    `json:"window"`
	URL      string    `json:"url"`
	Selector string    `json:"selector"`
	Text     string    `json:"text"`
	Count    int       `json:"count"`
	Value    float64   `json:"value"`
	Detail   string    `json:"detail"`
}

type customEventJSON struct {
	Name string    `json:"name"`
	Time time.Time `json:"time"`
}

type goalJSON struct {
	Name    string     `json:"name"`
	Reached bool       `json:"reached"`
	At      *time.Time `json:"at"`
}

func toJSON(s store.Session) sessionJSON {
	j := sessionJSON{
		Project:        s.Project,
		ClockOffsetMS:  s.ClockOffset.Milliseconds(),
		ID:             s.ID,
		Recorded:       s.Recorded,
		Start:          s.Start,
		End:            s.End,
		DurationMS:     s.Duration().Milliseconds(),
		ActiveMS:       s.ActiveMS,
		Pages:          s.Pages,
		EntryURL:       s.EntryURL,
		ExitURL:        s.ExitURL,
		UserID:         s.UserID,
		Browser:        s.Browser,
		OS:             s.OS,
		Device:         s.Device,
		ViewportWidth:  s.ViewportWidth,
		ViewportHeight: s.ViewportHeight,
		Clicks:         s.Clicks,
		Errors:         s.Errors,
		FailedRequests: s.FailedRequests,
		SignalCounts:   s.SignalCounts,
		Score:          scoreJSON{s.Score.Total, s.Score.Parts},
		Windows:        []windowJSON{},
		Tags:           orEmpty(s.Tags),
		Watched:        s.Watched,
	}
	if j.SignalCounts == nil {
		j.SignalCounts = map[string]int{}
	}
	if j.Score.Parts == nil {
		j.Score.Parts = []store.ScorePart{}
	}
	for _, w := range s.Windows {
		wj := windowJSON{ID: w.ID, Start: w.Start, End: w.End, Events: w.Events}
		for _, v := range w.Shown {
			wj.Shown = append(wj.Shown, shownJSON{v.Time, v.Visible})
		}
		j.Windows = append(j.Windows, wj)
	}
	for _, p := range s.PageViews {
		j.PageViews = append(j.PageViews, pageViewJSON{p.URL, p.Start, p.Window, p.Width, p.Height})
	}
	return j
}

// detailJSON is one session with everything the index knows of it.
func detailJSON(s store.Session) sessionJSON {
	j := toJSON(s)
	j.PageViews = orEmpty(j.PageViews)
	j.Visits = []visitJSON{}
	for _, v := range s.Visits {
		j.Visits = append(j.Visits, visitJSON{v.URL, v.Title, v.Start, v.Duration.Milliseconds(), v.Window})
	}
	j.Signals = []signalJSON{}
	for _, g := range s.Signals {
		j.Signals = append(j.Signals, signalJSON{g.Kind, g.Time, g.Window, g.URL, g.Selector, g.Text, g.Count, g.Value, g.Detail})
	}
	j.CustomEvents = []customEventJSON{}
	for _, e := range s.CustomEvents {
		j.CustomEvents = append(j.CustomEvents, customEventJSON{e.Name, e.Time})
	}
	j.Traits = s.Traits
	if j.Traits == nil {
		j.Traits = map[string]string{}
	}
	j.Goals = []goalJSON{}
	for _, g := range s.Goals {
		r := goalJSON{Name: g.Name, Reached: g.Reached}
		if g.Reached {
			at := g.At
			r.At = &at
		}
		j.Goals = append(j.Goals, r)
	}
	return j
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

type listJSON struct {
	Sessions    []sessionJSON `json:"sessions"`
	NextCursor  string        `json:"next_cursor"`
	Count       int           `json:"count"`
	CountCapped bool          `json:"count_capped"`
}

func (a *API) list(w http.ResponseWriter, r *http.Request) {
	var project int64 // every project's
	if r.PathValue("project") != "" {
		var ok bool
		if project, ok = ProjectID(r); !ok {
			a.fail(w, store.ErrNotFound)
			return
		}
	}
	q, err := ParseQuery(r.URL.Query(), project, time.Now())
	if err != nil {
		a.fail(w, err)
		return
	}
	q.Count = true
	res, err := a.Sessions.Search(r.Context(), q)
	if err != nil {
		a.fail(w, err)
		return
	}
	out := listJSON{Sessions: make([]sessionJSON, len(res.Sessions)), NextCursor: res.Next,
		Count: res.Count, CountCapped: res.CountCapped}
	for i, s := range res.Sessions {
		out.Sessions[i] = toJSON(s)
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) get(w http.ResponseWriter, r *http.Request) {
	project, ok := ProjectID(r)
	if !ok {
		a.fail(w, store.ErrNotFound)
		return
	}
	s, err := a.Sessions.Session(r.Context(), project, r.PathValue("id"))
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, detailJSON(s))
}

// fail maps an error to its HTTP answer: the one place that does.
func (a *API) fail(w http.ResponseWriter, err error) {
	status, code, msg := http.StatusInternalServerError, "internal", "something went wrong; see the server log"
	var (
		ferr *store.FilterError
		ue   *store.UnavailableError
		bad  errBadParam
		body errBadBody
	)
	switch {
	case errors.As(err, &ferr):
		status, code, msg = http.StatusBadRequest, "invalid_filter", ferr.Error()
	case errors.As(err, &bad):
		status, code, msg = http.StatusBadRequest, "invalid_param", bad.msg
	case errors.As(err, &body):
		status, code, msg = http.StatusBadRequest, body.code, body.msg
	case errors.Is(err, store.ErrInvalidTag), errors.Is(err, store.ErrTooManyTags):
		status, code, msg = http.StatusBadRequest, "invalid_tag", err.Error()
	case errors.Is(err, store.ErrInvalidNote), errors.Is(err, store.ErrTooManyNotes):
		status, code, msg = http.StatusBadRequest, "invalid_note", err.Error()
	case errors.Is(err, store.ErrNotFound):
		status, code, msg = http.StatusNotFound, "not_found", "no such session"
	case errors.As(err, &ue):
		a.Logger.Error("api: storage unavailable", "reason", ue.Reason, "err", err)
		w.Header().Set("Retry-After", "10")
		status, code, msg = http.StatusServiceUnavailable, string(ue.Reason), "the recordings cannot be read now: "+ue.Reason.Describe()+"; retry later"
	case errors.Is(err, store.ErrClosed):
		w.Header().Set("Retry-After", "1")
		status, code, msg = http.StatusServiceUnavailable, "shutting_down", "the server is shutting down; retry later"
	case errors.Is(err, store.ErrIndexBehind):
		w.Header().Set("Retry-After", "10")
		status, code, msg = http.StatusServiceUnavailable, "index_behind", "the index has not taken in every recording acknowledged yet, and they may hold this user's sessions: nothing was erased; retry later"
	case errors.Is(err, context.Canceled):
		status, code, msg = 499, "client_gone", "the client went away" // nobody reads it
	default:
		a.Logger.Error("api", "err", err)
	}
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
