// Package securitytxt parses security.txt files (RFC 9116): where a site
// wants security problems reported, which undox uses as one more way to reach
// whoever runs a site. Fetching is the caller's business (through undox's safe
// fetcher, at the locations URLs gives); this package only parses.
package securitytxt

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// MaxSize is the largest file Parse reads. Real files are a few hundred
// bytes; RFC 9116 sets no limit, undox does.
const MaxSize = 32 << 10

// The errors of Parse.
var (
	// ErrTooLarge: the data is longer than MaxSize.
	ErrTooLarge = errors.New("securitytxt: file larger than 32 KiB")
	// ErrNotText: the data is not UTF-8 text (invalid UTF-8 or NUL bytes).
	ErrNotText = errors.New("securitytxt: not UTF-8 text")
	// ErrNoFields: not one RFC 9116 field was found, as for an HTML page
	// served in place of a missing file.
	ErrNoFields = errors.New("securitytxt: no security.txt fields")
)

// File is a parsed security.txt. Field values are in the order they appear.
type File struct {
	// Contact lists where to report: URIs such as "mailto:…", "https://…",
	// "tel:…". A bare e-mail address (not RFC 9116-conformant, but common) is
	// kept as "mailto:" + address, with an entry in Errors.
	Contact []string
	// Expires is the time after which the file is stale; zero when missing or
	// unreadable (see Errors).
	Expires            time.Time
	Encryption         []string
	Acknowledgments    []string
	PreferredLanguages []string // language tags from the one Preferred-Languages field
	Canonical          []string
	Policy             []string
	Hiring             []string
	CSAF               []string // CSAF provider-metadata.json locations (OASIS CSAF 2.0)
	// Other holds the fields RFC 9116 does not define ("Bug-Bounty: …").
	Other []Field
	// Signed reports an OpenPGP cleartext signature around the fields; the
	// signature is not verified. Only the signed part is parsed.
	Signed bool
	// Errors lists what breaks RFC 9116 ("line 3: …"); Warnings what it
	// advises against. The file is still parsed as far as it goes.
	Errors   []string
	Warnings []string
}

// Field is a field by name and value, with its line number (from 1).
type Field struct {
	Name  string
	Value string
	Line  int
}

// Valid reports whether the file has no errors.
func (f *File) Valid() bool { return len(f.Errors) == 0 }

// Expired reports whether Expires is before now. A file without a readable
// Expires does not expire by this test; its Errors say that Expires is
// missing.
func (f *File) Expired(now time.Time) bool {
	return !f.Expires.IsZero() && f.Expires.Before(now)
}

// Emails returns the e-mail addresses of the mailto: contacts, in order,
// without duplicates, the domain part in lower case.
func (f *File) Emails() []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range f.Contact {
		u, err := url.Parse(c)
		if err != nil || !strings.EqualFold(u.Scheme, "mailto") {
			continue
		}
		to := u.Opaque
		if to == "" {
			to = u.Path
		}
		if dec, err := url.PathUnescape(to); err == nil {
			to = dec
		}
		for _, a := range strings.Split(to, ",") {
			addr, err := mail.ParseAddress(strings.TrimSpace(a))
			if err != nil {
				continue
			}
			e := lowerDomain(addr.Address)
			if !seen[e] {
				seen[e] = true
				out = append(out, e)
			}
		}
	}
	return out
}

// FromCanonical reports whether a file fetched from location may be used: it
// may when it names no Canonical URI, or when location is one of them
// (RFC 9116 section 2.5.2).
func (f *File) FromCanonical(location string) bool {
	if len(f.Canonical) == 0 {
		return true
	}
	for _, c := range f.Canonical {
		if c == location {
			return true
		}
	}
	return false
}

func lowerDomain(addr string) string {
	if at := strings.LastIndexByte(addr, '@'); at >= 0 {
		return addr[:at] + strings.ToLower(addr[at:])
	}
	return addr
}

// URLs returns where the security.txt of the site at siteURL (a URL or a bare
// host name) is looked for, in order: https://host/.well-known/security.txt,
// then the legacy https://host/security.txt. The scheme is always https; a
// port is kept only when siteURL is https on a port other than 443. It
// returns nil when siteURL names no host.
func URLs(siteURL string) []string {
	s := strings.TrimSpace(siteURL)
	if s == "" {
		return nil
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" {
		return nil
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		return nil
	}
	host := strings.TrimSuffix(u.Hostname(), ".")
	if strings.Contains(host, ":") { // IPv6 literal
		host = "[" + strings.ToLower(host) + "]"
	} else if h, err := idna.Lookup.ToASCII(host); err == nil {
		host = strings.ToLower(h)
	} else {
		return nil
	}
	if p := u.Port(); p != "" && scheme == "https" && p != "443" {
		host = net.JoinHostPort(strings.Trim(host, "[]"), p)
	}
	return []string{
		"https://" + host + "/.well-known/security.txt",
		"https://" + host + "/security.txt",
	}
}

// fieldNameRE is RFC 9116's field-name: printable ASCII but colon and space.
var fieldNameRE = regexp.MustCompile(`^[\x21-\x39\x3B-\x7E]+$`)

const (
	beginSigned    = "-----BEGIN PGP SIGNED MESSAGE-----"
	beginSignature = "-----BEGIN PGP SIGNATURE-----"
	endSignature   = "-----END PGP SIGNATURE-----"
)

type line struct {
	n    int // 1-based line number in the file
	text string
}

// Parse reads a security.txt. It fails only when data is too large, not
// text, or has no RFC 9116 field at all; everything else that is wrong is
// reported in File.Errors and File.Warnings.
func Parse(data []byte) (*File, error) {
	if len(data) > MaxSize {
		return nil, ErrTooLarge
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return nil, ErrNotText
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	raw := strings.Split(text, "\n")
	lines := make([]line, len(raw))
	for i, t := range raw {
		lines[i] = line{n: i + 1, text: strings.TrimRight(t, " \t")}
	}

	p := &parser{f: &File{}}
	f := p.f
	body := p.unwrap(lines)
	seen := 0
	for _, l := range body {
		if p.parseLine(l) {
			seen++
		}
	}
	if seen == 0 {
		return nil, ErrNoFields
	}
	if len(f.Contact) == 0 {
		p.errorf(0, "no Contact field (required)")
	}
	if !p.expiresSeen {
		p.errorf(0, "no Expires field (required)")
	}
	if f.Signed && len(f.Canonical) == 0 {
		p.warnf(0, "signed, but no Canonical field tells where the signed file belongs")
	}
	return f, nil
}

// unwrap returns the lines to parse: the signed body of a cleartext-signed
// file (dash-escaping removed), or all lines.
func (p *parser) unwrap(lines []line) []line {
	f := p.f
	start := -1
	for i, l := range lines {
		if strings.TrimSpace(l.text) == beginSigned {
			start = i
			break
		}
	}
	if start > 0 {
		for _, l := range lines[:start] {
			if strings.TrimSpace(l.text) != "" {
				p.warnf(l.n, "text before the signed message is outside it and ignored")
				break
			}
		}
	}
	if start < 0 {
		// Not signed. Stray armor (a signature pasted below the fields) is an
		// error; its lines are skipped.
		var out []line
		inArmor, reported := false, false
		for _, l := range lines {
			t := strings.TrimSpace(l.text)
			switch {
			case strings.HasPrefix(t, "-----BEGIN PGP"):
				inArmor = true
				if !reported {
					p.errorf(l.n, "OpenPGP armor without %q", beginSigned)
					reported = true
				}
			case strings.HasPrefix(t, "-----END PGP"):
				inArmor = false
			case !inArmor:
				out = append(out, l)
			}
		}
		return out
	}
	f.Signed = true
	i := start + 1
	// Armor headers ("Hash: SHA256") up to the blank line.
	for ; i < len(lines) && strings.TrimSpace(lines[i].text) != ""; i++ {
		if !strings.Contains(lines[i].text, ":") {
			p.errorf(lines[i].n, "bad OpenPGP armor header")
		}
	}
	if i == len(lines) {
		p.errorf(lines[start].n, "signed message without a body")
		return nil
	}
	i++
	var body []line
	for ; i < len(lines); i++ {
		t := lines[i].text
		if strings.TrimSpace(t) == beginSignature {
			break
		}
		// RFC 4880 7.1: lines starting with "-" are dash-escaped as "- ".
		if strings.HasPrefix(t, "- ") {
			t = t[2:]
		} else if strings.HasPrefix(t, "-") {
			p.errorf(lines[i].n, "line starting with \"-\" not dash-escaped in the signed message")
		}
		body = append(body, line{n: lines[i].n, text: t})
	}
	if i == len(lines) {
		p.errorf(0, "signed message without %q", beginSignature)
		return body
	}
	for i++; i < len(lines) && strings.TrimSpace(lines[i].text) != endSignature; i++ {
	}
	if i == len(lines) {
		p.errorf(0, "signature without %q", endSignature)
		return body
	}
	for i++; i < len(lines); i++ {
		if strings.TrimSpace(lines[i].text) != "" {
			p.warnf(lines[i].n, "text after the signature is outside the signed message and ignored")
			break
		}
	}
	return body
}

// parseLine reads one line; it reports whether the line was an RFC 9116
// field (recognised by name, whatever its value).
func (p *parser) parseLine(l line) bool {
	f := p.f
	t := l.text
	if strings.TrimSpace(t) == "" || strings.HasPrefix(strings.TrimSpace(t), "#") {
		return false
	}
	if t != strings.TrimLeft(t, " \t") {
		p.warnf(l.n, "leading whitespace")
		t = strings.TrimLeft(t, " \t")
	}
	colon := strings.IndexByte(t, ':')
	if colon <= 0 || !fieldNameRE.MatchString(t[:colon]) {
		p.errorf(l.n, "not a field (\"Name: value\")")
		return false
	}
	name, value := t[:colon], strings.TrimSpace(t[colon+1:])
	key := strings.ToLower(name)
	if value == "" {
		p.errorf(l.n, "%s has no value", name)
		return isKnown(key)
	}
	switch key {
	case "contact":
		if c, ok := p.contact(l.n, value); ok {
			f.Contact = append(f.Contact, c)
		}
	case "expires":
		if p.expiresSeen {
			p.errorf(l.n, "Expires appears more than once; the first is used")
			return true
		}
		p.expiresSeen = true
		f.Expires = p.expires(l.n, value)
	case "encryption":
		p.uri(l.n, name, value, &f.Encryption)
	case "acknowledgments", "acknowledgements":
		if key == "acknowledgements" {
			p.warnf(l.n, "the field is spelled Acknowledgments")
		}
		p.uri(l.n, name, value, &f.Acknowledgments)
	case "canonical":
		p.uri(l.n, name, value, &f.Canonical)
	case "policy":
		p.uri(l.n, name, value, &f.Policy)
	case "hiring":
		p.uri(l.n, name, value, &f.Hiring)
	case "csaf":
		p.uri(l.n, name, value, &f.CSAF)
	case "preferred-languages":
		if p.langsSeen {
			p.errorf(l.n, "Preferred-Languages appears more than once; the first is used")
			return true
		}
		p.langsSeen = true
		for _, tag := range strings.Split(value, ",") {
			tag = strings.TrimSpace(tag)
			if tag == "" || !langTagRE.MatchString(tag) {
				p.errorf(l.n, "%q is not a language tag", tag)
				continue
			}
			f.PreferredLanguages = append(f.PreferredLanguages, tag)
		}
	default:
		if key == "signature" {
			p.warnf(l.n, "Signature is a field of drafts before RFC 9116; sign the file instead")
		}
		f.Other = append(f.Other, Field{Name: name, Value: value, Line: l.n})
		return false
	}
	return true
}

func isKnown(key string) bool {
	switch key {
	case "contact", "expires", "encryption", "acknowledgments", "acknowledgements", "canonical",
		"policy", "hiring", "csaf", "preferred-languages":
		return true
	}
	return false
}

var langTagRE = regexp.MustCompile(`^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$`)

// contact checks a Contact value; a bare e-mail address becomes a mailto: URI.
func (p *parser) contact(n int, v string) (string, bool) {
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" || strings.ContainsAny(v, " \t") {
		if addr, err := mail.ParseAddress(v); err == nil && addr.Name == "" && !strings.Contains(v, "<") {
			p.errorf(n, "Contact %q is not a URI; read as mailto:%s", v, addr.Address)
			return "mailto:" + addr.Address, true
		}
		p.errorf(n, "Contact %q is not a URI", v)
		return "", false
	}
	switch strings.ToLower(u.Scheme) {
	case "mailto":
		if !strings.Contains(u.Opaque+u.Path, "@") {
			p.errorf(n, "Contact %q has no e-mail address", v)
			return "", false
		}
	case "https":
		if u.Host == "" {
			p.errorf(n, "Contact %q has no host", v)
			return "", false
		}
	case "http":
		p.errorf(n, "Contact %q: web URIs must use https", v)
	}
	return v, true
}

// uri checks a URI-valued field and appends it to dst.
func (p *parser) uri(n int, name, v string, dst *[]string) {
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" || strings.ContainsAny(v, " \t") {
		p.errorf(n, "%s %q is not a URI", name, v)
		return
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		if u.Host == "" {
			p.errorf(n, "%s %q has no host", name, v)
			return
		}
	case "http":
		p.errorf(n, "%s %q: web URIs must use https", name, v)
	}
	*dst = append(*dst, v)
}

// expires reads an Expires value: RFC 3339 (RFC 9116's format; "t" and "z"
// in lower case are allowed), or, with an error noted, the RFC 1123 form of
// older drafts.
func (p *parser) expires(n int, v string) time.Time {
	if t, err := time.Parse(time.RFC3339, strings.ToUpper(v)); err == nil {
		return t.UTC()
	}
	for _, layout := range []string{time.RFC1123Z, time.RFC1123, "Mon, 2 Jan 2006 15:04:05 -0700"} {
		if t, err := time.Parse(layout, v); err == nil {
			p.errorf(n, "Expires %q is not in RFC 3339 format", v)
			return t.UTC()
		}
	}
	p.errorf(n, "Expires %q is not a date (RFC 3339)", v)
	return time.Time{}
}

// parser is the state of one Parse.
type parser struct {
	f           *File
	expiresSeen bool
	langsSeen   bool
}

func (p *parser) errorf(n int, format string, args ...any) {
	p.f.Errors = append(p.f.Errors, at(n, format, args...))
}

func (p *parser) warnf(n int, format string, args ...any) {
	p.f.Warnings = append(p.f.Warnings, at(n, format, args...))
}

func at(n int, format string, args ...any) string {
	msg := fmt.Sprintf(format, args...)
	if n > 0 {
		return fmt.Sprintf("line %d: %s", n, msg)
	}
	return msg
}
