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

	"github.com/playhead/playhead/internal/account"
	"github.com/playhead/playhead/internal/api"
	"github.com/playhead/playhead/internal/auth"
	"github.com/playhead/playhead/internal/store"
)

//go:embed templates static
var files embed.FS

// Store is what the pages read and keep.
type Store interface {
	Search(ctx context.Context, q store.SessionQuery) (store.SessionResults, error)
	Session(ctx context.Context, project int64, id string) (store.Session, error)
	Projects(ctx context.Context) ([]store.Project, error)
	ProjectTags(ctx context.Context, projects []int64) ([]string, error)
	Segments(ctx context.Context, projects []int64) ([]store.Segment, error)
	SaveSegment(ctx context.Context, seg store.Segment) (store.Segment, error)
	DeleteSegment(ctx context.Context, project, id int64) error
	MarkWatched(ctx context.Context, user, project int64, session string) error
	api.PartLister // a session's first events, for its page to preload
}

// Indexing says how far the sessions index is behind the recordings
// logged: the batches it has not taken in yet, and when the first of them
// was received.
type Indexing interface {
	Lag(ctx context.Context) (batches int64, oldest time.Time, err error)
}

// Dashboard serves the pages.
type Dashboard struct {
	Store  Store
	Logger *slog.Logger
	// Indexing, if set, lets the list say when recent recordings are not
	// in it yet: after a burst of traffic, or while an upgrade rebuilds
	// the index.
	Indexing Indexing
	// PublicURL is where browsers reach the server: the empty list's
	// snippet loads the recorder from it.
	PublicURL string
	// DemoKey is the demo shop's project key, whose snippet the empty
	// list never offers: it belongs to the demo's pages only.
	DemoKey string

	pages map[string]*template.Template
}

// New parses the templates.
func New(st Store, publicURL string, logger *slog.Logger) (*Dashboard, error) {
	d := &Dashboard{Store: st, PublicURL: strings.TrimSuffix(publicURL, "/"), Logger: logger, pages: map[string]*template.Template{}}
	funcs := template.FuncMap{
		"duration": formatDuration,
		"when":     func(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05 MST") },
		"zoned":    func(t time.Time) string { return t.Local().Format("2006-01-02 15:04 MST") },
		"iso":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"path":     urlPath,
		"ms":       func(v int64) time.Duration { return time.Duration(v) * time.Millisecond },
		"label":    label,
		// since and clock place a moment on the replay's timeline, in ms
		// from the session's start, as the player counts.
		"since": since,
		"clock": func(ms int64) string { return formatDuration(time.Duration(ms) * time.Millisecond) },
		"inc":   func(n int) int { return n + 1 },
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

// Snippet is the tag that records a site into the project of key.
func Snippet(publicURL, key string) string { return account.Snippet(publicURL, key) }

// label names a signal kind or score reason for people.
func label(kind string) string { return strings.ReplaceAll(kind, "_", " ") }

// Register adds the pages' routes to mux.
func (d *Dashboard) Register(mux api.Mux) {
	static, _ := fs.Sub(files, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	// Browsers ask for /favicon.ico on pages that name no icon (the JSON
	// API, the share page's errors); it is the same picture.
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, static, "favicon.svg")
	})
	mux.HandleFunc("GET /{$}", d.list)
	mux.HandleFunc("GET /projects/{project}/sessions/{id}", d.session)
	mux.HandleFunc("POST /projects/{project}/segments", d.saveSegment)
	mux.HandleFunc("POST /projects/{project}/segments/{segment}/delete", d.deleteSegment)
}

// sortNames are the list's orders, as its sort links name them.
var sortNames = []struct{ Key, Label string }{
	{store.SortNewest, "Newest"}, {store.SortOldest, "Oldest"}, {store.SortLongest, "Longest"}, {store.SortScore, "Most worth watching"},
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
		d.fail(w, r, store.ErrNotFound)
		return
	}
	s, err := d.Store.Session(r.Context(), project, r.PathValue("id"))
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			if lag := d.lag(r, time.Now()); lag > 0 {
				d.message(w, r, http.StatusNotFound, fmt.Sprintf("There is no such session yet. Recent recordings are still being indexed (the oldest waiting came in %v ago): one recorded since then shows here once the index takes it in.", lag))
				return
			}
		}
		d.fail(w, r, err)
		return
	}
	if u := auth.FromContext(r.Context()).User; u != nil {
		// Opening the player is what watching means; a failure to note
		// it must not keep anyone from the replay.
		if err := d.Store.MarkWatched(r.Context(), u.ID, s.Project, s.ID); err != nil {
			d.Logger.Warn("dashboard: mark session watched", "err", err)
		}
	}
	// Owners and admins signed in may erase it, with their session's
	// CSRF token.
	var erase string
	if pr := auth.FromContext(r.Context()); pr.Login != nil && pr.Role().AtLeast(store.RoleAdmin) {
		erase = pr.Login.CSRF
	}
	// Members and up write tags and notes from the player, with it too.
	var write string
	if pr := auth.FromContext(r.Context()); pr.Login != nil && pr.Role().AtLeast(store.RoleMember) {
		write = pr.Login.CSRF
	}
	moments := make([]signalMoment, len(s.Signals))
	for i, g := range s.Signals {
		moments[i] = signalMoment{Signal: g, At: since(s.Start, g.Time)}
	}
	shown := min(len(moments), signalsShown)
	d.render(w, r, http.StatusOK, "session", map[string]any{"Session": s, "EraseCSRF": erase, "WriteCSRF": write, "FirstEvents": d.firstEvents(r, s),
		"Signals": moments[:shown], "MoreSignals": moments[shown:]})
}

// signalsShown is how many of its signals a session's page lists before
// the rest, which a long session has by the hundred, are folded away.
const signalsShown = 12

// since places t on the replay's timeline: ms from the session's start,
// as the player counts.
func since(start, t time.Time) int64 { return max(0, t.Sub(start).Milliseconds()) }

// signalMoment is a signal placed on the replay's timeline (since).
type signalMoment struct {
	store.Signal
	At int64
}

// firstEvents is the address of the events the player asks for first,
// when the page can tell (api.OpeningEvents): the page preloads it.
func (d *Dashboard) firstEvents(r *http.Request, s store.Session) string {
	ms, _ := api.ParseMoment(r.URL.Query().Get("t"))
	return api.OpeningEvents(r.Context(), d.Store, s, ms, fmt.Sprintf("/api/v1/projects/%d/sessions/%s", s.Project, url.PathEscape(s.ID)))
}

func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, err error) {
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
	d.render(w, r, status, "error", map[string]any{"Message": msg})
}

// message shows the error page with a message of the request's fault.
func (d *Dashboard) message(w http.ResponseWriter, r *http.Request, status int, msg string) {
	d.render(w, r, status, "error", map[string]any{"Message": msg})
}

func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, status int, page string, data map[string]any) {
	// The header's links, as the account pages show them.
	data["Me"] = auth.FromContext(r.Context()).User
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
