package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/playhead/playhead/internal/store"
)

// accountsMigration adds users, their login sessions, API tokens,
// single-use links, project membership and share links. Secrets are kept
// as their SHA-256 only: a copy of playhead.db lets no one sign in.
const accountsMigration = `CREATE TABLE users (
		id       INTEGER PRIMARY KEY,
		email    TEXT NOT NULL UNIQUE COLLATE NOCASE,
		password TEXT NOT NULL, -- argon2id, PHC form
		role     TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
		created  INTEGER NOT NULL
	);
	CREATE TABLE login_sessions (
		hash      BLOB PRIMARY KEY,
		user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		csrf      TEXT NOT NULL,
		created   INTEGER NOT NULL,
		expires   INTEGER NOT NULL,
		last_seen INTEGER NOT NULL,
		address   TEXT NOT NULL DEFAULT '',
		agent     TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX login_sessions_user ON login_sessions (user_id);
	CREATE TABLE api_tokens (
		id         INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		hash       BLOB NOT NULL UNIQUE,
		scope      TEXT NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
		created    INTEGER NOT NULL,
		last_used  INTEGER NOT NULL DEFAULT 0
	);
	CREATE TABLE links (
		hash     BLOB PRIMARY KEY,
		kind     TEXT NOT NULL CHECK (kind IN ('invite', 'reset')),
		email    TEXT NOT NULL,
		role     TEXT NOT NULL DEFAULT '',
		projects TEXT NOT NULL DEFAULT '[]',
		user_id  INTEGER REFERENCES users(id) ON DELETE CASCADE,
		created  INTEGER NOT NULL,
		expires  INTEGER NOT NULL
	);
	CREATE TABLE project_members (
		project INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
		user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		PRIMARY KEY (project, user_id)
	);
	CREATE INDEX project_members_user ON project_members (user_id);
	CREATE TABLE share_links (
		id       INTEGER PRIMARY KEY,
		hash     BLOB NOT NULL UNIQUE,
		project  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
		session  TEXT NOT NULL,
		start_ms INTEGER NOT NULL DEFAULT 0,
		created  INTEGER NOT NULL,
		expires  INTEGER NOT NULL DEFAULT 0, -- 0: never
		revoked  INTEGER NOT NULL DEFAULT 0,
		by_email TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX share_links_session ON share_links (project, session);`

func unixMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func isUnique(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

// CreateUser adds a user; store.ErrExists when the e-mail address is taken.
func (s *Store) CreateUser(ctx context.Context, email, passwordHash string, role store.Role) (_ store.User, err error) {
	defer s.check(&err)
	u := store.User{Email: email, Password: passwordHash, Role: role, Created: time.Now().UTC().Truncate(time.Millisecond)}
	err = s.write.QueryRowContext(ctx, `INSERT INTO users (email, password, role, created) VALUES (?, ?, ?, ?) RETURNING id`,
		email, passwordHash, string(role), unixMS(u.Created)).Scan(&u.ID)
	if isUnique(err) {
		return store.User{}, store.ErrExists
	}
	if err != nil {
		return store.User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

const userColumns = `id, email, password, role, created`

func scanUser(row interface{ Scan(...any) error }) (store.User, error) {
	var (
		u       store.User
		role    string
		created int64
	)
	if err := row.Scan(&u.ID, &u.Email, &u.Password, &role, &created); err != nil {
		return store.User{}, err
	}
	u.Role, u.Created = store.Role(role), fromMS(created)
	return u, nil
}

// UserByEmail finds a user by e-mail address, in any case.
func (s *Store) UserByEmail(ctx context.Context, email string) (store.User, error) {
	return s.user(ctx, `email = ?`, email)
}

// UserByID finds a user by id.
func (s *Store) UserByID(ctx context.Context, id int64) (store.User, error) {
	return s.user(ctx, `id = ?`, id)
}

func (s *Store) user(ctx context.Context, where string, arg any) (_ store.User, err error) {
	defer s.check(&err)
	u, err := scanUser(s.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return store.User{}, store.ErrNotFound
	}
	if err != nil {
		return store.User{}, fmt.Errorf("read user: %w", err)
	}
	return u, nil
}

// Users lists every user by e-mail address.
func (s *Store) Users(ctx context.Context) (_ []store.User, err error) {
	defer s.check(&err)
	rows, err := s.read.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY email`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// HasOwner tells whether any user is an owner.
func (s *Store) HasOwner(ctx context.Context) (ok bool, err error) {
	defer s.check(&err)
	err = s.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE role = 'owner')`).Scan(&ok)
	return ok, err
}

// SetUserRole changes a user's role. The last owner cannot stop being one.
func (s *Store) SetUserRole(ctx context.Context, id int64, role store.Role) (err error) {
	defer s.check(&err)
	res, err := s.write.ExecContext(ctx, `UPDATE users SET role = ?1 WHERE id = ?2
		AND (?1 = 'owner' OR role != 'owner' OR (SELECT count(*) FROM users WHERE role = 'owner') > 1)`, string(role), id)
	if err != nil {
		return fmt.Errorf("set role: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.UserByID(ctx, id); err != nil {
			return err
		}
		return ErrLastOwner
	}
	return nil
}

// ErrLastOwner refuses to leave the server without an owner.
var ErrLastOwner = errors.New("the last owner must stay an owner")

// SetUserPassword replaces a user's password hash and signs out every
// browser the user had signed in: whoever knew the old password is out.
func (s *Store) SetUserPassword(ctx context.Context, id int64, hash string) (err error) {
	defer s.check(&err)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE users SET password = ? WHERE id = ?`, hash, id)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_sessions WHERE user_id = ?`, id); err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	return tx.Commit()
}

// DeleteUser removes a user with their sessions and memberships. The last
// owner cannot be removed.
func (s *Store) DeleteUser(ctx context.Context, id int64) (err error) {
	defer s.check(&err)
	res, err := s.write.ExecContext(ctx, `DELETE FROM users WHERE id = ?
		AND (role != 'owner' OR (SELECT count(*) FROM users WHERE role = 'owner') > 1)`, id)
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.UserByID(ctx, id); err != nil {
			return err
		}
		return ErrLastOwner
	}
	return nil
}

// CreateLoginSession records a signed-in browser.
func (s *Store) CreateLoginSession(ctx context.Context, ls store.LoginSession) (err error) {
	defer s.check(&err)
	_, err = s.write.ExecContext(ctx, `INSERT INTO login_sessions (hash, user_id, csrf, created, expires, last_seen, address, agent)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, ls.Hash, ls.User.ID, ls.CSRF, unixMS(ls.Created), unixMS(ls.Expires), unixMS(ls.Created), ls.Address, ls.Agent)
	if err != nil {
		return fmt.Errorf("create login session: %w", err)
	}
	return nil
}

// LoginSession finds an unexpired login session by its token's hash, with
// its user.
func (s *Store) LoginSession(ctx context.Context, hash []byte, now time.Time) (_ store.LoginSession, err error) {
	defer s.check(&err)
	var (
		ls                        store.LoginSession
		role                      string
		created, expires, seen, u int64
	)
	err = s.read.QueryRowContext(ctx, `SELECT l.hash, l.csrf, l.created, l.expires, l.last_seen, l.address, l.agent,
			u.id, u.email, u.password, u.role, u.created
		FROM login_sessions l JOIN users u ON u.id = l.user_id WHERE l.hash = ? AND l.expires > ?`, hash, unixMS(now)).
		Scan(&ls.Hash, &ls.CSRF, &created, &expires, &seen, &ls.Address, &ls.Agent,
			&ls.User.ID, &ls.User.Email, &ls.User.Password, &role, &u)
	if errors.Is(err, sql.ErrNoRows) {
		return store.LoginSession{}, store.ErrNotFound
	}
	if err != nil {
		return store.LoginSession{}, fmt.Errorf("read login session: %w", err)
	}
	ls.Created, ls.Expires, ls.LastSeen = fromMS(created), fromMS(expires), fromMS(seen)
	ls.User.Role, ls.User.Created = store.Role(role), fromMS(u)
	return ls, nil
}

// TouchLoginSession records that the session was used at now.
func (s *Store) TouchLoginSession(ctx context.Context, hash []byte, now time.Time) (err error) {
	defer s.check(&err)
	_, err = s.write.ExecContext(ctx, `UPDATE login_sessions SET last_seen = ? WHERE hash = ?`, unixMS(now), hash)
	return err
}

// LoginSessions lists a user's signed-in browsers, most recent first.
func (s *Store) LoginSessions(ctx context.Context, user int64) (_ []store.LoginSession, err error) {
	defer s.check(&err)
	rows, err := s.read.QueryContext(ctx, `SELECT hash, created, expires, last_seen, address, agent
		FROM login_sessions WHERE user_id = ? ORDER BY last_seen DESC`, user)
	if err != nil {
		return nil, fmt.Errorf("list login sessions: %w", err)
	}
	defer rows.Close()
	var out []store.LoginSession
	for rows.Next() {
		var (
			ls                     store.LoginSession
			created, expires, seen int64
		)
		if err := rows.Scan(&ls.Hash, &created, &expires, &seen, &ls.Address, &ls.Agent); err != nil {
			return nil, fmt.Errorf("list login sessions: %w", err)
		}
		ls.Created, ls.Expires, ls.LastSeen = fromMS(created), fromMS(expires), fromMS(seen)
		out = append(out, ls)
	}
	return out, rows.Err()
}

// DeleteLoginSession signs one browser out; user, if not 0, must own it.
func (s *Store) DeleteLoginSession(ctx context.Context, hash []byte, user int64) (err error) {
	defer s.check(&err)
	_, err = s.write.ExecContext(ctx, `DELETE FROM login_sessions WHERE hash = ? AND (?2 = 0 OR user_id = ?2)`, hash, user)
	return err
}

// CreateToken records an API token by its hash.
func (s *Store) CreateToken(ctx context.Context, name string, scope store.Scope, hash []byte) (_ store.Token, err error) {
	defer s.check(&err)
	t := store.Token{Name: name, Scope: scope, Created: time.Now().UTC().Truncate(time.Millisecond)}
	err = s.write.QueryRowContext(ctx, `INSERT INTO api_tokens (name, hash, scope, created) VALUES (?, ?, ?, ?) RETURNING id`,
		name, hash, string(scope), unixMS(t.Created)).Scan(&t.ID)
	if err != nil {
		return store.Token{}, fmt.Errorf("create token: %w", err)
	}
	return t, nil
}

// TokenByHash finds an API token by its hash.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (_ store.Token, err error) {
	defer s.check(&err)
	t, err := scanToken(s.read.QueryRowContext(ctx, `SELECT id, name, scope, created, last_used FROM api_tokens WHERE hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Token{}, store.ErrNotFound
	}
	return t, err
}

func scanToken(row interface{ Scan(...any) error }) (store.Token, error) {
	var (
		t             store.Token
		scope         string
		created, used int64
	)
	if err := row.Scan(&t.ID, &t.Name, &scope, &created, &used); err != nil {
		return store.Token{}, err
	}
	t.Scope, t.Created, t.LastUsed = store.Scope(scope), fromMS(created), fromMS(used)
	return t, nil
}

// TouchToken records that a token was used at now.
func (s *Store) TouchToken(ctx context.Context, id int64, now time.Time) (err error) {
	defer s.check(&err)
	_, err = s.write.ExecContext(ctx, `UPDATE api_tokens SET last_used = ? WHERE id = ?`, unixMS(now), id)
	return err
}

// Tokens lists the API tokens, newest first.
func (s *Store) Tokens(ctx context.Context) (_ []store.Token, err error) {
	defer s.check(&err)
	rows, err := s.read.QueryContext(ctx, `SELECT id, name, scope, created, last_used FROM api_tokens ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []store.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// DeleteToken revokes an API token.
func (s *Store) DeleteToken(ctx context.Context, id int64) (err error) {
	defer s.check(&err)
	res, err := s.write.ExecContext(ctx, `DELETE FROM api_tokens WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// CreateLink records a single-use link by its hash.
func (s *Store) CreateLink(ctx context.Context, l store.Link) (err error) {
	defer s.check(&err)
	projects, _ := json.Marshal(append([]int64{}, l.Projects...))
	var user any
	if l.User != 0 {
		user = l.User
	}
	_, err = s.write.ExecContext(ctx, `INSERT INTO links (hash, kind, email, role, projects, user_id, created, expires)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, l.Hash, string(l.Kind), l.Email, string(l.Role), string(projects), user, unixMS(l.Created), unixMS(l.Expires))
	if err != nil {
		return fmt.Errorf("create link: %w", err)
	}
	return nil
}

// Link finds an unexpired single-use link of a kind by its hash.
func (s *Store) Link(ctx context.Context, kind store.LinkKind, hash []byte, now time.Time) (_ store.Link, err error) {
	defer s.check(&err)
	var (
		l                store.Link
		role, projects   string
		user             sql.NullInt64
		created, expires int64
	)
	err = s.read.QueryRowContext(ctx, `SELECT hash, email, role, projects, user_id, created, expires
		FROM links WHERE kind = ? AND hash = ? AND expires > ?`, string(kind), hash, unixMS(now)).
		Scan(&l.Hash, &l.Email, &role, &projects, &user, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Link{}, store.ErrNotFound
	}
	if err != nil {
		return store.Link{}, fmt.Errorf("read link: %w", err)
	}
	l.Kind, l.Role, l.User, l.Created, l.Expires = kind, store.Role(role), user.Int64, fromMS(created), fromMS(expires)
	if err := json.Unmarshal([]byte(projects), &l.Projects); err != nil {
		return store.Link{}, fmt.Errorf("read link: %w", err)
	}
	return l, nil
}

// Invitations lists the pending invitations, newest first.
func (s *Store) Invitations(ctx context.Context, now time.Time) (_ []store.Link, err error) {
	defer s.check(&err)
	rows, err := s.read.QueryContext(ctx, `SELECT hash, email, role, created, expires FROM links
		WHERE kind = 'invite' AND expires > ? ORDER BY created DESC`, unixMS(now))
	if err != nil {
		return nil, fmt.Errorf("list invitations: %w", err)
	}
	defer rows.Close()
	var out []store.Link
	for rows.Next() {
		var (
			l                store.Link
			role             string
			created, expires int64
		)
		if err := rows.Scan(&l.Hash, &l.Email, &role, &created, &expires); err != nil {
			return nil, fmt.Errorf("list invitations: %w", err)
		}
		l.Kind, l.Role, l.Created, l.Expires = store.LinkInvite, store.Role(role), fromMS(created), fromMS(expires)
		out = append(out, l)
	}
	return out, rows.Err()
}

// DeleteLink withdraws a single-use link.
func (s *Store) DeleteLink(ctx context.Context, hash []byte) (err error) {
	defer s.check(&err)
	_, err = s.write.ExecContext(ctx, `DELETE FROM links WHERE hash = ?`, hash)
	return err
}

// AcceptInvitation uses an invitation once: it creates the user with the
// given password hash and their memberships, and deletes the link, in one
// transaction, so that a link is never used twice.
func (s *Store) AcceptInvitation(ctx context.Context, hash []byte, passwordHash string, now time.Time) (_ store.User, err error) {
	defer s.check(&err)
	l, err := s.Link(ctx, store.LinkInvite, hash, now)
	if err != nil {
		return store.User{}, err
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return store.User{}, fmt.Errorf("accept invitation: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM links WHERE hash = ? AND kind = 'invite'`, hash)
	if err != nil {
		return store.User{}, fmt.Errorf("accept invitation: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 { // used meanwhile
		return store.User{}, store.ErrNotFound
	}
	u := store.User{Email: l.Email, Role: l.Role, Password: passwordHash, Created: now.UTC().Truncate(time.Millisecond)}
	err = tx.QueryRowContext(ctx, `INSERT INTO users (email, password, role, created) VALUES (?, ?, ?, ?) RETURNING id`,
		u.Email, u.Password, string(u.Role), unixMS(u.Created)).Scan(&u.ID)
	if isUnique(err) {
		return store.User{}, store.ErrExists
	}
	if err != nil {
		return store.User{}, fmt.Errorf("accept invitation: %w", err)
	}
	for _, p := range l.Projects {
		// A project deleted since the invitation is skipped.
		if _, err := tx.ExecContext(ctx, `INSERT INTO project_members (project, user_id)
			SELECT id, ? FROM projects WHERE id = ?`, u.ID, p); err != nil {
			return store.User{}, fmt.Errorf("accept invitation: %w", err)
		}
	}
	return u, tx.Commit()
}

// ResetPassword uses a reset link once: it sets the user's password and
// signs them out everywhere.
func (s *Store) ResetPassword(ctx context.Context, hash []byte, passwordHash string, now time.Time) (_ store.User, err error) {
	defer s.check(&err)
	l, err := s.Link(ctx, store.LinkReset, hash, now)
	if err != nil {
		return store.User{}, err
	}
	res, err := s.write.ExecContext(ctx, `DELETE FROM links WHERE hash = ? AND kind = 'reset'`, hash)
	if err != nil {
		return store.User{}, fmt.Errorf("reset password: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.User{}, store.ErrNotFound
	}
	if err := s.SetUserPassword(ctx, l.User, passwordHash); err != nil {
		return store.User{}, err
	}
	return s.UserByID(ctx, l.User)
}

// UserProjects lists the projects a user belongs to.
func (s *Store) UserProjects(ctx context.Context, user int64) (_ []int64, err error) {
	defer s.check(&err)
	rows, err := s.read.QueryContext(ctx, `SELECT project FROM project_members WHERE user_id = ? ORDER BY project`, user)
	if err != nil {
		return nil, fmt.Errorf("list memberships: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var p int64
		if err := rows.Scan(&p); err != nil {
			return nil, fmt.Errorf("list memberships: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// SetUserProjects makes a user a member of exactly the given projects.
func (s *Store) SetUserProjects(ctx context.Context, user int64, projects []int64) (err error) {
	defer s.check(&err)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("set memberships: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM project_members WHERE user_id = ?`, user); err != nil {
		return fmt.Errorf("set memberships: %w", err)
	}
	for _, p := range projects {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO project_members (project, user_id)
			SELECT id, ? FROM projects WHERE id = ?`, user, p); err != nil {
			return fmt.Errorf("set memberships: %w", err)
		}
	}
	return tx.Commit()
}

// CreateShare records a share link by its hash.
func (s *Store) CreateShare(ctx context.Context, sh store.Share) (_ store.Share, err error) {
	defer s.check(&err)
	if sh.Created.IsZero() {
		sh.Created = time.Now().UTC().Truncate(time.Millisecond)
	}
	err = s.write.QueryRowContext(ctx, `INSERT INTO share_links (hash, project, session, start_ms, created, expires, by_email)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, sh.Hash, sh.Project, sh.Session, sh.StartMS, unixMS(sh.Created), unixMS(sh.Expires), sh.By).Scan(&sh.ID)
	if err != nil {
		return store.Share{}, fmt.Errorf("create share link: %w", err)
	}
	return sh, nil
}

const shareColumns = `id, hash, project, session, start_ms, created, expires, revoked, by_email`

func scanShare(row interface{ Scan(...any) error }) (store.Share, error) {
	var (
		sh               store.Share
		created, expires int64
	)
	if err := row.Scan(&sh.ID, &sh.Hash, &sh.Project, &sh.Session, &sh.StartMS, &created, &expires, &sh.Revoked, &sh.By); err != nil {
		return store.Share{}, err
	}
	sh.Created, sh.Expires = fromMS(created), fromMS(expires)
	return sh, nil
}

// ShareByHash finds a share link by its token's hash, revoked or expired
// ones included: the caller checks Active.
func (s *Store) ShareByHash(ctx context.Context, hash []byte) (_ store.Share, err error) {
	defer s.check(&err)
	sh, err := scanShare(s.read.QueryRowContext(ctx, `SELECT `+shareColumns+` FROM share_links WHERE hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Share{}, store.ErrNotFound
	}
	if err != nil {
		return store.Share{}, fmt.Errorf("read share link: %w", err)
	}
	return sh, nil
}

// Shares lists a session's share links, newest first.
func (s *Store) Shares(ctx context.Context, project int64, session string) (_ []store.Share, err error) {
	defer s.check(&err)
	rows, err := s.read.QueryContext(ctx, `SELECT `+shareColumns+` FROM share_links
		WHERE project = ? AND session = ? ORDER BY id DESC`, project, session)
	if err != nil {
		return nil, fmt.Errorf("list share links: %w", err)
	}
	defer rows.Close()
	var out []store.Share
	for rows.Next() {
		sh, err := scanShare(rows)
		if err != nil {
			return nil, fmt.Errorf("list share links: %w", err)
		}
		out = append(out, sh)
	}
	return out, rows.Err()
}

// RevokeShare stops a share link of the project from playing.
func (s *Store) RevokeShare(ctx context.Context, project, id int64) (err error) {
	defer s.check(&err)
	res, err := s.write.ExecContext(ctx, `UPDATE share_links SET revoked = 1 WHERE id = ? AND project = ?`, id, project)
	if err != nil {
		return fmt.Errorf("revoke share link: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}
