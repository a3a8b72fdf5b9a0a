package account

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzParseStart feeds the share form's start field: it never panics and
// never gives a negative moment.
func FuzzParseStart(f *testing.F) {
	for _, s := range []string{"", "0", "1:30", "1:02:03", "-1", "99999999999:1", "::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ms, ok := parseStart(s); ok && ms < 0 {
			t.Fatalf("%q: %d ms", s, ms)
		}
	})
}

// FuzzDecodeShareRequest feeds the API's body for a new share link: what
// it accepts is one object of expires_in and start_ms, read as
// json.Unmarshal reads it, and an error leaves nothing to act on.
func FuzzDecodeShareRequest(f *testing.F) {
	for _, s := range []string{`{"expires_in":"24h","start_ms":1500}`, `{}`, `{"expires_in":""}`, `{"start_ms":-1}`, `null`, `[]`, ``,
		`{"expires_in":"24h"}{"expires_in":"1m"}`, `{"expires_in":"24h"} x`, `{"expires":"24h"}`, `{"start_ms":1.5}`, "{}\v", `{"EXPIRES_IN":"1h"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req, err := DecodeShareRequest(strings.NewReader(body))
		if err != nil {
			if req != (ShareRequest{}) {
				t.Errorf("an error with a request %+v", req)
			}
			return
		}
		var fields map[string]json.RawMessage
		if json.Unmarshal([]byte(body), &fields) != nil || fields == nil {
			t.Fatalf("accepted %q, which is not one object", body)
		}
		for k := range fields {
			if !strings.EqualFold(k, "expires_in") && !strings.EqualFold(k, "start_ms") {
				t.Errorf("accepted %q with %q", body, k)
			}
		}
		var want ShareRequest
		if err := json.Unmarshal([]byte(body), &want); err != nil || want != req {
			t.Errorf("%q read as %+v; json.Unmarshal reads %+v (%v)", body, req, want, err)
		}
	})
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/projects/1/sessions/a": "/projects/1/sessions/a",
		"//evil.example/":        "/",
		"/\\evil.example":        "/",
		"https://evil.example/":  "/",
		"":                       "/",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}
