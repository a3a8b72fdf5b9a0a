package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/playhead/playhead/internal/account"
	"github.com/playhead/playhead/internal/store"
)

// findProject opens the data folder and finds the project named by its
// ingest key or its id; the caller closes the store.
func findProject(ctx context.Context, data, keyOrID string) (folder, store.Project, error) {
	id, err := strconv.ParseInt(keyOrID, 10, 64)
	if err != nil {
		return openProject(ctx, data, keyOrID)
	}
	st, err := openFolder(ctx, data)
	if err != nil {
		return folder{}, store.Project{}, err
	}
	p, err := st.ProjectByID(ctx, id)
	if err == nil && !p.Deleted.IsZero() {
		err = store.ErrNotFound
	}
	if errors.Is(err, store.ErrNotFound) {
		err = fmt.Errorf("no project has the id %d", id)
	}
	if err != nil {
		st.Close()
		return folder{}, store.Project{}, err
	}
	return st, p, nil
}

func projectList(ctx context.Context, env *Env, args []string) error {
	fs := flagSet(env, "project list", "playhead project list [--data DIR]")
	data := dataFlag(fs, env)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	st, err := openFolder(ctx, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	list, err := st.Projects(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tKEY\tRECORDING")
	for _, p := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", p.ID, p.Name, p.Key, onOff(p.Enabled))
	}
	return tw.Flush()
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// publicURLFlag is --public-url, for the snippet: the address sites load
// the recorder from.
func publicURLFlag(fs *flag.FlagSet, env *Env) *string {
	return fs.String("public-url", env.Getenv("PLAYHEAD_PUBLIC_URL"), "where sites reach the server, for the snippet (env PLAYHEAD_PUBLIC_URL)")
}

func projectShow(ctx context.Context, env *Env, args []string) error {
	fs := flagSet(env, "project show", "playhead project show KEY|ID [--data DIR] [--public-url URL]")
	data := dataFlag(fs, env)
	public := publicURLFlag(fs, env)
	which, err := parseWithName(fs, args)
	if err != nil {
		return err
	}
	st, p, err := findProject(ctx, *data, which)
	if err != nil {
		return err
	}
	defer st.Close()
	showProject(env, p, strings.TrimRight(*public, "/"))
	return nil
}

func showProject(env *Env, p store.Project, public string) {
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	origins := "any"
	if len(p.Origins) > 0 {
		origins = strings.Join(p.Origins, " ")
	}
	retention := "until deleted"
	if p.RetentionDays > 0 {
		retention = fmt.Sprintf("%d days", p.RetentionDays)
	}
	recorder, _ := json.Marshal(p.Recorder)
	for _, row := range [][2]string{
		{"id", strconv.FormatInt(p.ID, 10)},
		{"name", p.Name},
		{"key", p.Key},
		{"recording", onOff(p.Enabled)},
		{"origins", origins},
		{"sample rate", strconv.FormatFloat(p.SampleRate, 'g', -1, 64)},
		{"sessions kept", retention},
		{"quota", fmt.Sprintf("%s batches a minute, %s bytes a day", bound(int64(p.Quota.BatchesPerMinute)), bound(p.Quota.BytesPerDay))},
		{"recorder", string(recorder)},
	} {
		fmt.Fprintf(w, "%s:\t%s\n", row[0], row[1])
	}
	w.Flush()
	if public != "" {
		fmt.Fprintf(env.Stdout, "snippet:\n%s\n", account.Snippet(public, p.Key))
	}
}

func bound(n int64) string {
	if n == 0 {
		return "any"
	}
	return strconv.FormatInt(n, 10)
}

// boolFlag is a flag that is true when given alone (--mask-all-text) and
// takes =false.
type boolFlag struct{ v *bool }

func (b boolFlag) String() string {
	if b.v == nil {
		return "false"
	}
	return strconv.FormatBool(*b.v)
}
func (b boolFlag) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("want true or false")
	}
	*b.v = v
	return nil
}
func (b boolFlag) IsBoolFlag() bool { return true }

const setSynopsis = `playhead project set KEY|ID [--data DIR] [--name NAME] [--origin URL]... [--any-origin]
    [--enabled=BOOL] [--sample-rate F] [--retention-days N]
    [--quota-batches-per-minute N] [--quota-bytes-per-day SIZE]
    [--mask-all-text=BOOL] [--scrub-emails=BOOL] [--allow-params LIST] [--mask-paths LIST]
    [--network=BOOL] [--console=BOOL]`

// projectSet changes the settings given as flags and shows the project.
func projectSet(ctx context.Context, env *Env, args []string) error {
	fs := flagSet(env, "project set", setSynopsis)
	data := dataFlag(fs, env)
	public := publicURLFlag(fs, env)
	var (
		name                      string
		origins                   originsFlag
		anyOrigin                 bool
		enabled, network, console bool
		maskAll, scrubEmails      bool
		sampleRate                float64
		retention, batches        int
		bytesPerDay               int64
		allowParams, maskPaths    string
	)
	fs.Var(stringValue(&name), "name", "the project's name")
	fs.Var(&origins, "origin", "a page origin allowed to send (repeatable; replaces the origins)")
	fs.Var(boolFlag{&anyOrigin}, "any-origin", "let any origin send: clears the origins")
	fs.Var(boolFlag{&enabled}, "enabled", "recording on or off")
	fs.Var(floatValue(&sampleRate), "sample-rate", "share of sessions recorded, 0 to 1")
	fs.Var(intValue(&retention), "retention-days", "days sessions are kept after they end; 0 keeps them")
	fs.Var(intValue(&batches), "quota-batches-per-minute", "batches the key may send a minute; 0 for no bound")
	fs.Var(size{&bytesPerDay}, "quota-bytes-per-day", "bytes the key may send a day, such as 512M; 0 for no bound")
	fs.Var(boolFlag{&maskAll}, "mask-all-text", "mask all page text")
	fs.Var(boolFlag{&scrubEmails}, "scrub-emails", "replace e-mail addresses")
	fs.Var(stringValue(&allowParams), "allow-params", "query parameters kept in URLs: names or prefixes ending in *, comma-separated (empty: utm_*)")
	fs.Var(stringValue(&maskPaths), "mask-paths", "path patterns such as /reset/:token, comma-separated")
	fs.Var(boolFlag{&network}, "network", "record requests")
	fs.Var(boolFlag{&console}, "console", "record console errors and warnings")
	which, err := parseWithName(fs, args)
	if err != nil {
		return err
	}
	st, p, err := findProject(ctx, *data, which)
	if err != nil {
		return err
	}
	defer st.Close()
	next := p
	var bad error
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "name":
			if name = strings.TrimSpace(name); name == "" || len(name) > 200 {
				bad = errors.New("--name: give a name of 1 to 200 characters")
			}
			next.Name = name
		case "origin":
			next.Origins = nil
			for _, o := range origins {
				n, err := normalizeOrigin(o)
				if err != nil {
					bad = err
				}
				next.Origins = append(next.Origins, n)
			}
		case "any-origin":
			if anyOrigin {
				next.Origins = nil
			}
		case "enabled":
			next.Enabled = enabled
		case "sample-rate":
			if sampleRate > 1 {
				bad = errors.New("--sample-rate: give a number from 0 to 1")
			}
			next.SampleRate = sampleRate
		case "retention-days":
			next.RetentionDays = retention
		case "quota-batches-per-minute":
			next.Quota.BatchesPerMinute = batches
		case "quota-bytes-per-day":
			next.Quota.BytesPerDay = bytesPerDay
		case "mask-all-text":
			next.Recorder.MaskAllText = maskAll
		case "scrub-emails":
			next.Recorder.ScrubEmails = scrubEmails
		case "allow-params":
			if next.Recorder.AllowParams, err = account.ParseAllowParams(allowParams); err != nil {
				bad = fmt.Errorf("--allow-params: %w", err)
			}
		case "mask-paths":
			if next.Recorder.MaskPaths, err = account.ParseMaskPaths(maskPaths); err != nil {
				bad = fmt.Errorf("--mask-paths: %w", err)
			}
		case "network":
			next.Recorder.Network = offOnly(network)
		case "console":
			next.Recorder.Console = offOnly(console)
		}
	})
	if bad != nil {
		fmt.Fprintln(env.Stderr, bad)
		return errUsage
	}
	if err := st.UpdateProject(ctx, next); err != nil {
		return err
	}
	if err := st.Audit(ctx, store.AuditEntry{Actor: "cli", Action: "project.settings", Project: p.ID, Target: next.Name,
		Detail: strings.Join(account.SettingsChanged(p, next), "; ")}); err != nil {
		return err
	}
	showProject(env, next, strings.TrimRight(*public, "/"))
	// Running servers read projects again within their caches' lifetime.
	fmt.Fprintln(env.Stdout, "Saved; running servers follow within 10 seconds, and pages within a minute more.")
	return nil
}

// offOnly stores a recorder switch as the settings do: on is the default.
func offOnly(on bool) *bool {
	if on {
		return nil
	}
	return &on
}
