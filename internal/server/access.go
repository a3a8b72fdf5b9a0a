package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/playhead/playhead/internal/auth"
)

// ErrNoOwner refuses to listen beyond loopback before anyone can sign in.
var ErrNoOwner = errors.New("no owner exists yet; create one first with `playhead user create EMAIL --role owner` " +
	"(on the same --data folder), or start on a loopback address and use the setup link the server prints")

// loopbackAddr tells whether a listen address stays on this machine.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// ParsePublicURL checks a --public-url: an http or https origin, maybe
// with a trailing slash.
func ParsePublicURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("public URL %q: give the address people use, such as https://playhead.example.com", s)
	}
	u.Path = ""
	u.Host = strings.ToLower(u.Host)
	return u, nil
}

// gateConfig is the gate's configuration for a server listening on
// listenAddr: its public URL is --public-url, or for a loopback listener
// http://127.0.0.1:PORT, also reachable as localhost.
func gateConfig(cfg Config, listenAddr string, logger *slog.Logger) (auth.GateConfig, error) {
	gc := auth.GateConfig{MetricsAllow: cfg.MetricsAllow, Logger: logger}
	_, port, _ := net.SplitHostPort(listenAddr)
	if cfg.PublicURL != "" {
		u, err := ParsePublicURL(cfg.PublicURL)
		if err != nil {
			return gc, err
		}
		gc.PublicURL = u
	} else {
		if !loopbackAddr(listenAddr) {
			return gc, errors.New("--public-url is needed when listening beyond this machine: requests are refused unless they name the server by it")
		}
		gc.PublicURL = &url.URL{Scheme: "http", Host: "127.0.0.1:" + port}
	}
	if loopbackAddr(listenAddr) {
		gc.OtherHosts = []string{"127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port}
	}
	return gc, nil
}

// setupToken returns a one-time token for the setup page while no owner
// exists, "" otherwise.
func setupToken(ctx context.Context, st interface {
	HasOwner(ctx context.Context) (bool, error)
}) (string, error) {
	has, err := st.HasOwner(ctx)
	if err != nil || has {
		return "", err
	}
	token, _ := auth.NewSecret("setup_")
	return token, nil
}

// ingestHandler serves what the recorded sites need, and nothing else:
// the --ingest-addr listener, for a dashboard kept on a private network.
func ingestHandler(full *http.ServeMux) http.Handler {
	mux := http.NewServeMux()
	for _, p := range []string{"/api/v1/ingest", "GET /playhead.js", "GET /healthz"} {
		h, _ := full.Handler(mustRequest(p))
		mux.Handle(p, h)
	}
	return mux
}

func mustRequest(pattern string) *http.Request {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = http.MethodPost, pattern
	}
	r, _ := http.NewRequest(method, path, nil)
	return r
}

// loopbackRequest tells whether the request comes from this machine
// directly.
func loopbackRequest(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}
