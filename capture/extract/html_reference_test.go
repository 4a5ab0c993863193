package extract

// The extraction as it was before the hand-written scanner (scan.go): text,
// links and images read with golang.org/x/net/html's tokenizer. It is the
// reference the new code must match exactly, for every input
// (TestHTMLMatchesReference*, FuzzHTMLMatchesReference). Everything it uses
// is its own copy, under names starting with "ref", so that changes to the
// code in use cannot change the reference too; only the output types, the
// limits and their defaults are shared.

import (
	"bytes"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlReference is Limits.HTML as it was.
func htmlReference(l Limits, body []byte, baseURL string) (*Page, error) {
	var base *url.URL
	if baseURL != "" {
		u, err := url.Parse(baseURL)
		if err != nil || !refHttpURL(u) {
			return nil, ErrBaseURL
		}
		base = u
	}
	l = l.withDefaults()
	x := &refExtractor{lim: l, out: refTextWriter{max: l.MaxText, sizeHint: len(body) * 3 / 4}}
	x.run(body, false)
	return x.page(base), nil
}

// refBlockBreak holds the elements around which text breaks: into lines,
// paragraphs (a blank line) or table cells (a tab).
var refBlockBreak = map[string]refSep{
	"address": refSepLine, "article": refSepPara, "aside": refSepPara, "blockquote": refSepPara,
	"body": refSepLine, "br": refSepLine, "caption": refSepLine, "center": refSepLine,
	"dd": refSepLine, "details": refSepLine, "dialog": refSepLine, "dir": refSepPara, "div": refSepLine,
	"dl": refSepPara, "dt": refSepLine, "fieldset": refSepLine, "figcaption": refSepLine,
	"figure": refSepPara, "footer": refSepLine, "form": refSepLine, "frameset": refSepLine,
	"h1": refSepPara, "h2": refSepPara, "h3": refSepPara, "h4": refSepPara, "h5": refSepPara, "h6": refSepPara,
	"header": refSepLine, "hgroup": refSepLine, "hr": refSepPara, "html": refSepLine, "legend": refSepLine,
	"li": refSepLine, "listing": refSepPara, "main": refSepLine, "menu": refSepPara, "nav": refSepLine,
	"ol": refSepPara, "optgroup": refSepLine, "option": refSepLine, "p": refSepPara, "plaintext": refSepPara,
	"pre": refSepPara, "section": refSepPara, "select": refSepLine, "summary": refSepLine,
	"table": refSepPara, "tbody": refSepLine, "textarea": refSepLine, "tfoot": refSepLine,
	"thead": refSepLine, "tr": refSepLine, "ul": refSepPara, "xmp": refSepPara,
	"td": refSepCell, "th": refSepCell,
}

// refSkipped holds the elements whose content is never shown. The tokenizer
// reads the content of script, style, noscript, iframe, noembed, noframes
// (and title) as raw text; template and svg hold markup and are skipped
// until they close (MathML is shown, and kept). The head needs no skipping: what it holds
// (title, meta, link, style, script) writes no text, and text that stands
// in it is shown by browsers.
var refSkipped = map[string]bool{
	"script": true, "style": true, "noscript": true, "template": true, "iframe": true,
	"svg": true, "noembed": true, "noframes": true,
}

// refPreformatted holds the elements whose whitespace is kept.
var refPreformatted = map[string]bool{"pre": true, "listing": true, "textarea": true, "plaintext": true, "xmp": true}

// refTagProps is what blockBreak, skipped and preformatted say of an element,
// in one lookup.
type refTagProp struct {
	refSep          refSep // sepNone: no break
	refSkipped, pre bool
}

var refTagProps = func() map[string]refTagProp {
	m := make(map[string]refTagProp)
	for k, v := range refBlockBreak {
		p := m[k]
		p.refSep = v
		m[k] = p
	}
	for k := range refSkipped {
		p := m[k]
		p.refSkipped = true
		m[k] = p
	}
	for k := range refPreformatted {
		p := m[k]
		p.pre = true
		m[k] = p
	}
	return m
}()

// refVisibleInput holds the <input> types whose value is shown as text.
var refVisibleInput = map[string]bool{"": true, "text": true, "search": true, "email": true, "tel": true,
	"url": true, "button": true, "submit": true, "reset": true}

// refLazySrc holds the attributes of <img> that hold its URL, including those
// of lazy-loading scripts; lazySrcset those that hold a srcset.
var (
	refLazySrc    = [...]string{"src", "data-src", "data-lazy-src", "data-original", "data-lazy", "data-url", "data-hi-res-src"}
	refLazySrcset = [...]string{"srcset", "data-srcset", "data-lazy-srcset"}
)

// refRawURL is a URL as written in the page, resolved at the end once the
// <base href> is known (it applies to the whole document, wherever it is).
type refRawURL struct {
	raw, text string
}

type refExtractor struct {
	lim Limits
	out refTextWriter

	title    string
	hasTitle bool
	ogTitle  string
	baseHref string
	hasBase  bool
	refresh  string
	canon    string

	links  []refRawURL
	images []refRawURL
	frames []refRawURL
	seen   map[refSeenKey]int // kind and raw URL → index, to deduplicate early
	full   bool               // a raw list reached its bound

	skip    []string      // open skipped elements (bounded)
	pre     int           // depth of preformatted elements
	anchor  int           // index+1 in links of the open <a>, or 0
	anchorW refTextWriter // the open <a>'s text

	attrBuf refAttrList // reused by readAttrs
}

// refSeenKey is a raw URL of a kind: 'a' for links, 'i' for images.
type refSeenKey struct {
	kind byte
	raw  string
}

// run reads one document. urlsOnly reads the inside of a <noscript> for
// its images only.
func (x *refExtractor) run(body []byte, urlsOnly bool) {
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
			n := refTagName(z)
			// In HTML "/>" closes only void and foreign elements: <div/>
			// opens a div. Of the foreign ones, only svg matters here.
			selfClosing := tt == html.SelfClosingTagToken && n == "svg"
			x.start(z, n, selfClosing, urlsOnly)
		case html.EndTagToken:
			x.end(refTagName(z), urlsOnly)
		}
	}
}

func (x *refExtractor) text(b []byte) {
	if x.pre > 0 {
		x.out.writePre(b)
	} else {
		x.out.write(b)
	}
	if x.anchor > 0 {
		x.anchorW.write(b)
	}
}

func (x *refExtractor) refSep(s refSep) {
	x.out.refSep(s)
	if x.anchor > 0 {
		x.anchorW.refSep(refSepSpace)
	}
}

// closeAnchor ends the open <a>, keeping its text.
func (x *refExtractor) closeAnchor() {
	if x.anchor > 0 {
		if l := &x.links[x.anchor-1]; l.text == "" {
			// The writer collapsed it already (it is only given spaces
			// for separators), but for a space left at the end when it
			// was cut off.
			l.text = x.anchorW.String()
			if x.anchorW.truncated {
				l.text = refCollapse(l.text, maxAnchor)
			}
		}
	}
	x.anchor = 0
	x.anchorW = refTextWriter{max: maxAnchor, sizeHint: 32}
}

func (x *refExtractor) start(z *html.Tokenizer, name string, selfClosing, urlsOnly bool) {
	if len(x.skip) > 0 {
		if refSkipped[name] && !selfClosing && len(x.skip) < maxSkipNest {
			x.skip = append(x.skip, name)
		}
		return
	}
	// Only these elements' attributes are read: the tokenizer copies every
	// attribute it returns.
	var attrs refAttrList
	switch name {
	case "base", "meta", "link", "a", "area", "img", "source", "image", "video", "input", "iframe", "frame":
		attrs = refReadAttrs(z, x.attrBuf[:0])
		x.attrBuf = attrs[:0]
	}
	switch name {
	case "title":
		// RCDATA: the next token is the whole title.
		if z.Next() == html.TextToken && !x.hasTitle && !urlsOnly {
			if t := refCollapse(string(z.Text()), maxTitle); t != "" {
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
		for _, k := range refLazySrc {
			if name == "source" && k == "src" {
				continue // the src of a <source> is audio or video
			}
			x.addImage(attrs.get(k), alt)
		}
		if name == "image" { // <image> is an old name of <img>
			x.addImage(attrs.get("href"), alt)
		}
		for _, k := range refLazySrcset {
			for _, u := range refParseSrcset(attrs.get(k)) {
				x.addImage(u, alt)
			}
		}
		if x.anchor > 0 && alt != "" && !urlsOnly {
			x.anchorW.refSep(refSepSpace)
			x.anchorW.write([]byte(alt)) // a linked image's alt names the link
			x.anchorW.refSep(refSepSpace)
		}
	case "video":
		x.addImage(attrs.get("poster"), "")
	case "input":
		typ := strings.ToLower(strings.TrimSpace(attrs.get("type")))
		if typ == "image" {
			x.addImage(attrs.get("src"), attrs.get("alt"))
		}
		if !urlsOnly && refVisibleInput[typ] {
			if v := attrs.get("value"); v != "" {
				x.refSep(refSepSpace)
				x.text([]byte(v))
				x.refSep(refSepSpace)
			}
		}
	case "iframe", "frame":
		if src := attrs.get("src"); src != "" && refMaybeHTTP(src) && len(x.frames) < x.lim.MaxFrames*2 {
			x.frames = append(x.frames, refRawURL{raw: src})
		}
	}
	if urlsOnly {
		return
	}
	p := refTagProps[name]
	if p.refSkipped {
		if !selfClosing {
			x.skip = append(x.skip, name)
		}
		return
	}
	if p.refSep != refSepNone {
		x.refSep(p.refSep)
	}
	if p.pre {
		x.pre++
		x.out.dropNewline = true // HTML drops a newline right after <pre>
	}
}

func (x *refExtractor) end(name string, urlsOnly bool) {
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
	p := refTagProps[name]
	if p.refSep != refSepNone {
		x.refSep(p.refSep)
	}
	if p.pre && x.pre > 0 {
		x.pre--
	}
}

func (x *refExtractor) meta(attrs refAttrList) {
	prop := strings.ToLower(strings.TrimSpace(attrs.get("property")))
	if prop == "" {
		prop = strings.ToLower(strings.TrimSpace(attrs.get("name")))
	}
	switch prop {
	case "og:title":
		if x.ogTitle == "" {
			x.ogTitle = refCollapse(attrs.get("content"), maxTitle)
		}
	case "og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src":
		x.addImage(attrs.get("content"), "")
	}
	if strings.EqualFold(strings.TrimSpace(attrs.get("http-equiv")), "refresh") && x.refresh == "" {
		x.refresh = refRefreshURL(attrs.get("content"))
	}
}

// refRefreshURL returns the URL of a refresh's content such as "0; url=/next".
func refRefreshURL(c string) string {
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
func (x *refExtractor) addLink(raw string) int {
	if !refMaybeHTTP(raw) {
		return -1
	}
	if i, ok := x.seen[refSeenKey{'a', raw}]; ok {
		return i
	}
	// Raw URLs are bounded at twice the limit: some may resolve to the
	// same URL.
	if len(x.links) >= x.lim.MaxLinks*2 {
		x.full = true
		return -1
	}
	if x.seen == nil {
		x.seen = make(map[refSeenKey]int)
	}
	x.seen[refSeenKey{'a', raw}] = len(x.links)
	x.links = append(x.links, refRawURL{raw: raw})
	return len(x.links) - 1
}

func (x *refExtractor) addImage(raw, alt string) {
	if raw == "" || !refMaybeHTTP(raw) {
		return
	}
	if i, ok := x.seen[refSeenKey{'i', raw}]; ok {
		if x.images[i].text == "" {
			x.images[i].text = refCollapse(alt, maxAnchor)
		}
		return
	}
	if len(x.images) >= x.lim.MaxImages*2 {
		x.full = true
		return
	}
	if x.seen == nil {
		x.seen = make(map[refSeenKey]int)
	}
	x.seen[refSeenKey{'i', raw}] = len(x.images)
	x.images = append(x.images, refRawURL{raw: raw, text: refCollapse(alt, maxAnchor)})
}

// page resolves the URLs and returns the page.
func (x *refExtractor) page(docURL *url.URL) *Page {
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
		if u := refResolve(docURL, x.baseHref); u != nil {
			base = u
		}
	}
	var truncated bool
	p.Links, truncated = refDedup(base, x.links, x.lim.MaxLinks, func(u string, r refRawURL) Link { return Link{URL: u, Text: r.text} },
		func(l *Link, r refRawURL) {
			if l.Text == "" {
				l.Text = r.text
			}
		})
	p.Truncated = p.Truncated || truncated
	p.Images, truncated = refDedup(base, x.images, x.lim.MaxImages, func(u string, r refRawURL) Image { return Image{URL: u, Alt: r.text} },
		func(im *Image, r refRawURL) {
			if im.Alt == "" {
				im.Alt = r.text
			}
		})
	p.Truncated = p.Truncated || truncated
	p.Frames, truncated = refDedup(base, x.frames, x.lim.MaxFrames, func(u string, _ refRawURL) string { return u }, func(*string, refRawURL) {})
	p.Truncated = p.Truncated || truncated
	if u := refResolve(base, x.refresh); u != nil {
		p.Refresh = u.String()
	}
	if u := refResolve(base, x.canon); u != nil {
		p.Canonical = u.String()
	}
	return p
}

// refDedup resolves raw URLs and keeps the first of each, at most max.
func refDedup[T any](base *url.URL, raws []refRawURL, max int, mk func(string, refRawURL) T, merge func(*T, refRawURL)) ([]T, bool) {
	if len(raws) == 0 {
		return nil, false
	}
	out := make([]T, 0, min(len(raws), max))
	index := make(map[string]int, min(len(raws), max))
	for _, r := range raws {
		u := refResolve(base, r.raw)
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

// refMaybeHTTP is false for URLs that can never resolve to http(s): those
// with another scheme, such as javascript: or data:.
func refMaybeHTTP(raw string) bool {
	raw = refCleanURL(raw)
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

// refCleanURL strips what browsers strip from a URL attribute: surrounding
// whitespace, and tabs and newlines anywhere.
func refCleanURL(raw string) string {
	raw = strings.Trim(raw, " \t\n\r\f")
	if strings.ContainsAny(raw, "\t\n\r") {
		raw = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(raw)
	}
	return raw
}

// refResolve resolves raw against base and returns it when it is an http(s)
// URL with a host; the host in lower case, without the fragment unless it
// is a client-side route ("#!/user/1", "#/user/1").
func refResolve(base *url.URL, raw string) *url.URL {
	raw = refCleanURL(raw)
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
	if !refHttpURL(u) {
		return nil
	}
	u.Host = strings.ToLower(u.Host)
	if f := u.Fragment; f == "" || (f[0] != '!' && f[0] != '/') {
		u.Fragment, u.RawFragment = "", ""
	}
	return u
}

func refHttpURL(u *url.URL) bool {
	return (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.Opaque == ""
}

// refParseSrcset returns the URLs of a srcset attribute, following the HTML
// standard's parsing of image candidate strings (a URL may hold commas; a
// descriptor such as "2x" or "640w" follows it).
func refParseSrcset(s string) []string {
	var urls []string
	refIsSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }
	for i := 0; i < len(s) && len(urls) < 64; {
		for i < len(s) && (refIsSpace(s[i]) || s[i] == ',') {
			i++
		}
		start := i
		for i < len(s) && !refIsSpace(s[i]) {
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

// refAttrList holds a tag's attributes as the tokenizer returns them, valid
// until its next token; the first of each name counts, as in browsers.
type refAttrList []refAttr

type refAttr struct{ key, val []byte }

// refReadAttrs reads the current tag's attributes (at most 256) into a.
func refReadAttrs(z *html.Tokenizer, a refAttrList) refAttrList {
	for more := true; more && len(a) < 256; {
		var k, v []byte
		k, v, more = z.TagAttr()
		if k == nil && v == nil && !more {
			break // no attributes at all
		}
		a = append(a, refAttr{k, v})
	}
	return a
}

func (a refAttrList) lookup(k string) (string, bool) {
	for _, at := range a {
		if string(at.key) == k {
			return string(at.val), true
		}
	}
	return "", false
}

func (a refAttrList) get(k string) string {
	v, _ := a.lookup(k)
	return v
}

// refTagName returns the current tag's name as TagName does (lower case,
// NUL as U+FFFD), without copying it for the names HTML knows.
func refTagName(z *html.Tokenizer) string {
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

// refCollapse returns s on one line, whitespace collapsed, in at most max
// bytes.
func refCollapse(s string, max int) string {
	w := refTextWriter{max: max}
	w.write([]byte(s))
	return w.String()
}

// refSep is a separator between two pieces of text; of those that meet
// between two pieces, the strongest is written.
type refSep uint8

const (
	refSepNone  refSep = iota
	refSepSpace        // " "
	refSepCell         // "\t"
	refSepLine         // "\n"
	refSepPara         // "\n\n"
)

// refTextWriter writes text with collapsed whitespace and separators. A
// separator is written only between two pieces of text, never at the start
// or the end.
//
// It works on runs of characters that are written as they are (no
// whitespace, nothing invisible, no invalid byte), copied at once; each
// character of a run would be written the same way alone.
type refTextWriter struct {
	b           strings.Builder
	max         int
	pending     refSep
	newlines    int // newlines at the end of b
	dropNewline bool
	truncated   bool
	sizeHint    int // the size to grow b to at first, if known
}

func (w *refTextWriter) String() string { return w.b.String() }

func (w *refTextWriter) refSep(s refSep) {
	if s > w.pending {
		w.pending = s
	}
}

// refAsciiClass classifies the ASCII bytes: printable ones are written as
// they are; whitespace collapses; the other control characters are
// refInvisible.
var refAsciiClass = func() (c [utf8.RuneSelf]byte) {
	for i := range c {
		switch r := rune(i); {
		case refIsSpace(r):
			c[i] = refClassSpace
		case refInvisible(r):
			c[i] = refClassInvisible
		default:
			c[i] = refClassPrintable
		}
	}
	return c
}()

const (
	refClassPrintable = iota
	refClassSpace
	refClassInvisible
)

// refPrintableRun returns the length of the run of characters at the start of
// b that are written as they are: neither whitespace nor invisible, and
// valid UTF-8. Inside a run, a single space before such a character is
// part of it (after a written character, no separator is pending and a
// space writes itself); in preformatted text (pre), spaces and tabs are.
func refPrintableRun(b []byte, pre bool) int {
	i := 0
	for i < len(b) {
		c := b[i]
		if c < utf8.RuneSelf {
			switch {
			case refAsciiClass[c] == refClassPrintable:
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
				if refAsciiClass[n] != refClassPrintable {
					return i
				}
				i += 2
				continue
			}
			if refPrintableRune(b[i+1:]) == 0 {
				return i
			}
			i++
			continue
		}
		n := refPrintableRune(b[i:])
		if n == 0 {
			return i
		}
		i += n
	}
	return i
}

// refPrintableRune returns the size of the character at the start of b, not
// ASCII, if it is written as it is (valid, neither whitespace nor
// refInvisible), else 0.
func refPrintableRune(b []byte) int {
	r, n := utf8.DecodeRune(b)
	if r == utf8.RuneError && n == 1 || refIsSpace(r) || refInvisible(r) {
		return 0
	}
	return n
}

// write writes text whose whitespace collapses.
func (w *refTextWriter) write(b []byte) {
	w.dropNewline = false
	for len(b) > 0 && !w.truncated {
		if n := refPrintableRun(b, false); n > 0 {
			w.flush()
			w.addRun(b[:n])
			b = b[n:]
			continue
		}
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		switch {
		case refIsSpace(r):
			w.refSep(refSepSpace)
		case refInvisible(r):
		default: // an invalid byte: U+FFFD
			w.emit(r)
		}
	}
}

// writePre writes preformatted text: spaces, tabs and newlines kept.
func (w *refTextWriter) writePre(b []byte) {
	for len(b) > 0 && !w.truncated {
		if w.dropNewline {
			w.dropNewline = false
			if b[0] == '\n' { // the tokenizer made \r\n and \r into \n
				b = b[1:]
				continue
			}
		}
		if n := refPrintableRun(b, true); n > 0 {
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
		case refIsSpace(r):
			w.emit(' ')
		case refInvisible(r):
		default: // an invalid byte: U+FFFD
			w.emit(r)
		}
	}
}

// flush writes the pending separator, if there is text before it.
func (w *refTextWriter) flush() {
	s := w.pending
	w.pending = refSepNone
	if s == refSepNone || w.b.Len() == 0 {
		return
	}
	switch s {
	case refSepSpace:
		if w.newlines == 0 {
			w.add(' ')
		}
	case refSepCell:
		if w.newlines == 0 {
			w.add('\t')
		}
	case refSepLine:
		if w.newlines == 0 {
			w.add('\n')
		}
	case refSepPara:
		for w.newlines < 2 && w.add('\n') {
		}
	}
}

func (w *refTextWriter) emit(r rune) {
	w.flush()
	w.add(r)
}

func (w *refTextWriter) add(r rune) bool {
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
func (w *refTextWriter) addRun(run []byte) {
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

// refIsSpace is true for whitespace that collapses: HTML's and Unicode's,
// no-break spaces included (the text is for reading and searching, not
// for layout).
func refIsSpace(r rune) bool {
	return unicode.IsSpace(r) || r == '\u00a0' || r == '\u202f' || r == '\u2007'
}

// refInvisible is true for characters that show nothing but would split a
// word for a search: soft hyphens, zero-width spaces and word joiners (used
// to dodge filters), byte-order marks, and control characters.
func refInvisible(r rune) bool {
	switch r {
	case '\u00ad', '\u200b', '\u2060', '\ufeff', '\u180e':
		return true
	}
	return unicode.IsControl(r)
}
