package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/playhead/playhead/internal/auth"
	"github.com/playhead/playhead/internal/store"
	"github.com/playhead/playhead/internal/store/sqlite"
)

func TestUserAndTokenCreate(t *testing.T) {
	data := t.TempDir()
	run := func(stdin string, args ...string) (string, error) {
		var out, errOut bytes.Buffer
		env := &Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }, Stdin: strings.NewReader(stdin)}
		err := Run(context.Background(), env, args)
		return out.String(), err
	}
	if _, err := run("short\n", "user", "create", "boss@example.test", "--role", "owner", "--data", data); err == nil {
		t.Error("a 5-character password was accepted")
	}
	if _, err := run("a good long password\n", "user", "create", "boss@example.test", "--role", "king", "--data", data); err == nil {
		t.Error("an unknown role was accepted")
	}
	if _, err := run("a good long password\n", "user", "create", "boss@example.test", "--role", "owner", "--data", data); err != nil {
		t.Fatal(err)
	}
	if _, err := run("a good long password\n", "user", "create", "BOSS@example.test", "--data", data); err == nil {
		t.Error("the same address in other case was accepted twice")
	}
	out, err := run("", "token", "create", "grafana", "--scope", "write", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	tok := lines[len(lines)-1]

	ctx := context.Background()
	st, err := sqlite.Open(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.UserByEmail(ctx, "boss@example.test")
	if err != nil || u.Role != store.RoleOwner {
		t.Fatalf("user: %+v %v", u, err)
	}
	if ok, err := auth.VerifyPassword(ctx, u.Password, "a good long password"); !ok || err != nil {
		t.Errorf("the stored hash does not verify the password: %v %v", ok, err)
	}
	got, err := st.TokenByHash(ctx, auth.HashSecret(tok))
	if err != nil || got.Scope != store.ScopeWrite || got.Name != "grafana" {
		t.Errorf("the last line %q is not the token: %+v %v", tok, got, err)
	}
}
