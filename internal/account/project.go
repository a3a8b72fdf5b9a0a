package account

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/playhead/playhead/internal/auth"
	"github.com/playhead/playhead/internal/store"
)

// The bounds of what a project's settings page takes.
const (
	maxRetentionDays = 36500
	maxListItems     = 50  // allowed query parameters, masked paths
	maxListItem      = 200 // characters of one
	maxGoalName      = 200
)

var paramPattern = regexp.MustCompile(`^[A-Za-z0-9_.\-\[\]]+\*?$`)

// inputError is a message for the person who filled in a form.
type inputError string

func (e inputError) Error() string { return string(e) }

func badInput(format string, a ...any) error { return inputError(fmt.Sprintf(format, a...)) }

// projectOf reads the {project} of the path; it has answered when ok is
// false. A deleted project is not found.
func (p *Pages) projectOf(w http.ResponseWriter, r *http.Request) (store.Project, bool) {
	id, err := strconv.ParseInt(r.PathValue("project"), 10, 64)
	if err != nil {
		p.fail(w, r, store.ErrNotFound)
		return store.Project{}, false
	}
	pr, err := p.Store.ProjectByID(r.Context(), id)
	if err == nil && !pr.Deleted.IsZero() {
		err = store.ErrNotFound
	}
	if err != nil {
		p.fail(w, r, err)
		return store.Project{}, false
	}
	return pr, true
}

func (p *Pages) project(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.projectOf(w, r)
	if !ok {
		return
	}
	p.projectPage(w, r, pr, http.StatusOK, "", nil)
}

// projectPage shows one project: its snippet and settings, editable by
// owners and admins. extra is added to the template's data.
func (p *Pages) projectPage(w http.ResponseWriter, r *http.Request, pr store.Project, status int, errMsg string, extra map[string]any) {
	ctx := r.Context()
	goals, err := p.Store.Goals(ctx, pr.ID)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	cfg, err := p.thresholds(r, pr.ID)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	type goal struct {
		store.Goal
		Describe string
	}
	var gs []goal
	for _, g := range goals {
		gs = append(gs, goal{g, describeGoal(g)})
	}
	data := map[string]any{
		"Project": pr, "Snippet": Snippet(p.Gate.PublicURL(), pr.Key), "Edit": mayEdit(auth.FromContext(ctx)),
		"Origins": strings.Join(pr.Origins, "\n"), "AllowParams": strings.Join(pr.Recorder.AllowParams, ", "),
		"MaskPaths": strings.Join(pr.Recorder.MaskPaths, "\n"),
		"Network":   pr.Recorder.Network == nil || *pr.Recorder.Network,
		"Console":   pr.Recorder.Console == nil || *pr.Recorder.Console,
		"Goals":     gs, "Thresholds": thresholdFields(cfg),
	}
	for k, v := range extra {
		data[k] = v
	}
	p.render(w, r, status, "project", errMsg, data)
}

func describeGoal(g store.Goal) string {
	d := "the site tracks the event " + g.Event
	if g.URL != "" {
		d = "a visit of " + g.URL
	}
	if i := store.IntentGlob(g); i != "" {
		d += "; intent: a visit of " + i
	}
	return d
}

func (p *Pages) saveSettings(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.projectOf(w, r)
	if !ok {
		return
	}
	next, err := settingsFromForm(pr, r)
	if err != nil {
		p.projectPage(w, r, pr, http.StatusBadRequest, err.Error(), nil)
		return
	}
	changed := SettingsChanged(pr, next)
	if len(changed) == 0 {
		back(w, r, fmt.Sprintf("/projects/%d", pr.ID))
		return
	}
	if err := p.Store.UpdateProject(r.Context(), next); err != nil {
		p.fail(w, r, err)
		return
	}
	p.keyChanged(pr.Key)
	p.record(r, "project.settings", pr.ID, next.Name, strings.Join(changed, "; "))
	back(w, r, fmt.Sprintf("/projects/%d", pr.ID))
}

func (p *Pages) keyChanged(key string) {
	if p.KeyChanged != nil {
		p.KeyChanged(key)
	}
}

// settingsFromForm reads the settings form over the project's settings.
func settingsFromForm(pr store.Project, r *http.Request) (store.Project, error) {
	f := r.PostFormValue
	next := pr
	next.Name = strings.TrimSpace(f("name"))
	if next.Name == "" || len(next.Name) > maxProjectName {
		return pr, badInput("give the project a name of at most %d characters", maxProjectName)
	}
	origins, err := parseOrigins(f("origins"))
	if err != nil {
		return pr, badInput("%v", err)
	}
	next.Origins = origins
	next.Enabled = f("enabled") != ""
	if next.SampleRate, err = strconv.ParseFloat(strings.TrimSpace(f("sample_rate")), 64); err != nil || next.SampleRate < 0 || next.SampleRate > 1 {
		return pr, badInput("the sample rate is a number from 0 (no session) to 1 (every session)")
	}
	if next.RetentionDays, err = strconv.Atoi(strings.TrimSpace(f("retention_days"))); err != nil || next.RetentionDays < 0 || next.RetentionDays > maxRetentionDays {
		return pr, badInput("keep sessions for 0 (until deleted) to %d days", maxRetentionDays)
	}
	if next.Quota.BatchesPerMinute, err = strconv.Atoi(strings.TrimSpace(f("quota_batches_per_minute"))); err != nil || next.Quota.BatchesPerMinute < 0 {
		return pr, badInput("batches a minute: a whole number, 0 for no bound")
	}
	if next.Quota.BytesPerDay, err = strconv.ParseInt(strings.TrimSpace(f("quota_bytes_per_day")), 10, 64); err != nil || next.Quota.BytesPerDay < 0 {
		return pr, badInput("bytes a day: a whole number, 0 for no bound")
	}
	rec := store.RecorderSettings{MaskAllText: f("mask_all_text") != "", ScrubEmails: f("scrub_emails") != ""}
	if rec.AllowParams, err = ParseAllowParams(f("allow_params")); err != nil {
		return pr, err
	}
	if rec.MaskPaths, err = ParseMaskPaths(f("mask_paths")); err != nil {
		return pr, err
	}
	// On is the recorder's default: only off is stored.
	off := false
	if f("network") == "" {
		rec.Network = &off
	}
	if f("console") == "" {
		rec.Console = &off
	}
	next.Recorder = rec
	return next, nil
}

// ParseAllowParams reads query parameter names, or prefixes ending in *,
// separated by commas or white space.
func ParseAllowParams(s string) ([]string, error) {
	return parseList(s, ",", func(v string) error {
		if !paramPattern.MatchString(v) {
			return badInput("%q is not a query parameter name, or a prefix ending in *", v)
		}
		return nil
	})
}

// ParseMaskPaths reads path patterns such as /reset/:token, separated by
// white space or commas.
func ParseMaskPaths(s string) ([]string, error) {
	return parseList(s, ",", func(v string) error {
		if !strings.HasPrefix(v, "/") || strings.ContainsAny(v, "?#") {
			return badInput("%q is not a path pattern such as /reset/:token", v)
		}
		return nil
	})
}

func parseList(s, seps string, check func(string) error) ([]string, error) {
	var out []string
	for _, v := range strings.FieldsFunc(s, func(r rune) bool {
		return strings.ContainsRune(seps, r) || r == ' ' || r == '\n' || r == '\r' || r == '\t'
	}) {
		if len(v) > maxListItem {
			return nil, badInput("%.20q… is longer than %d characters", v, maxListItem)
		}
		if err := check(v); err != nil {
			return nil, err
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	if len(out) > maxListItems {
		return nil, badInput("at most %d items", maxListItems)
	}
	return out, nil
}

// SettingsChanged describes what differs between two versions of a
// project, for the audit log.
func SettingsChanged(a, b store.Project) []string {
	var out []string
	diff := func(name string, x, y any) {
		xs, ys := fmt.Sprint(x), fmt.Sprint(y)
		if xs != ys {
			out = append(out, fmt.Sprintf("%s: %s → %s", name, xs, ys))
		}
	}
	diff("name", a.Name, b.Name)
	diff("origins", a.Origins, b.Origins)
	diff("enabled", a.Enabled, b.Enabled)
	diff("sample rate", a.SampleRate, b.SampleRate)
	diff("retention days", a.RetentionDays, b.RetentionDays)
	diff("batches a minute", a.Quota.BatchesPerMinute, b.Quota.BatchesPerMinute)
	diff("bytes a day", a.Quota.BytesPerDay, b.Quota.BytesPerDay)
	ra, _ := json.Marshal(a.Recorder)
	rb, _ := json.Marshal(b.Recorder)
	diff("recorder", string(ra), string(rb))
	return out
}

func (p *Pages) addGoal(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.projectOf(w, r)
	if !ok {
		return
	}
	g := store.Goal{Name: strings.TrimSpace(r.PostFormValue("name")), URL: strings.TrimSpace(r.PostFormValue("url")),
		Event: strings.TrimSpace(r.PostFormValue("event")), Intent: strings.TrimSpace(r.PostFormValue("intent"))}
	switch {
	case g.Name == "" || len(g.Name) > maxGoalName:
		p.projectPage(w, r, pr, http.StatusBadRequest, "Give the goal a name.", nil)
		return
	case (g.URL == "") == (g.Event == ""):
		p.projectPage(w, r, pr, http.StatusBadRequest, "Give the goal either a URL pattern or an event name.", nil)
		return
	case len(g.URL) > maxListItem || len(g.Event) > maxGoalName || len(g.Intent) > maxListItem:
		p.projectPage(w, r, pr, http.StatusBadRequest, "The goal's pattern or event is too long.", nil)
		return
	}
	added, err := p.Store.AddGoal(r.Context(), pr.Key, g)
	if errors.Is(err, store.ErrExists) {
		p.projectPage(w, r, pr, http.StatusConflict, "The project has a goal called "+g.Name+" already.", nil)
		return
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.record(r, "project.goal.add", pr.ID, added.Name, describeGoal(added))
	back(w, r, fmt.Sprintf("/projects/%d#goals", pr.ID))
}

func (p *Pages) dropGoal(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.projectOf(w, r)
	if !ok {
		return
	}
	name := r.PostFormValue("name")
	err := p.Store.RemoveGoal(r.Context(), pr.Key, name)
	if errors.Is(err, store.ErrNotFound) {
		p.projectPage(w, r, pr, http.StatusNotFound, "The project has no such goal.", nil)
		return
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.record(r, "project.goal.remove", pr.ID, name, "")
	back(w, r, fmt.Sprintf("/projects/%d#goals", pr.ID))
}

func (p *Pages) rotateKey(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.projectOf(w, r)
	if !ok {
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		p.projectPage(w, r, pr, http.StatusOK, "", map[string]any{"ConfirmRotate": true})
		return
	}
	if _, err := p.Store.RotateProjectKey(r.Context(), pr.ID); err != nil {
		p.fail(w, r, err)
		return
	}
	p.keyChanged(pr.Key)
	p.record(r, "project.rotate_key", pr.ID, pr.Name, "")
	back(w, r, fmt.Sprintf("/projects/%d", pr.ID))
}

func (p *Pages) deleteProject(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.projectOf(w, r)
	if !ok {
		return
	}
	if r.PostFormValue("name") != pr.Name {
		p.projectPage(w, r, pr, http.StatusBadRequest, "To delete the project, type its name exactly.", nil)
		return
	}
	if err := p.Store.DeleteProject(r.Context(), pr.ID); err != nil {
		p.fail(w, r, err)
		return
	}
	p.keyChanged(pr.Key)
	p.record(r, "project.delete", pr.ID, pr.Name, "")
	back(w, r, "/projects")
}
