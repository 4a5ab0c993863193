// Package watchbench measures the watch index (personal/watch): building it
// from 1,000,000 synthetic protected identifiers, and scanning a text corpus
// of 300 MB for them, against `LC_ALL=C grep -F -c -f` with the same
// identifiers in plain text, measured in the same run, each on one core.
//
// Run it with bench/watch/run.sh, or:
//
//	go test ./bench/watch -run '^$' -bench '^BenchmarkWatch$' -benchtime 1x -timeout 1h
//
// undox's build and scan run in child processes (this test binary again,
// TestChild) pinned to CPU 0 with GOMAXPROCS=1, as grep is (taskset -c 0),
// so that each one's peak memory is its own. Performance is reported, never
// asserted: a plain `go test` runs only TestHarness, a quick check on small
// sizes.
package watchbench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
	"github.com/undox/undox/personal/watch"
)

// benchKey is the synthetic index key of the benchmark.
var benchKey = bytes.Repeat([]byte("bench-watch-key!"), 2)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// ---- undox, in this process or a child

// buildResult is what the build child reports.
type buildResult struct {
	WallNS, CPUNS int64 // reading the identifiers to a ready index
	SaveNS        int64
	Entries       int
	IndexBytes    int64
	MaxRSSKB      int64
}

// scanResult is what the scan child reports.
type scanResult struct {
	LoadNS          int64
	WallNS, CPUNS   int64 // scanning the corpus (reading it included)
	Bytes           int64
	Matches         int
	Found, FoundObf int
	MaxRSSKB        int64
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// maxRSSKB is this process's peak resident memory: VmHWM, the high-water
// mark of its own memory. (getrusage's ru_maxrss is not used: after a fork
// and exec it starts from the parent's peak, the benchmark's.)
func maxRSSKB() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// buildIndex builds the index from the identifiers file.
func buildIndex(idPath string) (*watch.Index, error) {
	b, err := watch.NewBuilder(benchKey)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(idPath); err == nil {
		b.Grow(int(fi.Size() / 40)) // about 40 bytes a line
	}
	if err := readIdentifiers(idPath, b.Add); err != nil {
		return nil, err
	}
	return b.Index(), nil
}

func childBuild(idPath, indexPath string) (buildResult, error) {
	var r buildResult
	t0, c0 := time.Now(), cpuTime()
	ix, err := buildIndex(idPath)
	if err != nil {
		return r, err
	}
	r.WallNS, r.CPUNS = int64(time.Since(t0)), int64(cpuTime()-c0)
	r.Entries = ix.Len()
	t1 := time.Now()
	if err := ix.SaveFile(indexPath); err != nil {
		return r, err
	}
	r.SaveNS = int64(time.Since(t1))
	if fi, err := os.Stat(indexPath); err == nil {
		r.IndexBytes = fi.Size()
	}
	r.MaxRSSKB = maxRSSKB()
	return r, nil
}

// insertRec is an inserted identifier as the scan checks it.
type insertRec struct {
	off, end     int64
	person, kind string
	obfuscated   bool
}

func writeInserts(path string, d *dataset, ins []inserted) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, in := range ins {
		id := d.ids[in.id]
		fmt.Fprintf(w, "%d\t%d\t%s\t%s\t%t\n", in.off, in.end, id.Person, id.Kind, in.obfuscated)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func readInserts(path string) ([]insertRec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []insertRec
	for line := range strings.Lines(string(data)) {
		f := strings.Split(strings.TrimSuffix(line, "\n"), "\t")
		if len(f) != 5 {
			return nil, fmt.Errorf("bad insert line %q", line)
		}
		off, _ := strconv.ParseInt(f[0], 10, 64)
		end, _ := strconv.ParseInt(f[1], 10, 64)
		out = append(out, insertRec{off: off, end: end, person: f[2], kind: f[3], obfuscated: f[4] == "true"})
	}
	return out, nil
}

// scanCorpus matches the corpus in chunks of about 1 MB cut at line ends
// (as pages would come), and counts the inserted identifiers found: a match
// of the same person and kind overlapping the insertion.
func scanCorpus(ix *watch.Index, r io.Reader, ins []insertRec) (scanResult, error) {
	var res scanResult
	found := make([]bool, len(ins))
	buf := make([]byte, 1<<20)
	var carry int
	var base int64
	next := 0 // first insert not yet behind the chunk
	for {
		n, err := io.ReadFull(r, buf[carry:])
		n += carry
		if n == 0 {
			break
		}
		end := n
		if err == nil {
			if k := bytes.LastIndexByte(buf[:n], '\n'); k >= 0 {
				end = k + 1
			}
		}
		// Match keeps no reference to its text: the chunk's bytes are
		// passed without a copy.
		ms := ix.Match(unsafe.String(&buf[0], end))
		res.Matches += len(ms)
		for _, m := range ms {
			s, e := base+int64(m.Start), base+int64(m.End)
			for next < len(ins) && ins[next].end <= base {
				next++
			}
			for k := next; k < len(ins) && ins[k].off < e; k++ {
				if ins[k].end > s && ins[k].person == m.Person && ins[k].kind == m.Kind {
					found[k] = true
				}
			}
		}
		res.Bytes += int64(end)
		base += int64(end)
		carry = copy(buf, buf[end:n])
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				if carry == 0 {
					break
				}
				continue
			}
			return res, err
		}
	}
	for k, f := range found {
		if f {
			res.Found++
			if ins[k].obfuscated {
				res.FoundObf++
			}
		}
	}
	return res, nil
}

func childScan(indexPath, corpusPath, insertsPath string) (scanResult, error) {
	ins, err := readInserts(insertsPath)
	if err != nil {
		return scanResult{}, err
	}
	t0 := time.Now()
	ix, err := watch.LoadFile(indexPath, benchKey)
	if err != nil {
		return scanResult{}, err
	}
	load := time.Since(t0)
	f, err := os.Open(corpusPath)
	if err != nil {
		return scanResult{}, err
	}
	defer f.Close()
	runtime.GC()
	t1, c1 := time.Now(), cpuTime()
	res, err := scanCorpus(ix, f, ins)
	res.WallNS, res.CPUNS = int64(time.Since(t1)), int64(cpuTime()-c1)
	res.LoadNS = int64(load)
	res.MaxRSSKB = maxRSSKB()
	return res, err
}

// TestChild is the child process's entry point; it does nothing unless
// WATCHBENCH_CHILD is set.
func TestChild(t *testing.T) {
	var out any
	var err error
	switch os.Getenv("WATCHBENCH_CHILD") {
	case "":
		t.Skip("only as a child process of BenchmarkWatch")
	case "build":
		out, err = childBuild(os.Getenv("WATCHBENCH_IDS"), os.Getenv("WATCHBENCH_INDEX"))
	case "scan":
		out, err = childScan(os.Getenv("WATCHBENCH_INDEX"), os.Getenv("WATCHBENCH_CORPUS"), os.Getenv("WATCHBENCH_INSERTS"))
	}
	require.NoError(t, err)
	data, err := json.Marshal(out)
	require.NoError(t, err)
	fmt.Printf("WATCHBENCH %s\n", data)
}

// proc is one measured child process.
type proc struct {
	wall     time.Duration
	cpu      time.Duration
	maxRSSKB int64
	stdout   []byte
}

// onCore0 runs name args pinned to CPU 0 (when taskset exists) and returns
// its wall time, CPU time (the kernel's rusage of the process) and peak
// memory. The peak memory is what /usr/bin/time -v reports ("Maximum
// resident set size"), which is measured in a process forked from time,
// small; the rusage of a process started from this one would start from
// this process's peak. Without /usr/bin/time it is 0.
func onCore0(env []string, name string, args ...string) (proc, error) {
	argv := append([]string{name}, args...)
	if ts, err := exec.LookPath("taskset"); err == nil {
		argv = append([]string{ts, "-c", "0"}, argv...)
	}
	timed := false
	if _, err := os.Stat("/usr/bin/time"); err == nil {
		argv = append([]string{"/usr/bin/time", "-v"}, argv...)
		timed = true
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	t0 := time.Now()
	err := cmd.Run()
	p := proc{wall: time.Since(t0), stdout: stdout.Bytes()}
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			p.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	if timed {
		for line := range strings.Lines(stderr.String()) {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Maximum resident set size (kbytes):"); ok {
				p.maxRSSKB, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			}
		}
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 1 && name == "grep" {
		err = nil // grep: no line matched
	}
	if err != nil {
		return p, fmt.Errorf("%s: %v: %s", name, err, stderr.String())
	}
	return p, nil
}

func child(mode string, env ...string) (proc, []byte, error) {
	env = append(env, "WATCHBENCH_CHILD="+mode, "GOMAXPROCS=1")
	p, err := onCore0(env, os.Args[0], "-test.run=^TestChild$", "-test.count=1")
	if err != nil {
		return p, nil, err
	}
	for line := range strings.Lines(string(p.stdout)) {
		if j, ok := strings.CutPrefix(line, "WATCHBENCH "); ok {
			return p, []byte(j), nil
		}
	}
	return p, nil, fmt.Errorf("child %s printed no result: %s", mode, p.stdout)
}

// grepFound counts the inserted identifiers that grep finds: it runs
// grep -F -o -b (not timed) and checks which insertions a match overlaps.
func grepFound(patterns, corpus string, ins []insertRec) (int, int, error) {
	cmd := exec.Command("grep", "-F", "-o", "-b", "-f", patterns, corpus)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	found := make([]bool, len(ins))
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	k := 0
	for sc.Scan() {
		line := sc.Text()
		i := strings.IndexByte(line, ':')
		if i < 0 {
			continue
		}
		s, _ := strconv.ParseInt(line[:i], 10, 64)
		e := s + int64(len(line)-i-1)
		for k < len(ins) && ins[k].end <= s {
			k++
		}
		for j := k; j < len(ins) && ins[j].off < e; j++ {
			found[j] = true
		}
	}
	if err := cmd.Wait(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			return 0, 0, err
		}
	}
	n, obf := 0, 0
	for j, f := range found {
		if f {
			n++
			if ins[j].obfuscated {
				obf++
			}
		}
	}
	return n, obf, sc.Err()
}

// variantResult is one corpus variant's measurements.
type variantResult struct {
	name                 string
	bytes                int64
	inserted, obfuscated int
	grepCorpus           proc // best of BENCH_COUNT
	grepFound, grepObf   int
	undox                scanResult // best of BENCH_COUNT
	undoxProc            proc
}

func BenchmarkWatch(b *testing.B) {
	if _, err := exec.LookPath("grep"); err != nil {
		b.Skip("grep not found")
	}
	nIDs := envInt("BENCH_IDENTIFIERS", 1000000)
	corpusMB := envInt("BENCH_CORPUS_MB", 300)
	count := envInt("BENCH_COUNT", 1)
	dir, err := os.MkdirTemp(os.Getenv("BENCH_DIR"), "bench-watch-")
	require.NoError(b, err)
	defer os.RemoveAll(dir)
	path := func(n string) string { return filepath.Join(dir, n) }

	for b.Loop() {
		t0 := time.Now()
		d := makeDataset(nIDs)
		require.NoError(b, d.writeIdentifiers(path("identifiers.tsv"), path("patterns.txt")))
		require.NoError(b, os.WriteFile(path("empty"), nil, 0o600))
		fmt.Printf("generated %d identifiers in %v\n", len(d.ids), time.Since(t0).Round(time.Millisecond))

		// Build: undox from the identifiers file to a ready index; grep's
		// pattern compile is its run on an empty file.
		var build buildResult
		var buildProc proc
		var grepEmpty proc
		for i := range count {
			p, out, err := child("build", "WATCHBENCH_IDS="+path("identifiers.tsv"), "WATCHBENCH_INDEX="+path("watch.idx"))
			require.NoError(b, err)
			var r buildResult
			require.NoError(b, json.Unmarshal(out, &r))
			if i == 0 || r.CPUNS < build.CPUNS {
				build, buildProc = r, p
			}
			g, err := onCore0([]string{"LC_ALL=C"}, "grep", "-F", "-c", "-f", path("patterns.txt"), path("empty"))
			require.NoError(b, err)
			if i == 0 || g.cpu < grepEmpty.cpu {
				grepEmpty = g
			}
		}

		var results []variantResult
		for _, v := range []struct {
			name  string
			names bool
		}{{"plain", false}, {"name-words", true}} {
			t1 := time.Now()
			corpus := path("corpus-" + v.name + ".txt")
			f, err := os.Create(corpus)
			require.NoError(b, err)
			ins, err := d.writeCorpus(f, corpusOptions{size: int64(corpusMB) << 20, names: v.names, every: 4})
			require.NoError(b, err)
			require.NoError(b, f.Close())
			require.NoError(b, writeInserts(path("inserts.tsv"), d, ins))
			fi, err := os.Stat(corpus)
			require.NoError(b, err)
			vr := variantResult{name: v.name, bytes: fi.Size(), inserted: len(ins)}
			for _, in := range ins {
				if in.obfuscated {
					vr.obfuscated++
				}
			}
			fmt.Printf("generated corpus %q: %d MB, %d identifiers inserted (%d obfuscated) in %v\n",
				v.name, fi.Size()>>20, len(ins), vr.obfuscated, time.Since(t1).Round(time.Millisecond))
			// Read it once so that both read it from the page cache.
			cat := exec.Command("cat", corpus)
			cat.Stdout = io.Discard
			_ = cat.Run()
			for i := range count {
				g, err := onCore0([]string{"LC_ALL=C"}, "grep", "-F", "-c", "-f", path("patterns.txt"), corpus)
				require.NoError(b, err)
				if i == 0 || g.cpu < vr.grepCorpus.cpu {
					vr.grepCorpus = g
				}
				p, out, err := child("scan", "WATCHBENCH_INDEX="+path("watch.idx"), "WATCHBENCH_CORPUS="+corpus,
					"WATCHBENCH_INSERTS="+path("inserts.tsv"))
				require.NoError(b, err)
				var r scanResult
				require.NoError(b, json.Unmarshal(out, &r))
				if i == 0 || r.CPUNS < vr.undox.CPUNS {
					vr.undox, vr.undoxProc = r, p
				}
			}
			recs, err := readInserts(path("inserts.tsv"))
			require.NoError(b, err)
			vr.grepFound, vr.grepObf, err = grepFound(path("patterns.txt"), corpus, recs)
			require.NoError(b, err)
			require.NoError(b, os.Remove(corpus))
			results = append(results, vr)
		}
		report(b, len(d.ids), build, buildProc, grepEmpty, results)
	}
}

func mbps(bytes int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(bytes) / 1e6 / d.Seconds()
}

func report(b *testing.B, nIDs int, build buildResult, buildProc, grepEmpty proc, results []variantResult) {
	fmt.Println()
	fmt.Printf("identifiers: %d (undox index: %d entries, file %.1f MB, saved in %v)\n",
		nIDs, build.Entries, float64(build.IndexBytes)/1e6, time.Duration(build.SaveNS).Round(time.Millisecond))
	fmt.Println()
	fmt.Println("build (CPU time on one core; wall time in parentheses)")
	bc, gc := time.Duration(build.CPUNS), grepEmpty.cpu
	fmt.Printf("  undox build:        %8.3f s  (%.3f s)\n", bc.Seconds(), time.Duration(build.WallNS).Seconds())
	fmt.Printf("  grep compile:       %8.3f s  (%.3f s)\n", gc.Seconds(), grepEmpty.wall.Seconds())
	fmt.Printf("  ratio undox/grep:   %8.3f    target <= 0.100: %s\n", ratio(bc, gc), met(ratio(bc, gc) <= 0.1))
	b.ReportMetric(bc.Seconds(), "undox-build-s")
	b.ReportMetric(gc.Seconds(), "grep-compile-s")
	for _, r := range results {
		gScan := r.grepCorpus.cpu - grepEmpty.cpu
		gWall := r.grepCorpus.wall - grepEmpty.wall
		uScan, uWall := time.Duration(r.undox.CPUNS), time.Duration(r.undox.WallNS)
		um, gm := mbps(r.bytes, uScan), mbps(r.bytes, gScan)
		fmt.Println()
		fmt.Printf("corpus %q: %.0f MB, %d identifiers inserted, %d of them obfuscated\n", r.name, float64(r.bytes)/1e6, r.inserted, r.obfuscated)
		fmt.Printf("  scan undox:         %8.1f MB/s  (CPU %.2f s; wall %.2f s, %.1f MB/s)\n", um, uScan.Seconds(), uWall.Seconds(), mbps(r.bytes, uWall))
		fmt.Printf("  scan grep:          %8.1f MB/s  (CPU %.2f s = %.2f - %.2f; wall %.2f s, %.1f MB/s)\n", gm, gScan.Seconds(),
			r.grepCorpus.cpu.Seconds(), grepEmpty.cpu.Seconds(), gWall.Seconds(), mbps(r.bytes, gWall))
		sr := 0.0
		if gm > 0 {
			sr = um / gm
		}
		fmt.Printf("  ratio undox/grep:   %8.2f       target >= 2: %s\n", sr, met(sr >= 2))
		peak := max(build.MaxRSSKB, r.undox.MaxRSSKB)
		fmt.Printf("  peak memory undox:  %8.1f MB  (build %.1f MB, load+scan %.1f MB)\n", float64(peak)/1024,
			float64(build.MaxRSSKB)/1024, float64(r.undox.MaxRSSKB)/1024)
		mr := float64(peak) / float64(max(r.grepCorpus.maxRSSKB, 1))
		fmt.Printf("  peak memory grep:   %8.1f MB   ratio %.3f, target <= 0.25: %s\n", float64(r.grepCorpus.maxRSSKB)/1024, mr, met(mr <= 0.25))
		fmt.Printf("  found undox:        %8d of %d  (obfuscated %d of %d): %s\n", r.undox.Found, r.inserted, r.undox.FoundObf, r.obfuscated,
			met(r.undox.Found == r.inserted))
		fmt.Printf("  found grep:         %8d of %d  (obfuscated %d of %d)\n", r.grepFound, r.inserted, r.grepObf, r.obfuscated)
		fmt.Printf("  undox matches:      %8d  (index load %.3f s)\n", r.undox.Matches, time.Duration(r.undox.LoadNS).Seconds())
		b.ReportMetric(um, r.name+"-undox-MB/s")
		b.ReportMetric(gm, r.name+"-grep-MB/s")
	}
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func met(ok bool) string {
	if ok {
		return "MET"
	}
	return "NOT MET"
}

// TestHarness checks the benchmark's machinery on small sizes: the
// generated data, the identifiers file round trip, undox finding every
// inserted identifier (the obfuscated ones too) in both corpus variants,
// and, when grep is there, the grep side.
func TestHarness(t *testing.T) {
	dir := t.TempDir()
	d := makeDataset(2000)
	require.Len(t, d.ids, 2000)
	kinds := map[string]int{}
	for _, id := range d.ids {
		kinds[id.Kind]++
	}
	require.Equal(t, map[string]int{watch.KindName: 400, watch.KindEmail: 400, watch.KindPhone: 400, watch.KindPostcode: 400, watch.KindIDNumber: 400}, kinds)
	idPath, patPath := filepath.Join(dir, "ids.tsv"), filepath.Join(dir, "patterns.txt")
	require.NoError(t, d.writeIdentifiers(idPath, patPath))
	var back []watch.Identifier
	require.NoError(t, readIdentifiers(idPath, func(id watch.Identifier) error { back = append(back, id); return nil }))
	require.Equal(t, d.ids, back)

	r, err := childBuild(idPath, filepath.Join(dir, "watch.idx"))
	require.NoError(t, err)
	require.Greater(t, r.Entries, 2000)

	for _, names := range []bool{false, true} {
		corpus := filepath.Join(dir, "corpus.txt")
		f, err := os.Create(corpus)
		require.NoError(t, err)
		ins, err := d.writeCorpus(f, corpusOptions{size: 1 << 20, names: names, every: 2})
		require.NoError(t, err)
		require.NoError(t, f.Close())
		require.Greater(t, len(ins), 300)
		insPath := filepath.Join(dir, "inserts.tsv")
		require.NoError(t, writeInserts(insPath, d, ins))
		recs, err := readInserts(insPath)
		require.NoError(t, err)
		require.True(t, slices.IsSortedFunc(recs, func(a, b insertRec) int { return int(a.off - b.off) }))
		obf := 0
		for _, r := range recs {
			if r.obfuscated {
				obf++
			}
		}
		require.Greater(t, obf, 50)

		res, err := childScan(filepath.Join(dir, "watch.idx"), corpus, insPath)
		require.NoError(t, err)
		if res.Found != len(ins) {
			data, _ := os.ReadFile(corpus)
			ix, _ := watch.LoadFile(filepath.Join(dir, "watch.idx"), benchKey)
			missed := 0
			for _, in := range recs {
				okk := false
				for _, m := range ix.Match(string(data[max(0, in.off-200):min(int64(len(data)), in.end+200)])) {
					okk = okk || m.Person == in.person && m.Kind == in.kind
				}
				if !okk && missed < 10 {
					missed++
					t.Logf("missed %s %q", in.kind, data[in.off:in.end])
				}
			}
		}
		require.Equal(t, len(ins), res.Found, "names=%v", names)
		require.Equal(t, obf, res.FoundObf)
		stat, err := os.Stat(corpus)
		require.NoError(t, err)
		require.Equal(t, stat.Size(), res.Bytes)

		if _, err := exec.LookPath("grep"); err == nil {
			n, nObf, err := grepFound(patPath, corpus, recs)
			require.NoError(t, err)
			require.GreaterOrEqual(t, n, len(ins)-obf, "grep finds the plain ones")
			require.Less(t, nObf, obf/4+1, "grep misses most obfuscated ones")
		}
	}
}
