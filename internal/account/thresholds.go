package account

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/playhead/playhead/internal/signals"
)

// threshold is one field of signals.Config on the settings page, named by
// its JSON name, as the stored setting is.
type threshold struct {
	Name, Value, Unit string
	Default           string
}

var durationType = reflect.TypeOf(time.Duration(0))

// thresholdFields lists cfg's thresholds in their order in signals.Config.
func thresholdFields(cfg signals.Config) []threshold {
	v, d := reflect.ValueOf(cfg), reflect.ValueOf(signals.DefaultConfig)
	t := v.Type()
	out := make([]threshold, 0, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out = append(out, threshold{Name: name, Value: formatThreshold(v.Field(i)), Default: formatThreshold(d.Field(i)), Unit: unitOf(t.Field(i).Type)})
	}
	return out
}

func unitOf(t reflect.Type) string {
	switch {
	case t == durationType:
		return "duration, such as 2.5s or 1m"
	case t.Kind() == reflect.Int:
		return "count"
	}
	return "number"
}

func formatThreshold(v reflect.Value) string {
	switch {
	case v.Type() == durationType:
		return time.Duration(v.Int()).String()
	case v.Kind() == reflect.Int:
		return strconv.FormatInt(v.Int(), 10)
	}
	return strconv.FormatFloat(v.Float(), 'g', -1, 64)
}

// thresholdsFromForm reads every threshold of the form over cfg; an empty
// field keeps the value it had.
func thresholdsFromForm(cfg signals.Config, r *http.Request) (signals.Config, error) {
	v := reflect.ValueOf(&cfg).Elem()
	t := v.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		s := strings.TrimSpace(r.PostFormValue(name))
		if s == "" {
			continue
		}
		f := v.Field(i)
		switch {
		case f.Type() == durationType:
			d, err := time.ParseDuration(s)
			if err != nil || d <= 0 {
				return cfg, badInput("%s: give a duration such as 2.5s or 1m", name)
			}
			f.SetInt(int64(d))
		case f.Kind() == reflect.Int:
			n, err := strconv.Atoi(s)
			if err != nil || n <= 0 {
				return cfg, badInput("%s: give a whole number above 0", name)
			}
			f.SetInt(int64(n))
		default:
			n, err := strconv.ParseFloat(s, 64)
			if err != nil || !(n > 0) || n > 1e9 {
				return cfg, badInput("%s: give a number above 0", name)
			}
			f.SetFloat(n)
		}
	}
	if err := cfg.Check(); err != nil {
		return cfg, badInput("%v", err)
	}
	return cfg, nil
}

// thresholds reads the project's signal thresholds: the defaults where it
// has none.
func (p *Pages) thresholds(r *http.Request, project int64) (signals.Config, error) {
	cfg := signals.DefaultConfig
	raw, ok, err := p.Store.Setting(r.Context(), signals.SettingName(project))
	if err != nil || !ok {
		return cfg, err
	}
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		return signals.DefaultConfig, fmt.Errorf("the stored thresholds of project %d: %w", project, err)
	}
	return cfg, nil
}

func (p *Pages) saveSignals(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.projectOf(w, r)
	if !ok {
		return
	}
	old, err := p.thresholds(r, pr.ID)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	cfg, err := thresholdsFromForm(old, r)
	if err != nil {
		p.projectPage(w, r, pr, http.StatusBadRequest, err.Error(), nil)
		return
	}
	var changed []string
	was := thresholdFields(old)
	for i, f := range thresholdFields(cfg) {
		if was[i].Value != f.Value {
			changed = append(changed, fmt.Sprintf("%s: %s → %s", f.Name, was[i].Value, f.Value))
		}
	}
	if len(changed) > 0 {
		b, err := json.Marshal(cfg)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		if err := p.Store.SetSetting(r.Context(), signals.SettingName(pr.ID), string(b)); err != nil {
			p.fail(w, r, err)
			return
		}
		p.record(r, "project.signals", pr.ID, pr.Name, strings.Join(changed, "; "))
	}
	back(w, r, fmt.Sprintf("/projects/%d#signals", pr.ID))
}
