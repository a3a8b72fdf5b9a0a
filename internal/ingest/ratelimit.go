package ingest

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate is a token bucket: Per requests a second on average, Burst at once.
// A zero Per switches the limit off.
type Rate struct {
	Per   float64
	Burst int
}

// limiters keeps one token bucket per key (a project, a client address).
// Buckets untouched for a while are dropped, so that memory stays bounded
// however many addresses call.
type limiters[K comparable] struct {
	rate Rate

	mu      sync.Mutex
	buckets map[K]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// idleBucket is how long a bucket is kept without use; a full bucket holds
// nothing worth keeping, and every bucket refills within this time.
const idleBucket = 5 * time.Minute

func newLimiters[K comparable](r Rate) *limiters[K] {
	return &limiters[K]{rate: r, buckets: map[K]*bucket{}}
}

// allow takes a token for k. When there is none it says how long to wait.
func (l *limiters[K]) allow(k K, now time.Time) (ok bool, retry time.Duration) {
	if l.rate.Per <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > idleBucket {
		for key, b := range l.buckets {
			if now.Sub(b.seen) > idleBucket {
				delete(l.buckets, key)
			}
		}
		l.swept = now
	}
	b := l.buckets[k]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Limit(l.rate.Per), max(l.rate.Burst, 1))}
		l.buckets[k] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// retryAfter renders a wait as whole seconds for the Retry-After header.
func retryAfter(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
