package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/store"
)

// TestSearchTextFollowsAnalysis applies a window's analysis step after
// step, its text kept, changed, kept and emptied, and searches for its
// words after each: an analysis whose text did not change leaves the
// search row as it was, one whose text changed replaces it.
func TestSearchTextFollowsAnalysis(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	at := time.UnixMilli(1795000000000)
	for i, step := range []struct {
		text       []string
		clicks     int
		find, miss []string
	}{
		{text: []string{"quokka checkout"}, clicks: 1, find: []string{"quokka", "checkout"}, miss: []string{"wombat"}},
		{text: []string{"quokka checkout"}, clicks: 2, find: []string{"quokka", "checkout"}, miss: []string{"wombat"}},
		{text: []string{"quokka checkout", "wombat"}, clicks: 3, find: []string{"quokka", "wombat"}},
		{text: []string{"quokka checkout", "wombat"}, clicks: 4, find: []string{"quokka", "wombat"}},
		{text: []string{"numbat"}, clicks: 5, find: []string{"numbat"}, miss: []string{"quokka", "wombat"}},
		{clicks: 6, miss: []string{"numbat", "quokka"}},
		{text: []string{"quokka"}, clicks: 7, find: []string{"quokka"}, miss: []string{"numbat"}},
	} {
		last := at.Add(time.Duration(i) * time.Second)
		u := store.SessionUpdate{Project: 1, Session: "s", Window: "w", First: at, Last: last, Events: 1,
			Analysis: &store.WindowAnalysis{Clicks: step.clicks, Text: step.text}}
		if err := s.ApplySessionUpdates(ctx, "sessions", int64(i+1), []store.SessionUpdate{u}); err != nil {
			t.Fatal(err)
		}
		for _, words := range []struct {
			list []string
			want int
		}{{step.find, 1}, {step.miss, 0}} {
			for _, w := range words.list {
				res, err := s.Search(ctx, store.SessionQuery{Filter: store.SessionFilter{Project: 1, Q: w}, Limit: 10})
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Sessions) != words.want {
					t.Errorf("step %d: %q finds %d sessions, want %d", i, w, len(res.Sessions), words.want)
				}
			}
		}
		res, err := s.Search(ctx, store.SessionQuery{Filter: store.SessionFilter{Project: 1}, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Sessions) != 1 || res.Sessions[0].Clicks != step.clicks {
			t.Errorf("step %d: sessions %+v, want one with %d clicks", i, res.Sessions, step.clicks)
		}
	}
}
