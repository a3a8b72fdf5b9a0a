package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"github.com/playhead/playhead/internal/signals"
)

// threshold is one of signals.Config's, as a flag of `project signals`.
type threshold struct {
	name, usage string
	value       func(*signals.Config) flag.Value
}

var thresholds = []threshold{
	{"rage-clicks", "clicks in a rage click", func(c *signals.Config) flag.Value { return intValue(&c.RageClicks) }},
	{"rage-interval", "most time between two clicks of a rage click", func(c *signals.Config) flag.Value { return durationValue(&c.RageInterval) }},
	{"rage-radius", "most pixels from a rage click's first click", func(c *signals.Config) flag.Value { return floatValue(&c.RageRadius) }},
	{"dead-click-wait", "time without an answer that makes a click dead", func(c *signals.Config) flag.Value { return durationValue(&c.DeadClickWait) }},
	{"error-click-wait", "most time from a click to the error it caused", func(c *signals.Config) flag.Value { return durationValue(&c.ErrorClickWait) }},
	{"slow-request", "time that makes a request slow", func(c *signals.Config) flag.Value { return durationValue(&c.SlowRequest) }},
	{"slow-lcp", "Largest Contentful Paint that makes a page slow", func(c *signals.Config) flag.Value { return durationValue(&c.SlowLCP) }},
	{"slow-inp", "Interaction to Next Paint that makes a page slow", func(c *signals.Config) flag.Value { return durationValue(&c.SlowINP) }},
	{"thrash-reversals", "cursor reversals that make a thrashing cursor", func(c *signals.Config) flag.Value { return intValue(&c.ThrashReversals) }},
	{"thrash-window", "time within which they happen", func(c *signals.Config) flag.Value { return durationValue(&c.ThrashWindow) }},
	{"thrash-speed", "least speed of a stroke, px/s", func(c *signals.Config) flag.Value { return floatValue(&c.ThrashSpeed) }},
	{"thrash-distance", "least length of a stroke, px", func(c *signals.Config) flag.Value { return floatValue(&c.ThrashDistance) }},
	{"scroll-reversals", "scroll reversals that make excessive scrolling", func(c *signals.Config) flag.Value { return intValue(&c.ScrollReversals) }},
	{"scroll-window", "time within which they happen", func(c *signals.Config) flag.Value { return durationValue(&c.ScrollWindow) }},
	{"scroll-screens", "least viewport heights scrolled meanwhile", func(c *signals.Config) flag.Value { return floatValue(&c.ScrollScreens) }},
	{"quick-back", "most time on a page left by going back", func(c *signals.Config) flag.Value { return durationValue(&c.QuickBack) }},
	{"slow-form", "time from first input to sending that makes a form slow", func(c *signals.Config) flag.Value { return durationValue(&c.SlowForm) }},
	{"idle", "gap without input past which time is idle", func(c *signals.Config) flag.Value { return durationValue(&c.Idle) }},
	{"long-inactivity", "gap without input that is long inactivity", func(c *signals.Config) flag.Value { return durationValue(&c.LongInactivity) }},
}

// projectSignals shows a project's signal thresholds, changing those given.
func projectSignals(ctx context.Context, env *Env, args []string) error {
	fs := flagSet(env, "project signals", "playhead project signals KEY [--data DIR] [--THRESHOLD VALUE]...")
	data := dataFlag(fs, env)
	var given signals.Config
	for _, t := range thresholds {
		fs.Var(t.value(&given), t.name, t.usage)
	}
	key, err := parseWithName(fs, args)
	if err != nil {
		return err
	}
	st, p, err := openProject(ctx, *data, key)
	if err != nil {
		return err
	}
	defer st.Close()
	cfg := signals.DefaultConfig
	stored, ok, err := st.Setting(ctx, signals.SettingName(p.ID))
	if err != nil {
		return err
	}
	if ok {
		if err := json.Unmarshal([]byte(stored), &cfg); err != nil {
			return fmt.Errorf("the stored thresholds of project %d: %w", p.ID, err)
		}
	}
	changed := false
	fs.Visit(func(f *flag.Flag) {
		for _, t := range thresholds {
			if t.name == f.Name {
				t.value(&cfg).Set(f.Value.String())
				changed = true
			}
		}
	})
	if changed {
		if err := cfg.Check(); err != nil {
			fmt.Fprintln(env.Stderr, err)
			return errUsage
		}
		b, err := json.Marshal(cfg)
		if err != nil {
			return err
		}
		if err := st.SetSetting(ctx, signals.SettingName(p.ID), string(b)); err != nil {
			return err
		}
		// The server reads them again within this long; sessions analysed
		// before keep the signals they got.
		fmt.Fprintln(env.Stdout, "Saved; running servers use the new thresholds within 10 seconds, for batches they analyse from then on.")
	}
	for _, t := range thresholds {
		fmt.Fprintf(env.Stdout, "--%s=%s\n", t.name, t.value(&cfg).String())
	}
	return nil
}
