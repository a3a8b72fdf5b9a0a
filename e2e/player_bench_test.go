package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead/internal/server"
	"github.com/playhead/playhead/internal/server/servertest"
	"github.com/playhead/playhead/internal/synth"
)

// BenchmarkPlayerFirstFrame opens generated sessions of 1, 60 and 180
// minutes, compacted into chunks, side by side in Chromium, and reports
// for each the time from navigation to the first frame drawn, and the time
// a seek to 90 % takes to show that moment.
//
//	go test -run '^$' -bench PlayerFirstFrame -benchtime 5x ./e2e
func BenchmarkPlayerFirstFrame(b *testing.B) {
	base, data := servertest.Start(b, func(c *server.Config) {
		c.Ingest.RateClient.Per = 0
		c.CompactQuiet, c.CompactEvery = 5*time.Second, 200*time.Millisecond
	})
	project := servertest.Project(b, data)
	lengths := []int{1, 60, 180}
	totals := map[int]int64{}
	for _, minutes := range lengths {
		id := fmt.Sprintf("s%d", minutes)
		if _, err := synth.Send(context.Background(), http.DefaultClient, base, project.Key, id, uint64(minutes), minutes, time.Now().Add(-4*time.Hour).UnixMilli()); err != nil {
			b.Fatal(err)
		}
		totals[minutes] = servertest.WaitCompacted(b, fmt.Sprintf("%s/api/v1/projects/%d/sessions/%s", base, project.ID, id))
	}
	ctx := browser(b)
	signIn(b, ctx, base)
	first, seek := map[int]float64{}, map[int]float64{}
	n := 0
	for b.Loop() {
		n++
		for _, minutes := range lengths {
			url := fmt.Sprintf("%s/projects/%d/sessions/s%d", base, project.ID, minutes)
			if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(`#player[data-state="ready"]`))); err != nil {
				b.Fatalf("open %s: %v", url, err)
			}
			ms, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`performance.getEntriesByName("playhead:first-frame")[0].startTime`))
			if err != nil {
				b.Fatal(err)
			}
			first[minutes] += ms
			target := totals[minutes] * 9 / 10
			res, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](fmt.Sprintf(`(async () => {
				const root = document.querySelector("#player");
				const t0 = performance.now();
				window.playheadPlayer.seek(%d);
				while (root.dataset.state === "loading") await new Promise(requestAnimationFrame);
				await new Promise(requestAnimationFrame);
				return [performance.now() - t0, Number(root.dataset.time)];
			})()`, target), chromedp.EvalAwaitPromise))
			if err != nil {
				b.Fatal(err)
			}
			if int64(res[1]) != target {
				b.Fatalf("%d minutes: seek to %d ms shows %v ms", minutes, target, res[1])
			}
			seek[minutes] += res[0]
		}
	}
	for _, minutes := range lengths {
		b.ReportMetric(first[minutes]/float64(n), fmt.Sprintf("ms-first-frame-%dmin", minutes))
		b.ReportMetric(seek[minutes]/float64(n), fmt.Sprintf("ms-seek-90%%-%dmin", minutes))
	}
}
