// Package servertest runs a whole Playhead server in the test's process, on
// a loopback port and a fresh data folder, for tests that talk to it over
// HTTP.
package servertest

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/backend"
	"github.com/playhead/playhead/internal/server"
	"github.com/playhead/playhead/internal/store"
)

// Start runs a server until the test ends and returns its base URL and
// data folder. configure, if given, changes the default configuration.
//
// The data folder has an owner (OwnerEmail, OwnerPassword) and an admin
// API token that Get and Do send; StartEmpty starts without them.
func Start(t testing.TB, configure ...func(*server.Config)) (base, data string) {
	t.Helper()
	return start(t, true, configure...)
}

// StartEmpty is Start on a data folder without any user or token, as a
// first start finds it.
func StartEmpty(t testing.TB, configure ...func(*server.Config)) (base, data string) {
	t.Helper()
	return start(t, false, configure...)
}

func start(t testing.TB, owner bool, configure ...func(*server.Config)) (base, data string) {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.Addr, cfg.Data = "127.0.0.1:0", t.TempDir()
	for _, c := range configure {
		c(&cfg)
	}
	data = cfg.Data
	var token string
	if owner {
		token = addOwner(t, data)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	logs := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	go func() {
		done <- server.Run(ctx, cfg, logger, func(a string) { addr <- a })
	}()
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("server did not start: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	if token != "" {
		tokens.Store(hostOf(base), token)
	}
	serverLogs.Store(hostOf(base), logs)
	return base, data
}

// CreateProject adds a project to the data folder of a running server, as
// `playhead project create` does, and returns its ingest key.
func CreateProject(t testing.TB, data string, origins ...string) string {
	t.Helper()
	return Project(t, data, origins...).Key
}

// Project is CreateProject returning the whole project.
func Project(t testing.TB, data string, origins ...string) store.Project {
	t.Helper()
	b, err := backend.Open(context.Background(), data, backend.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	p, err := b.Accounts.CreateProject(context.Background(), "test", origins)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// GetJSON reads the JSON answer at url (Get) into v.
func GetJSON(t testing.TB, url string, v any) {
	t.Helper()
	resp, err := Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
}

// Chunk is an entry of a session's chunk index (docs/api.md).
type Chunk struct {
	Pending bool  `json:"pending"`
	Start   int64 `json:"start_ms"`
	End     int64 `json:"end_ms"`
}

// Chunks reads the chunk index of the session at url (its API path).
func Chunks(t testing.TB, url string) []Chunk {
	t.Helper()
	var index struct {
		Chunks []Chunk `json:"chunks"`
	}
	GetJSON(t, url+"/chunks", &index)
	return index.Chunks
}

// WaitCompacted waits, five minutes at most, until nothing of the session
// at url (its API path) waits for compaction, and returns the length of
// its recording in ms, from its chunk index.
func WaitCompacted(t testing.TB, url string) int64 {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for {
		chunks := Chunks(t, url)
		pending := len(chunks) == 0
		var start, end int64 = 1 << 62, 0
		for _, c := range chunks {
			pending = pending || c.Pending
			start, end = min(start, c.Start), max(end, c.End)
		}
		if !pending {
			return end - start
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not compacted within 5 minutes", url)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
