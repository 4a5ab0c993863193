package fetch

import (
	"errors"
	"fmt"
)

// Code is the stable, machine-readable reason a fetch failed. The values are
// part of undox's interface (the CLI's JSON, the error kept on an item), so they
// never change meaning.
type Code string

// The error codes.
const (
	// BlockedAddress: the address (or port) is one undox does not connect to.
	BlockedAddress Code = "blocked_address"
	// DNSFailure: the name did not resolve.
	DNSFailure Code = "dns_failure"
	// Timeout: the fetch ran out of time (total, time to first byte, or dial).
	Timeout Code = "timeout"
	// TooSlow: the body arrived slower than the configured minimum rate.
	TooSlow Code = "too_slow"
	// TooLarge: the body, its decompressed form or the headers passed a limit.
	TooLarge Code = "too_large"
	// TooManyRedirects: more redirects than allowed, or a redirect loop.
	TooManyRedirects Code = "too_many_redirects"
	// ConnectionFailed: connecting failed, or the connection broke.
	ConnectionFailed Code = "connection_failed"
	// TLSFailure: no TLS session could be set up (an invalid certificate is
	// not a failure; it is recorded in the result).
	TLSFailure Code = "tls_failure"
	// BadResponse: the server's answer was not valid HTTP or could not be decoded.
	BadResponse Code = "bad_response"
	// BadURL: the URL (or proxy URL) cannot be fetched at all.
	BadURL Code = "bad_url"
	// Canceled: the caller's context was canceled.
	Canceled Code = "canceled"
)

// Error is the error of a failed fetch. Use errors.As to get it, or CodeOf.
type Error struct {
	Code    Code   // stable reason
	Message string // what happened, for a person
	URL     string // the URL being fetched when it failed (a redirect target, perhaps)
	Err     error  // the underlying error, if any
}

func (e *Error) Error() string {
	if e.URL != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.URL)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// CodeOf returns the code of err if it is (or wraps) an *Error, and "" otherwise.
func CodeOf(err error) Code {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Code
	}
	return ""
}

func newError(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}
