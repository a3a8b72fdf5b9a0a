package fs_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/playhead/playhead/internal/blob/blobtest"
	"github.com/playhead/playhead/internal/blob/fs"
)

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blobtest.Store { return fs.New(t.TempDir()) })
}

// A Put that fails half way (here: killed before its rename) leaves only
// a temporary file, which List does not show and the next Put ignores.
func TestUnfinishedPutIsNotABlob(t *testing.T) {
	dir := t.TempDir()
	s := fs.New(dir)
	ctx := context.Background()
	if err := os.MkdirAll(filepath.Join(dir, "a"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a", ".tmp-123"), []byte("torn"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "a/b", []byte("whole")); err != nil {
		t.Fatal(err)
	}
	var keys []string
	if err := s.List(ctx, "", func(k string, _ int64) error { keys = append(keys, k); return nil }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(keys, ",") != "a/b" {
		t.Errorf("keys %v, want only a/b", keys)
	}
}
