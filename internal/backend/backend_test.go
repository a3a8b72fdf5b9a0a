package backend_test

import (
	"context"
	"errors"
	"testing"

	"github.com/playhead/playhead/internal/backend"
	"github.com/playhead/playhead/internal/blob/blobtest"
)

func open(t *testing.T, dir string, opts backend.Options) *backend.Backend {
	t.Helper()
	b, err := backend.Open(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// One server per data folder; the commands write beside it.
func TestLock(t *testing.T) {
	dir := t.TempDir()
	b := open(t, dir, backend.Options{Lock: true})
	if _, err := backend.Open(context.Background(), dir, backend.Options{Lock: true}); !errors.Is(err, backend.ErrLocked) {
		t.Fatalf("second server on the folder: %v, want backend.ErrLocked", err)
	}
	cmd := open(t, dir, backend.Options{})
	if _, err := cmd.Accounts.CreateProject(context.Background(), "shop", nil); err != nil {
		t.Fatalf("a command beside the server: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	open(t, dir, backend.Options{Lock: true})
}

// What Open gives passes the conformance suites: the blobs here, the
// SQLite log and index in internal/store/sqlite.
func TestBlobs(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blobtest.Store { return open(t, t.TempDir(), backend.Options{}).Blobs })
}
