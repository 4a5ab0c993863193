package rdap

import (
	"errors"
	"fmt"
	"time"
)

// Code classifies a lookup failure so that callers can decide what to do next
// (fall back to WHOIS, retry later, give up).
type Code string

const (
	// CodeNotFound: the server answered 404 (or an RDAP error with
	// errorCode 404): it has no object for the query.
	CodeNotFound Code = "not_found"
	// CodeRateLimited: the server answered 429 and retries did not help, or
	// it asked to wait longer than Config.MaxRetryWait.
	CodeRateLimited Code = "rate_limited"
	// CodeTimeout: no complete answer within Config.Timeout (or the caller's
	// context deadline).
	CodeTimeout Code = "timeout"
	// CodeBadResponse: an answer that is not a usable RDAP document: not
	// JSON, too large, the wrong object class, an unexpected HTTP status
	// (400, 403, 501 …), or too many redirects.
	CodeBadResponse Code = "bad_response"
	// CodeNoServer: the bootstrap registry (and the overrides) have no RDAP
	// server for the query, e.g. ccTLDs such as .de, .eu, .ch, .io, .ru.
	// The caller should fall back to WHOIS.
	CodeNoServer Code = "no_server"
	// CodeUnavailable: the server kept answering 5xx, or could not be
	// connected to.
	CodeUnavailable Code = "unavailable"
	// CodeCanceled: the caller's context was canceled.
	CodeCanceled Code = "canceled"
)

// Error is the error type returned by the Client. Use errors.As to get it, or
// CodeOf for just the code. errors.Is(err, &Error{Code: CodeNotFound}) matches
// on the code alone.
type Error struct {
	Code Code
	// Query is what was looked up (an address, "AS13335", a domain name).
	Query string
	// URL is the last URL requested, if any.
	URL string
	// Status is the last HTTP status received (0 if none).
	Status int
	// RetryAfter is the wait the server asked for on a 429 (0 if none).
	RetryAfter time.Duration
	// Detail is the RDAP error title/description or another explanation.
	Detail string
	// Raw is the body of the error answer when it was JSON.
	Raw []byte
	// Err is the underlying error, if any.
	Err error
}

func (e *Error) Error() string {
	msg := "rdap: " + string(e.Code)
	if e.Query != "" {
		msg += " for " + e.Query
	}
	if e.URL != "" {
		msg += " (" + e.URL + ")"
	}
	if e.Status != 0 {
		msg += fmt.Sprintf(": HTTP %d", e.Status)
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same Code (other fields of
// target are ignored).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// CodeOf returns the Code of err if it is (or wraps) an *Error, else "".
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
