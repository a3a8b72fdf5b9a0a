package auth

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/playhead/playhead/internal/store"
)

// Access is who may use a route.
type Access struct {
	// Public routes are open to anyone; their handlers check whatever
	// secret they take (an ingest key, a share token, the setup token).
	Public bool
	// Role is the least role of a signed-in user; "" refuses users.
	Role store.Role
	// Project routes take a {project} that the user must belong to (all
	// projects for owners and admins).
	Project bool
	// Scope is the least scope of an API token; "" refuses tokens.
	Scope store.Scope
	// Scrape also lets the --metrics-allow networks in, without a login.
	Scrape bool
}

// The kinds of access the routes have.
var (
	Public       = Access{Public: true}
	SignedIn     = Access{Role: store.RoleViewer}
	ProjectRead  = Access{Role: store.RoleViewer, Project: true, Scope: store.ScopeRead}
	ProjectWrite = Access{Role: store.RoleMember, Project: true, Scope: store.ScopeWrite}
	// ProjectErase erases a project's recordings for good.
	ProjectErase = Access{Role: store.RoleAdmin, Project: true, Scope: store.ScopeWrite}
	ProjectAdmin = Access{Role: store.RoleAdmin, Project: true}
	AdminPage    = Access{Role: store.RoleAdmin}
	AdminAPI     = Access{Role: store.RoleAdmin, Scope: store.ScopeAdmin}
	OwnerPage    = Access{Role: store.RoleOwner}
	Metrics      = Access{Role: store.RoleAdmin, Scope: store.ScopeAdmin, Scrape: true}
	// ReadAPI is the JSON API outside a project: what it answers is
	// limited to the principal's projects.
	ReadAPI = Access{Role: store.RoleViewer, Scope: store.ScopeRead}
)

// String describes the access for the documentation and test failures.
func (a Access) String() string {
	if a.Public {
		return "public"
	}
	var parts []string
	if a.Role != "" {
		s := string(a.Role) + "+"
		if a.Project {
			s += " of the project"
		}
		parts = append(parts, s)
	}
	if a.Scope != "" {
		parts = append(parts, "token "+string(a.Scope)+"+")
	}
	if a.Scrape {
		parts = append(parts, "--metrics-allow")
	}
	return strings.Join(parts, ", ")
}

// Policy maps each route pattern of the server to its access. A route
// registered without a line here stops the server from starting, so no
// route is ever served without a decision on who may use it.
var Policy = map[string]Access{
	// Recording: open to the sites being recorded.
	"/api/v1/ingest":   Public, // POST and its OPTIONS preflight; the key decides
	"GET /playhead.js": Public,
	"GET /healthz":     Public,
	"GET /readyz":      Public, // the reason only for a signed-in principal
	"GET /assets/":     Public, // the player's bundle, which the shared page needs
	"GET /static/":     Public, // the dashboard's stylesheet
	"GET /favicon.ico": Public,
	"GET /demo/":       Public, // the demo shop: static pages that record themselves

	"GET /metrics": Metrics,

	// The query API.
	"GET /api/v1/sessions":                                ReadAPI,
	"GET /api/v1/projects/{project}/sessions":             ProjectRead,
	"GET /api/v1/projects/{project}/sessions/{id}":        ProjectRead,
	"GET /api/v1/projects/{project}/sessions/{id}/events": ProjectRead,
	"GET /api/v1/projects/{project}/sessions/{id}/chunks": ProjectRead,
	"GET /api/v1/projects/{project}/sessions/{id}/live":   ProjectRead,
	"GET /api/v1/projects/{project}/sessions/{id}/export": ProjectRead,
	// Importing makes a session: admins and owners, write tokens.
	"POST /api/v1/projects/{project}/import": {Role: store.RoleAdmin, Project: true, Scope: store.ScopeWrite},
	// Tags are shared by the project's people: its members tag.
	"POST /api/v1/projects/{project}/sessions/{id}/tags":         ProjectWrite,
	"DELETE /api/v1/projects/{project}/sessions/{id}/tags/{tag}": ProjectWrite,
	// Notes too: its viewers read them, its members write.
	"GET /api/v1/projects/{project}/sessions/{id}/notes":           ProjectRead,
	"POST /api/v1/projects/{project}/sessions/{id}/notes":          ProjectWrite,
	"DELETE /api/v1/projects/{project}/sessions/{id}/notes/{note}": ProjectWrite,

	// The dashboard.
	"GET /{$}":                              SignedIn,
	"GET /projects/{project}/sessions/{id}": {Role: store.RoleViewer, Project: true},
	// Segments are the project's, saved and deleted by its members.
	"POST /projects/{project}/segments":                  {Role: store.RoleMember, Project: true},
	"POST /projects/{project}/segments/{segment}/delete": {Role: store.RoleMember, Project: true},

	// Signing in, and the links that let someone in.
	"GET /login":           Public,
	"POST /login":          Public,
	"POST /logout":         SignedIn,
	"GET /setup":           Public, // only with the setup token, only while there is no owner
	"POST /setup":          Public,
	"GET /invite/{token}":  Public,
	"POST /invite/{token}": Public,
	"GET /reset/{token}":   Public,
	"POST /reset/{token}":  Public,

	// One's own account.
	"GET /account":                  SignedIn,
	"POST /account/password":        SignedIn,
	"POST /account/sessions/revoke": SignedIn,

	// Users and invitations.
	"GET /users":                  AdminPage,
	"POST /users/invite":          AdminPage,
	"POST /users/invite/withdraw": AdminPage,
	"POST /users/{user}/role":     AdminPage,
	"POST /users/{user}/projects": AdminPage,
	"POST /users/{user}/delete":   AdminPage,
	"POST /users/{user}/reset":    OwnerPage,

	// API tokens.
	"GET /tokens":              AdminPage,
	"POST /tokens":             AdminPage,
	"POST /tokens/{id}/revoke": AdminPage,

	// Projects: everyone sees theirs; owners and admins change them.
	"GET /projects":                       SignedIn,
	"POST /projects":                      AdminPage,
	"GET /projects/{project}":             {Role: store.RoleViewer, Project: true},
	"POST /projects/{project}/settings":   ProjectAdmin,
	"POST /projects/{project}/goals":      ProjectAdmin,
	"POST /projects/{project}/goals/drop": ProjectAdmin,
	"POST /projects/{project}/signals":    ProjectAdmin,
	"POST /projects/{project}/rotate":     ProjectAdmin,
	"POST /projects/{project}/delete":     ProjectAdmin,

	// Share links: made and revoked by members of the project; played by
	// whoever has one.
	"GET /projects/{project}/sessions/{id}/shares":                   {Role: store.RoleViewer, Project: true},
	"POST /projects/{project}/sessions/{id}/shares":                  {Role: store.RoleMember, Project: true},
	"POST /projects/{project}/sessions/{id}/shares/{share}/revoke":   {Role: store.RoleMember, Project: true},
	"GET /api/v1/projects/{project}/sessions/{id}/shares":            ProjectRead,
	"POST /api/v1/projects/{project}/sessions/{id}/shares":           ProjectWrite,
	"DELETE /api/v1/projects/{project}/sessions/{id}/shares/{share}": ProjectWrite,
	// Erasure, the storage a project takes, and the audit log.
	"DELETE /api/v1/projects/{project}/sessions/{id}":         ProjectErase,
	"DELETE /api/v1/projects/{project}/users/{user}/sessions": ProjectErase,
	"POST /projects/{project}/sessions/{id}/delete":           ProjectAdmin,
	"GET /projects/{project}/data":                            ProjectAdmin,
	"POST /projects/{project}/data/erase-user":                ProjectAdmin,
	"GET /audit":                       AdminPage,
	"GET /api/v1/audit":                AdminAPI,
	"GET /share/{token}":               Public,
	"GET /api/v1/share/{token}":        Public,
	"GET /api/v1/share/{token}/events": Public,
	"GET /api/v1/share/{token}/chunks": Public,
}

// Decision is what the policy says of one request.
type Decision int

const (
	Allow        Decision = iota
	Unauthorized          // nobody (valid) is signed in: 401, or the login page
	Forbidden             // signed in, but not allowed: 403
	Hidden                // a project the principal does not see: 404, as if it did not exist
)

// Decide applies access to principal p for a request whose path named
// project (0 when the route has none, -1 when it is not a number).
func (a Access) Decide(p *Principal, project int64, scraper bool) Decision {
	if a.Public {
		return Allow
	}
	if a.Scrape && scraper {
		return Allow
	}
	switch {
	case p.User != nil:
		if a.Role == "" || !p.User.Role.AtLeast(a.Role) {
			return Forbidden
		}
	case p.Token != nil:
		if a.Scope == "" || !p.Token.Scope.AtLeast(a.Scope) {
			return Forbidden
		}
	default:
		return Unauthorized
	}
	if a.Project && !p.Sees(project) {
		return Hidden
	}
	return Allow
}

// projectOf reads the {project} path value: 0 when there is none, -1 when
// it names no project.
func projectOf(r *http.Request) int64 {
	v := r.PathValue("project")
	if v == "" {
		return 0
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return -1
	}
	return id
}

// Route is one registered route and its access.
type Route struct {
	Pattern string
	Access  Access
}

// Router registers routes on a mux, each behind its access from the
// policy. It has the mux's Handle and HandleFunc, so that the stages
// register their routes on it unchanged.
type Router struct {
	mux    *http.ServeMux
	policy map[string]Access
	gate   *Gate
	routes []Route
	raw    map[string]http.Handler
	err    error
}

// NewRouter returns a router on mux that enforces policy through gate.
func NewRouter(mux *http.ServeMux, policy map[string]Access, gate *Gate) *Router {
	return &Router{mux: mux, policy: policy, gate: gate, raw: map[string]http.Handler{}}
}

// Handle registers h for pattern behind the pattern's access.
func (rt *Router) Handle(pattern string, h http.Handler) {
	a, ok := rt.policy[pattern]
	if !ok {
		if rt.err == nil {
			rt.err = fmt.Errorf("route %q has no access policy (add it to auth.Policy)", pattern)
		}
		return
	}
	rt.routes = append(rt.routes, Route{pattern, a})
	rt.raw[pattern] = h
	rt.mux.Handle(pattern, rt.gate.enforce(a, h))
}

// HandleFunc registers f for pattern behind the pattern's access.
func (rt *Router) HandleFunc(pattern string, f func(http.ResponseWriter, *http.Request)) {
	rt.Handle(pattern, http.HandlerFunc(f))
}

// Err reports the first route registered without a policy.
func (rt *Router) Err() error { return rt.err }

// Routes lists the registered routes in pattern order.
func (rt *Router) Routes() []Route {
	out := slices.Clone(rt.routes)
	slices.SortFunc(out, func(a, b Route) int { return strings.Compare(a.Pattern, b.Pattern) })
	return out
}

// Raw returns a route's handler without its access check, for a handler
// that has made the check itself (a share link serving its session).
func (rt *Router) Raw(pattern string) http.Handler { return rt.raw[pattern] }
