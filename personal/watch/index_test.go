package watch

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var (
	key1 = bytes.Repeat([]byte{1}, 32)
	key2 = bytes.Repeat([]byte{2}, 32)
)

// Synthetic identifiers of two synthetic protected persons.
var testIDs = []Identifier{
	{"case-1/p1", KindName, "Jan de Vries"},
	{"case-1/p1", KindName, "Jantje"}, // a nickname is its own identifier
	{"case-1/p1", KindAddress, "Voorbeeldstraat 12a"},
	{"case-1/p1", KindPostcode, "1234 AB"},
	{"case-1/p1", KindPhone, "06 12 34 56 78"},
	{"case-1/p1", KindEmail, "jan.devries@voorbeeld.nl"},
	{"case-1/p1", KindHandle, "@jdevries_99"},
	{"case-1/p1", KindSchool, "Christelijk Lyceum Delft"},
	{"case-1/p1", KindIDNumber, "123456782"},
	{"case-1/p1", KindBirthDate, "2009-03-12"},
	{"case-2/p7", KindName, "Sanne Bakker"},
	{"case-2/p7", KindPhone, "+32 470 12 34 56"},
	{"case-2/p7", KindEmail, "s.bakker@example.org"},
}

func build(t testing.TB, key []byte) *Index {
	t.Helper()
	ix, err := Build(key, testIDs)
	require.NoError(t, err)
	return ix
}

type found struct {
	Person, Kind, Span string
}

func spans(text string, ms []Match) []found {
	var out []found
	for _, m := range ms {
		out = append(out, found{m.Person, m.Kind, text[m.Start:m.End]})
	}
	return out
}

func TestMatchPlainAndObfuscated(t *testing.T) {
	ix := build(t, key1)
	cases := []struct {
		text string
		want []found
	}{
		{"Dit is Jan de Vries uit Delft.", []found{{"case-1/p1", KindName, "Jan de Vries"}}},
		{"JAN DE VRIES!", []found{{"case-1/p1", KindName, "JAN DE VRIES"}}},
		{"naam: j4n d3 vr13s", []found{{"case-1/p1", KindName, "j4n d3 vr13s"}}},
		{"naam: j a n  d e  v r i e s.", []found{{"case-1/p1", KindName, "j a n  d e  v r i e s"}}},
		{"naam: j a n d e v r i e s.", []found{{"case-1/p1", KindName, "j a n d e v r i e s"}}},
		{"naam: JanDeVries", []found{{"case-1/p1", KindName, "JanDeVries"}}},
		{"naam: Јаn dе Vriеs", []found{{"case-1/p1", KindName, "Јаn dе Vriеs"}}},
		{"naam: Ｊａｎ ｄｅ Ｖｒｉｅｓ", []found{{"case-1/p1", KindName, "Ｊａｎ ｄｅ Ｖｒｉｅｓ"}}},
		{"naam: Ján dé Vriës", []found{{"case-1/p1", KindName, "Ján dé Vriës"}}},
		{"hoi jantje", []found{{"case-1/p1", KindName, "jantje"}}},
		{"woont Voorbeeldstraat 12 A, 1234AB", []found{
			{"case-1/p1", KindAddress, "Voorbeeldstraat 12 A"},
			{"case-1/p1", KindPostcode, "1234AB"},
		}},
		{"bel 06-12345678 nu", []found{{"case-1/p1", KindPhone, "06-12345678"}}},
		{"bel 06 12 34 56 78 nu", []found{{"case-1/p1", KindPhone, "06 12 34 56 78"}}},
		{"bel +31 (0)6 1234 5678 nu", []found{{"case-1/p1", KindPhone, "+31 (0)6 1234 5678"}}},
		{"bel +31612345678.", []found{{"case-1/p1", KindPhone, "+31612345678"}}},
		{"bel 0031 6 12 34 56 78", []found{{"case-1/p1", KindPhone, "0031 6 12 34 56 78"}}},
		{"tel: 0 6 1 2 3 4 5 6 7 8", []found{{"case-1/p1", KindPhone, "0 6 1 2 3 4 5 6 7 8"}}},
		{"tel: ０６１２３４５６７８", []found{{"case-1/p1", KindPhone, "０６１２３４５６７８"}}},
		{"mail jan.devries@voorbeeld.nl!", []found{{"case-1/p1", KindEmail, "jan.devries@voorbeeld.nl"}}},
		{"mail jan.devries [at] voorbeeld [dot] nl", []found{{"case-1/p1", KindEmail, "jan.devries [at] voorbeeld [dot] nl"}}},
		{"mail jan.devries at voorbeeld dot nl", []found{{"case-1/p1", KindEmail, "jan.devries at voorbeeld dot nl"}}},
		{"volg @jdevries_99", []found{{"case-1/p1", KindHandle, "jdevries_99"}}},
		{"zit op het Christelijk Lyceum Delft", []found{{"case-1/p1", KindSchool, "Christelijk Lyceum Delft"}}},
		{"BSN 123.456.782", []found{{"case-1/p1", KindIDNumber, "123.456.782"}}},
		{"BSN 123456782", []found{{"case-1/p1", KindIDNumber, "123456782"}}},
		{"geboren 12 maart 2009", []found{{"case-1/p1", KindBirthDate, "12 maart 2009"}}},
		{"geboren 12-3-2009", []found{{"case-1/p1", KindBirthDate, "12-3-2009"}}},
		{"Sanne Bakker, +32 470 12 34 56, s.bakker@example.org", []found{
			{"case-2/p7", KindName, "Sanne Bakker"},
			{"case-2/p7", KindPhone, "+32 470 12 34 56"},
			{"case-2/p7", KindEmail, "s.bakker@example.org"},
		}},
	}
	for _, c := range cases {
		got := spans(c.text, ix.Match(c.text))
		require.Equal(t, c.want, got, c.text)
	}
}

func TestMatchNearMisses(t *testing.T) {
	ix := build(t, key1)
	for _, text := range []string{
		"",
		"Jan de Vriesland",   // a longer word
		"Jan de Groot",       // another surname
		"Jan van Vries",      // another infix
		"Vries de Jan",       // another order
		"Jan",                // a first name alone is not an identifier
		"bel 06 12 34 56 79", // one digit off
		"bel 06-1234567",     // one digit short
		"bel 0612345678 9",   // ... wait, a longer run still contains it: see below
		"jan.devries@voorbeeld.com",
		"Voorbeeldstraat 13a",
		"1234 AC",
		"BSN 123456783",
		"geboren 12 maart 2008",
		"Sanne Bakkers",
		"christelijk lyceum",
	} {
		ms := ix.Match(text)
		if text == "bel 0612345678 9" {
			// The phone number written in full is found; the 9 after it is
			// another number.
			require.Equal(t, []found{{"case-1/p1", KindPhone, "0612345678"}}, spans(text, ms))
			continue
		}
		require.Empty(t, spans(text, ms), text)
	}
}

func TestMatchOffsetsInOriginal(t *testing.T) {
	ix := build(t, key1)
	text := "Ｘ é 𝐉𝐚𝐧 de\u00a0Vri\u0301es — ☎ 06\u00a012\u00a034\u00a056\u00a078 ✉ JAN.DEVRIES＠VOORBEELD．NL"
	ms := ix.Match(text)
	require.Equal(t, []found{
		{"case-1/p1", KindName, "𝐉𝐚𝐧 de\u00a0Vri\u0301es"},
		{"case-1/p1", KindPhone, "06\u00a012\u00a034\u00a056\u00a078"},
		{"case-1/p1", KindEmail, "JAN.DEVRIES＠VOORBEELD．NL"},
	}, spans(text, ms))
}

func TestVerify(t *testing.T) {
	ix := build(t, key1)
	// What the caller keeps encrypted, decrypted for the check.
	plain := map[string]map[string][]string{}
	for _, id := range testIDs {
		if plain[id.Person] == nil {
			plain[id.Person] = map[string][]string{}
		}
		plain[id.Person][id.Kind] = append(plain[id.Person][id.Kind], id.Value)
	}
	confirm := func(person, kind, span string) bool {
		for _, v := range plain[person][kind] {
			if Equivalent(kind, v, span) {
				return true
			}
		}
		return false
	}
	text := "J4N DE VRIES, 06 12 34 56 78, jan.devries [at] voorbeeld [dot] nl"
	ms := ix.MatchVerified(text, confirm)
	require.Len(t, ms, 3)
	require.True(t, Equivalent(KindPhone, "+31612345678", "06-12 34 56 78"))
	require.True(t, Equivalent(KindName, "Jan de Vries", "jandevries"))
	require.False(t, Equivalent(KindName, "Jan de Vries", "Jan de Vries en meer"))
	require.False(t, Equivalent(KindName, "Jan de Vries", "Jan de Groot"))
	// A rejecting confirmation drops everything.
	require.Empty(t, ix.MatchVerified(text, func(string, string, string) bool { return false }))
}

func TestKeyRotation(t *testing.T) {
	old := build(t, key1)
	text := "Jan de Vries, 06 12 34 56 78"
	require.Len(t, old.Match(text), 2)
	require.True(t, old.HasKey(key1))
	require.False(t, old.HasKey(key2))

	// Entries hashed under key2 match nothing in an index read with key1's
	// hashing: the hashes depend on the key.
	rotated := build(t, key2)
	oldSt, newSt := old.st.Load(), rotated.st.Load()
	require.Equal(t, len(oldSt.hs), len(newSt.hs))
	inOld := map[uint64]bool{}
	for _, h := range oldSt.hs {
		inOld[h] = true
	}
	for _, h := range newSt.hs {
		require.False(t, inOld[h])
	}
	mixed := &Index{}
	mixed.st.Store(&state{h: oldSt.h, check: oldSt.check, hs: newSt.hs, ps: newSt.ps, kn: newSt.kn,
		dir: newSt.dir, dirBits: newSt.dirBits, bloom: newSt.bloom, bloomBits: newSt.bloomBits,
		maxTok: newSt.maxTok, persons: newSt.persons})
	require.Empty(t, mixed.Match(text))

	// Rebuild under the new key, in place.
	require.NoError(t, old.Rebuild(key2, testIDs))
	require.True(t, old.HasKey(key2))
	require.Len(t, old.Match(text), 2)

	// A saved index loads only with its key.
	var buf bytes.Buffer
	require.NoError(t, old.Save(&buf))
	_, err := Load(bytes.NewReader(buf.Bytes()), key1)
	require.ErrorIs(t, err, ErrWrongKey)
	_, err = Load(bytes.NewReader(buf.Bytes()), key2)
	require.NoError(t, err)

	_, err = Build([]byte("short"), testIDs)
	require.ErrorIs(t, err, ErrKey)
}

func TestSaveLoad(t *testing.T) {
	ix := build(t, key1)
	path := filepath.Join(t.TempDir(), "watch.idx")
	require.NoError(t, ix.SaveFile(path))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	back, err := LoadFile(path, key1)
	require.NoError(t, err)
	require.Equal(t, ix.Len(), back.Len())
	require.Equal(t, ix.Persons(), back.Persons())
	for _, text := range []string{
		"Jan de Vries, j4n d3 vr1es, Voorbeeldstraat 12a, 1234 AB, 06 12 34 56 78",
		"jan.devries at voorbeeld dot nl, @jdevries_99, Christelijk Lyceum Delft, 123 456 782, 12-03-2009",
		"Sanne Bakker +32 470 12 34 56",
	} {
		require.Equal(t, ix.Match(text), back.Match(text), text)
		require.NotEmpty(t, back.Match(text))
	}

	// Damage is detected.
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	for _, i := range []int{0, 30, len(data) / 2, len(data) - 1} {
		bad := bytes.Clone(data)
		bad[i] ^= 0x40
		_, err := Load(bytes.NewReader(bad), key1)
		require.Error(t, err, "byte %d", i)
	}
	_, err = Load(bytes.NewReader(data[:len(data)-5]), key1)
	require.ErrorIs(t, err, ErrCorrupt)
}

// The index file holds none of the identifiers: not as written, not
// normalized, not in their tokens, not hex or base64 encoded.
func TestIndexFileHoldsNoIdentifiers(t *testing.T) {
	ix := build(t, key1)
	var buf bytes.Buffer
	require.NoError(t, ix.Save(&buf))
	data := buf.Bytes()
	lower := bytes.ToLower(data)
	var needles []string
	for _, id := range testIDs {
		n := Normalize(id.Kind, id.Value)
		needles = append(needles, id.Value, n, strings.ReplaceAll(n, " ", ""), strings.TrimPrefix(n, "+"))
		for _, tok := range strings.Fields(Normalize(KindName, id.Value)) {
			if len(tok) >= 4 {
				needles = append(needles, tok)
			}
		}
	}
	needles = append(needles, "0612345678", "612345678", "vries", "voorbeeld", "bakker")
	for _, s := range needles {
		if len(s) < 4 {
			continue
		}
		for _, enc := range []string{
			s, strings.ToLower(s),
			hex.EncodeToString([]byte(s)),
			base64.StdEncoding.EncodeToString([]byte(s)),
			base64.RawURLEncoding.EncodeToString([]byte(s)),
		} {
			// base64 depends on alignment: look for the stable middle.
			if len(enc) > 8 && enc != s && enc != strings.ToLower(s) && strings.Contains(enc, "=") {
				enc = enc[:len(enc)-4]
			}
			require.False(t, bytes.Contains(data, []byte(enc)), "%q (%q) in the index file", enc, s)
			require.False(t, bytes.Contains(lower, []byte(strings.ToLower(enc))), "%q (%q) in the index file", enc, s)
		}
	}
	// The key is not in it either.
	require.False(t, bytes.Contains(data, key1[:16]))
}

func TestBuildErrors(t *testing.T) {
	_, err := Build(key1, []Identifier{{"p", "shoe_size", "42"}})
	require.Error(t, err)
	_, err = Build(key1, []Identifier{{"p", KindPhone, "no number"}})
	require.ErrorIs(t, err, ErrEmpty)
	_, err = Build(key1, []Identifier{{"p", KindName, " ... "}})
	require.ErrorIs(t, err, ErrEmpty)
	_, err = Build(key1, []Identifier{{"p", KindName, strings.Repeat("jan ", MaxTokens+1)}})
	require.Error(t, err)
	// An empty index matches nothing.
	ix, err := Build(key1, nil)
	require.NoError(t, err)
	require.Empty(t, ix.Match("Jan de Vries 0612345678"))
}

func TestConcurrentMatch(t *testing.T) {
	ix := build(t, key1)
	text := strings.Repeat("bla Jan de Vries 06 12 34 56 78 bla ", 50)
	want := ix.Match(text)
	require.Len(t, want, 100)
	done := make(chan []Match)
	for range 8 {
		go func() { done <- ix.Match(text) }()
	}
	for range 8 {
		require.Equal(t, want, <-done)
	}
}
