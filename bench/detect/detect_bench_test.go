// Package detectbench measures personal.Detect, the detectors of personal
// data, in MB/s of text on one core, against ripgrep (`rg -j1 -c`) running
// the equivalent candidate regular expressions (one -e per finding type)
// on the same corpus in the same run (issue 5's benchmark: at least 0.5×
// of rg's speed).
//
// The corpus (corpus_test.go) is synthetic Dutch- and English-like prose
// of BENCH_MB megabytes (default 100), generated from a fixed seed into a
// temporary folder, with findings of every type inserted at a known
// density (one per BENCH_GAP bytes on average, default 2048).
//
// Run it with bench/detect/run.sh, or:
//
//	go test ./bench/detect -run '^$' -bench '^BenchmarkDetect$' -benchtime 3x -cpu 1
//
// Performance is reported, never asserted: no test here fails on timing.
// A plain `go test` runs only TestHarness, on a small corpus.
package detectbench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/undox/undox/personal"
)

// rgPatterns are the candidate regular expressions given to rg, one per
// finding type: what a regex-based detector would search for before
// validating (ASCII word boundaries, (?-u:\b), so that rg's fast engines
// stay usable on non-ASCII text). TestHarness checks that each matches
// every inserted finding of its type.
var rgPatterns = []struct{ typ, re string }{
	{personal.TypeBSN, `(?-u:\b)[0-9]{3}[. -]?[0-9]{3}[. -]?[0-9]{3}(?-u:\b)|(?-u:\b)[0-9]{4}\.[0-9]{2}\.[0-9]{3}(?-u:\b)`},
	{personal.TypeIBAN, `(?-u:\b)[A-Za-z]{2}[0-9]{2} ?[A-Za-z0-9]{4}(?: ?[A-Za-z0-9]{4}){1,6}(?: ?[A-Za-z0-9]{1,3})?(?-u:\b)`},
	{personal.TypePhone, `(?:\+|(?-u:\b)00)[1-9][0-9]{0,2}[ .-]?(?:\(0\)[ .-]?)?[0-9](?:[ .-]?[0-9]){6,13}|(?:(?-u:\b)|\()0[1-9][0-9]{0,3}\)?[ ./-]?[0-9](?:[ .-]?[0-9]){6,9}`},
	{personal.TypeEmail, `[A-Za-z0-9._%+-]+(?:@| ?[\[({](?:at|AT|@)[\])}] ?| (?:at|AT|@) )[A-Za-z0-9-]+(?:(?:\.| ?[\[({](?:dot|punt|DOT|\.)[\])}] ?| (?:dot|punt) )[A-Za-z0-9-]+)+`},
	{personal.TypePostcode, `(?-u:\b)[1-9][0-9]{3} ?[A-Za-z]{2}(?-u:\b)(?:,? (?:nr\.? )?[1-9][0-9]{0,4}[a-z]?(?-u:\b))?`},
	{personal.TypeAddress, `(?:[A-Z][a-z]+ (?:(?:van|de|der|den) )*)?[A-Z][a-z]*(?:straat|laan|weg|plein|gracht|kade|singel|dijk|hof|pad|steeg|dreef|markt|park|straße|str\.) [1-9][0-9]{0,4}(?:-?[A-Za-z]|-[0-9]{1,3})?(?-u:\b)|(?:Laan|Plein|Weg|Dreef|Kade) (?:(?:van|de|der|den) )+(?:[A-Z][a-z]+ ){1,3}[1-9][0-9]{0,4}(?:-?[A-Za-z])?|(?-u:\b)[1-9][0-9]{0,4}[A-Z]? (?:[A-Z][a-z]+ ){1,3}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Drive|Way|Place|Court|Square)(?-u:\b)|[1-9][0-9]{0,4},? (?:rue|avenue|boulevard|place|quai|chemin|impasse) (?:(?:de|la|du|des|le) )*[A-Z][a-z]+`},
	{personal.TypeLicencePlate, `(?-u:\b)[A-Za-z0-9]{1,3}-[A-Za-z0-9]{2,3}-[A-Za-z0-9]{1,3}(?-u:\b)`},
	{personal.TypeBirthDate, `(?i)(?:geboren|geb\.|born|dob|d\.o\.b\.?|date of birth|geboortedatum)[^0-9\n]{0,40}(?:[0-9]{1,2}[-./][0-9]{1,2}[-./][0-9]{4}|[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{1,2}(?:st|nd|rd|th)? [a-z]{3,9}\.?,? [0-9]{4}|[a-z]{3,9} [0-9]{1,2}(?:st|nd|rd|th)?,? [0-9]{4})`},
	{personal.TypeAge, `(?i)(?-u:\b)[0-9]{1,3}(?: jaar(?: oud)?| ?jr\.?|-jarige?| jarige?| years? old|-years?-old| ?y/?o)(?-u:\b)|(?i)(?:age|aged|leeftijd):? [0-9]{1,3}(?-u:\b)|[A-Z][a-z]+ \([0-9]{1,3}\)`},
	{personal.TypeIDDocument, `(?-u:\b)[A-NP-Z]{2}[A-NP-Z0-9]{6}[0-9](?-u:\b)|(?i)(?:rijbewijs|driving licen[cs]e)[^0-9\n]{0,40}[0-9]{10}(?-u:\b)`},
	{personal.TypePaymentCard, `(?-u:\b)[2-6][0-9]{3}(?:[ -]?[0-9]{4}){2}[ -]?[0-9]{1,7}(?-u:\b)|(?-u:\b)3[47][0-9]{2} ?[0-9]{6} ?[0-9]{5}(?-u:\b)`},
	{personal.TypeIP, `(?-u:\b)(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?-u:\b)|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}`},
	{personal.TypeSocialHandle, `(?:^|[^A-Za-z0-9._%+-])@[A-Za-z0-9_.]{1,30}|(?:^|[^A-Za-z0-9])/?u/[A-Za-z0-9_-]{3,20}`},
	{personal.TypeSocialURL, `(?i)(?:https?://)?(?:www\.|m\.)?(?:instagram\.com|tiktok\.com|twitter\.com|x\.com|facebook\.com|fb\.com|snapchat\.com|youtube\.com|linkedin\.com|t\.me|discord\.com|reddit\.com|twitch\.tv|github\.com|wa\.me)/[A-Za-z0-9_.@/?=&%-]+`},
}

// rgArgs are rg's arguments for the patterns, before the file.
func rgArgs() []string {
	args := []string{"--no-config", "-j1", "-c"}
	for _, p := range rgPatterns {
		args = append(args, "-e", p.re)
	}
	return args
}

func rgPath() (string, error) {
	if p := os.Getenv("BENCH_RG"); p != "" {
		return p, nil
	}
	return exec.LookPath("rg")
}

// envInt reads a positive integer from the environment.
func envInt(tb testing.TB, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		tb.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// The corpus of a benchmark run, written once to a temporary folder
// ($BENCH_DIR, else the system's) that TestMain removes.
var (
	dirOnce sync.Once
	dir     string
	dirErr  error
)

func tempDir() (string, error) {
	dirOnce.Do(func() { dir, dirErr = os.MkdirTemp(os.Getenv("BENCH_DIR"), "undox-bench-detect-") })
	return dir, dirErr
}

func TestMain(m *testing.M) {
	code := m.Run()
	if dir != "" {
		if err := os.RemoveAll(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	os.Exit(code)
}

// writeCorpus writes text to a file in the temporary folder.
func writeCorpus(tb testing.TB, name string, text []byte) string {
	tb.Helper()
	d, err := tempDir()
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(d, name)
	if err := os.WriteFile(path, text, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// pageSize is how much text one Detect call gets: the corpus is cut into
// pages of about this size at line ends, as capture hands over the text
// of one page at a time.
const pageSize = 64 << 10

// pages cuts text into pages at line ends.
func pages(text []byte) [][2]int {
	var ps [][2]int
	for start := 0; start < len(text); {
		end := min(len(text), start+pageSize)
		if end < len(text) {
			if nl := bytes.LastIndexByte(text[start:end], '\n'); nl > 0 {
				end = start + nl + 1
			}
		}
		ps = append(ps, [2]int{start, end})
		start = end
	}
	return ps
}

// detectAll runs Detect over every page of text on this goroutine and
// returns the findings with offsets into the whole text.
func detectAll(text string, ps [][2]int, keep bool) (all []personal.Finding, n int) {
	d := personal.NewDetector(personal.Options{})
	var buf []personal.Finding
	for _, p := range ps {
		buf = d.AppendDetect(buf[:0], text[p[0]:p[1]])
		n += len(buf)
		if keep {
			for _, f := range buf {
				f.Start += p[0]
				f.End += p[0]
				all = append(all, f)
			}
		}
	}
	return all, n
}

// recall compares the findings with what was inserted: how many inserted
// findings of each type were found (same start, type and value), and how
// many findings are not inserted ones.
type recall struct {
	inserted, found map[string]int
	other           int
	otherByType     map[string]int
	missed          []string // a few examples
	otherExamples   []string
}

func score(text string, c *corpus, fs []personal.Finding) recall {
	r := recall{inserted: map[string]int{}, found: map[string]int{}, otherByType: map[string]int{}}
	byStart := make(map[int]personal.Finding, len(fs))
	for _, f := range fs {
		byStart[f.Start] = f
	}
	used := make(map[int]bool, len(c.inserted))
	for _, in := range c.inserted {
		r.inserted[in.typ]++
		if f, ok := byStart[in.at]; ok && f.Type == in.typ && f.Value == in.value {
			r.found[in.typ]++
			used[in.at] = true
		} else if len(r.missed) < 20 {
			got := "nothing"
			if ok {
				got = fmt.Sprintf("%s %q", f.Type, f.Value)
			}
			r.missed = append(r.missed, fmt.Sprintf("%s %q at %d: %q, got %s", in.typ, in.value, in.at, text[in.at:min(len(text), in.at+40)], got))
		}
	}
	for _, f := range fs {
		if !used[f.Start] {
			r.other++
			r.otherByType[f.Type]++
			if len(r.otherExamples) < 10 {
				r.otherExamples = append(r.otherExamples, fmt.Sprintf("%s %q in %q", f.Type, f.Value, text[max(0, f.Start-30):min(len(text), f.End+10)]))
			}
		}
	}
	return r
}

func (r recall) total() (ins, found int) {
	for t, n := range r.inserted {
		ins += n
		found += r.found[t]
	}
	return
}

func (r recall) log(tb testing.TB) {
	types := make([]string, 0, len(r.inserted))
	for t := range r.inserted {
		types = append(types, t)
	}
	sort.Strings(types)
	var b strings.Builder
	for _, t := range types {
		fmt.Fprintf(&b, "%s %d/%d  ", t, r.found[t], r.inserted[t])
	}
	ins, found := r.total()
	tb.Logf("inserted findings found: %d of %d; per type: %s", found, ins, b.String())
	tb.Logf("other findings (in the prose, not inserted): %d %v", r.other, r.otherByType)
	for _, e := range r.otherExamples {
		tb.Logf("  other: %s", e)
	}
	for _, e := range r.missed {
		tb.Logf("  missed: %s", e)
	}
}

// BenchmarkDetect measures personal.Detect and rg on the same corpus, one
// after the other in each iteration, so that both see the same load of the
// machine. An iteration scans the whole corpus once with each. rg's time is
// its run on the corpus minus its run on an empty file (its start and
// pattern compile), as issue 5 measures grep. Metrics: MB/s of each by
// wall time and by CPU time (user and system: less sensitive to other work
// on the machine), and their ratios.
func BenchmarkDetect(b *testing.B) {
	size := envInt(b, "BENCH_MB", 100) << 20
	gap := envInt(b, "BENCH_GAP", 2048)
	t0 := time.Now()
	c := genCorpus(size, gap)
	path := writeCorpus(b, "corpus.txt", c.text)
	empty := writeCorpus(b, "empty.txt", nil)
	text := string(c.text)
	ps := pages(c.text)
	b.Logf("corpus: %d bytes, %d lines, %d pages of about %d KB, %d inserted findings (one per %d bytes), generated in %v",
		len(text), bytes.Count(c.text, []byte{'\n'}), len(ps), pageSize>>10, len(c.inserted), len(text)/max(1, len(c.inserted)), time.Since(t0).Round(time.Millisecond))

	fs, _ := detectAll(text, ps, true) // warm-up, and what was found
	r := score(text, c, fs)
	r.log(b)
	ins, found := r.total()

	rg, err := rgPath()
	if err != nil {
		b.Logf("rg not found (apt-get install -y ripgrep): %v; measuring undox alone", err)
	}
	args := rgArgs()
	// runRG returns rg's wall time and CPU time (user and system) on file.
	runRG := func(file string) (time.Duration, time.Duration, string) {
		cmd := exec.Command(rg, append(args, file)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		start := time.Now()
		err := cmd.Run()
		d := time.Since(start)
		var ee *exec.ExitError
		if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1 && errb.Len() == 0) { // 1: no match
			b.Fatalf("rg: %v: %s", err, errb.String())
		}
		return d, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), strings.TrimSpace(out.String())
	}
	if rg != "" {
		runRG(path) // warm-up: the file in the page cache
		_, _, lines := runRG(path)
		b.Logf("rg %s -e … (%d patterns): %s of %d lines match", strings.Join(args[:3], " "), len(rgPatterns), lines, bytes.Count(c.text, []byte{'\n'}))
	}

	var undoxWall, undoxCPU, rgWall, rgCPU time.Duration
	n := 0
	b.ResetTimer()
	for range b.N {
		w0, c0 := time.Now(), cpuTime()
		_, k := detectAll(text, ps, false)
		undoxWall += time.Since(w0)
		undoxCPU += cpuTime() - c0
		n += k
		if rg != "" {
			d, dc, _ := runRG(path)
			e, ec, _ := runRG(empty)
			rgWall += d - e
			rgCPU += dc - ec
		}
	}
	b.StopTimer()
	mbps := func(d time.Duration) float64 { return float64(len(text)) * float64(b.N) / d.Seconds() / 1e6 }
	b.ReportMetric(mbps(undoxWall), "undox-MB/s")
	b.ReportMetric(mbps(undoxCPU), "undox-cpu-MB/s")
	if rg != "" {
		b.ReportMetric(mbps(rgWall), "rg-MB/s")
		b.ReportMetric(mbps(rgCPU), "rg-cpu-MB/s")
		b.ReportMetric(mbps(undoxWall)/mbps(rgWall), "ratio")
		b.ReportMetric(mbps(undoxCPU)/mbps(rgCPU), "ratio-cpu")
	}
	b.ReportMetric(float64(n)/float64(b.N), "findings")
	b.ReportMetric(100*float64(found)/float64(max(1, ins)), "recall-%")
}

// cpuTime is the CPU time this process used so far (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestHarness generates a small corpus and checks the benchmark's parts:
// every inserted finding is found, few others are, each rg pattern matches
// every inserted finding of its type, and rg runs the patterns. It
// measures nothing.
func TestHarness(t *testing.T) {
	c := genCorpus(2<<20, 1024)
	text := string(c.text)
	if c2 := genCorpus(2<<20, 1024); !bytes.Equal(c.text, c2.text) {
		t.Fatal("the corpus is not deterministic")
	}
	for _, typ := range personal.Types {
		if len(c.samples[typ]) == 0 {
			t.Errorf("no %s inserted", typ)
		}
	}
	if !strings.Contains(text, "é") || !strings.Contains(text, "\t") {
		t.Error("the corpus has no non-ASCII text or no tabs")
	}
	ps := pages(c.text)
	if got := ps[len(ps)-1][1]; got != len(text) || ps[0][0] != 0 {
		t.Fatalf("pages cover %d-%d of %d", ps[0][0], got, len(text))
	}
	fs, n := detectAll(text, ps, true)
	if n != len(fs) {
		t.Fatalf("%d findings counted, %d kept", n, len(fs))
	}
	r := score(text, c, fs)
	r.log(t)
	if len(r.missed) > 0 {
		t.Errorf("%d inserted findings missed", len(r.missed))
	}
	if ins, _ := r.total(); r.other > ins/100 {
		t.Errorf("%d findings besides the %d inserted: %v", r.other, ins, r.otherByType)
	}

	rg, err := rgPath()
	if err != nil {
		t.Skipf("rg not found: %v", err)
	}
	// Each pattern matches every inserted finding of its type.
	for _, p := range rgPatterns {
		samples := c.samples[p.typ]
		file := writeCorpus(t, "samples-"+p.typ+".txt", []byte(strings.Join(samples, "\n")+"\n"))
		out, err := exec.Command(rg, "--no-config", "-c", "-e", p.re, file).CombinedOutput()
		if err != nil && len(out) > 0 {
			t.Fatalf("rg %s: %v: %s", p.typ, err, out)
		}
		if got := strings.TrimSpace(string(out)); got != strconv.Itoa(len(samples)) {
			t.Errorf("rg pattern of %s matches %s of %d samples", p.typ, got, len(samples))
		}
	}
	out, err := exec.Command(rg, append(rgArgs(), writeCorpus(t, "corpus.txt", c.text))...).Output()
	if err != nil {
		t.Fatalf("rg: %v", err)
	}
	if k, _ := strconv.Atoi(strings.TrimSpace(string(out))); k == 0 {
		t.Fatalf("rg: %q", out)
	}
}
