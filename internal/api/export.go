package api

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"

	"github.com/playhead/playhead/internal/store"
)

// ExportVersion is the "playhead" member of an export file: the version
// of its format, which docs/api.md describes.
const ExportVersion = 1

// exportSession is the export file's header: the session as the API lists
// it, with the User-Agent an import gives its batches.
type exportSession struct {
	sessionJSON
	UserAgent string `json:"user_agent"`
}

// export answers a session as one file: a header, then each window's
// events in time order, each window an array stock rrweb replays. It is
// streamed: memory holds one part of the recording at a time.
func (a *API) export(w http.ResponseWriter, r *http.Request) {
	project, ok := ProjectID(r)
	if !ok {
		a.fail(w, store.ErrNotFound)
		return
	}
	ctx := r.Context()
	id := r.PathValue("id")
	s, err := a.Sessions.Session(ctx, project, id)
	if err != nil {
		a.fail(w, err)
		return
	}
	parts, err := a.Recordings.Parts(ctx, project, id, "", math.MinInt64, math.MaxInt64)
	if err != nil {
		a.fail(w, err)
		return
	}
	head, err := json.Marshal(exportSession{toJSON(s), s.UserAgent})
	if err != nil {
		a.fail(w, err)
		return
	}
	// Ids are [A-Za-z0-9_~-]: nothing to quote in a file name.
	w.Header().Set("Content-Disposition", `attachment; filename="playhead-session-`+id+`.json"`)
	a.stream(w, r, "export", id, func(out *lazyWriter) error {
		return writeExport(out, head, byWindow(parts), func(p store.Part) ([]byte, error) {
			return a.partEvents(ctx, p)
		})
	})
}

func writeExport(out *lazyWriter, head []byte, windows [][]store.Part, read loadFunc) error {
	if _, err := out.Write([]byte(`{"playhead":` + strconv.Itoa(ExportVersion) + `,"session":`)); err != nil {
		return err
	}
	if _, err := out.Write(head); err != nil {
		return err
	}
	if _, err := out.Write([]byte(`,"windows":[`)); err != nil {
		return err
	}
	for i, parts := range windows {
		id, _ := json.Marshal(parts[0].Window)
		sep := `{"id":`
		if i > 0 {
			sep = `,{"id":`
		}
		if _, err := out.Write(append(append([]byte(sep), id...), `,"events":`...)); err != nil {
			return err
		}
		if err := merge(out, [][]store.Part{parts}, read, math.MinInt64, math.MaxInt64); err != nil {
			return err
		}
		if _, err := out.Write([]byte{'}'}); err != nil {
			return err
		}
	}
	_, err := out.Write([]byte("]}\n"))
	return err
}
