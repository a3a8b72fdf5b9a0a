package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/store"
)

// benchSessions is how many sessions BenchmarkSearch indexes; override
// with PLAYHEAD_BENCH_SESSIONS.
const benchSessions = 1_000_000

// benchIndex opens the benchmark's index, generating it the first time
// into a folder under the temporary directory that later runs reuse.
func benchIndex(b *testing.B) *Store {
	n := benchSessions
	if v, err := strconv.Atoi(os.Getenv("PLAYHEAD_BENCH_SESSIONS")); err == nil && v > 0 {
		n = v
	}
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("playhead-search-bench-%d", n))
	// The index's schema version names the mark, so that an index made
	// by an older schema is made again.
	done := filepath.Join(dir, fmt.Sprintf("complete-%d", len(indexMigrations)))
	if _, err := os.Stat(done); err == nil {
		s, err := Open(context.Background(), dir)
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	os.RemoveAll(dir)
	start := time.Now()
	s := buildIndex(b, dir, nil)
	ctx := context.Background()
	const chunk = 20_000
	step := int64(0)
	for first := 0; first < n; first += chunk {
		_, steps := genSessionsFrom(uint64(first)+1, first, min(chunk, n-first), int64(first)+1)
		for _, st := range steps {
			step++
			if err := s.ApplySessionUpdates(ctx, "sessions", step, st); err != nil {
				b.Fatal(err)
			}
		}
	}
	if _, err := s.iwrite.ExecContext(ctx, "PRAGMA optimize=0x10002; PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated %d sessions in %v", n, time.Since(start).Round(time.Second))
	if err := os.WriteFile(done, nil, 0o644); err != nil {
		b.Fatal(err)
	}
	return s
}

func benchQueries(st *Store) map[string][]store.SessionQuery {
	day := func(d int) time.Time { return genBase.AddDate(0, 0, d) }
	q := func(f store.SessionFilter, sort string) store.SessionQuery {
		return store.SessionQuery{Filter: f, Sort: sort, Limit: 50, Count: true}
	}
	filters := []store.SessionQuery{
		q(store.SessionFilter{}, ""),
		q(store.SessionFilter{Project: 1}, ""),
		q(store.SessionFilter{Device: "mobile", Signals: []store.SignalAtLeast{{Kind: store.SignalRageClick, N: 1}}}, ""),
		q(store.SessionFilter{}, store.SortScore),
		q(store.SessionFilter{Project: 2, Signals: []store.SignalAtLeast{{Kind: store.SignalErrorClick, N: 1}}}, store.SortScore),
		q(store.SessionFilter{MinDuration: dur(2 * time.Minute)}, store.SortLongest),
		q(store.SessionFilter{URL: "/checkout/"}, ""),
		q(store.SessionFilter{URL: "*/products/1?"}, ""),
		q(store.SessionFilter{Project: 1, Converted: []string{"checkout"}}, ""),
		q(store.SessionFilter{Project: 1, NotConverted: []string{"checkout"}, Signals: []store.SignalAtLeast{{Kind: store.SignalFormAbandon, N: 1}}}, ""),
		q(store.SessionFilter{From: day(20), To: day(22)}, store.SortOldest),
		q(store.SessionFilter{Traits: map[string]string{"plan": "pro"}}, ""),
		q(store.SessionFilter{User: "u17"}, ""),
		q(store.SessionFilter{Bounce: yes(true), Browser: "Chrome"}, ""),
		q(store.SessionFilter{Events: []string{"purchase"}, Device: "desktop"}, ""),
		q(store.SessionFilter{Exit: "*/cart", MinActive: dur(30 * time.Second)}, ""),
	}
	// The second page of the first one.
	if res, err := st.Search(context.Background(), filters[0]); err == nil {
		next := filters[0]
		next.Cursor = res.Next
		filters = append(filters, next)
	}
	text := []store.SessionQuery{
		q(store.SessionFilter{Q: "typeerror"}, ""),
		q(store.SessionFilter{Q: "zebra promo"}, ""),
		q(store.SessionFilter{Q: "quokka"}, ""),
		q(store.SessionFilter{Q: "coupon", Device: "mobile"}, ""),
		q(store.SessionFilter{Q: "thank"}, store.SortScore),
	}
	return map[string][]store.SessionQuery{"filters": filters, "text": text}
}

// BenchmarkSearch runs typical searches (with their count) over a large
// generated index and reports the 50th and 95th percentile of a search.
func BenchmarkSearch(b *testing.B) {
	st := benchIndex(b)
	defer st.Close()
	ctx := context.Background()
	for _, name := range []string{"filters", "text"} {
		qs := benchQueries(st)[name]
		b.Run(name, func(b *testing.B) {
			var took []time.Duration
			for i := range b.N {
				q := qs[i%len(qs)]
				start := time.Now()
				if _, err := st.Search(ctx, q); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
			}
			slices.Sort(took)
			pct := func(p float64) float64 {
				return float64(took[min(len(took)-1, int(p*float64(len(took))))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.95), "p95-ms")
			b.ReportMetric(float64(took[len(took)-1].Microseconds())/1000, "max-ms")
		})
	}
}

// BenchmarkSearchEach reports each typical search on its own, to find the
// slow ones.
func BenchmarkSearchEach(b *testing.B) {
	st := benchIndex(b)
	defer st.Close()
	ctx := context.Background()
	for name, qs := range benchQueries(st) {
		for i, q := range qs {
			b.Run(fmt.Sprintf("%s-%d", name, i), func(b *testing.B) {
				for range b.N {
					if _, err := st.Search(ctx, q); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
