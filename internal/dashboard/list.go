package dashboard

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/playhead/playhead/internal/api"
	"github.com/playhead/playhead/internal/auth"
	"github.com/playhead/playhead/internal/store"
)

// The list's URL is the search API's query: the filter state is in the
// address bar, so a list can be shared, bookmarked and gone back to. The
// filter form is a plain GET form and every chip a plain link.

// chipLabels name the filters as their chips show them, in chip order.
var chipLabels = []struct{ Param, Label string }{
	{"q", "Text"}, {"tag", "Tag"}, {"watched", ""}, {"signal", "Signal"}, {"url", "Visited"},
	{"entry", "Entry"}, {"exit", "Exit"}, {"from", "From"}, {"to", "To"},
	{"min_duration", "Longer than"}, {"max_duration", "Shorter than"}, {"min_active", "Active at least"},
	{"device", "Device"}, {"browser", "Browser"}, {"os", "OS"}, {"user", "User"}, {"recorded", "Recorder's session"},
	{"event", "Event"}, {"converted", "Reached"}, {"not_converted", "Missed"}, {"live", ""}, {"bounce", ""},
}

// boolChips name the true/false filters by their value.
var boolChips = map[string][2]string{
	"watched": {"Unwatched", "Watched"},
	"live":    {"Not live", "Live"},
	"bounce":  {"Not bounced", "Bounced"},
}

// notFilters are parameters that are not a filter: no chip, not saved in
// a segment.
var notFilters = map[string]bool{"project": true, "sort": true, "cursor": true, "limit": true}

type chip struct {
	Label, Value string
	Remove       string // the list without this value
}

// chips lists the filters of a query, each with the link that takes it off.
func chips(v url.Values) []chip {
	var out []chip
	add := func(param, name string) {
		for _, val := range v[param] {
			c := chip{Label: name, Value: val}
			if names, ok := boolChips[param]; ok {
				b, _ := strconv.ParseBool(val)
				c.Label, c.Value = names[0], ""
				if b {
					c.Label = names[1]
				}
			} else if param == "signal" {
				c.Value = label(val)
			}
			rest := cloneValues(v)
			rest[param] = slices.DeleteFunc(slices.Clone(v[param]), func(s string) bool { return s == val })
			rest.Del("cursor")
			c.Remove = listURL(rest)
			out = append(out, c)
		}
	}
	for _, l := range chipLabels {
		add(l.Param, l.Label)
	}
	var traits []string
	for k := range v {
		if strings.HasPrefix(k, "trait.") {
			traits = append(traits, k)
		}
	}
	slices.Sort(traits)
	for _, k := range traits {
		add(k, strings.TrimPrefix(k, "trait."))
	}
	return out
}

// listURL is the list's address for a query.
func listURL(v url.Values) string {
	if enc := v.Encode(); enc != "" {
		return "/?" + enc
	}
	return "/"
}

// withoutEmpty drops empty values, which a GET form sends for every field
// left blank; ok is false when there were any.
func withoutEmpty(v url.Values) (out url.Values, ok bool) {
	out, ok = url.Values{}, true
	for k, vs := range v {
		for _, s := range vs {
			if s == "" {
				ok = false
				continue
			}
			out[k] = append(out[k], s)
		}
	}
	return out, ok
}

// segmentQuery is what a segment keeps of a list's query: its filters.
func segmentQuery(v url.Values) string {
	out := url.Values{}
	for k, vs := range v {
		if !notFilters[k] {
			out[k] = vs
		}
	}
	return out.Encode()
}

// hiddenFields are the query's values that the form has no field of its
// own for, carried through a submit as hidden inputs: repeated filters,
// traits, the recorder's session, the sort.
func hiddenFields(v url.Values) [][2]string {
	single := map[string]bool{"q": true, "url": true, "entry": true, "exit": true, "from": true, "to": true,
		"min_duration": true, "max_duration": true, "min_active": true, "device": true, "browser": true, "os": true,
		"user": true, "live": true, "bounce": true, "watched": true, "project": true, "cursor": true}
	var out [][2]string
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if single[k] {
			continue
		}
		for _, val := range v[k] {
			out = append(out, [2]string{k, val})
		}
	}
	return out
}

// row is one session as the list shows it.
type row struct {
	store.Session
	Live     bool
	Entry    string // the entry page, with its host when the page shows several
	Exit     string
	Score    string
	Why      string // the score's parts, for its tooltip
	TagLinks []chip // each tag, with the list filtered on it
}

func (d *Dashboard) rows(sessions []store.Session, v url.Values, now time.Time) []row {
	hosts := map[string]bool{}
	for _, s := range sessions {
		for _, u := range []string{s.EntryURL, s.ExitURL} {
			if p, err := url.Parse(u); err == nil && p.Host != "" {
				hosts[p.Host] = true
			}
		}
	}
	page := func(u string) string {
		if len(hosts) > 1 {
			return hostPath(u)
		}
		return urlPath(u)
	}
	out := make([]row, len(sessions))
	for i, s := range sessions {
		r := row{Session: s, Live: s.End.After(now.Add(-api.LiveWindow)), Entry: page(s.EntryURL), Exit: page(s.ExitURL),
			Score: strconv.FormatFloat(s.Score.Total, 'f', -1, 64)}
		var why []string
		for _, p := range s.Score.Parts {
			why = append(why, label(p.Reason)+" ×"+strconv.Itoa(p.Count)+": "+strconv.FormatFloat(p.Points, 'f', -1, 64))
		}
		r.Why = strings.Join(why, "\n")
		if r.Why == "" {
			r.Why = "nothing worth a look found"
		}
		for _, t := range s.Tags {
			w := cloneValues(v)
			w.Del("cursor")
			if !slices.Contains(w["tag"], t) {
				w.Add("tag", t)
			}
			r.TagLinks = append(r.TagLinks, chip{Value: t, Remove: listURL(w)})
		}
		out[i] = r
	}
	return out
}

// hostPath is a page URL as host and path.
func hostPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	return u.Host + urlPath(raw)
}

// projectChoice is one project of the picker.
type projectChoice struct {
	store.Project
	URL     string
	Current bool
	Snippet string
}

// visibleProjects lists the projects the request's principal sees.
func (d *Dashboard) visibleProjects(r *http.Request) ([]store.Project, error) {
	all, err := d.Store.Projects(r.Context())
	if err != nil {
		return nil, err
	}
	me := auth.FromContext(r.Context())
	return slices.DeleteFunc(all, func(p store.Project) bool { return !me.Sees(p.ID) }), nil
}

// list shows the sessions a search picks.
func (d *Dashboard) list(w http.ResponseWriter, r *http.Request) {
	values, clean := withoutEmpty(r.URL.Query())
	if !clean {
		// A submitted form names every field; the address keeps only
		// the filters set, so that it reads as the chips do.
		http.Redirect(w, r, listURL(values), http.StatusSeeOther)
		return
	}
	ctx := r.Context()
	projects, err := d.visibleProjects(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	var chosen int64
	if id, err := strconv.ParseInt(values.Get("project"), 10, 64); err == nil {
		chosen = id
	} else if len(projects) == 1 {
		chosen = projects[0].ID
	}
	me := auth.FromContext(ctx)
	data := map[string]any{"Form": values, "Kinds": store.SignalKinds, "Hidden": hiddenFields(values),
		"Chips": chips(values), "CanSave": me.Role().AtLeast(store.RoleMember)}
	if me.Login != nil {
		data["CSRF"] = me.Login.CSRF
	}
	var choices []projectChoice
	for _, p := range projects {
		v := cloneValues(values)
		v.Set("project", strconv.FormatInt(p.ID, 10))
		v.Del("cursor")
		c := projectChoice{Project: p, URL: listURL(v), Current: p.ID == chosen}
		if p.Key != d.DemoKey {
			c.Snippet = Snippet(d.PublicURL, p.Key)
		}
		choices = append(choices, c)
	}
	data["Projects"] = choices
	var snippets []projectChoice
	for _, c := range choices {
		if c.Snippet != "" && (chosen == 0 || c.Current) {
			snippets = append(snippets, c)
		}
	}
	data["Snippets"] = snippets
	data["CanCreate"] = me.Role().AtLeast(store.RoleAdmin)
	data["Chosen"] = chosen
	all := cloneValues(values)
	all.Del("project")
	all.Del("cursor")
	data["AllProjects"] = listURL(all)

	scope := make([]int64, 0, len(projects))
	for _, p := range projects {
		if chosen == 0 || p.ID == chosen {
			scope = append(scope, p.ID)
		}
	}
	if data["Segments"], err = d.segments(r, scope, projects, values); err != nil {
		d.fail(w, r, err)
		return
	}
	if data["Tags"], err = d.Store.ProjectTags(ctx, scope); err != nil {
		d.fail(w, r, err)
		return
	}
	data["SegmentQuery"] = segmentQuery(values)

	now := time.Now()
	data["Lag"] = d.lag(r, now)
	q, err := api.ParseQuery(values, 0, now)
	var res store.SessionResults
	if err == nil {
		if q.Filter.Project == 0 && chosen != 0 {
			q.Filter.Project = chosen
		}
		q.Count = true
		if me.User != nil {
			q.Viewer = me.User.ID
		}
		res, err = d.Store.Search(ctx, q)
	}
	var ferr *store.FilterError
	if errors.As(err, &ferr) {
		data["Error"] = ferr.Error()
		d.render(w, r, http.StatusBadRequest, "sessions", data)
		return
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	data["Sessions"] = d.rows(res.Sessions, values, now)
	data["Count"], data["Capped"] = res.Count, res.CountCapped
	data["Filtered"] = len(chips(values)) > 0
	sort := cmp.Or(q.Sort, store.SortNewest)
	type link struct {
		Label, URL string
		Current    bool
	}
	var sorts []link
	for _, s := range sortNames {
		v := cloneValues(values)
		v.Set("sort", s.Key)
		v.Del("cursor")
		if s.Key == store.SortNewest {
			v.Del("sort")
		}
		sorts = append(sorts, link{s.Label, listURL(v), s.Key == sort})
	}
	data["Sorts"] = sorts
	if res.Next != "" {
		v := cloneValues(values)
		v.Set("cursor", res.Next)
		data["Next"] = listURL(v)
	}
	if values.Has("cursor") {
		v := cloneValues(values)
		v.Del("cursor")
		data["First"] = listURL(v)
	}
	d.render(w, r, http.StatusOK, "sessions", data)
}

// lagNotice is how long a batch may wait for the index before the list
// says that recent recordings are missing from it: longer than the
// processor lets batches gather under load.
const lagNotice = 5 * time.Second

// lag says how long the oldest recording not indexed yet has waited, or
// zero when the index keeps up. How many wait is left out: the log is
// every project's, and a member sees only their own. A failure to tell is
// logged, not shown, as the list is still right.
func (d *Dashboard) lag(r *http.Request, now time.Time) time.Duration {
	if d.Indexing == nil {
		return 0
	}
	n, oldest, err := d.Indexing.Lag(r.Context())
	if err != nil {
		d.Logger.WarnContext(r.Context(), "read how far the index is behind", "err", err)
		return 0
	}
	if n == 0 || now.Sub(oldest) < lagNotice {
		return 0
	}
	return now.Sub(oldest).Truncate(time.Second)
}
