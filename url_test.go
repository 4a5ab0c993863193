package undox

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNormalizeURL(t *testing.T) {
	same := map[string]string{
		"https://Example.COM":                       "https://example.com/",
		"HTTPS://example.com:443/a/./b/../c":        "https://example.com/a/c",
		"http://example.com:80/x/":                  "http://example.com/x/",
		"http://example.com:8080/x?b=2&a=1#section": "http://example.com:8080/x?b=2&a=1",
		"example.com/doxed-page":                    "https://example.com/doxed-page",
		"  https://user:pw@example.com/p  ":         "https://example.com/p",
		"https://bücher.example/straße":             "https://xn--bcher-kva.example/stra%C3%9Fe",
		"https://example.com./x":                    "https://example.com/x",
		"https://forum.example/#!/thread/12":        "https://forum.example/#!/thread/12",
		"https://[2001:DB8::1]/x":                   "https://[2001:db8::1]/x",
		"http://192.0.2.1:8080":                     "http://192.0.2.1:8080/",
		"example.com:8443/path":                     "https://example.com:8443/path",
		// The path's segments stay as the reporter gave them: only dot
		// segments are resolved (RFC 3986, 5.2.4); empty ones are kept.
		"https://web.archive.org/web/2024/https://dox.example/x": "https://web.archive.org/web/2024/https://dox.example/x",
		"https://example.com/a//b":                               "https://example.com/a//b",
		"https://example.com//x/":                                "https://example.com//x/",
		"https://example.com/a//b/../c":                          "https://example.com/a//c",
		"https://example.com/a/b/..":                             "https://example.com/a/",
		"https://example.com/a/.":                                "https://example.com/a/",
		"https://example.com/../../x":                            "https://example.com/x",
		"https://example.com/a/..b/.c":                           "https://example.com/a/..b/.c",
	}
	for in, want := range same {
		got, err := NormalizeURL(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "   ", "ftp://example.com/x", "javascript:alert(1)", "mailto:a@example.com",
		"https://", "https://localhost/x", "http://exa mple.com/", "https://example.com:99999/", "data:text/html,hi",
		"https://example.com/\nx"} {
		_, err := NormalizeURL(bad)
		require.Error(t, err, bad)
		require.Equal(t, EINVALID, ErrorCode(err), bad)
	}
}
