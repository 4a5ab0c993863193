package web

import (
	_ "embed"
	"net/http"
)

// openapiJSON is the OpenAPI 3 description of /api/v1; a test keeps it
// true to the routes and to what the handlers answer.
//
//go:embed openapi.json
var openapiJSON []byte

// OpenAPI returns the OpenAPI document.
func OpenAPI() []byte { return openapiJSON }

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openapiJSON)
}
