package synth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// Send posts a generated window of minutes (window id "w") as session to
// the ingest API at base with the project's key, gzipped and one after
// the other, as the recorder sends them. It returns how many batches it
// sent.
func Send(ctx context.Context, client *http.Client, base, key, session string, seed uint64, minutes int, start int64) (int, error) {
	type post struct {
		seq  int
		body []byte
	}
	posts := make(chan post)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range 1 {
		wg.Go(func() {
			for p := range posts {
				req, err := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/ingest", bytes.NewReader(p.body))
				if err != nil {
					errs <- err
					return
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Content-Encoding", "gzip")
				resp, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				answer, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("batch %d: %d %s", p.seq, resp.StatusCode, answer)
					return
				}
			}
		})
	}
	seq := 0
	err := Window(seed, minutes, start, func(events []json.RawMessage) error {
		raw, err := json.Marshal(map[string]any{"key": key, "session": session, "window": "w", "seq": seq, "events": events})
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(raw)
		zw.Close()
		select {
		case posts <- post{seq, buf.Bytes()}:
		case err := <-errs:
			return err
		}
		seq++
		return nil
	})
	close(posts)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return seq, err
}
