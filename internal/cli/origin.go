package cli

import (
	"fmt"
	"net/url"
	"strings"
)

// normalizeOrigin turns what a person types into what a browser sends as
// Origin: scheme://host[:port], lower case, no path or trailing slash.
func normalizeOrigin(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("--origin %q: give an origin such as https://shop.example or http://localhost:3000", s)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}
