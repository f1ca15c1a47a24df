// Package communique holds the types shared by every part of the service:
// the application error that carries a code from storage to the HTTP edge.
package communique

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// Error codes: a small set, mapped to HTTP statuses in exactly one place
// (HTTPStatus).
const (
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	ECONFLICT     = "conflict"
	EFORBIDDEN    = "forbidden"
	EUNAUTHORIZED = "unauthorized"
	EINTERNAL     = "internal"
	// EUNAVAILABLE: a server the service relies on (the SMTP relay)
	// refused or failed the request; the message says which and why.
	EUNAVAILABLE = "unavailable"
	// EBUSY: the service runs as many of these requests as it allows at
	// once; the client should try again later.
	EBUSY = "busy"
)

// Error is an error a user can act on: its Message and Details are safe to
// show; anything else stays in the log.
type Error struct {
	Code    string
	Message string
	// Details lists individual problems, each naming the field, row or line.
	Details []string
}

func (e *Error) Error() string {
	if len(e.Details) == 0 {
		return e.Message
	}
	return fmt.Sprintf("%s: %s", e.Message, joinDetails(e.Details))
}

func joinDetails(d []string) string {
	const max = 5
	s := ""
	for i, x := range d {
		if i == max {
			s += fmt.Sprintf("; and %d more", len(d)-max)
			break
		}
		if i > 0 {
			s += "; "
		}
		s += x
	}
	return s
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error with details, or nil when there are none.
func Invalid(message string, details []string) error {
	if len(details) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: message, Details: details}
}

// ErrorCode returns the code of err's *Error, EINTERNAL for any other error
// and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the user-facing message of err.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Message
	default:
		return "internal error"
	}
}

// ErrorDetails returns the details of err's *Error, if any.
func ErrorDetails(err error) []string {
	var e *Error
	if errors.As(err, &e) {
		return e.Details
	}
	return nil
}

// Actor is who acts, as the audit log records it: a name ("user:EMAIL",
// "token:NAME", "bootstrap", "cli:USER", "scheduler") and the client
// address the request came from, if any.
type Actor struct {
	Name   string
	Client string
}

type actorKey struct{}

// WithActor returns a context that carries the actor of a request, so
// that the audit log can record where a change came from without every
// layer passing it along.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor a context carries, if any.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// HTTPStatus maps an error code to the HTTP status that answers it: the
// one place that does, for the API and the pages alike.
func HTTPStatus(code string) int {
	switch code {
	case EINVALID:
		return http.StatusUnprocessableEntity
	case ENOTFOUND:
		return http.StatusNotFound
	case ECONFLICT:
		return http.StatusConflict
	case EFORBIDDEN:
		return http.StatusForbidden
	case EUNAUTHORIZED:
		return http.StatusUnauthorized
	case EUNAVAILABLE:
		return http.StatusBadGateway
	case EBUSY:
		return http.StatusTooManyRequests
	default:
		return http.StatusInternalServerError
	}
}
