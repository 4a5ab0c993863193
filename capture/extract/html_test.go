package extract

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func mustHTML(t *testing.T, body, base string) *Page {
	t.Helper()
	p, err := HTML([]byte(body), base)
	if err != nil {
		t.Fatalf("HTML: %v", err)
	}
	return p
}

func linkURLs(p *Page) []string {
	var s []string
	for _, l := range p.Links {
		s = append(s, l.URL)
	}
	return s
}

func imageURLs(p *Page) []string {
	var s []string
	for _, im := range p.Images {
		s = append(s, im.URL)
	}
	return s
}

func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

func TestTextReadsWithBlockSeparators(t *testing.T) {
	p := mustHTML(t, `<!doctype html><html><head><title>
	  Jane   Doe —   exposed </title></head><body>
<h1>Jane <b>D</b>oe</h1>
<p>Lives at 12 Example   Street,<br>Springfield</p>
<div>Phone<div>555-0100</div>mobile</div>
<ul><li>daughter</li><li>school: <i>Central</i> High</li></ul>
<table><tr><th>Name</th><th>Car</th></tr><tr><td>Jane</td><td>Red &amp; old</td></tr></table>
<p>Jo&shy;hn&nbsp;&nbsp;Sm&#x200b;ith</p>
</body></html>`, "https://dox.example/jane")
	equal(t, "title", p.Title, "Jane Doe — exposed")
	want := "Jane Doe\n\n" +
		"Lives at 12 Example Street,\nSpringfield\n\n" +
		"Phone\n555-0100\nmobile\n\n" +
		"daughter\nschool: Central High\n\n" +
		"Name\tCar\nJane\tRed & old\n\n" +
		"John Smith"
	equal(t, "text", p.Text, want)
}

func TestHiddenContentIsAbsent(t *testing.T) {
	p := mustHTML(t, `<html><head><title>T</title>
<style>.x{content:"STYLE"}</style><script>document.write("SCRIPT")</script>
<noscript>NOSCRIPT</noscript><template><p>TEMPLATE</p></template></head>
<body>visible <script type="application/ld+json">{"SCRIPT2":1}</script>
<iframe src="/frame">IFRAME</iframe>
<svg viewBox="0 0 1 1"><title>SVGTITLE</title><text>SVGTEXT</text></svg><svg/>after
<math><mi>x</mi><mo>=</mo><mn>2</mn></math>
<form><input type="hidden" name="csrf" value="HIDDENINPUT"><input type=text value="typed"></form>
<!-- COMMENT --><p>end</p></body></html>`, "https://dox.example/")
	for _, hidden := range []string{"STYLE", "SCRIPT", "NOSCRIPT", "TEMPLATE", "IFRAME", "SVG", "HIDDENINPUT", "COMMENT"} {
		if strings.Contains(p.Text, hidden) {
			t.Errorf("text holds %s: %q", hidden, p.Text)
		}
	}
	equal(t, "title", p.Title, "T")
	equal(t, "text", p.Text, "visible after x=2\ntyped\n\nend")
	equal(t, "frames", p.Frames, []string{"https://dox.example/frame"})
}

func TestPreformattedKeepsWhitespace(t *testing.T) {
	p := mustHTML(t, "<p>before</p><pre>\n  name:  Jane\n\taddr: 12 St</pre><p>after</p><textarea>\n a  b</textarea>", "")
	equal(t, "text", p.Text, "before\n\n  name:  Jane\n\taddr: 12 St\n\nafter\n\n a  b")
}

func TestLinksResolvedAndDeduplicated(t *testing.T) {
	p := mustHTML(t, `<a href="profile.html">Profile</a>
<a href="/abs">Abs <img src="x.png" alt="icon"></a>
<a href="//other.example/p?q=1#section">Proto-relative</a>
<a href="HTTPS://Upper.Example/Path">Upper</a>
<a href="profile.html#top">dup with fragment</a>
<a href="#!/user/7">route</a>
<a href="javascript:alert(1)">js</a><a href="mailto:a@b.example">mail</a><a href="data:text/html,x">data</a>
<a href="  /spaced
path ">spaced</a>
<a><span>no href</span></a>
<a href="/img-only"><img src="y.png" alt="Only alt"></a>
<area href="/area" alt="area">
<a href="ftp://files.example/x">ftp</a>`, "https://dox.example/users/jane?tab=1")
	equal(t, "links", linkURLs(p), []string{
		"https://dox.example/users/profile.html",
		"https://dox.example/abs",
		"https://other.example/p?q=1",
		"https://upper.example/Path",
		"https://dox.example/users/jane?tab=1#!/user/7",
		"https://dox.example/spacedpath",
		"https://dox.example/img-only",
		"https://dox.example/area",
	})
	equal(t, "first text", p.Links[0].Text, "Profile")
	equal(t, "text with image", p.Links[1].Text, "Abs icon")
	equal(t, "image-only link", p.Links[6].Text, "Only alt")
}

func TestBaseHrefAppliesToTheWholeDocument(t *testing.T) {
	// A link before <base> resolves against it too, as in browsers.
	p := mustHTML(t, `<a href="early">e</a><base href="https://cdn.example/root/"><a href="late">l</a><img src="/i.png">`,
		"https://dox.example/page")
	equal(t, "links", linkURLs(p), []string{"https://cdn.example/root/early", "https://cdn.example/root/late"})
	equal(t, "images", imageURLs(p), []string{"https://cdn.example/i.png"})

	// A base that is not http(s) is ignored.
	p = mustHTML(t, `<base href="javascript:evil()/"><a href="x">x</a>`, "https://dox.example/dir/page")
	equal(t, "links", linkURLs(p), []string{"https://dox.example/dir/x"})
}

func TestImagesFromEverySource(t *testing.T) {
	p := mustHTML(t, `<html><head>
<meta property="og:image" content="/og.jpg"><meta name="twitter:image" content="https://cdn.example/tw.jpg">
<link rel="image_src" href="/linkimg.jpg"><link rel="canonical" href="/canon">
<meta http-equiv="Refresh" content="5; URL='/next'">
</head><body>
<img src="a.png" alt="Face of Jane">
<img src="data:image/gif;base64,R0lGOD" data-src="lazy.jpg" alt="lazy">
<img srcset="s1.jpg 1x, s2.jpg 2x,s3.jpg, https://cdn.example/s4.jpg?x=1,2 640w">
<img data-srcset="ds1.jpg 300w, ds2.jpg 600w">
<picture><source srcset="pic.webp" type="image/webp"><img src="pic.jpg"></picture>
<video poster="poster.jpg"><source src="movie.mp4"></video>
<noscript><img src="real.jpg" alt="Real"></noscript>
<input type="image" src="button.png" alt="go">
<img src="a.png" alt="duplicate">
<img src="javascript:void(0)">
</body></html>`, "https://dox.example/u/jane")
	equal(t, "images", imageURLs(p), []string{
		"https://dox.example/og.jpg",
		"https://cdn.example/tw.jpg",
		"https://dox.example/linkimg.jpg",
		"https://dox.example/u/a.png",
		"https://dox.example/u/lazy.jpg",
		"https://dox.example/u/s1.jpg",
		"https://dox.example/u/s2.jpg",
		"https://dox.example/u/s3.jpg",
		"https://cdn.example/s4.jpg?x=1,2",
		"https://dox.example/u/ds1.jpg",
		"https://dox.example/u/ds2.jpg",
		"https://dox.example/u/pic.webp",
		"https://dox.example/u/pic.jpg",
		"https://dox.example/u/poster.jpg",
		"https://dox.example/u/real.jpg",
		"https://dox.example/u/button.png",
	})
	equal(t, "alt", p.Images[3].Alt, "Face of Jane")
	equal(t, "noscript alt", p.Images[14].Alt, "Real")
	equal(t, "canonical", p.Canonical, "https://dox.example/canon")
	equal(t, "refresh", p.Refresh, "https://dox.example/next")
}

func TestBounds(t *testing.T) {
	var b strings.Builder
	for i := range 300 {
		fmt.Fprintf(&b, `<p><a href="/l%d">link %d</a><img src="/i%d.png"></p>`, i, i, i)
	}
	p, err := Limits{MaxText: 100, MaxLinks: 10, MaxImages: 5}.HTML([]byte(b.String()), "https://dox.example/")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Text) > 100 || len(p.Links) != 10 || len(p.Images) != 5 || !p.Truncated {
		t.Errorf("bounds not kept: %d bytes of text, %d links, %d images, truncated %v", len(p.Text), len(p.Links), len(p.Images), p.Truncated)
	}
	if !utf8.ValidString(p.Text) {
		t.Error("truncated text is not valid UTF-8")
	}

	// Truncation never splits a character.
	p, _ = Limits{MaxText: 5}.HTML([]byte("ééé"), "")
	equal(t, "truncated", p.Text, "éé")

	// Huge pages: a long anchor text and a long title are bounded too.
	long := strings.Repeat("word ", 100000)
	p = mustHTML(t, "<title>"+long+"</title><a href='/x'>"+long+"</a>", "https://dox.example/")
	if len(p.Title) > maxTitle || len(p.Links[0].Text) > maxAnchor || len(p.Text) != len(long)-1 {
		t.Errorf("title %d, link text %d, text %d bytes", len(p.Title), len(p.Links[0].Text), len(p.Text))
	}
}

func TestMalformedHTML(t *testing.T) {
	for _, body := range []string{
		"", "<", "<<<>>>", "<p", "<a href=", "<a href='/x'>unclosed", "</p></div></a>",
		"<script>never closed", "<svg><p>x", "<table><td>a<td>b", "<img srcset=',,, ,'>",
		"<title>", "<noscript>", "<pre>", "\xff\xfe<p>invalid \xc3 utf-8</p>",
		strings.Repeat("<div>", 100000) + "deep" + strings.Repeat("</div>", 100000),
		strings.Repeat("<svg>", 100000) + "x",
		strings.Repeat("<a href=/x>", 10000),
	} {
		p, err := HTML([]byte(body), "https://dox.example/")
		if err != nil {
			t.Errorf("%.40q: %v", body, err)
			continue
		}
		if !utf8.ValidString(p.Text) || !utf8.ValidString(p.Title) {
			t.Errorf("%.40q: invalid UTF-8 out: %q", body, p.Text)
		}
	}
	p := mustHTML(t, strings.Repeat("<div>", 100000)+"deep"+strings.Repeat("</div>", 100000), "")
	equal(t, "deep text", p.Text, "deep")
	p = mustHTML(t, "<p>one<p>two<li>three", "")
	equal(t, "implied ends", p.Text, "one\n\ntwo\nthree")
}

func TestBadBaseURL(t *testing.T) {
	for _, base := range []string{"relative/path", "ftp://x.example/", "http://%zz", "javascript:x"} {
		if _, err := HTML([]byte("<p>x"), base); err == nil {
			t.Errorf("base %q: no error", base)
		}
	}
	// Without a base, relative URLs are dropped and absolute ones kept.
	p := mustHTML(t, `<a href="/rel">r</a><a href="https://abs.example/">a</a>`, "")
	equal(t, "links", linkURLs(p), []string{"https://abs.example/"})
}

func TestSrcset(t *testing.T) {
	// As in the HTML standard, a URL may hold commas but not end in one.
	equal(t, "srcset", slices.Collect(srcsetURLs(" a.jpg 1x,b.jpg 2x , c.jpg, d.jpg (x, y) 3x, e,f.jpg,, g.jpg")),
		[]string{"a.jpg", "b.jpg", "c.jpg", "d.jpg", "e,f.jpg", "g.jpg"})
}

func FuzzHTML(f *testing.F) {
	for _, seed := range []string{
		`<html><head><title>t</title><base href="/b/"></head><body><p>x<br>y</p><a href="l">l</a><img srcset="a 1x, b 2x"></body></html>`,
		`<table><tr><td>a<td>b</table><pre>
 x</pre><noscript><img src=i></noscript><svg><title>s</title></svg>`,
		`<meta http-equiv=refresh content="0;url='x'"><a href="#!/r"><img alt=a></a><input type=hidden value=h>`,
		"<script>\x00</script><textarea>\r\n</textarea>\xff",
	} {
		f.Add([]byte(seed), "https://dox.example/dir/page?q=1")
	}
	f.Fuzz(func(t *testing.T, body []byte, base string) {
		p, err := Limits{MaxText: 4096, MaxLinks: 50, MaxImages: 50, MaxFrames: 50}.HTML(body, base)
		if err != nil {
			return
		}
		if len(p.Text) > 4096 || len(p.Links) > 50 || len(p.Images) > 50 || len(p.Frames) > 50 {
			t.Fatalf("bounds exceeded: %d %d %d %d", len(p.Text), len(p.Links), len(p.Images), len(p.Frames))
		}
		if !utf8.ValidString(p.Text) || !utf8.ValidString(p.Title) {
			t.Fatalf("invalid UTF-8 out")
		}
		if strings.HasPrefix(p.Text, " ") || strings.HasSuffix(p.Text, "\n") {
			t.Fatalf("separator at an end: %q", p.Text)
		}
		seen := map[string]bool{}
		for _, l := range p.Links {
			if !strings.HasPrefix(l.URL, "http://") && !strings.HasPrefix(l.URL, "https://") {
				t.Fatalf("non-http link %q", l.URL)
			}
			if seen[l.URL] {
				t.Fatalf("duplicate link %q", l.URL)
			}
			seen[l.URL] = true
		}
		for _, im := range p.Images {
			if !strings.HasPrefix(im.URL, "http://") && !strings.HasPrefix(im.URL, "https://") {
				t.Fatalf("non-http image %q", im.URL)
			}
		}
	})
}
