package store

import "time"

// Role is what a user may do. Owners and admins see every project; members
// and viewers only those they belong to.
type Role string

const (
	RoleOwner  Role = "owner"  // everything, including other owners and admins
	RoleAdmin  Role = "admin"  // projects, users below admin, API tokens
	RoleMember Role = "member" // watch and share their projects' sessions
	RoleViewer Role = "viewer" // watch their projects' sessions
)

// Roles lists the roles from the most to the least powerful.
var Roles = []Role{RoleOwner, RoleAdmin, RoleMember, RoleViewer}

// Valid tells whether r is one of Roles.
func (r Role) Valid() bool {
	for _, v := range Roles {
		if r == v {
			return true
		}
	}
	return false
}

// AtLeast tells whether r may do what min may.
func (r Role) AtLeast(min Role) bool { return rank(r) >= rank(min) }

// AllProjects tells whether the role sees every project.
func (r Role) AllProjects() bool { return r.AtLeast(RoleAdmin) }

func rank(r Role) int {
	switch r {
	case RoleOwner:
		return 4
	case RoleAdmin:
		return 3
	case RoleMember:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// User is a person who signs in to the dashboard.
type User struct {
	ID       int64
	Email    string
	Role     Role
	Password string // argon2id hash in PHC form; never the password
	Created  time.Time
}

// LoginSession is one signed-in browser. Its token lives only in the
// browser's cookie; the store keeps its SHA-256.
type LoginSession struct {
	Hash     []byte
	User     User
	CSRF     string // the token every state-changing request must carry
	Created  time.Time
	Expires  time.Time
	Address  string
	Agent    string
	LastSeen time.Time
}

// Scope is what an API token may do.
type Scope string

const (
	ScopeRead  Scope = "read"  // read sessions and recordings of every project
	ScopeWrite Scope = "write" // read, and change sessions' share links
	ScopeAdmin Scope = "admin" // everything an admin may, and /metrics
)

// AtLeast tells whether s grants what min does.
func (s Scope) AtLeast(min Scope) bool { return scopeRank(s) >= scopeRank(min) && scopeRank(min) > 0 }

// Valid tells whether s is a known scope.
func (s Scope) Valid() bool { return scopeRank(s) > 0 }

func scopeRank(s Scope) int {
	switch s {
	case ScopeRead:
		return 1
	case ScopeWrite:
		return 2
	case ScopeAdmin:
		return 3
	}
	return 0
}

// Token is an API token. The store keeps its SHA-256, never the token.
type Token struct {
	ID       int64
	Name     string
	Scope    Scope
	Created  time.Time
	LastUsed time.Time // zero when never used
}

// LinkKind says what a single-use link does.
type LinkKind string

const (
	LinkInvite LinkKind = "invite" // creates a user
	LinkReset  LinkKind = "reset"  // sets an existing user's password
)

// Link is a single-use link: an invitation or a password reset.
type Link struct {
	Hash     []byte
	Kind     LinkKind
	Email    string
	Role     Role    // of an invitation
	Projects []int64 // an invitee's projects
	User     int64   // of a reset
	Created  time.Time
	Expires  time.Time
}

// Share is a link that plays one session to anyone who has it.
type Share struct {
	ID      int64
	Hash    []byte
	Project int64
	Session string
	StartMS int64 // where the replay starts, in ms from the session's start
	Created time.Time
	Expires time.Time // zero: never
	Revoked bool
	By      string // e-mail of who made it; "" when unknown
}

// Active tells whether the link still plays at now.
func (s Share) Active(now time.Time) bool {
	return !s.Revoked && (s.Expires.IsZero() || now.Before(s.Expires))
}
