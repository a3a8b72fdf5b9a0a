// Package auth decides who a request comes from and what it may do:
// passwords, login sessions, API tokens, share links, CSRF and the Host
// check, and the access policy of every route.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's recommendation of 19 MiB, two passes. A
// hash costs about 30 ms of one core.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024 // KiB
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// MinPassword is the fewest characters a password may have. Length is the
// only rule: a long passphrase beats a short password with symbols.
const MinPassword = 10

// MaxPassword bounds what is hashed: a megabyte password would cost no
// more than a short one with argon2, but need not be read.
const MaxPassword = 1024

// ErrWeakPassword is a password that is too short or too long.
var ErrWeakPassword = fmt.Errorf("a password needs %d to %d characters", MinPassword, MaxPassword)

// hashing bounds the argon2 hashes computed at once: each takes 19 MiB,
// and a burst of logins must not take the server's memory.
var hashing = make(chan struct{}, 4)

// CheckPassword tells whether a new password is acceptable.
func CheckPassword(pw string) error {
	if n := len([]rune(pw)); n < MinPassword || len(pw) > MaxPassword {
		return ErrWeakPassword
	}
	return nil
}

// HashPassword returns pw's argon2id hash in PHC form:
// $argon2id$v=19$m=19456,t=2,p=1$SALT$HASH.
func HashPassword(ctx context.Context, pw string) (string, error) {
	if err := CheckPassword(pw); err != nil {
		return "", err
	}
	salt := make([]byte, argonSaltLen)
	rand.Read(salt)
	key, err := derive(ctx, pw, salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	if err != nil {
		return "", err
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// errBadHash is a stored hash this code cannot read.
var errBadHash = errors.New("unreadable password hash")

// VerifyPassword tells whether pw matches the PHC hash, in time that does
// not depend on how much of it matches.
func VerifyPassword(ctx context.Context, hash, pw string) (bool, error) {
	if len(pw) > MaxPassword {
		return false, nil
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false, errBadHash
	}
	var (
		m, t uint32
		p    uint8
	)
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || m > 1<<20 || t == 0 || t > 16 || p == 0 {
		return false, errBadHash
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 64 {
		return false, errBadHash
	}
	got, err := derive(ctx, pw, salt, t, m, p, uint32(len(want)))
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

func derive(ctx context.Context, pw string, salt []byte, t, m uint32, p uint8, n uint32) ([]byte, error) {
	select {
	case hashing <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-hashing }()
	return argon2.IDKey([]byte(pw), salt, t, m, p, n), nil
}

// dummyHash is verified against when no user has the e-mail address, so
// that an unknown address takes as long to refuse as a wrong password.
var dummyHash = func() string {
	h, err := HashPassword(context.Background(), "not a password of anyone")
	if err != nil {
		panic(err)
	}
	return h
}()
