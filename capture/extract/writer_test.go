package extract

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// refWriter is textWriter as it was first written, a character at a time:
// the specification that textWriter's runs must follow exactly. It uses the
// reference's character classes (html_reference_test.go).
type refWriter struct {
	b           strings.Builder
	max         int
	pending     sep
	newlines    int
	dropNewline bool
	truncated   bool
}

func (w *refWriter) sep(s sep) {
	if s > w.pending {
		w.pending = s
	}
}

func (w *refWriter) write(b []byte) {
	w.dropNewline = false
	for len(b) > 0 && !w.truncated {
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		switch {
		case refIsSpace(r):
			w.sep(sepSpace)
		case refInvisible(r):
		default:
			w.emit(r)
		}
	}
}

func (w *refWriter) writePre(b []byte) {
	for len(b) > 0 && !w.truncated {
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		if w.dropNewline {
			w.dropNewline = false
			if r == '\n' {
				continue
			}
		}
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
		default:
			w.emit(r)
		}
	}
}

func (w *refWriter) flush() {
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

func (w *refWriter) emit(r rune) {
	w.flush()
	w.add(r)
}

func (w *refWriter) add(r rune) bool {
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

// pieces are what the writers are fed: every kind of character they treat
// apart (ASCII, multi-byte, whitespace of every kind, invisible ones,
// controls, invalid bytes, a literal U+FFFD).
var pieces = []string{
	"a", "Jane", "Doe.", "12", "é", "één", "東京", "𝔘", "\uFFFD", "—",
	" ", "  ", "\t", "\n", "\r", "\f", "\v", "\u0085", "\u00a0", "\u202f", "\u2007", "\u3000", "\u2028",
	"\u00ad", "\u200b", "\u2060", "\ufeff", "\u180e", "\x00", "\x01", "\x1f", "\x7f", "\u0080", "\u009f",
	"\xff", "\xc3", "\xe6\x9d", "\xed\xa0\x80",
}

// The writer's runs give the same text, separators and truncation as
// writing a character at a time, for random text, separators, preformatted
// text and bounds.
func TestTextWriterMatchesCharacterAtATime(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 20000 {
		max := 1 + rng.IntN(60)
		if i%10 == 0 {
			max = 1 << 20
		}
		fast := textWriter{max: max, sizeHint: rng.IntN(40)}
		ref := refWriter{max: max}
		var ops []string
		for range 1 + rng.IntN(12) {
			switch rng.IntN(4) {
			case 0:
				s := sep(1 + rng.IntN(4))
				fast.sep(s)
				ref.sep(s)
				ops = append(ops, "sep")
			case 1:
				fast.dropNewline, ref.dropNewline = true, true
				fallthrough
			default:
				var b []byte
				for range rng.IntN(10) {
					b = append(b, pieces[rng.IntN(len(pieces))]...)
				}
				if rng.IntN(3) == 0 {
					fast.writePre(b)
					ref.writePre(b)
					ops = append(ops, "pre "+string(b))
				} else {
					fast.write(b)
					ref.write(b)
					ops = append(ops, "write "+string(b))
				}
			}
			if fast.String() != ref.b.String() || fast.truncated != ref.truncated || fast.newlines != ref.newlines ||
				fast.pending != ref.pending || fast.dropNewline != ref.dropNewline {
				t.Fatalf("max %d, after %q:\n got %q (truncated %v)\nwant %q (truncated %v)",
					max, ops, fast.String(), fast.truncated, ref.b.String(), ref.truncated)
			}
		}
		if !utf8.ValidString(fast.String()) {
			t.Fatalf("invalid UTF-8: %q", fast.String())
		}
		// Written text with only spaces between its pieces collapses to
		// itself (closeAnchor relies on it), unless it was cut off.
		spaced := textWriter{max: max}
		for range 1 + rng.IntN(8) {
			var b []byte
			for range rng.IntN(10) {
				b = append(b, pieces[rng.IntN(len(pieces))]...)
			}
			spaced.write(b)
			if rng.IntN(2) == 0 {
				spaced.sep(sepSpace)
			}
		}
		if s := spaced.String(); !spaced.truncated && collapse([]byte(s), max) != s {
			t.Fatalf("%q collapses to %q", s, collapse([]byte(s), max))
		}
	}
}

// The reference's refTagName reads a tag's name as the tokenizer's TagName
// does, for tags of every shape. (The scanner's names are checked against
// the tokenizer's by TestScannerMatchesTokenizer.)
func TestTagNameMatchesTokenizer(t *testing.T) {
	docs := []string{
		`<p>x</p><P>y</P><DiV class=a>z</dIv><br/><br /><img src=x/><a/b>c</a >`,
		"<scr\x00ipt>x</scr\x00ipt><svg:rect/><my-element x=1></my-element><x\x00y>",
		"<title>t</title><TEXTAREA>\n a</TEXTAREA><script>if (a</b) {}</script><style>p{}</style>",
		"<a\thref=x>1</a\n><b\fc>2</b\r><i\n>3</i>< p>not a tag</ p></>",
		"<!doctype html><!-- c --><?xml?><noscript><img src=a></noscript><iframe>raw</iframe>",
		"<ÄBC>x</ÄBC><abc\xff>y</abc\xff><h1>z</h1><H6/>",
		`<table><TR><Td>a<tH>b</table><select><option>o</select><xmp><p></xmp><plaintext><p>`,
	}
	rng := rand.New(rand.NewPCG(5, 6))
	parts := []string{"<", "</", ">", "/>", "a", "A", "div", "DIV", "p", " ", "\t", "\n", "=", "\"", "'", "x", "\x00",
		"script", "style", "title", "textarea", "é", "svg", "-", ":", "!", "?"}
	for range 3000 {
		var b strings.Builder
		for range rng.IntN(40) {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		docs = append(docs, b.String())
	}
	for _, doc := range docs {
		// Two tokenizers in step: tagName may fall back on TagName, which
		// can be called once per token.
		z := html.NewTokenizer(strings.NewReader(doc))
		zt := html.NewTokenizer(strings.NewReader(doc))
		for {
			tt := z.Next()
			if zt.Next() != tt {
				t.Fatalf("%q: the tokenizers differ", doc)
			}
			if tt == html.ErrorToken {
				break
			}
			if tt != html.StartTagToken && tt != html.EndTagToken && tt != html.SelfClosingTagToken {
				continue
			}
			got := refTagName(z)
			want, _ := zt.TagName()
			if got != string(want) {
				t.Fatalf("%q: tag %q: got %q, want %q", doc, z.Raw(), got, want)
			}
		}
	}
}

// The benchmark's pages come out exactly as they did when text was written
// a character at a time, tag names copied and every attribute read
// (testdata/*.json was made then).
func TestPagesAsBefore(t *testing.T) {
	for i, name := range benchPageNames {
		p, err := HTML(benchPages(t)[i], "https://forum.example.net/t/123")
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join("testdata", strings.TrimSuffix(name, ".html")+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var want Page
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(p, &want) {
			got, _ := json.MarshalIndent(p, "", "\t")
			t.Errorf("%s: got\n%s", name, got)
		}
		if !strings.Contains(p.Text, "Café “De Zwaan”, één keer per week, 12 €") {
			t.Errorf("%s: text %.200q", name, p.Text)
		}
	}
}

// isSpace and invisible are the reference's, for every character.
func TestCharacterClassesMatchReference(t *testing.T) {
	for r := rune(0); r <= utf8.MaxRune+1; r++ {
		if isSpace(r) != refIsSpace(r) || invisible(r) != refInvisible(r) {
			t.Fatalf("%U: isSpace %v invisible %v", r, isSpace(r), invisible(r))
		}
	}
}

// Long runs of text, where the writer takes eight bytes at a time, come out
// as a character at a time.
func TestTextWriterLongRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	long := []string{"abcdefgh", "Jane Doe lives", "a b c d e f g h", "word  word", " leading spaces", "trailing ", "tab\there",
		"x.y,z;w:v!u?t", "~}|{`_^]\\[@", "é", "a\u00a0b", "\x7f", "\x00", "\n", "12345678 ", "        ", "a       b",
		"“quoted” — x", "a\u2028b", "\u200b", "\u00ad", "·", "\u202f", "\u2007", "\u2029", "\u2009", "\u200c", "\u2030",
		"\u0085", "\u009f", "\u00a1", "\u07ff", "\u0800", "\xc2", "\xe2\x80", "\xe2\x80\x20", "€", "東京", "\xc3\x28", "\xdf\xc0",
		"ab\xc3", "ab\xe2\x80\x9c", "\xed\xa0\x80", "\xf0\x9f\x98\x80", "abcdefg\u00e9", "abcdef\u201c"}
	for range 50000 {
		max := 1 + rng.IntN(200)
		if rng.IntN(4) == 0 {
			max = 1 << 20
		}
		fast := textWriter{max: max}
		ref := refWriter{max: max}
		var b []byte
		for range rng.IntN(16) {
			b = append(b, long[rng.IntN(len(long))]...)
		}
		if rng.IntN(3) == 0 {
			fast.writePre(b)
			ref.writePre(b)
		} else {
			fast.write(b)
			ref.write(b)
		}
		if fast.String() != ref.b.String() || fast.truncated != ref.truncated || fast.pending != ref.pending {
			t.Fatalf("max %d, %q:\n got %q\nwant %q", max, b, fast.String(), ref.b.String())
		}
	}
}

// collapse (for the tests) returns s on one line, whitespace collapsed, in at most max
// bytes.
func collapse(s []byte, max int) string {
	if len(s) == 0 {
		return ""
	}
	w := textWriter{max: max}
	w.write(s)
	return string(w.b)
}
