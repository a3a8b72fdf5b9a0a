package servertest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/playhead/playhead/internal/auth"
	"github.com/playhead/playhead/internal/backend"
	"github.com/playhead/playhead/internal/ingest"
	"github.com/playhead/playhead/internal/process"
	"github.com/playhead/playhead/internal/server"
	"github.com/playhead/playhead/internal/store"
)

// The owner Start creates.
const (
	OwnerEmail    = "owner@example.test"
	OwnerPassword = "owner's long password"
)

// tokens holds the admin token of each server Start ran, by host:port.
var tokens sync.Map

func hostOf(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	return u.Host
}

// AddOwner creates the owner and an admin token in data, and returns the
// token.
func AddOwner(t testing.TB, data string) string { return addOwner(t, data) }

func addOwner(t testing.TB, data string) string {
	t.Helper()
	ctx := context.Background()
	b, err := backend.Open(ctx, data, backend.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	hash, err := auth.HashPassword(ctx, OwnerPassword)
	if err != nil {
		t.Fatal(err)
	}
	// A data folder started before keeps its owner.
	if _, err := b.Accounts.CreateUser(ctx, OwnerEmail, hash, store.RoleOwner); err != nil && !errors.Is(err, store.ErrExists) {
		t.Fatal(err)
	}
	return CreateToken(t, data, store.ScopeAdmin)
}

// CreateToken adds an API token of the scope to data, as `playhead token
// create` does, and returns it.
func CreateToken(t testing.TB, data string, scope store.Scope) string {
	t.Helper()
	b, err := backend.Open(context.Background(), data, backend.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	secret, hash := auth.NewToken()
	if _, err := b.Accounts.CreateToken(context.Background(), "test "+string(scope), scope, hash); err != nil {
		t.Fatal(err)
	}
	return secret
}

// Token is the admin token of the server at base.
func Token(base string) string {
	v, _ := tokens.Load(hostOf(base))
	s, _ := v.(string)
	return s
}

// Do sends req with the admin token of the server it goes to.
func Do(req *http.Request) (*http.Response, error) {
	if tok := Token(req.URL.String()); tok != "" && req.Header.Get("Authorization") == "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return http.DefaultClient.Do(req)
}

// Get is http.Get with the admin token of the server at url.
func Get(url string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	return Do(req)
}

// Login signs in at base as a browser does, through the login form, and
// returns a client that keeps the login session's cookie.
func Login(t testing.TB, base, email, password string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var form string
	for _, ck := range jar.Cookies(mustURL(base)) {
		if ck.Name == "playhead_form" {
			form = ck.Value
		}
	}
	resp, err = c.PostForm(base+"/login", url.Values{"email": {email}, "password": {password}, "csrf": {form}, "next": {"/"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s: %s", email, resp.Status)
	}
	return c
}

// SessionCookie is the login session cookie of a client Login returned.
func SessionCookie(t testing.TB, c *http.Client, base string) *http.Cookie {
	t.Helper()
	for _, ck := range c.Jar.Cookies(mustURL(base)) {
		if ck.Name == auth.SessionCookie {
			return ck
		}
	}
	t.Fatal("no login session cookie")
	return nil
}

// CSRF fetches a page as the client and returns the CSRF token of its
// forms.
func CSRF(t testing.TB, c *http.Client, base string) string {
	t.Helper()
	resp, err := c.Get(base + "/account")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	const mark = `name="csrf" value="`
	s := b.String()
	i := strings.Index(s, mark)
	if i < 0 {
		t.Fatalf("no CSRF token on /account (%s)", resp.Status)
	}
	s = s[i+len(mark):]
	return s[:strings.IndexByte(s, '"')]
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// Routes lists every route the server registers, with its access, from a
// handler built on a fresh data folder.
func Routes(t testing.TB) []auth.Route {
	t.Helper()
	b, err := backend.Open(context.Background(), t.TempDir(), backend.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var routes []auth.Route
	u, _ := url.Parse("http://127.0.0.1:1")
	opts := server.Options{Ingest: ingest.DefaultConfig, Gate: auth.GateConfig{PublicURL: u}, Routes: func(r []auth.Route) { routes = r }}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, _, err := server.Handler(b, &process.Processor{Log: b.Log, Index: b.Index, Events: b.Log, Logger: logger}, opts, logger); err != nil {
		t.Fatal(err)
	}
	return routes
}

// serverLogs holds what each server Start ran has logged, by host:port.
var serverLogs sync.Map

// logBuffer keeps a server's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// Log returns what the server at base has logged so far.
func Log(base string) string {
	v, ok := serverLogs.Load(hostOf(base))
	if !ok {
		return ""
	}
	l := v.(*logBuffer)
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
