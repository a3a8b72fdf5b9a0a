package account

import "testing"

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
