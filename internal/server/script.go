package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/playhead/playhead/internal/store"
)

// settingsMarker is the string literal of the recorder bundle that the
// server replaces by a project's settings (web/src/recorder/index.ts).
const settingsMarker = `"/*playhead:settings*/"`

// How long the recorder served for one key may be cached: by browsers and
// proxies (a settings change reaches pages within it), and by the server
// before it reads the project again.
const (
	keyedMaxAge = 60 * time.Second
	keyedTTL    = 10 * time.Second
	// unknownMaxAge is the caching of the generic script served for a key
	// no project has: a key that has stopped stays stopped.
	unknownMaxAge = time.Hour
	maxKeyedCache = 1000
)

// ScriptProjects finds the project of an ingest key.
type ScriptProjects interface {
	ProjectByKey(ctx context.Context, key string) (store.Project, error)
}

// script is one body of playhead.js, plain and gzipped.
type script struct {
	plain, zipped []byte
	version       string // of the plain body; the ETag's value
}

func newScript(plain []byte) (script, error) {
	sum := sha256.Sum256(plain)
	var zipped bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&zipped, gzip.BestCompression)
	zw.Write(plain)
	if err := zw.Close(); err != nil {
		return script{}, fmt.Errorf("recorder script: %w", err)
	}
	return script{plain: plain, zipped: zipped.Bytes(), version: hex.EncodeToString(sum[:8])}, nil
}

// recorderScripts serves playhead.js, compressed once: gzip for the
// clients that accept it, with an ETag so that a revalidation costs no
// body. /playhead.js?v=<version> (the ETag's value) may be cached for
// good; /playhead.js itself only for an hour, so that a new release
// reaches visitors soon. /playhead.js?key=KEY carries the settings of the
// key's project, so that they hold on every page from the first event,
// and is cached for a minute; a key no project has gets the generic
// script, which records nothing without a key, so a page never breaks.
type recorderScripts struct {
	generic  script
	head     []byte // the bundle up to the settings marker
	tail     []byte // and after it
	projects ScriptProjects
	logger   *slog.Logger

	mu    sync.Mutex
	keyed map[string]keyedScript
}

type keyedScript struct {
	settings []byte // the JSON written into the script; nil: no project
	script   script
	expires  time.Time
}

func recorderScript(files fs.FS, projects ScriptProjects, logger *slog.Logger) (*recorderScripts, error) {
	plain, err := fs.ReadFile(files, "playhead.js")
	if err != nil {
		return nil, fmt.Errorf("recorder script: %w", err)
	}
	if n := bytes.Count(plain, []byte(settingsMarker)); n != 1 {
		return nil, fmt.Errorf("recorder script: %d settings markers, want 1", n)
	}
	head, tail, _ := bytes.Cut(plain, []byte(settingsMarker))
	generic, err := newScript(plain)
	if err != nil {
		return nil, err
	}
	return &recorderScripts{generic: generic, head: head, tail: tail, projects: projects, logger: logger,
		keyed: map[string]keyedScript{}}, nil
}

// scriptSettings is what the recorder is told of its project; the names
// are the recorder's options.
type scriptSettings struct {
	Key        string  `json:"key"`
	SampleRate float64 `json:"sampleRate"`
	store.RecorderSettings
}

// settingsJSON is the project's settings as the recorder reads them: a
// project switched off samples nothing.
func settingsJSON(p store.Project) []byte {
	s := scriptSettings{Key: p.Key, SampleRate: p.SampleRate, RecorderSettings: p.Recorder}
	if !p.Enabled {
		s.SampleRate = 0
	}
	b, _ := json.Marshal(s) // plain fields: cannot fail
	return b
}

// forKey returns the script for key, and ok false when no project has it.
func (rs *recorderScripts) forKey(ctx context.Context, key string) (s script, ok bool, err error) {
	now := time.Now()
	rs.mu.Lock()
	e, cached := rs.keyed[key]
	rs.mu.Unlock()
	if cached && now.Before(e.expires) {
		return e.script, e.settings != nil, nil
	}
	p, err := rs.projects.ProjectByKey(ctx, key)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return script{}, false, err
	}
	var settings []byte
	if err == nil {
		settings = settingsJSON(p)
	}
	switch {
	case settings == nil:
		e.script = rs.generic
	case !bytes.Equal(settings, e.settings):
		// The settings as a JS string literal for JSON.parse: JSON
		// escapes what could end the script or the literal.
		lit, _ := json.Marshal(string(settings))
		body := make([]byte, 0, len(rs.head)+len(lit)+len(rs.tail))
		body = append(append(append(body, rs.head...), lit...), rs.tail...)
		if e.script, err = newScript(body); err != nil {
			return script{}, false, err
		}
	}
	e.settings, e.expires = settings, now.Add(keyedTTL)
	rs.mu.Lock()
	if len(rs.keyed) >= maxKeyedCache {
		clear(rs.keyed) // crude, but bounded and rare
	}
	rs.keyed[key] = e
	rs.mu.Unlock()
	return e.script, settings != nil, nil
}

// Forget drops what is cached for key, so that the next request reads
// its project again: after its settings change or the key is rotated.
func (rs *recorderScripts) Forget(key string) {
	rs.mu.Lock()
	delete(rs.keyed, key)
	rs.mu.Unlock()
}

func (rs *recorderScripts) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// Sites load the recorder from here: any origin may.
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Vary", "Accept-Encoding")
	q := r.URL.Query()
	s := rs.generic
	switch key := q.Get("key"); {
	case key != "":
		keyed, ok, err := rs.forKey(r.Context(), key)
		switch {
		case err != nil:
			// The recorder without a key records nothing; the page goes on.
			rs.logger.Warn("recorder script: project unreadable; serving the generic script", "err", err)
			h.Set("Cache-Control", "no-store")
		case ok:
			s = keyed
			h.Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(keyedMaxAge.Seconds())))
		default:
			h.Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(unknownMaxAge.Seconds())))
		}
	case q.Get("v") == s.version:
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	default:
		h.Set("Cache-Control", "public, max-age=3600")
	}
	body, etag := s.plain, `"`+s.version+`"`
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		body, etag = s.zipped, `"`+s.version+`-gz"`
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
