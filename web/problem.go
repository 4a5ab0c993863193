package web

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/undox/undox"
)

// statusOf maps each domain error code to its HTTP status, in one place.
var statusOf = map[string]int{
	undox.EINVALID:      http.StatusBadRequest,
	undox.EUNAUTHORIZED: http.StatusUnauthorized,
	undox.EFORBIDDEN:    http.StatusForbidden,
	undox.ENOTFOUND:     http.StatusNotFound,
	undox.ECONFLICT:     http.StatusConflict,
	undox.ETRANSITION:   http.StatusConflict,
	undox.ELEGALHOLD:    http.StatusConflict,
	undox.EERASED:       http.StatusGone,
	undox.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	undox.EUNSUPPORTED:  http.StatusUnsupportedMediaType,
	undox.EIDEMPOTENCY:  http.StatusUnprocessableEntity,
	undox.ERATELIMIT:    http.StatusTooManyRequests,
	undox.EUNAVAILABLE:  http.StatusServiceUnavailable,
	undox.EINTERNAL:     http.StatusInternalServerError,
}

// Problem is an RFC 9457 problem document with undox's stable code and
// per-field messages.
type Problem struct {
	Type   string            `json:"type"`
	Title  string            `json:"title"`
	Status int               `json:"status"`
	Detail string            `json:"detail,omitempty"`
	Code   string            `json:"code"`
	Errors map[string]string `json:"errors,omitempty"`
}

// ProblemType is the type URI of a code.
func ProblemType(code string) string { return "urn:undox:problem:" + code }

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := undox.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status == http.StatusInternalServerError {
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.Pattern, "err", err)
	} else {
		s.log.DebugContext(r.Context(), "request refused", "code", code, "err", err)
	}
	p := Problem{Type: ProblemType(code), Title: http.StatusText(status), Status: status,
		Detail: undox.ErrorMessage(err), Code: code, Errors: undox.ErrorFields(err)}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	if err := enc.Encode(v); err != nil {
		slog.Default().Warn("writing a response failed", "err", err)
	}
}
