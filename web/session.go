package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/commons-directory/commons"
)

// Sessions and lockout. A browser session is a random secret in an
// HttpOnly cookie; the store keeps only its hash. Failed logins lock the
// name out after loginUserLimit tries and the client address after
// loginAddrLimit, within loginWindow, for loginLock.
const (
	sessionTTL     = 12 * time.Hour
	loginUserLimit = 5
	loginAddrLimit = 20
	loginWindow    = 15 * time.Minute
	loginLock      = 15 * time.Minute
)

// cookieName prefixes a cookie name with __Host- on https, which binds it
// to this host, path / and Secure.
func (s *server) cookieName(name string) string {
	if s.https {
		return "__Host-" + name
	}
	return name
}

// setCookie sets a host-wide, HttpOnly, SameSite=Lax cookie; maxAge < 0
// deletes it, 0 makes it last the browser session.
func (s *server) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(name), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.https, SameSite: http.SameSiteLaxMode})
}

type ctxKey int

const userKey ctxKey = 1

// sessionUser returns the user signed in with r's session cookie, or nil.
func (s *server) sessionUser(r *http.Request) *commons.User {
	if u, ok := r.Context().Value(userKey).(*commons.User); ok {
		return u
	}
	c, err := r.Cookie(s.cookieName("session"))
	if err != nil || c.Value == "" {
		return nil
	}
	u, err := s.dir.SessionUser(r.Context(), c.Value)
	if err != nil {
		return nil
	}
	return u
}

// CSRF tokens. Every form carries a token that only this site can put in
// a page for this browser: an HMAC keyed by a secret of the browser's that
// is in an HttpOnly cookie, which another site can neither read nor (with
// the __Host- prefix on https) set. Signed in, the secret is the session's;
// signed out (the login form), it is the pre-session "csrf" cookie, set by
// the first page with a form and replaced at each sign-in. A token is thus
// bound to the session: one taken from another browser or another session
// is refused, and so is a cookie and field made up to match.
const (
	csrfSecretMin = 32 // characters: randomToken makes 43
	csrfTokenLen  = 43 // base64url of an HMAC-SHA256
)

// csrfSecret returns the secret r's tokens are bound to, or "".
func (s *server) csrfSecret(r *http.Request) string {
	for _, name := range []string{"session", "csrf"} {
		if c, err := r.Cookie(s.cookieName(name)); err == nil && len(c.Value) >= csrfSecretMin {
			return name + ":" + c.Value
		}
	}
	return ""
}

// csrfFor is the token of a secret.
func csrfFor(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("commonsd form token v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrfToken returns the token for r's forms, setting a pre-session cookie
// when r has neither session nor one.
func (s *server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if sentinel, ok := cacheSentinel(r); ok {
		return sentinel // a page made for the cache: each visitor's token replaces it (pagecache.go)
	}
	if secret := s.csrfSecret(r); secret != "" {
		return csrfFor(secret)
	}
	tok := randomToken()
	s.setCookie(w, "csrf", tok, 0)
	r.AddCookie(&http.Cookie{Name: s.cookieName("csrf"), Value: tok}) // later calls see it
	return csrfFor("csrf:" + tok)
}

func randomToken() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// checkForm parses a posted form and checks that it comes from this site:
// the browser's own marks (Sec-Fetch-Site, Origin), and the token bound to
// its session. It also draws from the client's write bucket.
func (s *server) checkForm(w http.ResponseWriter, r *http.Request) error {
	if err := s.allowWrite(w, r); err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
	if err := r.ParseForm(); err != nil {
		return commons.Errorf(commons.EINVALID, "The form could not be read: %v", err)
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" && s.base != "" && o != s.base {
		return commons.Errorf(commons.EFORBIDDEN, "This form was sent from another site (%s).", o)
	}
	if err := s.crossOrigin.Check(r); err != nil {
		return commons.Errorf(commons.EFORBIDDEN, "This form was sent from another site.")
	}
	secret, sent := s.csrfSecret(r), r.PostForm.Get("csrf")
	if secret == "" || len(sent) != csrfTokenLen || !hmac.Equal([]byte(sent), []byte(csrfFor(secret))) {
		return commons.Errorf(commons.EFORBIDDEN, "The form has expired or was not sent from this site. Go back, reload the page and try again.")
	}
	return nil
}

// userPage guards a page for a signed-in user allowed by may; without a
// session it sends the browser to the login page and back.
func (s *server) userPage(may func(*commons.User) bool, h userHandler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		u := s.sessionUser(r)
		if u == nil {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return nil
		}
		if !may(u) {
			return commons.Errorf(commons.EFORBIDDEN, "User %s (%s) may not do this.", u.Name, u.Role)
		}
		r = r.WithContext(context.WithValue(r.Context(), userKey, u))
		if r.Method == http.MethodPost {
			if err := s.checkForm(w, r); err != nil {
				return err
			}
		}
		return h(w, r, u)
	}
}

// editorPage and adminPage guard editors' and operators' pages.
func (s *server) editorPage(h userHandler) handler { return s.userPage((*commons.User).CanEdit, h) }
func (s *server) adminPage(h userHandler) handler  { return s.userPage((*commons.User).IsAdmin, h) }

// loginView is the login form.
type loginView struct {
	Name, Next, Error string
}

// handleLoginForm shows the login form.
func (s *server) handleLoginForm(w http.ResponseWriter, r *http.Request) error {
	d := s.newPage(w, r, "")
	d.Title = d.T("login.title")
	d.Body = loginView{Next: safeNext(r.URL.Query().Get("next"))}
	return s.render(w, r, http.StatusOK, "login", d)
}

// handleLogin checks a name and password, with lockout, and opens a
// session.
func (s *server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	name := strings.TrimSpace(r.PostForm.Get("name"))
	v := loginView{Name: name, Next: safeNext(r.PostForm.Get("next"))}
	d := s.newPage(w, r, "")
	d.Title = d.T("login.title")
	d.Body = &v
	userKey, addrKey := "user:"+name, "addr:"+s.clientIP(r)
	until, err := s.dir.LoginLockedUntil(ctx, userKey, addrKey)
	if err != nil {
		return err
	}
	if !until.IsZero() {
		v.Error = d.Tf("login.locked", until.Format("15:04 MST"))
		return s.render(w, r, http.StatusTooManyRequests, "login", d)
	}
	u, err := s.dir.Authenticate(ctx, name, r.PostForm.Get("password"))
	if commons.ErrorCode(err) == commons.EUNAUTHORIZED {
		if _, err := s.dir.NoteLoginFailure(ctx, userKey, loginUserLimit, loginWindow, loginLock); err != nil {
			return err
		}
		if _, err := s.dir.NoteLoginFailure(ctx, addrKey, loginAddrLimit, loginWindow, loginLock); err != nil {
			return err
		}
		v.Error = d.T("login.bad")
		return s.render(w, r, http.StatusUnauthorized, "login", d)
	} else if err != nil {
		return err
	}
	if err := s.dir.ClearLoginFailures(ctx, userKey); err != nil {
		return err
	}
	secret, err := s.dir.CreateSession(ctx, u.ID, sessionTTL)
	if err != nil {
		return err
	}
	s.setCookie(w, "session", secret, int(sessionTTL/time.Second))
	s.setCookie(w, "csrf", randomToken(), 0) // a fresh token for the new session
	next := v.Next
	if next == "" {
		next = "/?done=loggedin"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// safeNext keeps a redirect target only if a browser would read it as a
// path on this site; anything else gives "" (the home page). A browser
// drops tabs and newlines anywhere in a URL and leading control
// characters and spaces, reads a backslash as a slash, and takes "//" or
// "/\\" for another host: so "/\t/evil.example" or "/\\evil.example" lead
// elsewhere. Such characters are refused outright, also percent-encoded
// (a server or proxy on the way may decode them), as is any target with a
// scheme, a host or a path starting with "//".
func safeNext(next string) string {
	if len(next) > 2048 || !strings.HasPrefix(next, "/") || unsafeInPath(next) {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Opaque != "" || u.Host != "" || u.User != nil ||
		!strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") || unsafeInPath(u.Path) {
		return ""
	}
	// u.Path is decoded once; decoded twice it must still be a path here.
	if dec, err := url.PathUnescape(u.Path); err != nil || strings.HasPrefix(dec, "//") || unsafeInPath(dec) {
		return ""
	}
	return u.String()
}

// unsafeInPath reports whether s holds a character a browser would drop
// or read as a slash: controls (tab, newline…), DEL, a backslash.
func unsafeInPath(s string) bool {
	return strings.ContainsFunc(s, func(c rune) bool { return c < 0x20 || c == 0x7f || c == '\\' })
}

// handleLogout ends this session.
func (s *server) handleLogout(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkForm(w, r); err != nil {
		return err
	}
	if c, err := r.Cookie(s.cookieName("session")); err == nil {
		if err := s.dir.DeleteSession(r.Context(), c.Value); err != nil {
			return err
		}
	}
	s.setCookie(w, "session", "", -1)
	http.Redirect(w, r, "/?done=loggedout", http.StatusSeeOther)
	return nil
}

// handleLogoutEverywhere ends every session of the user.
func (s *server) handleLogoutEverywhere(w http.ResponseWriter, r *http.Request, u *commons.User) error {
	if _, err := s.dir.DeleteUserSessions(r.Context(), u.ID); err != nil {
		return err
	}
	s.setCookie(w, "session", "", -1)
	http.Redirect(w, r, "/?done=everywhere", http.StatusSeeOther)
	return nil
}

// accountView is the signed-in user's page.
type accountView struct {
	Errors map[string]string
}

// handleAccount shows the user's account: password change, log out
// everywhere.
func (s *server) handleAccount(w http.ResponseWriter, r *http.Request, u *commons.User) error {
	d := s.newPage(w, r, "")
	d.Title = d.T("account.title")
	v := accountView{Errors: map[string]string{}}
	d.Body = &v
	status := http.StatusOK
	if r.Method == http.MethodPost {
		if _, err := s.dir.Authenticate(r.Context(), u.Name, r.PostForm.Get("current")); err != nil {
			v.Errors["current"] = d.T("account.badcurrent")
			status = http.StatusUnprocessableEntity
		} else if err := s.dir.SetPassword(r.Context(), u.Name, r.PostForm.Get("password")); err != nil {
			if commons.ErrorCode(err) != commons.EINVALID {
				return err
			}
			v.Errors["password"] = commons.ErrorMessage(err)
			for _, f := range commons.ErrorFields(err) {
				v.Errors["password"] = f.Message
			}
			status = http.StatusUnprocessableEntity
		} else {
			http.Redirect(w, r, "/account?done=password", http.StatusSeeOther)
			return nil
		}
	}
	return s.render(w, r, status, "account", d)
}
