package commons

import (
	"errors"
	"fmt"
	"strings"
)

// Application error codes. They are independent of transport: web/ maps them
// to HTTP statuses from one table, the CLI to one-line messages.
const (
	ECONFLICT     = "conflict"          // a unique key is taken
	EFORBIDDEN    = "forbidden"         // authenticated, but not allowed
	EGONE         = "gone"              // existed, was deleted
	EINTERNAL     = "internal"          // a bug or an outage; details only in the log
	EINVALID      = "invalid"           // the input breaks a rule; see Error.Fields
	EMISDIRECTED  = "misdirected"       // a request meant for another server (its Host is not ours)
	ENOTFOUND     = "not_found"         // no such thing
	EPRECONDITION = "precondition"      // If-Match or version check failed
	ETOOLARGE     = "too_large"         // a body or file over its limit
	EUNAUTHORIZED = "unauthorized"      // no or bad credentials
	EUNSUPPORTED  = "unsupported_media" // a content type we do not read
)

// Error is an application error with a code, a human message and, for
// EINVALID, one entry per offending field.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
}

// FieldError names one invalid field by its path (e.g. "licences[1].expression")
// and says what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e FieldError) String() string { return e.Field + ": " + e.Message }

// Error implements the error interface. For validation errors it lists every
// field problem, so a CLI can print it as is.
func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.String()
	}
	if e.Message == "" {
		return strings.Join(parts, "; ")
	}
	return e.Message + ": " + strings.Join(parts, "; ")
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, and a
// generic message for any other error, so internals never reach a user.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Error()
	}
	return "Internal error."
}

// ErrorFields returns the field problems of an EINVALID error, if any.
func ErrorFields(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// problems collects field errors during validation.
type problems []FieldError

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (p problems) err(what string) error {
	if len(p) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: what, Fields: p}
}
