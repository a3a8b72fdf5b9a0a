package account

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/playhead/playhead/internal/auth"
	"github.com/playhead/playhead/internal/jsonbody"
	"github.com/playhead/playhead/internal/store"
)

// The API's routes that a share link reads through, once checked.
const (
	sessionRoute = "GET /api/v1/projects/{project}/sessions/{id}"
	eventsRoute  = "GET /api/v1/projects/{project}/sessions/{id}/events"
	chunksRoute  = "GET /api/v1/projects/{project}/sessions/{id}/chunks"
)

// maxShareLifetime bounds how long a share link may play.
const maxShareLifetime = 365 * 24 * time.Hour

func (p *Pages) registerShares(mux Mux) {
	mux.HandleFunc("GET /projects/{project}/sessions/{id}/shares", p.sharesPage)
	mux.HandleFunc("POST /projects/{project}/sessions/{id}/shares", p.createSharePage)
	mux.HandleFunc("POST /projects/{project}/sessions/{id}/shares/{share}/revoke", p.revokeSharePage)
	mux.HandleFunc("GET /api/v1/projects/{project}/sessions/{id}/shares", p.sharesJSON)
	mux.HandleFunc("POST /api/v1/projects/{project}/sessions/{id}/shares", p.createShareJSON)
	mux.HandleFunc("DELETE /api/v1/projects/{project}/sessions/{id}/shares/{share}", p.revokeShareJSON)
	mux.HandleFunc("GET /share/{token}", p.sharePage)
	mux.HandleFunc("GET /api/v1/share/{token}", p.shareAPI(sessionRoute))
	mux.HandleFunc("GET /api/v1/share/{token}/events", p.shareAPI(eventsRoute))
	mux.HandleFunc("GET /api/v1/share/{token}/chunks", p.shareAPI(chunksRoute))
}

// theSession reads the session of the path; the route's access has
// checked the project.
func (p *Pages) theSession(r *http.Request) (store.Session, error) {
	project, err := strconv.ParseInt(r.PathValue("project"), 10, 64)
	if err != nil {
		return store.Session{}, store.ErrNotFound
	}
	return p.Store.Session(r.Context(), project, r.PathValue("id"))
}

func (p *Pages) sharesPage(w http.ResponseWriter, r *http.Request) {
	p.sharesPageWith(w, r, http.StatusOK, "", "")
}

func (p *Pages) sharesPageWith(w http.ResponseWriter, r *http.Request, status int, errMsg, created string) {
	s, err := p.theSession(r)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	list, err := p.Store.Shares(r.Context(), s.Project, s.ID)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	type row struct {
		store.Share
		Active bool
	}
	var rows []row
	for _, sh := range list {
		rows = append(rows, row{sh, sh.Active(time.Now())})
	}
	me := auth.FromContext(r.Context())
	p.render(w, r, status, "shares", errMsg, map[string]any{
		"Session": s, "Shares": rows, "Created": created, "CanShare": me.Role().AtLeast(store.RoleMember),
	})
}

// ShareRequest is what making a share link takes: the form's fields, or
// the API's JSON body.
type ShareRequest struct {
	// ExpiresIn is how long the link plays: a Go duration such as 24h;
	// "" or 0 for ever.
	ExpiresIn string `json:"expires_in"`
	// StartMS is where the replay starts, from the session's start.
	StartMS int64 `json:"start_ms"`
}

// maxShareBody bounds the body of a request to make a share link.
const maxShareBody = 4 << 10

// DecodeShareRequest reads the JSON body of a request to make a share
// link: one object of expires_in and start_ms, both optional, and nothing
// after it.
func DecodeShareRequest(r io.Reader) (ShareRequest, error) {
	var req ShareRequest
	if err := jsonbody.Decode(r, maxShareBody, &req); err != nil {
		return ShareRequest{}, fmt.Errorf("share link request: %w", err)
	}
	return req, nil
}

var errBadShare = errors.New("expires_in must be a duration from 1m to 8760h (or empty for a link that never expires), start_ms 0 or more")

// newShare makes a share link of the path's session.
func (p *Pages) newShare(r *http.Request, req ShareRequest) (secret string, sh store.Share, err error) {
	var expires time.Time
	if req.ExpiresIn != "" && req.ExpiresIn != "0" {
		d, err := time.ParseDuration(req.ExpiresIn)
		if err != nil || d < time.Minute || d > maxShareLifetime {
			return "", store.Share{}, errBadShare
		}
		expires = time.Now().Add(d).UTC()
	}
	if req.StartMS < 0 {
		return "", store.Share{}, errBadShare
	}
	s, err := p.theSession(r)
	if err != nil {
		return "", store.Share{}, err
	}
	secret, hash := auth.NewSecret("phr_")
	sh, err = p.Store.CreateShare(r.Context(), store.Share{Hash: hash, Project: s.Project, Session: s.ID, StartMS: req.StartMS,
		Expires: expires, By: auth.FromContext(r.Context()).Label()})
	if err != nil {
		return "", store.Share{}, err
	}
	p.Logger.Info("share link made", "by", auth.FromContext(r.Context()).Label(), "project", s.Project, "session", s.ID, "expires", expires)
	p.record(r, "share.create", s.Project, s.ID, "link "+strconv.FormatInt(sh.ID, 10))
	return secret, sh, nil
}

// parseStart reads a moment typed as seconds or m:ss.
func parseStart(v string) (int64, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, true
	}
	var total int64
	for _, part := range strings.Split(v, ":") {
		n, err := strconv.ParseInt(part, 10, 64)
		if err != nil || n < 0 || n > 1e7 {
			return 0, false
		}
		total = total*60 + n
	}
	return total * 1000, true
}

func (p *Pages) createSharePage(w http.ResponseWriter, r *http.Request) {
	start, ok := parseStart(r.PostFormValue("start"))
	if !ok {
		p.sharesPageWith(w, r, http.StatusBadRequest, "Give the start as seconds or minutes:seconds.", "")
		return
	}
	secret, _, err := p.newShare(r, ShareRequest{ExpiresIn: r.PostFormValue("expires"), StartMS: start})
	if errors.Is(err, errBadShare) {
		p.sharesPageWith(w, r, http.StatusBadRequest, err.Error(), "")
		return
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.sharesPageWith(w, r, http.StatusOK, "", p.Gate.PublicURL()+"/share/"+secret)
}

func (p *Pages) revokeShare(r *http.Request) error {
	s, err := p.theSession(r)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("share"), 10, 64)
	if err != nil {
		return store.ErrNotFound
	}
	list, err := p.Store.Shares(r.Context(), s.Project, s.ID)
	if err != nil {
		return err
	}
	for _, sh := range list {
		if sh.ID == id {
			p.Logger.Info("share link revoked", "by", auth.FromContext(r.Context()).Label(), "project", s.Project, "session", s.ID, "id", id)
			if err := p.Store.RevokeShare(r.Context(), s.Project, id); err != nil {
				return err
			}
			p.record(r, "share.revoke", s.Project, s.ID, "link "+strconv.FormatInt(id, 10))
			return nil
		}
	}
	return store.ErrNotFound
}

func (p *Pages) revokeSharePage(w http.ResponseWriter, r *http.Request) {
	if err := p.revokeShare(r); err != nil {
		p.fail(w, r, err)
		return
	}
	back(w, r, "/projects/"+r.PathValue("project")+"/sessions/"+r.PathValue("id")+"/shares")
}

type shareJSON struct {
	ID      int64      `json:"id"`
	StartMS int64      `json:"start_ms"`
	Created time.Time  `json:"created"`
	Expires *time.Time `json:"expires"`
	Revoked bool       `json:"revoked"`
	Active  bool       `json:"active"`
	By      string     `json:"by"`
	URL     string     `json:"url,omitempty"` // only when made: the token is not kept
}

func toShareJSON(sh store.Share) shareJSON {
	j := shareJSON{ID: sh.ID, StartMS: sh.StartMS, Created: sh.Created, Revoked: sh.Revoked, Active: sh.Active(time.Now()), By: sh.By}
	if !sh.Expires.IsZero() {
		j.Expires = &sh.Expires
	}
	return j
}

func (p *Pages) sharesJSON(w http.ResponseWriter, r *http.Request) {
	s, err := p.theSession(r)
	if err != nil {
		p.failJSON(w, err)
		return
	}
	list, err := p.Store.Shares(r.Context(), s.Project, s.ID)
	if err != nil {
		p.failJSON(w, err)
		return
	}
	out := []shareJSON{}
	for _, sh := range list {
		out = append(out, toShareJSON(sh))
	}
	writeJSON(w, http.StatusOK, map[string]any{"shares": out})
}

func (p *Pages) createShareJSON(w http.ResponseWriter, r *http.Request) {
	req, err := DecodeShareRequest(r.Body)
	if err != nil {
		auth.WriteError(w, http.StatusBadRequest, "invalid_json", `the body must be one object {"expires_in":"24h","start_ms":0}, at most 4 KiB`)
		return
	}
	secret, sh, err := p.newShare(r, req)
	if errors.Is(err, errBadShare) {
		auth.WriteError(w, http.StatusBadRequest, "invalid_share", err.Error())
		return
	}
	if err != nil {
		p.failJSON(w, err)
		return
	}
	j := toShareJSON(sh)
	j.URL = p.Gate.PublicURL() + "/share/" + secret
	writeJSON(w, http.StatusCreated, j)
}

func (p *Pages) revokeShareJSON(w http.ResponseWriter, r *http.Request) {
	if err := p.revokeShare(r); err != nil {
		p.failJSON(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// activeShare finds the share link of the path's {token} that still plays.
func (p *Pages) activeShare(r *http.Request) (store.Share, error) {
	token := r.PathValue("token")
	if !strings.HasPrefix(token, "phr_") || len(token) > 64 {
		return store.Share{}, store.ErrNotFound
	}
	sh, err := p.Store.ShareByHash(r.Context(), auth.HashSecret(token))
	if err != nil {
		return store.Share{}, err
	}
	if !sh.Active(time.Now()) {
		return store.Share{}, store.ErrNotFound
	}
	return sh, nil
}

func (p *Pages) sharePage(w http.ResponseWriter, r *http.Request) {
	sh, err := p.activeShare(r)
	if errors.Is(err, store.ErrNotFound) {
		p.message(w, r, http.StatusNotFound, "Shared replay", "This link does not play: it was revoked, has expired or never existed.")
		return
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	s, err := p.Store.Session(r.Context(), sh.Project, sh.Session)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.renderShare(w, r, s, sh)
}

// shareAPI serves a route of the API for the session of a share link,
// and for nothing else.
func (p *Pages) shareAPI(route string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sh, err := p.activeShare(r)
		if err != nil {
			p.failJSON(w, err)
			return
		}
		r2 := r.WithContext(auth.WithPrincipal(r.Context(), &auth.Principal{Share: &sh}))
		r2.SetPathValue("project", strconv.FormatInt(sh.Project, 10))
		r2.SetPathValue("id", sh.Session)
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Referrer-Policy", "no-referrer")
		p.Raw(route).ServeHTTP(w, r2)
	}
}

func (p *Pages) failJSON(w http.ResponseWriter, err error) {
	var ue *store.UnavailableError
	switch {
	case errors.Is(err, store.ErrNotFound):
		auth.WriteError(w, http.StatusNotFound, "not_found", "no such session or share link")
	case errors.As(err, &ue):
		w.Header().Set("Retry-After", "10")
		auth.WriteError(w, http.StatusServiceUnavailable, string(ue.Reason), "the data folder cannot be used now: "+ue.Reason.Describe())
	case errors.Is(err, store.ErrClosed):
		w.Header().Set("Retry-After", "1")
		auth.WriteError(w, http.StatusServiceUnavailable, "shutting_down", "the server is shutting down; retry later")
	default:
		p.Logger.Error("account api", "err", err)
		auth.WriteError(w, http.StatusInternalServerError, "internal", "something went wrong; see the server log")
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
