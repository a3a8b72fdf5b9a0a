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

type intValue struct{ v *int }

func (i intValue) String() string {
	if i.v == nil {
		return ""
	}
	return strconv.Itoa(*i.v)
}

func (i intValue) Set(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return fmt.Errorf("want a whole number, 0 or more")
	}
	*i.v = n
	return nil
}

type floatValue struct{ v *float64 }

func (f floatValue) String() string {
	if f.v == nil {
		return ""
	}
	return strconv.FormatFloat(*f.v, 'g', -1, 64)
}

func (f floatValue) Set(v string) error {
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("want a number, 0 or more")
	}
	*f.v = n
	return nil
}

type durationValue struct{ v *time.Duration }

func (d durationValue) String() string {
	if d.v == nil {
		return ""
	}
	return d.v.String()
}

func (d durationValue) Set(v string) error {
	n, err := time.ParseDuration(v)
	if err != nil || n <= 0 {
		return fmt.Errorf("want a duration such as 10s")
	}
	*d.v = n
	return nil
}

type stringValue struct{ v *string }

func (s stringValue) String() string {
	if s.v == nil {
		return ""
	}
	return *s.v
}

func (s stringValue) Set(v string) error {
	*s.v = v
	return nil
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
