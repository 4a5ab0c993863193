package watch

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

var fuzzSeeds = []string{
	"", "a", "@", "$", "|", "!", "+", "(0)", "j a n", "J4N D3 VR13S", "jan [at] voorbeeld [dot] nl",
	"+31 (0)6 1234 5678", "0 6 1 2 3 4 5 6 7 8", "1234AB12", "Ｊａｎ", "𝐉𝐚𝐧", "Јаn", "e\u0301", "\u200b",
	"ß ﬃ ½ ① ㎞ \ufdfa", "a\xffb", "\xc2", "1 a 2 b 3", "12a34", "$100", "ann@x.nl", "x @ y . z",
	strings.Repeat("9 ", 40), strings.Repeat("a ", 40), "٠١٢٣٤٥٦٧٨٩", "𝟎𝟔𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖",
}

func FuzzNormalize(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, k := range Kinds {
			n := Normalize(k, s)
			require.True(t, utf8.ValidString(n) || !utf8.ValidString(s), "%s %q", k, n)
		}
		norm, off := NormalizeText(s)
		require.Len(t, off, len(norm)+1)
		require.Equal(t, len(s), off[len(norm)])
		for i, o := range off {
			require.True(t, o >= 0 && o <= len(s), "offset %d out of bounds", o)
			if i > 0 {
				require.LessOrEqual(t, off[i-1], o)
			}
		}
		// Normalized text has no leading, trailing or double spaces.
		require.False(t, strings.HasPrefix(norm, " ") || strings.HasSuffix(norm, " ") || strings.Contains(norm, "  "))
		// Normalizing a name twice changes nothing more.
		if n := Normalize(KindName, s); n != "" && !strings.Contains(n, " ") {
			require.Equal(t, n, Normalize(KindName, n), "%q", s)
		}
	})
}

func FuzzMatch(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	ix := build(f, key1)
	f.Fuzz(func(t *testing.T, s string) {
		ms := ix.Match(s)
		for _, m := range ms {
			require.True(t, 0 <= m.Start && m.Start <= m.End && m.End <= len(s), "%+v in %d bytes", m, len(s))
			require.NotEmpty(t, m.Person)
			require.Contains(t, Kinds, m.Kind)
		}
		// An identifier set apart in the text is found wherever it is.
		text := s + "\n\nJan de Vries\n\n" + s
		at := len(s) + 2
		var hit bool
		for _, m := range ix.Match(text) {
			require.True(t, 0 <= m.Start && m.Start <= m.End && m.End <= len(text))
			hit = hit || m.Kind == KindName && m.Start == at && m.End == at+len("Jan de Vries")
		}
		require.True(t, hit, "%q", text)
	})
}
