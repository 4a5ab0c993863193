package watch

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
	"github.com/stretchr/testify/require"
)

func TestNormalizeEquivalences(t *testing.T) {
	groups := []struct {
		kind  string
		want  string
		forms []string
	}{
		{KindName, "jan de vries", []string{
			"Jan de Vries", "JAN DE VRIES", "jan  de\tvries", "Jan-de-Vries", "j4n d3 vr13s", "J@n de Vri3$",
			"Ｊａｎ ｄｅ Ｖｒｉｅｓ",                       // fullwidth
			"Јаn dе Vriеs",                       // Cyrillic Ј а е
			"Jan de Vrιes",                       // Greek iota
			"Ján dé Vriës", "Jan de Vrie\u0301s", // diacritics, precomposed and combining
			"j a n  d e  v r i e s", "J.a.n  d-e  v_r_i_e_s",
			"Jan de Vr\u200bies", "Jan de Vri\u00ades", // zero-width space, soft hyphen
			"𝐉𝐚𝐧 𝐝𝐞 𝐕𝐫𝐢𝐞𝐬", // mathematical bold
			"Jan de Vr1es", "Jan de Vr!es", "Jan de Vr|es",
		}},
		{KindName, "iisa", []string{"Lisa", "lisa", "1isa", "|isa", "LISA", "Ιisa"}},
		{KindName, "sanne", []string{"Sanne", "$anne", "5anne", "S4nne", "ѕаnnе"}},
		{KindName, "anna", []string{"Anna", "4nn4", "a\u200bnna"}},
		{KindName, "annama", []string{"4nn@ma", "Annama", "4nn@m4"}},
		{KindName, "eiaan", []string{"e1@@n", "Elaan", "e1@4n"}},
		{KindName, "jansen", []string{"Jansen", "j a n s e n", "J A N S E N", "j·a·n·s·e·n", "J\u00a0A\u00a0N\u00a0S\u00a0E\u00a0N", "JAN\u200bSEN"}},
		{KindName, "straße", nil}, // placeholder, replaced below
		{KindEmail, "jan voorbeeid ni", []string{
			"jan@voorbeeld.nl", "JAN@VOORBEELD.NL", "jan [at] voorbeeld [dot] nl", "jan (at) voorbeeld (dot) nl",
			"jan at voorbeeld dot nl", "jan{at}voorbeeld{dot}nl", "jan＠voorbeeld．nl", "jan @ voorbeeld . nl",
		}},
		{KindPhone, "+31612345678", []string{
			"06 12 34 56 78", "0612345678", "+31612345678", "+31 6 12345678", "+31 (0)6 1234 5678",
			"0031 6 12 34 56 78", "06-12345678", "06.12.34.56.78", "(06) 123 456 78", "０６１２３４５６７８",
			"612345678", // no prefix: libphonenumber with the default region
		}},
		{KindPhone, "+32470123456", []string{"+32 470 12 34 56", "0032 470 123456"}},
		{KindPostcode, "1234 ab", []string{"1234 AB", "1234AB", "1234-ab", "1234  ab"}},
		{KindPostcode, "1234 ab 12", []string{"1234 AB 12", "1234AB12", "1234ab 12", "1234 AB, 12"}},
		{KindAddress, "voorbeeidstraat 12 a", []string{"Voorbeeldstraat 12a", "Voorbeeldstraat 12 A", "voorbeeldstraat 12-a"}},
		{KindIDNumber, "123456789", []string{"123456789", "123.456.789", "123 456 789", "123-45-6789", "１２３４５６７８９"}},
		{KindBirthDate, "2008-03-12", []string{"12-03-2008", "12/3/2008", "2008-03-12", "12 maart 2008", "12 March 2008", "12.03.2008", "12 mrt 2008"}},
		{KindHandle, "jan devries 99", []string{"@jan_devries99", "jan.devries99", "JAN_DEVRIES_99"}},
		{KindSchool, "christeiijk iyceum deift", []string{"Christelijk Lyceum Delft", "CHRISTELIJK LYCEUM DELFT"}},
	}
	for _, g := range groups {
		if g.forms == nil {
			continue
		}
		for _, f := range g.forms {
			require.Equal(t, g.want, Normalize(g.kind, f), "Normalize(%s, %q)", g.kind, f)
		}
	}
	require.Equal(t, "strasse", Normalize(KindName, "Straße"))
	require.Equal(t, "aero", Normalize(KindName, "Ærø"))
	require.Equal(t, "", Normalize(KindPhone, "hello"))
	require.Equal(t, "", Normalize(KindName, " -- "))
	// A digit in a phone number stays a digit; in a name it is a letter.
	require.Equal(t, "+31612345678", Normalize(KindPhone, "06 1234 5678"))
	require.Equal(t, "iza", Normalize(KindName, "1z4"))
	require.Equal(t, "123", Normalize(KindName, "123"))
}

func TestNormalizeText(t *testing.T) {
	s := "Bel Ján (06) 12-34 op J A\u200b N S E N@mail.nl, 𝐕𝐫𝐢𝐞𝐬!"
	norm, off := NormalizeText(s)
	require.Equal(t, "bei jan 06 12 34 op jansen maii ni vries", norm)
	require.Len(t, off, len(norm)+1)
	require.Equal(t, len(s), off[len(norm)])
	for i := 1; i < len(off); i++ {
		require.LessOrEqual(t, off[i-1], off[i])
	}
	// Each token maps back to its original span.
	at := func(tok string) string {
		i := strings.Index(norm, tok)
		require.GreaterOrEqual(t, i, 0, tok)
		return s[off[i]:off[i+len(tok)-1]]
	}
	require.Equal(t, "Já", at("jan"))
	require.True(t, strings.HasPrefix(s[off[strings.Index(norm, "jansen")]:], "J A\u200b N S E N"))
	require.True(t, strings.HasPrefix(s[off[strings.Index(norm, "vries")]:], "𝐕𝐫𝐢𝐞𝐬"))
}

// The matcher's own E.164 rules agree with libphonenumber on numbers written
// with "+", "00" or "0".
func TestPhoneRulesAgreeWithLibphonenumber(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	seps := []string{"", " ", "-", ".", " - ", "/"}
	for range 2000 {
		national := fmt.Sprintf("6%08d", rng.IntN(100000000))
		if rng.IntN(3) == 0 {
			national = fmt.Sprintf("%d%07d", 10+rng.IntN(80), rng.IntN(10000000)) // landline
		}
		var written string
		switch rng.IntN(4) {
		case 0:
			written = "0" + national
		case 1:
			written = "+31" + national
		case 2:
			written = "0031" + national
		default:
			written = "+31 (0)" + national
		}
		// separators at random places
		var b strings.Builder
		for i, c := range written {
			if i > 3 && c >= '0' && c <= '9' && written[i-1] >= '0' && written[i-1] <= '9' && rng.IntN(4) == 0 {
				b.WriteString(seps[rng.IntN(len(seps))])
			}
			b.WriteRune(c)
		}
		written = b.String()
		n, err := phonenumbers.Parse(written, "NL")
		require.NoError(t, err, written)
		want := phonenumbers.Format(n, phonenumbers.E164)
		require.Equal(t, want, Normalize(KindPhone, written), written)
		require.Equal(t, "+31"+national, want)
	}
}

func TestSipHashVectors(t *testing.T) {
	// SipHash-2-4 reference vectors: key 00 01 … 0f, message 00 01 … n-1.
	want := []uint64{
		0x726fdb47dd0e0e31, 0x74f839c593dc67fd, 0x0d6c8009d9a94f5a, 0x85676696d7fb7e2d,
		0xcf2794e0277187b7, 0x18765564cd99a68d, 0xcbc9466e58fee3ce, 0xab0200f58b01d137,
		0x93f5f5799a932462, 0x9e0082df0ba9e4b0, 0x7a5dbbc594ddb9f3, 0xf4b32f46226bada7,
		0x751e8fbc860ee5fb, 0x14ea5627c0843d90, 0xf723ca908e7af2ee, 0xa129ca6149be45e5,
		0x3f2acc7f57c29bdb,
	}
	h := hasher{k0: 0x0706050403020100, k1: 0x0f0e0d0c0b0a0908}
	msg := make([]byte, len(want))
	for i := range msg {
		msg[i] = byte(i)
	}
	for n, w := range want {
		require.Equal(t, w, h.sum(msg[:n]), "n=%d", n)
	}
}
