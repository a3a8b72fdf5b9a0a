package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/playhead/playhead/internal/account"
	"github.com/playhead/playhead/internal/auth"
	"github.com/playhead/playhead/internal/ingest"
	"github.com/playhead/playhead/internal/server"
	"github.com/playhead/playhead/internal/store"
)

// addAccessFlags adds serve's flags of who may reach what.
func addAccessFlags(f *envFlags, cfg *server.Config) {
	f.add(stringValue(&cfg.PublicURL), "public-url", "the URL people reach the server at, such as https://playhead.example.com; requests naming another host are refused (default http://127.0.0.1:PORT on loopback)")
	f.add(proxiesValue{(*ingest.Proxies)(&cfg.MetricsAllow)}, "metrics-allow", "addresses or CIDR ranges that may read /metrics without signing in")
	f.add(stringValue(&cfg.IngestAddr), "ingest-addr", "also serve only ingest, /playhead.js and /healthz at this address (off when empty)")
}

const userUsage = `Usage:
  playhead user create EMAIL [--role owner|admin|member|viewer] [--data DIR]   (password from standard input)
  playhead user password EMAIL [--data DIR]                                  (sets a new password; signs them out)`

func user(ctx context.Context, env *Env, args []string) error {
	return verbs{"create": userCreate, "password": userPassword}.run(ctx, env, "user", userUsage, args)
}

// readPassword reads a password: prompted for twice without echo on a
// terminal, or the first line of standard input otherwise.
func readPassword(env *Env) (string, error) {
	in := env.Stdin
	if in == nil {
		in = os.Stdin
	}
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(env.Stderr, "Password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(env.Stderr, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(a) != string(b) {
			return "", errors.New("the two passwords differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(io.LimitReader(in, auth.MaxPassword+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func userCreate(ctx context.Context, env *Env, args []string) error {
	fs := flagSet(env, "user create", "playhead user create EMAIL [--role ROLE] [--data DIR]  (password from standard input, or prompted)")
	data := dataFlag(fs, env)
	role := fs.String("role", "member", "owner, admin, member or viewer")
	email, err := parseWithName(fs, args)
	if err != nil {
		return err
	}
	if !account.ValidEmail(email) {
		fmt.Fprintf(env.Stderr, "%q is not an e-mail address\n", email)
		return errUsage
	}
	if !store.Role(*role).Valid() {
		fmt.Fprintf(env.Stderr, "--role %q: want owner, admin, member or viewer\n", *role)
		return errUsage
	}
	hash, err := readPasswordHash(ctx, env)
	if err != nil {
		return err
	}
	st, err := openFolder(ctx, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := st.CreateUser(ctx, email, hash, store.Role(*role))
	if errors.Is(err, store.ErrExists) {
		return fmt.Errorf("a user with the e-mail address %q exists already", email)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Created %s %s (id %d).\n", u.Role, u.Email, u.ID)
	return nil
}

func userPassword(ctx context.Context, env *Env, args []string) error {
	fs := flagSet(env, "user password", "playhead user password EMAIL [--data DIR]  (password from standard input, or prompted)")
	data := dataFlag(fs, env)
	email, err := parseWithName(fs, args)
	if err != nil {
		return err
	}
	st, err := openFolder(ctx, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := st.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no user has the e-mail address %q", email)
	}
	if err != nil {
		return err
	}
	hash, err := readPasswordHash(ctx, env)
	if err != nil {
		return err
	}
	if err := st.SetUserPassword(ctx, u.ID, hash); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Set the password of %s and signed them out everywhere.\n", u.Email)
	return nil
}

const tokenUsage = `Usage:
  playhead token create NAME [--scope read|write|admin] [--data DIR]   (prints the token alone on the last line)
  playhead token list [--data DIR]
  playhead token revoke ID [--data DIR]`

func token(ctx context.Context, env *Env, args []string) error {
	return verbs{"create": tokenCreate, "list": tokenList, "revoke": tokenRevoke}.run(ctx, env, "token", tokenUsage, args)
}

func tokenCreate(ctx context.Context, env *Env, args []string) error {
	fs := flagSet(env, "token create", "playhead token create NAME [--scope read|write|admin] [--data DIR]")
	data := dataFlag(fs, env)
	scope := fs.String("scope", "read", "read, write or admin")
	name, err := parseWithName(fs, args)
	if err != nil {
		return err
	}
	if !store.Scope(*scope).Valid() {
		fmt.Fprintf(env.Stderr, "--scope %q: want read, write or admin\n", *scope)
		return errUsage
	}
	st, err := openFolder(ctx, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	secret, hash := auth.NewToken()
	t, err := st.CreateToken(ctx, name, store.Scope(*scope), hash)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Created the %s token %q (id %d). It is shown only now; send it as Authorization: Bearer TOKEN\n%s\n", t.Scope, t.Name, t.ID, secret)
	return nil
}

func tokenList(ctx context.Context, env *Env, args []string) error {
	fs := flagSet(env, "token list", "playhead token list [--data DIR]")
	data := dataFlag(fs, env)
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := openFolder(ctx, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	list, err := st.Tokens(ctx)
	if err != nil {
		return err
	}
	for _, t := range list {
		used := "never used"
		if !t.LastUsed.IsZero() {
			used = "last used " + t.LastUsed.Format("2006-01-02 15:04")
		}
		fmt.Fprintf(env.Stdout, "%d\t%s\t%s\t%s\n", t.ID, t.Scope, t.Name, used)
	}
	return nil
}

func tokenRevoke(ctx context.Context, env *Env, args []string) error {
	fs := flagSet(env, "token revoke", "playhead token revoke ID [--data DIR]")
	data := dataFlag(fs, env)
	idArg, err := parseWithName(fs, args)
	if err != nil {
		return err
	}
	var id int64
	if _, err := fmt.Sscan(idArg, &id); err != nil {
		fmt.Fprintf(env.Stderr, "token revoke: %q is not a token id (see token list)\n", idArg)
		return errUsage
	}
	st, err := openFolder(ctx, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.DeleteToken(ctx, id); errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no token has the id %d", id)
	} else if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Revoked token %d.\n", id)
	return nil
}

// readPasswordHash reads a password as readPassword does and hashes it.
func readPasswordHash(ctx context.Context, env *Env) (string, error) {
	pw, err := readPassword(env)
	if err != nil {
		return "", err
	}
	return auth.HashPassword(ctx, pw)
}
