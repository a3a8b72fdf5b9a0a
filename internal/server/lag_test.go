package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/auth"
	"github.com/playhead/playhead/internal/backend"
	"github.com/playhead/playhead/internal/ingest"
	"github.com/playhead/playhead/internal/process"
	"github.com/playhead/playhead/internal/server"
	"github.com/playhead/playhead/internal/server/servertest"
)

// TestListSaysWhatIsNotIndexedYet serves a recording that the sessions
// index has not taken in (its processor not started, as when it is far
// behind after a burst or rebuilding after an upgrade): the list says that
// recent recordings are missing from it, and says no more once the
// processor has taken them in and the session is listed. A link to the
// session says the same until then.
func TestListSaysWhatIsNotIndexedYet(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	servertest.AddOwner(t, data)
	p := servertest.Project(t, data)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b, err := backend.Open(ctx, data, backend.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	proc := &process.Processor{Log: b.Log, Index: b.Index, Events: b.Log, Logger: logger}
	srv := httptest.NewUnstartedServer(nil)
	public, _ := url.Parse("http://" + srv.Listener.Addr().String())
	h, _, err := server.Handler(b, proc, server.Options{Ingest: ingest.DefaultConfig, Gate: auth.GateConfig{PublicURL: public}}, logger)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Start()
	defer srv.Close()

	batch := map[string]any{"key": p.Key, "session": "late", "window": "w1", "seq": 0, "events": []map[string]any{
		{"type": 4, "timestamp": time.Now().UnixMilli(), "data": map[string]any{"href": "https://shop.example/", "width": 1280, "height": 800}},
	}}
	if status, out := post(t, srv.URL, batch, false); status != http.StatusAccepted {
		t.Fatalf("ingest: %d %s", status, out)
	}

	client := servertest.Login(t, srv.URL, servertest.OwnerEmail, servertest.OwnerPassword)
	list := func() string {
		_, page := getPage(t, client, srv.URL+"/")
		return page
	}
	const notice = "Recent recordings are still being indexed: the oldest waiting came in"
	if page := list(); strings.Contains(page, notice) {
		t.Error("the list says recordings are missing from it a moment after they came")
	}
	// After a few seconds waiting, the batch is missing from the list, and
	// the list says so.
	deadline := time.Now().Add(15 * time.Second)
	for page := list(); !strings.Contains(page, notice); page = list() {
		if time.Now().After(deadline) {
			t.Fatalf("the list does not say a batch waits for the index: %s", page)
		}
		if strings.Contains(page, "/sessions/late") {
			t.Fatal("the session is listed before the index took it in")
		}
		time.Sleep(250 * time.Millisecond)
	}
	// A link to the session says why it is not there yet.
	sessionPage := fmt.Sprintf("%s/projects/%d/sessions/late", srv.URL, p.ID)
	if status, page := getPage(t, client, sessionPage); status != http.StatusNotFound || !strings.Contains(page, "There is no such session yet. Recent recordings are still being indexed") {
		t.Errorf("the session's page before the index has it: %d %s", status, page)
	}
	go proc.Run(ctx)
	deadline = time.Now().Add(15 * time.Second)
	for page := list(); strings.Contains(page, notice) || !strings.Contains(page, "/sessions/late"); page = list() {
		if time.Now().After(deadline) {
			t.Fatalf("with the index caught up the list shows: %s", page)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if status, _ := getPage(t, client, sessionPage); status != http.StatusOK {
		t.Errorf("the session's page once indexed: %d", status)
	}
}
