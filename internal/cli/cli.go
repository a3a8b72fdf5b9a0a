// Package cli is Playhead's command line: it parses subcommands and their
// flags (with environment fallbacks) and runs them.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/playhead/playhead/internal/server"
	"github.com/playhead/playhead/internal/store"
)

// Where a server listens and keeps its data unless told otherwise.
const (
	defaultAddr = "127.0.0.1:8080"
	defaultData = "./data"
)

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
}

// Env is what a command may touch: its output streams and environment.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Stdin          io.Reader // nil: os.Stdin
}

var commands = []command{
	{"serve", "run the server: ingest, dashboard, player and demo shop", serve},
	{"project", "manage projects: playhead project create NAME", project},
	{"user", "manage users: playhead user create EMAIL --role owner", user},
	{"token", "manage API tokens: playhead token create NAME --scope read", token},
	{"loadgen", "load the ingest endpoint and report its throughput", loadgenCmd},
}

// errUsage marks an error whose message already explains the usage.
var errUsage = errors.New("usage")

// Main runs the command line and returns the process's exit code.
func Main(args []string) int {
	env := &Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := Run(ctx, env, args)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintln(env.Stderr, "playhead:", err)
		return 1
	}
}

// Run runs the command named by args[0].
func Run(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		usage(env.Stderr)
		return errUsage
	}
	name, rest := args[0], args[1:]
	if name == "help" || name == "-h" || name == "--help" || name == "-help" {
		if len(rest) > 0 {
			return Run(ctx, env, []string{rest[0], "--help"})
		}
		usage(env.Stdout)
		return nil
	}
	for _, c := range commands {
		if c.name == name {
			return c.run(ctx, env, rest)
		}
	}
	fmt.Fprintf(env.Stderr, "playhead: unknown command %q\n\n", name)
	usage(env.Stderr)
	return errUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Playhead records what visitors see and do on a website and plays it back.")
	fmt.Fprintln(w, "\nUsage: playhead COMMAND [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'playhead help COMMAND' for a command's flags.")
}

// flagSet makes a flag set that prints its usage to env.Stderr and returns
// errors instead of exiting.
func flagSet(env *Env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// dataFlag adds the --data flag of the commands that work on a data folder.
func dataFlag(fs *flag.FlagSet, env *Env) *string {
	return fs.String("data", envDefault(env, "PLAYHEAD_DATA", defaultData), "data folder (env PLAYHEAD_DATA)")
}

// envDefault returns the environment variable's value, or def.
func envDefault(env *Env, name, def string) string {
	if v := env.Getenv(name); v != "" {
		return v
	}
	return def
}

// parse parses args, turning a bad flag into errUsage (the flag package has
// already said what is wrong).
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

func serve(ctx context.Context, env *Env, args []string) error {
	fs := flagSet(env, "serve", "playhead serve [--addr HOST:PORT] [--data DIR] [--ingest-… limits]")
	cfg := server.DefaultConfig()
	cfg.Addr, cfg.Data = defaultAddr, defaultData
	in := &cfg.Ingest
	f := &envFlags{fs: fs, env: env}
	f.add(stringValue(&cfg.Addr), "addr", "address to listen on")
	f.add(stringValue(&cfg.Data), "data", "data folder")
	f.add(size{&in.MaxBody}, "ingest-max-body", "largest ingest body on the wire")
	f.add(size{&in.MaxDecoded}, "ingest-max-json", "largest ingest body after decompression")
	f.add(intValue(&in.MaxEvents), "ingest-max-events", "most events in one batch")
	f.add(intValue(&in.MaxDepth), "ingest-max-depth", "deepest nesting of JSON in a batch")
	f.add(intValue(&in.MaxPageViews), "ingest-max-page-views", "most page views (rrweb Meta events) in one batch")
	f.add(intValue(&in.MaxURL), "ingest-max-url", "bytes of a page view's URL kept; longer ones are cut and marked …")
	f.add(intValue(&in.MaxUserAgent), "ingest-max-user-agent", "bytes of a User-Agent kept; longer ones are cut and marked …")
	f.add(size{&in.MaxDrain}, "ingest-max-drain", "bytes of an over-large body read and discarded so that the client can read the 413")
	f.add(size{&in.MaxHeader}, "max-header", "bytes of request headers; more are answered 431")
	f.add(durationValue(&in.ReadTimeout), "ingest-read-timeout", "time a client has to send a whole body")
	f.add(floatValue(&in.RateProject.Per), "ingest-rate-project", "batches a second per project, 0 for no limit")
	f.add(intValue(&in.RateProject.Burst), "ingest-burst-project", "batches a project may send at once above its rate")
	f.add(floatValue(&in.RateClient.Per), "ingest-rate-ip", "requests a second per client address, 0 for no limit")
	f.add(intValue(&in.RateClient.Burst), "ingest-burst-ip", "requests a client address may send at once above its rate")
	f.add(proxiesValue{&in.Proxies}, "trusted-proxies", "addresses or CIDR ranges of reverse proxies in front, whose X-Forwarded-For names the client")
	f.add(intValue(&in.MaxInFlight), "ingest-max-in-flight", "ingest requests handled at once; more are answered 503")
	f.add(size{&cfg.MaxQueued}, "ingest-queue", "batches waiting for a commit, in bytes; more are answered 503")
	f.add(stringValue(&cfg.DebugAddr), "debug-addr", "serve Go's profiler at this address, on its own listener (off when empty)")
	addAccessFlags(f, &cfg)
	f.add(durationValue(&cfg.CompactQuiet), "compact-quiet", "compact a window's recording into chunks once it has had no batch for this long")
	f.add(size{&cfg.CompactMinBytes}, "compact-min-bytes", "compact a window's recording into chunks once this many bytes of batches wait")
	f.add(durationValue(&cfg.CompactEvery), "compact-every", "how often to look for recordings to compact")
	if f.err != nil {
		fmt.Fprintln(env.Stderr, f.err)
		return errUsage
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "serve takes no arguments, got %q\n", strings.Join(fs.Args(), " "))
		return errUsage
	}
	logger := slog.New(slog.NewTextHandler(env.Stderr, nil))
	return server.Run(ctx, cfg, logger, nil)
}

// originsFlag collects repeated --origin flags.
type originsFlag []string

func (o *originsFlag) String() string { return strings.Join(*o, ",") }
func (o *originsFlag) Set(v string) error {
	*o = append(*o, v)
	return nil
}

const projectUsage = `Usage:
  playhead project create NAME [--data DIR] [--origin URL]...
  playhead project list [--data DIR]
  playhead project show KEY|ID [--data DIR] [--public-url URL]
  playhead project set KEY|ID [--data DIR] [--SETTING VALUE]... (playhead project set -h lists them)
  playhead project disable KEY [--data DIR]
  playhead project enable KEY [--data DIR]
  playhead project signals KEY [--data DIR] [--THRESHOLD VALUE]...
  playhead project goal add KEY NAME (--url GLOB | --event NAME) [--intent GLOB] [--data DIR]
  playhead project goal list KEY [--data DIR]
  playhead project goal remove KEY NAME [--data DIR]`

func project(ctx context.Context, env *Env, args []string) error {
	return verbs{
		"create": projectCreate,
		"list":   projectList,
		"show":   projectShow,
		"set":    projectSet,
		"disable": func(ctx context.Context, env *Env, args []string) error {
			return projectSwitch(ctx, env, "disable", args)
		},
		"enable": func(ctx context.Context, env *Env, args []string) error {
			return projectSwitch(ctx, env, "enable", args)
		},
		"signals": projectSignals,
		"goal":    projectGoal,
	}.run(ctx, env, "project", projectUsage, args)
}

// verbs are the subcommands of a command such as project or user.
type verbs map[string]func(ctx context.Context, env *Env, args []string) error

// run runs the verb args[0] of the command called name, whose usage text
// is usage.
func (v verbs) run(ctx context.Context, env *Env, name, usage string, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprintln(env.Stdout, usage)
		return nil
	}
	if f, ok := v[args[0]]; ok {
		return f(ctx, env, args[1:])
	}
	fmt.Fprintf(env.Stderr, "playhead %s: unknown command %q\n%s\n", name, args[0], usage)
	return errUsage
}

// parseWithName parses flags given before or after one positional NAME.
func parseWithName(fs *flag.FlagSet, args []string) (string, error) {
	if err := parse(fs, args); err != nil {
		return "", err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return "", errUsage
	}
	name := fs.Arg(0)
	if err := parse(fs, fs.Args()[1:]); err != nil {
		return "", err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return "", errUsage
	}
	return name, nil
}

func projectCreate(ctx context.Context, env *Env, args []string) error {
	fs := flagSet(env, "project create", "playhead project create NAME [--data DIR] [--origin URL]...")
	data := dataFlag(fs, env)
	var origins originsFlag
	fs.Var(&origins, "origin", "a page origin allowed to send recordings, like https://shop.example (repeatable; none allows any)")
	name, err := parseWithName(fs, args)
	if err != nil {
		return err
	}
	for i, o := range origins {
		n, err := normalizeOrigin(o)
		if err != nil {
			fmt.Fprintln(env.Stderr, err)
			return errUsage
		}
		origins[i] = n
	}
	st, err := openFolder(ctx, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	p, err := st.CreateProject(ctx, name, origins)
	if err != nil {
		return err
	}
	if err := st.Audit(ctx, store.AuditEntry{Actor: "cli", Action: "project.create", Project: p.ID, Target: p.Name}); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Created project %q (id %d). Its ingest key:\n%s\n", p.Name, p.ID, p.Key)
	return nil
}

func projectSwitch(ctx context.Context, env *Env, verb string, args []string) error {
	fs := flagSet(env, "project "+verb, "playhead project "+verb+" KEY [--data DIR]")
	data := dataFlag(fs, env)
	key, err := parseWithName(fs, args)
	if err != nil {
		return err
	}
	st, err := openFolder(ctx, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.SetProjectEnabled(ctx, key, verb == "enable"); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no project has the key %q", key)
		}
		return err
	}
	// Running servers notice within their project cache's lifetime.
	fmt.Fprintf(env.Stdout, "Recording is %sd for the project; running servers follow within 10 seconds.\n", verb)
	return nil
}

// openProject opens the data folder and finds the project whose ingest key
// is key; the caller closes the store.
func openProject(ctx context.Context, data, key string) (folder, store.Project, error) {
	st, err := openFolder(ctx, data)
	if err != nil {
		return folder{}, store.Project{}, err
	}
	p, err := st.ProjectByKey(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		err = fmt.Errorf("no project has the key %q", key)
	}
	if err != nil {
		st.Close()
		return folder{}, store.Project{}, err
	}
	return st, p, nil
}
