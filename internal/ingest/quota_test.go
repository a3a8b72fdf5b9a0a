package ingest

import (
	"context"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/store"
	"github.com/playhead/playhead/internal/store/sqlite"
)

func TestQuotas(t *testing.T) {
	noon := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	p := store.Project{ID: 1}
	type step struct {
		at    time.Duration // after noon
		size  int64
		ok    bool
		retry int  // Retry-After of a refusal, in seconds
		give  bool // the batch turns out not stored
	}
	tests := []struct {
		name  string
		quota store.Quota
		steps []step
	}{
		{"no quota", store.Quota{}, []step{{0, 1 << 30, true, 0, false}, {0, 1 << 30, true, 0, false}}},
		{"batches: the bucket holds a minute's worth, then one per 60/N s", store.Quota{BatchesPerMinute: 2}, []step{
			{0, 1, true, 0, false}, {0, 1, true, 0, false},
			{0, 1, false, 30, false},
			{10 * time.Second, 1, false, 20, false},
			{30 * time.Second, 1, true, 0, false},
			{30 * time.Second, 1, false, 30, false},
		}},
		{"batches: one not stored takes nothing", store.Quota{BatchesPerMinute: 1}, []step{
			{0, 1, true, 0, true}, {0, 1, true, 0, false}, {0, 1, false, 60, false},
		}},
		{"bytes: a batch that would pass the day's bound is refused until midnight UTC", store.Quota{BytesPerDay: 100}, []step{
			{0, 60, true, 0, false},
			{0, 50, false, 12 * 3600, false},
			{time.Hour, 40, true, 0, false},
			{time.Hour, 1, false, 11 * 3600, false},
			{12 * time.Hour, 100, true, 0, false}, // a new day
		}},
		{"bytes: a repeat gives its bytes back", store.Quota{BytesPerDay: 100}, []step{
			{0, 80, true, 0, true}, {0, 100, true, 0, false},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := LoadQuotas(context.Background(), nil, noon)
			if err != nil {
				t.Fatal(err)
			}
			p.Quota = tt.quota
			for i, s := range tt.steps {
				w := httptest.NewRecorder()
				give, refused := q.take(w, p, s.size, noon.Add(s.at))
				if ok := refused == nil; ok != s.ok {
					t.Fatalf("step %d: allowed %v, want %v (%v)", i, ok, s.ok, refused)
				}
				if !s.ok {
					if refused.Status != 429 || refused.Code != "quota_exceeded" {
						t.Errorf("step %d: %d %s", i, refused.Status, refused.Code)
					}
					if got := w.Header().Get("Retry-After"); got != itoa(s.retry) {
						t.Errorf("step %d: Retry-After %s, want %d", i, got, s.retry)
					}
				}
				if s.give {
					give()
				}
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// The day's byte counts are kept in the store: another start reads them,
// on the same day only.
func TestQuotasSaved(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	noon := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	p := store.Project{ID: 7, ProjectSettings: store.ProjectSettings{Quota: store.Quota{BytesPerDay: 100}}}

	q, err := LoadQuotas(ctx, st, noon)
	if err != nil {
		t.Fatal(err)
	}
	if _, refused := q.take(httptest.NewRecorder(), p, 70, noon); refused != nil {
		t.Fatal(refused)
	}
	if err := q.Save(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		at   time.Time
		size int64
		ok   bool
	}{
		{"same day, over", noon.Add(time.Hour), 40, false},
		{"same day, within", noon.Add(time.Hour), 30, true},
		{"next day", noon.Add(24 * time.Hour), 100, true},
	} {
		again, err := LoadQuotas(ctx, st, tt.at)
		if err != nil {
			t.Fatal(err)
		}
		if _, refused := again.take(httptest.NewRecorder(), p, tt.size, tt.at); (refused == nil) != tt.ok {
			t.Errorf("%s: %d bytes allowed %v, want %v", tt.name, tt.size, refused == nil, tt.ok)
		}
	}
}

// BenchmarkQuotaTake is what a quota costs a batch: a lock and a map
// lookup, no I/O.
func BenchmarkQuotaTake(b *testing.B) {
	q, err := LoadQuotas(context.Background(), nil, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	p := store.Project{ID: 1, ProjectSettings: store.ProjectSettings{Quota: store.Quota{BatchesPerMinute: 1 << 30, BytesPerDay: 1 << 62}}}
	w := httptest.NewRecorder()
	now := time.Now()
	for b.Loop() {
		if _, refused := q.take(w, p, 20_000, now); refused != nil {
			b.Fatal(refused)
		}
	}
}
