package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/playhead/playhead/internal/store"
)

const goalUsage = `Usage:
  playhead project goal add KEY NAME (--url GLOB | --event NAME) [--intent GLOB] [--data DIR]
  playhead project goal list KEY [--data DIR]
  playhead project goal remove KEY NAME [--data DIR]

A goal is reached by visiting a page whose URL matches GLOB (* is any
run of characters, ? any one: --url '*/checkout/done') or by the site
tracking the custom event NAME. --intent is a glob of pages that show a
visitor meant to reach it; a URL goal has its own folder by default.`

func projectGoal(ctx context.Context, env *Env, args []string) error {
	return verbs{"add": goalAdd, "list": goalList, "remove": goalRemove}.run(ctx, env, "project goal", goalUsage, args)
}

// parsePositional parses flags given before, between or after n
// positional arguments.
func parsePositional(fs *flag.FlagSet, args []string, n int) ([]string, error) {
	var pos []string
	for {
		if err := parse(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != n {
		fs.Usage()
		return nil, errUsage
	}
	return pos, nil
}

func goalAdd(ctx context.Context, env *Env, args []string) error {
	fs := flagSet(env, "project goal add", "playhead project goal add KEY NAME (--url GLOB | --event NAME) [--intent GLOB] [--data DIR]")
	data := dataFlag(fs, env)
	url := fs.String("url", "", "reached by visiting a page whose URL matches this glob (* any run of characters, ? any one)")
	event := fs.String("event", "", "reached when the site tracks this custom event")
	intent := fs.String("intent", "", "a glob of pages that show a visitor meant to reach the goal")
	pos, err := parsePositional(fs, args, 2)
	if err != nil {
		return err
	}
	if (*url == "") == (*event == "") {
		fmt.Fprintln(env.Stderr, "give the goal either --url GLOB or --event NAME")
		return errUsage
	}
	st, err := openFolder(ctx, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	g, err := st.AddGoal(ctx, pos[0], store.Goal{Name: pos[1], URL: *url, Event: *event, Intent: *intent})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("no project has the key %q", pos[0])
	case errors.Is(err, store.ErrExists):
		return fmt.Errorf("the project has a goal called %q already; remove it first", pos[1])
	case err != nil:
		return err
	}
	fmt.Fprintf(env.Stdout, "Added the goal %q: %s.\n", g.Name, describeGoal(g))
	return nil
}

func describeGoal(g store.Goal) string {
	d := "tracks the event " + g.Event
	if g.URL != "" {
		d = "visits " + g.URL
	}
	if i := store.IntentGlob(g); i != "" {
		d += "; intent: visits " + i
	}
	return d
}

func goalList(ctx context.Context, env *Env, args []string) error {
	fs := flagSet(env, "project goal list", "playhead project goal list KEY [--data DIR]")
	data := dataFlag(fs, env)
	key, err := parseWithName(fs, args)
	if err != nil {
		return err
	}
	st, p, err := openProject(ctx, *data, key)
	if err != nil {
		return err
	}
	defer st.Close()
	goals, err := st.Goals(ctx, p.ID)
	if err != nil {
		return err
	}
	for _, g := range goals {
		fmt.Fprintf(env.Stdout, "%s\t%s\n", g.Name, describeGoal(g))
	}
	return nil
}

func goalRemove(ctx context.Context, env *Env, args []string) error {
	fs := flagSet(env, "project goal remove", "playhead project goal remove KEY NAME [--data DIR]")
	data := dataFlag(fs, env)
	pos, err := parsePositional(fs, args, 2)
	if err != nil {
		return err
	}
	st, err := openFolder(ctx, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.RemoveGoal(ctx, pos[0], pos[1]); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no project with the key %q has a goal called %q", pos[0], pos[1])
		}
		return err
	}
	fmt.Fprintf(env.Stdout, "Removed the goal %q.\n", pos[1])
	return nil
}
