// Package extract reads what a captured page says and shows: its readable
// text, title, links and images from HTML, and the hashes of images.
//
// Every input is hostile. HTML is read with the streaming tokenizer of
// golang.org/x/net/html (memory stays close to the size of the input and of
// the bounded output, whatever the nesting), every output is bounded, and
// nothing here panics on malformed input (FuzzHTML checks it).
package extract

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Default bounds of HTML.
const (
	DefaultMaxText   = 2 << 20 // bytes of Page.Text
	DefaultMaxLinks  = 10000
	DefaultMaxImages = 1000
	DefaultMaxFrames = 1000

	maxURL      = 8 << 10 // longer URLs are dropped
	maxAnchor   = 1000    // bytes of a link's text or an image's alt
	maxTitle    = 2000    // bytes of the title
	maxSkipNest = 64      // nesting of skipped elements that is tracked
)

// Page is what a captured HTML page says and shows.
type Page struct {
	// Title is the first <title> (else og:title), whitespace collapsed.
	Title string
	// Text is the readable text: blocks (paragraphs, headings, list
	// items, table rows, <br>, <div>, …) on lines of their own, a blank
	// line around paragraphs, headings, lists and tables, table cells
	// separated by a tab, runs of whitespace collapsed to one space.
	Text string
	// Links are the http(s) targets of <a> and <area>, resolved,
	// without fragments, deduplicated, in document order.
	Links []Link
	// Images are the http(s) URLs of the images the page shows (<img>
	// src, srcset and lazy-loading attributes, <picture> sources, images
	// inside <noscript>, og:image and twitter:image, video posters),
	// resolved, deduplicated, in document order.
	Images []Image
	// Frames are the http(s) URLs of <iframe> and <frame> sources: pages
	// shown inside this one.
	Frames []string
	// Refresh is the target of a <meta http-equiv="refresh">, if any.
	Refresh string
	// Canonical is the URL of <link rel="canonical">, if any.
	Canonical string
	// Truncated says that a bound was reached: Text, Links, Images or
	// Frames are incomplete.
	Truncated bool
}

// Link is one link of a page.
type Link struct {
	URL  string
	Text string
}

// Image is one image of a page.
type Image struct {
	URL string
	Alt string
}

// Limits bound what HTML returns; zero fields take the defaults.
type Limits struct {
	MaxText   int // bytes of Text
	MaxLinks  int
	MaxImages int
	MaxFrames int
}

func (l Limits) withDefaults() Limits {
	if l.MaxText <= 0 {
		l.MaxText = DefaultMaxText
	}
	if l.MaxLinks <= 0 {
		l.MaxLinks = DefaultMaxLinks
	}
	if l.MaxImages <= 0 {
		l.MaxImages = DefaultMaxImages
	}
	if l.MaxFrames <= 0 {
		l.MaxFrames = DefaultMaxFrames
	}
	return l
}

// HTML extracts a page with the default limits. body is the page as UTF-8
// (invalid bytes become U+FFFD); baseURL is the URL the page was fetched
// from, against which (and its <base href>) relative URLs are resolved.
// An empty baseURL keeps only absolute URLs. The error is only for a
// baseURL that is not an absolute http(s) URL.
func HTML(body []byte, baseURL string) (*Page, error) {
	return Limits{}.HTML(body, baseURL)
}

// ErrBaseURL is returned for a baseURL that is not an absolute http(s) URL.
var ErrBaseURL = errors.New("extract: base URL must be an absolute http(s) URL")

// HTML extracts a page within the limits l.
func (l Limits) HTML(body []byte, baseURL string) (*Page, error) {
	var base *url.URL
	if baseURL != "" {
		u, err := url.Parse(baseURL)
		if err != nil || !httpURL(u) {
			return nil, ErrBaseURL
		}
		base = u
	}
	l = l.withDefaults()
	// The text of a page is usually half to two thirds of its HTML, often
	// much less; page trims what is left over.
	x := &extractor{lim: l, out: textWriter{max: l.MaxText, sizeHint: len(body) * 3 / 4}}
	x.run(body, false)
	return x.page(base), nil
}

// blockBreak holds the elements around which text breaks: into lines,
// paragraphs (a blank line) or table cells (a tab).
var blockBreak = map[string]sep{
	"address": sepLine, "article": sepPara, "aside": sepPara, "blockquote": sepPara,
	"body": sepLine, "br": sepLine, "caption": sepLine, "center": sepLine,
	"dd": sepLine, "details": sepLine, "dialog": sepLine, "dir": sepPara, "div": sepLine,
	"dl": sepPara, "dt": sepLine, "fieldset": sepLine, "figcaption": sepLine,
	"figure": sepPara, "footer": sepLine, "form": sepLine, "frameset": sepLine,
	"h1": sepPara, "h2": sepPara, "h3": sepPara, "h4": sepPara, "h5": sepPara, "h6": sepPara,
	"header": sepLine, "hgroup": sepLine, "hr": sepPara, "html": sepLine, "legend": sepLine,
	"li": sepLine, "listing": sepPara, "main": sepLine, "menu": sepPara, "nav": sepLine,
	"ol": sepPara, "optgroup": sepLine, "option": sepLine, "p": sepPara, "plaintext": sepPara,
	"pre": sepPara, "section": sepPara, "select": sepLine, "summary": sepLine,
	"table": sepPara, "tbody": sepLine, "textarea": sepLine, "tfoot": sepLine,
	"thead": sepLine, "tr": sepLine, "ul": sepPara, "xmp": sepPara,
	"td": sepCell, "th": sepCell,
}

// skipped holds the elements whose content is never shown. The tokenizer
// reads the content of script, style, noscript, iframe, noembed, noframes
// (and title) as raw text; template and svg hold markup and are skipped
// until they close (MathML is shown, and kept). The head needs no skipping: what it holds
// (title, meta, link, style, script) writes no text, and text that stands
// in it is shown by browsers.
var skipped = map[string]bool{
	"script": true, "style": true, "noscript": true, "template": true, "iframe": true,
	"svg": true, "noembed": true, "noframes": true,
}

// preformatted holds the elements whose whitespace is kept.
var preformatted = map[string]bool{"pre": true, "listing": true, "textarea": true, "plaintext": true, "xmp": true}

// tagProps is what blockBreak, skipped and preformatted say of an element,
// in one lookup.
type tagProp struct {
	sep          sep // sepNone: no break
	skipped, pre bool
}

var tagProps = func() map[string]tagProp {
	m := make(map[string]tagProp)
	for k, v := range blockBreak {
		p := m[k]
		p.sep = v
		m[k] = p
	}
	for k := range skipped {
		p := m[k]
		p.skipped = true
		m[k] = p
	}
	for k := range preformatted {
		p := m[k]
		p.pre = true
		m[k] = p
	}
	return m
}()

// visibleInput holds the <input> types whose value is shown as text.
var visibleInput = map[string]bool{"": true, "text": true, "search": true, "email": true, "tel": true,
	"url": true, "button": true, "submit": true, "reset": true}

// lazySrc holds the attributes of <img> that hold its URL, including those
// of lazy-loading scripts; lazySrcset those that hold a srcset.
var (
	lazySrc    = [...]string{"src", "data-src", "data-lazy-src", "data-original", "data-lazy", "data-url", "data-hi-res-src"}
	lazySrcset = [...]string{"srcset", "data-srcset", "data-lazy-srcset"}
)

// rawURL is a URL as written in the page, resolved at the end once the
// <base href> is known (it applies to the whole document, wherever it is).
type rawURL struct {
	raw, text string
}

type extractor struct {
	lim Limits
	out textWriter

	title    string
	hasTitle bool
	ogTitle  string
	baseHref string
	hasBase  bool
	refresh  string
	canon    string

	links  []rawURL
	images []rawURL
	frames []rawURL
	seen   map[seenKey]int // kind and raw URL → index, to deduplicate early
	full   bool            // a raw list reached its bound

	skip    []string   // open skipped elements (bounded)
	pre     int        // depth of preformatted elements
	anchor  int        // index+1 in links of the open <a>, or 0
	anchorW textWriter // the open <a>'s text

	attrBuf attrList // reused by readAttrs
}

// seenKey is a raw URL of a kind: 'a' for links, 'i' for images.
type seenKey struct {
	kind byte
	raw  string
}

// run reads one document. urlsOnly reads the inside of a <noscript> for
// its images only.
func (x *extractor) run(body []byte, urlsOnly bool) {
	z := html.NewTokenizer(bytes.NewReader(body))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			// io.EOF: a bytes.Reader fails in no other way.
			if !urlsOnly {
				x.closeAnchor()
			}
			return
		case html.TextToken:
			if urlsOnly || len(x.skip) > 0 {
				continue
			}
			x.text(z.Text())
		case html.StartTagToken, html.SelfClosingTagToken:
			n := tagName(z)
			// In HTML "/>" closes only void and foreign elements: <div/>
			// opens a div. Of the foreign ones, only svg matters here.
			selfClosing := tt == html.SelfClosingTagToken && n == "svg"
			x.start(z, n, selfClosing, urlsOnly)
		case html.EndTagToken:
			x.end(tagName(z), urlsOnly)
		}
	}
}

func (x *extractor) text(b []byte) {
	if x.pre > 0 {
		x.out.writePre(b)
	} else {
		x.out.write(b)
	}
	if x.anchor > 0 {
		x.anchorW.write(b)
	}
}

func (x *extractor) sep(s sep) {
	x.out.sep(s)
	if x.anchor > 0 {
		x.anchorW.sep(sepSpace)
	}
}

// closeAnchor ends the open <a>, keeping its text.
func (x *extractor) closeAnchor() {
	if x.anchor > 0 {
		if l := &x.links[x.anchor-1]; l.text == "" {
			// The writer collapsed it already (it is only given spaces
			// for separators), but for a space left at the end when it
			// was cut off.
			l.text = x.anchorW.String()
			if x.anchorW.truncated {
				l.text = collapse(l.text, maxAnchor)
			}
		}
	}
	x.anchor = 0
	x.anchorW = textWriter{max: maxAnchor, sizeHint: 32}
}

func (x *extractor) start(z *html.Tokenizer, name string, selfClosing, urlsOnly bool) {
	if len(x.skip) > 0 {
		if skipped[name] && !selfClosing && len(x.skip) < maxSkipNest {
			x.skip = append(x.skip, name)
		}
		return
	}
	// Only these elements' attributes are read: the tokenizer copies every
	// attribute it returns.
	var attrs attrList
	switch name {
	case "base", "meta", "link", "a", "area", "img", "source", "image", "video", "input", "iframe", "frame":
		attrs = readAttrs(z, x.attrBuf[:0])
		x.attrBuf = attrs[:0]
	}
	switch name {
	case "title":
		// RCDATA: the next token is the whole title.
		if z.Next() == html.TextToken && !x.hasTitle && !urlsOnly {
			if t := collapse(string(z.Text()), maxTitle); t != "" {
				x.title, x.hasTitle = t, true
			}
		}
		return
	case "noscript":
		// Raw text to the tokenizer. Pages put the real <img> of
		// lazy-loaded images there: keep its images, not its text.
		if !urlsOnly && z.Next() == html.TextToken {
			x.run(z.Text(), true)
		}
		return
	case "base":
		if href, ok := attrs.lookup("href"); ok && !x.hasBase {
			x.baseHref, x.hasBase = href, true
		}
	case "meta":
		x.meta(attrs)
	case "link":
		rel := " " + strings.ToLower(strings.Join(strings.Fields(attrs.get("rel")), " ")) + " "
		if strings.Contains(rel, " canonical ") && x.canon == "" {
			x.canon = attrs.get("href")
		}
		if strings.Contains(rel, " image_src ") {
			x.addImage(attrs.get("href"), "")
		}
	case "a", "area":
		if urlsOnly {
			break
		}
		if name == "a" {
			x.closeAnchor() // an <a> closes the one still open
		}
		if href, ok := attrs.lookup("href"); ok {
			if i := x.addLink(href); i >= 0 && name == "a" {
				x.anchor = i + 1
			}
		}
	case "img", "source", "image":
		alt := attrs.get("alt")
		for _, k := range lazySrc {
			if name == "source" && k == "src" {
				continue // the src of a <source> is audio or video
			}
			x.addImage(attrs.get(k), alt)
		}
		if name == "image" { // <image> is an old name of <img>
			x.addImage(attrs.get("href"), alt)
		}
		for _, k := range lazySrcset {
			for _, u := range parseSrcset(attrs.get(k)) {
				x.addImage(u, alt)
			}
		}
		if x.anchor > 0 && alt != "" && !urlsOnly {
			x.anchorW.sep(sepSpace)
			x.anchorW.write([]byte(alt)) // a linked image's alt names the link
			x.anchorW.sep(sepSpace)
		}
	case "video":
		x.addImage(attrs.get("poster"), "")
	case "input":
		typ := strings.ToLower(strings.TrimSpace(attrs.get("type")))
		if typ == "image" {
			x.addImage(attrs.get("src"), attrs.get("alt"))
		}
		if !urlsOnly && visibleInput[typ] {
			if v := attrs.get("value"); v != "" {
				x.sep(sepSpace)
				x.text([]byte(v))
				x.sep(sepSpace)
			}
		}
	case "iframe", "frame":
		if src := attrs.get("src"); src != "" && maybeHTTP(src) && len(x.frames) < x.lim.MaxFrames*2 {
			x.frames = append(x.frames, rawURL{raw: src})
		}
	}
	if urlsOnly {
		return
	}
	p := tagProps[name]
	if p.skipped {
		if !selfClosing {
			x.skip = append(x.skip, name)
		}
		return
	}
	if p.sep != sepNone {
		x.sep(p.sep)
	}
	if p.pre {
		x.pre++
		x.out.dropNewline = true // HTML drops a newline right after <pre>
	}
}

func (x *extractor) end(name string, urlsOnly bool) {
	if len(x.skip) > 0 {
		for i := len(x.skip) - 1; i >= 0; i-- {
			if x.skip[i] == name {
				x.skip = x.skip[:i]
				break
			}
		}
		return
	}
	if urlsOnly {
		return
	}
	if name == "a" {
		x.closeAnchor()
	}
	p := tagProps[name]
	if p.sep != sepNone {
		x.sep(p.sep)
	}
	if p.pre && x.pre > 0 {
		x.pre--
	}
}

func (x *extractor) meta(attrs attrList) {
	prop := strings.ToLower(strings.TrimSpace(attrs.get("property")))
	if prop == "" {
		prop = strings.ToLower(strings.TrimSpace(attrs.get("name")))
	}
	switch prop {
	case "og:title":
		if x.ogTitle == "" {
			x.ogTitle = collapse(attrs.get("content"), maxTitle)
		}
	case "og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src":
		x.addImage(attrs.get("content"), "")
	}
	if strings.EqualFold(strings.TrimSpace(attrs.get("http-equiv")), "refresh") && x.refresh == "" {
		x.refresh = refreshURL(attrs.get("content"))
	}
}

// refreshURL returns the URL of a refresh's content such as "0; url=/next".
func refreshURL(c string) string {
	i := strings.IndexAny(c, ";,")
	if i < 0 {
		return ""
	}
	c = strings.TrimSpace(c[i+1:])
	if len(c) >= 3 && strings.EqualFold(c[:3], "url") {
		if rest := strings.TrimSpace(c[3:]); strings.HasPrefix(rest, "=") {
			c = strings.TrimSpace(rest[1:])
		}
	}
	if len(c) >= 1 && (c[0] == '\'' || c[0] == '"') {
		if j := strings.IndexByte(c[1:], c[0]); j >= 0 {
			c = c[1 : j+1]
		} else {
			c = c[1:]
		}
	}
	return c
}

// addLink records a link; it returns its index, or -1.
func (x *extractor) addLink(raw string) int {
	if !maybeHTTP(raw) {
		return -1
	}
	if i, ok := x.seen[seenKey{'a', raw}]; ok {
		return i
	}
	// Raw URLs are bounded at twice the limit: some may resolve to the
	// same URL.
	if len(x.links) >= x.lim.MaxLinks*2 {
		x.full = true
		return -1
	}
	if x.seen == nil {
		x.seen = make(map[seenKey]int)
	}
	x.seen[seenKey{'a', raw}] = len(x.links)
	x.links = append(x.links, rawURL{raw: raw})
	return len(x.links) - 1
}

func (x *extractor) addImage(raw, alt string) {
	if raw == "" || !maybeHTTP(raw) {
		return
	}
	if i, ok := x.seen[seenKey{'i', raw}]; ok {
		if x.images[i].text == "" {
			x.images[i].text = collapse(alt, maxAnchor)
		}
		return
	}
	if len(x.images) >= x.lim.MaxImages*2 {
		x.full = true
		return
	}
	if x.seen == nil {
		x.seen = make(map[seenKey]int)
	}
	x.seen[seenKey{'i', raw}] = len(x.images)
	x.images = append(x.images, rawURL{raw: raw, text: collapse(alt, maxAnchor)})
}

// page resolves the URLs and returns the page.
func (x *extractor) page(docURL *url.URL) *Page {
	text := x.out.String()
	if x.out.b.Cap()-len(text) > len(text)/2+4096 {
		text = strings.Clone(text) // do not keep a much larger buffer alive
	}
	p := &Page{Title: x.title, Text: text, Truncated: x.out.truncated || x.full}
	if p.Title == "" {
		p.Title = x.ogTitle
	}
	base := docURL
	if x.hasBase {
		if u := resolve(docURL, x.baseHref); u != nil {
			base = u
		}
	}
	var truncated bool
	p.Links, truncated = dedup(base, x.links, x.lim.MaxLinks, func(u string, r rawURL) Link { return Link{URL: u, Text: r.text} },
		func(l *Link, r rawURL) {
			if l.Text == "" {
				l.Text = r.text
			}
		})
	p.Truncated = p.Truncated || truncated
	p.Images, truncated = dedup(base, x.images, x.lim.MaxImages, func(u string, r rawURL) Image { return Image{URL: u, Alt: r.text} },
		func(im *Image, r rawURL) {
			if im.Alt == "" {
				im.Alt = r.text
			}
		})
	p.Truncated = p.Truncated || truncated
	p.Frames, truncated = dedup(base, x.frames, x.lim.MaxFrames, func(u string, _ rawURL) string { return u }, func(*string, rawURL) {})
	p.Truncated = p.Truncated || truncated
	if u := resolve(base, x.refresh); u != nil {
		p.Refresh = u.String()
	}
	if u := resolve(base, x.canon); u != nil {
		p.Canonical = u.String()
	}
	return p
}

// dedup resolves raw URLs and keeps the first of each, at most max.
func dedup[T any](base *url.URL, raws []rawURL, max int, mk func(string, rawURL) T, merge func(*T, rawURL)) ([]T, bool) {
	if len(raws) == 0 {
		return nil, false
	}
	out := make([]T, 0, min(len(raws), max))
	index := make(map[string]int, min(len(raws), max))
	for _, r := range raws {
		u := resolve(base, r.raw)
		if u == nil {
			continue
		}
		s := u.String()
		if i, ok := index[s]; ok {
			merge(&out[i], r)
			continue
		}
		if len(out) >= max {
			return out, true
		}
		index[s] = len(out)
		out = append(out, mk(s, r))
	}
	if len(out) == 0 {
		return nil, false // none, as before
	}
	return out, false
}

// maybeHTTP is false for URLs that can never resolve to http(s): those
// with another scheme, such as javascript: or data:.
func maybeHTTP(raw string) bool {
	raw = cleanURL(raw)
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == ':':
			s := strings.ToLower(raw[:i])
			return s == "http" || s == "https"
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return true // no scheme: relative
		}
	}
	return true
}

// cleanURL strips what browsers strip from a URL attribute: surrounding
// whitespace, and tabs and newlines anywhere.
func cleanURL(raw string) string {
	raw = strings.Trim(raw, " \t\n\r\f")
	if strings.ContainsAny(raw, "\t\n\r") {
		raw = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(raw)
	}
	return raw
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

// parseSrcset returns the URLs of a srcset attribute, following the HTML
// standard's parsing of image candidate strings (a URL may hold commas; a
// descriptor such as "2x" or "640w" follows it).
func parseSrcset(s string) []string {
	var urls []string
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }
	for i := 0; i < len(s) && len(urls) < 64; {
		for i < len(s) && (isSpace(s[i]) || s[i] == ',') {
			i++
		}
		start := i
		for i < len(s) && !isSpace(s[i]) {
			i++
		}
		u := s[start:i]
		if strings.HasSuffix(u, ",") {
			u = strings.TrimRight(u, ",")
		} else {
			// Skip the descriptors, up to a comma outside parentheses.
			depth := 0
			for ; i < len(s); i++ {
				c := s[i]
				if c == '(' {
					depth++
				} else if c == ')' && depth > 0 {
					depth--
				} else if c == ',' && depth == 0 {
					break
				}
			}
		}
		if u != "" {
			urls = append(urls, u)
		}
	}
	return urls
}

// attrList holds a tag's attributes as the tokenizer returns them, valid
// until its next token; the first of each name counts, as in browsers.
type attrList []attr

type attr struct{ key, val []byte }

// readAttrs reads the current tag's attributes (at most 256) into a.
func readAttrs(z *html.Tokenizer, a attrList) attrList {
	for more := true; more && len(a) < 256; {
		var k, v []byte
		k, v, more = z.TagAttr()
		if k == nil && v == nil && !more {
			break // no attributes at all
		}
		a = append(a, attr{k, v})
	}
	return a
}

func (a attrList) lookup(k string) (string, bool) {
	for _, at := range a {
		if string(at.key) == k {
			return string(at.val), true
		}
	}
	return "", false
}

func (a attrList) get(k string) string {
	v, _ := a.lookup(k)
	return v
}

// tagName returns the current tag's name as TagName does (lower case,
// NUL as U+FFFD), without copying it for the names HTML knows.
func tagName(z *html.Tokenizer) string {
	// The raw token is "<name…" or "</name…"; the name ends at
	// whitespace, '/' or '>' (see the tokenizer's readTagName).
	raw := z.Raw()
	i := 1
	if len(raw) > 1 && raw[1] == '/' {
		i = 2
	}
	j := i
	for j < len(raw) {
		c := raw[j]
		if c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '/' || c == '>' {
			break
		}
		if 'A' <= c && c <= 'Z' || c == 0 {
			j = -1 // let the tokenizer lower it and replace NULs
			break
		}
		j++
	}
	if j > i && len(raw) > 0 && raw[0] == '<' {
		if a := atom.Lookup(raw[i:j]); a != 0 {
			return a.String()
		}
		return string(raw[i:j])
	}
	name, _ := z.TagName()
	if a := atom.Lookup(name); a != 0 {
		return a.String()
	}
	return string(name)
}

// collapse returns s on one line, whitespace collapsed, in at most max
// bytes.
func collapse(s string, max int) string {
	w := textWriter{max: max}
	w.write([]byte(s))
	return w.String()
}

// sep is a separator between two pieces of text; of those that meet
// between two pieces, the strongest is written.
type sep uint8

const (
	sepNone  sep = iota
	sepSpace     // " "
	sepCell      // "\t"
	sepLine      // "\n"
	sepPara      // "\n\n"
)

// textWriter writes text with collapsed whitespace and separators. A
// separator is written only between two pieces of text, never at the start
// or the end.
//
// It works on runs of characters that are written as they are (no
// whitespace, nothing invisible, no invalid byte), copied at once; each
// character of a run would be written the same way alone.
type textWriter struct {
	b           strings.Builder
	max         int
	pending     sep
	newlines    int // newlines at the end of b
	dropNewline bool
	truncated   bool
	sizeHint    int // the size to grow b to at first, if known
}

func (w *textWriter) String() string { return w.b.String() }

func (w *textWriter) sep(s sep) {
	if s > w.pending {
		w.pending = s
	}
}

// asciiClass classifies the ASCII bytes: printable ones are written as
// they are; whitespace collapses; the other control characters are
// invisible.
var asciiClass = func() (c [utf8.RuneSelf]byte) {
	for i := range c {
		switch r := rune(i); {
		case isSpace(r):
			c[i] = classSpace
		case invisible(r):
			c[i] = classInvisible
		default:
			c[i] = classPrintable
		}
	}
	return c
}()

const (
	classPrintable = iota
	classSpace
	classInvisible
)

// printableRun returns the length of the run of characters at the start of
// b that are written as they are: neither whitespace nor invisible, and
// valid UTF-8. Inside a run, a single space before such a character is
// part of it (after a written character, no separator is pending and a
// space writes itself); in preformatted text (pre), spaces and tabs are.
func printableRun(b []byte, pre bool) int {
	i := 0
	for i < len(b) {
		c := b[i]
		if c < utf8.RuneSelf {
			switch {
			case asciiClass[c] == classPrintable:
				i++
				continue
			case pre && (c == ' ' || c == '\t'):
				i++
				continue
			case c != ' ' || i == 0 || i+1 == len(b):
				return i
			}
			// A space: part of the run if a written character follows.
			if n := b[i+1]; n < utf8.RuneSelf {
				if asciiClass[n] != classPrintable {
					return i
				}
				i += 2
				continue
			}
			if printableRune(b[i+1:]) == 0 {
				return i
			}
			i++
			continue
		}
		n := printableRune(b[i:])
		if n == 0 {
			return i
		}
		i += n
	}
	return i
}

// printableRune returns the size of the character at the start of b, not
// ASCII, if it is written as it is (valid, neither whitespace nor
// invisible), else 0.
func printableRune(b []byte) int {
	r, n := utf8.DecodeRune(b)
	if r == utf8.RuneError && n == 1 || isSpace(r) || invisible(r) {
		return 0
	}
	return n
}

// write writes text whose whitespace collapses.
func (w *textWriter) write(b []byte) {
	w.dropNewline = false
	for len(b) > 0 && !w.truncated {
		if n := printableRun(b, false); n > 0 {
			w.flush()
			w.addRun(b[:n])
			b = b[n:]
			continue
		}
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		switch {
		case isSpace(r):
			w.sep(sepSpace)
		case invisible(r):
		default: // an invalid byte: U+FFFD
			w.emit(r)
		}
	}
}

// writePre writes preformatted text: spaces, tabs and newlines kept.
func (w *textWriter) writePre(b []byte) {
	for len(b) > 0 && !w.truncated {
		if w.dropNewline {
			w.dropNewline = false
			if b[0] == '\n' { // the tokenizer made \r\n and \r into \n
				b = b[1:]
				continue
			}
		}
		if n := printableRun(b, true); n > 0 {
			w.flush()
			w.addRun(b[:n])
			b = b[n:]
			continue
		}
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		switch {
		case r == '\n':
			w.flush()
			if w.b.Len() > 0 {
				w.add(r)
			}
		case r == ' ' || r == '\t':
			w.flush()
			w.add(r)
		case isSpace(r):
			w.emit(' ')
		case invisible(r):
		default: // an invalid byte: U+FFFD
			w.emit(r)
		}
	}
}

// flush writes the pending separator, if there is text before it.
func (w *textWriter) flush() {
	s := w.pending
	w.pending = sepNone
	if s == sepNone || w.b.Len() == 0 {
		return
	}
	switch s {
	case sepSpace:
		if w.newlines == 0 {
			w.add(' ')
		}
	case sepCell:
		if w.newlines == 0 {
			w.add('\t')
		}
	case sepLine:
		if w.newlines == 0 {
			w.add('\n')
		}
	case sepPara:
		for w.newlines < 2 && w.add('\n') {
		}
	}
}

func (w *textWriter) emit(r rune) {
	w.flush()
	w.add(r)
}

func (w *textWriter) add(r rune) bool {
	if w.truncated {
		return false
	}
	if w.b.Len()+utf8.RuneLen(r) > w.max {
		w.truncated = true
		return false
	}
	w.b.WriteRune(r)
	if r == '\n' {
		w.newlines++
	} else {
		w.newlines = 0
	}
	return true
}

// addRun adds a run of valid UTF-8 without newlines (see printableRun), as
// far as it fits: what add does for each of its characters.
func (w *textWriter) addRun(run []byte) {
	if w.truncated || len(run) == 0 {
		return
	}
	if room := w.max - w.b.Len(); len(run) > room {
		// Cut at a character boundary, as add would stop.
		for room > 0 && !utf8.RuneStart(run[room]) {
			room--
		}
		run = run[:room]
		w.truncated = true
		if len(run) == 0 {
			return
		}
	}
	if w.b.Cap() == 0 {
		// A first guess at the text's size, so that it is not regrown
		// from a few bytes up.
		w.b.Grow(min(w.max, max(len(run), w.sizeHint)))
	}
	w.b.Write(run)
	w.newlines = 0
}

// isSpace is true for whitespace that collapses: HTML's and Unicode's,
// no-break spaces included (the text is for reading and searching, not
// for layout).
func isSpace(r rune) bool {
	return unicode.IsSpace(r) || r == '\u00a0' || r == '\u202f' || r == '\u2007'
}

// invisible is true for characters that show nothing but would split a
// word for a search: soft hyphens, zero-width spaces and word joiners (used
// to dodge filters), byte-order marks, and control characters.
func invisible(r rune) bool {
	switch r {
	case '\u00ad', '\u200b', '\u2060', '\ufeff', '\u180e':
		return true
	}
	return unicode.IsControl(r)
}
