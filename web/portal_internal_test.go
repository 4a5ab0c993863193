package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// verbs are the fmt verbs of a text, in order.
var verbs = regexp.MustCompile(`%[-+# 0]*[0-9]*[a-zA-Z%]`)

// TestMessagesHaveDutchAndEnglish fails when a UI string lacks its Dutch or
// English text, when the two take different arguments, or when a page or
// the code uses a key that the catalog does not have.
func TestMessagesHaveDutchAndEnglish(t *testing.T) {
	require.NotEmpty(t, messages)
	for k, v := range messages {
		require.NotEmpty(t, strings.TrimSpace(v[0]), "%s has no Dutch text", k)
		require.NotEmpty(t, strings.TrimSpace(v[1]), "%s has no English text", k)
		require.Equal(t, verbs.FindAllString(v[0], -1), verbs.FindAllString(v[1], -1), "%s: the Dutch and English texts take other arguments", k)
	}
	for _, c := range reportCategories {
		require.NotEmpty(t, c.Name[0], "category %q has no Dutch name", c.Code)
		require.NotEmpty(t, c.Name[1], "category %q has no English name", c.Code)
	}
	for st, v := range stages {
		require.NotEmpty(t, v[0], "stage %s has no Dutch text", st)
		require.NotEmpty(t, v[1], "stage %s has no English text", st)
	}

	used := map[string][]string{} // key → where
	// The pages: {{.T.key}}, {{$.T.key}}.
	inTemplate := regexp.MustCompile(`\.T\.([A-Za-z0-9_]+)`)
	pages, err := fs.Glob(templateFS, "template/*.html")
	require.NoError(t, err)
	require.NotEmpty(t, pages)
	for _, name := range pages {
		b, err := fs.ReadFile(templateFS, name)
		require.NoError(t, err)
		for _, m := range inTemplate.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = append(used[m[1]], name)
		}
	}
	// The code: T["key"] and t["key"], and the keys handed to the status
	// page as its message or problem.
	inCode := regexp.MustCompile(`\b[Tt]\["([A-Za-z0-9_]+)"\]`)
	inStatus := regexp.MustCompile(`showStatus(?:Form)?\(w, r, [^,]+, "([a-z0-9_]*)", "([a-z0-9_]*)"`)
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		b, err := os.ReadFile(name)
		require.NoError(t, err)
		for _, m := range inCode.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = append(used[m[1]], name)
		}
		for _, m := range inStatus.FindAllStringSubmatch(string(b), -1) {
			for _, k := range m[1:] {
				if k != "" {
					used[k] = append(used[k], name)
				}
			}
		}
	}
	require.Contains(t, used, "quick_exit", "the scan finds the keys the pages use")
	require.Contains(t, used, "withdraw_done", "the scan finds the keys the status page is given")
	var missing []string
	for k, where := range used {
		if _, ok := messages[k]; !ok {
			missing = append(missing, k+" (in "+strings.Join(where, ", ")+")")
		}
	}
	sort.Strings(missing)
	require.Empty(t, missing, "keys used but missing from messages")
}
