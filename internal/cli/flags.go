package cli

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/playhead/playhead/internal/ingest"
)

// envVar names the environment variable behind a flag: --ingest-max-body
// is PLAYHEAD_INGEST_MAX_BODY.
func envVar(flagName string) string {
	return "PLAYHEAD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// envFlags registers flags whose defaults come from the environment, and
// reports a bad environment value the way a bad flag is reported.
type envFlags struct {
	fs  *flag.FlagSet
	env *Env
	err error
}

func (f *envFlags) add(v flag.Value, name, usage string) {
	usage += " (env " + envVar(name) + ")"
	if s := f.env.Getenv(envVar(name)); s != "" {
		if err := v.Set(s); err != nil && f.err == nil {
			f.err = fmt.Errorf("%s=%q: %w", envVar(name), s, err)
		}
	}
	f.fs.Var(v, name, usage)
}

// size is a byte count written as 1048576, 1024K, 64M or 1G (binary units).
type size struct{ v *int64 }

func (s size) String() string {
	if s.v == nil {
		return ""
	}
	n := *s.v
	for _, u := range []struct {
		suffix string
		shift  uint
	}{{"G", 30}, {"M", 20}, {"K", 10}} {
		if n != 0 && n%(1<<u.shift) == 0 {
			return strconv.FormatInt(n>>u.shift, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

func (s size) Set(v string) error {
	shift := 0
	switch {
	case strings.HasSuffix(v, "K"):
		shift = 10
	case strings.HasSuffix(v, "M"):
		shift = 20
	case strings.HasSuffix(v, "G"):
		shift = 30
	}
	if shift > 0 {
		v = v[:len(v)-1]
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > 1<<(62-shift) {
		return fmt.Errorf("want a size such as 1048576, 512K, 64M or 1G")
	}
	*s.v = n << shift
	return nil
}

// value is a flag whose text parse turns into *v, and format back.
type value[T any] struct {
	v      *T
	parse  func(string) (T, error)
	format func(T) string
}

func (f value[T]) String() string {
	if f.v == nil {
		return ""
	}
	return f.format(*f.v)
}

func (f value[T]) Set(s string) error {
	v, err := f.parse(s)
	if err != nil {
		return err
	}
	*f.v = v
	return nil
}

func intValue(p *int) value[int] {
	return value[int]{p, func(s string) (int, error) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("want a whole number, 0 or more")
		}
		return n, nil
	}, strconv.Itoa}
}

func floatValue(p *float64) value[float64] {
	return value[float64]{p, func(s string) (float64, error) {
		n, err := strconv.ParseFloat(s, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("want a number, 0 or more")
		}
		return n, nil
	}, func(n float64) string { return strconv.FormatFloat(n, 'g', -1, 64) }}
}

func durationValue(p *time.Duration) value[time.Duration] {
	return value[time.Duration]{p, func(s string) (time.Duration, error) {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("want a duration such as 10s")
		}
		return d, nil
	}, time.Duration.String}
}

func stringValue(p *string) value[string] {
	return value[string]{p, func(s string) (string, error) { return s, nil }, func(s string) string { return s }}
}

type proxiesValue struct{ v *ingest.Proxies }

func (p proxiesValue) String() string {
	if p.v == nil {
		return ""
	}
	var parts []string
	for _, pr := range *p.v {
		parts = append(parts, pr.String())
	}
	return strings.Join(parts, ",")
}

func (p proxiesValue) Set(v string) error {
	ps, err := ingest.ParseProxies(v)
	if err != nil {
		return fmt.Errorf("want addresses or CIDR ranges separated by commas, such as 127.0.0.1,10.0.0.0/8")
	}
	*p.v = ps
	return nil
}
