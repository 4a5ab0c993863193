package extract

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// This file holds the scanner that HTML reads a page with: a single pass
// over the bytes that returns the tokens golang.org/x/net/html's Tokenizer
// returns (text, start and end tags, comments), cut at the same places and
// decoded the same way, but only what extraction needs: tag names as
// tagIDs, the attributes of the few elements whose attributes are read,
// and whether an <svg> closes itself. Its rules are those of
// x/net/html v0.62.0's token.go, followed step by step (the functions say
// which one they follow); the extraction it replaced, kept as the
// reference in html_reference_test.go, must come out the same for every
// input (TestHTMLMatchesReference*, FuzzHTMLMatchesReference).
//
// Like that tokenizer, it does not know CDATA sections (AllowCDATA is never
// set: "<![CDATA[" opens a bogus comment), treats "<" not followed by a
// letter, "/", "!" or "?" as text, and drops a tag that the end of the input
// cuts off, with everything after it. No input is left to the reference:
// every construct is read here. The named character references are
// x/net/html's (entity.go, a copy). When golang.org/x/net is upgraded, the
// tests compare the scanner with the new tokenizer: a difference they find
// is a change of x/net/html to follow here, or to decide against.

// tokKind is the kind of a token.
type tokKind uint8

const (
	tokEOF tokKind = iota
	tokText
	tokStart // a start tag, self-closing or not
	tokEnd
	tokComment // a comment, doctype, processing instruction, "</>", …
)

// tagID names the elements that extraction knows; tagOther is any other.
type tagID uint8

const (
	tagOther tagID = iota
	tagA
	tagAddress
	tagArea
	tagArticle
	tagAside
	tagBase
	tagBlockquote
	tagBody
	tagBr
	tagCaption
	tagCenter
	tagDd
	tagDetails
	tagDialog
	tagDir
	tagDiv
	tagDl
	tagDt
	tagFieldset
	tagFigcaption
	tagFigure
	tagFooter
	tagForm
	tagFrame
	tagFrameset
	tagH1
	tagH2
	tagH3
	tagH4
	tagH5
	tagH6
	tagHeader
	tagHgroup
	tagHr
	tagHTML
	tagIframe
	tagImage
	tagImg
	tagInput
	tagLegend
	tagLi
	tagLink
	tagListing
	tagMain
	tagMenu
	tagMeta
	tagNav
	tagNoembed
	tagNoframes
	tagNoscript
	tagOl
	tagOptgroup
	tagOption
	tagP
	tagPlaintext
	tagPre
	tagScript
	tagSection
	tagSelect
	tagSource
	tagStyle
	tagSummary
	tagSvg
	tagTable
	tagTbody
	tagTd
	tagTemplate
	tagTextarea
	tagTfoot
	tagTh
	tagThead
	tagTitle
	tagTr
	tagUl
	tagVideo
	tagXmp
	numTags
)

// tagNames are the elements' names, by tagID.
var tagNames = [numTags]string{
	"", "a", "address", "area", "article", "aside", "base", "blockquote", "body", "br",
	"caption", "center", "dd", "details", "dialog", "dir", "div", "dl", "dt", "fieldset",
	"figcaption", "figure", "footer", "form", "frame", "frameset", "h1", "h2", "h3", "h4",
	"h5", "h6", "header", "hgroup", "hr", "html", "iframe", "image", "img", "input",
	"legend", "li", "link", "listing", "main", "menu", "meta", "nav", "noembed", "noframes",
	"noscript", "ol", "optgroup", "option", "p", "plaintext", "pre", "script", "section", "select",
	"source", "style", "summary", "svg", "table", "tbody", "td", "template", "textarea", "tfoot",
	"th", "thead", "title", "tr", "ul", "video", "xmp",
}

// rawKind is how the tokenizer reads what follows a start tag.
type rawKind uint8

const (
	rawNone      rawKind = iota
	rawRCDATA            // title, textarea: text up to the end tag, references decoded
	rawText              // up to the end tag, as it is
	rawScript            // up to the end tag, with the script data states' escapes
	rawPlaintext         // everything to the end
)

// tagInfo is what extraction and the tokenizer do with an element.
type tagInfo struct {
	sep     sep // sepNone: no break
	skipped bool
	pre     bool
	raw     rawKind
	attrs   bool // its attributes are read (see extractor.start)
}

var tagInfos = func() (t [numTags]tagInfo) {
	for id, name := range tagNames {
		if id == int(tagOther) {
			continue
		}
		p := tagProps[name]
		t[id] = tagInfo{sep: p.sep, skipped: p.skipped, pre: p.pre}
	}
	for _, id := range []tagID{tagBase, tagMeta, tagLink, tagA, tagArea, tagImg, tagSource, tagImage,
		tagVideo, tagInput, tagIframe, tagFrame} {
		t[id].attrs = true
	}
	// The elements after whose start tag x/net/html's readStartTag reads
	// raw text.
	for _, id := range []tagID{tagIframe, tagNoembed, tagNoframes, tagNoscript, tagStyle, tagXmp} {
		t[id].raw = rawText
	}
	t[tagTitle].raw, t[tagTextarea].raw = rawRCDATA, rawRCDATA
	t[tagScript].raw = rawScript
	t[tagPlaintext].raw = rawPlaintext
	return t
}()

// tagKey is a tag name of at most 16 bytes, lower-cased, packed.
type tagKey [2]uint64

// tagHash finds tagIDs by tagKey: open addressing, linear probing.
var tagHash = func() (h [256]struct {
	key tagKey
	id  tagID
}) {
	for id := tagOther + 1; id < numTags; id++ {
		k, _ := packTag([]byte(tagNames[id]))
		i := k.hash()
		for h[i].id != tagOther {
			i = (i + 1) & 255
		}
		h[i].key, h[i].id = k, id
	}
	return h
}()

// packTag packs a name as its lower-case ASCII bytes; ok is false for a
// name that no element of tagNames can have (too long, NUL, not ASCII).
func packTag(name []byte) (k tagKey, ok bool) {
	if len(name) == 0 || len(name) > 16 {
		return k, false
	}
	var bad byte
	for i, c := range name {
		l := lowerTag[c]
		bad |= l - 1 // 0xff for 0 (NUL, not ASCII), else below 0x80
		k[i>>3] |= uint64(l) << (8 * (i & 7))
	}
	return k, bad < 0x80
}

// lowerTag is each byte in lower case if it is ASCII and not NUL, else 0.
var lowerTag = func() (t [256]byte) {
	for c := 1; c < utf8.RuneSelf; c++ {
		t[c] = byte(c)
		if 'A' <= c && c <= 'Z' {
			t[c] += 'a' - 'A'
		}
	}
	return t
}()

// Byte classes in tags (the tokenizer's delimiters).
const (
	clsSpace   = 1 << iota // whitespace
	clsNameEnd             // ends a tag name: whitespace, '/', '>'
	clsKeyEnd              // ends an attribute name: whitespace, '/', '>', '='
	clsValEnd              // ends an unquoted value: whitespace, '>'
)

var tagClass = func() (t [256]uint8) {
	for _, c := range []byte(" \n\r\t\f") {
		t[c] = clsSpace | clsNameEnd | clsKeyEnd | clsValEnd
	}
	t['/'] = clsNameEnd | clsKeyEnd
	t['>'] = clsNameEnd | clsKeyEnd | clsValEnd
	t['='] = clsKeyEnd
	return t
}()

func isTagSpace(c byte) bool { return tagClass[c]&clsSpace != 0 }

func (k tagKey) hash() int {
	return int((k[0]*0x9E3779B97F4A7C15 ^ k[1]*0xC2B2AE3D27D4EB4F) >> 56)
}

// lookupTag returns the tagID of a tag name as it is written: what
// x/net/html's TagName returns (lower case, NUL as U+FFFD) names it.
func lookupTag(name []byte) tagID {
	k, ok := packTag(name)
	if !ok {
		return tagOther
	}
	return findTag(k)
}

// findTag returns the tagID of a packed name.
func findTag(k tagKey) tagID {
	for i := k.hash(); ; i = (i + 1) & 255 {
		e := &tagHash[i]
		if e.id == tagOther || e.key == k {
			return e.id
		}
	}
}

// attrSpan is an attribute in the scanner's input: its key is b[k0:k1], its
// value (still to be decoded) b[v0:v1].
type attrSpan struct {
	k0, k1, v0, v1 int
	// atGt: the value is unquoted and ends at the tag's closing '>'.
	atGt bool
}

// maxAttrs is how many of a tag's attributes extraction reads, as the
// reference did: the first maxAttrs of distinct names.
const maxAttrs = 256

// scanner reads tokens from b, one at a time (next).
type scanner struct {
	b     []byte
	pos   int   // where the next token starts
	raw   tagID // a start tag after which raw text comes, or tagOther
	tagAt int   // 1 + where a tag, comment or the like is known to start

	// The current token.
	tag         tagID // tokStart, tokEnd
	selfClosing bool  // tokStart of tagSvg: "<svg/>"
	text0       int   // tokText: the text is b[text0:text1]
	text1       int
	textRaw     bool // tokText: character references are not decoded
	textNUL     bool // tokText: NUL becomes U+FFFD
	// attrs are the current start tag's attributes if tagInfos says
	// they are read: those with a key, the first maxAttrs of distinct
	// names at most (and maybe later ones of the same names).
	attrs  []attrSpan
	last   attrSpan // the current tag's last attribute with a key
	capped bool     // attrs holds maxAttrs distinct names: no more are kept
	vals   []byte   // the current start tag's decoded values
}

func isLetter(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// next reads the next token, as Tokenizer.Next does.
func (s *scanner) next() tokKind {
	b := s.b
	if s.raw != tagOther {
		id := s.raw
		s.raw = tagOther
		var end int
		switch tagInfos[id].raw {
		case rawPlaintext:
			end = len(b)
		case rawScript:
			end = scriptEnd(b, s.pos)
		default:
			end = rawEnd(b, s.pos, tagNames[id])
		}
		if end > s.pos {
			s.text0, s.text1, s.pos = s.pos, end, end
			s.textNUL = true
			s.textRaw = tagInfos[id].raw != rawRCDATA
			return tokText
		}
	}
	s.textNUL, s.textRaw = false, false
	for i := s.pos; ; {
		var j int
		if s.tagAt == i+1 {
			j = i // found by the call that returned the text before it
		} else {
			j = indexLess(b, i)
		}
		if j < 0 || j+1 >= len(b) {
			return s.textTo(len(b))
		}
		c := b[j+1]
		if !isLetter(c) && c != '/' && c != '!' && c != '?' {
			i = j + 1 // the '<' is text
			continue
		}
		if j > s.pos {
			// The text before the tag first.
			s.tagAt = j + 1
			return s.textTo(j)
		}
		switch {
		case c == '/':
			if j+2 >= len(b) {
				return s.textTo(len(b)) // "</" at the end is text
			}
			switch c := b[j+2]; {
			case c == '>':
				s.pos = j + 3 // "</>" is nothing
				return tokComment
			case isLetter(c):
				return s.readTag(j+2, false)
			}
			s.pos = closeAngle(b, j+2) // a bogus comment
			return tokComment
		case c == '!':
			s.pos = markupDeclarationEnd(b, j+2)
			return tokComment
		case c == '?':
			s.pos = closeAngle(b, j+2)
			return tokComment
		}
		return s.readTag(j+1, true)
	}
}

// indexLess returns the position of the first '<' in b from i on, or -1.
// The next one is often near: the first sixteen bytes are looked at eight
// at a time before IndexByte, which is faster on long texts, has made
// ready.
func indexLess(b []byte, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for end := min(i+16, len(b)-8); i <= end; i += 8 {
		x := binary.LittleEndian.Uint64(b[i:]) ^ '<'*ones
		if z := (x - ones) &^ x & highs; z != 0 {
			return i + bits.TrailingZeros64(z)>>3
		}
	}
	if j := bytes.IndexByte(b[i:], '<'); j >= 0 {
		return i + j
	}
	return -1
}

// textTo makes b[pos:end] the current text token; at the end of the input
// with no text left, it returns tokEOF.
func (s *scanner) textTo(end int) tokKind {
	if end == s.pos {
		s.pos = len(s.b)
		return tokEOF
	}
	s.text0, s.text1, s.pos = s.pos, end, end
	return tokText
}

// closeAngle returns the position after the first '>' from i on, or the
// end of b (readUntilCloseAngle).
func closeAngle(b []byte, i int) int {
	if j := bytes.IndexByte(b[i:], '>'); j >= 0 {
		return i + j + 1
	}
	return len(b)
}

// markupDeclarationEnd returns the end of a "<!" token whose "<!" ends at
// i (readMarkupDeclaration). Without CDATA, a doctype and a bogus comment
// both end at the first '>'.
func markupDeclarationEnd(b []byte, i int) int {
	if i+1 >= len(b) {
		return len(b)
	}
	if b[i] == '-' && b[i+1] == '-' {
		return commentEnd(b, i+2)
	}
	return closeAngle(b, i)
}

// commentEnd returns the end of a comment whose "<!--" ends at i
// (readComment).
func commentEnd(b []byte, i int) int {
	dashCount := 0
	beginning := true
	for i < len(b) {
		c := b[i]
		i++
		switch c {
		case '-':
			dashCount++
			continue
		case '>':
			if dashCount >= 2 || beginning {
				return i
			}
		case '!':
			if dashCount >= 2 {
				if i >= len(b) {
					return len(b)
				}
				c = b[i]
				i++
				if c == '>' {
					return i
				} else if c == '-' {
					dashCount = 1
					beginning = false
					continue
				}
			}
		}
		dashCount = 0
		beginning = false
	}
	return len(b)
}

// readTag reads a tag whose name starts at i (readStartTag, or readTag for
// an end tag). A tag cut off by the end of the input ends the input.
func (s *scanner) readTag(i int, start bool) tokKind {
	b := s.b
	// The name ends at whitespace, '/' or '>'.
	k := i + 1
	for k < len(b) && tagClass[b[k]]&clsNameEnd == 0 {
		k++
	}
	if k >= len(b) {
		s.pos = len(b)
		return tokEOF
	}
	var id tagID
	if n := k - i; n <= 8 && i+8 <= len(b) {
		// packTag, eight bytes at once.
		const ones, highs = 0x0101010101010101, 0x8080808080808080
		x := binary.LittleEndian.Uint64(b[i:])
		var rest uint64 // 0x01 in the bytes after the name
		if n < 8 {
			x &= 1<<(8*n) - 1
			rest = ones &^ (1<<(8*n) - 1)
		}
		y := x | rest
		if x&highs == 0 && (y-ones)&^y&highs == 0 { // ASCII, no NUL
			x |= ((x + 0x3f*ones) &^ (x + 0x25*ones) & highs) >> 2 // A-Z to a-z
			id = findTag(tagKey{x, 0})
		}
	} else {
		id = lookupTag(b[i:k])
	}
	info := &tagInfos[id]
	record := start && info.attrs
	if record {
		s.attrs, s.capped, s.vals = s.attrs[:0], false, s.vals[:0]
	}
	var end int
	if b[k] == '>' {
		end = k + 1           // no attributes: the most common tag
		s.last.k1 = s.last.k0 // none
	} else if end = s.tagAttrs(k, record, start && id == tagSvg); end < 0 {
		s.pos = len(b)
		return tokEOF
	}
	s.pos, s.tag, s.selfClosing = end, id, false
	if !start {
		return tokEnd
	}
	if record && len(s.attrs) > maxAttrs {
		s.compactAttrs()
	}
	if info.raw != rawNone {
		s.raw = id
	}
	if id == tagSvg && b[end-2] == '/' {
		// readStartTag: self-closing unless the value of the last
		// attribute it kept (one with a key, the first of its name) ends
		// at the '>' (<svg a=/>). An attribute's value can only end there
		// when it is unquoted and the last one.
		s.selfClosing = s.last.k1 == s.last.k0 || !s.last.atGt || !s.firstOfName(k, s.last)
	}
	return tokStart
}

// tagAttrs reads the attributes of a tag from i (after its name) to the
// '>' (readTag), recording them if record, and, if last, the last one with
// a key in s.last (if none, one with an empty key). It returns the position
// after the '>', or -1 if the input ends first.
func (s *scanner) tagAttrs(i int, record, last bool) int {
	b := s.b
	if last {
		s.last = attrSpan{}
	}
	for {
		for i < len(b) && tagClass[b[i]]&clsSpace != 0 {
			i++
		}
		if i >= len(b) {
			return -1
		}
		if b[i] == '>' {
			return i + 1
		}
		var a attrSpan
		if i = attrAt(b, i, &a); i < 0 {
			return -1
		}
		if a.k1 > a.k0 {
			if last {
				s.last = a
			}
			if record && !s.capped {
				push(&s.attrs, a)
				if len(s.attrs) >= 4*maxAttrs {
					s.compactAttrs()
				}
			}
		}
	}
}

// attrAt reads into a the attribute that starts at b[i], neither
// whitespace nor '>' (readTagAttrKey and readTagAttrVal), and returns the
// position after it, or -1 if the input ends first.
func attrAt(b []byte, i int, a *attrSpan) int {
	a.k0 = i
	if b[i] == '=' {
		i++ // an '=' that starts a name is part of it
	}
	for i < len(b) && tagClass[b[i]]&clsKeyEnd == 0 {
		i++
	}
	a.k1, a.v0, a.v1 = i, i, i
	for i < len(b) && tagClass[b[i]]&clsSpace != 0 {
		i++
	}
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '/':
		return i + 1
	case '=':
		i++
	default:
		return i // no value
	}
	for i < len(b) && tagClass[b[i]]&clsSpace != 0 {
		i++
	}
	if i >= len(b) {
		return -1
	}
	switch q := b[i]; q {
	case '>':
		return i
	case '"', '\'':
		j := bytes.IndexByte(b[i+1:], q)
		if j < 0 {
			return -1
		}
		a.v0, a.v1 = i+1, i+1+j
		return a.v1 + 1
	}
	a.v0 = i
	for i++; i < len(b) && tagClass[b[i]]&clsValEnd == 0; i++ {
	}
	if i >= len(b) {
		return -1
	}
	a.v1 = i
	if b[i] == '>' {
		a.atGt = true
		return i
	}
	return i + 1
}

// compactAttrs keeps of attrs only the first of each name, at most
// maxAttrs of them; when there are that many, the tag's further
// attributes are not kept.
func (s *scanner) compactAttrs() {
	seen := make(map[string]bool, len(s.attrs))
	out := s.attrs[:0]
	for _, a := range s.attrs {
		k := string(lowerASCII(s.b[a.k0:a.k1]))
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, a)
		if len(out) == maxAttrs {
			s.capped = true
			break
		}
	}
	s.attrs = out
}

// firstOfName reports whether no attribute of the tag before last, read
// from i, has last's name (case-insensitively).
func (s *scanner) firstOfName(i int, last attrSpan) bool {
	b := s.b
	name := b[last.k0:last.k1]
	for {
		for isTagSpace(b[i]) {
			i++
		}
		var a attrSpan
		next := attrAt(b, i, &a)
		if a.k0 == last.k0 {
			return true
		}
		if a.k1 > a.k0 && equalLower(b[a.k0:a.k1], name) {
			return false
		}
		i = next
	}
}

// equalLower reports whether a and b are the same once A-Z are in lower
// case (x/net/html's lower).
func equalLower(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if lowerByte(a[i]) != lowerByte(b[i]) {
			return false
		}
	}
	return true
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		c += 'a' - 'A'
	}
	return c
}

// lowerASCII returns b with A-Z in lower case (x/net/html's lower, on a
// copy).
func lowerASCII(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = lowerByte(c)
	}
	return out
}

// keyIs reports whether an attribute's key, as written, is k (lower-case
// ASCII) once lower-cased.
func keyIs(key []byte, k string) bool {
	if len(key) != len(k) {
		return false
	}
	for i := range len(k) {
		c := key[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != k[i] {
			return false
		}
	}
	return true
}

// lookup returns the decoded value of the current tag's first attribute
// named k, as TagAttr returns it. It stays valid until the next tag.
func (s *scanner) lookup(k string) ([]byte, bool) {
	for _, a := range s.attrs {
		if keyIs(s.b[a.k0:a.k1], k) {
			v := s.b[a.v0:a.v1:a.v1]
			if !needsDecoding(v, true, true) {
				return v, true
			}
			start := len(s.vals)
			s.vals = decodeText(s.vals, v, true, true, true)
			return s.vals[start:len(s.vals):len(s.vals)], true
		}
	}
	return nil, false
}

func (s *scanner) get(k string) []byte {
	v, _ := s.lookup(k)
	return v
}

// collapsedText returns the current text token as Tokenizer.Text does,
// or as good for a textWriter's write, which reads "\r\n", "\r" and "\n"
// the same (whitespace that collapses): in b or decoded into *buf.
func (s *scanner) collapsedText(buf *[]byte) []byte {
	if s.textNUL || s.textRaw {
		return s.text(buf)
	}
	t := s.b[s.text0:s.text1]
	if bytes.IndexByte(t, '&') < 0 {
		return t
	}
	*buf = decodeText((*buf)[:0], t, false, true, false)
	return *buf
}

// text returns the current text token as Tokenizer.Text does, in b or
// decoded into *buf.
func (s *scanner) text(buf *[]byte) []byte {
	t := s.b[s.text0:s.text1]
	if !needsDecoding(t, s.textNUL, !s.textRaw) {
		return t
	}
	*buf = decodeText((*buf)[:0], t, s.textNUL, !s.textRaw, false)
	return *buf
}

// rawEnd returns where the raw text from i, of the element name, ends:
// before the first "</name" (any case) followed by whitespace, '/' or '>',
// else at the end (readRawOrRCDATA).
func rawEnd(b []byte, i int, name string) int {
	for {
		j := bytes.Index(b[i:], []byte("</"))
		if j < 0 {
			return len(b)
		}
		j += i
		if k, ok := rawEndTag(b, j+2, name); ok {
			return j
		} else if k >= len(b) {
			return len(b)
		}
		i = j + 1
	}
}

// rawEndTag reads an end tag's name from i, after its "</" (readRawEndTag):
// ok if it is name followed by whitespace, '/' or '>'; else k is where the
// first byte that does not match is (len(b) at the end of the input).
func rawEndTag(b []byte, i int, name string) (k int, ok bool) {
	for m := range len(name) {
		if i+m >= len(b) {
			return len(b), false
		}
		c := b[i+m]
		if c != name[m] && c != name[m]-('a'-'A') {
			return i + m, false
		}
	}
	k = i + len(name)
	if k >= len(b) {
		return len(b), false
	}
	switch b[k] {
	case ' ', '\n', '\r', '\t', '\f', '/', '>':
		return k, true
	}
	return k, false
}

// scriptEnd returns where the script text from i ends, following the
// script data states as readScript does.
func scriptEnd(b []byte, i int) int {
	const name = "script"
	n := len(b)
	var c byte
	var k int
	var ok bool

scriptData:
	if j := bytes.IndexByte(b[i:], '<'); j >= 0 {
		i += j + 1
	} else {
		return n
	}
	// scriptDataLessThanSign
	if i >= n {
		return n
	}
	c = b[i]
	i++
	switch c {
	case '/':
		goto scriptDataEndTagOpen
	case '!':
		goto scriptDataEscapeStart
	}
	i--
	goto scriptData

scriptDataEndTagOpen:
	if k, ok = rawEndTag(b, i, name); ok {
		return i - 2
	} else if k >= n {
		return n
	}
	i = k
	goto scriptData

scriptDataEscapeStart:
	if i >= n {
		return n
	}
	c = b[i]
	i++
	if c == '-' {
		goto scriptDataEscapeStartDash
	}
	i--
	goto scriptData

scriptDataEscapeStartDash:
	if i >= n {
		return n
	}
	c = b[i]
	i++
	if c == '-' {
		goto scriptDataEscapedDashDash
	}
	i--
	goto scriptData

scriptDataEscaped:
	if i >= n {
		return n
	}
	c = b[i]
	i++
	switch c {
	case '-':
		goto scriptDataEscapedDash
	case '<':
		goto scriptDataEscapedLessThanSign
	}
	goto scriptDataEscaped

scriptDataEscapedDash:
	if i >= n {
		return n
	}
	c = b[i]
	i++
	switch c {
	case '-':
		goto scriptDataEscapedDashDash
	case '<':
		goto scriptDataEscapedLessThanSign
	}
	goto scriptDataEscaped

scriptDataEscapedDashDash:
	if i >= n {
		return n
	}
	c = b[i]
	i++
	switch c {
	case '-':
		goto scriptDataEscapedDashDash
	case '<':
		goto scriptDataEscapedLessThanSign
	case '>':
		goto scriptData
	}
	goto scriptDataEscaped

scriptDataEscapedLessThanSign:
	if i >= n {
		return n
	}
	c = b[i]
	i++
	if c == '/' {
		goto scriptDataEscapedEndTagOpen
	}
	if isLetter(c) {
		goto scriptDataDoubleEscapeStart
	}
	i--
	goto scriptData

scriptDataEscapedEndTagOpen:
	if k, ok = rawEndTag(b, i, name); ok {
		return i - 2
	} else if k >= n {
		return n
	}
	i = k
	goto scriptDataEscaped

scriptDataDoubleEscapeStart:
	i--
	for m := range len(name) {
		if i >= n {
			return n
		}
		c = b[i]
		i++
		if c != name[m] && c != name[m]-('a'-'A') {
			i--
			goto scriptDataEscaped
		}
	}
	if i >= n {
		return n
	}
	c = b[i]
	i++
	switch c {
	case ' ', '\n', '\r', '\t', '\f', '/', '>':
		goto scriptDataDoubleEscaped
	}
	i--
	goto scriptDataEscaped

scriptDataDoubleEscaped:
	if i >= n {
		return n
	}
	c = b[i]
	i++
	switch c {
	case '-':
		goto scriptDataDoubleEscapedDash
	case '<':
		goto scriptDataDoubleEscapedLessThanSign
	}
	goto scriptDataDoubleEscaped

scriptDataDoubleEscapedDash:
	if i >= n {
		return n
	}
	c = b[i]
	i++
	switch c {
	case '-':
		goto scriptDataDoubleEscapedDashDash
	case '<':
		goto scriptDataDoubleEscapedLessThanSign
	}
	goto scriptDataDoubleEscaped

scriptDataDoubleEscapedDashDash:
	if i >= n {
		return n
	}
	c = b[i]
	i++
	switch c {
	case '-':
		goto scriptDataDoubleEscapedDashDash
	case '<':
		goto scriptDataDoubleEscapedLessThanSign
	case '>':
		goto scriptData
	}
	goto scriptDataDoubleEscaped

scriptDataDoubleEscapedLessThanSign:
	if i >= n {
		return n
	}
	c = b[i]
	i++
	if c == '/' {
		goto scriptDataDoubleEscapeEnd
	}
	i--
	goto scriptDataDoubleEscaped

scriptDataDoubleEscapeEnd:
	if k, ok = rawEndTag(b, i, name); ok {
		i = k + 1 // past the whole "</script>"
		goto scriptDataEscaped
	} else if k >= n {
		return n
	}
	i = k
	goto scriptDataDoubleEscaped
}

// needsDecoding reports whether decodeText would change b.
func needsDecoding(b []byte, nul, unescape bool) bool {
	return bytes.IndexByte(b, '\r') >= 0 ||
		nul && bytes.IndexByte(b, 0) >= 0 ||
		unescape && bytes.IndexByte(b, '&') >= 0
}

// decodeText appends b to dst as x/net/html's Text and TagAttr return it:
// "\r\n" and "\r" as "\n" (convertNewlines), NUL as U+FFFD if nul, and,
// if unescape, the character references decoded (unescape; attribute for
// an attribute's value). The three happen in one pass: a reference is
// read from its '&' to the character after its name, none of which the
// first two change.
func decodeText(dst, b []byte, nul, unescape, attribute bool) []byte {
	for i := 0; i < len(b); {
		switch c := b[i]; {
		case c == '\r':
			dst = append(dst, '\n')
			i++
			if i < len(b) && b[i] == '\n' {
				i++
			}
		case c == 0 && nul:
			dst = append(dst, "\uFFFD"...)
			i++
		case c == '&' && unescape:
			r1, r2, n := unescapeEntity(b[i:], attribute)
			dst = utf8.AppendRune(dst, r1)
			if r2 != 0 {
				dst = utf8.AppendRune(dst, r2)
			}
			i += n
		default:
			dst = append(dst, c)
			i++
		}
	}
	return dst
}

// replacementTable holds what x/net/html decodes the numeric references
// 0x80 to 0x9F to: the characters of Windows-1252.
var replacementTable = [...]rune{
	'\u20AC', '\u0081', '\u201A', '\u0192', '\u201E', '\u2026', '\u2020', '\u2021',
	'\u02C6', '\u2030', '\u0160', '\u2039', '\u0152', '\u008D', '\u017D', '\u008F',
	'\u0090', '\u2018', '\u2019', '\u201C', '\u201D', '\u2022', '\u2013', '\u2014',
	'\u02DC', '\u2122', '\u0161', '\u203A', '\u0153', '\u009D', '\u017E', '\u0178',
}

// unescapeEntity reads the character reference at the start of s (its
// '&'), as x/net/html's unescapeEntity does: the rune or runes it stands
// for and its length, or '&' and 1 when it is none.
func unescapeEntity(s []byte, attribute bool) (rune, rune, int) {
	i := 1
	if len(s) <= 1 {
		return '&', 0, 1
	}
	if s[i] == '#' {
		if len(s) <= 2 {
			return '&', 0, 1
		}
		i++
		c := s[i]
		hex := false
		if c == 'x' || c == 'X' {
			hex = true
			i++
		}
		i0 := i
		x := '\x00'
		for i < len(s) {
			c = s[i]
			var d rune
			var mult rune
			if hex {
				mult = 16
				if '0' <= c && c <= '9' {
					d = rune(c) - '0'
				} else if 'a' <= c && c <= 'f' {
					d = rune(c) - 'a' + 10
				} else if 'A' <= c && c <= 'F' {
					d = rune(c) - 'A' + 10
				} else {
					break
				}
			} else {
				mult = 10
				if '0' <= c && c <= '9' {
					d = rune(c) - '0'
				} else {
					break
				}
			}
			if x <= 0x10FFFF {
				x = mult*x + d
			}
			i++
		}
		if i == i0 {
			return '&', 0, 1
		}
		if i < len(s) && s[i] == ';' {
			i++
		}
		if 0x80 <= x && x <= 0x9F {
			x = replacementTable[x-0x80]
		} else if x == 0 || (0xD800 <= x && x <= 0xDFFF) || x > 0x10FFFF {
			x = '\uFFFD'
		}
		return x, 0, i
	}

	// The longest name of letters and digits, and a semicolon after it.
	for i < len(s) {
		c := s[i]
		i++
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			continue
		}
		if c != ';' {
			i--
		}
		break
	}
	name := s[1:i]
	if len(name) == 0 {
		return '&', 0, 1
	}
	if attribute && name[len(name)-1] != ';' && len(s) > i && s[i] == '=' {
		return '&', 0, 1
	}
	entity, entity2 := entities()
	if x := entity[string(name)]; x != 0 {
		return x, 0, i
	}
	if x := entity2[string(name)]; x[0] != 0 {
		return x[0], x[1], i
	}
	if !attribute {
		for j := min(len(name)-1, longestEntityWithoutSemicolon); j > 1; j-- {
			if x := entity[string(name[:j])]; x != 0 {
				return x, 0, j + 1
			}
		}
	}
	return '&', 0, 1
}
