package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/playhead/playhead/internal/auth"
)

// A body to make a share link is read strictly: anything but one object of
// its fields is refused with a 400 and makes no link.
func TestShareLinkBodyRefused(t *testing.T) {
	base, data := start(t)
	env := newAuthzEnv(t, base, data)
	shares := sessionURL(base, env.projectA, "sa") + "/shares"
	send := func(method, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, shares, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(auth.CSRFHeader, env.csrf[memberA])
		resp, err := env.clients[memberA].Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	_, before := send("GET", "")
	for _, body := range []string{
		`{"expires_in":"24h","start_ms":0}{"expires_in":"1m"}`,
		`{"expires_in":"24h"} trailing`,
		`{"expires_in":"24h"}}`,
		`{"expires":"24h"}`,
		`{"expires_in":"24h","start_ms":0,"admin":true}`,
		`null`,
		`[]`,
		``,
		`{"expires_in":"` + strings.Repeat("1", 5000) + `h"}`,
	} {
		status, answer := send("POST", body)
		if status != http.StatusBadRequest || !strings.Contains(answer, `"code":"invalid_json"`) {
			t.Errorf("POST %.60q: %d %s, want 400 invalid_json", body, status, answer)
		}
	}
	if status, after := send("GET", ""); status != http.StatusOK || after != before || !strings.Contains(after, `"shares":[`) {
		t.Errorf("the refused bodies changed the session's links: %d\n%s\nwas\n%s", status, after, before)
	}
	// The same object alone makes one.
	if status, answer := send("POST", " {\"expires_in\":\"24h\",\"start_ms\":0}\n"); status != http.StatusCreated {
		t.Errorf("POST a good body: %d %s", status, answer)
	}
	if _, after := send("GET", ""); after == before {
		t.Errorf("the good body made no link: %s", after)
	}
}
