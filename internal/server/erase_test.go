package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/server/servertest"
	"github.com/playhead/playhead/internal/store"
)

// TestEraseSessionAPI erases a session over the API, as a token of each
// scope: read may not, write may; the session is gone from the list and
// the recordings, the other stays, and the audit log tells.
func TestEraseSessionAPI(t *testing.T) {
	base, data := start(t)
	p := newProject(t, data)
	for _, id := range []string{"erasethis", "keepthis"} {
		ev := []json.RawMessage{metaEvent(time.Now().UnixMilli(), "https://shop.example/"+id)}
		if status, out := post(t, base, body{p.Key, id, "w", 0, ev}, false); status != 202 {
			t.Fatalf("ingest %s: %d %s", id, status, out)
		}
		waitSession(t, base, p.ID, id, 1)
	}
	del := func(token, id string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodDelete, sessionURL(base, p.ID, id), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, out := del(servertest.CreateToken(t, data, store.ScopeRead), "erasethis"); status != http.StatusForbidden {
		t.Fatalf("a read token erases: %d %s", status, out)
	}
	write := servertest.CreateToken(t, data, store.ScopeWrite)
	status, out := del(write, "erasethis")
	if status != http.StatusOK || !strings.Contains(out, `"sessions":1`) {
		t.Fatalf("erase: %d %s", status, out)
	}
	if status, out := del(write, "erasethis"); status != http.StatusNotFound || !strings.Contains(out, `"code":"not_found"`) {
		t.Errorf("erasing again: %d %s, want a 404 JSON error", status, out)
	}
	for _, path := range []string{"", "/events"} {
		resp, err := servertest.Get(sessionURL(base, p.ID, "erasethis") + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET erased session%s: %d, want 404", path, resp.StatusCode)
		}
	}
	var list struct {
		Sessions []struct{ ID string } `json:"sessions"`
	}
	getJSON(t, fmt.Sprintf("%s/api/v1/projects/%d/sessions", base, p.ID), &list)
	if len(list.Sessions) != 1 || list.Sessions[0].ID != "keepthis" {
		t.Errorf("list after erasure = %+v, want only keepthis", list.Sessions)
	}

	var audit struct {
		Entries []struct{ Actor, Action, Target string } `json:"entries"`
	}
	if status := getJSON(t, base+"/api/v1/audit?limit=5", &audit); status != http.StatusOK {
		t.Fatalf("audit: %d", status)
	}
	if len(audit.Entries) == 0 || audit.Entries[0].Action != "session.erase" || audit.Entries[0].Actor != "token test write" ||
		strings.Contains(audit.Entries[0].Target, "erasethis") {
		t.Errorf("newest audit entry = %+v", audit.Entries)
	}
	resp, err := servertest.Get(base + "/api/v1/audit?limit=0")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("audit with limit=0: %d, want 400", resp.StatusCode)
	}
}
