package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/playhead/playhead/internal/api"
)

func send(t *testing.T, method, u, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestTagAPI(t *testing.T) {
	srv := searchServer(t)
	tags := srv.URL + "/api/v1/projects/1/sessions/frustrated/tags"
	for _, tt := range []struct {
		method, url, body string
		status            int
		want              string
	}{
		{"POST", tags, `{"tag":" Needs Review "}`, 200, `{"tags":["needs review"]}`},
		{"POST", tags, `{"tag":"bug"}`, 200, `{"tags":["bug","needs review"]}`},
		{"POST", tags, `{"tag":"BUG"}`, 200, `{"tags":["bug","needs review"]}`},
		{"DELETE", tags + "/needs%20review", "", 200, `{"tags":["bug"]}`},
		{"DELETE", tags + "/never-there", "", 200, `{"tags":["bug"]}`},
		{"POST", tags, `{"tag":"<b>"}`, 400, `"invalid_tag"`},
		{"POST", tags, `{"tag":""}`, 400, `"invalid_tag"`},
		{"POST", tags, `{"tag":1}`, 400, `"invalid_json"`},
		{"POST", tags, `{"tag":"a","more":1}`, 400, `"invalid_json"`},
		{"POST", tags, `{"tag":"a"}{"tag":"b"}`, 400, `"invalid_json"`},
		{"POST", tags, `{}`, 400, `"invalid_json"`},
		{"POST", tags, `{"tag":"` + strings.Repeat("a", 5000) + `"}`, 400, `"invalid_json"`},
		{"POST", srv.URL + "/api/v1/projects/1/sessions/nobody/tags", `{"tag":"bug"}`, 404, `"not_found"`},
		{"POST", srv.URL + "/api/v1/projects/2/sessions/frustrated/tags", `{"tag":"bug"}`, 404, `"not_found"`},
		{"POST", srv.URL + "/api/v1/projects/x/sessions/frustrated/tags", `{"tag":"bug"}`, 404, `"not_found"`},
	} {
		status, body := send(t, tt.method, tt.url, tt.body)
		if status != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("%s %s %.40s: %d %s, want %d %s", tt.method, tt.url, tt.body, status, body, tt.status, tt.want)
		}
	}
	// The tag shows on the session and in the list, and filters it.
	var one struct{ Tags []string }
	get(t, srv.URL+"/api/v1/projects/1/sessions/frustrated", &one)
	if strings.Join(one.Tags, ",") != "bug" {
		t.Errorf("session tags %v", one.Tags)
	}
	var l struct {
		Sessions []struct {
			ID   string
			Tags []string
		}
	}
	get(t, srv.URL+"/api/v1/sessions?tag=Bug", &l)
	if len(l.Sessions) != 1 || l.Sessions[0].ID != "frustrated" || len(l.Sessions[0].Tags) != 1 {
		t.Errorf("tag=Bug lists %+v", l.Sessions)
	}
	var e struct {
		Error struct{ Code, Message string }
	}
	if code := get(t, srv.URL+"/api/v1/sessions?tag=%3Cb%3E", &e); code != 400 || !strings.HasPrefix(e.Error.Message, "tag:") {
		t.Errorf("tag=<b>: %d %+v", code, e)
	}
	// A token has no watched sessions: the filter needs a user.
	if code := get(t, srv.URL+"/api/v1/sessions?watched=false", &e); code != 400 || !strings.HasPrefix(e.Error.Message, "watched:") {
		t.Errorf("watched without a user: %d %+v", code, e)
	}
}

func FuzzDecodeTagRequest(f *testing.F) {
	for _, s := range []string{`{"tag":"bug"}`, `{"tag":""}`, `{}`, `[]`, `{"tag":"a"} `, `{"tag":"\u00e4"}`, `{"tag":null}`, ``, `{"tAg":""}}`, "{\"tAg\":\"\"}\v"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		tag, err := api.DecodeTagRequest(strings.NewReader(body))
		if err != nil {
			if tag != "" {
				t.Errorf("an error with a tag %q", tag)
			}
			return
		}
		// What it accepts is one object with a string tag (its name
		// matched without case, as encoding/json does) and nothing else.
		var v map[string]any
		if json.Unmarshal([]byte(body), &v) != nil || len(v) == 0 {
			t.Fatalf("accepted %q", body)
		}
		for k, val := range v {
			if !strings.EqualFold(k, "tag") {
				t.Errorf("accepted %q with %q", body, k)
			}
			if s, ok := val.(string); ok && len(v) == 1 && s != tag {
				t.Errorf("accepted %q as %q", body, tag)
			}
		}
	})
}
