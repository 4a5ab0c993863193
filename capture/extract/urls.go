package extract

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// maybeHTTP is false for URLs that can never resolve to http(s): those
// with another scheme, such as javascript: or data:.
//
// It reads raw as cleanURL would make it, without making it.
func maybeHTTP[T ~string | ~[]byte](raw T) bool {
	i := 0
	for i < len(raw) && isURLSpace(raw[i]) {
		i++
	}
	var scheme [5]byte // lower case
	n := 0             // bytes of the scheme
	for ; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '\t' || c == '\n' || c == '\r':
			// cleanURL removes them.
		case c == ':':
			return n == 4 && string(scheme[:4]) == "http" || n == 5 && string(scheme[:5]) == "https"
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
			if n < len(scheme) {
				scheme[n] = c | 0x20
			}
			n++
		case n > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
			if n < len(scheme) {
				scheme[n] = c
			}
			n++
		default:
			return true // no scheme: relative
		}
	}
	return true
}

// cleanURL strips what browsers strip from a URL attribute: surrounding
// whitespace, and tabs and newlines anywhere.
func cleanURL(raw string) string {
	i, j := 0, len(raw)
	for i < j && isURLSpace(raw[i]) {
		i++
	}
	for j > i && isURLSpace(raw[j-1]) {
		j--
	}
	raw = raw[i:j]
	for k := 0; k < len(raw); k++ {
		if c := raw[k]; c == '\t' || c == '\n' || c == '\r' {
			b := make([]byte, k, len(raw))
			copy(b, raw[:k])
			for ; k < len(raw); k++ {
				if c := raw[k]; c != '\t' && c != '\n' && c != '\r' {
					b = append(b, c)
				}
			}
			return string(b)
		}
	}
	return raw
}

func isURLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

// resolve resolves raw against base and returns it when it is an http(s)
// URL with a host; the host in lower case, without the fragment unless it
// is a client-side route ("#!/user/1", "#/user/1").
func resolve(base *url.URL, raw string) *url.URL {
	raw = cleanURL(raw)
	if raw == "" || len(raw) > maxURL {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if !httpURL(u) {
		return nil
	}
	u.Host = strings.ToLower(u.Host)
	if f := u.Fragment; f == "" || (f[0] != '!' && f[0] != '/') {
		u.Fragment, u.RawFragment = "", ""
	}
	return u
}

func httpURL(u *url.URL) bool {
	return (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.Opaque == ""
}

// resolver resolves the URLs of a page against its base: what resolve
// returns, as a string. The URLs of the most common shapes are resolved
// without net/url (fast); resolve decides the others.
type resolver struct {
	base *url.URL
	// prefix is what every path-absolute URL ("/a/b?c") resolves to
	// before its path: the base's scheme, "://", its user and its host
	// in lower case. It is "" without a base.
	prefix string
}

func newResolver(base *url.URL) *resolver {
	return &resolver{base: base, prefix: basePrefix(base)}
}

// basePrefix returns the prefix of a resolver with base.
func basePrefix(base *url.URL) string {
	if base == nil {
		return ""
	}
	if base.User == nil && httpURL(base) && plainHost(base.Host) {
		// What the general case below comes to, without its URL and
		// strings: net/url escapes nothing of such a host.
		return base.Scheme + "://" + strings.ToLower(base.Host)
	}
	if u := resolve(base, "/"); u != nil {
		if s := u.String(); strings.HasSuffix(s, "/") && strings.Contains(s, "://") {
			return s[:len(s)-1]
		}
	}
	return ""
}

// plainHost reports whether a host has only ASCII letters, digits, '.',
// '-' and ':' (a port).
func plainHost(h string) bool {
	for i := 0; i < len(h); i++ {
		if urlClass[h[i]]&ucHost == 0 && h[i] != ':' {
			return false
		}
	}
	return true
}

// appendResolved appends raw resolved as resolve does to dst; ok is false
// if resolve returns nil. The URLs of a page are bytes of its buffers: the
// fast path needs no string of them.
func appendResolved[T ~string | ~[]byte](r *resolver, dst []byte, raw T) ([]byte, bool) {
	// A URL that fast takes has nothing for cleanURL to clean.
	if len(raw) <= maxURL {
		if b, ok := fast(r, dst, raw); ok {
			return b, true
		}
	}
	clean := cleanURL(string(raw))
	if clean == "" || len(clean) > maxURL {
		return dst, false
	}
	if len(clean) != len(raw) {
		if b, ok := fast(r, dst, clean); ok {
			return b, true
		}
	}
	u := resolve(r.base, clean)
	if u == nil {
		return dst, false
	}
	return append(dst, u.String()...), true
}

// fast resolves raw if it has one of the shapes whose resolution is plain:
// "/path?query#fragment" against a base, and
// "http(s)://host/path?query#fragment", where the host has only ASCII
// letters, digits, '.' and '-' (no port, no user), the path only characters
// that net/url keeps as they are or escapes as bytes (not ASCII) and no "."
// or ".." segments, the query nothing net/url rejects, and the fragment,
// dropped, no '%' and no client-side route; and where nothing is there for
// cleanURL to clean. ok is false for every other URL.
func fast[T ~string | ~[]byte](r *resolver, dst []byte, raw T) (b []byte, ok bool) {
	var scheme string
	var host T
	i := 0
	switch {
	case len(raw) > 0 && raw[0] == '/' && (len(raw) == 1 || raw[1] != '/'):
		if r.prefix == "" {
			return dst, false
		}
	case hasPrefixFold(raw, "https://"):
		scheme, i = "https://", len("https://")
	case hasPrefixFold(raw, "http://"):
		scheme, i = "http://", len("http://")
	default:
		return dst, false
	}
	if scheme != "" {
		h := i
		for i < len(raw) && urlClass[raw[i]]&ucHost != 0 {
			i++
		}
		if i == h || i < len(raw) && raw[i] != '/' && raw[i] != '?' && raw[i] != '#' {
			return dst, false
		}
		host = raw[h:i]
		if i+1 < len(raw) && raw[i] == '/' && raw[i+1] == '/' {
			return dst, false // net/url makes "//p" a path "/p"
		}
	}
	p := i
	var seen uint8 // the classes of the path's bytes
	// Four bytes at a time, most often: one branch for the four.
	for ; i+4 <= len(raw); i += 4 {
		c0, c1, c2, c3 := urlClass[raw[i]], urlClass[raw[i+1]], urlClass[raw[i+2]], urlClass[raw[i+3]]
		if c0&c1&c2&c3&ucPathRun == 0 {
			break
		}
		seen |= c0 | c1 | c2 | c3
	}
	for ; i < len(raw); i++ {
		cl := urlClass[raw[i]]
		if cl&ucPathRun != 0 {
			seen |= cl
			continue
		}
		if raw[i] != '.' {
			break
		}
		if raw[i-1] == '/' && (i+1 == len(raw) || raw[i+1] == '/' || raw[i+1] == '?' || raw[i+1] == '#' ||
			raw[i+1] == '.' && (i+2 == len(raw) || raw[i+2] == '/' || raw[i+2] == '?' || raw[i+2] == '#')) {
			return dst, false // a dot segment
		}
	}
	if i < len(raw) && raw[i] != '?' && raw[i] != '#' {
		return dst, false
	}
	if seen&ucHigh != 0 && seen&ucSubDelim != 0 {
		// net/url escapes the path then, these characters too.
		return dst, false
	}
	q := i
	if i < len(raw) && raw[i] == '?' {
		for i < len(raw) && urlClass[raw[i]]&ucQuery != 0 {
			i++
		}
		if i < len(raw) && raw[i] != '#' {
			return dst, false
		}
	}
	end := i
	if i < len(raw) { // the fragment, dropped
		if i+1 < len(raw) && (raw[i+1] == '!' || raw[i+1] == '/') {
			return dst, false
		}
		for i++; i < len(raw); i++ {
			if c := raw[i]; c <= ' ' || c == '%' {
				return dst, false
			}
		}
	}
	if scheme == "" {
		dst = append(dst, r.prefix...)
	} else {
		dst = append(dst, scheme...)
		for i := 0; i < len(host); i++ {
			c := host[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
		}
	}
	if seen&ucHigh == 0 {
		dst = append(dst, raw[p:q]...)
	} else {
		// net/url escapes the bytes that are not ASCII.
		for i := p; i < q; i++ {
			if c := raw[i]; c < utf8.RuneSelf {
				dst = append(dst, c)
			} else {
				dst = append(dst, '%', "0123456789ABCDEF"[c>>4], "0123456789ABCDEF"[c&15])
			}
		}
	}
	return append(dst, raw[q:end]...), true
}

// The classes of bytes in URLs, for fast.
const (
	ucHost     = 1 << iota // in a host: ASCII letters, digits, '.', '-'
	ucPathRun              // in a path: kept as it is or escaped, but for '.'
	ucSubDelim             // kept as it is in a path, but for one that is escaped
	ucHigh                 // not ASCII: escaped in a path
	ucQuery                // kept as it is in a query
)

var urlClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c == '.':
			t[c] = ucHost
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-':
			t[c] = ucHost | ucPathRun
		case strings.IndexByte("_~/$&+,;=:@", byte(c)) >= 0:
			t[c] = ucPathRun
		case strings.IndexByte("!'()*", byte(c)) >= 0:
			t[c] = ucPathRun | ucSubDelim
		case c >= utf8.RuneSelf:
			t[c] = ucPathRun | ucHigh
		}
		if c > ' ' && c != 0x7f && c != '#' {
			t[c] |= ucQuery
		}
	}
	return t
}()

// hasPrefixFold reports whether s starts with prefix, which is lower-case
// ASCII, in any case: strings.EqualFold on prefix's length. The only
// characters not ASCII that fold to ASCII letters (ſ to s, the Kelvin sign
// to k) are longer than them: s's prefix of that length cannot match then.
func hasPrefixFold[T ~string | ~[]byte](s T, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := range len(prefix) {
		if lowerByte(s[i]) != prefix[i] {
			return false
		}
	}
	return true
}
