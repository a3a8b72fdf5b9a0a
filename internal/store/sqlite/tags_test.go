package sqlite

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/playhead/playhead/internal/store"
)

func TestNormalizeTag(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"bug", "bug"},
		{"  Needs   Review ", "needs review"},
		{"checkout:v2", "checkout:v2"},
		{"Ärger/2026", "ärger/2026"},
		{"", ""},
		{"   ", ""},
		{"<script>", ""},
		{"a,b", ""},
		{"tab\there", "tab here"},
		{"x23456789012345678901234567890123", ""},
	} {
		got, err := store.NormalizeTag(c.in)
		if c.want == "" {
			if !errors.Is(err, store.ErrInvalidTag) {
				t.Errorf("NormalizeTag(%q) = %q, %v; want ErrInvalidTag", c.in, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("NormalizeTag(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

// TestTagsAndWatchedFilter tags and watches sessions of the generated
// index and checks that search picks exactly those, on every page.
func TestTagsAndWatchedFilter(t *testing.T) {
	st, all := generatedIndex(t)
	ctx := context.Background()
	user, err := st.CreateUser(ctx, "watcher@example.test", "x", store.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	other, err := st.CreateUser(ctx, "other@example.test", "x", store.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	tagged := map[string]bool{}
	watched := map[string]bool{}
	key := func(s *genSession) string { return fmt.Sprint(s.project, "/", s.id) }
	for i, s := range all {
		if i%7 == 0 {
			if _, err := st.Tag(ctx, s.project, s.id, " Bug "); err != nil {
				t.Fatal(err)
			}
			tagged[key(s)] = true
		}
		if i%11 == 0 {
			if _, err := st.Tag(ctx, s.project, s.id, "later"); err != nil {
				t.Fatal(err)
			}
		}
		if i%5 == 0 {
			if err := st.MarkWatched(ctx, user.ID, s.project, s.id); err != nil {
				t.Fatal(err)
			}
			watched[key(s)] = true
		}
		if i%3 == 0 {
			if err := st.MarkWatched(ctx, other.ID, s.project, s.id); err != nil {
				t.Fatal(err)
			}
		}
		if i > 700 {
			break
		}
	}
	cases := []struct {
		name string
		f    store.SessionFilter
		want func(s *genSession) bool
	}{
		{"tag", store.SessionFilter{Tags: []string{"bug"}}, func(s *genSession) bool { return tagged[key(s)] }},
		{"tag in project", store.SessionFilter{Project: 2, Tags: []string{"bug"}}, func(s *genSession) bool { return s.project == 2 && tagged[key(s)] }},
		{"tag in projects", store.SessionFilter{Projects: []int64{1}, Tags: []string{"bug"}}, func(s *genSession) bool { return s.project == 1 && tagged[key(s)] }},
		{"watched", store.SessionFilter{Watched: yes(true)}, func(s *genSession) bool { return watched[key(s)] }},
		{"tag unwatched", store.SessionFilter{Tags: []string{"bug"}, Watched: yes(false), Device: "desktop"},
			func(s *genSession) bool { return tagged[key(s)] && !watched[key(s)] && s.device == "desktop" }},
		{"unknown tag", store.SessionFilter{Tags: []string{"nope"}}, func(*genSession) bool { return false }},
	}
	for _, c := range cases {
		var want []*genSession
		for _, s := range expected(all, store.SessionFilter{}, store.SortNewest) {
			if c.want(s) {
				want = append(want, s)
			}
		}
		var got []store.Session
		q := store.SessionQuery{Filter: c.f, Limit: 97, Count: true, Viewer: user.ID}
		for {
			res, err := st.Search(ctx, q)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if q.Cursor == "" && res.Count != min(len(want), countCap) {
				t.Errorf("%s: count %d, want %d", c.name, res.Count, len(want))
			}
			got = append(got, res.Sessions...)
			if res.Next == "" {
				break
			}
			q.Cursor = res.Next
		}
		compare(t, c.name, got, want)
		for _, s := range got {
			k := fmt.Sprint(s.Project, "/", s.ID)
			if s.Watched != watched[k] || slices.Contains(s.Tags, "bug") != tagged[k] {
				t.Errorf("%s: %s has tags %v watched %v; want bug %v watched %v", c.name, k, s.Tags, s.Watched, tagged[k], watched[k])
			}
		}
	}
	if _, err := st.Search(ctx, store.SessionQuery{Filter: store.SessionFilter{Watched: yes(false)}, Limit: 1}); !errors.Is(err, store.ErrInvalidFilter) {
		t.Errorf("watched without a viewer: %v, want a filter error", err)
	}
}

func TestTagLimitsAndUntag(t *testing.T) {
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
	for i := range store.MaxTagsPerSession {
		if _, err := st.Tag(ctx, p.ID, "s", fmt.Sprintf("t%02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Tag(ctx, p.ID, "s", "one more"); !errors.Is(err, store.ErrTooManyTags) {
		t.Errorf("tag %d: %v, want ErrTooManyTags", store.MaxTagsPerSession+1, err)
	}
	if tags, err := st.Tag(ctx, p.ID, "s", "T00"); err != nil || len(tags) != store.MaxTagsPerSession {
		t.Errorf("a tag it carries again: %v, %v", tags, err)
	}
	tags, err := st.Untag(ctx, p.ID, "s", "t00")
	if err != nil || len(tags) != store.MaxTagsPerSession-1 || tags[0] != "t01" {
		t.Errorf("untag: %v, %v", tags, err)
	}
	if tags, _ := st.SessionTags(ctx, p.ID, "other"); len(tags) != 0 {
		t.Errorf("another session has tags %v", tags)
	}
}

func TestSegments(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, _ := st.CreateProject(ctx, "a", nil)
	b, _ := st.CreateProject(ctx, "b", nil)
	first, err := st.SaveSegment(ctx, store.Segment{Project: a.ID, Name: "Rage", Query: "signal=rage_click"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := st.SaveSegment(ctx, store.Segment{Project: a.ID, Name: "Rage", Query: "signal=rage_click&device=mobile"})
	if err != nil || again.ID != first.ID {
		t.Fatalf("saving a name again: %+v, %v; want it replaced", again, err)
	}
	if _, err := st.SaveSegment(ctx, store.Segment{Project: b.ID, Name: "Rage", Query: "q=x"}); err != nil {
		t.Fatal(err)
	}
	list, err := st.Segments(ctx, []int64{a.ID})
	if err != nil || len(list) != 1 || list[0].Query != "signal=rage_click&device=mobile" {
		t.Fatalf("segments of a: %+v, %v", list, err)
	}
	if err := st.DeleteSegment(ctx, b.ID, first.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting a's segment as b's: %v", err)
	}
	if err := st.DeleteSegment(ctx, a.ID, first.ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := st.Segments(ctx, nil); len(list) != 1 || list[0].Project != b.ID {
		t.Errorf("after delete: %+v", list)
	}
}
