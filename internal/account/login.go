package account

import (
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/playhead/playhead/internal/auth"
	"github.com/playhead/playhead/internal/store"
)

func (p *Pages) loginPage(w http.ResponseWriter, r *http.Request) {
	if !auth.FromContext(r.Context()).Anonymous() {
		back(w, r, localPath(r.URL.Query().Get("next")))
		return
	}
	p.render(w, r, http.StatusOK, "login", "", map[string]any{"Next": localPath(r.URL.Query().Get("next"))})
}

func (p *Pages) login(w http.ResponseWriter, r *http.Request) {
	if !p.Gate.CheckPublicForm(w, r) {
		return
	}
	email, next := r.PostFormValue("email"), localPath(r.PostFormValue("next"))
	secret, _, err := p.Logins.Login(r.Context(), email, r.PostFormValue("password"), p.Proxies.ClientAddr(r), r.UserAgent())
	switch {
	case errors.Is(err, auth.ErrTooManyLogins):
		w.Header().Set("Retry-After", "60")
		p.render(w, r, http.StatusTooManyRequests, "login", err.Error(), map[string]any{"Next": next, "Email": email})
		return
	case errors.Is(err, auth.ErrBadLogin):
		p.recordAs(r.Context(), "anonymous", "login.fail", 0, email, p.Proxies.ClientAddr(r))
		p.render(w, r, http.StatusUnauthorized, "login", "Wrong e-mail address or password.", map[string]any{"Next": next, "Email": email})
		return
	case err != nil:
		p.fail(w, r, err)
		return
	}
	p.Logins.SetCookie(w, secret)
	p.recordAs(r.Context(), email, "login", 0, email, p.Proxies.ClientAddr(r))
	back(w, r, next)
}

func (p *Pages) logout(w http.ResponseWriter, r *http.Request) {
	if l := auth.FromContext(r.Context()).Login; l != nil {
		if err := p.Store.DeleteLoginSession(r.Context(), l.Hash, 0); err != nil {
			p.fail(w, r, err)
			return
		}
	}
	p.Logins.ClearCookie(w)
	back(w, r, "/login")
}

// setupOpen tells whether the first owner may still be created in the
// browser: only with the setup token, only while there is no owner.
func (p *Pages) setupOpen(r *http.Request) (bool, error) {
	if p.SetupToken == "" {
		return false, nil
	}
	has, err := p.Store.HasOwner(r.Context())
	return !has, err
}

func (p *Pages) setupPage(w http.ResponseWriter, r *http.Request) {
	open, err := p.setupOpen(r)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if !open {
		p.message(w, r, http.StatusNotFound, "Set up", "Playhead is set up: an owner exists. Sign in instead.")
		return
	}
	if !equalSecret(r.URL.Query().Get("token"), p.SetupToken) {
		p.message(w, r, http.StatusForbidden, "Set up", "Open the setup link the server printed in its log when it started.")
		return
	}
	p.render(w, r, http.StatusOK, "setup", "", map[string]any{"Token": p.SetupToken})
}

func (p *Pages) setup(w http.ResponseWriter, r *http.Request) {
	if !p.Gate.CheckPublicForm(w, r) {
		return
	}
	open, err := p.setupOpen(r)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	token := r.PostFormValue("token")
	if !open || !equalSecret(token, p.SetupToken) {
		p.message(w, r, http.StatusForbidden, "Set up", "The setup link is not valid (anymore).")
		return
	}
	email, pw := strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("password")
	again := func(msg string) {
		p.render(w, r, http.StatusBadRequest, "setup", msg, map[string]any{"Token": token, "Email": email})
	}
	if !ValidEmail(email) {
		again("Give an e-mail address.")
		return
	}
	if pw != r.PostFormValue("password2") {
		again("The two passwords differ.")
		return
	}
	hash, err := auth.HashPassword(r.Context(), pw)
	if err != nil {
		again(err.Error())
		return
	}
	u, err := p.Store.CreateUser(r.Context(), email, hash, store.RoleOwner)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.SetupToken = ""
	p.Logger.Info("owner created in the browser", "email", u.Email)
	p.startSession(w, r, u, "/")
}

func (p *Pages) startSession(w http.ResponseWriter, r *http.Request, u store.User, to string) {
	secret, err := p.Logins.Start(r.Context(), u, p.Proxies.ClientAddr(r), r.UserAgent())
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.Logins.SetCookie(w, secret)
	back(w, r, to)
}

// linkHash reads the {token} of an invitation or reset link.
func linkHash(r *http.Request) []byte { return auth.HashSecret(r.PathValue("token")) }

func (p *Pages) invitePage(w http.ResponseWriter, r *http.Request) {
	l, err := p.Store.Link(r.Context(), store.LinkInvite, linkHash(r), time.Now())
	if errors.Is(err, store.ErrNotFound) {
		p.message(w, r, http.StatusNotFound, "Invitation", "This invitation is not valid: it was used, withdrawn or has expired.")
		return
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.render(w, r, http.StatusOK, "password", "", map[string]any{"Title": "Join Playhead", "Email": l.Email, "Role": l.Role})
}

func (p *Pages) acceptInvite(w http.ResponseWriter, r *http.Request) {
	if !p.Gate.CheckPublicForm(w, r) {
		return
	}
	hash, err := p.newPassword(r)
	if err != nil {
		p.render(w, r, http.StatusBadRequest, "password", err.Error(), map[string]any{"Title": "Join Playhead"})
		return
	}
	u, err := p.Store.AcceptInvitation(r.Context(), linkHash(r), hash, time.Now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		p.message(w, r, http.StatusNotFound, "Invitation", "This invitation is not valid: it was used, withdrawn or has expired.")
		return
	case errors.Is(err, store.ErrExists):
		p.message(w, r, http.StatusConflict, "Invitation", "A user with this e-mail address exists already. Sign in instead.")
		return
	case err != nil:
		p.fail(w, r, err)
		return
	}
	p.Logger.Info("invitation accepted", "email", u.Email, "role", u.Role)
	p.recordAs(r.Context(), u.Email, "user.invite.accept", 0, u.Email, "role "+string(u.Role))
	p.startSession(w, r, u, "/")
}

func (p *Pages) resetPage(w http.ResponseWriter, r *http.Request) {
	l, err := p.Store.Link(r.Context(), store.LinkReset, linkHash(r), time.Now())
	if errors.Is(err, store.ErrNotFound) {
		p.message(w, r, http.StatusNotFound, "Password reset", "This link is not valid: it was used or has expired.")
		return
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.render(w, r, http.StatusOK, "password", "", map[string]any{"Title": "Choose a new password", "Email": l.Email})
}

func (p *Pages) reset(w http.ResponseWriter, r *http.Request) {
	if !p.Gate.CheckPublicForm(w, r) {
		return
	}
	hash, err := p.newPassword(r)
	if err != nil {
		p.render(w, r, http.StatusBadRequest, "password", err.Error(), map[string]any{"Title": "Choose a new password"})
		return
	}
	u, err := p.Store.ResetPassword(r.Context(), linkHash(r), hash, time.Now())
	if errors.Is(err, store.ErrNotFound) {
		p.message(w, r, http.StatusNotFound, "Password reset", "This link is not valid: it was used or has expired.")
		return
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.Logger.Info("password reset", "email", u.Email)
	p.recordAs(r.Context(), u.Email, "password.reset", 0, u.Email, "")
	p.startSession(w, r, u, "/")
}

// newPassword reads a new password typed twice and hashes it.
func (p *Pages) newPassword(r *http.Request) (string, error) {
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("password2") {
		return "", errors.New("the two passwords differ")
	}
	return auth.HashPassword(r.Context(), pw)
}

func (p *Pages) account(w http.ResponseWriter, r *http.Request) {
	p.accountPage(w, r, http.StatusOK, "", "")
}

func (p *Pages) accountPage(w http.ResponseWriter, r *http.Request, status int, errMsg, done string) {
	me := auth.FromContext(r.Context())
	logins, err := p.Store.LoginSessions(r.Context(), me.User.ID)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	type login struct {
		store.LoginSession
		ID      string
		Current bool
	}
	var list []login
	for _, l := range logins {
		list = append(list, login{l, hex.EncodeToString(l.Hash), string(l.Hash) == string(me.Login.Hash)})
	}
	p.render(w, r, status, "account", errMsg, map[string]any{"Logins": list, "Done": done})
}

func (p *Pages) changePassword(w http.ResponseWriter, r *http.Request) {
	me := auth.FromContext(r.Context())
	ok, err := auth.VerifyPassword(r.Context(), me.User.Password, r.PostFormValue("current"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if !ok {
		p.accountPage(w, r, http.StatusBadRequest, "The current password is wrong.", "")
		return
	}
	hash, err := p.newPassword(r)
	if err != nil {
		p.accountPage(w, r, http.StatusBadRequest, err.Error(), "")
		return
	}
	// Changing the password signs out every browser; this one signs in
	// again at once.
	if err := p.Store.SetUserPassword(r.Context(), me.User.ID, hash); err != nil {
		p.fail(w, r, err)
		return
	}
	u := *me.User
	u.Password = hash
	p.record(r, "password.change", 0, u.Email, "")
	p.startSession(w, r, u, "/account")
}

func (p *Pages) revokeLogin(w http.ResponseWriter, r *http.Request) {
	me := auth.FromContext(r.Context())
	hash, err := hex.DecodeString(r.PostFormValue("id"))
	if err != nil {
		p.accountPage(w, r, http.StatusBadRequest, "No such login.", "")
		return
	}
	if err := p.Store.DeleteLoginSession(r.Context(), hash, me.User.ID); err != nil {
		p.fail(w, r, err)
		return
	}
	back(w, r, "/account")
}

// ValidEmail tells whether s looks like an e-mail address: Playhead sends
// no mail, so it is a name people recognise, checked loosely.
func ValidEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1 && len(s) <= 254 && !strings.ContainsAny(s, " \t\r\n<>\"")
}
