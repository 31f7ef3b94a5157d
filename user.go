package commons

import "time"

// Roles a user can hold. Editors curate records; admins also run the
// instance (peers, blocks, users, tokens).
const (
	RoleAdmin  = "admin"
	RoleEditor = "editor"
)

// Roles lists every role.
var Roles = []string{RoleAdmin, RoleEditor}

// User is someone who may change the directory.
type User struct {
	ID      int64     `json:"id"`
	Name    string    `json:"name"`
	Role    string    `json:"role"`
	Created time.Time `json:"created"`
}

// CanEdit reports whether u may create, change and delete local records.
func (u *User) CanEdit() bool { return u != nil && (u.Role == RoleEditor || u.Role == RoleAdmin) }

// IsAdmin reports whether u may operate the instance.
func (u *User) IsAdmin() bool { return u != nil && u.Role == RoleAdmin }

// ValidUserName reports whether s can be a user name: 1 to 64 of a-z, 0-9,
// '.', '_' and '-', starting with a letter or digit.
func ValidUserName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '.' || c == '_' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

// Token describes an API token without its secret, which only its
// creator ever saw: who owns it, what it is for, when it was made and last
// used.
type Token struct {
	ID       int64     `json:"id"`
	User     string    `json:"user"`
	Label    string    `json:"label"`
	Created  time.Time `json:"created"`
	LastUsed time.Time `json:"last_used,omitzero"` // zero when never used
}

// Follower is a fediverse account that follows one of the instance's
// actors.
type Follower struct {
	Actor string    `json:"actor"` // the follower's actor IRI
	Since time.Time `json:"since"`
}
