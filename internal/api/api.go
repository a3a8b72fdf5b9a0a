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

	"github.com/playhead/playhead/internal/store"
)

// Sessions is the read side of the store that the API needs. A session is
// always read within its project: ids are the recorders' and unique only
// there.
type Sessions interface {
	Sessions(ctx context.Context, project int64, limit int) ([]store.Session, error)
	Session(ctx context.Context, project int64, id string) (store.Session, error)
}

// API serves the query endpoints.
type API struct {
	Sessions   Sessions
	Recordings Recordings
	Logger     *slog.Logger
}

// listLimit caps the session list until search and paging arrive.
const listLimit = 500

// Register adds the API's routes to mux.
func (a *API) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/sessions", a.list)
	mux.HandleFunc("GET /api/v1/projects/{project}/sessions", a.list)
	mux.HandleFunc("GET /api/v1/projects/{project}/sessions/{id}", a.get)
	mux.HandleFunc("GET /api/v1/projects/{project}/sessions/{id}/events", a.events)
	mux.HandleFunc("GET /api/v1/projects/{project}/sessions/{id}/chunks", a.chunks)
}

// ProjectID reads the {project} of a path: a project's numeric id. ok is
// false for anything else, which names no project.
func ProjectID(r *http.Request) (id int64, ok bool) {
	id, err := strconv.ParseInt(r.PathValue("project"), 10, 64)
	return id, err == nil && id > 0
}

type sessionJSON struct {
	Project       int64          `json:"project"`
	ID            string         `json:"id"`
	Start         time.Time      `json:"start"`
	End           time.Time      `json:"end"`
	ClockOffsetMS int64          `json:"clock_offset_ms"`
	DurationMS    int64          `json:"duration_ms"`
	Pages         int            `json:"pages"`
	EntryURL      string         `json:"entry_url"`
	Browser       string         `json:"browser"`
	OS            string         `json:"os"`
	Device        string         `json:"device"`
	Windows       []windowJSON   `json:"windows"`
	PageViews     []pageViewJSON `json:"page_views,omitempty"`
}

type windowJSON struct {
	ID     string    `json:"id"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Events int       `json:"events"`
}

type pageViewJSON struct {
	URL    string    `json:"url"`
	Start  time.Time `json:"start"`
	Window string    `json:"window"`
	Width  int       `json:"width,omitempty"`
	Height int       `json:"height,omitempty"`
}

func toJSON(s store.Session) sessionJSON {
	j := sessionJSON{
		Project:       s.Project,
		ClockOffsetMS: s.ClockOffset.Milliseconds(),
		ID:            s.ID,
		Start:         s.Start,
		End:           s.End,
		DurationMS:    s.Duration().Milliseconds(),
		Pages:         s.Pages,
		EntryURL:      s.EntryURL,
		Browser:       s.Browser,
		OS:            s.OS,
		Device:        s.Device,
		Windows:       []windowJSON{},
	}
	for _, w := range s.Windows {
		j.Windows = append(j.Windows, windowJSON{w.ID, w.Start, w.End, w.Events})
	}
	for _, p := range s.PageViews {
		j.PageViews = append(j.PageViews, pageViewJSON{p.URL, p.Start, p.Window, p.Width, p.Height})
	}
	return j
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
	list, err := a.Sessions.Sessions(r.Context(), project, listLimit)
	if err != nil {
		a.fail(w, err)
		return
	}
	out := make([]sessionJSON, len(list))
	for i, s := range list {
		out[i] = toJSON(s)
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": out})
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
	j := toJSON(s)
	if j.PageViews == nil {
		j.PageViews = []pageViewJSON{}
	}
	writeJSON(w, http.StatusOK, j)
}

// fail maps an error to its HTTP answer: the one place that does.
func (a *API) fail(w http.ResponseWriter, err error) {
	status, code, msg := http.StatusInternalServerError, "internal", "something went wrong; see the server log"
	var (
		ue  *store.UnavailableError
		bad errBadParam
	)
	switch {
	case errors.As(err, &bad):
		status, code, msg = http.StatusBadRequest, "invalid_param", bad.msg
	case errors.Is(err, store.ErrNotFound):
		status, code, msg = http.StatusNotFound, "not_found", "no such session"
	case errors.As(err, &ue):
		a.Logger.Error("api: storage unavailable", "reason", ue.Reason, "err", err)
		w.Header().Set("Retry-After", "10")
		status, code, msg = http.StatusServiceUnavailable, string(ue.Reason), "the recordings cannot be read now: "+ue.Reason.Describe()+"; retry later"
	case errors.Is(err, store.ErrClosed):
		w.Header().Set("Retry-After", "1")
		status, code, msg = http.StatusServiceUnavailable, "shutting_down", "the server is shutting down; retry later"
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
