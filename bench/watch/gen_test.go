package watchbench

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"

	"github.com/undox/undox/personal/watch"
)

// Synthetic data only: names from syllables, numbers from a seeded
// generator. Everything is deterministic for a given size.

var syllables = strings.Fields(`ja an pie ke ee sa ne li em ma da bra so fie lu ca ju noa fle ti
	ev ro ma ri jo ho tho bas koen ruud wim ger rit mar tin ste ven nie ko ha ns dirk bert wou ter
	mees lot te fen na ilse hen nie kor gel vis ser bak smit mei jer boer mul der gro ot bos vos pe
	ters hen driks dijk berg hui zen veld kamp hof straat laan weg plein gracht kade brink`)

var (
	infixes = []string{"de", "van", "van der", "van den", "ter", "van de", "den"}
	words   = strings.Fields(`de het een en van ik je dat die in is niet te op zijn voor met maar er als om aan
		ook dan nog wel door kan naar wat over bij uit tot hij zij wij jullie hun ons onze mijn jouw deze
		daar hier waar wanneer omdat zodat want toen nadat terwijl altijd nooit vaak soms morgen gisteren
		vandaag week maand jaar huis school werk stad dorp straat fiets auto trein bus vriend vriendin
		familie moeder vader broer zus kind kinderen buurman buurvrouw foto bericht adres telefoon nummer
		website pagina forum reactie gebruiker account profiel openbaar bekend gezien gevonden gedeeld`)
	domains = []string{"voorbeeld.nl", "example.org", "mail.example.com", "post.test", "web.example.net"}
)

// dataset is the protected identifiers and what the corpus generator needs
// to write names that share their parts.
type dataset struct {
	ids        []watch.Identifier
	firstNames []string
	lastNames  []string
}

func syllableWord(r *rand.Rand, min, max int) string {
	n := min + r.IntN(max-min+1)
	var b strings.Builder
	for range n {
		b.WriteString(syllables[r.IntN(len(syllables))])
	}
	return b.String()
}

// makeDataset makes n identifiers of n/5 persons: a name, an e-mail
// address, a mobile number, a postcode with house number and a nine-digit
// number each.
func makeDataset(n int) *dataset {
	r := rand.New(rand.NewPCG(42, uint64(n)))
	d := &dataset{}
	for range 4000 {
		d.firstNames = append(d.firstNames, syllableWord(r, 1, 2))
	}
	for range 30000 {
		last := syllableWord(r, 2, 3)
		if r.IntN(3) == 0 {
			last = infixes[r.IntN(len(infixes))] + " " + last
		}
		d.lastNames = append(d.lastNames, last)
	}
	persons := (n + 4) / 5
	for p := range persons {
		person := fmt.Sprintf("case-%d/person-%d", p/3, p)
		first := d.firstNames[r.IntN(len(d.firstNames))]
		last := d.lastNames[r.IntN(len(d.lastNames))]
		user := first + "." + strings.ReplaceAll(last, " ", "")
		if r.IntN(2) == 0 {
			user += strconv.Itoa(r.IntN(100))
		}
		ids := []watch.Identifier{
			{Person: person, Kind: watch.KindName, Value: first + " " + last},
			{Person: person, Kind: watch.KindEmail, Value: user + "@" + domains[r.IntN(len(domains))]},
			{Person: person, Kind: watch.KindPhone, Value: fmt.Sprintf("06%08d", r.IntN(100000000))},
			{Person: person, Kind: watch.KindPostcode, Value: fmt.Sprintf("%04d %c%c %d", 1000+r.IntN(9000), 'A'+r.IntN(26), 'A'+r.IntN(26), 1+r.IntN(250))},
			{Person: person, Kind: watch.KindIDNumber, Value: fmt.Sprintf("%09d", 100000000+r.IntN(900000000))},
		}
		for _, id := range ids {
			if len(d.ids) < n {
				d.ids = append(d.ids, id)
			}
		}
	}
	return d
}

// writeIdentifiers writes the identifiers for undox (person, kind, value,
// tab-separated) and the same values for grep, one a line.
func (d *dataset) writeIdentifiers(idPath, patPath string) error {
	fi, err := os.Create(idPath)
	if err != nil {
		return err
	}
	fp, err := os.Create(patPath)
	if err != nil {
		fi.Close()
		return err
	}
	wi, wp := bufio.NewWriterSize(fi, 1<<20), bufio.NewWriterSize(fp, 1<<20)
	for _, id := range d.ids {
		fmt.Fprintf(wi, "%s\t%s\t%s\n", id.Person, id.Kind, id.Value)
		wp.WriteString(id.Value)
		wp.WriteByte('\n')
	}
	for _, f := range []struct {
		w *bufio.Writer
		f *os.File
	}{{wi, fi}, {wp, fp}} {
		if e := f.w.Flush(); e != nil && err == nil {
			err = e
		}
		if e := f.f.Close(); e != nil && err == nil {
			err = e
		}
	}
	return err
}

// readIdentifiers reads what writeIdentifiers wrote, calling add for each.
func readIdentifiers(path string, add func(watch.Identifier) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		i := strings.IndexByte(line, '\t')
		j := i + 1 + strings.IndexByte(line[i+1:], '\t')
		if i < 0 || j <= i {
			return fmt.Errorf("bad line %q", line)
		}
		if err := add(watch.Identifier{Person: line[:i], Kind: line[i+1 : j], Value: line[j+1:]}); err != nil {
			return err
		}
	}
	return sc.Err()
}

// inserted is an identifier written into the corpus.
type inserted struct {
	off, end   int64 // byte span in the corpus
	id         int   // index into the dataset's identifiers
	obfuscated bool
}

// corpusOptions: size in bytes; names makes about a third of the filler
// words first names, surname parts and infixes of the protected persons.
type corpusOptions struct {
	size  int64
	names bool
	every int // an identifier in one line of every this many
}

// writeCorpus writes synthetic text of lines of 60 to 140 words to w, with
// an identifier in one line of every opt.every (about 40 % of them
// obfuscated), and returns where it put them.
func (d *dataset) writeCorpus(w io.Writer, opt corpusOptions) ([]inserted, error) {
	r := rand.New(rand.NewPCG(7, uint64(opt.size)))
	bw := bufio.NewWriterSize(w, 1<<20)
	// The filler's vocabulary, as a table to draw from: common words are
	// there many times.
	var vocab []string
	for i, wd := range words {
		for range 40 / (1 + i/10) {
			vocab = append(vocab, wd)
		}
	}
	for range 3000 {
		vocab = append(vocab, syllableWord(r, 2, 4))
	}
	if opt.names {
		n := len(vocab) / 2
		for range n {
			switch r.IntN(3) {
			case 0:
				vocab = append(vocab, d.firstNames[r.IntN(len(d.firstNames))])
			case 1:
				parts := strings.Fields(d.lastNames[r.IntN(len(d.lastNames))])
				vocab = append(vocab, parts[len(parts)-1])
			default:
				vocab = append(vocab, infixes[r.IntN(len(infixes))])
			}
		}
	}
	var ins []inserted
	var off int64
	line := make([]byte, 0, 4096)
	for n := 0; off < opt.size; n++ {
		line = line[:0]
		nw := 60 + r.IntN(81)
		at := -1
		if opt.every > 0 && n%opt.every == 0 {
			at = r.IntN(nw)
		}
		for i := range nw {
			if i > 0 {
				if r.IntN(12) == 0 {
					line = append(line, ", "...)
				} else {
					line = append(line, ' ')
				}
			}
			if i == at {
				k := r.IntN(len(d.ids))
				text, obf := obfuscate(r, d.ids[k])
				line = append(line, "contact: "...)
				start := off + int64(len(line))
				line = append(line, text...)
				ins = append(ins, inserted{off: start, end: start + int64(len(text)), id: k, obfuscated: obf})
				line = append(line, " ;"...)
				continue
			}
			if r.IntN(25) == 0 {
				line = strconv.AppendInt(line, int64(r.IntN(2000)), 10)
				continue
			}
			wd := vocab[r.IntN(len(vocab))]
			if i == 0 || r.IntN(15) == 0 {
				line = append(line, strings.ToUpper(wd[:1])...)
				wd = wd[1:]
			}
			line = append(line, wd...)
		}
		line = append(line, ".\n"...)
		if _, err := bw.Write(line); err != nil {
			return nil, err
		}
		off += int64(len(line))
	}
	return ins, bw.Flush()
}

var (
	cyrillic = map[rune]string{'a': "а", 'e': "е", 'o': "о", 'p': "р", 'c': "с", 'x': "х", 'y': "у", 'i': "і"}
	leetOf   = map[rune][]string{'a': {"4", "@"}, 'e': {"3"}, 'i': {"1", "!"}, 'o': {"0"}, 's': {"5", "$"}, 't': {"7"}, 'l': {"1"}}
)

// obfuscate writes an identifier as is (60 %) or in a way that undox is to
// see through and grep does not (40 %).
func obfuscate(r *rand.Rand, id watch.Identifier) (string, bool) {
	v := id.Value
	if r.IntN(10) < 6 {
		return v, false
	}
	switch id.Kind {
	case watch.KindName:
		switch r.IntN(6) {
		case 0:
			return strings.ToUpper(v), true
		case 1: // leetspeak, inside words
			var b strings.Builder
			for _, w := range strings.Fields(v) {
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				rs := []rune(w)
				for i, c := range rs {
					// not the first two or last two letters both, keep a letter
					if l, ok := leetOf[c]; ok && i > 0 && i < len(rs)-1 && r.IntN(2) == 0 {
						b.WriteString(l[r.IntN(len(l))])
						continue
					}
					b.WriteRune(c)
				}
			}
			return b.String(), true
		case 2: // letter-spaced
			var parts []string
			for _, w := range strings.Fields(v) {
				parts = append(parts, strings.Join(strings.Split(w, ""), " "))
			}
			return strings.Join(parts, "  "), true
		case 3: // look-alike letters
			var b strings.Builder
			for _, c := range v {
				if s, ok := cyrillic[c]; ok && r.IntN(2) == 0 {
					b.WriteString(s)
				} else {
					b.WriteRune(c)
				}
			}
			return b.String(), true
		case 4: // accents and a zero-width space
			rs := []rune(strings.Replace(v, "e", "é", 1))
			return string(rs[:2]) + "\u200b" + string(rs[2:]), true
		default: // fullwidth
			var b strings.Builder
			for _, c := range v {
				if c >= 'a' && c <= 'z' {
					b.WriteRune(c - 'a' + 'ａ')
				} else {
					b.WriteRune(c)
				}
			}
			return b.String(), true
		}
	case watch.KindEmail:
		forms := [][2]string{{" [at] ", " [dot] "}, {" at ", " dot "}, {"(at)", "(dot)"}, {" @ ", " . "}}
		f := forms[r.IntN(len(forms))]
		at := strings.IndexByte(v, '@')
		return v[:at] + f[0] + strings.ReplaceAll(v[at+1:], ".", f[1]), true
	case watch.KindPhone:
		n := v[1:] // 6xxxxxxxx
		forms := []string{
			"06-" + n[1:],
			"06 " + n[1:3] + " " + n[3:5] + " " + n[5:7] + " " + n[7:],
			"+31 6 " + n[1:],
			"+31 (0)6 " + n[1:5] + " " + n[5:],
			"0031" + n,
			"06." + n[1:3] + "." + n[3:5] + "." + n[5:7] + "." + n[7:],
		}
		return forms[r.IntN(len(forms))], true
	case watch.KindPostcode:
		f := strings.Fields(v)
		if r.IntN(2) == 0 {
			return f[0] + f[1] + " " + f[2], true
		}
		return f[0] + " " + strings.ToLower(f[1]) + ", " + f[2], true
	case watch.KindIDNumber:
		if r.IntN(2) == 0 {
			return v[:3] + "." + v[3:6] + "." + v[6:], true
		}
		return v[:3] + " " + v[3:6] + " " + v[6:], true
	}
	return v, false
}
