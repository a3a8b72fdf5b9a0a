package account

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/playhead/playhead/internal/auth"
	"github.com/playhead/playhead/internal/store"
)

// Snippet is the tag a site puts in its pages to be recorded, loading the
// recorder from the server's public URL.
func Snippet(publicURL, key string) string {
	return fmt.Sprintf(`<script src="%s/playhead.js" data-key="%s" defer></script>`, publicURL, key)
}

func (p *Pages) projects(w http.ResponseWriter, r *http.Request) {
	p.projectsPage(w, r, http.StatusOK, "")
}

func (p *Pages) projectsPage(w http.ResponseWriter, r *http.Request, status int, errMsg string) {
	list, err := p.Store.Projects(r.Context())
	if err != nil {
		p.fail(w, r, err)
		return
	}
	type row struct {
		store.Project
		Snippet string
	}
	var rows []row
	for _, pr := range list {
		rows = append(rows, row{pr, Snippet(p.Gate.PublicURL(), pr.Key)})
	}
	p.render(w, r, status, "projects", errMsg, map[string]any{"Projects": rows})
}

func (p *Pages) createProject(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" || len(name) > 200 {
		p.projectsPage(w, r, http.StatusBadRequest, "Give the project a name.")
		return
	}
	var origins []string
	for _, o := range strings.Fields(r.PostFormValue("origins")) {
		n, err := NormalizeOrigin(o)
		if err != nil {
			p.projectsPage(w, r, http.StatusBadRequest, err.Error())
			return
		}
		origins = append(origins, n)
	}
	pr, err := p.Store.CreateProject(r.Context(), name, origins)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.Logger.Info("project created", "by", auth.FromContext(r.Context()).Label(), "project", pr.ID, "name", pr.Name)
	back(w, r, "/projects")
}

// NormalizeOrigin turns what a person types into what a browser sends as
// Origin: scheme://host[:port], lower case, no path.
func NormalizeOrigin(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("%q is not an origin such as https://shop.example or http://localhost:3000", s)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

// renderShare shows the player for a share link's session, and nothing
// else: no navigation, no other session, no project.
func (p *Pages) renderShare(w http.ResponseWriter, r *http.Request, s store.Session, sh store.Share) {
	var buf bytes.Buffer
	err := p.pages["share"].ExecuteTemplate(&buf, "share", map[string]any{
		"Session": s, "API": "/api/v1/share/" + r.PathValue("token"), "Start": sh.StartMS,
	})
	if err != nil {
		p.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// As the dashboard's player page: recorded styles, images and fonts
	// load from their addresses; no script but the player's.
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; "+
		"style-src * 'unsafe-inline'; img-src * data: blob:; font-src * data:; media-src * data: blob:; "+
		"object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	// The page's URL is the share token: what the recording loads from
	// elsewhere must not be told it.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	buf.WriteTo(w)
}
