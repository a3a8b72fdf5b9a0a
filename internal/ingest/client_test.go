package ingest

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

func TestClientAddr(t *testing.T) {
	proxies, err := ParseProxies("127.0.0.1, 10.0.0.0/8,::1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		remote string
		xff    []string
		want   string
	}{
		{"203.0.113.7:5000", nil, "203.0.113.7"},
		{"203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"}, // not a proxy: its header is ignored
		{"127.0.0.1:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"127.0.0.1:5000", []string{"6.6.6.6, 198.51.100.1, 10.1.2.3"}, "198.51.100.1"}, // nearest untrusted hop
		{"127.0.0.1:5000", []string{"6.6.6.6", "198.51.100.1"}, "198.51.100.1"},         // several headers read as one list
		{"[::1]:5000", []string{"2001:db8::5"}, "2001:db8::5"},
		{"127.0.0.1:5000", []string{"nonsense"}, "127.0.0.1"},
		{"127.0.0.1:5000", nil, "127.0.0.1"},
		{"[::ffff:127.0.0.1]:5000", []string{"198.51.100.1"}, "198.51.100.1"},
	}
	for _, tt := range tests {
		r := &http.Request{RemoteAddr: tt.remote, Header: http.Header{}}
		for _, v := range tt.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := proxies.clientAddr(r); got != tt.want {
			t.Errorf("%s with %q: %s, want %s", tt.remote, tt.xff, got, tt.want)
		}
	}
	if got := Proxies(nil).clientAddr(&http.Request{RemoteAddr: "127.0.0.1:1", Header: http.Header{"X-Forwarded-For": {"1.2.3.4"}}}); got != "127.0.0.1" {
		t.Errorf("no trusted proxies: %s", got)
	}
	for _, bad := range []string{"nonsense", "10.0.0.0/99", "1.2.3"} {
		if _, err := ParseProxies(bad); err == nil {
			t.Errorf("ParseProxies(%q) accepted", bad)
		}
	}
}

// FuzzClientAddr reads arbitrary peer addresses, X-Forwarded-For headers and
// proxy lists. It must not panic; the peer's own address is the answer
// unless the peer is a trusted proxy; and an address taken from the header
// is a real address, untrusted, that the header names.
func FuzzClientAddr(f *testing.F) {
	f.Add("127.0.0.1,10.0.0.0/8", "127.0.0.1:5000", "6.6.6.6, 198.51.100.1, 10.1.2.3")
	f.Add("::1", "[::1]:80", "2001:db8::5")
	f.Add("0.0.0.0/0", "[::ffff:127.0.0.1]:5000", ",, ,")
	f.Add("", "nonsense", "1.2.3.4")
	f.Fuzz(func(t *testing.T, proxies, remote, xff string) {
		ps, err := ParseProxies(proxies)
		if err != nil {
			return
		}
		r := &http.Request{RemoteAddr: remote, Header: http.Header{}}
		r.Header.Add("X-Forwarded-For", xff)
		got := ps.clientAddr(r)
		host, _, err := net.SplitHostPort(remote)
		if err != nil {
			host = remote
		}
		if got == host {
			return
		}
		peer, err := netip.ParseAddr(host)
		if err != nil || !ps.trusts(peer) {
			t.Fatalf("peer %q is not a trusted proxy, yet the client is %q", remote, got)
		}
		a, err := netip.ParseAddr(got)
		if err != nil || ps.trusts(a) || a.String() != got {
			t.Fatalf("client %q from X-Forwarded-For %q is not an untrusted address", got, xff)
		}
		named := false
		for _, hop := range strings.Split(xff, ",") {
			if h, err := netip.ParseAddr(strings.TrimSpace(hop)); err == nil && h.Unmap() == a {
				named = true
			}
		}
		if !named {
			t.Fatalf("client %q is not in X-Forwarded-For %q", got, xff)
		}
	})
}
