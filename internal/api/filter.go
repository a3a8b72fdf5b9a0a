package api

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/playhead/playhead/internal/store"
)

// Search limits: a page of sessions, and the size of what may be asked.
const (
	DefaultLimit = 50
	MaxLimit     = 500
	maxValue     = 2048 // bytes of one parameter's value
	maxWords     = 8    // words of q
)

// LiveWindow is how recent a session's last event must be for it to be
// live: a visitor on the site sends a batch at least every few seconds
// while active, and within this much after coming back to an idle tab.
const LiveWindow = 5 * time.Minute

// ParseQuery reads a session search from a URL's query. project is the
// project of the path, or 0; now dates live sessions. An empty value is
// no filter, as an empty field of a form. Any other fault is a
// *store.FilterError naming the parameter.
func ParseQuery(v url.Values, project int64, now time.Time) (store.SessionQuery, error) {
	q := store.SessionQuery{Limit: DefaultLimit, Filter: store.SessionFilter{Project: project}}
	f := &q.Filter
	bad := func(param, format string, a ...any) error {
		return &store.FilterError{Param: param, Message: fmt.Sprintf(format, a...)}
	}
	for name, values := range v {
		for _, val := range values {
			if len(val) > maxValue {
				return q, bad(name, "is longer than %d bytes", maxValue)
			}
		}
		if !repeatable(name) && len(values) > 1 {
			return q, bad(name, "is given %d times; give it once", len(values))
		}
		val := values[0]
		if val == "" {
			continue
		}
		var err error
		switch {
		case name == "project":
			id, perr := strconv.ParseInt(val, 10, 64)
			switch {
			case perr != nil || id <= 0:
				err = bad(name, "%q is not a project id", val)
			case project != 0 && id != project:
				err = bad(name, "is %d, but the path names project %d", id, project)
			default:
				f.Project = id
			}
		case name == "url":
			f.URL = val
		case name == "entry":
			f.Entry = val
		case name == "exit":
			f.Exit = val
		case name == "min_duration":
			f.MinDuration, err = parseDuration(name, val)
		case name == "max_duration":
			f.MaxDuration, err = parseDuration(name, val)
		case name == "min_active":
			f.MinActive, err = parseDuration(name, val)
		case name == "from":
			f.From, err = parseTime(name, val, false)
		case name == "to":
			f.To, err = parseTime(name, val, true)
		case name == "device":
			f.Device = val
		case name == "browser":
			f.Browser = val
		case name == "os":
			f.OS = val
		case name == "user":
			f.User = val
		case name == "recorded":
			f.Recorded = val
		case strings.HasPrefix(name, "trait."):
			trait := strings.TrimPrefix(name, "trait.")
			if trait == "" {
				err = bad(name, "names no trait: use trait.NAME=VALUE")
				break
			}
			if f.Traits == nil {
				f.Traits = map[string]string{}
			}
			f.Traits[trait] = val
		case name == "event":
			f.Events = nonEmpty(values)
		case name == "signal":
			for _, s := range nonEmpty(values) {
				sig, serr := parseSignal(s)
				if serr != nil {
					return q, serr
				}
				f.Signals = append(f.Signals, sig)
			}
		case name == "converted":
			f.Converted = nonEmpty(values)
		case name == "not_converted":
			f.NotConverted = nonEmpty(values)
		case name == "tag":
			for _, tag := range nonEmpty(values) {
				norm, terr := store.NormalizeTag(tag)
				if terr != nil {
					return q, bad(name, "%q: %v", tag, terr)
				}
				f.Tags = append(f.Tags, norm)
			}
		case name == "watched":
			f.Watched, err = parseBool(name, val)
		case name == "live":
			var b *bool
			if b, err = parseBool(name, val); err == nil {
				f.Live, f.LiveSince = b, now.Add(-LiveWindow)
			}
		case name == "bounce":
			f.Bounce, err = parseBool(name, val)
		case name == "q":
			if len(store.Words(val)) == 0 {
				err = bad(name, "has no words to search for")
			} else if len(store.Words(val)) > maxWords {
				err = bad(name, "has more than %d words", maxWords)
			}
			f.Q = val
		case name == "sort":
			switch val {
			case store.SortNewest, store.SortOldest, store.SortLongest, store.SortScore:
				q.Sort = val
			default:
				err = bad(name, "%q is not one of newest, oldest, longest, score", val)
			}
		case name == "limit":
			n, perr := strconv.Atoi(val)
			if perr != nil || n < 1 || n > MaxLimit {
				err = bad(name, "%q is not a number from 1 to %d", val, MaxLimit)
			}
			q.Limit = n
		case name == "cursor":
			q.Cursor = val
		default:
			err = bad(name, "is not a filter this API knows (see docs/api.md)")
		}
		if err != nil {
			return q, err
		}
	}
	if f.MinDuration != nil && f.MaxDuration != nil && *f.MinDuration > *f.MaxDuration {
		return q, bad("min_duration", "%s is more than max_duration %s", f.MinDuration, f.MaxDuration)
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.From.After(f.To) {
		return q, bad("from", "%s is after to %s", f.From.Format(time.RFC3339), f.To.Format(time.RFC3339))
	}
	for _, c := range f.Converted {
		for _, n := range f.NotConverted {
			if c == n {
				return q, bad("not_converted", "asks for sessions that both reached and missed the goal %q", c)
			}
		}
	}
	return q, nil
}

func repeatable(name string) bool {
	return name == "signal" || name == "event" || name == "converted" || name == "not_converted" || name == "tag"
}

func nonEmpty(values []string) []string {
	var out []string
	for _, v := range values {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

func parseDuration(name, val string) (*time.Duration, error) {
	d, err := time.ParseDuration(val)
	if err != nil || d < 0 {
		return nil, &store.FilterError{Param: name, Message: fmt.Sprintf("%q is not a duration like 30s, 5m or 1h30m", val)}
	}
	return &d, nil
}

// parseTime reads RFC 3339 or a day (YYYY-MM-DD, UTC); a day as the end
// of a range means its last millisecond.
func parseTime(name, val string, end bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, val); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.DateOnly, val)
	if err != nil {
		return time.Time{}, &store.FilterError{Param: name, Message: fmt.Sprintf("%q is not a time like 2026-11-26 or 2026-11-26T22:50:00Z", val)}
	}
	if end {
		t = t.AddDate(0, 0, 1).Add(-time.Millisecond)
	}
	return t, nil
}

func parseBool(name, val string) (*bool, error) {
	b, err := strconv.ParseBool(val)
	if err != nil {
		return nil, &store.FilterError{Param: name, Message: fmt.Sprintf("%q is not true or false", val)}
	}
	return &b, nil
}

// parseSignal reads KIND or KIND:N (at least N signals of the kind).
func parseSignal(val string) (store.SignalAtLeast, error) {
	kind, count, hasCount := strings.Cut(val, ":")
	s := store.SignalAtLeast{Kind: kind, N: 1}
	known := false
	for _, k := range store.SignalKinds {
		known = known || k == kind
	}
	if !known {
		return s, &store.FilterError{Param: "signal", Message: fmt.Sprintf("%q is not a signal kind (%s)", kind, strings.Join(store.SignalKinds, ", "))}
	}
	if hasCount {
		n, err := strconv.Atoi(count)
		if err != nil || n < 1 {
			return s, &store.FilterError{Param: "signal", Message: fmt.Sprintf("%q: the count after %s: is not a whole number of at least 1", val, kind)}
		}
		s.N = n
	}
	return s, nil
}
