package account

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"github.com/playhead/playhead/internal/api"
	"github.com/playhead/playhead/internal/auth"
	"github.com/playhead/playhead/internal/store"
)

// Snippet is the tag a site puts in its pages to be recorded, loading the
// recorder from the server's public URL with the project's settings.
func Snippet(publicURL, key string) string {
	return fmt.Sprintf(`<script src="%s/playhead.js?key=%s" defer></script>`, publicURL, url.QueryEscape(key))
}

func (p *Pages) registerProjects(mux Mux) {
	mux.HandleFunc("GET /projects", p.projects)
	mux.HandleFunc("POST /projects", p.createProject)
	mux.HandleFunc("GET /projects/{project}", p.project)
	mux.HandleFunc("POST /projects/{project}/settings", p.saveSettings)
	mux.HandleFunc("POST /projects/{project}/goals", p.addGoal)
	mux.HandleFunc("POST /projects/{project}/goals/drop", p.dropGoal)
	mux.HandleFunc("POST /projects/{project}/signals", p.saveSignals)
	mux.HandleFunc("POST /projects/{project}/rotate", p.rotateKey)
	mux.HandleFunc("POST /projects/{project}/delete", p.deleteProject)
}

func (p *Pages) projects(w http.ResponseWriter, r *http.Request) {
	p.projectsPage(w, r, http.StatusOK, "")
}

// projectsPage lists the projects the principal sees; owners and admins
// may create one.
func (p *Pages) projectsPage(w http.ResponseWriter, r *http.Request, status int, errMsg string) {
	pr := auth.FromContext(r.Context())
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
	for _, proj := range list {
		if pr.Sees(proj.ID) {
			rows = append(rows, row{proj, Snippet(p.Gate.PublicURL(), proj.Key)})
		}
	}
	p.render(w, r, status, "projects", errMsg, map[string]any{"Projects": rows, "Edit": mayEdit(pr)})
}

// mayEdit tells whether the principal changes projects: owners and admins.
func mayEdit(pr *auth.Principal) bool {
	return pr.User != nil && pr.User.Role.AtLeast(store.RoleAdmin)
}

func (p *Pages) createProject(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" || len(name) > maxProjectName {
		p.projectsPage(w, r, http.StatusBadRequest, "Give the project a name.")
		return
	}
	origins, err := parseOrigins(r.PostFormValue("origins"))
	if err != nil {
		p.projectsPage(w, r, http.StatusBadRequest, err.Error())
		return
	}
	pr, err := p.Store.CreateProject(r.Context(), name, origins)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.record(r, "project.create", pr.ID, pr.Name, "")
	back(w, r, fmt.Sprintf("/projects/%d", pr.ID))
}

const maxProjectName = 200

// parseOrigins reads origins separated by white space or commas.
func parseOrigins(s string) ([]string, error) {
	var origins []string
	for _, o := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		n, err := NormalizeOrigin(o)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(origins, n) {
			origins = append(origins, n)
		}
	}
	return origins, nil
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
	base := "/api/v1/share/" + r.PathValue("token")
	// The player opens at the link's own moment, unless the address names
	// another (?t=).
	ms, ok := api.ParseMoment(r.URL.Query().Get("t"))
	if !ok {
		ms = sh.StartMS
	}
	first := api.OpeningEvents(r.Context(), p.Store, s, ms, base)
	var buf bytes.Buffer
	err := p.pages["share"].ExecuteTemplate(&buf, "share", map[string]any{
		"Session": s, "API": base, "Start": sh.StartMS, "FirstEvents": first,
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
