package batch

import (
	"bytes"
	"testing"

	"github.com/klauspost/compress/gzip"
)

func TestCodecRoundTrip(t *testing.T) {
	events := []byte(`[{"type":4,"data":{"href":"https://a.example/"},"timestamp":1795000000000}]`)
	if got, err := Decompress(Compress(events)); err != nil || !bytes.Equal(got, events) {
		t.Errorf("zstd form: %s, %v", got, err)
	}

	body := []byte(`{"key":"k","events":` + string(events) + `,"seq":0}`)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(body)
	zw.Close()
	start := bytes.Index(body, events)
	got, err := Decompress(FromGzipBody(gz.Bytes(), start, start+len(events)))
	if err != nil || !bytes.Equal(got, events) {
		t.Errorf("gzip body form: %s, %v", got, err)
	}

	for _, bad := range [][]byte{nil, {gzipBody}, {gzipBody, 5, 2}, FromGzipBody(gz.Bytes(), 0, 1<<20), []byte("nonsense")} {
		if _, err := Decompress(bad); err == nil {
			t.Errorf("Decompress(%q) succeeded", bad)
		}
	}
}
