package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/playhead/playhead/internal/store"
)

var (
	// ErrBadLogin is a wrong e-mail address or password; which one is not
	// said.
	ErrBadLogin = errors.New("wrong e-mail address or password")
	// ErrTooManyLogins is a login refused by the rate limits.
	ErrTooManyLogins = errors.New("too many attempts to sign in; wait a minute and try again")
)

// LoginStore is what signing in needs of the store.
type LoginStore interface {
	UserByEmail(ctx context.Context, email string) (store.User, error)
	CreateLoginSession(ctx context.Context, ls store.LoginSession) error
}

// Logins signs people in, within rate limits per client address and per
// account that make guessing passwords slow.
type Logins struct {
	Store LoginStore
	Gate  *Gate

	perAddr, perAccount *limiterMap
}

// Login attempts allowed: a burst, then one every so often. An account
// under attack from many addresses is slowed all the same.
var (
	addrRate    = limit{every: 6 * time.Second, burst: 10}
	accountRate = limit{every: 30 * time.Second, burst: 5}
)

// NewLogins returns a login service.
func NewLogins(st LoginStore, g *Gate) *Logins {
	return &Logins{Store: st, Gate: g, perAddr: newLimiterMap(addrRate), perAccount: newLimiterMap(accountRate)}
}

// Login checks an e-mail address and password and starts a login session,
// returning the cookie's secret.
func (l *Logins) Login(ctx context.Context, email, password, addr, agent string) (string, store.User, error) {
	email = strings.TrimSpace(email)
	if !l.perAddr.allow(addr) || !l.perAccount.allow(strings.ToLower(email)) {
		return "", store.User{}, ErrTooManyLogins
	}
	u, err := l.Store.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		VerifyPassword(ctx, dummyHash, password) // as slow as a wrong password
		return "", store.User{}, ErrBadLogin
	}
	if err != nil {
		return "", store.User{}, err
	}
	ok, err := VerifyPassword(ctx, u.Password, password)
	if err != nil {
		return "", store.User{}, err
	}
	if !ok {
		return "", store.User{}, ErrBadLogin
	}
	secret, err := l.Start(ctx, u, addr, agent)
	return secret, u, err
}

// Start begins a login session for u and returns the cookie's secret.
func (l *Logins) Start(ctx context.Context, u store.User, addr, agent string) (string, error) {
	secret, hash := NewSecret(prefixLogin)
	csrf, _ := NewSecret("c_")
	now := time.Now().UTC()
	if len(agent) > 256 {
		agent = agent[:256]
	}
	err := l.Store.CreateLoginSession(ctx, store.LoginSession{Hash: hash, User: u, CSRF: csrf, Created: now,
		Expires: now.Add(SessionLifetime), Address: addr, Agent: agent})
	return secret, err
}

// SetCookie gives the browser its login session.
func (l *Logins) SetCookie(w http.ResponseWriter, secret string) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: secret, Path: "/", MaxAge: int(SessionLifetime.Seconds()),
		HttpOnly: true, Secure: l.Gate.Secure(), SameSite: http.SameSiteLaxMode})
}

// ClearCookie removes the login session's cookie.
func (l *Logins) ClearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: l.Gate.Secure(), SameSite: http.SameSiteLaxMode})
}

type limit struct {
	every time.Duration
	burst int
}

// limiterMap keeps a token bucket per key, forgetting idle ones.
type limiterMap struct {
	limit limit
	mu    sync.Mutex
	m     map[string]*limiterEntry
	swept time.Time
}

type limiterEntry struct {
	l    *rate.Limiter
	seen time.Time
}

func newLimiterMap(l limit) *limiterMap { return &limiterMap{limit: l, m: map[string]*limiterEntry{}} }

func (lm *limiterMap) allow(key string) bool {
	now := time.Now()
	lm.mu.Lock()
	defer lm.mu.Unlock()
	// A bucket idle long enough to be full again is the same as none.
	full := lm.limit.every * time.Duration(lm.limit.burst)
	if now.Sub(lm.swept) > full {
		for k, e := range lm.m {
			if now.Sub(e.seen) > full {
				delete(lm.m, k)
			}
		}
		lm.swept = now
	}
	e, ok := lm.m[key]
	if !ok {
		e = &limiterEntry{l: rate.NewLimiter(rate.Every(lm.limit.every), lm.limit.burst)}
		lm.m[key] = e
	}
	e.seen = now
	return e.l.AllowN(now, 1)
}
