package sqlite_test

import (
	"context"
	"testing"

	"github.com/playhead/playhead/internal/store/indextest"
	"github.com/playhead/playhead/internal/store/logtest"
	"github.com/playhead/playhead/internal/store/sqlite"
)

// openWithProjects is a fresh store in which projects 1 and 2 exist.
func openWithProjects(t *testing.T) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, name := range []string{"one", "two"} {
		if _, err := s.CreateProject(ctx, name, nil); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestLogConformance(t *testing.T) {
	logtest.Run(t, func(t *testing.T) logtest.Log { return openWithProjects(t) })
}

func TestIndexConformance(t *testing.T) {
	indextest.Run(t, func(t *testing.T) indextest.Index { return openWithProjects(t) })
}
