package fetch

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"mime"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"
)

// Where a charset came from (Result.CharsetSource).
const (
	CharsetFromBOM     = "bom"     // a byte-order mark
	CharsetFromHeader  = "header"  // the Content-Type header
	CharsetFromMeta    = "meta"    // an HTML <meta> tag in the first 1024 bytes
	CharsetFromXML     = "xml"     // an XML declaration
	CharsetSniffed     = "sniffed" // no usable label; the bytes are valid UTF-8
	CharsetFromDefault = "default" // no usable label, not UTF-8: windows-1252, which decodes any bytes
)

// DecodeText converts body to valid UTF-8 text, whatever its bytes. It takes the
// charset from, in order, a byte-order mark, the charset parameter of
// contentType, an HTML <meta> tag or XML declaration; a label that claims UTF-8
// for bytes that are not UTF-8 is passed over (the commonest mislabelling), as
// is a label no decoder knows. Without a usable label, valid UTF-8 is taken as
// UTF-8 and anything else as windows-1252. Bytes the chosen charset cannot
// decode become U+FFFD. It returns the text, the charset's canonical name and
// where it came from (one of the CharsetFrom… constants).
func DecodeText(body []byte, contentType string) (text, charsetName, source string) {
	return decodeText(body, contentType, false)
}

// decodeText is DecodeText; for a truncated body, a rune cut off at the end
// does not count against UTF-8.
func decodeText(body []byte, contentType string, truncated bool) (text, charsetName, source string) {
	enc, name, source, skip, valid := chooseCharset(body, contentType, truncated)
	body = body[skip:]
	if name == "utf-8" {
		if valid && skip == 0 {
			return string(body), name, source
		}
		return strings.ToValidUTF8(string(body), "\uFFFD"), name, source
	}
	// charset.Lookup wraps its encodings (for encoding only); the index has
	// them as they are.
	if e, err := htmlindex.Get(name); err == nil {
		if cm, ok := e.(*charmap.Charmap); ok {
			return decodeSingleByte(cm, body), name, source
		}
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		// Decoders replace what they cannot decode; an error here is unexpected.
		// Fall back to the one decoding that cannot fail.
		out, _ = charmap.Windows1252.NewDecoder().Bytes(body)
		name, source = "windows-1252", CharsetFromDefault
	}
	return strings.ToValidUTF8(string(out), "\uFFFD"), name, source
}

var boms = []struct {
	bom  []byte
	enc  encoding.Encoding
	name string
}{
	{[]byte{0xEF, 0xBB, 0xBF}, encoding.Nop, "utf-8"},
	{[]byte{0xFE, 0xFF}, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "utf-16be"},
	{[]byte{0xFF, 0xFE}, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "utf-16le"},
}

// chooseCharset chooses body's charset; valid says that body is valid UTF-8.
func chooseCharset(body []byte, contentType string, truncated bool) (enc encoding.Encoding, name, source string, skip int, valid bool) {
	for _, b := range boms {
		if bytes.HasPrefix(body, b.bom) {
			return b.enc, b.name, CharsetFromBOM, len(b.bom), false
		}
	}
	valid = utf8.Valid(body)
	validUTF8 := valid || truncated && looksUTF8(body)
	// usable reports whether a label names a decoder worth trusting for body.
	usable := func(label string, fromDocument bool) (encoding.Encoding, string, bool) {
		e, n := charset.Lookup(label)
		switch {
		case e == nil, n == "replacement": // unknown, or a charset HTML decodes to nothing
			return nil, "", false
		case fromDocument && strings.HasPrefix(n, "utf-16"):
			// A document that declares UTF-16 inside itself is readable as
			// ASCII, so it is not UTF-16 (the HTML standard says the same).
			n, e = "utf-8", encoding.Nop
		}
		if n == "utf-8" && !validUTF8 {
			return nil, "", false
		}
		return e, n, true
	}

	mediaType, params, _ := mime.ParseMediaType(contentType)
	if label := params["charset"]; label != "" {
		if e, n, ok := usable(label, false); ok {
			return e, n, CharsetFromHeader, 0, valid
		}
	}
	head := body
	if len(head) > 1024 {
		head = head[:1024]
	}
	if isHTML(mediaType, head) {
		if label := metaCharset(head); label != "" {
			if e, n, ok := usable(label, true); ok {
				return e, n, CharsetFromMeta, 0, valid
			}
		}
	} else if m := xmlDecl.FindSubmatch(head); m != nil {
		if e, n, ok := usable(string(m[1]), true); ok {
			return e, n, CharsetFromXML, 0, valid
		}
	}
	if validUTF8 {
		return encoding.Nop, "utf-8", CharsetSniffed, 0, valid
	}
	return charmap.Windows1252, "windows-1252", CharsetFromDefault, 0, valid
}

var xmlDecl = regexp.MustCompile(`^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']`)

// looksUTF8 reports whether b is valid UTF-8 but for a rune cut off at its end.
func looksUTF8(b []byte) bool {
	for i := len(b) - 1; i >= 0 && i >= len(b)-3; i-- {
		if b[i] < 0x80 {
			break
		}
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				b = b[:i]
			}
			break
		}
	}
	return utf8.Valid(b)
}

func isHTML(mediaType string, head []byte) bool {
	switch mediaType {
	case "text/html", "application/xhtml+xml":
		return true
	case "": // unknown: a <meta> charset makes it HTML enough
		return true
	}
	return false
}

// metaCharset finds the charset an HTML document declares in a <meta> tag in
// head, tolerating any malformed markup.
func metaCharset(head []byte) string {
	if !containsFold(head, "<meta") {
		return "" // no <meta> tag, in any case: no need to tokenize
	}
	z := html.NewTokenizer(bytes.NewReader(head))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if string(name) != "meta" {
				continue
			}
			var cs, content string
			var httpEquivCT bool
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				switch strings.ToLower(string(k)) {
				case "charset":
					cs = strings.TrimSpace(string(v))
				case "http-equiv":
					httpEquivCT = strings.EqualFold(strings.TrimSpace(string(v)), "content-type")
				case "content":
					content = string(v)
				}
			}
			if cs != "" {
				return cs
			}
			if httpEquivCT {
				if l := charsetInContent(content); l != "" {
					return l
				}
			}
		}
	}
}

// containsFold reports whether b contains the lower-case ASCII s in any
// case.
func containsFold(b []byte, s string) bool {
	for i := bytes.IndexByte(b, s[0]); i >= 0 && len(b)-i >= len(s); {
		if bytes.EqualFold(b[i:i+len(s)], []byte(s)) {
			return true
		}
		j := bytes.IndexByte(b[i+1:], s[0])
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// charsetInContent extracts the charset from a meta content attribute such as
// "text/html; charset=Shift_JIS".
func charsetInContent(s string) string {
	lower := strings.ToLower(s)
	i := strings.Index(lower, "charset")
	if i < 0 {
		return ""
	}
	rest := strings.TrimLeft(s[i+len("charset"):], " \t\r\n\f")
	if !strings.HasPrefix(rest, "=") {
		return ""
	}
	rest = strings.TrimLeft(rest[1:], " \t\r\n\f")
	if rest != "" && (rest[0] == '"' || rest[0] == '\'') {
		q := rest[0]
		rest = rest[1:]
		if j := strings.IndexByte(rest, q); j >= 0 {
			return rest[:j]
		}
		return ""
	}
	if j := strings.IndexAny(rest, "; \t\r\n\f"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// singleByte holds, for a single-byte charset, the UTF-8 of every byte
// (U+FFFD for those it leaves undefined), and whether it maps ASCII to
// itself.
type singleByte struct {
	utf8  [256]string
	rune  [256]uint32 // the same, its bytes in a word (little-endian)
	size  [256]uint8  // and how many they are
	ascii bool
}

var singleBytes sync.Map // *charmap.Charmap → *singleByte

// decodeSingleByte decodes body from the single-byte charset cm: what its
// decoder makes of it, from a table of every byte's UTF-8.
func decodeSingleByte(cm *charmap.Charmap, body []byte) string {
	v, ok := singleBytes.Load(cm)
	if !ok {
		t := &singleByte{ascii: true}
		for i := range t.utf8 {
			r := cm.DecodeByte(byte(i))
			if !utf8.ValidRune(r) {
				r = utf8.RuneError
			}
			t.utf8[i] = string(r)
			var w [4]byte
			t.size[i] = uint8(utf8.EncodeRune(w[:], r))
			t.rune[i] = binary.LittleEndian.Uint32(w[:])
			if i < utf8.RuneSelf && r != rune(i) {
				t.ascii = false
			}
		}
		v, _ = singleBytes.LoadOrStore(cm, t)
	}
	t := v.(*singleByte)
	if !t.ascii {
		n := 0
		for _, c := range body {
			n += len(t.utf8[c])
		}
		var b strings.Builder
		b.Grow(n)
		for _, c := range body {
			b.WriteString(t.utf8[c])
		}
		return b.String()
	}
	b := t.decode(body)
	if len(b) == 0 {
		return ""
	}
	// b is this function's alone and never written again: the string can
	// be its bytes, as strings.Builder makes its string (20 KB less to
	// copy and to collect per page).
	return unsafe.String(&b[0], len(b))
}

const hiBits = 0x8080808080808080

// decode decodes body, which is mostly ASCII, eight bytes at a time: a word
// of ASCII is copied as it is, and only the bytes of a word that are not
// ASCII are looked up. t maps ASCII to itself.
func (t *singleByte) decode(body []byte) []byte {
	n := len(body)
	for i := 0; i < len(body); i += 8 {
		if i+8 <= len(body) && binary.LittleEndian.Uint64(body[i:])&hiBits == 0 {
			continue
		}
		for _, c := range body[i:min(i+8, len(body))] {
			n += int(t.size[c]) - 1
		}
	}
	// Words are written whole, also past what is decoded so far (later
	// writes overwrite that): 8 bytes more than the text.
	dst := make([]byte, n+8)
	o, i := 0, 0
	for i+8 <= len(body) {
		w := binary.LittleEndian.Uint64(body[i:])
		binary.LittleEndian.PutUint64(dst[o:], w)
		if w&hiBits == 0 {
			i, o = i+8, o+8
			continue
		}
		// The ASCII before the first byte that is not, then that byte.
		k := bits.TrailingZeros64(w&hiBits) / 8
		o += k
		c := body[i+k]
		binary.LittleEndian.PutUint32(dst[o:], t.rune[c])
		o += int(t.size[c])
		i += k + 1
	}
	for _, c := range body[i:] {
		binary.LittleEndian.PutUint32(dst[o:], t.rune[c])
		o += int(t.size[c])
	}
	return dst[:o]
}
