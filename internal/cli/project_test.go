package cli

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/playhead/playhead/internal/store/sqlite"
)

func TestProjectListShowSet(t *testing.T) {
	dir := t.TempDir()
	out, _, err := run(t, nil, "project", "create", "Shop", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
	if _, _, err := run(t, nil, "project", "create", "Blog", "--data", dir); err != nil {
		t.Fatal(err)
	}

	out, _, err = run(t, nil, "project", "list", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "Shop") || !strings.Contains(lines[1], key) || !strings.HasSuffix(lines[1], "on") ||
		!strings.Contains(lines[2], "Blog") {
		t.Errorf("list:\n%s", out)
	}

	out, _, err = run(t, map[string]string{"PLAYHEAD_DATA": dir}, "project", "set", key,
		"--name", "Big shop", "--origin", "https://Shop.example", "--origin", "https://www.shop.example",
		"--sample-rate", "0.25", "--retention-days", "90", "--quota-batches-per-minute", "600", "--quota-bytes-per-day", "64M",
		"--mask-all-text", "--allow-params", "utm_*,ref", "--mask-paths", "/reset/:token", "--network=false")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, err := st.ProjectByKey(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "Big shop" || strings.Join(p.Origins, " ") != "https://shop.example https://www.shop.example" ||
		p.SampleRate != 0.25 || p.RetentionDays != 90 || p.Quota.BatchesPerMinute != 600 || p.Quota.BytesPerDay != 64<<20 ||
		!p.Recorder.MaskAllText || p.Recorder.ScrubEmails || strings.Join(p.Recorder.AllowParams, ",") != "utm_*,ref" ||
		strings.Join(p.Recorder.MaskPaths, ",") != "/reset/:token" || p.Recorder.Network == nil || *p.Recorder.Network || p.Recorder.Console != nil {
		t.Errorf("after set: %+v", p)
	}
	if !strings.Contains(out, "sample rate:    0.25") || !strings.Contains(out, "90 days") {
		t.Errorf("set shows:\n%s", out)
	}
	log, err := st.AuditLog(ctx, 0, 10)
	if err != nil || len(log) == 0 || log[0].Action != "project.settings" || log[0].Actor != "cli" || !strings.Contains(log[0].Detail, "sample rate: 1 → 0.25") {
		t.Errorf("audit log %+v (%v)", log, err)
	}

	// What is not given stays; the id names the project as well as the key.
	if _, _, err := run(t, nil, "project", "set", "1", "--data", dir, "--enabled=false", "--any-origin"); err != nil {
		t.Fatal(err)
	}
	p, _ = st.ProjectByKey(ctx, key)
	if p.Enabled || len(p.Origins) != 0 || p.SampleRate != 0.25 || !p.Recorder.MaskAllText {
		t.Errorf("after the second set: %+v", p)
	}

	out, _, err = run(t, map[string]string{"PLAYHEAD_PUBLIC_URL": "https://playhead.example/"}, "project", "show", key, "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `<script src="https://playhead.example/playhead.js?key=`+key+`" defer></script>`) ||
		!strings.Contains(out, "recording:") || !strings.Contains(out, `"maskAllText":true`) {
		t.Errorf("show:\n%s", out)
	}
	if out, _, _ := run(t, nil, "project", "show", key, "--data", dir); strings.Contains(out, "snippet") {
		t.Errorf("a snippet without a public URL:\n%s", out)
	}
}

func TestProjectSetRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := run(t, nil, "project", "create", "Shop", "--data", dir); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--sample-rate", "1.5"},
		{"--sample-rate", "-1"},
		{"--retention-days", "x"},
		{"--origin", "shop.example/path"},
		{"--allow-params", "a=b"},
		{"--mask-paths", "reset"},
		{"--name", " "},
		{"--mask-all-text=maybe"},
	} {
		_, stderr, err := run(t, nil, append([]string{"project", "set", "1", "--data", dir}, args...)...)
		if !errors.Is(err, errUsage) || stderr == "" {
			t.Errorf("%v: %v, stderr %q", args, err, stderr)
		}
	}
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, _ := st.ProjectByID(context.Background(), 1)
	if p.Name != "Shop" || p.SampleRate != 1 || len(p.Origins) != 0 || p.Recorder.AllowParams != nil {
		t.Errorf("refused input changed the project: %+v", p)
	}
	if _, _, err := run(t, nil, "project", "show", "99", "--data", dir); err == nil || !strings.Contains(err.Error(), "no project has the id 99") {
		t.Errorf("show of a missing id: %v", err)
	}
}
