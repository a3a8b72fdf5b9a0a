package api_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/playhead/playhead/internal/api"
)

func TestNotesAPI(t *testing.T) {
	srv := searchServer(t)
	notes := srv.URL + "/api/v1/projects/1/sessions/frustrated/notes"
	var added struct {
		ID     int64  `json:"id"`
		TimeMS int64  `json:"time_ms"`
		Text   string `json:"text"`
		Author string `json:"author"`
	}
	status, body := send(t, "POST", notes, `{"text":" Pay does nothing ","time_ms":1795000030000,"window":"w1"}`)
	if status != 201 || json.Unmarshal([]byte(body), &added) != nil || added.ID == 0 || added.Text != "Pay does nothing" ||
		added.TimeMS != 1795000030000 {
		t.Fatalf("add: %d %s", status, body)
	}
	for _, tt := range []struct {
		method, url, body string
		status            int
		want              string
	}{
		{"POST", notes, `{"text":"","time_ms":1795000030000}`, 400, `"invalid_note"`},
		{"POST", notes, `{"text":"x","time_ms":0}`, 400, `"invalid_note"`},
		{"POST", notes, `{"text":"x","time_ms":1795000030000,"window":"<w>"}`, 400, `"invalid_note"`},
		{"POST", notes, `{"text":"` + strings.Repeat("a", 2001) + `","time_ms":1795000030000}`, 400, `"invalid_note"`},
		{"POST", notes, `{"text":"x"}`, 400, `"invalid_json"`},
		{"POST", notes, `{"text":"x","time_ms":1.5}`, 400, `"invalid_json"`},
		{"POST", notes, `{"text":"x","time_ms":1,"more":1}`, 400, `"invalid_json"`},
		{"POST", notes, `{"text":"` + strings.Repeat("a", 17000) + `","time_ms":1}`, 400, `"invalid_json"`},
		{"POST", srv.URL + "/api/v1/projects/1/sessions/nobody/notes", `{"text":"x","time_ms":1795000030000}`, 404, `"not_found"`},
		{"GET", srv.URL + "/api/v1/projects/2/sessions/frustrated/notes", "", 404, `"not_found"`},
		{"DELETE", notes + "/999999", "", 404, `"not_found"`},
		{"DELETE", notes + "/x", "", 404, `"not_found"`},
		{"DELETE", srv.URL + "/api/v1/projects/1/sessions/happy/notes/" + strconv.FormatInt(added.ID, 10), "", 404, `"not_found"`},
		{"GET", notes, "", 200, `"text":"Pay does nothing"`},
	} {
		status, body := send(t, tt.method, tt.url, tt.body)
		if status != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("%s %s %.40s: %d %s, want %d %s", tt.method, tt.url, tt.body, status, body, tt.status, tt.want)
		}
	}
	if status, body := send(t, "DELETE", notes+"/"+strconv.FormatInt(added.ID, 10), ""); status != 204 {
		t.Fatalf("delete: %d %s", status, body)
	}
	if status, body := send(t, "GET", notes, ""); status != 200 || body != "{\"notes\":[]}\n" {
		t.Errorf("after delete: %d %s", status, body)
	}
}

func FuzzDecodeNoteRequest(f *testing.F) {
	for _, s := range []string{`{"text":"x","time_ms":1795000030000}`, `{"text":"x","time_ms":1,"window":"w"}`, `{"text":""}`,
		`{}`, `[]`, `{"text":null,"time_ms":1}`, `{"text":"x","time_ms":1e3}`, ``, `{"text":"x","time_ms":1}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req, err := api.DecodeNoteRequest(strings.NewReader(body))
		if err != nil {
			if req != (api.NoteRequest{}) {
				t.Errorf("an error with a request %+v", req)
			}
			return
		}
		// What it accepts is one JSON object with text and time_ms.
		var v map[string]any
		if json.Unmarshal([]byte(body), &v) != nil || len(v) < 2 {
			t.Fatalf("accepted %q", body)
		}
		for k := range v {
			if !strings.EqualFold(k, "text") && !strings.EqualFold(k, "time_ms") && !strings.EqualFold(k, "window") {
				t.Errorf("accepted %q with %q", body, k)
			}
		}
	})
}
