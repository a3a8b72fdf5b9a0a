// Package dashboard serves the HTML pages people use: the list of recorded
// sessions and the player page for one of them. Pages are rendered on the
// server; only the player needs JavaScript.
package dashboard

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/playhead/playhead/internal/api"
	"github.com/playhead/playhead/internal/auth"
	"github.com/playhead/playhead/internal/store"
)

//go:embed templates static
var files embed.FS

// Sessions is the read side of the store that the pages need.
type Sessions interface {
	Search(ctx context.Context, q store.SessionQuery) (store.SessionResults, error)
	Session(ctx context.Context, project int64, id string) (store.Session, error)
}

// Dashboard serves the pages.
type Dashboard struct {
	Sessions Sessions
	Logger   *slog.Logger
	// Snippet is shown on the empty list: how to start recording.
	Snippet string

	pages map[string]*template.Template
}

// New parses the templates.
func New(sessions Sessions, snippet string, logger *slog.Logger) (*Dashboard, error) {
	d := &Dashboard{Sessions: sessions, Snippet: snippet, Logger: logger, pages: map[string]*template.Template{}}
	funcs := template.FuncMap{
		"duration": formatDuration,
		"when":     func(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05") },
		"path":     urlPath,
		"ms":       func(v int64) time.Duration { return time.Duration(v) * time.Millisecond },
		"label":    func(kind string) string { return strings.ReplaceAll(kind, "_", " ") },
		// since and clock place a moment on the replay's timeline, in ms
		// from the session's start, as the player counts.
		"since": func(start, t time.Time) int64 { return max(0, t.Sub(start).Milliseconds()) },
		"clock": func(ms int64) string { return formatDuration(time.Duration(ms) * time.Millisecond) },
	}
	for _, page := range []string{"sessions", "session", "error"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/"+page+".html")
		if err != nil {
			return nil, fmt.Errorf("parse %s template: %w", page, err)
		}
		d.pages[page] = t
	}
	return d, nil
}

// Register adds the pages' routes to mux.
func (d *Dashboard) Register(mux api.Mux) {
	static, _ := fs.Sub(files, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", d.list)
	mux.HandleFunc("GET /projects/{project}/sessions/{id}", d.session)
}

// sortNames are the list's orders, as its sort links name them.
var sortNames = []struct{ Key, Label string }{
	{store.SortNewest, "Newest"}, {store.SortOldest, "Oldest"}, {store.SortLongest, "Longest"}, {store.SortScore, "Most worth watching"},
}

// list shows the sessions a search picks. The filter form is a GET form
// over the API's parameters, so the URL holds the state and the page
// works without JavaScript.
func (d *Dashboard) list(w http.ResponseWriter, r *http.Request) {
	values := r.URL.Query()
	data := map[string]any{"Snippet": d.Snippet, "Form": values, "Kinds": store.SignalKinds}
	q, err := api.ParseQuery(values, 0, time.Now())
	var res store.SessionResults
	if err == nil {
		res, err = d.Sessions.Search(r.Context(), q)
	}
	var ferr *store.FilterError
	if errors.As(err, &ferr) {
		data["Error"] = ferr.Error()
		d.render(w, http.StatusBadRequest, "sessions", data)
		return
	}
	if err != nil {
		d.fail(w, err)
		return
	}
	data["Sessions"] = res.Sessions
	data["Filtered"] = len(values) > 0
	sort := q.Sort
	if sort == "" {
		sort = store.SortNewest
	}
	type link struct {
		Label, URL string
		Current    bool
	}
	var sorts []link
	for _, s := range sortNames {
		v := cloneValues(values)
		v.Set("sort", s.Key)
		v.Del("cursor")
		sorts = append(sorts, link{s.Label, "/?" + v.Encode(), s.Key == sort})
	}
	data["Sorts"] = sorts
	if res.Next != "" {
		v := cloneValues(values)
		v.Set("cursor", res.Next)
		data["Next"] = "/?" + v.Encode()
	}
	d.render(w, http.StatusOK, "sessions", data)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func (d *Dashboard) session(w http.ResponseWriter, r *http.Request) {
	project, ok := api.ProjectID(r)
	if !ok {
		d.fail(w, store.ErrNotFound)
		return
	}
	s, err := d.Sessions.Session(r.Context(), project, r.PathValue("id"))
	if err != nil {
		d.fail(w, err)
		return
	}
	// Owners and admins signed in may erase it, with their session's
	// CSRF token.
	var erase string
	if pr := auth.FromContext(r.Context()); pr.Login != nil && pr.Role().AtLeast(store.RoleAdmin) {
		erase = pr.Login.CSRF
	}
	d.render(w, http.StatusOK, "session", map[string]any{"Session": s, "EraseCSRF": erase})
}

func (d *Dashboard) fail(w http.ResponseWriter, err error) {
	status, msg := http.StatusInternalServerError, "Something went wrong; the server log says more."
	var ue *store.UnavailableError
	switch {
	case errors.Is(err, store.ErrNotFound):
		status, msg = http.StatusNotFound, "There is no such session."
	case errors.As(err, &ue):
		d.Logger.Error("dashboard: storage unavailable", "reason", ue.Reason, "err", err)
		w.Header().Set("Retry-After", "10")
		status, msg = http.StatusServiceUnavailable, "The recordings cannot be read now: "+ue.Reason.Describe()+". Try again in a moment."
	case errors.Is(err, store.ErrClosed):
		w.Header().Set("Retry-After", "1")
		status, msg = http.StatusServiceUnavailable, "The server is shutting down. Try again in a moment."
	default:
		d.Logger.Error("dashboard", "err", err)
	}
	d.render(w, status, "error", map[string]any{"Message": msg})
}

func (d *Dashboard) render(w http.ResponseWriter, status int, page string, data map[string]any) {
	var buf bytes.Buffer
	if err := d.pages[page].Execute(&buf, data); err != nil {
		d.Logger.Error("render", "page", page, "err", err)
		http.Error(w, "template error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// The player's iframe holds recorded pages. It is sandboxed without
	// scripts, and this policy keeps any script but ours out of the page;
	// recorded styles, images and fonts may come from anywhere.
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; "+
		"style-src * 'unsafe-inline'; img-src * data: blob:; font-src * data:; media-src * data: blob:; "+
		"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	buf.WriteTo(w)
}

func formatDuration(d time.Duration) string {
	d = d.Truncate(time.Second) // as the player shows time
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}

// urlPath shortens a page URL to what a person scans for: its path.
func urlPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p
}
