package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/playhead/playhead/internal/auth"
	"github.com/playhead/playhead/internal/store"
)

// Eraser erases recordings for good (erase.Eraser); actor goes to the
// audit log.
type Eraser interface {
	Session(ctx context.Context, actor string, project int64, id string) (store.Erased, error)
	User(ctx context.Context, actor string, project int64, user string) (store.Erased, error)
}

// AuditLog reads the audit log, newest first.
type AuditLog interface {
	AuditLog(ctx context.Context, before int64, limit int) ([]store.AuditEntry, error)
}

// registerErase adds the routes that erase and read the audit log, when
// the API has what they need.
func (a *API) registerErase(mux Mux) {
	if a.Eraser != nil {
		mux.HandleFunc("DELETE /api/v1/projects/{project}/sessions/{id}", a.eraseSession)
		mux.HandleFunc("DELETE /api/v1/projects/{project}/users/{user}/sessions", a.eraseUser)
	}
	if a.Audit != nil {
		mux.HandleFunc("GET /api/v1/audit", a.auditLog)
	}
}

type erasedJSON struct {
	Sessions int64 `json:"sessions"`
	Batches  int64 `json:"batches"`
	Chunks   int64 `json:"chunks"`
}

func (a *API) eraseSession(w http.ResponseWriter, r *http.Request) {
	project, ok := ProjectID(r)
	if !ok {
		a.fail(w, store.ErrNotFound)
		return
	}
	out, err := a.Eraser.Session(r.Context(), auth.FromContext(r.Context()).Label(), project, r.PathValue("id"))
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, erasedJSON{out.Sessions, out.Batches, out.Chunks})
}

// eraseUser erases every session of the project in which the site
// identified the visitor as {user}; none is not an error.
func (a *API) eraseUser(w http.ResponseWriter, r *http.Request) {
	project, ok := ProjectID(r)
	if !ok {
		a.fail(w, store.ErrNotFound)
		return
	}
	user := r.PathValue("user")
	if user == "" || len(user) > store.MaxTextBytes {
		a.fail(w, errBadParam{"user: an identified user's id, at most " + strconv.Itoa(store.MaxTextBytes) + " bytes"})
		return
	}
	out, err := a.Eraser.User(r.Context(), auth.FromContext(r.Context()).Label(), project, user)
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, erasedJSON{out.Sessions, out.Batches, out.Chunks})
}

type auditJSON struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Action  string    `json:"action"`
	Project int64     `json:"project,omitempty"`
	Target  string    `json:"target,omitempty"`
	Detail  string    `json:"detail,omitempty"`
}

// auditLog lists the audit log newest first, ?limit= (1 to 500, 100 by
// default) at a time; ?before= an entry's id pages back.
func (a *API) auditLog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, before := 100, int64(0)
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			a.fail(w, errBadParam{"limit: a number from 1 to 500"})
			return
		}
		limit = n
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			a.fail(w, errBadParam{"before: an entry's id"})
			return
		}
		before = n
	}
	entries, err := a.Audit.AuditLog(r.Context(), before, limit)
	if err != nil {
		a.fail(w, err)
		return
	}
	out := struct {
		Entries []auditJSON `json:"entries"`
		Next    int64       `json:"next,omitempty"` // ?before= of the next page
	}{Entries: []auditJSON{}}
	for _, e := range entries {
		out.Entries = append(out.Entries, auditJSON{e.ID, e.At, e.Actor, e.Action, e.Project, e.Target, e.Detail})
	}
	if len(entries) == limit {
		out.Next = entries[len(entries)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
}
