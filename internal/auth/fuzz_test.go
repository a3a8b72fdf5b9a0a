package auth

import (
	"context"
	"testing"
)

// FuzzSecret feeds cookies and bearer tokens as clients send them: no
// input panics, and only the shape of a real secret passes.
func FuzzSecret(f *testing.F) {
	real, _ := NewToken()
	for _, s := range []string{real, "pht_", "pht_" + real[4:20], "phs_☃", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if wellFormed(s, prefixToken) && (len(s) != len(real) || s[:4] != prefixToken) {
			t.Fatalf("%q passes as a token", s)
		}
		HashSecret(s)
	})
}

func TestPassword(t *testing.T) {
	ctx := context.Background()
	h, err := HashPassword(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		pw   string
		want bool
	}{{"correct horse battery", true}, {"correct horse batterx", false}, {"", false}} {
		if ok, err := VerifyPassword(ctx, h, tt.pw); ok != tt.want || err != nil {
			t.Errorf("verify %q: %v %v", tt.pw, ok, err)
		}
	}
	if _, err := HashPassword(ctx, "short"); err == nil {
		t.Error("a short password was hashed")
	}
	if _, err := VerifyPassword(ctx, "$argon2id$v=19$m=99999999,t=1,p=1$AAAA$AAAA", "x"); err == nil {
		t.Error("a hash asking for 100 GB of memory was used")
	}
}
