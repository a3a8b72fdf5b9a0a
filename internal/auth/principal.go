package auth

import (
	"context"
	"slices"

	"github.com/playhead/playhead/internal/store"
)

// Principal is who a request comes from. The zero value is anonymous.
type Principal struct {
	// User is set for a browser signed in with a login session.
	User  *store.User
	Login *store.LoginSession
	// Token is set for a request with an API token.
	Token *store.Token
	// Share is set on the share-scoped routes of one share link.
	Share *store.Share
	// projects are those a member or viewer belongs to.
	projects []int64
}

// Anonymous tells whether nobody is signed in.
func (p *Principal) Anonymous() bool {
	return p == nil || (p.User == nil && p.Token == nil && p.Share == nil)
}

// AllProjects tells whether p sees every project: owners, admins and
// tokens (whose scope says what they may do, on any project).
func (p *Principal) AllProjects() bool {
	switch {
	case p == nil:
		return false
	case p.Token != nil:
		return true
	case p.User != nil:
		return p.User.Role.AllProjects()
	}
	return false
}

// Sees tells whether p may see the project's sessions.
func (p *Principal) Sees(project int64) bool {
	switch {
	case p == nil:
		return false
	case p.AllProjects():
		return true
	case p.Share != nil:
		return p.Share.Project == project
	}
	return slices.Contains(p.projects, project)
}

// Projects returns the projects p is limited to; all is true when p sees
// every project (and the list is nil).
func (p *Principal) Projects() (ids []int64, all bool) {
	if p.AllProjects() {
		return nil, true
	}
	if p != nil && p.Share != nil {
		return []int64{p.Share.Project}, false
	}
	if p == nil {
		return nil, false
	}
	return slices.Clone(p.projects), false
}

// Role is the signed-in user's role, or "".
func (p *Principal) Role() store.Role {
	if p == nil || p.User == nil {
		return ""
	}
	return p.User.Role
}

// Label names p in logs.
func (p *Principal) Label() string {
	switch {
	case p == nil:
		return "anonymous"
	case p.User != nil:
		return p.User.Email
	case p.Token != nil:
		return "token " + p.Token.Name
	case p.Share != nil:
		return "share link"
	}
	return "anonymous"
}

type principalKey struct{}

// FromContext returns the request's principal; never nil.
func FromContext(ctx context.Context) *Principal {
	if p, ok := ctx.Value(principalKey{}).(*Principal); ok && p != nil {
		return p
	}
	return &Principal{}
}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}
