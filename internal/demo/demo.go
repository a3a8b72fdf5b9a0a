// Package demo serves the demo shop at /demo/: a few pages that carry the
// recorder snippet, so that a new install has something real to record.
package demo

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// Handler serves the shop's pages from files: the .html files are
// templates given the snippet; everything else is served as it is.
type Handler struct {
	files   fs.FS
	static  http.Handler
	pages   *template.Template
	snippet template.HTML
}

// New parses the shop's pages. snippet is the recorder's script tag.
func New(files fs.FS, snippet string) (*Handler, error) {
	pages, err := template.ParseFS(files, "*.html")
	if err != nil {
		return nil, fmt.Errorf("parse demo pages: %w", err)
	}
	return &Handler{
		files:   files,
		static:  http.FileServerFS(files),
		pages:   pages,
		snippet: template.HTML(snippet),
	}, nil
}

// Snippet is the recorder's script tag for the project whose key is key,
// loaded from the server at base ("" for the same origin).
func Snippet(base, key string) string {
	return fmt.Sprintf(`<script src="%s/playhead.js" data-key="%s" defer></script>`,
		template.HTMLEscapeString(base), template.HTMLEscapeString(key))
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" {
		name = "index.html"
	}
	if !strings.HasSuffix(name, ".html") {
		h.static.ServeHTTP(w, r)
		return
	}
	t := h.pages.Lookup(name)
	if t == nil {
		http.NotFound(w, r)
		return
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, map[string]any{"Snippet": h.snippet}); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	buf.WriteTo(w)
}
