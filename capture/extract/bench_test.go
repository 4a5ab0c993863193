package extract

import (
	"os"
	"path/filepath"
	"testing"
)

// benchPages are two generated forum threads of about 20 KB (from
// bench/capture's generator, decoded to UTF-8): head with meta tags, a
// style and a script, navigation, headings, paragraphs with inline links
// and markup, lists, a table, blockquotes and images with srcset.
func benchPages(tb testing.TB) [][]byte {
	tb.Helper()
	var pages [][]byte
	for _, name := range benchPageNames {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			tb.Fatal(err)
		}
		pages = append(pages, b)
	}
	return pages
}

var benchPageNames = []string{"forum-utf8.html", "forum-cp1252.html"}

// BenchmarkHTML extracts a 20 KB page: text, title, links and images.
func BenchmarkHTML(b *testing.B) {
	pages := benchPages(b)
	n := 0
	for _, p := range pages {
		n += len(p)
	}
	b.SetBytes(int64(n / len(pages)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := HTML(pages[i%len(pages)], "https://forum.example.net/t/123"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHTMLReference is BenchmarkHTML on the extraction as it was
// before the scanner (htmlReference), for comparison in the same run.
func BenchmarkHTMLReference(b *testing.B) {
	pages := benchPages(b)
	n := 0
	for _, p := range pages {
		n += len(p)
	}
	b.SetBytes(int64(n / len(pages)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := htmlReference(Limits{}, pages[i%len(pages)], "https://forum.example.net/t/123"); err != nil {
			b.Fatal(err)
		}
	}
}
