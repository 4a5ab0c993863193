package watch

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// benchText is about 1 MB of synthetic Dutch-like text with some
// identifiers in it.
func benchText() string {
	r := rand.New(rand.NewPCG(3, 4))
	vocab := strings.Fields(`de het een en van ik je dat die in is niet te op zijn voor met maar er als om aan
		ook dan nog wel door kan naar wat over bij uit tot hij zij wij huis school werk stad dorp straat
		fiets auto trein vriend familie moeder vader broer zus kind foto bericht adres telefoon nummer
		website pagina forum reactie gebruiker account profiel openbaar bekend gezien gevonden gedeeld`)
	var b strings.Builder
	for b.Len() < 1<<20 {
		for i := range 100 {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(vocab[r.IntN(len(vocab))])
		}
		b.WriteString(". Jan de Vries 06 12 34 56 78 Voorbeeldstraat 12a 1234 AB.\n")
	}
	return b.String()
}

func BenchmarkMatch(b *testing.B) {
	ix := build(b, key1)
	text := benchText()
	b.Run("lex", func(b *testing.B) {
		var lx lexer
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			lx.lex(text)
		}
	})
	b.Run("tokenize", func(b *testing.B) {
		var lx lexer
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			lx.tokenize(text, nil)
		}
	})
	b.Run("tokenize+hash", func(b *testing.B) {
		var lx lexer
		h := ix.st.Load().h
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			lx.tokenize(text, &h)
		}
	})
	b.Run("match", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			ix.Match(text)
		}
	})
}
