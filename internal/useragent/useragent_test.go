package useragent

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	tests := []struct {
		ua   string
		want Agent
	}{
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
			Agent{"Chrome 120", "Windows", "desktop"}},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
			Agent{"Edge 120", "Windows", "desktop"}},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
			Agent{"Safari 17", "macOS", "desktop"}},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
			Agent{"Firefox 121", "Linux", "desktop"}},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
			Agent{"Safari 17", "iOS", "mobile"}},
		{"Mozilla/5.0 (iPad; CPU OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
			Agent{"Chrome 120", "iOS", "tablet"}},
		{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
			Agent{"Chrome 120", "Android", "mobile"}},
		{"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
			Agent{"Chrome 120", "ChromeOS", "desktop"}},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36",
			Agent{"Chrome 156", "Linux", "bot"}},
		{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
			Agent{"", "", "bot"}},
		{"Chrome/99999999999999999999999999 Edg/", Agent{"Chrome", "", ""}},
		{"", Agent{}},
	}
	for _, tt := range tests {
		if got := Parse(tt.ua); got != tt.want {
			t.Errorf("Parse(%q)\n got %+v\nwant %+v", tt.ua, got, tt.want)
		}
	}
}

// FuzzParse reads arbitrary User-Agent headers: Parse must not panic, and
// what it says must be short, valid UTF-8 and of the known kinds.
func FuzzParse(f *testing.F) {
	f.Add("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36")
	f.Add("Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) Version/17.2 Mobile/15E148 Safari/604.1 Googlebot")
	f.Add("Chrome/99999999999999999999999999 Edg/")
	f.Add("\xff\xfeFirefox/\xc3")
	devices := map[string]bool{"": true, "desktop": true, "mobile": true, "tablet": true, "tv": true, "bot": true}
	f.Fuzz(func(t *testing.T, ua string) {
		a := Parse(ua)
		for _, s := range []string{a.Browser, a.OS} {
			if !utf8.ValidString(s) || len(s) > 40 {
				t.Fatalf("%q is not short valid UTF-8", s)
			}
		}
		if name, version, ok := strings.Cut(a.Browser, " "); ok && strings.Contains(version, " ") && name != "" {
			// Names of two words ("Samsung Browser 23") end in the version.
			version = version[strings.LastIndexByte(version, ' ')+1:]
			if len(version) > maxMajor || strings.Trim(version, "0123456789") != "" {
				t.Fatalf("browser %q", a.Browser)
			}
		}
		if !devices[a.Device] {
			t.Fatalf("device %q", a.Device)
		}
	})
}
