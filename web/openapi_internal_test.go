package web

import (
	"net/http"
	"sort"
	"strconv"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOpenAPIProblemCodes checks the document's error codes against the one
// place that maps each code to its HTTP status.
func TestOpenAPIProblemCodes(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(OpenAPI())
	require.NoError(t, err)
	require.NoError(t, doc.Validate(loader.Context))

	var codes []string
	for c := range statusOf {
		codes = append(codes, c)
	}
	codes = append(codes, "method_not_allowed") // the mux's 405, answered as a problem
	assert.ElementsMatch(t, codes, enumStrings(doc.Components.Schemas["Problem"].Value.Properties["code"].Value),
		"Problem.code lists every code")

	// Each problem response of components.responses narrows status and
	// code: the codes it lists are exactly those statusOf maps to it.
	byStatus := map[int][]string{}
	for c, st := range statusOf {
		byStatus[st] = append(byStatus[st], c)
	}
	seen := map[int]bool{}
	for name, r := range doc.Components.Responses {
		mt := r.Value.Content.Get("application/problem+json")
		require.NotNil(t, mt, "components.responses.%s is not a problem", name)
		all := mt.Schema.Value.AllOf
		require.Len(t, all, 2, "components.responses.%s: allOf [Problem, narrowing]", name)
		assert.Equal(t, "#/components/schemas/Problem", all[0].Ref, name)
		narrow := all[1].Value.Properties
		st := enumStrings(narrow["status"].Value)
		require.Len(t, st, 1, name)
		status, err := strconv.Atoi(st[0])
		require.NoError(t, err)
		seen[status] = true
		assert.ElementsMatch(t, byStatus[status], enumStrings(narrow["code"].Value), "components.responses.%s codes", name)
		assert.Equal(t, []string{http.StatusText(status)}, enumStrings(narrow["title"].Value), name)
	}
	for st := range byStatus {
		assert.True(t, seen[st], "no problem response in components.responses for status %d", st)
	}

	// Every problem a route answers with refers to the component of its
	// status, so that the codes above hold for it.
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for code, r := range op.Responses.Map() {
				if r.Value.Content.Get("application/problem+json") == nil || r.Ref == "" {
					continue
				}
				st, _ := strconv.Atoi(code)
				comp := doc.Components.Responses[r.Ref[len("#/components/responses/"):]]
				require.NotNil(t, comp, "%s %s %s", method, path, code)
				narrow := comp.Value.Content.Get("application/problem+json").Schema.Value.AllOf[1].Value.Properties
				assert.Equal(t, []string{code}, enumStrings(narrow["status"].Value), "%s %s answers %d with %s", method, path, st, r.Ref)
			}
		}
	}
}

func enumStrings(s *openapi3.Schema) []string {
	var out []string
	for _, v := range s.Enum {
		switch v := v.(type) {
		case float64:
			out = append(out, strconv.Itoa(int(v)))
		default:
			out = append(out, v.(string))
		}
	}
	sort.Strings(out)
	return out
}
