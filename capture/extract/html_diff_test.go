package extract

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/undox/undox/bench/pagegen"
)

// The scanner (scan.go) and the extraction on it must give exactly what
// the extraction on golang.org/x/net/html's tokenizer gave (htmlReference,
// html_reference_test.go), for every input and every limit.

// diffBases are the base URLs the inputs are extracted against.
var diffBases = []string{"https://dox.example/dir/page?q=1", "", "http://Host.Example:8080"}

// checkSame fails the test if HTML and htmlReference differ on body.
func checkSame(t testing.TB, l Limits, body []byte, base string) {
	t.Helper()
	got, gerr := l.HTML(body, base)
	want, werr := htmlReference(l, body, base)
	if gerr != werr || !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "\t")
		w, _ := json.MarshalIndent(want, "", "\t")
		t.Fatalf("limits %+v, base %q, body (%d bytes) %.3000q:\n got %s (%v)\nwant %s (%v)", l, base, len(body), body, g, gerr, w, werr)
	}
}

// hostileCases are hand-made inputs for the corners of tokenizing.
var hostileCases = []string{
	// Text, '<' that opens nothing, the end of the input.
	"", "a", "<", "a<", "<<", "<<<>>>", "a < b > c", "a<1b", "a< b", "<=", "<\x00a>", "<é>x", "x</", "</", "</ ", "</>x", "<//a>x",
	"</ p>x", "</1>x", "<a", "<a ", "<a href", "<a href=", "<a href='x", `<a href="x"`, "<a href=x", "text<a href=x>in", "<p>x</p", "<p>x</p ",
	// Tags: names, case, NUL, attributes of every shape.
	"<P>one<P>two", "<DiV>a</dIV>b", "<br/>x<br />y", "<p/>x", "<a\thref=/t\n>t</a\f>", "<a\rhref=/r>r</a>",
	"<scr\x00ipt>x</scr\x00ipt>y", "<a\x00 href=/n>n</a>", "<img src=/a.png alt=\"a\x00b\">",
	`<a href = "/sp" >sp</a>`, `<a href= '/sq'>sq</a>`, "<a href=/un>un</a>", "<a href=/un/>un</a>", "<a href=/>x</a>",
	`<a HREF="/up">up</a>`, `<a href="/first" href="/second">d</a>`, `<a HrEf="/first" hReF="/second">d</a>`,
	`<a =href="/eq">eq</a>`, `<a href=="/eqeq">x</a>`, `<a href ="/spaced">x</a>`, `<a / href="/slash">x</a>`, `<a href/="/x">x</a>`,
	`<a href="/q>gt">x</a>`, `<a href='/a"b'>x</a>`, "<a href=/a'b\"c>x</a>", `<a href="/nl` + "\r\n" + `x">x</a>`, "<a href=\"/cr\rx\">x</a>",
	`<a href="&#x2F;ent&amp;x=1&lt;">x</a>`, `<a href="/?a=1&amp=2&copy=3&copy;&notit;&not">x</a>`, `<a href=/x?a&ampb&amp;c>x</a>`,
	`<img src="x" alt="&amp &lt; &AMP; &nbsp; &fjlig; &nLt; &#0; &#128; &#x110000; &#xD800; &#99999999999;">`,
	`<img alt="&" src="&#">`, `<img alt="&#x" src="&#x;">`, `<img alt="&;" src="a&b">`,
	`<a href="/x" title=">">t</a>after`, `</a title=">">after`, `</p class="x>y">after`,
	// Self-closing svg, in every shape the tokenizer tells apart.
	"<svg/>after", "<svg />after", "<SVG/>after", "<svg a/>after", "<svg a=/>hidden", "<svg a=b/>hidden", `<svg a="b"/>after`,
	"<svg a=1 a=/>after", "<svg A=1 a=/>after", "<svg a=1 b=/>hidden", "<svg =/>after", "<svg / />after", "<svg/ >hidden",
	"<svg><svg/><p>in</svg>out", "<svg><svg a=/></svg>in</svg>out", "<svg><title>t</title><foreignObject><p>x</p></foreignObject></svg>y",
	// Entities in text.
	"&amp; &amp &AMP; &ampx &amp= &lt;&gt;&quot;&apos;&nbsp;x", "&notit; &notin; &not; &noti", "&Aacute &Aacutex &aacute;",
	"&#65;&#x41;&#X41;&#65&#x41g&#;&#x;&#&#x", "&#128;&#x80;&#x9F;&#159;&#0;&#xD800;&#x10FFFF;&#x110000;&#99999999999999;",
	"&fjlig; &nLt; &NotEqualTilde; &ThickSpace;", "&;&&&a;&a", "a&", "&", "&#", "&x", "&#12", "&frac12&frac34;&sup2x",
	"&CounterClockwiseContourIntegral;&CounterClockwiseContourIntegralX;",
	// Whitespace and invisible characters.
	"a\r\nb\rc\nd", "<pre>\r\nx</pre>", "<pre>\rx</pre>", "<pre>\n\nx</pre>", "<pre>&#10;x</pre>", "<pre>&#13;x</pre>",
	"a\x00b", "<textarea>a\x00b&amp;\r\n</textarea>", "<xmp>a\x00b&amp;<p>x</xmp>", "<plaintext>a\x00b&amp;<p>x</plaintext>y",
	"\xff\xfe<p>invalid \xc3 utf-8 \xe6\x9d</p>", "\xc3&amp;\xa9", "&eacute\xa9", "a\u00a0b\u200bc\u00add", "\ufeffx",
	// Comments, doctypes, processing instructions, CDATA.
	"a<!-- c -->b", "a<!---->b", "a<!-->b", "a<!--->b", "a<!-- --!>b", "a<!-- --!->b-->c", "a<!-- --!x>b-->c", "a<!--",
	"a<!--x", "a<!--x-", "a<!--x--", "a<!--x--!", "a<!-x>b", "a<!>b", "a<!", "a<!-", "<!doctype html>x", "<!DOCTYPE>x",
	"<!DOCTY", "<!doctype", "a<?xml version='1.0'?>b", "a<?", "a<![CDATA[x<p>y]]>b", "<svg><![CDATA[x]]></svg>y", "a<!--<p>-->b",
	// Raw text elements.
	"<script>a<b</script>c", "<script>x</SCRIPT>y", "<script>x</script\n>y", "<script>x</scriptx>y</script>z", "<script>x</script",
	"<script>x</scr", "<script><!--</script>x", "<script><!--<script></script>x</script>y", "<script><!--<script>-->x</script>y",
	"<script><!--<script></script ></script>y", "<script><!-- --></script>y", "<script><!-- -- > </script>y",
	"<script><!--<SCRIPT/x></script>a--></script>b", "<script><!--<scripts></script>c", "<script><!</script>d", "<script><!-</script>e",
	"<script><!--<</script>f", "<script><!--<a</script>g", "<script><!--<script>--></script>h</script>i", "<script></script>x",
	"<style>p{}</style>x", "<style>a</STYLE >b", "<title>t &amp; u</title>x", "<title></title>x<title>second</title>",
	"<title>a<b>c</title >d", "<title>unclosed", "<title>", "<title></title", "<TITLE>T</Title>x", "<textarea>\n a  b</textarea>",
	"<textarea></textarea>x", "<noscript><img src=/ns.png alt=ns></noscript>x", "<noscript></noscript>x", "<noscript>",
	"<noscript><noscript><img src=/in.png></noscript></noscript>y", "<noscript><title>t</title><a href=/l>l</a><iframe src=/f></iframe><base href=https://b.example/></noscript>",
	"<noscript><img src=/a\x00b.png></noscript>", "<noscript><img src='/c\r\nd.png'></noscript>",
	"<iframe src=/f1>fallback <p>text</iframe>x", "<iframe src=/f2/>x</iframe>y", "<noembed>n</noembed>x", "<noframes>n</noframes>x",
	"<xmp><b>x</b></xmp>y", "<plaintext></plaintext>x", "<template><p>t</p></template>x", "<math><mi>x</mi></math>",
	// Skipped elements, nested and crossed.
	"<svg><script>x</script><p>y</svg>z", "<script><svg></script>x", "<template><svg></template>y</svg>z",
	"<svg>" + strings.Repeat("<svg>", 70) + "x" + strings.Repeat("</svg>", 70) + "y</svg>z",
	"<noscript/>x", "<script/>x</script>y", "<style/>x</style>y", "<title/>x</title>y",
	// Links, images, meta.
	"<a href=/a>one <a href=/b>two</a>", "<a href=/a><img alt=A><img alt=''></a>", "<a href=/a><input value=v></a>",
	"<area href=/ar>", "<a href>empty</a>", "<a href=''>empty</a>", "<a href='javascript:x'>js</a>", "<a href=' /s '>s</a>",
	"<a href=/x>x</a><a href=/x>y</a><a href=/x#f>z</a>", "<base href=/b/><base href=https://other.example/><a href=c>c</a>",
	"<meta property=og:title content='  OG   title '><meta name=twitter:image content=/tw.png>",
	"<meta http-equiv=REFRESH content=\"0;URL='/r'\"><meta http-equiv=refresh content=5;url=/second>",
	"<link rel='Canonical Other' href=/c><link rel=image_src href=/is.png>", "<input type=IMAGE src=/b.png alt=go>",
	"<input type=' text ' value=shown><input type=hidden value=hidden><input value=plain>", "<video poster=/p.jpg>",
	"<img srcset='a.jpg 1x, b.jpg 2x' data-srcset='c.jpg' data-src=d.jpg data-lazy-src=e.jpg>", "<source src=/s.mp4 srcset=/s.webp>",
	"<image href=/svgimg.png>", "<frame src=/fr>", "<iframe src=javascript:x>",
	// Structure.
	"<table><tr><td>a<td>b<tr><th>c</table>", "<ul><li>a<li>b</ul><p>c", "<p>a<br>b<hr>c", "<div>a<div>b</div>c</div>",
	strings.Repeat("<div>", 1000) + "deep" + strings.Repeat("</div>", 1000),
	strings.Repeat("<a href=/x>", 300), strings.Repeat("<p>", 500) + "x",
}

// manyAttrs is a tag with more than maxAttrs attributes: only the first
// maxAttrs of distinct names are read.
func manyAttrs() []string {
	var out []string
	for _, n := range []int{255, 256, 257, 1100} {
		var b strings.Builder
		b.WriteString("<img")
		for i := range n {
			fmt.Fprintf(&b, " a%d=1", i)
		}
		b.WriteString(" src=/late.png alt=late>")
		out = append(out, b.String())
		b.Reset()
		b.WriteString("<a")
		for range n {
			b.WriteString(" x=1 X=2")
		}
		b.WriteString(" href=/dup>dup</a>")
		out = append(out, b.String())
		b.Reset()
		b.WriteString("<img")
		for i := range n {
			fmt.Fprintf(&b, " a%d=1 A%d=2", i%300, i%300)
		}
		b.WriteString(" alt=x src=/mixed.png>")
		out = append(out, b.String())
		b.Reset()
		b.WriteString("<svg")
		for i := range n {
			fmt.Fprintf(&b, " a%d=1", i)
		}
		b.WriteString(" a0=/>hidden?</svg>after")
		out = append(out, b.String())
	}
	return out
}

func TestHTMLMatchesReferenceHostile(t *testing.T) {
	cases := append(append([]string{}, hostileCases...), manyAttrs()...)
	for _, c := range cases {
		for _, base := range diffBases {
			checkSame(t, Limits{}, []byte(c), base)
		}
		checkSame(t, Limits{MaxText: 7, MaxLinks: 1, MaxImages: 1, MaxFrames: 1}, []byte(c), diffBases[0])
	}
}

// corpus returns the testdata pages and every template of the benchmark's
// pages.
func corpus(t testing.TB) [][]byte {
	var pages [][]byte
	files, err := filepath.Glob(filepath.Join("testdata", "*.html"))
	if err != nil || len(files) == 0 {
		t.Fatalf("testdata: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, b)
	}
	for k := range pagegen.PoolSize {
		pages = append(pages, []byte(benchPageText(k)))
	}
	return pages
}

func TestBenchPagesAreTheBenchmarks(t *testing.T) {
	// bench/capture's generator made the pages of testdata.
	for i, name := range benchPageNames {
		if got := benchPageText(i + 1); got != string(benchPages(t)[i]) {
			t.Errorf("benchPageText(%d) is not %s", i+1, name)
		}
	}
}

func TestHTMLMatchesReferenceCorpus(t *testing.T) {
	for i, p := range corpus(t) {
		checkSame(t, Limits{}, p, "https://forum.example.net/t/123")
		if i%8 == 0 {
			checkSame(t, Limits{}, p, "")
			checkSame(t, Limits{MaxText: 1000 + i, MaxLinks: 5, MaxImages: 2, MaxFrames: 1}, p, "https://forum.example.net/t/123")
		}
	}
}

// TestHTMLMatchesReferenceMutated extracts the corpus' pages cut, with
// bytes changed, removed or repeated.
func TestHTMLMatchesReferenceMutated(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	pages := corpus(t)
	n := 300
	if testing.Short() {
		n = 50
	}
	for range n {
		p := mutate(rng, pages[rng.IntN(len(pages))])
		checkSame(t, randomLimits(rng), p, diffBases[rng.IntN(len(diffBases))])
	}
}

func mutate(rng *rand.Rand, page []byte) []byte {
	p := append([]byte(nil), page...)
	for range 1 + rng.IntN(20) {
		if len(p) == 0 {
			break
		}
		i := rng.IntN(len(p))
		switch rng.IntN(6) {
		case 0: // cut
			p = p[:i]
		case 1: // a byte changed
			const bytes = "<>/=\"'&;!-? \n\x00\xff#xa"
			p[i] = bytes[rng.IntN(len(bytes))]
		case 2: // bytes removed
			j := min(len(p), i+1+rng.IntN(40))
			p = append(p[:i], p[j:]...)
		case 3: // bytes repeated
			j := min(len(p), i+1+rng.IntN(40))
			p = append(p[:j], append(append([]byte(nil), p[i:j]...), p[j:]...)...)
		default: // a piece inserted
			piece := randomPieces[rng.IntN(len(randomPieces))]
			p = append(p[:i], append([]byte(piece), p[i:]...)...)
		}
	}
	return p
}

func randomLimits(rng *rand.Rand) Limits {
	if rng.IntN(3) > 0 {
		return Limits{}
	}
	return Limits{MaxText: rng.IntN(200), MaxLinks: rng.IntN(4), MaxImages: rng.IntN(4), MaxFrames: rng.IntN(3)}
}

// randomPieces are what random documents are made of: markup of every
// kind, whole and broken.
var randomPieces = []string{
	// Tags.
	"<p>", "</p>", "<P>", "<div>", "</div>", "<br>", "<br/>", "<li>", "<td>", "<th>", "<tr>", "<table>", "</table>", "<h1>",
	"<pre>", "</pre>", "<listing>", "<b>", "</b>", "<span class=x>", "</span>", "<hr/>", "<html>", "<body>", "<head>",
	"<a href=/l1>", "<a href='/l2'>", `<a href="/l3">`, "<a href=l4>", "<A HREF=/L5>", "<a>", "</a>", "</A>", "<a href>",
	"<a href=#!/r>", "<a href=javascript:x>", "<a href=//other.example/p>", "<area href=/ar>", "<a href=/l1 href=/l9>",
	"<img src=/i1.png>", "<img src=i2.png alt=two>", "<img alt=\"al t\" data-src=/d.png>", "<img srcset='s1.jpg 1x, s2.jpg 2x'>",
	"<IMG SRC=/I3.PNG ALT=Three>", "<img src=/i1.png alt=again>", "<source srcset=/so.webp src=/so.mp4>", "<image href=/im.png>",
	"<video poster=/po.jpg>", "<input type=image src=/ib.png alt=ib>", "<input value=iv>", "<input type=hidden value=ih>",
	"<input type=submit value='Go &amp; go'>", "<iframe src=/if>", "</iframe>", "<frame src=/fr>", "<base href=/base/>",
	"<base href=https://b.example/>", "<meta property=og:title content=OG>", "<meta name=og:title content=OG2>",
	"<meta property=og:image content=/og.png>", "<meta http-equiv=refresh content='0;url=/rf'>", "<link rel=canonical href=/cn>",
	"<link rel=image_src href=/ls.png>", "<svg>", "</svg>", "<svg/>", "<svg a=/>", "<svg a=1 a=/>", "<math>", "</math>",
	"<template>", "</template>", "<select><option>o1<option>o2</select>",
	// Raw text elements.
	"<script>", "</script>", "<SCRIPT>", "</script >", "</script", "<script/>", "<style>", "</style>", "<title>", "</title>",
	"<TITLE>", "</title/>", "<textarea>", "</textarea>", "<noscript>", "</noscript>", "<xmp>", "</xmp>", "<plaintext>",
	"<iframe>", "<noembed>", "</noembed>", "<noframes>", "</noframes>", "<!--<script>", "-->", "</scrip", "</scriptx>",
	// Comments and others.
	"<!--", "<!-- c -->", "<!---->", "<!-->", "<!--->", "--!>", "--", "-", "<!", "<!>", "<!doctype html>", "<!DOCTYPE",
	"<?xml x?>", "<?", "<![CDATA[", "]]>", "</>", "</ x>", "</1>", "</",
	// Text.
	"text", "Jane Doe", " ", "  ", "\n", "\r\n", "\r", "\t", "\f", "\u00a0", "\u200b", "\u00ad", "é", "東京", "\x00", "\xff",
	"\xc3", "&amp;", "&amp", "&AMP;", "&lt;", "&gt", "&quot;", "&nbsp;", "&nbsp", "&copy", "&copy=", "&notit;", "&notin;",
	"&#65;", "&#x41;", "&#128;", "&#0;", "&#xD800;", "&#x110000;", "&#", "&#x", "&", "&;", "&fjlig;", "&nLt;", "&Aacute",
	"&#10;", "&#13;", "<", ">", "<<", "a<b", "=", "\"", "'", "/", " x=1", " href=/in", " =", "/>",
}

// randomDoc makes a document of random pieces, random bytes and random
// runs of letters.
func randomDoc(rng *rand.Rand) []byte {
	var b []byte
	for range rng.IntN(80) {
		switch r := rng.IntN(20); {
		case r == 0:
			b = append(b, byte(rng.IntN(256)))
		case r == 1:
			for range 1 + rng.IntN(8) {
				b = append(b, "aAzZ09-_ "[rng.IntN(9)])
			}
		default:
			b = append(b, randomPieces[rng.IntN(len(randomPieces))]...)
		}
	}
	return b
}

func TestHTMLMatchesReferenceRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for range n {
		checkSame(t, randomLimits(rng), randomDoc(rng), diffBases[rng.IntN(len(diffBases))])
	}
}

// The scanner cuts and decodes text as the tokenizer does: the same
// tokens, the same text, the same tag names (for the names it knows),
// for random documents. This checks the scanner below what the
// extraction shows.
func TestScannerMatchesTokenizer(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	docs := append([]string{}, hostileCases...)
	for range 5000 {
		docs = append(docs, string(randomDoc(rng)))
	}
	for _, doc := range docs {
		z := html.NewTokenizer(strings.NewReader(doc))
		s := &scanner{b: []byte(doc)}
		var buf []byte
		for {
			tt := z.Next()
			k := s.next()
			for k == tokComment {
				k = s.next()
			}
			for tt == html.CommentToken || tt == html.DoctypeToken {
				tt = z.Next()
			}
			want := map[html.TokenType]tokKind{html.ErrorToken: tokEOF, html.TextToken: tokText,
				html.StartTagToken: tokStart, html.SelfClosingTagToken: tokStart, html.EndTagToken: tokEnd}[tt]
			if k != want {
				t.Fatalf("%q: got token %d, want %v (%q)", doc, k, tt, z.Raw())
			}
			if k == tokEOF {
				break
			}
			switch k {
			case tokText:
				if got, want := s.text(&buf), z.Text(); string(got) != string(want) {
					t.Fatalf("%q: text %q, want %q", doc, got, want)
				}
			case tokStart, tokEnd:
				name, _ := z.TagName()
				if id := lookupTag(name); id != s.tag {
					t.Fatalf("%q: tag %q, want %q", doc, tagNames[s.tag], name)
				}
				if k == tokStart && s.tag == tagSvg && s.selfClosing != (tt == html.SelfClosingTagToken) {
					t.Fatalf("%q: svg %q self-closing %v, tokenizer %v", doc, z.Raw(), s.selfClosing, tt)
				}
				if k == tokStart && tagInfos[s.tag].attrs {
					var keys []string
					vals := map[string]string{}
					for more := true; more && len(keys) < maxAttrs; {
						k, v, m := z.TagAttr()
						more = m
						if k == nil && v == nil && !m {
							break
						}
						if _, ok := vals[string(k)]; !ok {
							keys = append(keys, string(k))
							vals[string(k)] = string(v)
						}
					}
					for _, k := range keys {
						if !isASCIILower(k) {
							continue
						}
						if got, ok := s.lookup(k); !ok || string(got) != vals[k] {
							t.Fatalf("%q: attribute %q = %q, want %q", doc, k, got, vals[k])
						}
					}
				}
			}
		}
	}
}

func isASCIILower(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf || 'A' <= s[i] && s[i] <= 'Z' {
			return false
		}
	}
	return true
}

// Every element the extraction knows has a tagID, found by its name in
// any case, and no other name finds one.
func TestTagIDs(t *testing.T) {
	for _, m := range []map[string]bool{keys(blockBreak), skipped, preformatted} {
		for name := range m {
			if lookupTag([]byte(name)) == tagOther {
				t.Errorf("%s has no tagID", name)
			}
		}
	}
	for id := tagOther + 1; id < numTags; id++ {
		name := tagNames[id]
		if got := lookupTag([]byte(name)); got != id {
			t.Errorf("%s: got %s", name, tagNames[got])
		}
		if got := lookupTag([]byte(strings.ToUpper(name))); got != id {
			t.Errorf("%s: got %s", strings.ToUpper(name), tagNames[got])
		}
		p := tagProps[name]
		if info := tagInfos[id]; info.sep != p.sep || info.skipped != p.skipped || info.pre != p.pre {
			t.Errorf("%s: %+v, want %+v", name, info, p)
		}
		for _, other := range []string{name + "x", name + "\x00", "x" + name, name[:len(name)-1] + "\x00"} {
			if got := lookupTag([]byte(other)); got != tagOther && tagNames[got] != other {
				t.Errorf("%q: got %s", other, tagNames[got])
			}
		}
	}
}

func keys[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool)
	for k := range m {
		out[k] = true
	}
	return out
}

// Every named reference decodes as x/net/html decodes it.
func TestEntitiesMatchTokenizer(t *testing.T) {
	entity, entity2 := entities()
	check := func(s string) {
		t.Helper()
		for _, attr := range []bool{false, true} {
			doc := s
			if attr {
				doc = "<img alt=\"" + strings.ReplaceAll(s, `"`, "") + "\">"
			}
			z := html.NewTokenizer(strings.NewReader(doc))
			z.Next()
			var want []byte
			if attr {
				_, want, _ = z.TagAttr()
				s = strings.ReplaceAll(s, `"`, "")
			} else {
				want = z.Text()
			}
			got := decodeText(nil, []byte(s), false, true, attr)
			if string(got) != string(want) {
				t.Fatalf("%q (attribute %v): got %q, want %q", s, attr, got, want)
			}
		}
	}
	for name := range entity {
		check("&" + name)
		check("&" + name + "x")
		check("&" + name + "=")
		check("x&" + name + "1;")
	}
	for name := range entity2 {
		check("&" + name)
	}
}

func FuzzHTMLMatchesReference(f *testing.F) {
	for _, c := range hostileCases {
		f.Add([]byte(c), diffBases[0], uint16(0))
	}
	f.Add(benchPages(f)[0], "https://forum.example.net/t/123", uint16(0))
	f.Add(benchPages(f)[1][:4000], "https://forum.example.net/t/123", uint16(300))
	f.Fuzz(func(t *testing.T, body []byte, base string, lim uint16) {
		var l Limits
		if lim != 0 {
			l = Limits{MaxText: int(lim % 1024), MaxLinks: int(lim>>10) % 4, MaxImages: int(lim>>12) % 4, MaxFrames: int(lim>>14) % 4}
		}
		checkSame(t, l, body, base)
	})
}

// The resolver gives what the reference's resolve gave, for URLs of every
// shape, against bases of every shape.
func TestResolverMatchesReference(t *testing.T) {
	bases := []string{"", "https://dox.example/dir/page?q=1", "http://Host.Example:8080", "https://user:pw@h.example/a/b/",
		"https://h.example", "https://h.example/%41b/c", "https://H.example/é/x#f", "http://[::1]:80/x/"}
	parts := [][]string{
		{"", "", "", "http://", "https://", "HTTPS://", "hTTp://", "ftp://", "javascript:", "//", "///", "http:/", "http:", "data:", " ", "\t"},
		{"", "", "dox.example", "Example.COM", "a-b.c", "x_y", "[::1]", "h:80", "h:", "user@h", "%41", "é.example", "h..x", "-"},
		{"", "/", "//", "/a/b", "/a//b", "/./", "/../", "/.a", "/a.", "/..", "/.", "/%41", "/%zz", "/é", "/a b", "/a(b)", "/a:b", "a:b",
			"./x", "x", ":x", "x/y", "../x", "/a/./b", "/a/../b", "/t/123", "/a\tb", "/a\nb", "/~u!$&'()*+,;=:@", "/a\x01", "/a\x7f", "/[x]", "/a|b", "/a\"b"},
		{"", "", "?", "??", "?a=1&b", "?%zz", "? x", "?é", "?a\x01", "?x=/y?z", "?#"},
		{"", "", "#", "#x", "#!/r", "#/r", "#%zz", "#%41", "#a b", "#x%", "#é"},
		{"", "", " ", "\n", "\f"},
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for _, b := range bases {
		var base *url.URL
		if b != "" {
			u, err := url.Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			base = u
		}
		r := newResolver(base)
		hits := 0
		for range 20000 {
			var raw strings.Builder
			if rng.IntN(2) == 0 {
				for _, p := range parts {
					raw.WriteString(p[rng.IntN(len(p))])
				}
			} else {
				nearFastURL(rng, &raw)
			}
			s := raw.String()
			if c := cleanURL(s); len(c) <= maxURL {
				if _, ok := fast(r, nil, c); ok {
					hits++
				}
			}
			got, ok := r.resolve(s)
			var want string
			u := refResolve(base, s)
			if u != nil {
				want = u.String()
			}
			if ok != (u != nil) || got != want {
				t.Fatalf("base %q, %q: got %q (%v), want %q", b, s, got, ok, want)
			}
		}
		t.Logf("base %q: %d of 20000 resolved by the fast path", b, hits)
		if hits < 2500 {
			t.Errorf("base %q: the fast path resolved only %d URLs", b, hits)
		}
	}
}

// nearFastURL writes a URL of the shapes the resolver's fast path takes,
// or nearly.
func nearFastURL(rng *rand.Rand, b *strings.Builder) {
	pick := func(set string, n int) {
		for range n {
			b.WriteByte(set[rng.IntN(len(set))])
		}
	}
	switch rng.IntN(4) {
	case 0:
	case 1:
		b.WriteString([]string{"http://", "https://", "HTTPS://", "Http://"}[rng.IntN(4)])
		pick("aZ09.-", 1+rng.IntN(6))
		if rng.IntN(10) == 0 {
			pick(":_@%[]/", 1)
		}
	default:
		b.WriteString([]string{"https://", "http://"}[rng.IntN(2)])
		b.WriteString("cdn.Example.net")
	}
	for range rng.IntN(5) {
		b.WriteByte('/')
		if rng.IntN(4) == 0 {
			pick("..", 1+rng.IntN(2))
		}
		pick("aZ09-._~!$&'()*+,;=:@", rng.IntN(6))
		if rng.IntN(20) == 0 {
			pick("% é\"|<>^`{}", 1)
		}
		if rng.IntN(4) == 0 {
			b.WriteString([]string{"é", "\xff", "東京", "!", "(x)", "*", "'"}[rng.IntN(7)])
		}
	}
	if rng.IntN(2) == 0 {
		b.WriteByte('?')
		pick("a=1&b/?:@. ", rng.IntN(6))
		if rng.IntN(20) == 0 {
			pick("\x01\x7f\xc3\xa9", 1)
		}
	}
	if rng.IntN(2) == 0 {
		b.WriteByte('#')
		pick("a!/%41 #", rng.IntN(4))
	}
}

// benchPageText is bench/capture's page k (before its charset is
// encoded, as extract receives it once decoded), numbered k.
func benchPageText(k int) string {
	return strings.ReplaceAll(pagegen.Text(k), pagegen.IDSlot, fmt.Sprintf("%010d", k))
}

// resolve (for the tests) returns raw resolved as appendResolved does and ok, or ok false if
// resolve returns nil.
func (r *resolver) resolve(raw string) (string, bool) {
	b, ok := appendResolved(r, nil, raw)
	return string(b), ok
}
