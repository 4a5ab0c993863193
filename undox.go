// Package undox holds the domain of the undox platform: cases reported by
// victims, the items (URLs) they report, categories with their legal basis,
// the lifecycles of cases and items, and the contracts that the adapters in
// the sub-packages implement. It imports no SQL, HTTP or job library.
//
// The pipeline a report follows is told by the folders: intake (reports and
// bulk imports), then capture, trace, personal data, notices, the takedown
// procedure, monitoring and reporting as later issues add them.
package undox

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Error codes. Each is stable: API clients and scripts rely on them, and the
// HTTP layer maps each to a status once.
const (
	ECONFLICT     = "conflict"               // the object exists or changed meanwhile
	EINTERNAL     = "internal"               // a fault of undox itself
	EINVALID      = "invalid"                // the input is wrong; Fields says where
	ENOTFOUND     = "not_found"              // no such object (or not visible to the caller)
	EFORBIDDEN    = "forbidden"              // the caller's role may not do this
	EUNAUTHORIZED = "unauthorized"           // no or a bad credential
	ETRANSITION   = "invalid_transition"     // the lifecycle does not allow this step
	ELEGALHOLD    = "legal_hold"             // the case is held and cannot be erased
	EIDEMPOTENCY  = "idempotency_key_reused" // same key, other request
	ERATELIMIT    = "rate_limited"
	ETOOLARGE     = "too_large"
	EUNSUPPORTED  = "unsupported_media_type"
	EERASED       = "erased"      // the case's personal data no longer exists
	EUNAVAILABLE  = "unavailable" // a dependency is down
)

// Error is a domain error with a stable code, a message fit for the caller,
// and optional messages per input field.
type Error struct {
	Code    string
	Message string
	Fields  map[string]string
}

func (e *Error) Error() string {
	if len(e.Fields) > 0 {
		return fmt.Sprintf("undox: %s: %s %v", e.Code, e.Message, e.Fields)
	}
	return fmt.Sprintf("undox: %s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error naming the field at fault.
func Invalid(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Code: EINVALID, Message: msg, Fields: map[string]string{field: msg}}
}

// ErrorCode returns the code of err, EINTERNAL for errors that carry none.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-facing message of err; internal errors get
// a generic message so that no detail of undox leaks out.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorFields returns the per-field messages of err, if any.
func ErrorFields(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// CheckText checks free text that people type (reasons, references,
// search terms): valid UTF-8, no control characters but line breaks and
// tabs, at most max characters. It returns the text trimmed.
func CheckText(field, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", Invalid(field, "%s is not valid UTF-8 text", field)
	}
	n := 0
	for _, r := range s {
		n++
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return "", Invalid(field, "%s contains control characters", field)
		}
	}
	if n > max {
		return "", Invalid(field, "%s is longer than %d characters", field, max)
	}
	return s, nil
}

var refPattern = regexp.MustCompile(`^UDX(-[0-9A-HJKMNP-TV-Z]{4}){3}$`)

// CheckRef checks the form of a case reference; a malformed one names no
// case.
func CheckRef(ref string) error {
	if !refPattern.MatchString(ref) {
		return Errorf(ENOTFOUND, "case not found")
	}
	return nil
}
