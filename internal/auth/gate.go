package auth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/playhead/playhead/internal/store"
)

// Cookies the dashboard sets.
const (
	SessionCookie = "playhead_session"
	formCookie    = "playhead_form" // double-submit token of the forms shown before signing in
	// CSRFField and CSRFHeader carry the login session's CSRF token in a
	// form or in a script's request.
	CSRFField  = "csrf"
	CSRFHeader = "X-CSRF-Token"
)

// SessionLifetime is how long a login lasts, used or not.
const SessionLifetime = 14 * 24 * time.Hour

// GateStore is what the gate reads to know who a request comes from.
type GateStore interface {
	LoginSession(ctx context.Context, hash []byte, now time.Time) (store.LoginSession, error)
	TouchLoginSession(ctx context.Context, hash []byte, now time.Time) error
	TokenByHash(ctx context.Context, hash []byte) (store.Token, error)
	TouchToken(ctx context.Context, id int64, now time.Time) error
	UserProjects(ctx context.Context, user int64) ([]int64, error)
}

// Gate authenticates requests, refuses those for another host, checks
// CSRF, and applies each route's access.
type Gate struct {
	store  GateStore
	public *url.URL
	hosts  map[string]bool
	scrape []netip.Prefix
	cop    *http.CrossOriginProtection
	logger *slog.Logger
}

// GateConfig configures a gate.
type GateConfig struct {
	// PublicURL is where people reach the server. Requests naming another
	// host are refused (DNS rebinding).
	PublicURL *url.URL
	// OtherHosts are further Host values accepted (localhost for a
	// loopback default).
	OtherHosts []string
	// MetricsAllow are networks whose scrapers read /metrics without a
	// login.
	MetricsAllow []netip.Prefix
	Logger       *slog.Logger
}

// NewGate returns a gate.
func NewGate(st GateStore, cfg GateConfig) *Gate {
	g := &Gate{store: st, public: cfg.PublicURL, hosts: map[string]bool{}, scrape: cfg.MetricsAllow,
		cop: http.NewCrossOriginProtection(), logger: cfg.Logger}
	for _, h := range append([]string{cfg.PublicURL.Host}, cfg.OtherHosts...) {
		h = strings.ToLower(h)
		g.hosts[h] = true
		// The default port may be left out of Host, or spelt out.
		if host, port, err := net.SplitHostPort(h); err == nil {
			if (cfg.PublicURL.Scheme == "https" && port == "443") || (cfg.PublicURL.Scheme == "http" && port == "80") {
				g.hosts[host] = true
			}
		} else if cfg.PublicURL.Scheme == "https" {
			g.hosts[h+":443"] = true
		} else {
			g.hosts[h+":80"] = true
		}
	}
	g.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.deny(w, r, http.StatusForbidden, "cross_origin", "cross-origin requests that change something are refused")
	}))
	return g
}

// Secure tells whether cookies are marked Secure: when the public URL is
// https.
func (g *Gate) Secure() bool { return g.public.Scheme == "https" }

// PublicURL is the server's external URL, without a trailing slash.
func (g *Gate) PublicURL() string { return strings.TrimSuffix(g.public.String(), "/") }

// Wrap checks the Host and authenticates every request before h routes it.
func (g *Gate) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.hosts[strings.ToLower(r.Host)] && !loopbackProbe(r) {
			// A page on another site whose name resolves here (DNS
			// rebinding) would otherwise read the API with the
			// visitor's network position.
			http.Error(w, "this server answers only as "+g.public.Host+" (see --public-url)", http.StatusMisdirectedRequest)
			return
		}
		h.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), g.authenticate(r))))
	})
}

// loopbackProbe is a health check from this machine, which may name the
// server by any address.
func loopbackProbe(r *http.Request) bool {
	if r.URL.Path != "/healthz" && r.URL.Path != "/readyz" {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// authenticate finds the principal of a request: an API token in
// Authorization, or a login session in its cookie. Anything invalid makes
// it anonymous.
func (g *Gate) authenticate(r *http.Request) *Principal {
	ctx, now := r.Context(), time.Now()
	if h := r.Header.Get("Authorization"); h != "" {
		secret, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || !wellFormed(secret, prefixToken) {
			return &Principal{}
		}
		t, err := g.store.TokenByHash(ctx, HashSecret(secret))
		if err != nil {
			g.lookupFailed(err)
			return &Principal{}
		}
		if now.Sub(t.LastUsed) > time.Minute {
			g.lookupFailed(g.store.TouchToken(ctx, t.ID, now))
		}
		return &Principal{Token: &t}
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil || !wellFormed(c.Value, prefixLogin) {
		return &Principal{}
	}
	hash := HashSecret(c.Value)
	ls, err := g.store.LoginSession(ctx, hash, now)
	if err != nil {
		g.lookupFailed(err)
		return &Principal{}
	}
	p := &Principal{User: &ls.User, Login: &ls}
	if !ls.User.Role.AllProjects() {
		if p.projects, err = g.store.UserProjects(ctx, ls.User.ID); err != nil {
			g.lookupFailed(err)
			return &Principal{}
		}
	}
	if now.Sub(ls.LastSeen) > 5*time.Minute {
		g.lookupFailed(g.store.TouchLoginSession(ctx, hash, now))
	}
	return p
}

func (g *Gate) lookupFailed(err error) {
	if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, context.Canceled) {
		g.logger.Warn("auth: lookup failed; the request is treated as anonymous", "err", err)
	}
}

// IsScraper tells whether the request comes straight from a network of
// --metrics-allow.
func (g *Gate) IsScraper(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	for _, p := range g.scrape {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// enforce applies a route's access, and CSRF protection to its
// state-changing requests.
func (g *Gate) enforce(a Access, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := FromContext(r.Context())
		switch a.Decide(p, projectOf(r), a.Scrape && g.IsScraper(r)) {
		case Unauthorized:
			if r.Method == http.MethodGet && !isAPI(r) {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			g.deny(w, r, http.StatusUnauthorized, "unauthorized", "sign in, or send an API token as Authorization: Bearer TOKEN")
			return
		case Forbidden:
			g.deny(w, r, http.StatusForbidden, "forbidden", "your role or your token's scope does not allow this")
			return
		case Hidden:
			g.deny(w, r, http.StatusNotFound, "not_found", "no such project")
			return
		}
		if !a.Public && !safe(r.Method) {
			if err := g.cop.Check(r); err != nil {
				g.deny(w, r, http.StatusForbidden, "cross_origin", "cross-origin requests that change something are refused")
				return
			}
			if p.Login != nil && !validCSRF(r, p.Login.CSRF) {
				g.deny(w, r, http.StatusForbidden, "csrf", "the form is stale or did not come from this site; reload the page and try again")
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

func safe(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

func isAPI(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/metrics"
}

// validCSRF checks the token a request carries against want, in a header
// or a form field.
func validCSRF(r *http.Request, want string) bool {
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		r.Body = http.MaxBytesReader(nil, r.Body, 64<<10)
		got = r.PostFormValue(CSRFField)
	}
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// FormToken returns the double-submit token of the forms shown before
// signing in (login, setup, invitation), setting its cookie when the
// browser has none.
func (g *Gate) FormToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(formCookie); err == nil && wellFormed(c.Value, "f_") {
		return c.Value
	}
	v, _ := NewSecret("f_")
	http.SetCookie(w, &http.Cookie{Name: formCookie, Value: v, Path: "/", HttpOnly: true, Secure: g.Secure(), SameSite: http.SameSiteStrictMode})
	return v
}

// CheckPublicForm refuses a pre-login form post that is cross-origin or
// lacks its double-submit token; it has answered when it returns false.
func (g *Gate) CheckPublicForm(w http.ResponseWriter, r *http.Request) bool {
	if err := g.cop.Check(r); err != nil {
		g.deny(w, r, http.StatusForbidden, "cross_origin", "cross-origin requests that change something are refused")
		return false
	}
	c, err := r.Cookie(formCookie)
	if err != nil || !validCSRF(r, c.Value) {
		g.deny(w, r, http.StatusForbidden, "csrf", "the form is stale or did not come from this site; reload the page and try again")
		return false
	}
	return true
}

var denyPage = template.Must(template.New("deny").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Status}} · Playhead</title>
<link rel="stylesheet" href="/static/dashboard.css"></head>
<body><main data-code="{{.Code}}"><h1>{{.Status}}</h1><p>{{.Message}}</p><p><a href="/">Back to the dashboard</a> · <a href="/login">Sign in</a></p></main></body></html>
`))

// deny answers a refusal: JSON on the API, a page elsewhere.
func (g *Gate) deny(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	if status == http.StatusUnauthorized && isAPI(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="playhead"`)
	}
	if isAPI(r) || r.Header.Get(CSRFHeader) != "" {
		WriteError(w, status, code, msg)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	denyPage.Execute(w, map[string]any{"Status": http.StatusText(status), "Code": code, "Message": msg})
}

// WriteError writes the API's error answer.
func WriteError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}
