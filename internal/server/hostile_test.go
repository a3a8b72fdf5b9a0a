package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/playhead/playhead/internal/ingest"
	"github.com/playhead/playhead/internal/store/sqlite"
)

// endless is an unending body of one byte, sent as it is read.
type endless byte

func (e endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(e)
	}
	return len(p), nil
}

// readError reads an answer and returns its status and error code.
func readError(t *testing.T, resp *http.Response) (int, string) {
	t.Helper()
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the %d answer: %v", resp.StatusCode, err)
	}
	return resp.StatusCode, errorCode(t, string(out))
}

// TestOverLargeBodyAnswered checks that a client which goes on sending a
// body far over the limit reads the 413, rather than a reset connection.
func TestOverLargeBodyAnswered(t *testing.T) {
	base, _ := start(t)
	const size = 50 << 20
	url := base + "/api/v1/ingest"
	addr := strings.TrimPrefix(base, "http://")

	t.Run("Go client, body of unknown length", func(t *testing.T) {
		req, _ := http.NewRequest("POST", url, io.LimitReader(endless(' '), size))
		req.Header.Set("Content-Type", "application/json")
		resp, err := (&http.Client{Transport: &http.Transport{}}).Do(req)
		if err != nil {
			t.Fatalf("50 MB chunked body: %v", err)
		}
		if status, code := readError(t, resp); status != 413 || code != "body_too_large" {
			t.Fatalf("50 MB chunked body: %d %s", status, code)
		}
	})
	t.Run("Go client, body of known length", func(t *testing.T) {
		req, _ := http.NewRequest("POST", url, bytes.NewReader(bytes.Repeat([]byte{' '}, size)))
		req.Header.Set("Content-Type", "application/json")
		resp, err := (&http.Client{Transport: &http.Transport{}}).Do(req)
		if err != nil {
			t.Fatalf("50 MB body: %v", err)
		}
		if status, code := readError(t, resp); status != 413 || code != "body_too_large" {
			t.Fatalf("50 MB body: %d %s", status, code)
		}
	})
	t.Run("raw client writes everything, then reads", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(60 * time.Second))
		fmt.Fprintf(conn, "POST /api/v1/ingest HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", addr, size)
		if _, err := io.Copy(conn, io.LimitReader(endless('x'), size)); err != nil {
			t.Fatalf("writing the body: %v", err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no answer after the body: %v", err)
		}
		if status, code := readError(t, resp); status != 413 || code != "body_too_large" {
			t.Fatalf("raw 50 MB body: %d %s", status, code)
		}
	})
	t.Run("raw client that expects 100-continue is answered before it sends", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(30 * time.Second))
		fmt.Fprintf(conn, "POST /api/v1/ingest HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n", addr, int64(1)<<30)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no answer to a 1 GiB announcement: %v", err)
		}
		if status, code := readError(t, resp); status != 413 || code != "body_too_large" {
			t.Fatalf("1 GiB announced: %d %s", status, code)
		}
	})
}

// TestHostileFields sends batches that are valid but carry what the server
// keeps beside the events — URLs, User-Agent, key — far over their limits.
func TestHostileFields(t *testing.T) {
	base, data := start(t)
	project := newProject(t, data)
	key := project.Key
	lim := ingest.DefaultLimits
	now := time.Now().UnixMilli()
	meta := func(href string, i int) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"type":4,"data":{"href":%q,"width":1280,"height":720},"timestamp":%d}`, href, now+int64(i)))
	}
	longURL := "https://shop.example/" + strings.Repeat("ü", 20_000)

	t.Run("too many page views", func(t *testing.T) {
		events := make([]json.RawMessage, lim.MaxPageViews+1)
		for i := range events {
			events[i] = meta("https://shop.example/", i)
		}
		status, out := post(t, base, body{key, "many", "w", 0, events}, true)
		if status != 413 || errorCode(t, out) != "too_many_page_views" {
			t.Fatalf("%d page views: %d %s", len(events), status, out)
		}
	})
	t.Run("huge key", func(t *testing.T) {
		status, out := post(t, base, body{strings.Repeat("k", 1<<20), "s", "w", 0, oneEvent()}, true)
		if status != 400 || errorCode(t, out) != "invalid_key" {
			t.Fatalf("1 MB key: %d %s", status, out)
		}
	})
	t.Run("huge header", func(t *testing.T) {
		b, _ := json.Marshal(body{key, "s", "w", 0, oneEvent()})
		req, _ := http.NewRequest("POST", base+"/api/v1/ingest", bytes.NewReader(b))
		req.Header.Set("User-Agent", strings.Repeat("A", 900_000))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("0.9 MB User-Agent: %d", resp.StatusCode)
		}
	})
	t.Run("long URLs and User-Agent are kept cut", func(t *testing.T) {
		events := make([]json.RawMessage, lim.MaxPageViews)
		for i := range events {
			events[i] = meta(longURL, i)
		}
		agent := "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36 " + strings.Repeat("é", 4000)
		status, out := post(t, base, body{key, "long", "w", 0, events}, true, "User-Agent", agent)
		if status != http.StatusAccepted {
			t.Fatalf("long URLs: %d %s", status, out)
		}
		s := waitSession(t, base, project.ID, "long", len(events))
		if len(s.PageViews) != len(events) || s.Browser != "Chrome 140" {
			t.Fatalf("session: %d page views, browser %q", len(s.PageViews), s.Browser)
		}
		for _, pv := range s.PageViews {
			if len(pv.URL) > lim.MaxURL || !strings.HasSuffix(pv.URL, ingest.ClipMark) || !strings.HasPrefix(longURL, strings.TrimSuffix(pv.URL, ingest.ClipMark)) || !utf8.ValidString(pv.URL) {
				t.Fatalf("page view URL of %d bytes, not a prefix of the href marked cut: %.80q…", len(pv.URL), pv.URL)
			}
		}
		st, err := sqlite.Open(context.Background(), data)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		hs, err := st.BatchesAfter(context.Background(), 0, 10, 1<<20)
		if err != nil || len(hs) != 1 {
			t.Fatalf("log: %d batches, %v", len(hs), err)
		}
		if ua := hs[0].UserAgent; len(ua) > lim.MaxUserAgent || !strings.HasSuffix(ua, ingest.ClipMark) || !strings.HasPrefix(agent, strings.TrimSuffix(ua, ingest.ClipMark)) {
			t.Errorf("stored User-Agent of %d bytes: %.80q…", len(ua), ua)
		}
		// The events themselves are stored as sent.
		var got []struct {
			Data struct{ Href string } `json:"data"`
		}
		getJSON(t, sessionURL(base, project.ID, "long")+"/events", &got)
		if len(got) != len(events) || got[0].Data.Href != longURL {
			t.Errorf("events lost their full href: %d events", len(got))
		}
	})
}
