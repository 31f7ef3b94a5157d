package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/commons-directory/commons"
)

// userHandler is a handler that acts for an authenticated user.
type userHandler func(w http.ResponseWriter, r *http.Request, u *commons.User) error

// editor guards a write endpoint: it draws from the client's rate-limit
// bucket, then requires a bearer token of a user who may edit records.
func (s *server) editor(h userHandler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := s.allowWrite(w, r); err != nil {
			return err
		}
		u, err := s.authenticate(r.Context(), r)
		if err != nil {
			return err
		}
		if !u.CanEdit() {
			return commons.Errorf(commons.EFORBIDDEN, "User %s (%s) may not change records; an editor or admin may.", u.Name, u.Role)
		}
		return h(w, r, u)
	}
}

// authenticate returns the user whose token the Authorization header
// carries. The token never reaches a log or an error message.
func (s *server) authenticate(ctx context.Context, r *http.Request) (*commons.User, error) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return nil, commons.Errorf(commons.EUNAUTHORIZED, "This request needs an Authorization: Bearer <token> header.")
	}
	scheme, token, ok := strings.Cut(auth, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return nil, commons.Errorf(commons.EUNAUTHORIZED, "The Authorization header must use the Bearer scheme.")
	}
	u, err := s.dir.UserByToken(ctx, token)
	if err != nil {
		if commons.ErrorCode(err) == commons.EUNAUTHORIZED {
			return nil, commons.Errorf(commons.EUNAUTHORIZED, "The bearer token is unknown or revoked.")
		}
		return nil, err
	}
	return u, nil
}
