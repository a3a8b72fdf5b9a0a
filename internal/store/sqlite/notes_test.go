package sqlite

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/playhead/playhead/internal/store"
)

func TestNormalizeNote(t *testing.T) {
	const at = 1795000000000
	for _, c := range []struct {
		name string
		in   store.Note
		want string // the text kept; "" for ErrInvalidNote
	}{
		{"trimmed", store.Note{Text: "  stuck on pay \n", Time: at}, "stuck on pay"},
		{"window", store.Note{Text: "x", Time: at, Window: "w_1-A"}, "x"},
		{"longest", store.Note{Text: strings.Repeat("ä", store.MaxNoteLength), Time: at}, strings.Repeat("ä", store.MaxNoteLength)},
		{"empty", store.Note{Text: " \t", Time: at}, ""},
		{"too long", store.Note{Text: strings.Repeat("a", store.MaxNoteLength+1), Time: at}, ""},
		{"not UTF-8", store.Note{Text: "\xff", Time: at}, ""},
		{"no time", store.Note{Text: "x"}, ""},
		{"far future", store.Note{Text: "x", Time: 1 << 60}, ""},
		{"bad window", store.Note{Text: "x", Time: at, Window: "w 1"}, ""},
		{"long window", store.Note{Text: "x", Time: at, Window: strings.Repeat("w", 65)}, ""},
	} {
		got, err := store.NormalizeNote(c.in)
		if c.want == "" {
			if !errors.Is(err, store.ErrInvalidNote) {
				t.Errorf("%s: %+v, %v; want ErrInvalidNote", c.name, got, err)
			}
			continue
		}
		if err != nil || got.Text != c.want {
			t.Errorf("%s: %q, %v; want %q", c.name, got.Text, err, c.want)
		}
	}
}

// TestNotes adds, lists and deletes notes, and checks that erasing a
// session (any part of it) and purging its project take its notes along.
func TestNotes(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, err := st.CreateProject(ctx, "shop", nil)
	if err != nil {
		t.Fatal(err)
	}
	add := func(session string, at int64, text string) store.Note {
		t.Helper()
		n, err := st.AddNote(ctx, store.Note{Project: p.ID, Session: session, Time: at, Text: text, Author: "a@example.test"})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	texts := func(session string) string {
		t.Helper()
		notes, err := st.Notes(ctx, p.ID, session)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, n := range notes {
			out = append(out, n.Text)
		}
		return strings.Join(out, ",")
	}
	const at = 1795000000000
	later := add("s1", at+5000, "later")
	first := add("s1", at, "first")
	add("s1~1", at, "second part")
	add("other", at, "keep")
	if got := texts("s1"); got != "first,later" {
		t.Errorf("notes of s1 = %q, want them by moment", got)
	}
	if first.ID == 0 || first.Author != "a@example.test" || first.Created.IsZero() {
		t.Errorf("kept note %+v", first)
	}
	if err := st.DeleteNote(ctx, p.ID, "other", later.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting s1's note as other's: %v, want ErrNotFound", err)
	}
	if err := st.DeleteNote(ctx, p.ID, "s1", later.ID); err != nil {
		t.Fatal(err)
	}
	if got := texts("s1"); got != "first" {
		t.Errorf("after delete: %q", got)
	}
	for range store.MaxNotesPerSession - 1 {
		add("full", at, "n")
	}
	if _, err := st.AddNote(ctx, store.Note{Project: p.ID, Session: "full", Time: at, Text: "x"}); err != nil {
		t.Fatalf("the last note that fits: %v", err)
	}
	if _, err := st.AddNote(ctx, store.Note{Project: p.ID, Session: "full", Time: at, Text: "x"}); !errors.Is(err, store.ErrTooManyNotes) {
		t.Errorf("one note too many: %v", err)
	}

	if _, err := st.EraseSessions(ctx, p.ID, []string{"s1"}); err != nil {
		t.Fatal(err)
	}
	if got := texts("s1") + texts("s1~1"); got != "" {
		t.Errorf("erased session's notes remain: %q", got)
	}
	if got := texts("other"); got != "keep" {
		t.Errorf("another session's notes = %q", got)
	}
	if err := st.DeleteProject(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PurgeProject(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := st.read.QueryRowContext(ctx, `SELECT count(*) FROM session_notes`).Scan(&left); err != nil || left != 0 {
		t.Errorf("notes after purging their project: %d, %v", left, err)
	}
}
