package fetch_test

import (
	"math/rand/v2"
	"testing"
	"unicode/utf8"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox/capture/fetch"
)

func TestDecodeText(t *testing.T) {
	sjis := []byte{0x93, 0xfa, 0x96, 0x7b, 0x8c, 0xea} // 日本語
	for name, tc := range map[string]struct {
		body        []byte
		contentType string
		charset     string
		source      string
		text        string
	}{
		"utf-8 labelled":              {[]byte("grüße"), "text/html; charset=UTF-8", "utf-8", fetch.CharsetFromHeader, "grüße"},
		"utf-8 unlabelled":            {[]byte("grüße"), "text/plain", "utf-8", fetch.CharsetSniffed, "grüße"},
		"windows-1252 labelled utf-8": {[]byte("gr\xfc\xdfe"), "text/html; charset=utf-8", "windows-1252", fetch.CharsetFromDefault, "grüße"},
		"latin1 label":                {[]byte("gr\xfc\xdfe"), "text/plain; charset=ISO-8859-1", "windows-1252", fetch.CharsetFromHeader, "grüße"},
		"shift_jis header":            {sjis, "text/plain; charset=shift_jis", "shift_jis", fetch.CharsetFromHeader, "日本語"},
		"shift_jis meta charset":      {append([]byte(`<html><head><meta charset="Shift_JIS"></head><body>`), sjis...), "text/html", "shift_jis", fetch.CharsetFromMeta, "日本語"},
		"shift_jis meta http-equiv": {append([]byte(`<META HTTP-EQUIV=content-type CONTENT='text/html;charset=sjis'>`), sjis...),
			"", "shift_jis", fetch.CharsetFromMeta, "日本語"},
		"header wins over meta":    {append([]byte(`<meta charset="utf-8">`), sjis...), "text/html; charset=Shift_JIS", "shift_jis", fetch.CharsetFromHeader, "日本語"},
		"false utf-8 header, meta": {append([]byte(`<meta charset="shift_jis">`), sjis...), "text/html; charset=utf-8", "shift_jis", fetch.CharsetFromMeta, "日本語"},
		"unknown label":            {[]byte("caf\xe9"), "text/html; charset=x-no-such-charset", "windows-1252", fetch.CharsetFromDefault, "café"},
		"replacement label":        {[]byte("plain"), "text/html; charset=iso-2022-kr", "utf-8", fetch.CharsetSniffed, "plain"},
		"utf-16le bom":             {[]byte{0xff, 0xfe, 'h', 0, 'i', 0}, "text/plain; charset=iso-8859-1", "utf-16le", fetch.CharsetFromBOM, "hi"},
		"utf-16be bom":             {[]byte{0xfe, 0xff, 0, 'h', 0, 'i'}, "text/plain", "utf-16be", fetch.CharsetFromBOM, "hi"},
		"utf-8 bom":                {[]byte("\xef\xbb\xbfhi"), "text/plain; charset=windows-1251", "utf-8", fetch.CharsetFromBOM, "hi"},
		"meta claims utf-16":       {[]byte(`<meta charset="utf-16"><p>hi`), "text/html", "utf-8", fetch.CharsetFromMeta, "hi"},
		"xml declaration":          {append([]byte(`<?xml version="1.0" encoding="Shift_JIS"?><a>`), sjis...), "application/xml", "shift_jis", fetch.CharsetFromXML, "日本語"},
		"broken utf-16 label":      {[]byte{0xff, 'a'}, "text/plain; charset=utf-16", "utf-16le", fetch.CharsetFromHeader, ""},
	} {
		t.Run(name, func(t *testing.T) {
			text, cs, source := fetch.DecodeText(tc.body, tc.contentType)
			require.True(t, utf8.ValidString(text))
			require.Equal(t, tc.charset, cs)
			require.Equal(t, tc.source, source)
			require.Contains(t, text, tc.text)
		})
	}
}

// Any bytes in, valid UTF-8 out, whatever the label.
func TestDecodeTextAnyBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	labels := []string{"", "text/html", "text/html; charset=utf-8", "text/plain; charset=shift_jis", "text/html; charset=gb18030",
		"text/html; charset=euc-kr", "text/html; charset=iso-2022-jp", "text/html; charset=utf-16be", "text/html; charset=big5",
		"text/html; charset=koi8-r", "text/html; charset=x-user-defined", "text/html; charset=\x00\xff", "text/html; charset="}
	for i := range 300 {
		body := make([]byte, rng.IntN(2048))
		for j := range body {
			body[j] = byte(rng.UintN(256))
		}
		if i%3 == 0 {
			body = append([]byte(`<meta charset="`+[]string{"euc-jp", "utf-8", "bogus", "windows-1251"}[i%4]+`">`), body...)
		}
		text, cs, _ := fetch.DecodeText(body, labels[i%len(labels)])
		require.True(t, utf8.ValidString(text), "label %q", labels[i%len(labels)])
		require.NotEmpty(t, cs)
	}
}

// TextBytes hands out the text's own bytes.
func TestTextBytes(t *testing.T) {
	for _, body := range [][]byte{[]byte("<p>grüße</p>"), []byte("<p>gr\xfc\xdfe</p>"), nil} {
		text, _, _ := fetch.DecodeText(body, "text/html")
		r := &fetch.Result{Body: body, Text: text}
		require.Equal(t, text, string(r.TextBytes()))
		if text != "" {
			require.Same(t, unsafe.StringData(text), &r.TextBytes()[0], "no copy")
		}
	}
}
