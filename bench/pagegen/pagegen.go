// Package pagegen makes the synthetic forum pages of bench/capture and of
// package extract's reference tests: PoolSize distinct templates of about
// 20 KB, generated deterministically, in four kinds (the charset label in
// the Content-Type header or in a <meta>; UTF-8 or windows-1252).
package pagegen

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	// PoolSize is how many distinct templates there are.
	PoolSize = 256
	// TargetSize is a page's size, about.
	TargetSize = 20 << 10
	// IDSlot is where a page's number goes in a template.
	IDSlot = "\x00ID\x00"
	// FixedPhrase is in every page, in its charset: decoded text holds it.
	FixedPhrase = "Café “De Zwaan”, één keer per week, 12 €"
)

// Kind is where a page's charset label is and which charset it is.
type Kind struct {
	Charset  string // utf-8 or windows-1252
	InHeader bool   // labelled in the Content-Type header, else by a <meta>
}

var kinds = [4]Kind{{"utf-8", true}, {"utf-8", false}, {"windows-1252", true}, {"windows-1252", false}}

// KindOf is template k's kind.
func KindOf(k int) Kind { return kinds[k%len(kinds)] }

// Words of the pages. Those of words and names are all in windows-1252;
// utf8Words are only in utf-8 pages.
var (
	words = strings.Fields(`de het een en van in op met voor niet is dat die er zijn was
		aan ook als bij nog maar dan wel naar uit om tot over door hij zij wij
		straat buurt huis adres woont werkt auto fiets school kinderen werk
		foto bericht forum draad reactie gebruiker profiel telefoon nummer
		the and of to in is that it for on with as was he she they at by from
		address street neighbour posted photo profile number phone work school
		café één coöperatie naïve façade über Zürich señor garçon déjà vu crème brûlée
		rôle élève Genève Köln Malmö Ålesund Øster piñata smörgåsbord`)
	utf8Words = strings.Fields(`Łódź Gdańsk Ελλάδα Москва Київ 東京 서울 İstanbul Šibenik ĳsbeer`)
	names     = strings.Fields(`Jansen deVries Bakker Visser Smit Meijer Mulder Bos Vos Peters
		Hendriks Dekker Brouwer Dijkstra Müller Lefèvre Ødegård Núñez`)
	hosts = []string{"forum.example.net", "nieuws.example.org", "social.example.com",
		"cdn.example.net", "archive.example.org", "maps.example.com"}
)

// gen writes one page template.
type gen struct {
	r    *rand.Rand
	k    int
	b    strings.Builder
	utf8 bool
}

func (g *gen) word() string {
	if g.utf8 && g.r.IntN(40) == 0 {
		return utf8Words[g.r.IntN(len(utf8Words))]
	}
	return words[g.r.IntN(len(words))]
}

func (g *gen) words(n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = g.word()
	}
	return strings.Join(w, " ")
}

func (g *gen) name() string { return names[g.r.IntN(len(names))] }

func (g *gen) url() string {
	if g.r.IntN(3) == 0 {
		return fmt.Sprintf("/t/%d#post-%d", g.r.IntN(100000), g.r.IntN(50))
	}
	return fmt.Sprintf("https://%s/%s/%d", hosts[g.r.IntN(len(hosts))], g.word2(), g.r.IntN(1000000))
}

// word2 is a word fit for a URL path.
func (g *gen) word2() string {
	for {
		if w := words[g.r.IntN(len(words))]; isASCII(w) {
			return w
		}
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// sentence is a sentence with inline markup and, now and then, a link.
func (g *gen) sentence() string {
	var s strings.Builder
	w := g.words(6 + g.r.IntN(12))
	r, n := utf8.DecodeRuneInString(w)
	s.WriteRune(unicode.ToUpper(r))
	s.WriteString(w[n:])
	switch g.r.IntN(6) {
	case 0:
		fmt.Fprintf(&s, ` <a href="%s">%s</a>`, g.url(), g.words(2+g.r.IntN(3)))
	case 1:
		fmt.Fprintf(&s, ` <strong>%s</strong>`, g.words(2))
	case 2:
		fmt.Fprintf(&s, ` <em>%s</em>`, g.words(3))
	case 3:
		fmt.Fprintf(&s, ` “%s”`, g.words(4))
	}
	s.WriteString(" " + g.words(3+g.r.IntN(6)) + ".")
	return s.String()
}

func (g *gen) paragraph() string {
	n := 2 + g.r.IntN(4)
	s := make([]string, n)
	for i := range s {
		s[i] = g.sentence()
	}
	return "<p>" + strings.Join(s, " ") + "</p>\n"
}

// Text is page template k (0 ≤ k, usually < PoolSize) as UTF-8 text,
// with IDSlot where the page number goes, twice (title and heading). Its
// charset is Kind(k).Charset: encode it before serving a windows-1252
// page.
func Text(k int) string {
	kind := KindOf(k)
	g := &gen{r: rand.New(rand.NewPCG(uint64(k), 0x756e646f78)), k: k, utf8: kind.Charset == "utf-8"}
	b := &g.b
	b.WriteString("<!DOCTYPE html>\n<html lang=\"nl\">\n<head>\n")
	if !kind.InHeader {
		if k%8 < 4 {
			fmt.Fprintf(b, "<meta charset=\"%s\">\n", kind.Charset)
		} else {
			fmt.Fprintf(b, "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=%s\">\n", kind.Charset)
		}
	}
	topic := g.words(5)
	fmt.Fprintf(b, "<title>Draad %s: %s – Buurtforum</title>\n", IDSlot, topic)
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	fmt.Fprintf(b, "<meta name=\"description\" content=\"%s\">\n", g.words(12))
	fmt.Fprintf(b, "<meta property=\"og:title\" content=\"%s\">\n", topic)
	fmt.Fprintf(b, "<meta property=\"og:image\" content=\"https://cdn.example.net/og/%d.jpg\">\n", k)
	fmt.Fprintf(b, "<link rel=\"canonical\" href=\"https://forum.example.net/t/%d\">\n", k)
	b.WriteString("<link rel=\"stylesheet\" href=\"/static/site.css?v=3\">\n")
	b.WriteString("<style>body{font-family:system-ui,sans-serif;margin:0}.post{margin:1em 0;padding:.5em}.meta{color:#666}</style>\n")
	b.WriteString("<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}gtag('js',new Date());</script>\n")
	b.WriteString("</head>\n<body class=\"thread\">\n<header>\n<a class=\"logo\" href=\"/\"><img src=\"/static/logo.png\" alt=\"Buurtforum\" width=\"120\" height=\"40\"></a>\n<nav><ul>\n")
	for _, s := range []string{"Home", "Nieuw", "Populair", "Buurten", "Zoeken", "Regels", "Inloggen", "Registreren"} {
		fmt.Fprintf(b, "<li><a href=\"/%s\">%s</a></li>\n", strings.ToLower(s), s)
	}
	b.WriteString("</ul></nav>\n</header>\n<main>\n<article>\n")
	fmt.Fprintf(b, "<h1>Draad %s: %s</h1>\n", IDSlot, topic)
	author := g.name()
	fmt.Fprintf(b, "<p class=\"meta\">Geplaatst door <a href=\"/u/%s\">%s</a> op <time datetime=\"2024-%02d-%02dT%02d:%02d\">%d-%d-2024</time> · %s</p>\n",
		strings.ToLower(author), author, 1+k%12, 1+k%28, k%24, k%60, 1+k%28, 1+k%12, FixedPhrase)

	const closing = "</article>\n</main>\n<footer>\n<p>© 2024 Buurtforum · <a href=\"/privacy\">Privacy</a> · <a href=\"/contact\">Contact</a> · <a href=\"https://social.example.com/buurtforum\">Volg ons</a></p>\n</footer>\n</body>\n</html>\n"
	images := 0
	for post := 1; b.Len() < TargetSize-len(closing)-2000; post++ {
		user := g.name()
		fmt.Fprintf(b, "<section class=\"post\" id=\"post-%d\">\n<h2>%s</h2>\n", post, g.words(3+g.r.IntN(4)))
		fmt.Fprintf(b, "<div class=\"author\"><a href=\"/u/%s\">%s</a> <span class=\"meta\">#%d</span></div>\n", strings.ToLower(user), user, post)
		for range 1 + g.r.IntN(3) {
			b.WriteString(g.paragraph())
		}
		switch r := g.r.IntN(8); {
		case r < 2 && images < 5:
			images++
			fmt.Fprintf(b, "<figure><img src=\"https://cdn.example.net/img/%d-%d.jpg\" srcset=\"https://cdn.example.net/img/%d-%d@2x.jpg 2x\" alt=\"%s\" width=\"640\" height=\"480\" loading=\"lazy\"><figcaption>%s</figcaption></figure>\n",
				k, post, k, post, g.words(4), g.words(6))
		case r == 2:
			b.WriteString("<ul>\n")
			for range 2 + g.r.IntN(4) {
				fmt.Fprintf(b, "<li>%s</li>\n", g.words(4+g.r.IntN(6)))
			}
			b.WriteString("</ul>\n")
		case r == 3:
			fmt.Fprintf(b, "<blockquote><p>%s</p></blockquote>\n", g.sentence())
		case r == 4:
			b.WriteString("<table>\n<tr><th>Naam</th><th>Straat</th><th>Plaats</th></tr>\n")
			for range 2 + g.r.IntN(3) {
				fmt.Fprintf(b, "<tr><td>%s</td><td>%s %d</td><td>%s</td></tr>\n", g.name(), g.word(), 1+g.r.IntN(200), g.word())
			}
			b.WriteString("</table>\n")
		}
		fmt.Fprintf(b, "<p class=\"actions\"><a href=\"/t/%d#post-%d\">Link</a> · <a href=\"/report?post=%d\">Melden</a></p>\n</section>\n", k, post, post)
	}
	// A last post, sentence by sentence, up to about TargetSize.
	fmt.Fprintf(b, "<section class=\"post\" id=\"post-last\">\n<h2>%s</h2>\n<p>", g.words(3))
	for b.Len() < TargetSize-len(closing)-len("</p>\n</section>\n")-120 {
		b.WriteString(g.sentence() + " ")
	}
	b.WriteString("</p>\n</section>\n")
	b.WriteString(closing)
	return b.String()
}
