package fetch_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"

	"github.com/undox/undox/capture/fetch"
)

// BenchmarkDecodeText decodes a 20 KB forum page (bench/capture's
// generator; extract's testdata/forum-utf8.html) as bench/capture serves it: UTF-8
// or windows-1252, labelled by the Content-Type header or by its <meta>.
func BenchmarkDecodeText(b *testing.B) {
	page, err := os.ReadFile(filepath.Join("..", "extract", "testdata", "forum-utf8.html"))
	if err != nil {
		b.Fatal(err)
	}
	// What windows-1252 lacks becomes "?".
	cp1252, err := encoding.ReplaceUnsupported(charmap.Windows1252.NewEncoder()).Bytes(bytes.Replace(page, []byte(`charset="utf-8"`), []byte(`charset="windows-1252"`), 1))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name, contentType string
		body              []byte
	}{
		{"utf-8/header", "text/html; charset=utf-8", page},
		{"utf-8/meta", "text/html", page},
		{"windows-1252/header", "text/html; charset=windows-1252", cp1252},
		{"windows-1252/meta", "text/html", cp1252},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			b.ReportAllocs()
			for b.Loop() {
				text, _, _ := fetch.DecodeText(c.body, c.contentType)
				if len(text) < len(c.body) {
					b.Fatalf("decoded %d bytes of %d", len(text), len(c.body))
				}
			}
		})
	}
}
