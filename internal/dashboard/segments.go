package dashboard

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/playhead/playhead/internal/api"
	"github.com/playhead/playhead/internal/auth"
	"github.com/playhead/playhead/internal/store"
)

// segmentLink is a saved filter as the list offers it.
type segmentLink struct {
	store.Segment
	ProjectName string
	URL         string
	Current     bool
}

// segments lists the saved filters of the projects in scope, each with its
// list's address; the one the list shows now is marked.
func (d *Dashboard) segments(r *http.Request, scope []int64, projects []store.Project, values url.Values) ([]segmentLink, error) {
	if len(scope) == 0 {
		return nil, nil
	}
	list, err := d.Store.Segments(r.Context(), scope)
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	for _, p := range projects {
		names[p.ID] = p.Name
	}
	current := segmentQuery(values)
	var out []segmentLink
	for _, s := range list {
		v, err := url.ParseQuery(s.Query)
		if err != nil {
			continue // saved by this server, so never; skip rather than fail the list
		}
		v.Set("project", strconv.FormatInt(s.Project, 10))
		if sort := values.Get("sort"); sort != "" {
			v.Set("sort", sort)
		}
		out = append(out, segmentLink{Segment: s, ProjectName: names[s.Project], URL: listURL(v),
			Current: s.Query == current && values.Get("project") == strconv.FormatInt(s.Project, 10)})
	}
	return out, nil
}

// saveSegment saves the list's filters under a name, for the project of
// the path, and shows the list it names.
func (d *Dashboard) saveSegment(w http.ResponseWriter, r *http.Request) {
	project, ok := api.ProjectID(r)
	if !ok {
		d.fail(w, r, store.ErrNotFound)
		return
	}
	name := strings.Join(strings.Fields(r.PostFormValue("name")), " ")
	query := r.PostFormValue("query")
	v, err := url.ParseQuery(query)
	if err == nil {
		// Only a query the list can show is kept.
		_, err = api.ParseQuery(v, project, time.Now())
	}
	var ferr *store.FilterError
	switch {
	case name == "" || utf8.RuneCountInString(name) > store.MaxSegmentName:
		d.message(w, r, http.StatusBadRequest, "A segment needs a name of at most 60 characters.")
		return
	case errors.As(err, &ferr):
		d.message(w, r, http.StatusBadRequest, "The filter cannot be saved: "+ferr.Error())
		return
	case err != nil:
		d.message(w, r, http.StatusBadRequest, "The filter cannot be saved: it is not a list's query.")
		return
	}
	seg, err := d.Store.SaveSegment(r.Context(), store.Segment{Project: project, Name: name, Query: segmentQuery(v),
		By: auth.FromContext(r.Context()).Label()})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	shown, _ := url.ParseQuery(seg.Query)
	shown.Set("project", strconv.FormatInt(project, 10))
	http.Redirect(w, r, listURL(shown), http.StatusSeeOther)
}

// deleteSegment deletes a saved filter of the project of the path.
func (d *Dashboard) deleteSegment(w http.ResponseWriter, r *http.Request) {
	project, ok := api.ProjectID(r)
	id, err := strconv.ParseInt(r.PathValue("segment"), 10, 64)
	if !ok || err != nil {
		d.fail(w, r, store.ErrNotFound)
		return
	}
	err = d.Store.DeleteSegment(r.Context(), project, id)
	if errors.Is(err, store.ErrNotFound) {
		d.message(w, r, http.StatusNotFound, "There is no such segment.")
		return
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/?project="+strconv.FormatInt(project, 10), http.StatusSeeOther)
}
