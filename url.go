package undox

import (
	"net"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
)

// MaxURLLength bounds a reported URL.
const MaxURLLength = 4096

// NormalizeURL returns the canonical form of a reported URL, under which
// one page is one item however it was written: scheme and host in lower
// case, the host in ASCII (IDNA), no default port, no user info, dot
// segments resolved (RFC 3986, 5.2.4: "a/./b/../c" is "a/c", and the
// path's other segments stay as given, empty ones too, so
// "/web/2024/https://x.example/" keeps its "//"), an empty path as "/",
// and no fragment unless it is a
// route of a single-page site ("#!…" or "#/…"). A URL without a scheme is
// taken as https. Only http and https are accepted.
func NormalizeURL(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", Invalid("url", "the URL is empty")
	}
	if len(s) > MaxURLLength {
		return "", Invalid("url", "the URL is longer than %d characters", MaxURLLength)
	}
	if strings.ContainsAny(s, "\x00\r\n\t") {
		return "", Invalid("url", "the URL contains control characters")
	}
	if !strings.Contains(s, "://") {
		if i := strings.IndexByte(s, ':'); i > 0 && !strings.ContainsAny(s[:i], "./") && !isPort(s[i+1:]) {
			return "", Invalid("url", "only http and https URLs can be reported")
		}
		s = "https://" + strings.TrimPrefix(s, "//")
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", Invalid("url", "this is not a valid URL")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", Invalid("url", "only http and https URLs can be reported")
	}
	if u.Opaque != "" {
		return "", Invalid("url", "this is not a valid URL")
	}
	u.User = nil
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" {
		return "", Invalid("url", "the URL has no host name")
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil {
		host = ip.String()
		if ip.To4() == nil {
			host = "[" + host + "]"
		}
	} else {
		ascii, err := idna.Lookup.ToASCII(host)
		if err != nil || !strings.Contains(ascii, ".") {
			return "", Invalid("url", "the host name %q is not a valid public domain name", host)
		}
		host = ascii
	}
	port := u.Port()
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return "", Invalid("url", "the port is not valid")
		}
		if (u.Scheme == "http" && n == 80) || (u.Scheme == "https" && n == 443) {
			port = ""
		} else {
			port = strconv.Itoa(n)
		}
	}
	u.Host = host
	if port != "" {
		u.Host += ":" + port
	}
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	clean := removeDotSegments(p)
	frag := u.EscapedFragment()
	out := u.Scheme + "://" + u.Host + clean
	if u.RawQuery != "" || u.ForceQuery {
		out += "?" + u.RawQuery
	}
	if strings.HasPrefix(frag, "!") || strings.HasPrefix(frag, "/") {
		out += "#" + frag
	}
	if len(out) > MaxURLLength {
		return "", Invalid("url", "the URL is longer than %d characters", MaxURLLength)
	}
	return out, nil
}

// removeDotSegments is RFC 3986's remove_dot_segments (5.2.4) for an
// absolute path: "." and ".." segments are resolved; every other segment,
// empty ones included, is kept as it is.
func removeDotSegments(in string) string {
	var out []string // the output buffer's segments, each with its leading "/"
	for in != "" {
		switch {
		case strings.HasPrefix(in, "../"):
			in = in[3:]
		case strings.HasPrefix(in, "./"):
			in = in[2:]
		case strings.HasPrefix(in, "/./"):
			in = in[2:]
		case in == "/.":
			in = "/"
		case strings.HasPrefix(in, "/../"):
			in = in[3:]
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		case in == "/..":
			in = "/"
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		case in == "." || in == "..":
			in = ""
		default:
			// The first segment, with its leading "/" if any, up to
			// the next "/".
			end := strings.IndexByte(in[1:], '/')
			if end < 0 {
				end = len(in)
			} else {
				end++
			}
			out = append(out, in[:end])
			in = in[end:]
		}
	}
	p := strings.Join(out, "")
	if p == "" {
		return "/"
	}
	return p
}

func isPort(s string) bool {
	end := strings.IndexAny(s, "/?#")
	if end < 0 {
		end = len(s)
	}
	_, err := strconv.Atoi(s[:end])
	return err == nil && end > 0
}
