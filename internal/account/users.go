package account

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/playhead/playhead/internal/auth"
	"github.com/playhead/playhead/internal/store"
	"github.com/playhead/playhead/internal/store/sqlite"
)

// mayGrant tells whether a user of role actor may give role to someone:
// never more than their own, and only owners make owners.
func mayGrant(actor, role store.Role) bool {
	return role.Valid() && actor.AtLeast(role) && (role != store.RoleOwner || actor == store.RoleOwner)
}

// mayManage tells whether actor may change target: owners anyone, admins
// those below admin.
func mayManage(actor store.User, target store.User) bool {
	return actor.Role == store.RoleOwner || (actor.Role.AtLeast(store.RoleAdmin) && !target.Role.AtLeast(store.RoleAdmin))
}

func (p *Pages) users(w http.ResponseWriter, r *http.Request) {
	p.usersPage(w, r, http.StatusOK, "", nil)
}

func (p *Pages) usersPage(w http.ResponseWriter, r *http.Request, status int, errMsg string, created map[string]string) {
	ctx := r.Context()
	me := auth.FromContext(ctx).User
	users, err := p.Store.Users(ctx)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	projects, err := p.Store.Projects(ctx)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	invites, err := p.Store.Invitations(ctx, time.Now())
	if err != nil {
		p.fail(w, r, err)
		return
	}
	type projectBox struct {
		store.Project
		Member bool
	}
	type row struct {
		store.User
		Manage   bool
		Projects []projectBox
	}
	var rows []row
	for _, u := range users {
		ids, err := p.Store.UserProjects(ctx, u.ID)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		var boxes []projectBox
		for _, pr := range projects {
			boxes = append(boxes, projectBox{pr, slices.Contains(ids, pr.ID)})
		}
		rows = append(rows, row{u, mayManage(*me, u) && u.ID != me.ID, boxes})
	}
	var grantable []store.Role
	for _, role := range store.Roles {
		if mayGrant(me.Role, role) {
			grantable = append(grantable, role)
		}
	}
	type invite struct {
		store.Link
		ID string
	}
	var pending []invite
	for _, l := range invites {
		pending = append(pending, invite{l, hex.EncodeToString(l.Hash)})
	}
	p.render(w, r, status, "users", errMsg, map[string]any{
		"Users": rows, "Projects": projects, "Roles": grantable, "Invites": pending,
		"Created": created, "Owner": me.Role == store.RoleOwner,
	})
}

func (p *Pages) invite(w http.ResponseWriter, r *http.Request) {
	me := auth.FromContext(r.Context()).User
	email := strings.TrimSpace(r.PostFormValue("email"))
	role := store.Role(r.PostFormValue("role"))
	if !ValidEmail(email) {
		p.usersPage(w, r, http.StatusBadRequest, "Give the e-mail address of the person invited.", nil)
		return
	}
	if !mayGrant(me.Role, role) {
		p.usersPage(w, r, http.StatusForbidden, "You may not give the role "+string(role)+".", nil)
		return
	}
	if _, err := p.Store.UserByEmail(r.Context(), email); err == nil {
		p.usersPage(w, r, http.StatusConflict, "A user with this e-mail address exists already.", nil)
		return
	}
	var projects []int64
	for _, v := range r.PostForm["project"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			projects = append(projects, id)
		}
	}
	secret, hash := auth.NewSecret("phl_")
	now := time.Now().UTC()
	err := p.Store.CreateLink(r.Context(), store.Link{Hash: hash, Kind: store.LinkInvite, Email: email, Role: role,
		Projects: projects, Created: now, Expires: now.Add(inviteLifetime)})
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.Logger.Info("invitation made", "by", me.Email, "email", email, "role", role)
	p.record(r, "user.invite", 0, email, "role "+string(role))
	p.usersPage(w, r, http.StatusOK, "", map[string]string{
		"What": "Invitation for " + email + " (valid 7 days, once)", "Link": p.Gate.PublicURL() + "/invite/" + secret,
	})
}

func (p *Pages) withdrawInvite(w http.ResponseWriter, r *http.Request) {
	hash, err := hex.DecodeString(r.PostFormValue("id"))
	if err != nil {
		p.usersPage(w, r, http.StatusBadRequest, "No such invitation.", nil)
		return
	}
	if err := p.Store.DeleteLink(r.Context(), hash); err != nil {
		p.fail(w, r, err)
		return
	}
	p.record(r, "user.invite.withdraw", 0, "", "")
	back(w, r, "/users")
}

// target reads the {user} of the path and checks that the signed-in user
// may change them; it has answered when ok is false.
func (p *Pages) target(w http.ResponseWriter, r *http.Request) (store.User, bool) {
	me := auth.FromContext(r.Context()).User
	id, err := strconv.ParseInt(r.PathValue("user"), 10, 64)
	if err != nil {
		p.fail(w, r, store.ErrNotFound)
		return store.User{}, false
	}
	u, err := p.Store.UserByID(r.Context(), id)
	if err != nil {
		p.fail(w, r, err)
		return store.User{}, false
	}
	if !mayManage(*me, u) || u.ID == me.ID {
		p.usersPage(w, r, http.StatusForbidden, "You may not change "+u.Email+".", nil)
		return store.User{}, false
	}
	return u, true
}

func (p *Pages) setRole(w http.ResponseWriter, r *http.Request) {
	u, ok := p.target(w, r)
	if !ok {
		return
	}
	me := auth.FromContext(r.Context()).User
	role := store.Role(r.PostFormValue("role"))
	if !mayGrant(me.Role, role) {
		p.usersPage(w, r, http.StatusForbidden, "You may not give the role "+string(role)+".", nil)
		return
	}
	err := p.Store.SetUserRole(r.Context(), u.ID, role)
	if errors.Is(err, sqlite.ErrLastOwner) {
		p.usersPage(w, r, http.StatusConflict, "Playhead needs an owner: make someone else owner first.", nil)
		return
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.Logger.Info("role changed", "by", me.Email, "email", u.Email, "from", u.Role, "to", role)
	p.record(r, "user.role", 0, u.Email, string(u.Role)+" to "+string(role))
	back(w, r, "/users")
}

func (p *Pages) setProjects(w http.ResponseWriter, r *http.Request) {
	u, ok := p.target(w, r)
	if !ok {
		return
	}
	var ids []int64
	for _, v := range r.PostForm["project"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	if err := p.Store.SetUserProjects(r.Context(), u.ID, ids); err != nil {
		p.fail(w, r, err)
		return
	}
	p.record(r, "user.projects", 0, u.Email, fmt.Sprint(ids))
	back(w, r, "/users")
}

func (p *Pages) deleteUser(w http.ResponseWriter, r *http.Request) {
	u, ok := p.target(w, r)
	if !ok {
		return
	}
	err := p.Store.DeleteUser(r.Context(), u.ID)
	if errors.Is(err, sqlite.ErrLastOwner) {
		p.usersPage(w, r, http.StatusConflict, "Playhead needs an owner.", nil)
		return
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.Logger.Info("user deleted", "by", auth.FromContext(r.Context()).User.Email, "email", u.Email)
	p.record(r, "user.delete", 0, u.Email, "")
	back(w, r, "/users")
}

// resetLink makes a single-use link that sets a user's password: for
// someone who forgot theirs. Playhead sends no mail; the owner passes it on.
func (p *Pages) resetLink(w http.ResponseWriter, r *http.Request) {
	u, ok := p.target(w, r)
	if !ok {
		return
	}
	secret, hash := auth.NewSecret("phl_")
	now := time.Now().UTC()
	if err := p.Store.CreateLink(r.Context(), store.Link{Hash: hash, Kind: store.LinkReset, Email: u.Email, User: u.ID,
		Created: now, Expires: now.Add(resetLifetime)}); err != nil {
		p.fail(w, r, err)
		return
	}
	p.Logger.Info("password reset link made", "by", auth.FromContext(r.Context()).User.Email, "email", u.Email)
	p.record(r, "password.reset.link", 0, u.Email, "")
	p.usersPage(w, r, http.StatusOK, "", map[string]string{
		"What": "Password reset for " + u.Email + " (valid 24 hours, once)", "Link": p.Gate.PublicURL() + "/reset/" + secret,
	})
}

func (p *Pages) tokens(w http.ResponseWriter, r *http.Request) {
	p.tokensPage(w, r, http.StatusOK, "", "")
}

func (p *Pages) tokensPage(w http.ResponseWriter, r *http.Request, status int, errMsg, created string) {
	list, err := p.Store.Tokens(r.Context())
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.render(w, r, status, "tokens", errMsg, map[string]any{"Tokens": list, "Created": created})
}

func (p *Pages) createToken(w http.ResponseWriter, r *http.Request) {
	name, scope := strings.TrimSpace(r.PostFormValue("name")), store.Scope(r.PostFormValue("scope"))
	if name == "" || len(name) > 100 || !scope.Valid() {
		p.tokensPage(w, r, http.StatusBadRequest, "Give the token a name and a scope.", "")
		return
	}
	secret, hash := auth.NewToken()
	if _, err := p.Store.CreateToken(r.Context(), name, scope, hash); err != nil {
		p.fail(w, r, err)
		return
	}
	p.Logger.Info("API token created", "by", auth.FromContext(r.Context()).User.Email, "name", name, "scope", scope)
	p.record(r, "token.create", 0, name, "scope "+string(scope))
	p.tokensPage(w, r, http.StatusOK, "", secret)
}

func (p *Pages) revokeToken(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		p.fail(w, r, store.ErrNotFound)
		return
	}
	if err := p.Store.DeleteToken(r.Context(), id); err != nil {
		p.fail(w, r, err)
		return
	}
	p.Logger.Info("API token revoked", "by", auth.FromContext(r.Context()).User.Email, "id", id)
	p.record(r, "token.revoke", 0, strconv.FormatInt(id, 10), "")
	back(w, r, "/tokens")
}
