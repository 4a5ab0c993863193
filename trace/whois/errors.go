package whois

import (
	"errors"
	"fmt"
)

// Code is the stable, machine-readable reason a lookup failed. The values are
// part of undox's interface, so they never change meaning.
type Code string

// The error codes.
const (
	// NotFound: the registry says the domain is not registered.
	NotFound Code = "not_found"
	// Throttled: the server refused the query because of its rate limit; try
	// again later (the Record is returned too, with Throttled set).
	Throttled Code = "throttled"
	// Refused: the server does not answer this client at all (for example
	// SWITCH's "Requests of this client are not permitted").
	Refused Code = "refused"
	// Timeout: connecting or reading ran out of time.
	Timeout Code = "timeout"
	// BadResponse: the answer was empty or carried no registration data.
	BadResponse Code = "bad_response"
	// ConnectionFailed: the server could not be resolved or reached, or the
	// connection broke.
	ConnectionFailed Code = "connection_failed"
	// BlockedAddress: the server's address is one undox does not connect to
	// (the default dialer refuses loopback, private and other special ranges).
	BlockedAddress Code = "blocked_address"
	// NoServer: no WHOIS server is known for the TLD (IANA named none).
	NoServer Code = "no_server"
	// BadDomain: the name given is not a domain name.
	BadDomain Code = "bad_domain"
	// Canceled: the caller's context was canceled.
	Canceled Code = "canceled"
)

// Error is the error of a failed lookup. Use errors.As to get it, or CodeOf.
type Error struct {
	Code    Code   // stable reason
	Message string // what happened, for a person
	Server  string // host:port of the WHOIS server concerned, if any
	Err     error  // the underlying error, if any
}

func (e *Error) Error() string {
	if e.Server != "" {
		return fmt.Sprintf("whois: %s: %s (%s)", e.Code, e.Message, e.Server)
	}
	return fmt.Sprintf("whois: %s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// CodeOf returns the code of err if it is (or wraps) an *Error, and "" otherwise.
func CodeOf(err error) Code {
	var we *Error
	if errors.As(err, &we) {
		return we.Code
	}
	return ""
}

func newError(code Code, server string, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Server: server, Err: err}
}
