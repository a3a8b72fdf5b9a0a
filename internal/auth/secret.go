package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// Prefixes of the secrets Playhead hands out, so that a leaked one is
// recognised for what it is (and by secret scanners).
const (
	prefixLogin  = "phs_" // login session cookie
	prefixToken  = "pht_" // API token
	prefixShare  = "phr_" // share link ("replay")
	prefixLink   = "phl_" // invitation or password reset
	secretBytes  = 32     // 256 random bits each
	maxSecretLen = 64
)

// NewSecret returns a new random secret with the prefix, and the hash the
// store keeps of it.
func NewSecret(prefix string) (secret string, hash []byte) {
	b := make([]byte, secretBytes)
	rand.Read(b)
	secret = prefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, HashSecret(secret)
}

// HashSecret is what the store keeps of a secret: its SHA-256. The secrets
// are random and long, so a fast hash is enough; a slow one would only let
// anyone make the server work.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// wellFormed tells whether s could be a secret with the prefix, so that
// junk is refused before the store is asked.
func wellFormed(s, prefix string) bool {
	if len(s) > maxSecretLen || !strings.HasPrefix(s, prefix) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s[len(prefix):])
	return err == nil && len(s) == len(prefix)+43
}

// NewToken returns a new API token and its hash.
func NewToken() (string, []byte) { return NewSecret(prefixToken) }
