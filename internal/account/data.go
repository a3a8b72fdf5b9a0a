package account

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/playhead/playhead/internal/auth"
	"github.com/playhead/playhead/internal/store"
)

// Eraser erases recordings for good (erase.Eraser).
type Eraser interface {
	Session(ctx context.Context, actor string, project int64, id string) (store.Erased, error)
	User(ctx context.Context, actor string, project int64, user string) (store.Erased, error)
}

func (p *Pages) registerData(mux Mux) {
	mux.HandleFunc("GET /projects/{project}/data", p.data)
	mux.HandleFunc("POST /projects/{project}/data/erase-user", p.eraseUser)
	mux.HandleFunc("POST /projects/{project}/sessions/{id}/delete", p.deleteSession)
	mux.HandleFunc("GET /audit", p.audit)
}

// pathProject reads {project}; a project that is not a number, or
// deleted, is not found.
func (p *Pages) pathProject(r *http.Request) (store.Project, error) {
	id, err := strconv.ParseInt(r.PathValue("project"), 10, 64)
	if err != nil {
		return store.Project{}, store.ErrNotFound
	}
	pr, err := p.Store.ProjectByID(r.Context(), id)
	if err == nil && !pr.Deleted.IsZero() {
		err = store.ErrNotFound
	}
	return pr, err
}

func (p *Pages) data(w http.ResponseWriter, r *http.Request) {
	p.dataPage(w, r, http.StatusOK, "", "")
}

// dataPage shows what a project stores, and the form that erases a
// user's sessions.
func (p *Pages) dataPage(w http.ResponseWriter, r *http.Request, status int, errMsg, done string) {
	pr, err := p.pathProject(r)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	u, err := p.Store.ProjectUsage(r.Context(), pr.ID)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.render(w, r, status, "data", errMsg, map[string]any{"Project": pr, "Usage": u, "Done": done,
		"LogBytes": size(u.LogBytes), "ChunkBytes": size(u.ChunkBytes)})
}

// size says a number of bytes for people.
func size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func (p *Pages) eraseUser(w http.ResponseWriter, r *http.Request) {
	pr, err := p.pathProject(r)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	user := strings.TrimSpace(r.PostFormValue("user"))
	if user == "" || len(user) > store.MaxTextBytes {
		p.dataPage(w, r, http.StatusBadRequest, "Give the user id the site identified the visitor by.", "")
		return
	}
	out, err := p.Eraser.User(r.Context(), auth.FromContext(r.Context()).Label(), pr.ID, user)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.dataPage(w, r, http.StatusOK, "", fmt.Sprintf("Erased %d sessions.", out.Sessions))
}

func (p *Pages) deleteSession(w http.ResponseWriter, r *http.Request) {
	pr, err := p.pathProject(r)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if _, err := p.Eraser.Session(r.Context(), auth.FromContext(r.Context()).Label(), pr.ID, r.PathValue("id")); err != nil {
		p.fail(w, r, err)
		return
	}
	back(w, r, "/")
}

// auditPage is how many entries the audit page shows at once.
const auditPage = 50

// audit lists the audit log, newest first; ?before= an id pages back.
func (p *Pages) audit(w http.ResponseWriter, r *http.Request) {
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	entries, err := p.Store.AuditLog(r.Context(), max(before, 0), auditPage)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	var next int64
	if len(entries) == auditPage {
		next = entries[len(entries)-1].ID
	}
	p.render(w, r, http.StatusOK, "audit", "", map[string]any{"Entries": entries, "Next": next})
}

// record appends to the audit log. The action it records is done: a
// failure to record it is logged, not answered.
func (p *Pages) record(r *http.Request, action string, project int64, target, detail string) {
	p.recordAs(r.Context(), auth.FromContext(r.Context()).Label(), action, project, target, detail)
}

func (p *Pages) recordAs(ctx context.Context, actor, action string, project int64, target, detail string) {
	p.Logger.Info(action, "by", actor, "project", project, "target", target, "detail", detail)
	e := store.AuditEntry{Actor: actor, Action: action, Project: project, Target: target, Detail: detail}
	if err := p.Store.Audit(ctx, e); err != nil {
		p.Logger.Error("audit", "action", action, "err", err)
	}
}
