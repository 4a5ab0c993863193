package detectbench

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/undox/undox/personal"
)

// The synthetic corpus: paragraphs (one per line) of Dutch- and
// English-like prose made of common words, with the numbers, prices,
// times, punctuation and non-ASCII characters of real pages, and findings
// of every type inserted at a known density. Everything is generated from
// a fixed seed: the same size gives the same bytes.

// An inserted finding: where its span starts in the corpus, its type and
// its normalized value (what personal.Detect should report).
type inserted struct {
	at    int
	typ   string
	value string
}

// corpus is the generated text and what was inserted in it.
type corpus struct {
	text     []byte
	inserted []inserted
	samples  map[string][]string // the spans as written, by type (for the rg patterns' check)
}

var words = strings.Fields(`
de het een en van in is dat op te zijn met voor niet aan er maar om ook als dan bij of uit nog wel naar kan tot
door over hij zij ze we ik je jullie hun haar hem mijn onze wat wie waar wanneer hoe omdat want toch al nu hier daar
geen meer veel weinig alle andere eerste laatste nieuwe oude grote kleine goed slecht mooi lang kort heel erg
huis school werk stad dorp straat buurt vriend vrienden ouders moeder vader kind kinderen jongen meisje leraar
gisteren vandaag morgen week maand jaar avond ochtend middag nacht tijd keer dag dagen weken
gaat ging komt kwam zegt zei heeft had wordt werd moet moest wil wilde weet wist ziet zag maakt maakte
the of and to in is that for it as was with on be by at this had not are but from have they which one you were
all we her she there been their said would will what when who him his them then than some could other into
more time two only new people may like over such after first also did many before must through back years
where much your way well down should because each just those how too little state good very make world still
own see men work long get here between both life being under never day same another know while last might
us great old year off come since against go came right used take three place house school friend friends
yesterday today tomorrow week month evening morning night street city village town neighbours parents mother
father child children boy girl teacher photo photos post posted wrote writes says said online forum thread
één café coördinatie reünie geïnteresseerd überhaupt naïef privé ’s-avonds Zoë Chloë André Noël
`)

var firstNames = strings.Fields("jan piet anna sanne lisa daan emma noah sem lucas julia mila tess finn levi sara eva bram tim nina")
var lastNames = strings.Fields("jansen devries bakker visser smit meijer deboer mulder degroot bos vos peters hendriks dijkstra")
var cities = strings.Fields("Amsterdam Rotterdam Utrecht Eindhoven Groningen Tilburg Almere Breda Nijmegen Haarlem Arnhem Zwolle")
var streetRoots = strings.Fields("Voorbeeld Kerk Molen School Dorps Beuken Eiken Linden Prinsen Heeren Keizers Stations Markt Julianna Bernhard Wilhelmina Rozen Tulpen Vogel Zee")
var streetSuffixes = strings.Fields("straat laan weg plein gracht kade singel dijk hof pad steeg dreef")
var englishStreets = strings.Fields("Baker Downing Oxford Main Park High Church Station Mill")
var englishTypes = strings.Fields("Street Road Avenue Lane Drive Way")
var dutchMonths = strings.Fields("januari februari maart april mei juni juli augustus september oktober november december")
var englishMonths = strings.Fields("January February March April May June July August September October November December")

const plateLetters = "BDFGHJKLNPRSTVXZ"

// generator makes one corpus.
type generator struct {
	r   *rand.Rand
	b   []byte
	c   *corpus
	gap int // mean bytes between inserted findings
}

func (g *generator) n(k int) int               { return g.r.IntN(k) }
func (g *generator) pick(list []string) string { return list[g.n(len(list))] }
func (g *generator) digits(k int) string {
	b := make([]byte, k)
	for i := range b {
		b[i] = byte('0' + g.n(10))
	}
	return string(b)
}

// genCorpus generates at least size bytes with a finding every gap bytes
// on average.
func genCorpus(size, gap int) *corpus {
	c := &corpus{samples: map[string][]string{}}
	g := &generator{r: rand.New(rand.NewPCG(20261127, uint64(size))), c: c, gap: gap}
	g.b = make([]byte, 0, size+4096)
	next := g.n(2 * gap)
	for len(g.b) < size {
		// A paragraph of 2-8 sentences; findings go between sentences.
		sentences := 2 + g.n(7)
		if g.n(10) == 0 {
			// A line like an extracted table row.
			g.b = append(g.b, g.pick([]string{"Naam", "Name", "Plaats", "Datum", "Status"})...)
			g.b = append(g.b, ":\t"...)
		}
		for k := 0; k < sentences; k++ {
			if len(g.b) >= next {
				g.finding()
				next = len(g.b) + 1 + g.n(2*gap)
			}
			g.sentence()
		}
		g.b = append(g.b, '\n')
	}
	c.text = g.b
	return c
}

// sentence appends one sentence of prose with some numbers in it.
func (g *generator) sentence() {
	nw := 5 + g.n(16)
	for k := 0; k < nw; k++ {
		w := g.pick(words)
		if k == 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		}
		switch g.n(40) {
		case 0:
			w = strconv.Itoa(1950 + g.n(76)) // a year
		case 1:
			w = strconv.Itoa(1 + g.n(999)) // a count
		case 2:
			w = fmt.Sprintf("€ %d,%02d", g.n(500), g.n(100)) // a price
		case 3:
			w = fmt.Sprintf("%02d:%02d", g.n(24), g.n(60)) // a time
		case 4:
			w = fmt.Sprintf("%d%%", g.n(101))
		case 5:
			w = "“" + w + "”"
		case 6:
			w = "(" + w + ")"
		}
		g.b = append(g.b, w...)
		switch {
		case k == nw-1:
			g.b = append(g.b, ".?!."[g.n(4)])
			g.b = append(g.b, ' ')
		case g.n(12) == 0:
			g.b = append(g.b, ", "...)
		case g.n(60) == 0:
			g.b = append(g.b, " — "...)
		default:
			g.b = append(g.b, ' ')
		}
	}
}

// insert appends prefix, the finding's span and suffix, and records it.
func (g *generator) insert(typ, prefix, span, value, suffix string) {
	g.b = append(g.b, prefix...)
	g.c.inserted = append(g.c.inserted, inserted{at: len(g.b), typ: typ, value: value})
	g.c.samples[typ] = append(g.c.samples[typ], prefix+span+suffix)
	g.b = append(g.b, span...)
	g.b = append(g.b, suffix...)
	g.b = append(g.b, ". "...)
}

func (g *generator) finding() {
	switch typ := personal.Types[g.n(len(personal.Types))]; typ {
	case personal.TypeBSN:
		var v string
		for {
			v = g.digits(8)
			sum := 0
			for k := 0; k < 8; k++ {
				sum += (9 - k) * int(v[k]-'0')
			}
			if d := sum % 11; d < 10 && v != "00000000" {
				v += strconv.Itoa(d)
				break
			}
		}
		span := []string{v, v[:3] + "." + v[3:6] + "." + v[6:], v[:3] + " " + v[3:6] + " " + v[6:]}[g.n(3)]
		g.insert(typ, g.pick([]string{"BSN ", "burgerservicenummer: ", "zijn nummer is "}), span, v, "")
	case personal.TypeIBAN:
		bank := g.pick([]string{"ABNA", "INGB", "RABO", "TRIO", "SNSB", "ASNB", "KNAB", "BUNQ"})
		cc, bban := "NL", bank+g.digits(10)
		if g.n(4) == 0 {
			cc, bban = "DE", g.digits(18)
		}
		v := cc + fmt.Sprintf("%02d", 98-mod97(cc+"00"+bban)) + bban
		span := v
		if g.n(2) == 0 {
			span = group4(v)
		}
		g.insert(typ, "IBAN ", span, v, g.pick([]string{"", " t.n.v. J. Jansen"}))
	case personal.TypePhone:
		var span, v string
		for {
			switch g.n(7) {
			case 0:
				d := "6" + strconv.Itoa(1+g.n(5)) + g.digits(7)
				span = "0" + d[:1] + " " + d[1:3] + " " + d[3:5] + " " + d[5:7] + " " + d[7:]
			case 1:
				span = "06-" + strconv.Itoa(1+g.n(5)) + g.digits(7)
			case 2:
				span = "06" + strconv.Itoa(1+g.n(5)) + g.digits(7)
			case 3:
				span = "+31 6 " + strconv.Itoa(1+g.n(5)) + g.digits(7)
			case 4:
				span = "+31 (0)6-" + strconv.Itoa(1+g.n(5)) + g.digits(7)
			case 5:
				span = g.pick([]string{"020", "010", "030", "070", "040", "050"}) + " " + strconv.Itoa(2+g.n(8)) + g.digits(2) + " " + g.digits(4)
			case 6:
				span = "+44 20 7946 0" + g.digits(3)
			}
			var ok bool
			if v, ok = personal.NormalizePhone(span, "NL"); ok {
				break
			}
		}
		g.insert(typ, g.pick([]string{"bel ", "tel. ", "mobiel: ", "whatsapp "}), span, v, "")
	case personal.TypeEmail:
		local := g.pick(firstNames)
		if g.n(2) == 0 {
			local += "." + g.pick(lastNames)
		}
		if g.n(3) == 0 {
			local += strconv.Itoa(g.n(100))
		}
		host, tld := g.pick([]string{"voorbeeld", "example", "mail-test", "post"}), g.pick([]string{"nl", "com", "be"})
		span := local + "@" + host + "." + tld
		switch g.n(5) {
		case 0:
			span = local + " [at] " + host + " [dot] " + tld
		case 1:
			span = local + " at " + host + " dot " + tld
		case 2:
			span = local + "(at)" + host + "." + tld
		}
		g.insert(typ, "mail ", span, local+"@"+host+"."+tld, "")
	case personal.TypePostcode:
		var letters string
		for {
			letters = string([]byte{byte('A' + g.n(26)), byte('A' + g.n(26))})
			if letters != "SA" && letters != "SD" && letters != "SS" {
				break
			}
		}
		digits := strconv.Itoa(1000 + g.n(9000))
		span := digits + " " + letters
		if g.n(3) == 0 {
			span = digits + letters
		}
		v, suffix := digits+letters, " "+g.pick(cities)
		if g.n(3) == 0 {
			hn := strconv.Itoa(1 + g.n(300))
			span += " " + hn
			v += " " + hn
			suffix = ""
		}
		g.insert(typ, "postcode ", span, v, suffix)
	case personal.TypeAddress:
		hn := strconv.Itoa(1 + g.n(300))
		switch g.n(4) {
		case 0, 1:
			span := g.pick(streetRoots) + g.pick(streetSuffixes) + " " + hn
			if g.n(4) == 0 {
				span += "a"
			}
			g.insert(typ, "woont op de ", span, span, "")
		case 2:
			span := "Laan van " + g.pick(streetRoots) + "oord " + hn + "-B"
			g.insert(typ, "adres: ", span, strings.TrimSuffix(span, "-B")+"b", "")
		case 3:
			span := hn + " " + g.pick(englishStreets) + " " + g.pick(englishTypes)
			g.insert(typ, "lives at ", span, span, "")
		}
	case personal.TypeLicencePlate:
		patterns := []string{"LL-DD-LL", "LL-LL-DD", "DD-LL-LL", "DD-LLL-D", "D-LLL-DD", "LL-DDD-L", "L-DDD-LL", "LLL-DD-L", "L-DD-LLL", "D-LL-DDD", "DDD-LL-D"}
		var v string
		for {
			p := []byte(g.pick(patterns))
			for k, c := range p {
				switch c {
				case 'L':
					p[k] = plateLetters[g.n(len(plateLetters))]
				case 'D':
					p[k] = byte('0' + g.n(10))
				}
			}
			if v = string(p); personal.ValidLicencePlate(v) {
				break
			}
		}
		g.insert(typ, "kenteken ", v, v, "")
	case personal.TypeBirthDate:
		y, m, d := 1950+g.n(66), 1+g.n(12), 1+g.n(28)
		var span string
		switch g.n(5) {
		case 0:
			span = fmt.Sprintf("%d-%d-%d", d, m, y)
		case 1:
			span = fmt.Sprintf("%02d-%02d-%d", d, m, y)
		case 2:
			span = fmt.Sprintf("%d %s %d", d, dutchMonths[m-1], y)
		case 3:
			span = fmt.Sprintf("%d-%02d-%02d", y, m, d)
		case 4:
			span = fmt.Sprintf("%s %d, %d", englishMonths[m-1], d, y)
		}
		g.insert(typ, g.pick([]string{"geboren op ", "geb. ", "born ", "DOB: ", "geboortedatum: "}), span, fmt.Sprintf("%d-%02d-%02d", y, m, d), "")
	case personal.TypeAge:
		a := strconv.Itoa(10 + g.n(70))
		switch g.n(4) {
		case 0:
			name := g.pick(firstNames)
			g.insert(typ, strings.ToUpper(name[:1])+name[1:]+" ", "("+a+")", a, " uit "+g.pick(cities))
		case 1:
			g.insert(typ, "hij is ", a+" jaar oud", a, "")
		case 2:
			g.insert(typ, "een ", a+"-jarige", a, " jongen")
		case 3:
			g.insert(typ, "", "age "+a, a, "")
		}
	case personal.TypeIDDocument:
		if g.n(3) == 0 {
			v := strconv.Itoa(1+g.n(9)) + g.digits(9)
			g.insert(typ, "rijbewijsnummer ", v, v, "")
			break
		}
		const letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ" // no O
		b := make([]byte, 9)
		for k := range b {
			switch {
			case k < 2:
				b[k] = letters[g.n(len(letters))]
			case k == 8 || g.n(3) > 0:
				b[k] = byte('0' + g.n(10))
			default:
				b[k] = letters[g.n(len(letters))]
			}
		}
		g.insert(typ, "paspoortnummer ", string(b), string(b), "")
	case personal.TypePaymentCard:
		p := "4" + g.digits(14)
		if g.n(2) == 0 {
			p = "5" + strconv.Itoa(1+g.n(5)) + g.digits(13)
		}
		v := p + luhnDigit(p)
		span := v
		if g.n(2) == 0 {
			span = group4(v)
		}
		g.insert(typ, "kaart ", span, v, "")
	case personal.TypeIP:
		if g.n(3) == 0 {
			v := fmt.Sprintf("2001:db8::%x", 1+g.n(0xfffe))
			g.insert(typ, "vanaf ", v, v, "")
			break
		}
		v := fmt.Sprintf("%s.%d", g.pick([]string{"192.0.2", "198.51.100", "203.0.113"}), g.n(256))
		g.insert(typ, "IP ", v, v, "")
	case personal.TypeSocialHandle:
		h := g.pick(firstNames) + "_" + g.pick(lastNames) + strconv.Itoa(g.n(100))
		g.insert(typ, g.pick([]string{"insta ", "volg ", "snap: ", "op tiktok "}), "@"+h, "@"+h, "")
	case personal.TypeSocialURL:
		h := g.pick(firstNames) + "." + g.pick(lastNames)
		hu := strings.ReplaceAll(h, ".", "_")
		var span, v string
		switch g.n(7) {
		case 0:
			span, v = "https://www.instagram.com/"+h+"/", "https://instagram.com/"+h
		case 1:
			span, v = "tiktok.com/@"+h, "https://tiktok.com/@"+h
		case 2:
			span, v = "https://x.com/"+hu, "https://x.com/"+hu
		case 3:
			span, v = "facebook.com/"+h, "https://facebook.com/"+h
		case 4:
			span, v = "youtube.com/@"+h, "https://youtube.com/@"+h
		case 5:
			span, v = "t.me/"+hu, "https://t.me/"+hu
		case 6:
			span, v = "https://www.linkedin.com/in/"+strings.ReplaceAll(h, ".", "-"), "https://linkedin.com/in/"+strings.ReplaceAll(h, ".", "-")
		}
		g.insert(typ, "zie ", span, v, "")
	}
}

func group4(v string) string {
	var b strings.Builder
	for k := 0; k < len(v); k += 4 {
		if k > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(v[k:min(len(v), k+4)])
	}
	return b.String()
}

func mod97(v string) int {
	m := 0
	s := v[4:] + v[:4]
	for k := 0; k < len(s); k++ {
		c := s[k]
		if c >= 'A' && c <= 'Z' {
			m = (m*100 + int(c-'A') + 10) % 97
		} else {
			m = (m*10 + int(c-'0')) % 97
		}
	}
	return m
}

// luhnDigit returns the check digit that completes p.
func luhnDigit(p string) string {
	sum := 0
	for k := len(p) - 1; k >= 0; k-- {
		d := int(p[k] - '0')
		if (len(p)-1-k)%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return strconv.Itoa((10 - sum%10) % 10)
}
