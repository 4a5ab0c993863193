package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/undox/undox"
	"github.com/undox/undox/web"
)

// TestHostileInputIsRefused: input that the database could not store, or
// that would make a query expensive, is a clear 4xx, never a 500.
func TestHostileInputIsRefused(t *testing.T) {
	e := newEnv(t, func(c *web.Config) { c.MaxImportBytes = 200 })
	supervisor := e.token(t, "sup", undox.RoleSupervisor)
	admin := e.token(t, "adm", undox.RoleAdmin)
	var rcpt struct{ Case string }
	e.api.do(t, "POST", "/api/v1/reports", map[string]any{"urls": []string{"https://paste.example/edge"}}).ok(t, 201, &rcpt)

	for _, ref := range []string{"UDX%FF-AAAA-AAAA-AAAA", "UDX-AAAA-AAAA-AAA%00", "nonsense"} {
		e.api.do(t, "GET", "/api/v1/cases/"+ref, nil, bearer(supervisor), nonconforming()).problem(t, 404, undox.ENOTFOUND)
	}
	p := e.api.do(t, "GET", "/api/v1/cases?q="+strings.Repeat("a", 5000), nil, bearer(supervisor), nonconforming()).problem(t, 400, undox.EINVALID)
	assert.Contains(t, p.Errors, "q")
	p = e.api.do(t, "GET", "/api/v1/cases?q=a%00b", nil, bearer(supervisor)).problem(t, 400, undox.EINVALID)
	assert.Contains(t, p.Errors, "q")
	p = e.api.do(t, "PUT", fmt.Sprintf("/api/v1/cases/%s/hold", rcpt.Case), map[string]any{"reason": "police\u0000report"},
		bearer(supervisor)).problem(t, 400, undox.EINVALID)
	assert.Contains(t, p.Errors, "reason")
	p = e.api.do(t, "POST", "/api/v1/reports", raw{"application/json", []byte(`["https://paste.example/x"]`)}, nonconforming()).problem(t, 400, undox.EINVALID)
	assert.Equal(t, map[string]string{"body": "the body must be a JSON object"}, p.Errors)

	// An import whose first row is already past the limit is refused whole.
	big := "url,description\nhttps://paste.example/big," + strings.Repeat("x", 400) + "\n"
	e.api.do(t, "POST", "/api/v1/imports", raw{"text/csv", []byte(big)}, bearer(admin)).problem(t, 413, undox.ETOOLARGE)
}
