package dns

import (
	"errors"
	"strings"
)

// Codes of an *Error.
const (
	CodeNXDomain = "nxdomain" // the name does not exist (NXDOMAIN)
	CodeServFail = "servfail" // every server answered SERVFAIL
	CodeRefused  = "refused"  // the servers refused the query
	CodeTimeout  = "timeout"  // no server answered in time
	CodeNetwork  = "network"  // a server could not be reached
	CodeCanceled = "canceled" // the caller's context was cancelled
	CodeNoData   = "nodata"   // the name exists but has no records of the type asked for (LookupNetIP, NS)
	CodeBadChain = "badchain" // a CNAME loop, or a chain longer than Config.MaxCNAMEs
	CodeBadQuery = "badquery" // not a domain name, or an unknown network
)

// Error is a failed lookup. Code tells the kind of failure; errors.Is matches
// an Error against the Err… values by code.
type Error struct {
	Code   string `json:"code"`
	Name   string `json:"name"`             // the name that failed (for a chain, the name where it failed)
	Type   string `json:"type,omitempty"`   // the query type, "A", "MX", …
	Server string `json:"server,omitempty"` // the server that gave the failure, where one did
	Detail string `json:"detail,omitempty"` // more about it, e.g. the network error
	Err    error  `json:"-"`                // the underlying error, if any
}

// Errors to compare with errors.Is.
var (
	ErrNXDomain = &Error{Code: CodeNXDomain}
	ErrServFail = &Error{Code: CodeServFail}
	ErrTimeout  = &Error{Code: CodeTimeout}
	ErrNoData   = &Error{Code: CodeNoData}
)

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("dns: ")
	if e.Type != "" {
		b.WriteString(e.Type + " ")
	}
	b.WriteString(e.Name)
	if e.Server != "" {
		b.WriteString(" at " + e.Server)
	}
	b.WriteString(": " + e.Code)
	if e.Detail != "" {
		b.WriteString(" (" + e.Detail + ")")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same code and no name (one
// of the Err… values).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Name == "" && t.Code == e.Code
}

// Timeout reports whether the lookup timed out (as net.Error does).
func (e *Error) Timeout() bool { return e.Code == CodeTimeout }

// Temporary reports whether asking again later may succeed.
func (e *Error) Temporary() bool {
	switch e.Code {
	case CodeServFail, CodeTimeout, CodeNetwork, CodeRefused:
		return true
	}
	return false
}

// Code returns the code of err if it is or wraps an *Error, else "".
func Code(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return ""
}
