package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/auth"
	"github.com/playhead/playhead/internal/server/servertest"
	"github.com/playhead/playhead/internal/store"
	"github.com/playhead/playhead/internal/store/sqlite"
)

// principals of the matrix: who sends the request.
const (
	anon     = "anonymous"
	viewerA  = "viewer of A"
	memberA  = "member of A"
	memberB  = "member of B" // of another project than the path's
	admin    = "admin"
	owner    = "owner"
	tokRead  = "token read"
	tokWrite = "token write"
	tokAdmin = "token admin"
	share    = "share link as a token" // a share token sent as Authorization
)

var everyone = []string{anon, viewerA, memberA, memberB, admin, owner, tokRead, tokWrite, tokAdmin, share}

// Groups of principals, for the rows below.
var (
	all          = everyone
	signedIn     = []string{viewerA, memberA, memberB, admin, owner}
	readersOfA   = []string{viewerA, memberA, admin, owner}
	sharersOfA   = []string{memberA, admin, owner}
	admins       = []string{admin, owner}
	apiReadersA  = []string{viewerA, memberA, admin, owner, tokRead, tokWrite, tokAdmin}
	apiReaders   = []string{viewerA, memberA, memberB, admin, owner, tokRead, tokWrite, tokAdmin}
	apiSharersA  = []string{memberA, admin, owner, tokWrite, tokAdmin}
	importersA   = []string{admin, owner, tokWrite, tokAdmin}
	metricsRead  = []string{admin, owner, tokAdmin}
	erasersA     = []string{admin, owner, tokWrite, tokAdmin}
	owners       = []string{owner}
	publicRoutes = all
)

// access is one row of the matrix: a request on a route and who may make
// it. Everyone else must be refused: 401 or the login page when nobody is
// signed in, 403 for a role or scope too low, 404 "no such project" for a
// project the principal is not in.
type access struct {
	method, path string
	form         url.Values
	json         string
	allowed      []string
}

// TestAuthorizationMatrix sends a request on every route the server
// registers as every kind of principal. A route without a row here fails
// the test: a new route needs a decision on who may use it.
func TestAuthorizationMatrix(t *testing.T) {
	base, data := start(t)
	env := newAuthzEnv(t, base, data)

	p, sid := env.projectA, env.sessionA
	rows := map[string]access{
		"/api/v1/ingest":   {method: "OPTIONS", path: "/api/v1/ingest", allowed: publicRoutes},
		"GET /playhead.js": {path: "/playhead.js", allowed: publicRoutes},
		"GET /healthz":     {path: "/healthz", allowed: publicRoutes},
		"GET /readyz":      {path: "/readyz", allowed: publicRoutes},
		"GET /assets/":     {path: "/assets/player.js", allowed: publicRoutes},
		"GET /static/":     {path: "/static/dashboard.css", allowed: publicRoutes},
		"GET /favicon.ico": {path: "/favicon.ico", allowed: publicRoutes},
		"GET /demo/":       {path: "/demo/", allowed: publicRoutes},
		"GET /metrics":     {path: "/metrics", allowed: metricsRead},

		"GET /api/v1/sessions":                                {path: "/api/v1/sessions", allowed: apiReaders},
		"GET /api/v1/projects/{project}/sessions":             {path: fmt.Sprintf("/api/v1/projects/%d/sessions", p), allowed: apiReadersA},
		"GET /api/v1/projects/{project}/sessions/{id}":        {path: fmt.Sprintf("/api/v1/projects/%d/sessions/%s", p, sid), allowed: apiReadersA},
		"GET /api/v1/projects/{project}/sessions/{id}/events": {path: fmt.Sprintf("/api/v1/projects/%d/sessions/%s/events", p, sid), allowed: apiReadersA},
		"GET /api/v1/projects/{project}/sessions/{id}/chunks": {path: fmt.Sprintf("/api/v1/projects/%d/sessions/%s/chunks", p, sid), allowed: apiReadersA},
		// An unreadable cursor: who may follow the session gets its 400
		// at once rather than a stream.
		"GET /api/v1/projects/{project}/sessions/{id}/live":   {path: fmt.Sprintf("/api/v1/projects/%d/sessions/%s/live?cursor=%%25", p, sid), allowed: apiReadersA},
		"GET /api/v1/projects/{project}/sessions/{id}/export": {path: fmt.Sprintf("/api/v1/projects/%d/sessions/%s/export", p, sid), allowed: apiReadersA},
		"POST /api/v1/projects/{project}/import":              {method: "POST", path: fmt.Sprintf("/api/v1/projects/%d/import", p), json: `{"playhead":99}`, allowed: importersA},

		"POST /api/v1/projects/{project}/sessions/{id}/tags":         {method: "POST", path: fmt.Sprintf("/api/v1/projects/%d/sessions/%s/tags", p, sid), json: `{"tag":"bug"}`, allowed: apiSharersA},
		"DELETE /api/v1/projects/{project}/sessions/{id}/tags/{tag}": {method: "DELETE", path: fmt.Sprintf("/api/v1/projects/%d/sessions/%s/tags/bug", p, sid), allowed: apiSharersA},
		"GET /api/v1/projects/{project}/sessions/{id}/notes":         {path: fmt.Sprintf("/api/v1/projects/%d/sessions/%s/notes", p, sid), allowed: apiReadersA},
		// A note without text: who may write gets its 400, nothing is kept.
		"POST /api/v1/projects/{project}/sessions/{id}/notes":          {method: "POST", path: fmt.Sprintf("/api/v1/projects/%d/sessions/%s/notes", p, sid), json: `{"text":"","time_ms":0}`, allowed: apiSharersA},
		"DELETE /api/v1/projects/{project}/sessions/{id}/notes/{note}": {method: "DELETE", path: fmt.Sprintf("/api/v1/projects/%d/sessions/%s/notes/999999", p, sid), allowed: apiSharersA},

		"GET /{$}":                          {path: "/", allowed: signedIn},
		"POST /projects/{project}/segments": {method: "POST", path: fmt.Sprintf("/projects/%d/segments", p), form: url.Values{"name": {"rage"}, "query": {"signal=rage_click"}}, allowed: sharersOfA},
		"POST /projects/{project}/segments/{segment}/delete": {method: "POST", path: fmt.Sprintf("/projects/%d/segments/999999/delete", p), allowed: sharersOfA},
		"GET /projects/{project}/sessions/{id}":              {path: fmt.Sprintf("/projects/%d/sessions/%s", p, sid), allowed: readersOfA},

		"GET /login":           {path: "/login", allowed: publicRoutes},
		"POST /login":          {method: "POST", path: "/login", allowed: publicRoutes},
		"POST /logout":         {method: "POST", path: "/logout", allowed: signedIn},
		"GET /setup":           {path: "/setup", allowed: publicRoutes},
		"POST /setup":          {method: "POST", path: "/setup", allowed: publicRoutes},
		"GET /invite/{token}":  {path: "/invite/phl_nope", allowed: publicRoutes},
		"POST /invite/{token}": {method: "POST", path: "/invite/phl_nope", allowed: publicRoutes},
		"GET /reset/{token}":   {path: "/reset/phl_nope", allowed: publicRoutes},
		"POST /reset/{token}":  {method: "POST", path: "/reset/phl_nope", allowed: publicRoutes},

		"GET /account":                  {path: "/account", allowed: signedIn},
		"POST /account/password":        {method: "POST", path: "/account/password", form: url.Values{"current": {"wrong"}}, allowed: signedIn},
		"POST /account/sessions/revoke": {method: "POST", path: "/account/sessions/revoke", form: url.Values{"id": {"00"}}, allowed: signedIn},

		"GET /users":                  {path: "/users", allowed: admins},
		"POST /users/invite":          {method: "POST", path: "/users/invite", allowed: admins},
		"POST /users/invite/withdraw": {method: "POST", path: "/users/invite/withdraw", form: url.Values{"id": {"00"}}, allowed: admins},
		"POST /users/{user}/role":     {method: "POST", path: "/users/999999/role", allowed: admins},
		"POST /users/{user}/projects": {method: "POST", path: "/users/999999/projects", allowed: admins},
		"POST /users/{user}/delete":   {method: "POST", path: "/users/999999/delete", allowed: admins},
		"POST /users/{user}/reset":    {method: "POST", path: "/users/999999/reset", allowed: owners},

		"GET /tokens":              {path: "/tokens", allowed: admins},
		"POST /tokens":             {method: "POST", path: "/tokens", allowed: admins},
		"POST /tokens/{id}/revoke": {method: "POST", path: "/tokens/999999/revoke", allowed: admins},

		"GET /projects":                       {path: "/projects", allowed: signedIn},
		"POST /projects":                      {method: "POST", path: "/projects", allowed: admins},
		"GET /projects/{project}":             {path: fmt.Sprintf("/projects/%d", p), allowed: readersOfA},
		"POST /projects/{project}/settings":   {method: "POST", path: fmt.Sprintf("/projects/%d/settings", p), form: url.Values{"name": {""}}, allowed: admins},
		"POST /projects/{project}/goals":      {method: "POST", path: fmt.Sprintf("/projects/%d/goals", p), allowed: admins},
		"POST /projects/{project}/goals/drop": {method: "POST", path: fmt.Sprintf("/projects/%d/goals/drop", p), form: url.Values{"name": {"none"}}, allowed: admins},
		"POST /projects/{project}/signals":    {method: "POST", path: fmt.Sprintf("/projects/%d/signals", p), form: url.Values{"rage_clicks": {"x"}}, allowed: admins},
		"POST /projects/{project}/rotate":     {method: "POST", path: fmt.Sprintf("/projects/%d/rotate", p), allowed: admins},
		"POST /projects/{project}/delete":     {method: "POST", path: fmt.Sprintf("/projects/%d/delete", p), form: url.Values{"name": {"not its name"}}, allowed: admins},

		"GET /projects/{project}/sessions/{id}/shares":                   {path: fmt.Sprintf("/projects/%d/sessions/%s/shares", p, sid), allowed: readersOfA},
		"POST /projects/{project}/sessions/{id}/shares":                  {method: "POST", path: fmt.Sprintf("/projects/%d/sessions/%s/shares", p, sid), form: url.Values{"expires": {"bad"}}, allowed: sharersOfA},
		"POST /projects/{project}/sessions/{id}/shares/{share}/revoke":   {method: "POST", path: fmt.Sprintf("/projects/%d/sessions/%s/shares/999999/revoke", p, sid), allowed: sharersOfA},
		"GET /api/v1/projects/{project}/sessions/{id}/shares":            {path: fmt.Sprintf("/api/v1/projects/%d/sessions/%s/shares", p, sid), allowed: apiReadersA},
		"POST /api/v1/projects/{project}/sessions/{id}/shares":           {method: "POST", path: fmt.Sprintf("/api/v1/projects/%d/sessions/%s/shares", p, sid), json: `{"expires_in":"never"}`, allowed: apiSharersA},
		"DELETE /api/v1/projects/{project}/sessions/{id}/shares/{share}": {method: "DELETE", path: fmt.Sprintf("/api/v1/projects/%d/sessions/%s/shares/999999", p, sid), allowed: apiSharersA},
		// An unknown session and user: the rows must not erase what the
		// others read.
		"DELETE /api/v1/projects/{project}/sessions/{id}":         {method: "DELETE", path: fmt.Sprintf("/api/v1/projects/%d/sessions/nope", p), allowed: erasersA},
		"DELETE /api/v1/projects/{project}/users/{user}/sessions": {method: "DELETE", path: fmt.Sprintf("/api/v1/projects/%d/users/nobody/sessions", p), allowed: erasersA},
		"POST /projects/{project}/sessions/{id}/delete":           {method: "POST", path: fmt.Sprintf("/projects/%d/sessions/nope/delete", p), allowed: admins},
		"GET /projects/{project}/data":                            {path: fmt.Sprintf("/projects/%d/data", p), allowed: admins},
		"POST /projects/{project}/data/erase-user":                {method: "POST", path: fmt.Sprintf("/projects/%d/data/erase-user", p), form: url.Values{"user": {"nobody"}}, allowed: admins},
		"GET /audit":                       {path: "/audit", allowed: admins},
		"GET /api/v1/audit":                {path: "/api/v1/audit", allowed: []string{admin, owner, tokAdmin}},
		"GET /share/{token}":               {path: "/share/" + env.share, allowed: publicRoutes},
		"GET /api/v1/share/{token}":        {path: "/api/v1/share/" + env.share, allowed: publicRoutes},
		"GET /api/v1/share/{token}/events": {path: "/api/v1/share/" + env.share + "/events", allowed: publicRoutes},
		"GET /api/v1/share/{token}/chunks": {path: "/api/v1/share/" + env.share + "/chunks", allowed: publicRoutes},
	}

	routes := servertest.Routes(t)
	var patterns []string
	for _, r := range routes {
		patterns = append(patterns, r.Pattern)
		if _, ok := rows[r.Pattern]; !ok {
			t.Errorf("route %q (%s) has no row in the authorization matrix", r.Pattern, r.Access)
		}
	}
	for pattern := range rows {
		if !slices.Contains(patterns, pattern) {
			t.Errorf("the matrix has a row for %q, which the server does not register", pattern)
		}
	}
	// Signing out ends the principal's session: it goes last.
	slices.SortFunc(patterns, func(a, b string) int {
		if (a == "POST /logout") != (b == "POST /logout") {
			if a == "POST /logout" {
				return 1
			}
			return -1
		}
		return strings.Compare(a, b)
	})
	for _, pattern := range patterns {
		row, ok := rows[pattern]
		if !ok {
			continue
		}
		for _, who := range everyone {
			status, refusal := env.send(t, who, row)
			want := slices.Contains(row.allowed, who)
			switch {
			case want && refusal != "":
				t.Errorf("%s %s as %s: refused (%d %s), want allowed", row.methodOr(), row.path, who, status, refusal)
			case !want && refusal == "":
				t.Errorf("%s %s as %s: allowed (%d), want refused", row.methodOr(), row.path, who, status)
			case status >= 500:
				t.Errorf("%s %s as %s: %d", row.methodOr(), row.path, who, status)
			}
		}
	}
}

func (a access) methodOr() string {
	if a.method == "" {
		return "GET"
	}
	return a.method
}

// authzEnv is a server with two projects, each with a session, and a
// principal of every kind.
type authzEnv struct {
	base               string
	projectA, projectB int64
	sessionA, sessionB string
	clients            map[string]*http.Client
	csrf               map[string]string
	tokens             map[string]string
	share              string
}

const testPassword = "a long enough password"

func newAuthzEnv(t *testing.T, base, data string) *authzEnv {
	t.Helper()
	a, b := newProject(t, data), newProject(t, data)
	env := &authzEnv{base: base, projectA: a.ID, projectB: b.ID, sessionA: "sa", sessionB: "sb",
		clients: map[string]*http.Client{}, csrf: map[string]string{}, tokens: map[string]string{}}
	for _, s := range []struct {
		key, id string
		project int64
	}{{a.Key, "sa", a.ID}, {b.Key, "sb", b.ID}} {
		ev := []json.RawMessage{metaEvent(time.Now().UnixMilli(), "https://shop.example/"+s.id)}
		if status, out := post(t, base, body{s.key, s.id, "w", 0, ev}, false); status != 202 {
			t.Fatalf("ingest %s: %d %s", s.id, status, out)
		}
		waitSession(t, base, s.project, s.id, 1)
	}

	ctx := context.Background()
	st, err := sqlite.Open(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	hash, err := auth.HashPassword(ctx, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]struct {
		email   string
		role    store.Role
		project int64
	}{
		viewerA: {"viewer@example.test", store.RoleViewer, a.ID},
		memberA: {"member-a@example.test", store.RoleMember, a.ID},
		memberB: {"member-b@example.test", store.RoleMember, b.ID},
		admin:   {"admin@example.test", store.RoleAdmin, 0},
	}
	for who, u := range users {
		created, err := st.CreateUser(ctx, u.email, hash, u.role)
		if err != nil {
			t.Fatal(err)
		}
		if u.project != 0 {
			if err := st.SetUserProjects(ctx, created.ID, []int64{u.project}); err != nil {
				t.Fatal(err)
			}
		}
		env.clients[who] = servertest.Login(t, base, u.email, testPassword)
	}
	env.clients[owner] = servertest.Login(t, base, servertest.OwnerEmail, servertest.OwnerPassword)
	for who, c := range env.clients {
		env.csrf[who] = servertest.CSRF(t, c, base)
	}
	st.Close()
	env.tokens[tokRead] = servertest.CreateToken(t, data, store.ScopeRead)
	env.tokens[tokWrite] = servertest.CreateToken(t, data, store.ScopeWrite)
	env.tokens[tokAdmin] = servertest.CreateToken(t, data, store.ScopeAdmin)

	st, err = sqlite.Open(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	secret, shareHash := auth.NewSecret("phr_")
	if _, err := st.CreateShare(ctx, store.Share{Hash: shareHash, Project: a.ID, Session: "sa"}); err != nil {
		t.Fatal(err)
	}
	env.share = secret
	env.tokens[share] = secret
	return env
}

// send makes the row's request as who and says whether the access policy
// refused it, and how.
func (env *authzEnv) send(t *testing.T, who string, row access) (status int, refusal string) {
	t.Helper()
	method := row.methodOr()
	var body io.Reader
	ctype := ""
	switch {
	case row.json != "":
		body, ctype = strings.NewReader(row.json), "application/json"
	case method == "POST":
		form := url.Values{}
		for k, v := range row.form {
			form[k] = v
		}
		form.Set("csrf", env.csrf[who])
		body, ctype = strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
	}
	req, err := http.NewRequest(method, env.base+row.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if method == "OPTIONS" {
		req.Header.Set("Origin", "https://shop.example")
		req.Header.Set("Access-Control-Request-Method", "POST")
	}
	if tok := env.tokens[who]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if csrf := env.csrf[who]; csrf != "" && (row.json != "" || method == "DELETE") {
		req.Header.Set(auth.CSRFHeader, csrf)
	}
	c := env.clients[who]
	if c == nil {
		c = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s as %s: %v", method, row.path, who, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	text := string(b)
	switch {
	case resp.StatusCode == http.StatusSeeOther && strings.HasPrefix(resp.Header.Get("Location"), "/login?"):
		return resp.StatusCode, "sent to sign in"
	case resp.StatusCode == http.StatusUnauthorized && (strings.Contains(text, `"unauthorized"`) || strings.Contains(text, `data-code="unauthorized"`)):
		return resp.StatusCode, "unauthorized"
	case resp.StatusCode == http.StatusForbidden && (strings.Contains(text, `"forbidden"`) || strings.Contains(text, `data-code="forbidden"`)):
		return resp.StatusCode, "forbidden"
	case resp.StatusCode == http.StatusNotFound && strings.Contains(text, "no such project"):
		return resp.StatusCode, "hidden"
	case resp.StatusCode == http.StatusForbidden && (strings.Contains(text, "csrf") || strings.Contains(text, "cross_origin")):
		// A refusal of the request's form, not of who sent it: the
		// matrix sends valid tokens, so only the pre-login forms (which
		// it sends without their cookie) answer this.
		if !slices.Contains([]string{"/login", "/setup"}, row.path) && !strings.HasPrefix(row.path, "/invite/") && !strings.HasPrefix(row.path, "/reset/") {
			t.Errorf("%s %s as %s: CSRF refusal %s", method, row.path, who, text)
		}
	}
	return resp.StatusCode, ""
}

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }

func itoa(n int64) string { return fmt.Sprint(n) }
