package server_test

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestRecorderScript(t *testing.T) {
	base, _ := start(t)
	get := func(url string, header ...string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		// Go's client would ask for gzip and unzip by itself otherwise.
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}

	plainResp, plain := get(base + "/playhead.js")
	if plainResp.StatusCode != 200 || plainResp.Header.Get("Content-Encoding") != "" || !strings.Contains(string(plain), "playhead/") {
		t.Fatalf("plain: %d %v", plainResp.StatusCode, plainResp.Header)
	}
	zipResp, zipped := get(base+"/playhead.js", "Accept-Encoding", "gzip, deflate, br")
	if zipResp.Header.Get("Content-Encoding") != "gzip" || len(zipped) >= len(plain)/2 {
		t.Fatalf("gzip: %v, %d bytes of %d", zipResp.Header, len(zipped), len(plain))
	}
	zr, err := gzip.NewReader(strings.NewReader(string(zipped)))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	if string(unzipped) != string(plain) {
		t.Fatal("the gzipped script is not the script")
	}
	etag := zipResp.Header.Get("ETag")
	if etag == "" || etag == plainResp.Header.Get("ETag") || zipResp.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("validators: %v / %v", zipResp.Header, plainResp.Header)
	}
	if cc := zipResp.Header.Get("Cache-Control"); cc != "public, max-age=3600" {
		t.Errorf("Cache-Control %q", cc)
	}
	if r, body := get(base+"/playhead.js", "Accept-Encoding", "gzip", "If-None-Match", etag); r.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Errorf("revalidation: %d, %d bytes", r.StatusCode, len(body))
	}
	if r, _ := get(base+"/playhead.js", "Accept-Encoding", "gzip;q=0"); r.Header.Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0 got %v", r.Header)
	}

	// The versioned address is the ETag's value, cached for good.
	version := strings.Trim(plainResp.Header.Get("ETag"), `"`)
	if r, _ := get(base+"/playhead.js?v="+version, "Accept-Encoding", "gzip"); !strings.Contains(r.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("versioned: %v", r.Header)
	}
	if r, _ := get(base + "/playhead.js?v=0123"); strings.Contains(r.Header.Get("Cache-Control"), "immutable") || r.StatusCode != 200 {
		t.Errorf("an old version is served but not for good: %d %v", r.StatusCode, r.Header)
	}
}

// A key no project has gets the generic script, so that the page goes on.
func TestRecorderScriptUnknownKey(t *testing.T) {
	base, _ := start(t)
	read := func(url string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	_, generic := read(base + "/playhead.js")
	resp, body := read(base + "/playhead.js?key=ph_nosuchkey")
	if resp.StatusCode != 200 || body != generic || !strings.Contains(body, `"/*playhead:settings*/"`) {
		t.Errorf("unknown key: %d, %d bytes, generic: %v", resp.StatusCode, len(body), body == generic)
	}
}
