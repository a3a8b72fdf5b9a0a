// Package server puts the stages together into the running service: it
// opens the store, starts the processor, routes HTTP to ingest, the API,
// the dashboard and the demo shop, and shuts all of it down in order.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/playhead/playhead/internal/account"
	"github.com/playhead/playhead/internal/api"
	"github.com/playhead/playhead/internal/auth"
	"github.com/playhead/playhead/internal/backend"
	"github.com/playhead/playhead/internal/dashboard"
	"github.com/playhead/playhead/internal/demo"
	"github.com/playhead/playhead/internal/erase"
	"github.com/playhead/playhead/internal/ingest"
	"github.com/playhead/playhead/internal/process"
	"github.com/playhead/playhead/internal/store"
	"github.com/playhead/playhead/web"
)

// Config is what `playhead serve` is told.
type Config struct {
	Addr   string        // host:port to listen on
	Data   string        // data folder
	Ingest ingest.Config // limits of the ingest endpoint
	// MaxQueued bounds the bytes of batches waiting for a commit.
	MaxQueued int64
	// DebugAddr, if set, serves Go's profiler (/debug/pprof/) there, on a
	// listener of its own so that it is never exposed with the service.
	DebugAddr string
	// PublicURL is where people reach the server (https://… behind a TLS
	// proxy); requests naming another host are refused. Empty: the
	// loopback address served.
	PublicURL string
	// MetricsAllow are networks that may read /metrics without signing in.
	MetricsAllow []netip.Prefix
	// IngestAddr, if set, also serves only what recorded sites need
	// (ingest, the recorder, /healthz) there.
	IngestAddr string
	// Compaction of recordings into chunks: a window with no batch for
	// CompactQuiet (0: at once), or with CompactMinBytes of batches, is
	// compacted; compaction looks every CompactEvery.
	CompactQuiet    time.Duration
	CompactMinBytes int64
	CompactEvery    time.Duration
}

// DefaultConfig has the default limits; Addr and Data are left to the caller.
func DefaultConfig() Config {
	return Config{
		Ingest:    ingest.DefaultConfig,
		MaxQueued: backend.DefaultMaxQueued,

		CompactQuiet:    process.DefaultQuiet,
		CompactMinBytes: process.DefaultMinBytes,
		CompactEvery:    process.DefaultEvery,
	}
}

// shutdownGrace bounds how long in-flight requests may take to finish.
const shutdownGrace = 30 * time.Second

// Run serves until ctx is cancelled, then finishes in-flight requests,
// commits what they sent and closes the store. ready, if not nil, is
// called with the listening address once requests are accepted.
func Run(ctx context.Context, cfg Config, logger *slog.Logger, ready func(addr string)) error {
	if cfg.Ingest.MaxBody == 0 { // ingest limits left unset
		cfg.Ingest = ingest.DefaultConfig
	}
	// One server per data folder: two would each think the processor's
	// position theirs.
	b, err := backend.Open(ctx, cfg.Data, backend.Options{Lock: true, Logger: logger, MaxQueued: cfg.MaxQueued})
	if err != nil {
		return err
	}
	defer b.Close()
	if err := reportRecovery(ctx, b, logger); err != nil {
		return err
	}

	demoKey, err := demoProject(ctx, b.Accounts)
	if err != nil {
		return err
	}
	proc := &process.Processor{Log: b.Log, Index: b.Index, Events: b.Log, Config: newThresholds(b.Accounts, logger).config,
		Logger: logger, Hold: new(sync.RWMutex)}
	eraser := erase.New(b.Erasure(), b.Blobs, proc, logger)
	eraser.Caches = []erase.Cache{b.Dicts}
	if !loopbackAddr(cfg.Addr) {
		if has, err := b.Accounts.HasOwner(ctx); err != nil {
			return err
		} else if !has {
			return fmt.Errorf("refusing to listen on %s: %w", cfg.Addr, ErrNoOwner)
		}
	}

	if cfg.DebugAddr != "" {
		dln, err := net.Listen("tcp", cfg.DebugAddr)
		if err != nil {
			return fmt.Errorf("listen for debugging: %w", err)
		}
		dsrv := &http.Server{Handler: debugHandler(), ReadHeaderTimeout: 10 * time.Second}
		go dsrv.Serve(dln)
		defer dsrv.Close()
		logger.Info("profiler listening", "addr", "http://"+dln.Addr().String()+"/debug/pprof/")
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	gc, err := gateConfig(cfg, ln.Addr().String(), logger)
	if err != nil {
		return err
	}
	setup, err := setupToken(ctx, b.Accounts)
	if err != nil {
		return err
	}
	quotas, err := ingest.LoadQuotas(ctx, b.Accounts, time.Now())
	if err != nil {
		return err
	}
	handler, ingestOnly, err := Handler(b, proc, Options{Ingest: cfg.Ingest, DemoKey: demoKey, Gate: gc, SetupToken: setup,
		Quotas: quotas, Eraser: eraser}, logger)
	if err != nil {
		return err
	}
	if setup != "" {
		logger.Warn("no owner yet: open the setup link to create one, or run `playhead user create EMAIL --role owner`",
			"setup", gc.PublicURL.String()+"/setup?token="+setup)
	}
	if cfg.IngestAddr != "" {
		iln, err := net.Listen("tcp", cfg.IngestAddr)
		if err != nil {
			return fmt.Errorf("listen for ingest: %w", err)
		}
		isrv := &http.Server{Handler: ingestOnly, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: int(cfg.Ingest.MaxHeader),
			WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelDebug)}
		go isrv.Serve(iln)
		defer isrv.Shutdown(context.Background())
		logger.Info("ingest listening", "addr", iln.Addr().String())
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		// Go's default (1 MiB) would let every request carry a megabyte
		// of User-Agent; larger headers are answered 431.
		MaxHeaderBytes: int(cfg.Ingest.MaxHeader),
		// Ingest sets its own body deadline, to answer 408 rather than
		// drop the connection.
		WriteTimeout: 60 * time.Second,
		IdleTimeout:  120 * time.Second,
		ErrorLog:     slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
	}

	procCtx, stopProc := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := proc.Run(procCtx); err != nil {
			logger.Error("processor stopped", "err", err)
		}
	})
	compactor := &process.Compactor{Log: b.Log, Blobs: b.Blobs, Dicts: b.Dicts, Logger: logger,
		Quiet: cfg.CompactQuiet, MinBytes: cfg.CompactMinBytes, Every: cfg.CompactEvery, Hold: proc.Hold}
	if compactor.Quiet == 0 {
		compactor.Quiet = -1 // at once
	}
	wg.Go(func() { compactor.Run(procCtx) })
	wg.Go(func() { eraser.Run(procCtx) }) // retention, at start and hourly

	base := gc.PublicURL.String()
	logger.Info("playhead is running", "dashboard", base+"/", "demo", base+"/demo/", "data", cfg.Data, "listen", ln.Addr().String())
	if ready != nil {
		ready(ln.Addr().String())
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		stopProc()
		wg.Wait()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing in-flight requests")
	shutCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err = srv.Shutdown(shutCtx)
	if qerr := quotas.Save(context.Background()); qerr != nil {
		err = errors.Join(err, qerr)
	}
	stopProc()
	wg.Wait()
	if cerr := b.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// Options are what Handler needs besides the backend and the processor.
type Options struct {
	Ingest     ingest.Config
	DemoKey    string
	Gate       auth.GateConfig
	SetupToken string // "" once an owner exists
	// Quotas counts what projects send; nil counts in memory only.
	Quotas *ingest.Quotas
	// Eraser erases sessions; nil makes one on the backend.
	Eraser *erase.Eraser
	// Routes, if not nil, is given the registered routes and their access.
	Routes func([]auth.Route)
}

// Handler routes every path of the service, each behind its access in
// auth.Policy; proc is the processor that /readyz and /metrics report on.
// ingestOnly serves just what recorded sites need.
func Handler(b *backend.Backend, proc *process.Processor, opts Options, logger *slog.Logger) (_, ingestOnly http.Handler, _ error) {
	st := b.Accounts
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(b.Health.Collectors()...)
	reg.MustRegister(proc.Collectors()...)
	eraser := opts.Eraser
	if eraser == nil {
		eraser = erase.New(b.Erasure(), b.Blobs, proc, logger)
		eraser.Caches = []erase.Cache{b.Dicts}
	}
	reg.MustRegister(eraser.Collectors()...)

	raw := http.NewServeMux()
	gate := auth.NewGate(st, opts.Gate)
	mux := auth.NewRouter(raw, auth.Policy, gate)
	ingester := ingest.NewHandler(b.Log, st, opts.Quotas, opts.Ingest, logger, reg)
	mux.Handle("/api/v1/ingest", ingester)
	mux.Handle("POST /api/v1/projects/{project}/import", &ingest.Importer{Log: b.Log, Projects: st, Limits: opts.Ingest.Limits, Logger: logger})
	script, err := recorderScript(web.Build, st, logger)
	if err != nil {
		return nil, nil, err
	}
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	scoped := newScoped(b)
	(&api.API{Sessions: scoped, Recordings: scoped, Chunks: b.Blobs, Dicts: b.Dicts, Tags: scoped, Notes: scoped, Logger: logger,
		Eraser: eraser, Audit: st}).Register(mux)

	snippet := demo.Snippet("", opts.DemoKey)
	dash, err := dashboard.New(scoped, gate.PublicURL(), logger)
	if err != nil {
		return nil, nil, err
	}
	dash.DemoKey = opts.DemoKey
	dash.Indexing = proc
	dash.Register(mux)
	pages, err := account.New(&account.Pages{Store: st, Gate: gate, Logins: auth.NewLogins(st, gate), Logger: logger,
		SetupToken: opts.SetupToken, Proxies: opts.Ingest.Proxies, Raw: mux.Raw, Eraser: eraser,
		// A project's key or settings changed here apply at once.
		KeyChanged: func(key string) { ingester.Forget(key); script.Forget(key) }})
	if err != nil {
		return nil, nil, err
	}
	pages.Register(mux)

	shop, err := demo.New(web.Demo, snippet)
	if err != nil {
		return nil, nil, err
	}
	mux.Handle("GET /demo/", http.StripPrefix("/demo", shop))

	mux.Handle("GET /playhead.js", script)
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(web.Build)))

	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if why := notReady(ctx, b.Health, proc); why != "" {
			// The reason tells about the data folder: only to those
			// signed in, and to probes from this machine.
			if auth.FromContext(r.Context()).Anonymous() && !loopbackRequest(r) {
				why = "not ready"
			}
			http.Error(w, why, http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
	})
	if err := mux.Err(); err != nil {
		return nil, nil, err
	}
	if opts.Routes != nil {
		opts.Routes(mux.Routes())
	}
	return withRequestID(gate.Wrap(raw), logger), withRequestID(ingestHandler(raw), logger), nil
}

// notReady says why the server should not be sent traffic, or "" when
// it should. Each reason starts with a fixed word that monitoring can
// match; docs/api.md lists them.
func notReady(ctx context.Context, st backend.Health, proc *process.Processor) string {
	if err := st.Ping(ctx); err != nil {
		return "store unreachable: " + err.Error()
	}
	var ue *store.UnavailableError
	if errors.As(st.WriteErr(), &ue) {
		return fmt.Sprintf("writes failing: %s (%s); ingest answers 503 until they work again: %v", ue.Reason.Describe(), ue.Reason, ue.Err)
	}
	if st.Overloaded() {
		return "overloaded: the commit queue is nearly full"
	}
	if err := proc.Health(ctx); err != nil {
		return "processor " + strings.TrimPrefix(err.Error(), process.ErrUnhealthy.Error()+": ")
	}
	return ""
}

// reportRecovery reports what a start found in the data folder. SQLite has already
// rolled its WAL forward or back: every committed batch is there, nothing
// half-written is. What remains is the processor's backlog, which it works
// off in the background. An index ahead of the log means playhead.db was
// restored from a backup: the index is rebuilt, or the batches logged from
// now on under positions it claims to have seen would never be indexed.
func reportRecovery(ctx context.Context, b *backend.Backend, logger *slog.Logger) error {
	stats, err := b.Log.LogStats(ctx, process.Name)
	if err != nil {
		return err
	}
	if stats.Ahead() {
		logger.Warn("the sessions index is ahead of the log (was playhead.db restored from a backup?); rebuilding it from the log",
			"indexed_up_to", stats.Processed, "log_up_to", stats.Last)
		if err := b.Index.ResetIndex(ctx); err != nil {
			return err
		}
		if stats, err = b.Log.LogStats(ctx, process.Name); err != nil {
			return err
		}
	}
	logger.Info("data folder opened", "batches", stats.Batches, "sessions_indexed_up_to", stats.Processed, "batches_to_index", stats.Batches-stats.ProcessedCount)
	return nil
}

// debugHandler serves the profiler, which net/http/pprof would otherwise
// put on the default mux.
func debugHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// demoSetting names the setting that holds the demo project's id.
const demoSetting = "demo_project"

// demoProject returns the ingest key of the demo shop's project, creating
// the project on first start.
func demoProject(ctx context.Context, st backend.Accounts) (string, error) {
	v, ok, err := st.Setting(ctx, demoSetting)
	if err != nil {
		return "", err
	}
	if ok {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return "", fmt.Errorf("setting %s: %w", demoSetting, err)
		}
		p, err := st.ProjectByID(ctx, id)
		if err == nil {
			return p.Key, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return "", err
		}
	}
	p, err := st.CreateProject(ctx, "Demo", nil)
	if err != nil {
		return "", err
	}
	if err := st.SetSetting(ctx, demoSetting, strconv.FormatInt(p.ID, 10)); err != nil {
		return "", err
	}
	return p.Key, nil
}
