package ingest

import "net/http"

// ClientAddr is the request's client address: RemoteAddr's, or the nearest
// untrusted one in X-Forwarded-For when RemoteAddr is a trusted proxy.
// Other per-client limits (logins) use it too.
func (ps Proxies) ClientAddr(r *http.Request) string { return ps.clientAddr(r) }
