package personal

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// benchText makes about size bytes of synthetic prose (Dutch and English
// words, numbers, punctuation, some non-ASCII) with a finding from
// benchFindings every gap bytes on average (none when gap is 0). The
// bench/detect benchmark does the same at scale, against rg.
func benchText(size, gap int) string {
	r := rand.New(rand.NewPCG(1, 2))
	ws := strings.Fields("de het een en van in is dat op te zijn met voor niet aan er maar om ook als dan bij of uit nog " +
		"the of and to in is that for it as was with on be by at this had not are but from have they which one you " +
		"huis school straat vriend gisteren morgen week café één Zoë “quoted” (haakjes) — photo posted forum")
	var b strings.Builder
	next := r.IntN(2*gap + 1)
	for b.Len() < size {
		for k, n := 0, 5+r.IntN(15); k < n; k++ {
			switch r.IntN(30) {
			case 0:
				b.WriteString(strconv.Itoa(1950 + r.IntN(76)))
			case 1:
				b.WriteString(strconv.Itoa(r.IntN(999)))
			case 2:
				b.WriteString("€ 12,50")
			default:
				b.WriteString(ws[r.IntN(len(ws))])
			}
			b.WriteByte(' ')
		}
		b.WriteString(". ")
		if gap > 0 && b.Len() >= next {
			b.WriteString(benchFindings[r.IntN(len(benchFindings))])
			b.WriteString(". ")
			next = b.Len() + 1 + r.IntN(2*gap)
		}
		if r.IntN(4) == 0 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

var benchFindings = []string{
	"BSN 123.456.782", "IBAN NL91 ABNA 0417 1643 00", "bel 06 12 34 56 78", "tel. +31 (0)20 123 4567",
	"mail jan@voorbeeld.nl", "jan [at] voorbeeld [dot] nl", "postcode 1234 AB 12a", "woont op de Voorbeeldstraat 12",
	"kenteken 12-BDF-3", "geboren 12-03-2009", "Jan (15)", "paspoort SPECI2014", "kaart 4111 1111 1111 1111",
	"IP 192.0.2.1", "volg @jansen op insta", "https://www.instagram.com/jan.jansen/",
}

func BenchmarkDetect(b *testing.B) {
	for _, c := range []struct {
		name string
		gap  int
	}{{"prose", 0}, {"gap-2KB", 2048}, {"gap-256B", 256}} {
		text := benchText(1<<20, c.gap)
		b.Run(c.name, func(b *testing.B) {
			d := NewDetector(Options{})
			var fs []Finding
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				fs = d.AppendDetect(fs[:0], text)
			}
			b.ReportMetric(float64(len(fs)), "findings")
		})
	}
}

func BenchmarkAssess(b *testing.B) {
	fs := Detect(benchText(64<<10, 512))
	ms := []Match{{Person: "p1", Kind: KindName, Start: 0, End: 5}, {Person: "p1", Kind: KindAddress, Start: 100, End: 120}}
	b.ReportAllocs()
	for b.Loop() {
		Assess(fs, ms, AssessOptions{Images: 2})
	}
}

// TestBenchText: the benchmark's text has the findings it should.
func TestBenchText(t *testing.T) {
	fs := Detect(benchText(64<<10, 512))
	kinds := map[string]bool{}
	for _, f := range fs {
		kinds[f.Type] = true
	}
	for _, typ := range []string{TypeBSN, TypeIBAN, TypePhone, TypeEmail, TypePostcode, TypeAddress, TypeLicencePlate,
		TypeBirthDate, TypeAge, TypeIDDocument, TypePaymentCard, TypeIP, TypeSocialHandle, TypeSocialURL} {
		if !kinds[typ] {
			t.Errorf("no %s in the benchmark text", typ)
		}
	}
	if len(Detect(benchText(64<<10, 0))) > 5 {
		t.Errorf("prose without inserted findings has %d", len(Detect(benchText(64<<10, 0))))
	}
}
