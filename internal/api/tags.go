package api

import (
	"context"
	"io"
	"net/http"
	"strings"

	"github.com/playhead/playhead/internal/jsonbody"
	"github.com/playhead/playhead/internal/store"
)

// Tags keeps the tags people put on sessions.
type Tags interface {
	Tag(ctx context.Context, project int64, session, tag string) ([]string, error)
	Untag(ctx context.Context, project int64, session, tag string) ([]string, error)
}

// maxTagBody bounds the body of a request to tag a session.
const maxTagBody = 4 << 10

// errBadBody is a request body that cannot be read.
type errBadBody struct{ code, msg string }

func (e errBadBody) Error() string { return e.msg }

// DecodeTagRequest reads {"tag":"…"}: one JSON object with a string tag
// and nothing else.
func DecodeTagRequest(r io.Reader) (string, error) {
	var req struct {
		Tag *string `json:"tag"`
	}
	if err := jsonbody.Decode(r, maxTagBody, &req); err != nil || req.Tag == nil {
		return "", errBadBody{"invalid_json", `the body must be one object {"tag":"…"}, at most 4 KiB`}
	}
	return *req.Tag, nil
}

type tagsJSON struct {
	Tags []string `json:"tags"`
}

// tag puts a tag on a session that the index holds.
func (a *API) tag(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]any{"error": map[string]string{
			"code": "unsupported_media_type", "message": "send the body as application/json"}})
		return
	}
	tag, err := DecodeTagRequest(r.Body)
	if err != nil {
		a.fail(w, err)
		return
	}
	a.changeTags(w, r, tag, a.Tags.Tag)
}

// untag takes a tag off a session.
func (a *API) untag(w http.ResponseWriter, r *http.Request) {
	a.changeTags(w, r, r.PathValue("tag"), a.Tags.Untag)
}

func (a *API) changeTags(w http.ResponseWriter, r *http.Request, tag string,
	change func(context.Context, int64, string, string) ([]string, error)) {
	project, ok := ProjectID(r)
	if !ok {
		a.fail(w, store.ErrNotFound)
		return
	}
	// Only a session the index holds (and the principal sees) is tagged:
	// a tag on a mistyped id would never be listed.
	s, err := a.Sessions.Session(r.Context(), project, r.PathValue("id"))
	if err != nil {
		a.fail(w, err)
		return
	}
	tags, err := change(r.Context(), s.Project, s.ID, tag)
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, tagsJSON{Tags: orEmpty(tags)})
}
