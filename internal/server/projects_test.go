package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/server/servertest"
	"github.com/playhead/playhead/internal/signals"
	"github.com/playhead/playhead/internal/store"
	"github.com/playhead/playhead/internal/store/sqlite"
)

// form posts a form as who and returns the status and the page.
func (env *authzEnv) form(t *testing.T, who, path string, form url.Values) (int, string) {
	t.Helper()
	form.Set("csrf", env.csrf[who])
	req, _ := http.NewRequest("POST", env.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := env.clients[who].Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (env *authzEnv) page(t *testing.T, who, path string) (int, string) {
	t.Helper()
	return getPage(t, env.clients[who], env.base+path)
}

// stored reads what the data folder holds of a project, and its audit log.
func stored(t *testing.T, data string, id int64) (store.Project, []store.AuditEntry, *sqlite.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p, err := st.ProjectByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	log, err := st.AuditLog(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	return p, log, st
}

func audited(log []store.AuditEntry, action, actor string, project int64) bool {
	return slices.ContainsFunc(log, func(e store.AuditEntry) bool {
		return e.Action == action && e.Actor == actor && e.Project == project
	})
}

var settingsForm = url.Values{
	"name": {"Shop"}, "origins": {"https://Shop.example\nhttps://www.shop.example"}, "enabled": {"on"},
	"sample_rate": {"0.5"}, "retention_days": {"30"}, "quota_batches_per_minute": {"600"}, "quota_bytes_per_day": {"1048576"},
	"mask_all_text": {"on"}, "allow_params": {"utm_*, ref"}, "mask_paths": {"/reset/:token"}, "console": {"on"},
}

func TestProjectSettings(t *testing.T) {
	base, data := start(t)
	env := newAuthzEnv(t, base, data)
	a := env.projectA
	path := fmt.Sprintf("/projects/%d", a)

	if status, page := env.form(t, admin, path+"/settings", settingsForm); status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", status, page)
	}
	p, log, _ := stored(t, data, a)
	off := false
	want := store.ProjectSettings{RetentionDays: 30, SampleRate: 0.5, Quota: store.Quota{BatchesPerMinute: 600, BytesPerDay: 1 << 20},
		Recorder: store.RecorderSettings{MaskAllText: true, AllowParams: []string{"utm_*", "ref"}, MaskPaths: []string{"/reset/:token"}, Network: &off}}
	got, _ := json.Marshal(p.ProjectSettings)
	wantJSON, _ := json.Marshal(want)
	if string(got) != string(wantJSON) || p.Name != "Shop" || !p.Enabled ||
		strings.Join(p.Origins, " ") != "https://shop.example https://www.shop.example" {
		t.Errorf("stored %s %q %v %v, want %s", got, p.Name, p.Enabled, p.Origins, wantJSON)
	}
	if !audited(log, "project.settings", "admin@example.test", a) {
		t.Errorf("no audit entry of the change: %+v", log)
	}

	// Bad input is refused and changes nothing.
	for field, v := range map[string]string{"sample_rate": "2", "retention_days": "-1", "quota_bytes_per_day": "lots",
		"name": " ", "origins": "shop.example/path", "allow_params": "a=b", "mask_paths": "reset/:token"} {
		bad := url.Values{}
		for k, vs := range settingsForm {
			bad[k] = vs
		}
		bad.Set(field, v)
		// Were the form taken, the sample rate would change.
		bad.Set("sample_rate", strings.Replace(bad.Get("sample_rate"), "0.5", "0.25", 1))
		if status, _ := env.form(t, owner, path+"/settings", bad); status != http.StatusBadRequest {
			t.Errorf("%s=%q: %d, want 400", field, v, status)
		}
	}
	if after, _, _ := stored(t, data, a); after.SampleRate != 0.5 {
		t.Errorf("a refused form changed the sample rate to %v", after.SampleRate)
	}

	// The snippet loads the recorder with the settings written in.
	_, page := env.page(t, admin, path)
	snippet := fmt.Sprintf(`src=&#34;%s/playhead.js?key=%s&#34;`, base, p.Key)
	if !strings.Contains(page, snippet) {
		t.Errorf("the page has no snippet %s", snippet)
	}
	resp, err := http.Get(base + "/playhead.js?key=" + url.QueryEscape(p.Key))
	if err != nil {
		t.Fatal(err)
	}
	js, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(js), `\"maskAllText\":true`) || !strings.Contains(string(js), `\"sampleRate\":0.5`) ||
		!strings.Contains(string(js), `\"key\":\"`+p.Key+`\"`) || !strings.Contains(string(js), `\"network\":false`) {
		t.Errorf("the keyed script lacks the settings: %.300s", js[strings.Index(string(js), "JSON.parse")-300:])
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=60" {
		t.Errorf("keyed script Cache-Control %q", cc)
	}

	// Goals and thresholds.
	if status, page := env.form(t, owner, path+"/goals", url.Values{"name": {"checkout"}, "url": {"*/checkout/done"}}); status != http.StatusSeeOther {
		t.Fatalf("add a goal: %d\n%s", status, page)
	}
	if status, _ := env.form(t, owner, path+"/goals", url.Values{"name": {"checkout"}, "event": {"x"}}); status != http.StatusConflict {
		t.Errorf("a second goal of the same name: %d, want 409", status)
	}
	if _, page := env.page(t, viewerA, path); !strings.Contains(page, `data-goal="checkout"`) {
		t.Error("the goal is not listed")
	}
	if status, _ := env.form(t, owner, path+"/signals", url.Values{"rage_clicks": {"5"}, "slow_request": {"1.5s"}}); status != http.StatusSeeOther {
		t.Fatalf("save thresholds: %d", status)
	}
	if status, _ := env.form(t, owner, path+"/signals", url.Values{"rage_clicks": {"1"}}); status != http.StatusBadRequest {
		t.Errorf("rage_clicks 1: %d, want 400", status)
	}
	_, log, st := stored(t, data, a)
	raw, _, err := st.Setting(context.Background(), signals.SettingName(a))
	var cfg signals.Config
	if err != nil || json.Unmarshal([]byte(raw), &cfg) != nil || cfg.RageClicks != 5 || cfg.SlowRequest != 1500*time.Millisecond || cfg.SlowLCP != signals.DefaultConfig.SlowLCP {
		t.Errorf("stored thresholds %s (%v)", raw, err)
	}
	goals, _ := st.Goals(context.Background(), a)
	if len(goals) != 1 || goals[0].URL != "*/checkout/done" {
		t.Errorf("stored goals %+v", goals)
	}
	if !audited(log, "project.goal.add", servertestOwner, a) || !audited(log, "project.signals", servertestOwner, a) {
		t.Errorf("no audit entry of the goal or the thresholds: %+v", log)
	}
	if status, _ := env.form(t, owner, path+"/goals/drop", url.Values{"name": {"checkout"}}); status != http.StatusSeeOther {
		t.Errorf("remove the goal: %d", status)
	}
	if goals, _ := st.Goals(context.Background(), a); len(goals) != 0 {
		t.Errorf("goals after removal: %+v", goals)
	}
}

func TestProjectsReadOnlyForMembers(t *testing.T) {
	base, data := start(t)
	env := newAuthzEnv(t, base, data)
	a, b := env.projectA, env.projectB
	_, list := env.page(t, memberA, "/projects")
	if !strings.Contains(list, fmt.Sprintf(`data-project="%d"`, a)) || strings.Contains(list, fmt.Sprintf(`data-project="%d"`, b)) ||
		strings.Contains(list, `action="/projects"`) {
		t.Errorf("a member of A sees other projects, or the create form:\n%s", list)
	}
	if _, list := env.page(t, owner, "/projects"); !strings.Contains(list, fmt.Sprintf(`data-project="%d"`, b)) || !strings.Contains(list, `action="/projects"`) {
		t.Error("the owner does not see every project and the create form")
	}
	status, page := env.page(t, viewerA, fmt.Sprintf("/projects/%d", a))
	if status != 200 || !strings.Contains(page, "<fieldset disabled>") || strings.Contains(page, "/rotate") || strings.Contains(page, "/delete") {
		t.Errorf("a viewer's project page is not read-only: %d\n%s", status, page)
	}
	if status, _ := env.page(t, memberB, fmt.Sprintf("/projects/%d", a)); status != http.StatusNotFound {
		t.Errorf("a member of B opens A's page: %d", status)
	}
}

const servertestOwner = servertest.OwnerEmail

func TestRotateAndDeleteProject(t *testing.T) {
	base, data := start(t)
	env := newAuthzEnv(t, base, data)
	a := env.projectA
	path := fmt.Sprintf("/projects/%d", a)
	before, _, _ := stored(t, data, a)
	send := func(key string, seq int) int {
		ev := []json.RawMessage{metaEvent(time.Now().UnixMilli(), "https://shop.example/")}
		status, _ := post(t, base, body{key, "rot", "w", seq, ev}, false)
		return status
	}
	// The key is cached by ingest from here.
	if status := send(before.Key, 0); status != http.StatusAccepted {
		t.Fatalf("ingest before rotation: %d", status)
	}

	status, page := env.form(t, admin, path+"/rotate", url.Values{})
	if status != 200 || !strings.Contains(page, `id="confirm-rotate"`) {
		t.Fatalf("rotation without confirmation: %d", status)
	}
	if after, _, _ := stored(t, data, a); after.Key != before.Key {
		t.Fatal("the key changed without confirmation")
	}
	if status, _ := env.form(t, admin, path+"/rotate", url.Values{"confirm": {"yes"}}); status != http.StatusSeeOther {
		t.Fatalf("rotate: %d", status)
	}
	after, log, _ := stored(t, data, a)
	if after.Key == before.Key || !audited(log, "project.rotate_key", "admin@example.test", a) {
		t.Fatalf("key %q after rotation (was %q), audit %+v", after.Key, before.Key, log)
	}
	// At once, not when the cache expires.
	if status := send(before.Key, 1); status != http.StatusUnauthorized {
		t.Errorf("the old key right after rotation: %d, want 401", status)
	}
	if status := send(after.Key, 1); status != http.StatusAccepted {
		t.Errorf("the new key: %d", status)
	}

	if status, _ := env.form(t, owner, path+"/delete", url.Values{"name": {"not the name"}}); status != http.StatusBadRequest {
		t.Errorf("delete with the wrong name: %d, want 400", status)
	}
	if status, _ := env.form(t, owner, path+"/delete", url.Values{"name": {after.Name}}); status != http.StatusSeeOther {
		t.Fatalf("delete: %d", status)
	}
	if status := send(after.Key, 2); status != http.StatusUnauthorized {
		t.Errorf("the key of a deleted project: %d, want 401", status)
	}
	if status, _ := env.page(t, owner, path); status != http.StatusNotFound {
		t.Errorf("the page of a deleted project: %d", status)
	}
	if _, log, _ := stored(t, data, a); !audited(log, "project.delete", servertestOwner, a) {
		t.Errorf("no audit entry of the deletion: %+v", log)
	}
}
