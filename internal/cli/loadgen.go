package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/playhead/playhead/internal/loadgen"
)

const loadgenSynopsis = "playhead loadgen [--url URL] --key KEY [--concurrency N] [--duration D] [--batch-kb KB] [--corpus DIR] [--server-pid PID] [--bare]"

// maxBatchKB is the recorder's own cap on a batch (batcher.ts): larger
// would measure batches no visitor sends.
const maxBatchKB = 512

func loadgenCmd(ctx context.Context, env *Env, args []string) error {
	fs := flagSet(env, "loadgen", loadgenSynopsis)
	url := fs.String("url", "http://"+envDefault(env, "PLAYHEAD_ADDR", defaultAddr), "base URL of the server to load (its host:port defaults to env PLAYHEAD_ADDR)")
	key := fs.String("key", "", "ingest key of the project to send to (playhead project create prints one)")
	concurrency := fs.Int("concurrency", 64, "simulated visitors posting at once")
	duration := fs.Duration("duration", 10*time.Second, "how long to send")
	batchKB := fs.Int("batch-kb", 20, "target size of a batch's event JSON before gzip, in KB")
	corpus := fs.String("corpus", "", "folder of more recordings to send besides the built-in ones: every */*.events.json in it, a JSON array of rrweb events each")
	pid := fs.Int("server-pid", 0, "report this server process's peak and current memory (Linux)")
	bare := fs.Bool("bare", false, "measure the in-process ceiling instead: gunzip + zstd of the same batches on every core")
	if err := parse(fs, args); err != nil {
		return err
	}
	var bad string
	switch {
	case fs.NArg() > 0:
		bad = fmt.Sprintf("loadgen takes no arguments, got %q", strings.Join(fs.Args(), " "))
	case *key == "" && !*bare:
		bad = "--key is required: the ingest key of a project on the server"
	case *concurrency < 1:
		bad = "--concurrency must be at least 1"
	case *duration <= 0:
		bad = "--duration must be positive, like 10s"
	case *batchKB < 1 || *batchKB > maxBatchKB:
		bad = fmt.Sprintf("--batch-kb must be from 1 to %d", maxBatchKB)
	}
	if bad != "" {
		fmt.Fprintln(env.Stderr, bad)
		return errUsage
	}
	cfg := loadgen.Config{
		URL:         *url,
		Key:         *key,
		Concurrency: *concurrency,
		Duration:    *duration,
		BatchBytes:  *batchKB * 1000,
		Corpus:      *corpus,
		ServerPID:   *pid,
	}
	var res loadgen.Result
	var err error
	if *bare {
		res, err = loadgen.Bare(ctx, cfg)
	} else {
		res, err = loadgen.Run(ctx, cfg, env.Stdout)
	}
	// An interrupted run still reports what it measured.
	if res.Workers > 0 {
		fmt.Fprint(env.Stdout, res)
	}
	if err == nil && res.Batches == 0 {
		// Scripts must not take a run that measured nothing for a result.
		return errors.New("no batch was accepted")
	}
	return err
}
