package server

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
)

// recorderScript serves playhead.js, compressed once at start: gzip for
// the clients that accept it, with an ETag so that a revalidation costs
// no body. /playhead.js?v=<version> (the ETag's value) may be cached
// for good; /playhead.js itself only for an hour, so that a new release
// reaches visitors soon.
func recorderScript(files fs.FS) (http.Handler, error) {
	plain, err := fs.ReadFile(files, "playhead.js")
	if err != nil {
		return nil, fmt.Errorf("recorder script: %w", err)
	}
	sum := sha256.Sum256(plain)
	version := hex.EncodeToString(sum[:8])
	var zipped bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&zipped, gzip.BestCompression)
	zw.Write(plain)
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("recorder script: %w", err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		// Sites load the recorder from here: any origin may.
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Content-Type", "text/javascript; charset=utf-8")
		h.Set("Vary", "Accept-Encoding")
		if r.URL.Query().Get("v") == version {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "public, max-age=3600")
		}
		body, etag := plain, `"`+version+`"`
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			body, etag = zipped.Bytes(), `"`+version+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
		h.Set("ETag", etag)
		if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Length", fmt.Sprint(len(body)))
		if r.Method != http.MethodHead {
			w.Write(body)
		}
	}), nil
}

// acceptsGzip reads Accept-Encoding well enough for browsers, which list
// gzip without weights; "gzip;q=0" refuses it.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") {
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}
