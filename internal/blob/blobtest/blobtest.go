// Package blobtest is the conformance suite every store of blobs runs:
// what the readers and the compaction of recordings rely on.
package blobtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/playhead/playhead/internal/blob"
)

// Store is what the suite exercises: the whole of a store of blobs.
type Store interface {
	Put(ctx context.Context, key string, data []byte) error
	Get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error)
	Delete(ctx context.Context, key string) error
	List(ctx context.Context, prefix string, fn func(key string, size int64) error) error
}

// Run checks a fresh, empty store made by open.
func Run(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()
	read := func(t *testing.T, s Store, key string, off, n int64) ([]byte, error) {
		t.Helper()
		r, err := s.Get(ctx, key, off, n)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return io.ReadAll(r)
	}
	data := []byte("0123456789abcdefghij")

	t.Run("put then get", func(t *testing.T) {
		s := open(t)
		if err := s.Put(ctx, "1/s/w/00000000.zst", data); err != nil {
			t.Fatal(err)
		}
		got, err := read(t, s, "1/s/w/00000000.zst", 0, -1)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("get = %q, %v; want %q", got, err, data)
		}
	})
	t.Run("ranges", func(t *testing.T) {
		s := open(t)
		if err := s.Put(ctx, "r", data); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			off, n int64
			want   string
		}{
			{0, 5, "01234"},
			{10, 5, "abcde"},
			{15, -1, "fghij"},
			{18, 10, "ij"},
			{20, 5, ""},
			{25, -1, ""},
		} {
			got, err := read(t, s, "r", tt.off, tt.n)
			if err != nil || string(got) != tt.want {
				t.Errorf("get(%d, %d) = %q, %v; want %q", tt.off, tt.n, got, err, tt.want)
			}
		}
	})
	t.Run("put replaces", func(t *testing.T) {
		s := open(t)
		if err := s.Put(ctx, "k", data); err != nil {
			t.Fatal(err)
		}
		if err := s.Put(ctx, "k", []byte("new")); err != nil {
			t.Fatal(err)
		}
		if got, err := read(t, s, "k", 0, -1); err != nil || string(got) != "new" {
			t.Fatalf("get = %q, %v; want \"new\"", got, err)
		}
	})
	t.Run("missing", func(t *testing.T) {
		s := open(t)
		if _, err := s.Get(ctx, "nope", 0, -1); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("get of a missing key: %v, want blob.ErrNotFound", err)
		}
	})
	t.Run("delete", func(t *testing.T) {
		s := open(t)
		if err := s.Put(ctx, "a/b", data); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, "a/b"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, "a/b", 0, -1); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("get after delete: %v, want blob.ErrNotFound", err)
		}
		if err := s.Delete(ctx, "a/b"); err != nil {
			t.Fatalf("a second delete: %v, want none", err)
		}
	})
	t.Run("list", func(t *testing.T) {
		s := open(t)
		keys := []string{"1/s/w/00000001.zst", "1/s/w/00000000.zst", "1/t/w/00000000.zst", "2/s/w/00000000.zst"}
		for i, k := range keys {
			if err := s.Put(ctx, k, data[:i+1]); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		sizes := map[string]int64{}
		err := s.List(ctx, "1/s/", func(key string, size int64) error {
			got = append(got, key)
			sizes[key] = size
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"1/s/w/00000000.zst", "1/s/w/00000001.zst"}; !slices.Equal(got, want) {
			t.Fatalf("list 1/s/ = %v, want %v", got, want)
		}
		if sizes["1/s/w/00000001.zst"] != 1 || sizes["1/s/w/00000000.zst"] != 2 {
			t.Errorf("sizes %v, want 1 and 2", sizes)
		}
		n := 0
		if err := s.List(ctx, "", func(string, int64) error { n++; return nil }); err != nil || n != len(keys) {
			t.Errorf("list of everything: %d keys, %v; want %d", n, err, len(keys))
		}
	})
	t.Run("invalid keys", func(t *testing.T) {
		s := open(t)
		for _, k := range []string{"", "../x", "a/../../x", "/abs", "a//b", "a/./b", "sp ace", "a\x00b"} {
			if err := s.Put(ctx, k, data); !errors.Is(err, blob.ErrInvalidKey) {
				t.Errorf("put %q: %v, want blob.ErrInvalidKey", k, err)
			}
			if _, err := s.Get(ctx, k, 0, -1); !errors.Is(err, blob.ErrInvalidKey) {
				t.Errorf("get %q: %v, want blob.ErrInvalidKey", k, err)
			}
		}
	})
	t.Run("empty blob", func(t *testing.T) {
		s := open(t)
		if err := s.Put(ctx, "e", nil); err != nil {
			t.Fatal(err)
		}
		if got, err := read(t, s, "e", 0, -1); err != nil || len(got) != 0 {
			t.Fatalf("get = %q, %v; want empty", got, err)
		}
	})
}
