package store

import "testing"

func TestPathKey(t *testing.T) {
	for _, c := range []struct {
		urls []string
		want string
	}{
		{nil, ""},
		{[]string{"https://shop.example/"}, "/"},
		{[]string{"https://shop.example"}, "/"},
		// Ids are one step whichever they are; queries and fragments
		// do not count.
		{[]string{"https://shop.example/products/17?utm_source=x", "https://shop.example/products/42#reviews"}, "/products/:id"},
		{[]string{"https://shop.example/orders/3f2a9c1e-8b7d-4e0a-9f11-2b3c4d5e6f70/receipt"}, "/orders/:id/receipt"},
		// Words, and short hex-looking words, stay.
		{[]string{"https://shop.example/cafe/deadbeef"}, "/cafe/deadbeef"},
		{[]string{"/a", "/b", "/a", "/c", "/d", "/e", "/f"}, "/a > /b > /a > /c > /d"},
		{[]string{"/a", "/a", "/b"}, "/a > /b"},
	} {
		if got := PathKey(c.urls); got != c.want {
			t.Errorf("PathKey(%q) = %q, want %q", c.urls, got, c.want)
		}
	}
}

func TestIsRarePath(t *testing.T) {
	for _, c := range []struct {
		sessions, total int
		want            bool
	}{
		{1, 10, false},  // too few sessions to tell
		{1, 200, true},  // 0.5 %
		{2, 200, false}, // 1 %
		{50, 1000, false},
		{9, 1000, true},
	} {
		if got := IsRarePath(c.sessions, c.total); got != c.want {
			t.Errorf("IsRarePath(%d, %d) = %v, want %v", c.sessions, c.total, got, c.want)
		}
	}
}
