package server_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/playhead/playhead/internal/auth"
	"github.com/playhead/playhead/internal/server"
	"github.com/playhead/playhead/internal/server/servertest"
)

func TestMembersSeeOnlyTheirProjects(t *testing.T) {
	base, data := start(t)
	env := newAuthzEnv(t, base, data)
	ids := func(c *http.Client, path string) []string {
		t.Helper()
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct{ Sessions []sessionJSON }
		if err := jsonDecode(resp.Body, &out); err != nil {
			t.Fatalf("GET %s: %s %v", path, resp.Status, err)
		}
		var got []string
		for _, s := range out.Sessions {
			got = append(got, s.ID)
		}
		return got
	}
	if got := ids(env.clients[memberA], "/api/v1/sessions"); strings.Join(got, ",") != "sa" {
		t.Errorf("member of A lists %v, want only sa", got)
	}
	if got := ids(env.clients[memberB], "/api/v1/sessions"); strings.Join(got, ",") != "sb" {
		t.Errorf("member of B lists %v, want only sb", got)
	}
	if got := ids(env.clients[owner], "/api/v1/sessions"); len(got) != 2 {
		t.Errorf("owner lists %v, want both sessions", got)
	}
	// The dashboard's list too.
	resp, err := env.clients[memberA].Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "/sessions/sa") || strings.Contains(string(page), "/sessions/sb") {
		t.Errorf("the dashboard of a member of A does not list exactly sa:\n%s", page)
	}
}

func TestShareLinkPlaysOneSessionUntilRevoked(t *testing.T) {
	base, data := start(t)
	env := newAuthzEnv(t, base, data)
	// A member makes a link through the API.
	req, _ := http.NewRequest("POST", sessionURL(base, env.projectA, "sa")+"/shares", strings.NewReader(`{"expires_in":"24h","start_ms":1500}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(auth.CSRFHeader, env.csrf[memberA])
	resp, err := env.clients[memberA].Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var made struct {
		ID  int64
		URL string
	}
	if err := jsonDecode(resp.Body, &made); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("make a share link: %s %v", resp.Status, err)
	}
	resp.Body.Close()
	token := strings.TrimPrefix(made.URL, base+"/share/")
	if token == made.URL || !strings.HasPrefix(token, "phr_") {
		t.Fatalf("share URL %q is not under %s/share/", made.URL, base)
	}
	get := func(path string) (int, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, page := get("/share/" + token); status != 200 || !strings.Contains(page, `data-start="1500"`) {
		t.Errorf("shared page: %d\n%s", status, page)
	}
	if status, events := get("/api/v1/share/" + token + "/events"); status != 200 || !strings.Contains(events, "shop.example/sa") {
		t.Errorf("shared events: %d %s", status, events)
	}
	// Nothing else of the project: the token reads no other route.
	req, _ = http.NewRequest("GET", sessionURL(base, env.projectA, "sa"), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the share token as a bearer token: %v %v", resp.Status, err)
	}
	// Revoked, it plays no more.
	req, _ = http.NewRequest("DELETE", sessionURL(base, env.projectA, "sa")+"/shares/"+itoa(made.ID), nil)
	req.Header.Set("Authorization", "Bearer "+env.tokens[tokWrite])
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("revoke: %v %v", resp.Status, err)
	}
	for _, path := range []string{"/share/" + token, "/api/v1/share/" + token, "/api/v1/share/" + token + "/events"} {
		if status, _ := get(path); status != http.StatusNotFound {
			t.Errorf("GET %s after revoking: %d, want 404", path, status)
		}
	}
}

func TestCSRFAndCrossOriginRefused(t *testing.T) {
	base, _ := start(t)
	c := servertest.Login(t, base, servertest.OwnerEmail, servertest.OwnerPassword)
	csrf := servertest.CSRF(t, c, base)
	for _, tt := range []struct {
		name    string
		form    url.Values
		headers map[string]string
		want    int
	}{
		{"no token", url.Values{"name": {"x"}, "scope": {"read"}}, nil, 403},
		{"wrong token", url.Values{"name": {"x"}, "scope": {"read"}, "csrf": {"c_nope"}}, nil, 403},
		{"cross-site", url.Values{"name": {"x"}, "scope": {"read"}, "csrf": {csrf}}, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"other origin", url.Values{"name": {"x"}, "scope": {"read"}, "csrf": {csrf}}, map[string]string{"Origin": "http://evil.example"}, 403},
		{"same origin with the token", url.Values{"name": {"x"}, "scope": {"read"}, "csrf": {csrf}}, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": base}, 200},
	} {
		req, _ := http.NewRequest("POST", base+"/tokens", strings.NewReader(tt.form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range tt.headers {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s: %d, want %d\n%s", tt.name, resp.StatusCode, tt.want, b)
		}
	}
}

func TestHostChecked(t *testing.T) {
	base, _ := start(t)
	for _, tt := range []struct {
		host, path string
		want       int
	}{
		{"evil.example", "/api/v1/sessions", http.StatusMisdirectedRequest},
		{"evil.example", "/login", http.StatusMisdirectedRequest},
		{"evil.example", "/healthz", http.StatusOK}, // from loopback
		{"localhost:" + base[strings.LastIndexByte(base, ':')+1:], "/healthz", http.StatusOK},
	} {
		req, _ := http.NewRequest("GET", base+tt.path, nil)
		req.Host = tt.host
		resp, err := servertest.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("GET %s with Host %s: %d, want %d", tt.path, tt.host, resp.StatusCode, tt.want)
		}
	}
}

func TestListensBeyondLoopbackOnlyWithOwner(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := server.DefaultConfig()
	cfg.Addr, cfg.Data = "0.0.0.0:0", t.TempDir()
	err := server.Run(context.Background(), cfg, logger, nil)
	if !errors.Is(err, server.ErrNoOwner) {
		t.Fatalf("start on 0.0.0.0 without an owner: %v, want ErrNoOwner", err)
	}
	// With an owner, it needs to know its public URL.
	cfg.Data = t.TempDir()
	servertest.AddOwner(t, cfg.Data)
	if err := server.Run(context.Background(), cfg, logger, nil); err == nil || !strings.Contains(err.Error(), "--public-url") {
		t.Fatalf("start on 0.0.0.0 without --public-url: %v", err)
	}
	base, _ := start(t, func(c *server.Config) {
		c.Data = t.TempDir()
		servertest.AddOwner(t, c.Data)
		c.Addr, c.PublicURL = "0.0.0.0:0", "https://playhead.example"
	})
	// It answers only as its public URL.
	req, _ := http.NewRequest("GET", strings.Replace(base, "0.0.0.0", "127.0.0.1", 1)+"/login", nil)
	req.Host = "playhead.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /login as playhead.example: %s", resp.Status)
	}
	// Its cookies are Secure.
	for _, c := range resp.Cookies() {
		if !c.Secure || !c.HttpOnly {
			t.Errorf("cookie %s: Secure %v HttpOnly %v", c.Name, c.Secure, c.HttpOnly)
		}
	}
}

func TestMetricsAllowList(t *testing.T) {
	base, _ := start(t, func(c *server.Config) { c.MetricsAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/metrics from an allowed network: %s", resp.Status)
	}
	base, _ = start(t, func(c *server.Config) { c.MetricsAllow = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")} })
	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("/metrics from another network: %s", resp.Status)
	}
}
