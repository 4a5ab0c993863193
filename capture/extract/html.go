// Package extract reads what a captured page says and shows: its readable
// text, title, links and images from HTML, and the hashes of images.
//
// Every input is hostile. HTML is read in one pass by a scanner that cuts
// and decodes it exactly as the tokenizer of golang.org/x/net/html does
// (scan.go; memory stays close to the size of the input and of the bounded
// output, whatever the nesting), every output is bounded, and nothing here
// panics on malformed input (FuzzHTML checks it).
package extract

import (
	"encoding/binary"
	"errors"
	"hash/maphash"
	"iter"
	"math/bits"
	"net/url"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
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
	s := scratchPool.Get().(*scratch)
	defer s.release()
	// The text of a page is usually half to two thirds of its HTML, often
	// much less.
	x := &extractor{lim: l, out: textWriter{b: s.text[:0], max: l.MaxText, sizeHint: len(body) * 3 / 4},
		anchorW: textWriter{b: s.anchor[:0], max: maxAnchor, sizeHint: 32}, scratch: s}
	s.reset(min(len(body)/256, 1024))
	x.run(body, false)
	p := x.page(base)
	s.text, s.anchor = x.out.b[:0], x.anchorW.b[:0]
	return p, nil
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

// skipped holds the elements whose content is never shown. The scanner
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

// tagProps is what blockBreak, skipped and preformatted say of an element
// (tagInfos holds it by tagID).
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
// It points into the extraction's buffers rather than holding strings: a
// page has dozens of links, and one string each was most of the
// extraction's allocations.
type rawURL struct {
	// The URL as written is scratch.raws[r0:r1].
	r0, r1 int
	// Its text (a link's, an image's alt) is scratch.texts[t0:t1].
	t0, t1 int
}

type extractor struct {
	lim Limits
	out textWriter

	title    span // in texts
	hasTitle bool
	ogTitle  span // in texts
	baseHref string
	hasBase  bool
	refresh  string
	canon    span // in raws

	full bool // a raw list reached its bound

	skip    []tagID    // open skipped elements (bounded)
	pre     int        // depth of preformatted elements
	anchor  int        // index+1 in links of the open <a>, or 0
	anchorW textWriter // the open <a>'s text

	*scratch
}

// scratch holds an extraction's buffers, reused by the next (nothing of
// them is in the Page returned).
type scratch struct {
	text, anchor, textBuf, urls []byte
	collapsed                   []byte // collapse's output, before it is kept
	attrs                       []attrSpan
	vals                        []byte
	resolved                    []span

	// The raw URLs found, one after the other (rawURL's r0, r1), and the
	// links' texts and images' alts (t0, t1).
	raws, texts           []byte
	links, images, frames []rawURL
	// The raw URLs of links and images, to deduplicate them early; then
	// the resolved URLs, to deduplicate those (page).
	seenLinks, seenImages spanSet
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// maxPooled is the largest buffer kept for the next extraction.
const maxPooled = 256 << 10

// reset makes s ready for an extraction of a page that may have about
// hint links.
func (s *scratch) reset(hint int) {
	s.raws, s.texts = s.raws[:0], s.texts[:0]
	s.links, s.images, s.frames = s.links[:0], s.images[:0], s.frames[:0]
	s.seenLinks.reset(hint)
	s.seenImages.reset(0)
}

func (s *scratch) release() {
	const maxURLs = maxPooled / 32 // rawURLs or set entries
	if cap(s.text) > maxPooled || cap(s.urls) > maxPooled || cap(s.collapsed) > maxPooled ||
		cap(s.textBuf) > maxPooled || cap(s.vals) > maxPooled || cap(s.attrs) > 4*maxAttrs || cap(s.resolved) > maxPooled/8 ||
		cap(s.raws) > maxPooled || cap(s.texts) > maxPooled ||
		cap(s.links) > maxURLs || cap(s.images) > maxURLs || cap(s.frames) > maxURLs ||
		cap(s.seenLinks.slots) > maxURLs || cap(s.seenImages.slots) > maxURLs {
		return
	}
	scratchPool.Put(s)
}

// spanSet is a set of byte strings that a buffer holds, each with a value
// (a non-negative int): a map[string]int whose keys need not be made
// strings. It is open addressing with linear probing, at most half full,
// hashed with a seed of the process's own (maphash), so that a page cannot
// choose URLs that collide.
type spanSet struct {
	slots []spanSlot // a power of two of them
	n     int        // slots in use
}

type spanSlot struct {
	start, end int // the key is the buffer's [start:end]
	hash       uint64
	val        int // the value + 1; 0 for an empty slot
}

var spanSeed = maphash.MakeSeed()

// reset empties s, with room for about hint keys. It keeps the slots it
// has, so that a set that grew for one page need not grow again for the
// next, but not too many of them: a page with few links after one with
// many clears only some.
func (s *spanSet) reset(hint int) {
	n := 8
	for n < 2*hint {
		n *= 2
	}
	if cap(s.slots) < n {
		s.slots = make([]spanSlot, n)
	} else {
		for n < 512 && 2*n <= cap(s.slots) {
			n *= 2
		}
		s.slots = s.slots[:n]
		clear(s.slots)
	}
	s.n = 0
}

// find returns the slot of key in buf: the one that holds it (its val
// above 0), else the empty one where add puts it; and key's hash.
func (s *spanSet) find(buf, key []byte) (int, uint64) {
	h := maphash.Bytes(spanSeed, key)
	mask := len(s.slots) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		e := &s.slots[i]
		if e.val == 0 || e.hash == h && string(buf[e.start:e.end]) == string(key) {
			return i, h
		}
	}
}

// add puts the key buf[start:end] with its value v in slot i, as find
// returned it (with hash h) for that key, nothing added since.
func (s *spanSet) add(i int, h uint64, start, end, v int) {
	s.slots[i] = spanSlot{start: start, end: end, hash: h, val: v + 1}
	s.n++
	if 2*s.n > len(s.slots) {
		old := s.slots
		s.slots = make([]spanSlot, 2*len(old))
		mask := len(s.slots) - 1
		for _, e := range old {
			if e.val == 0 {
				continue
			}
			j := int(e.hash) & mask
			for s.slots[j].val != 0 {
				j = (j + 1) & mask
			}
			s.slots[j] = e
		}
	}
}

// run reads one document. urlsOnly reads the inside of a <noscript> for
// its images only.
func (x *extractor) run(body []byte, urlsOnly bool) {
	z := &scanner{b: body}
	if !urlsOnly { // else the outer scanner's are in use
		z.attrs, z.vals = x.attrs[:0], x.vals[:0]
		defer func() { x.attrs, x.vals = z.attrs[:0], z.vals[:0] }()
	}
	for {
		switch z.next() {
		case tokEOF:
			if !urlsOnly {
				x.closeAnchor()
			}
			return
		case tokText:
			if urlsOnly || len(x.skip) > 0 {
				continue
			}
			if x.pre > 0 {
				x.text(z.text(&x.textBuf))
			} else {
				x.text(z.collapsedText(&x.textBuf))
			}
		case tokStart:
			x.start(z, urlsOnly)
		case tokEnd:
			x.end(z.tag, urlsOnly)
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
		if l := &x.links[x.anchor-1]; l.t0 == l.t1 {
			// The writer collapsed it already (it is only given spaces
			// for separators), but for a space left at the end when it
			// was cut off.
			t := x.anchorW.b
			if x.anchorW.truncated {
				c := textWriter{b: x.textBuf[:0], max: maxAnchor}
				c.write(t)
				t, x.textBuf = c.b, c.b
			}
			l.t0 = len(x.texts)
			appendTo(&x.texts, t)
			l.t1 = len(x.texts)
		}
	}
	x.anchor = 0
	x.anchorW.reset()
}

func (x *extractor) start(z *scanner, urlsOnly bool) {
	name := z.tag
	if len(x.skip) > 0 {
		// In HTML "/>" closes only void and foreign elements: <div/>
		// opens a div. Of the foreign ones, only svg matters here (the
		// scanner tells only for svg).
		if tagInfos[name].skipped && !z.selfClosing && len(x.skip) < maxSkipNest {
			push(&x.skip, name)
		}
		return
	}
	// Only these elements' attributes are read (tagInfos' attrs): base,
	// meta, link, a, area, img, source, image, video, input, iframe,
	// frame.
	attrs := z
	switch name {
	case tagTitle:
		// RCDATA: the next token is the whole title (or its end tag,
		// which does nothing).
		if z.next() == tokText && !x.hasTitle && !urlsOnly {
			if t := x.addText(z.text(&x.textBuf), maxTitle); t.end > t.start {
				x.title, x.hasTitle = t, true
			}
		}
		return
	case tagNoscript:
		// Raw text to the tokenizer. Pages put the real <img> of
		// lazy-loaded images there: keep its images, not its text.
		if !urlsOnly && z.next() == tokText {
			var buf []byte
			x.run(z.text(&buf), true)
		}
		return
	case tagBase:
		if href, ok := attrs.lookup("href"); ok && !x.hasBase {
			x.baseHref, x.hasBase = string(href), true
		}
	case tagMeta:
		x.meta(attrs)
	case tagLink:
		canonical, imageSrc := relTypes(attrs.get("rel"))
		if canonical && x.canon.end == x.canon.start {
			href := attrs.get("href")
			x.canon.start = len(x.raws)
			appendTo(&x.raws, href)
			x.canon.end = len(x.raws)
		}
		if imageSrc {
			x.addImage(attrs.get("href"), nil)
		}
	case tagA, tagArea:
		if urlsOnly {
			break
		}
		if name == tagA {
			x.closeAnchor() // an <a> closes the one still open
		}
		if href, ok := attrs.lookup("href"); ok {
			if i := x.addLink(href); i >= 0 && name == tagA {
				x.anchor = i + 1
			}
		}
	case tagImg, tagSource, tagImage:
		alt := attrs.get("alt")
		for _, k := range lazySrc {
			if name == tagSource && k == "src" {
				continue // the src of a <source> is audio or video
			}
			x.addImage(attrs.get(k), alt)
		}
		if name == tagImage { // <image> is an old name of <img>
			x.addImage(attrs.get("href"), alt)
		}
		for _, k := range lazySrcset {
			if v := attrs.get(k); len(v) > 0 {
				for u := range srcsetURLs(v) {
					x.addImage(u, alt)
				}
			}
		}
		if x.anchor > 0 && len(alt) > 0 && !urlsOnly {
			x.anchorW.sep(sepSpace)
			x.anchorW.write(alt) // a linked image's alt names the link
			x.anchorW.sep(sepSpace)
		}
	case tagVideo:
		x.addImage(attrs.get("poster"), nil)
	case tagInput:
		typ := strings.ToLower(strings.TrimSpace(string(attrs.get("type"))))
		if typ == "image" {
			x.addImage(attrs.get("src"), attrs.get("alt"))
		}
		if !urlsOnly && visibleInput[typ] {
			if v := attrs.get("value"); len(v) > 0 {
				x.sep(sepSpace)
				x.text(v)
				x.sep(sepSpace)
			}
		}
	case tagIframe, tagFrame:
		if src := attrs.get("src"); len(src) > 0 && maybeHTTP(src) && len(x.frames) < x.lim.MaxFrames*2 {
			r0 := len(x.raws)
			appendTo(&x.raws, src)
			push(&x.frames, rawURL{r0: r0, r1: len(x.raws)})
		}
	}
	if urlsOnly {
		return
	}
	p := &tagInfos[name]
	if p.skipped {
		if !z.selfClosing {
			push(&x.skip, name)
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

func (x *extractor) end(name tagID, urlsOnly bool) {
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
	if name == tagA {
		x.closeAnchor()
	}
	p := &tagInfos[name]
	if p.sep != sepNone {
		x.sep(p.sep)
	}
	if p.pre && x.pre > 0 {
		x.pre--
	}
}

func (x *extractor) meta(attrs *scanner) {
	prop := strings.ToLower(strings.TrimSpace(string(attrs.get("property"))))
	if prop == "" {
		prop = strings.ToLower(strings.TrimSpace(string(attrs.get("name"))))
	}
	switch prop {
	case "og:title":
		if x.ogTitle.end == x.ogTitle.start {
			x.ogTitle = x.addText(attrs.get("content"), maxTitle)
		}
	case "og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src":
		x.addImage(attrs.get("content"), nil)
	}
	if strings.EqualFold(strings.TrimSpace(string(attrs.get("http-equiv"))), "refresh") && x.refresh == "" {
		x.refresh = refreshURL(string(attrs.get("content")))
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
func (x *extractor) addLink(raw []byte) int {
	if !maybeHTTP(raw) {
		return -1
	}
	slot, h := x.seenLinks.find(x.raws, raw)
	if i := x.seenLinks.slots[slot].val - 1; i >= 0 {
		return i
	}
	// Raw URLs are bounded at twice the limit: some may resolve to the
	// same URL.
	if len(x.links) >= x.lim.MaxLinks*2 {
		x.full = true
		return -1
	}
	r0 := len(x.raws)
	appendTo(&x.raws, raw)
	x.seenLinks.add(slot, h, r0, len(x.raws), len(x.links))
	push(&x.links, rawURL{r0: r0, r1: len(x.raws)})
	return len(x.links) - 1
}

func (x *extractor) addImage(raw, alt []byte) {
	if len(raw) == 0 || !maybeHTTP(raw) {
		return
	}
	slot, h := x.seenImages.find(x.raws, raw)
	if i := x.seenImages.slots[slot].val - 1; i >= 0 {
		if im := &x.images[i]; im.t0 == im.t1 {
			t := x.addText(alt, maxAnchor)
			im.t0, im.t1 = t.start, t.end
		}
		return
	}
	if len(x.images) >= x.lim.MaxImages*2 {
		x.full = true
		return
	}
	r0 := len(x.raws)
	appendTo(&x.raws, raw)
	x.seenImages.add(slot, h, r0, len(x.raws), len(x.images))
	t := x.addText(alt, maxAnchor)
	push(&x.images, rawURL{r0: r0, r1: len(x.raws), t0: t.start, t1: t.end})
}

// addText keeps s collapsed (as collapse makes it, at most max bytes) in
// texts, and returns where.
func (x *extractor) addText(s []byte, max int) span {
	start := len(x.texts)
	appendTo(&x.texts, x.collapse(s, max))
	return span{start, len(x.texts)}
}

// collapse is collapse into a scratch buffer, valid until its next call.
func (x *extractor) collapse(s []byte, max int) []byte {
	if len(s) == 0 {
		return nil
	}
	w := textWriter{b: x.collapsed[:0], max: max}
	w.write(s)
	x.collapsed = w.b
	return w.b
}

// relTypes reports whether a <link>'s rel holds the link types canonical
// and image_src, as strings.Fields and strings.ToLower would find them.
func relTypes(rel []byte) (canonical, imageSrc bool) {
	for _, c := range rel {
		if c >= utf8.RuneSelf {
			// Unicode's spaces separate types too, and a few characters
			// are ASCII letters in lower case (K, the Kelvin sign, is k):
			// that is for strings' functions to tell.
			s := " " + strings.ToLower(strings.Join(strings.Fields(string(rel)), " ")) + " "
			return strings.Contains(s, " canonical "), strings.Contains(s, " image_src ")
		}
	}
	for len(rel) > 0 {
		i := 0
		for i < len(rel) && !asciiSpace(rel[i]) {
			i++
		}
		if t := rel[:i]; len(t) > 0 {
			canonical = canonical || keyIs(t, "canonical")
			imageSrc = imageSrc || keyIs(t, "image_src")
		}
		for i < len(rel) && asciiSpace(rel[i]) {
			i++
		}
		rel = rel[i:]
	}
	return canonical, imageSrc
}

// asciiSpace is unicode.IsSpace for ASCII.
func asciiSpace(c byte) bool {
	return c == ' ' || '\t' <= c && c <= '\r'
}

// span is where something is in a buffer: [start:end]. Of a raw URL's
// resolution in a page's resolved URLs, start -1 says it resolves to none.
type span struct{ start, end int }

// page resolves the URLs and returns the page. Nothing of it is in x's
// scratch buffers.
func (x *extractor) page(docURL *url.URL) *Page {
	p := &Page{Text: string(x.out.b), Truncated: x.out.truncated || x.full}
	base := docURL
	if x.hasBase {
		if u := resolve(docURL, x.baseHref); u != nil {
			base = u
		}
	}
	r := newResolver(base)
	// Every raw URL resolved into one buffer, and the texts after them,
	// made a string at once.
	buf, spans := x.urls[:0], x.resolved[:0]
	for _, list := range [...][]rawURL{x.links, x.images, x.frames} {
		for _, u := range list {
			start := len(buf)
			var ok bool
			if buf, ok = appendResolved(r, buf, x.raws[u.r0:u.r1]); ok {
				spans = append(spans, span{start, len(buf)})
			} else {
				spans = append(spans, span{-1, -1})
			}
		}
	}
	refresh := len(buf)
	buf, _ = appendResolved(r, buf, x.refresh)
	canon := len(buf)
	buf, _ = appendResolved(r, buf, x.raws[x.canon.start:x.canon.end])
	nURLs := len(buf)
	buf = append(buf, x.texts...)
	x.urls, x.resolved = buf, spans
	all := string(buf)
	p.Refresh, p.Canonical = all[refresh:canon], all[canon:nURLs]
	texts := all[nURLs:]
	p.Title = texts[x.title.start:x.title.end]
	if p.Title == "" {
		p.Title = texts[x.ogTitle.start:x.ogTitle.end]
	}
	set := &x.seenLinks // done with
	linkSpans, spans := spans[:len(x.links)], spans[len(x.links):]
	imageSpans, frameSpans := spans[:len(x.images)], spans[len(x.images):]
	var truncated bool
	p.Links, truncated = dedup(set, buf, all, linkSpans, x.links, x.lim.MaxLinks, func(u string, r rawURL) Link { return Link{URL: u, Text: texts[r.t0:r.t1]} },
		func(l *Link, r rawURL) {
			if l.Text == "" {
				l.Text = texts[r.t0:r.t1]
			}
		})
	p.Truncated = p.Truncated || truncated
	p.Images, truncated = dedup(set, buf, all, imageSpans, x.images, x.lim.MaxImages, func(u string, r rawURL) Image { return Image{URL: u, Alt: texts[r.t0:r.t1]} },
		func(im *Image, r rawURL) {
			if im.Alt == "" {
				im.Alt = texts[r.t0:r.t1]
			}
		})
	p.Truncated = p.Truncated || truncated
	p.Frames, truncated = dedup(set, buf, all, frameSpans, x.frames, x.lim.MaxFrames, func(u string, _ rawURL) string { return u }, func(*string, rawURL) {})
	p.Truncated = p.Truncated || truncated
	return p
}

// dedup keeps the first of each resolved URL (all[spans[i]] for raws[i]),
// at most max. It uses set, emptied, to find them in buf, all's bytes.
func dedup[T any](set *spanSet, buf []byte, all string, spans []span, raws []rawURL, max int, mk func(string, rawURL) T, merge func(*T, rawURL)) ([]T, bool) {
	if len(raws) == 0 {
		return nil, false
	}
	out := make([]T, 0, min(len(raws), max))
	set.reset(min(len(raws), max))
	for i, r := range raws {
		sp := spans[i]
		if sp.start < 0 {
			continue
		}
		s := all[sp.start:sp.end]
		slot, h := set.find(buf, buf[sp.start:sp.end])
		if j := set.slots[slot].val - 1; j >= 0 {
			merge(&out[j], r)
			continue
		}
		if len(out) >= max {
			return out, true
		}
		set.add(slot, h, sp.start, sp.end, len(out))
		out = append(out, mk(s, r))
	}
	if len(out) == 0 {
		return nil, false // none, as before
	}
	return out, false
}

// srcsetURLs yields the URLs of a srcset attribute, following the HTML
// standard's parsing of image candidate strings (a URL may hold commas; a
// descriptor such as "2x" or "640w" follows it), at most 64 of them.
func srcsetURLs[T ~string | ~[]byte](s T) iter.Seq[T] {
	return func(yield func(T) bool) {
		isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }
		for i, n := 0, 0; i < len(s) && n < 64; {
			for i < len(s) && (isSpace(s[i]) || s[i] == ',') {
				i++
			}
			start := i
			for i < len(s) && !isSpace(s[i]) {
				i++
			}
			u := s[start:i]
			if len(u) > 0 && u[len(u)-1] == ',' {
				for len(u) > 0 && u[len(u)-1] == ',' {
					u = u[:len(u)-1]
				}
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
			if len(u) > 0 {
				if !yield(u) {
					return
				}
				n++
			}
		}
	}
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
	b           []byte
	max         int
	pending     sep
	newlines    int // newlines at the end of b
	dropNewline bool
	truncated   bool
	sizeHint    int // the size to grow b to at first, if known
}

func (w *textWriter) String() string { return string(w.b) }

// reset empties w, keeping its buffer and bound (and, as appendTo, without
// storing its buffer's pointer).
func (w *textWriter) reset() {
	w.b = w.b[:0]
	w.pending, w.newlines, w.dropNewline, w.truncated = sepNone, 0, false, false
}

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
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	if !pre && len(b) > 0 && b[0] == ' ' {
		return 0 // a space at the start
	}
	for {
		// Eight bytes at a time: as many of them as are printable ASCII
		// with single spaces between them (any spaces if pre), but for a
		// space before a byte that is not printable ASCII. (The run so
		// far, if any, ends with a written character.)
		for i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i : i+8])
			// 0x80 in the bytes below ' ' or above '~' (and maybe in
			// bytes after the first such one: borrows and carries).
			bad := ((x - 0x20*ones) | (x + ones) | x) & highs
			// In a page's text, words with and without accents, spaces
			// at the end of a word or not come and go: the branches
			// that would tell them are hard to predict. The common cases
			// are told without branches.
			if !pre {
				// 0x80 in each byte that is a space (and maybe in a
				// '!' after one).
				y := x ^ 0x20*ones
				sp := (y - ones) &^ y & highs
				bad |= sp & (sp >> 8) // a space before a space
				var next byte         // what follows; at the end, nothing printable
				if i+8 < len(b) {
					next = b[i+8]
				}
				bad |= sp & (b2u(next-0x21 > 0x7e-0x21) << 63) // a space before what is not printable ASCII
			}
			if x&highs != 0 {
				// U+00C0 to U+07FF, the most common of the characters
				// not ASCII: a lead byte C3 to DF, a continuation byte
				// after it. (No borrow or carry comes from these
				// bytes.)
				lead := x & (x << 1) &^ (x << 2) & highs // 110xxxxx
				lead &= (x&(0x1f*ones) + 0x1d*ones) << 2 // but C0 to C2
				cont := x &^ (x << 1) & highs            // 10xxxxxx
				two := lead & (cont >> 8)
				bad &^= two | two<<8
			}
			// Of the bytes not ASCII, those of the characters most often
			// written as they are: U+00A1 to U+07FF (but for the soft
			// hyphen), U+200C to U+2027, U+202A to U+202E and U+2030 to
			// U+203F (quotes, dashes). (No borrow or carry comes from
			// these bytes: the bad ones after them are bad.)
			for bad != 0 {
				k := bits.TrailingZeros64(bad) >> 3
				if k >= 7 {
					break
				}
				c0, c1 := byte(x>>(8*k)), byte(x>>(8*(k+1)))
				if 0xc2 <= c0 && c0 <= 0xdf && c1&0xc0 == 0x80 && (c0 != 0xc2 || c1 >= 0xa1 && c1 != 0xad) {
					bad &^= 0xffff << (8 * k)
					continue
				}
				if c0 == 0xe2 && c1 == 0x80 && k < 6 {
					if c2 := byte(x >> (8 * (k + 2))); 0x8c <= c2 && c2 <= 0xa7 || 0xaa <= c2 && c2 <= 0xae || 0xb0 <= c2 && c2 <= 0xbf {
						bad &^= 0xffffff << (8 * k)
						continue
					}
				}
				break
			}
			if bad == 0 {
				i += 8
				continue
			}
			k := bits.TrailingZeros64(bad) >> 3
			if k > 0 && !pre && b[i+k-1] == ' ' {
				k-- // what follows decides
			}
			i += k
			break
		}
		if i >= len(b) {
			return i
		}
		c := b[i]
		if c < utf8.RuneSelf {
			switch {
			case asciiClass[c] == classPrintable:
				i++
				continue
			case pre && (c == ' ' || c == '\t'):
				i++
				continue
			case c != ' ' || i+1 == len(b):
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
		if 0xc3 <= c && c <= 0xdf && i+1 < len(b) && b[i+1]&0xc0 == 0x80 {
			i += 2 // U+00C0 to U+07FF: written as they are
			continue
		}
		n := printableRune(b[i:])
		if n == 0 {
			return i
		}
		i += n
	}
}

// b2u is 1 for true, 0 for false.
func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// printableRune returns the size of the character at the start of b, not
// ASCII, if it is written as it is (valid, neither whitespace nor
// invisible), else 0.
func printableRune(b []byte) int {
	switch c := b[0]; {
	case 0xc3 <= c && c <= 0xdf:
		// U+00C0 to U+07FF are all written as they are.
		if len(b) >= 2 && b[1]&0xc0 == 0x80 {
			return 2
		}
		return 0
	case 0xe0 <= c && c <= 0xef:
		if len(b) < 3 || b[1]&0xc0 != 0x80 || b[2]&0xc0 != 0x80 {
			return 0
		}
		r := rune(c&0x0f)<<12 | rune(b[1]&0x3f)<<6 | rune(b[2]&0x3f)
		if r < 0x800 || 0xd800 <= r && r <= 0xdfff || isSpace(r) || invisible(r) {
			return 0 // overlong, a surrogate, a space or invisible
		}
		return 3
	}
	r, n := utf8.DecodeRune(b)
	if r == utf8.RuneError && n == 1 || isSpace(r) || invisible(r) {
		return 0
	}
	return n
}

// write writes text whose whitespace collapses.
func (w *textWriter) write(b []byte) {
	w.dropNewline = false
	if len(b) == 1 && b[0] < utf8.RuneSelf && asciiClass[b[0]] == classSpace && !w.truncated {
		// The most common text of all, a newline between two tags: what
		// the loop below does with it.
		w.sep(sepSpace)
		return
	}
	for len(b) > 0 && !w.truncated {
		if n := printableRun(b, false); n > 0 {
			if w.pending != sepNone {
				w.flush()
			}
			w.addRun(b[:n])
			b = b[n:]
			continue
		}
		if c := b[0]; c < utf8.RuneSelf { // whitespace or invisible
			if asciiClass[c] == classSpace {
				w.sep(sepSpace)
			}
			b = b[1:]
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
			if len(w.b) > 0 {
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
	if s == sepNone || len(w.b) == 0 {
		return
	}
	switch s {
	case sepSpace:
		if w.newlines == 0 {
			w.addByte(' ')
		}
	case sepCell:
		if w.newlines == 0 {
			w.addByte('\t')
		}
	case sepLine:
		if w.newlines == 0 {
			w.addByte('\n')
		}
	case sepPara:
		for w.newlines < 2 && w.addByte('\n') {
		}
	}
}

// addByte is add for an ASCII character.
func (w *textWriter) addByte(c byte) bool {
	if w.truncated {
		return false
	}
	if len(w.b)+1 > w.max {
		w.truncated = true
		return false
	}
	push(&w.b, c)
	if c == '\n' {
		w.newlines++
	} else {
		w.newlines = 0
	}
	return true
}

func (w *textWriter) emit(r rune) {
	w.flush()
	w.add(r)
}

func (w *textWriter) add(r rune) bool {
	if w.truncated {
		return false
	}
	if len(w.b)+utf8.RuneLen(r) > w.max {
		w.truncated = true
		return false
	}
	w.b = utf8.AppendRune(w.b, r)
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
	if room := w.max - len(w.b); len(run) > room {
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
	if cap(w.b) == 0 {
		// A first guess at the text's size, so that it is not regrown
		// from a few bytes up.
		w.b = make([]byte, 0, min(w.max, max(len(run), w.sizeHint)))
	}
	appendTo(&w.b, run)
	w.newlines = 0
}

// appendTo appends b to *dst as append does, but stores the slice's pointer
// only when it grows. Its buffers are in the heap (the extraction's
// scratch), and while the GC marks, storing a pointer there costs a write
// barrier: for each piece of text, that was most of the cost of a run.
func appendTo(dst *[]byte, b []byte) {
	n := len(*dst)
	if cap(*dst)-n < len(b) {
		*dst = append(*dst, b...)
		return
	}
	*dst = (*dst)[:n+len(b)]
	copy((*dst)[n:], b)
}

// push appends e to *dst as appendTo does.
func push[E any](dst *[]E, e E) {
	n := len(*dst)
	if n == cap(*dst) {
		*dst = append(*dst, e)
		return
	}
	*dst = (*dst)[:n+1]
	(*dst)[n] = e
}

// isSpace is true for whitespace that collapses: HTML's and Unicode's,
// no-break spaces included (the text is for reading and searching, not
// for layout).
func isSpace(r rune) bool {
	if r < 0x1680 {
		switch r {
		case '\t', '\n', '\v', '\f', '\r', ' ', '\u0085', '\u00a0':
			return true
		}
		return false
	}
	// Unicode's White_Space above Latin-1 (unicode.IsSpace), and U+2007.
	switch r {
	case '\u1680', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000':
		return true
	}
	return '\u2000' <= r && r <= '\u200a'
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
