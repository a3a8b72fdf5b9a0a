package api

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/playhead/playhead/internal/auth"
	"github.com/playhead/playhead/internal/jsonbody"
	"github.com/playhead/playhead/internal/store"
)

// Notes keeps what people write on moments of sessions.
type Notes interface {
	AddNote(ctx context.Context, n store.Note) (store.Note, error)
	Notes(ctx context.Context, project int64, session string) ([]store.Note, error)
	DeleteNote(ctx context.Context, project int64, session string, id int64) error
}

// maxNoteBody bounds the body of a request to add a note: the longest
// text, each character escaped, and the rest.
const maxNoteBody = 16 << 10

// NoteRequest is the body of POST …/notes.
type NoteRequest struct {
	Text   string `json:"text"`
	TimeMS int64  `json:"time_ms"`
	Window string `json:"window"`
}

// DecodeNoteRequest reads {"text":"…","time_ms":N,"window":"…"}: one JSON
// object with a string text and an integer time_ms (window may be left
// out) and nothing else. It checks the shape; store.NormalizeNote the
// values.
func DecodeNoteRequest(r io.Reader) (NoteRequest, error) {
	var req struct {
		Text   *string `json:"text"`
		TimeMS *int64  `json:"time_ms"`
		Window string  `json:"window"`
	}
	bad := errBadBody{"invalid_json", `the body must be one object {"text":"…","time_ms":N,"window":"…"}, at most 16 KiB`}
	if err := jsonbody.Decode(r, maxNoteBody, &req); err != nil || req.Text == nil || req.TimeMS == nil {
		return NoteRequest{}, bad
	}
	return NoteRequest{Text: *req.Text, TimeMS: *req.TimeMS, Window: req.Window}, nil
}

type noteJSON struct {
	ID      int64     `json:"id"`
	TimeMS  int64     `json:"time_ms"`
	Window  string    `json:"window"`
	Text    string    `json:"text"`
	Author  string    `json:"author"`
	Created time.Time `json:"created"`
}

func toNoteJSON(n store.Note) noteJSON {
	return noteJSON{ID: n.ID, TimeMS: n.Time, Window: n.Window, Text: n.Text, Author: n.Author, Created: n.Created}
}

// noteSession reads the session a notes request names: only one the
// index holds (and the principal sees) takes notes.
func (a *API) noteSession(w http.ResponseWriter, r *http.Request) (store.Session, bool) {
	project, ok := ProjectID(r)
	if !ok {
		a.fail(w, store.ErrNotFound)
		return store.Session{}, false
	}
	s, err := a.Sessions.Session(r.Context(), project, r.PathValue("id"))
	if err != nil {
		a.fail(w, err)
		return store.Session{}, false
	}
	return s, true
}

func (a *API) listNotes(w http.ResponseWriter, r *http.Request) {
	s, ok := a.noteSession(w, r)
	if !ok {
		return
	}
	notes, err := a.Notes.Notes(r.Context(), s.Project, s.ID)
	if err != nil {
		a.fail(w, err)
		return
	}
	out := make([]noteJSON, len(notes))
	for i, n := range notes {
		out[i] = toNoteJSON(n)
	}
	writeJSON(w, http.StatusOK, map[string]any{"notes": out})
}

func (a *API) addNote(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]any{"error": map[string]string{
			"code": "unsupported_media_type", "message": "send the body as application/json"}})
		return
	}
	req, err := DecodeNoteRequest(r.Body)
	if err != nil {
		a.fail(w, err)
		return
	}
	s, ok := a.noteSession(w, r)
	if !ok {
		return
	}
	n, err := a.Notes.AddNote(r.Context(), store.Note{Project: s.Project, Session: s.ID, Time: req.TimeMS,
		Window: req.Window, Text: req.Text, Author: auth.FromContext(r.Context()).Label()})
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, toNoteJSON(n))
}

func (a *API) deleteNote(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("note"), 10, 64)
	if err != nil || id <= 0 {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]string{"code": "not_found", "message": "no such note"}})
		return
	}
	s, ok := a.noteSession(w, r)
	if !ok {
		return
	}
	if err := a.Notes.DeleteNote(r.Context(), s.Project, s.ID, id); err != nil {
		a.fail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
