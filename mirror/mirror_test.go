package mirror_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox/mirror"
)

// page makes a synthetic forum post of n words from seed: all test data
// here is made up.
func page(seed uint64, n int) string {
	words := strings.Fields(`jan de vries woont op de kerkstraat in utrecht en zijn telefoon is nul zes
		twaalf vierendertig hier is zijn school het adres van zijn ouders en foto's van zijn huis
		iedereen mag dit weten deel het met je vrienden zodat hij het merkt the guy lives at this
		street his phone number is here and his parents work at the hospital`)
	rng := rand.New(rand.NewPCG(seed, seed+1))
	out := make([]string, n)
	for i := range out {
		out[i] = words[rng.IntN(len(words))]
	}
	return strings.Join(out, " ")
}

func printer(t *testing.T, key string) *mirror.Printer {
	t.Helper()
	p, err := mirror.NewPrinter([]byte(strings.Repeat(key, 32)[:32]))
	require.NoError(t, err)
	return p
}

func shared(a, b mirror.Print) int {
	ab, bb := a.Bands(), b.Bands()
	n := 0
	for i := range ab {
		if ab[i] == bb[i] {
			n++
		}
	}
	return n
}

// A mirror of a page (the same post in another site's frame: other
// navigation and footer, other case and punctuation) is recognised; another
// post is not.
func TestMirrorIsRecognised(t *testing.T) {
	p := printer(t, "k")
	post := page(1, 400)
	original, ok := p.Print("Buurtforum | home | login\n" + post + "\nReacties (3) · © 2026 Buurtforum")
	require.True(t, ok)
	mirrored := "DOXBIN MIRROR - all pastes - " + strings.ToUpper(strings.ReplaceAll(post, " ", ", ")) + " - paste #4711, 2 days ago"
	copyPrint, ok := p.Print(mirrored)
	require.True(t, ok)
	require.GreaterOrEqual(t, mirror.Similarity(original, copyPrint), mirror.Threshold)
	require.Positive(t, shared(original, copyPrint), "the copy shares a band, so a store finds it")

	// The same post with a few words changed is still a copy (each
	// changed word changes the five shingles it is in: 20 of about 400).
	words := strings.Fields(post)
	for i := 50; i < len(words); i += 100 {
		words[i] = "anders"
	}
	edited, _ := p.Print(strings.Join(words, " "))
	require.GreaterOrEqual(t, mirror.Similarity(original, edited), mirror.Threshold)

	other, ok := p.Print(page(2, 400))
	require.True(t, ok)
	require.Less(t, mirror.Similarity(original, other), 0.3)
}

// Prints are keyed: under another key the same text has another print, so
// a print says nothing of its text to whoever lacks the key.
func TestPrintsAreKeyed(t *testing.T) {
	text := page(3, 200)
	a, _ := printer(t, "a").Print(text)
	b, _ := printer(t, "b").Print(text)
	again, _ := printer(t, "a").Print(text)
	require.Equal(t, a, again)
	require.Less(t, mirror.Similarity(a, b), 0.1)
	require.Zero(t, shared(a, b))

	_, err := mirror.NewPrinter([]byte("short"))
	require.ErrorIs(t, err, mirror.ErrShortKey)
}

// A short text has no print: too little to tell a copy from a look-alike.
func TestShortTextHasNoPrint(t *testing.T) {
	p := printer(t, "k")
	_, ok := p.Print(page(4, mirror.MinWords-1))
	require.False(t, ok)
	_, ok = p.Print("")
	require.False(t, ok)
	_, ok = p.Print(strings.Repeat("— ", 500))
	require.False(t, ok, "no words")
	_, ok = p.Print(page(4, mirror.MinWords))
	require.True(t, ok)
}

func TestPrintBinary(t *testing.T) {
	a, _ := printer(t, "k").Print(page(5, 100))
	b, err := a.MarshalBinary()
	require.NoError(t, err)
	require.Len(t, b, 4*mirror.Size)
	var back mirror.Print
	require.NoError(t, back.UnmarshalBinary(b))
	require.Equal(t, a, back)
	require.ErrorIs(t, back.UnmarshalBinary(b[:10]), mirror.ErrPrint)
}

func BenchmarkPrint(b *testing.B) {
	p, _ := mirror.NewPrinter(make([]byte, 32))
	text := page(6, 2000) // about a 12 KB page's text
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		p.Print(text)
	}
}
