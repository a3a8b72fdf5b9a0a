package server_test

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/server/servertest"
)

// A session's page preloads the events the player asks for first. When
// the session's tabs were open side by side the player shows one at a
// time, and a link opens on the tab the visitor was looking at then: the
// page preloads that tab's stretch.
func TestSessionPagePreloadsTheTabInView(t *testing.T) {
	base, data := start(t)
	project := newProject(t, data)
	t0 := time.Now().Add(-time.Hour).UnixMilli()
	ev := func(ts int64, typ int, data string) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"type":%d,"data":%s,"timestamp":%d}`, typ, data, ts))
	}
	page := func(ts int64, href string) []json.RawMessage {
		return []json.RawMessage{
			ev(ts, 4, `{"href":"`+href+`","width":1280,"height":800}`),
			ev(ts+1, 2, `{"node":{"type":0,"id":1,"childNodes":[]},"initialOffset":{"top":0,"left":0}}`),
		}
	}
	shown := func(ts int64, visible bool) json.RawMessage {
		return ev(ts, 5, fmt.Sprintf(`{"tag":"playhead/visibility","payload":{"visible":%t}}`, visible))
	}
	// Tab a from 0 to 30 s, hidden from 5 to 9 s, while the visitor was on
	// tab b, opened at 4 s.
	a := append(page(t0, "https://shop.example/"), shown(t0+5000, false), shown(t0+9000, true), ev(t0+30_000, 3, `{"source":3,"id":1,"x":0,"y":10}`))
	b := append(page(t0+4000, "https://shop.example/product"), shown(t0+8990, false), ev(t0+15_000, 3, `{"source":3,"id":1,"x":0,"y":10}`))
	for _, w := range []struct {
		id     string
		events []json.RawMessage
	}{{"wa", a}, {"wb", b}} {
		if status, out := post(t, base, body{project.Key, "tabs", w.id, 0, w.events}, false); status != http.StatusAccepted {
			t.Fatalf("post window %s: %d %s", w.id, status, out)
		}
	}
	api := sessionURL(base, project.ID, "tabs")
	var s struct {
		Windows []struct {
			ID    string `json:"id"`
			Shown []struct {
				Visible bool `json:"visible"`
			} `json:"shown"`
		} `json:"windows"`
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if getJSON(t, api, &s) == http.StatusOK && len(s.Windows) == 2 && len(s.Windows[0].Shown)+len(s.Windows[1].Shown) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the session's tabs and their turns: %+v", s)
		}
	}

	owner := servertest.Login(t, base, servertest.OwnerEmail, servertest.OwnerPassword)
	preload := regexp.MustCompile(`<link rel="preload" href="([^"]*/events\?[^"]*)"`)
	for _, tc := range []struct {
		link, window string
		from         int64
	}{
		{"", "wa", t0},
		{"?t=3", "wa", t0},
		{"?t=6", "wb", t0 + 4000},
		{"?t=12", "wa", t0},
	} {
		resp, err := owner.Get(fmt.Sprintf("%s/projects/%d/sessions/tabs%s", base, project.ID, tc.link))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := preload.FindStringSubmatch(string(got))
		want := fmt.Sprintf("/api/v1/projects/%d/sessions/tabs/events?window=%s&from=%d&to=", project.ID, tc.window, tc.from)
		if m == nil || len(html.UnescapeString(m[1])) < len(want) || html.UnescapeString(m[1])[:len(want)] != want {
			t.Errorf("the page of %q preloads %q, want %s…", tc.link, m, want)
		}
	}
}
