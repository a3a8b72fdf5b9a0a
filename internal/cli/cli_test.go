package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/playhead/playhead/internal/store/sqlite"
)

func run(t *testing.T, environ map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return environ[k] }}
	err = Run(context.Background(), env, args)
	return out.String(), errOut.String(), err
}

func TestProjectCreatePrintsKeyLast(t *testing.T) {
	dir := t.TempDir()
	out, _, err := run(t, nil, "project", "create", "Shop", "--data", dir, "--origin", "https://Shop.example/", "--origin", "http://localhost:3000")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	key := lines[len(lines)-1]
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, err := st.ProjectByKey(context.Background(), key)
	if err != nil {
		t.Fatalf("the last line %q is not the project's key: %v", key, err)
	}
	if p.Name != "Shop" || strings.Join(p.Origins, " ") != "https://shop.example http://localhost:3000" {
		t.Errorf("project = %+v", p)
	}

	// PLAYHEAD_DATA stands in for --data; flags may follow NAME or not.
	if _, _, err := run(t, map[string]string{"PLAYHEAD_DATA": dir}, "project", "create", "--origin", "https://b.example", "Blog"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, nil, "project", "disable", key, "--data", dir); err != nil {
		t.Fatal(err)
	}
	if p, _ := st.ProjectByKey(context.Background(), key); p.Enabled {
		t.Error("project still enabled after disable")
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"nonsense"},
		{"project"},
		{"project", "create"},
		{"project", "create", "a", "b"},
		{"project", "create", "a", "--origin", "shop.example"},
		{"serve", "--addr"},
		{"serve", "extra"},
		{"serve", "--ingest-max-body", "lots"},
	} {
		_, stderr, err := run(t, nil, args...)
		if !errors.Is(err, errUsage) || stderr == "" {
			t.Errorf("%q: err %v, stderr %q; want a usage error that says what is wrong", args, err, stderr)
		}
	}
	if _, stderr, err := run(t, map[string]string{"PLAYHEAD_INGEST_MAX_EVENTS": "many"}, "serve"); !errors.Is(err, errUsage) || !strings.Contains(stderr, "PLAYHEAD_INGEST_MAX_EVENTS") {
		t.Errorf("bad environment value: %v %q", err, stderr)
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"help", "serve"}, {"serve", "--help"}, {"project", "--help"}} {
		out, stderr, err := run(t, nil, args...)
		if err != nil && !strings.Contains(err.Error(), "help") {
			t.Errorf("%q: %v", args, err)
		}
		if !strings.Contains(out+stderr, "Usage") {
			t.Errorf("%q printed no usage", args)
		}
	}
}

func TestSize(t *testing.T) {
	for in, want := range map[string]int64{"1048576": 1 << 20, "512K": 512 << 10, "64M": 64 << 20, "1G": 1 << 30} {
		var n int64
		if err := (size{&n}).Set(in); err != nil || n != want {
			t.Errorf("size %q = %d, %v; want %d", in, n, err, want)
		}
		if got := (size{&n}).String(); got != in && in != "1048576" {
			t.Errorf("size %d prints as %q, want %q", n, got, in)
		}
	}
	for _, bad := range []string{"", "-1", "1T", "K", "1.5M"} {
		var n int64
		if err := (size{&n}).Set(bad); err == nil {
			t.Errorf("size %q accepted", bad)
		}
	}
}

func TestProjectGoals(t *testing.T) {
	dir := t.TempDir()
	out, _, err := run(t, nil, "project", "create", "Shop", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	key := lines[len(lines)-1]
	if _, _, err := run(t, nil, "project", "goal", "add", key, "checkout", "--url", "*/checkout/done", "--data", dir); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, map[string]string{"PLAYHEAD_DATA": dir}, "project", "goal", "add", "--event", "signup", key, "signup"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, nil, "project", "goal", "add", key, "checkout", "--event", "x", "--data", dir); err == nil || !strings.Contains(err.Error(), "already") {
		t.Errorf("a second goal of the same name: %v", err)
	}
	out, _, err = run(t, nil, "project", "goal", "list", key, "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	want := "checkout\tvisits */checkout/done; intent: visits */checkout/*\nsignup\ttracks the event signup\n"
	if out != want {
		t.Errorf("goal list:\n%s\nwant\n%s", out, want)
	}
	if _, _, err := run(t, nil, "project", "goal", "remove", key, "checkout", "--data", dir); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, nil, "project", "goal", "remove", key, "checkout", "--data", dir); err == nil {
		t.Error("removing a goal twice succeeded")
	}
	if out, _, _ = run(t, nil, "project", "goal", "list", key, "--data", dir); out != "signup\ttracks the event signup\n" {
		t.Errorf("goal list after remove: %q", out)
	}
	for _, args := range [][]string{
		{"project", "goal"},
		{"project", "goal", "add", key, "g", "--data", dir},
		{"project", "goal", "add", key, "g", "--url", "*/a", "--event", "b", "--data", dir},
		{"project", "goal", "add", key, "--url", "*/a", "--data", dir},
		{"project", "goal", "remove", key, "--data", dir},
	} {
		if _, stderr, err := run(t, nil, args...); !errors.Is(err, errUsage) || stderr == "" {
			t.Errorf("%q: err %v, stderr %q; want a usage error", args, err, stderr)
		}
	}
	if _, _, err := run(t, nil, "project", "goal", "add", "ph_nokey", "g", "--url", "*/a", "--data", dir); err == nil || !strings.Contains(err.Error(), "no project") {
		t.Errorf("unknown key: %v", err)
	}
}

func TestProjectSignals(t *testing.T) {
	dir := t.TempDir()
	out, _, err := run(t, nil, "project", "create", "Shop", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	key := out[strings.LastIndexByte(strings.TrimSpace(out), '\n')+1 : len(out)-1]
	out, _, err = run(t, nil, "project", "signals", key, "--data", dir)
	if err != nil || !strings.Contains(out, "--rage-clicks=3\n") || !strings.Contains(out, "--dead-click-wait=2.5s\n") || strings.Contains(out, "Saved") {
		t.Fatalf("defaults: %v\n%s", err, out)
	}
	out, _, err = run(t, nil, "project", "signals", key, "--data", dir, "--rage-clicks", "4", "--slow-request", "5s")
	if err != nil || !strings.Contains(out, "Saved") || !strings.Contains(out, "--rage-clicks=4\n") {
		t.Fatalf("set: %v\n%s", err, out)
	}
	// Kept, and the others untouched.
	out, _, _ = run(t, nil, "project", "signals", key, "--data", dir, "--quick-back", "20s")
	for _, want := range []string{"--rage-clicks=4\n", "--slow-request=5s\n", "--quick-back=20s\n", "--rage-radius=30\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("after two changes, %q missing from\n%s", want, out)
		}
	}
	for _, bad := range [][]string{{"--rage-clicks", "1"}, {"--idle", "-1s"}, {"--nonsense", "1"}} {
		if _, _, err := run(t, nil, append([]string{"project", "signals", key, "--data", dir}, bad...)...); !errors.Is(err, errUsage) {
			t.Errorf("%v: err %v, want a usage error", bad, err)
		}
	}
	if _, _, err := run(t, nil, "project", "signals", "ph_nope", "--data", dir); err == nil || errors.Is(err, errUsage) {
		t.Errorf("unknown key: %v", err)
	}
}
