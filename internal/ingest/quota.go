package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/playhead/playhead/internal/store"
)

// Usage keeps the quotas' byte counts across restarts.
type Usage interface {
	Setting(ctx context.Context, key string) (string, bool, error)
	SetSetting(ctx context.Context, key, value string) error
}

// usageSetting names the setting that holds today's byte counts.
const usageSetting = "ingest_usage"

// usageSaveEvery is how often the byte counts are written while batches
// arrive; a crash forgets at most this long of them.
const usageSaveEvery = 5 * time.Second

// Quotas counts what each project stores against its store.Quota: batches
// in a token bucket that holds a minute's worth and refills continuously,
// bytes of event JSON (as decompressed, so that a quota means the same
// whether a client compresses or not) per day in UTC. A batch counts once
// it is stored: a repeat or a failed append gives its share back.
type Quotas struct {
	usage Usage // nil: the counts live in memory only

	mu      sync.Mutex
	day     int64           // UTC day (since the epoch) that bytes counts
	bytes   map[int64]int64 // by project
	buckets map[int64]*quotaBucket
	dirty   bool
	saved   time.Time
	saving  bool
}

type quotaBucket struct {
	per    int // batches a minute: the bucket's size and its refill
	tokens float64
	at     time.Time
}

// LoadQuotas reads today's byte counts from usage, which may be nil.
func LoadQuotas(ctx context.Context, usage Usage, now time.Time) (*Quotas, error) {
	q := &Quotas{usage: usage, day: utcDay(now), bytes: map[int64]int64{}, buckets: map[int64]*quotaBucket{}}
	if usage == nil {
		return q, nil
	}
	v, ok, err := usage.Setting(ctx, usageSetting)
	if err != nil || !ok {
		return q, err
	}
	var saved savedUsage
	if err := json.Unmarshal([]byte(v), &saved); err != nil {
		// Counts that cannot be read are a day's allowance at worst.
		return q, nil
	}
	if saved.Day == q.day {
		for id, n := range saved.Bytes {
			q.bytes[id] = n
		}
	}
	return q, nil
}

type savedUsage struct {
	Day   int64           `json:"day"`
	Bytes map[int64]int64 `json:"bytes"`
}

func utcDay(t time.Time) int64 { return t.UTC().Unix() / 86400 }

// take charges a batch of size bytes to p. Over a quota it answers the
// 429 to send; otherwise give, called when the batch was not stored,
// takes the charge back.
func (q *Quotas) take(w http.ResponseWriter, p store.Project, size int64, now time.Time) (give func(), _ *Error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if d := utcDay(now); d != q.day {
		q.day = d
		clear(q.bytes)
		q.dirty = true
	}
	per, perDay := p.Quota.BatchesPerMinute, p.Quota.BytesPerDay
	var b *quotaBucket
	if per > 0 {
		b = q.buckets[p.ID]
		if b == nil {
			b = &quotaBucket{per: per, tokens: float64(per), at: now}
			q.buckets[p.ID] = b
		}
		b.refill(per, now)
		if b.tokens < 1 {
			wait := time.Duration((1 - b.tokens) / float64(per) * float64(time.Minute))
			return nil, tooMany(w, wait, "quota_exceeded",
				fmt.Sprintf("this project's quota of %d batches a minute is used up", per))
		}
	} else {
		delete(q.buckets, p.ID)
	}
	used := q.bytes[p.ID]
	if perDay > 0 && used+size > perDay {
		midnight := time.Unix((q.day+1)*86400, 0)
		return nil, tooMany(w, midnight.Sub(now), "quota_exceeded",
			fmt.Sprintf("this project's quota of %d bytes a day (UTC) is used up", perDay))
	}
	if b != nil {
		b.tokens--
	}
	q.bytes[p.ID] = used + size
	q.dirty = true
	day := q.day
	return func() {
		q.mu.Lock()
		defer q.mu.Unlock()
		if b != nil && q.buckets[p.ID] == b {
			b.tokens = min(b.tokens+1, float64(b.per))
		}
		if q.day == day {
			q.bytes[p.ID] = max(q.bytes[p.ID]-size, 0)
		}
	}, nil
}

func (b *quotaBucket) refill(per int, now time.Time) {
	if d := now.Sub(b.at); d > 0 {
		b.tokens += d.Minutes() * float64(per)
		b.at = now
	}
	b.per = per
	b.tokens = min(b.tokens, float64(per))
}

// saveSoon writes the byte counts when they changed and were last
// written over usageSaveEvery ago. One caller writes; the others go on.
func (q *Quotas) saveSoon(ctx context.Context, now time.Time) error {
	q.mu.Lock()
	if q.usage == nil || !q.dirty || q.saving || now.Sub(q.saved) < usageSaveEvery {
		q.mu.Unlock()
		return nil
	}
	q.saving = true
	q.mu.Unlock()
	err := q.save(ctx, now)
	q.mu.Lock()
	q.saving = false
	q.mu.Unlock()
	return err
}

// Save writes the byte counts now, as a server does before it stops.
func (q *Quotas) Save(ctx context.Context) error {
	if q.usage == nil {
		return nil
	}
	return q.save(ctx, time.Now())
}

func (q *Quotas) save(ctx context.Context, now time.Time) error {
	q.mu.Lock()
	s := savedUsage{Day: q.day, Bytes: make(map[int64]int64, len(q.bytes))}
	for id, n := range q.bytes {
		s.Bytes[id] = n
	}
	q.dirty = false
	q.saved = now
	q.mu.Unlock()
	v, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if err := q.usage.SetSetting(ctx, usageSetting, string(v)); err != nil {
		q.mu.Lock()
		q.dirty = true
		q.mu.Unlock()
		return fmt.Errorf("save ingest usage: %w", err)
	}
	return nil
}
