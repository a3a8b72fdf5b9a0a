// Package account serves the pages that let people in and decide who may
// do what: signing in, the first owner's setup, invitations, password
// changes and resets, users, API tokens, projects and share links.
package account

import (
	"bytes"
	"context"
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/playhead/playhead/internal/api"
	"github.com/playhead/playhead/internal/auth"
	"github.com/playhead/playhead/internal/ingest"
	"github.com/playhead/playhead/internal/store"
)

//go:embed templates
var files embed.FS

// Store is what the pages read and change.
type Store interface {
	auth.LoginStore
	CreateUser(ctx context.Context, email, passwordHash string, role store.Role) (store.User, error)
	UserByID(ctx context.Context, id int64) (store.User, error)
	Users(ctx context.Context) ([]store.User, error)
	HasOwner(ctx context.Context) (bool, error)
	SetUserRole(ctx context.Context, id int64, role store.Role) error
	SetUserPassword(ctx context.Context, id int64, hash string) error
	DeleteUser(ctx context.Context, id int64) error
	LoginSessions(ctx context.Context, user int64) ([]store.LoginSession, error)
	DeleteLoginSession(ctx context.Context, hash []byte, user int64) error
	CreateToken(ctx context.Context, name string, scope store.Scope, hash []byte) (store.Token, error)
	Tokens(ctx context.Context) ([]store.Token, error)
	DeleteToken(ctx context.Context, id int64) error
	CreateLink(ctx context.Context, l store.Link) error
	Link(ctx context.Context, kind store.LinkKind, hash []byte, now time.Time) (store.Link, error)
	Invitations(ctx context.Context, now time.Time) ([]store.Link, error)
	DeleteLink(ctx context.Context, hash []byte) error
	AcceptInvitation(ctx context.Context, hash []byte, passwordHash string, now time.Time) (store.User, error)
	ResetPassword(ctx context.Context, hash []byte, passwordHash string, now time.Time) (store.User, error)
	UserProjects(ctx context.Context, user int64) ([]int64, error)
	SetUserProjects(ctx context.Context, user int64, projects []int64) error
	Projects(ctx context.Context) ([]store.Project, error)
	ProjectByID(ctx context.Context, id int64) (store.Project, error)
	CreateProject(ctx context.Context, name string, origins []string) (store.Project, error)
	UpdateProject(ctx context.Context, p store.Project) error
	RotateProjectKey(ctx context.Context, id int64) (string, error)
	DeleteProject(ctx context.Context, id int64) error
	Goals(ctx context.Context, project int64) ([]store.Goal, error)
	AddGoal(ctx context.Context, key string, g store.Goal) (store.Goal, error)
	RemoveGoal(ctx context.Context, key, name string) error
	Setting(ctx context.Context, key string) (value string, ok bool, err error)
	SetSetting(ctx context.Context, key, value string) error
	CreateShare(ctx context.Context, sh store.Share) (store.Share, error)
	ShareByHash(ctx context.Context, hash []byte) (store.Share, error)
	Shares(ctx context.Context, project int64, session string) ([]store.Share, error)
	RevokeShare(ctx context.Context, project, id int64) error
	Session(ctx context.Context, project int64, id string) (store.Session, error)
	api.PartLister // a shared session's first events, for its page to preload
	ProjectUsage(ctx context.Context, project int64) (store.Usage, error)
	Audit(ctx context.Context, e store.AuditEntry) error
	AuditLog(ctx context.Context, before int64, limit int) ([]store.AuditEntry, error)
}

// Mux is where the pages register their routes (an auth.Router).
type Mux interface {
	HandleFunc(pattern string, f func(http.ResponseWriter, *http.Request))
}

// Pages serves the account pages.
type Pages struct {
	Store  Store
	Gate   *auth.Gate
	Logins *auth.Logins
	Logger *slog.Logger
	// SetupToken lets the first owner be created in the browser; empty
	// once an owner exists.
	SetupToken string
	// Proxies name the client address for the login rate limit.
	Proxies ingest.Proxies
	// Raw serves a route without its access check: a share link's
	// session and events, once the link is checked.
	Raw func(pattern string) http.Handler
	// Eraser erases sessions for good.
	Eraser Eraser
	// KeyChanged, if set, is told a project's ingest key when its key or
	// settings change, so that caches of it are dropped at once.
	KeyChanged func(key string)

	pages map[string]*template.Template
}

// How long the links people are sent stay valid.
const (
	inviteLifetime = 7 * 24 * time.Hour
	resetLifetime  = 24 * time.Hour
)

// New parses the templates.
func New(p *Pages) (*Pages, error) {
	p.pages = map[string]*template.Template{}
	funcs := template.FuncMap{
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.Local().Format("2006-01-02 15:04 MST")
		},
		"public": p.Gate.PublicURL,
	}
	for _, page := range []string{"login", "setup", "password", "account", "users", "tokens", "projects", "project", "shares", "share", "message", "data", "audit"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/"+page+".html")
		if err != nil {
			return nil, fmt.Errorf("parse %s template: %w", page, err)
		}
		p.pages[page] = t
	}
	return p, nil
}

// Register adds the pages' routes.
func (p *Pages) Register(mux Mux) {
	mux.HandleFunc("GET /login", p.loginPage)
	mux.HandleFunc("POST /login", p.login)
	mux.HandleFunc("POST /logout", p.logout)
	mux.HandleFunc("GET /setup", p.setupPage)
	mux.HandleFunc("POST /setup", p.setup)
	mux.HandleFunc("GET /invite/{token}", p.invitePage)
	mux.HandleFunc("POST /invite/{token}", p.acceptInvite)
	mux.HandleFunc("GET /reset/{token}", p.resetPage)
	mux.HandleFunc("POST /reset/{token}", p.reset)
	mux.HandleFunc("GET /account", p.account)
	mux.HandleFunc("POST /account/password", p.changePassword)
	mux.HandleFunc("POST /account/sessions/revoke", p.revokeLogin)
	mux.HandleFunc("GET /users", p.users)
	mux.HandleFunc("POST /users/invite", p.invite)
	mux.HandleFunc("POST /users/invite/withdraw", p.withdrawInvite)
	mux.HandleFunc("POST /users/{user}/role", p.setRole)
	mux.HandleFunc("POST /users/{user}/projects", p.setProjects)
	mux.HandleFunc("POST /users/{user}/delete", p.deleteUser)
	mux.HandleFunc("POST /users/{user}/reset", p.resetLink)
	mux.HandleFunc("GET /tokens", p.tokens)
	mux.HandleFunc("POST /tokens", p.createToken)
	mux.HandleFunc("POST /tokens/{id}/revoke", p.revokeToken)
	p.registerProjects(mux)
	p.registerShares(mux)
	p.registerData(mux)
}

// page is what every template gets besides its own data.
type page struct {
	Me    *store.User
	CSRF  string // the login session's token, or the pre-login form token
	Error string
	Data  map[string]any
}

func (p *Pages) render(w http.ResponseWriter, r *http.Request, status int, name string, errMsg string, data map[string]any) {
	pr := auth.FromContext(r.Context())
	pg := page{Me: pr.User, Error: errMsg, Data: data}
	if pr.Login != nil {
		pg.CSRF = pr.Login.CSRF
	} else {
		pg.CSRF = p.Gate.FormToken(w, r)
	}
	var buf bytes.Buffer
	if err := p.pages[name].Execute(&buf, pg); err != nil {
		p.Logger.Error("render", "page", name, "err", err)
		http.Error(w, "template error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer") // the links on these pages carry secrets
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	buf.WriteTo(w)
}

// message shows a short page with one message.
func (p *Pages) message(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	p.render(w, r, status, "message", "", map[string]any{"Title": title, "Message": msg})
}

// fail answers an unexpected error.
func (p *Pages) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ue *store.UnavailableError
	switch {
	case errors.Is(err, store.ErrNotFound):
		p.message(w, r, http.StatusNotFound, "Not found", "There is no such thing here.")
	case errors.As(err, &ue):
		w.Header().Set("Retry-After", "10")
		p.message(w, r, http.StatusServiceUnavailable, "Unavailable", "The data folder cannot be used now: "+ue.Reason.Describe()+".")
	case errors.Is(err, store.ErrClosed):
		w.Header().Set("Retry-After", "1")
		p.message(w, r, http.StatusServiceUnavailable, "Unavailable", "The server is shutting down.")
	case errors.Is(err, store.ErrIndexBehind):
		w.Header().Set("Retry-After", "10")
		p.message(w, r, http.StatusServiceUnavailable, "Try again soon", "The index has not taken in every recording received yet, and they may hold this user's sessions. Nothing was erased; try again in a moment.")
	default:
		p.Logger.Error("account", "path", r.URL.Path, "err", err)
		p.message(w, r, http.StatusInternalServerError, "Error", "Something went wrong; the server log says more.")
	}
}

// back redirects to a page of this site after a form.
func back(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// localPath keeps a ?next= that stays on this site.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}

func equalSecret(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
