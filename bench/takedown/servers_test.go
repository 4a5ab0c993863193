package takedownbench

// The parts around undox: the doxing site, the SMTP server that notices
// reach, `undox serve` as a process of its own, and a small API client.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	netmail "net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// The protected person, synthetic: the victim's case registers these
// identifiers, and every page of the doxing site shows them (the name
// letter-spaced, the phone number written otherwise).
const (
	personName    = "Syntha Voorbeeldkind"
	personPhone   = "06 98 76 54 31"
	personAddress = "Testlaan 77"
)

// siteHost is the doxing site's name; the loopback DNS server resolves it
// to 127.0.0.1.
const siteHost = "doxsite.test"

// Addresses of the notices: the host's abuse desk in the contact book,
// the hotline's sender, and the baseline's own recipient (so that the SMTP
// server tells the baseline's messages from undox's).
const (
	abuseAddress    = "abuse@hosting.example"
	mailFrom        = "meldingen@meldpunt.example"
	baselineAddress = "baseline@bench.example"
)

// filler is the rest of a doxing page: a forum thread of about 4 KB.
var filler = strings.Repeat(`<p class="post">Iedereen weet wie dit is. Deel dit bericht zo vaak als je kunt, `+
	`dan weet de hele buurt het ook. Gisteren nog gezien bij de supermarkt op de hoek.</p>
`, 24)

// site is the doxing site: every page /p/… shows the protected person.
func startSite(tb testing.TB) (port string, hits *atomic.Int64) {
	tb.Helper()
	hits = new(atomic.Int64)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /p/{id}", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>Thread %s</title></head><body>
<h1>S y n t h a  V o o r b e e l d k i n d</h1>
<p>Bel haar: +31 6-98765431. Woont op Testlaan 77, 9999 ZZ Nergensdorp.</p>
%s</body></html>`, r.PathValue("id"), filler)
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go srv.Serve(l)
	tb.Cleanup(func() { srv.Close() })
	_, port, _ = net.SplitHostPort(l.Addr().String())
	return port, hits
}

// noticeURL finds the doxing site's URLs in a notice.
var noticeURL = regexp.MustCompile(`http://` + regexp.QuoteMeta(siteHost) + `:\d+/p/[A-Za-z0-9_-]+`)

// sink is an SMTP server on loopback that keeps, per URL of the doxing
// site, when a notice naming it was first accepted (after the whole
// message was received, just before the server answers 250).
type sink struct {
	addr string

	mu       sync.Mutex
	accepted map[string]time.Time
	notices  int   // messages to the abuse desk
	sizes    []int // their sizes in bytes
	baseline int   // messages to the baseline's recipient
	other    int
	waiters  []chan struct{}
}

func startSink(tb testing.TB) *sink {
	tb.Helper()
	k := &sink{accepted: map[string]time.Time{}}
	s := smtp.NewServer(k)
	s.Domain = "localhost"
	s.ErrorLog = log.New(io.Discard, "", 0)
	s.ReadTimeout, s.WriteTimeout = time.Minute, time.Minute
	s.MaxMessageBytes = 64 << 20
	s.MaxRecipients = 100
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	k.addr = l.Addr().String()
	go s.Serve(l)
	tb.Cleanup(func() { s.Close() })
	return k
}

func (k *sink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{k: k}, nil }

// changed wakes whoever waits for messages.
func (k *sink) changed() {
	for _, c := range k.waiters {
		close(c)
	}
	k.waiters = nil
}

// wait returns a channel closed at the next message.
func (k *sink) wait() <-chan struct{} {
	k.mu.Lock()
	defer k.mu.Unlock()
	c := make(chan struct{})
	k.waiters = append(k.waiters, c)
	return c
}

// acceptedAt returns when a notice naming url was first accepted.
func (k *sink) acceptedAt(url string) (time.Time, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	t, ok := k.accepted[url]
	return t, ok
}

// counts returns the messages received so far: notices, baseline, other.
func (k *sink) counts() (notices, baseline, other int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.notices, k.baseline, k.other
}

// meanSize is the mean size of the notices received.
func (k *sink) meanSize() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.sizes) == 0 {
		return 0
	}
	n := 0
	for _, s := range k.sizes {
		n += s
	}
	return n / len(k.sizes)
}

// waitFor waits until every url has a notice or the deadline passes, and
// returns how many have none.
func (k *sink) waitFor(urls []string, deadline time.Time) int {
	for {
		c := k.wait()
		missing := 0
		for _, u := range urls {
			if _, ok := k.acceptedAt(u); !ok {
				missing++
			}
		}
		if missing == 0 {
			return 0
		}
		left := time.Until(deadline)
		if left <= 0 {
			return missing
		}
		select {
		case <-c:
		case <-time.After(min(left, time.Second)):
		}
	}
}

type sinkSession struct {
	k  *sink
	to []string
}

func (s *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	at := time.Now()
	var urls []string
	baseline, notice := false, false
	for _, to := range s.to {
		baseline = baseline || to == baselineAddress
		notice = notice || to == abuseAddress
	}
	if notice {
		urls = noticeURL.FindAllString(messageText(b), -1)
	}
	s.k.mu.Lock()
	defer s.k.mu.Unlock()
	switch {
	case baseline:
		s.k.baseline++
	case notice:
		s.k.notices++
		s.k.sizes = append(s.k.sizes, len(b))
		for _, u := range urls {
			if _, ok := s.k.accepted[u]; !ok {
				s.k.accepted[u] = at
			}
		}
	default:
		s.k.other++
	}
	s.k.changed()
	return nil
}

func (s *sinkSession) Reset()        { s.to = nil }
func (s *sinkSession) Logout() error { return nil }

// messageText returns the decoded text of every leaf part of an e-mail
// (quoted-printable and base64 undone), or the raw message when it cannot
// be parsed.
func messageText(raw []byte) string {
	m, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return string(raw)
	}
	var out strings.Builder
	var walk func(ct, cte string, body io.Reader, depth int)
	walk = func(ct, cte string, body io.Reader, depth int) {
		mt, params, err := mime.ParseMediaType(ct)
		if err == nil && strings.HasPrefix(mt, "multipart/") && depth < 8 {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextPart()
				if err != nil {
					return
				}
				walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, depth+1)
			}
		}
		switch strings.ToLower(cte) {
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, body)
		case "quoted-printable":
			body = quotedprintable.NewReader(body)
		}
		b, _ := io.ReadAll(body)
		out.Write(b)
		out.WriteByte('\n')
	}
	ct := m.Header.Get("Content-Type")
	if ct == "" {
		ct = "text/plain"
	}
	walk(ct, m.Header.Get("Content-Transfer-Encoding"), m.Body, 0)
	return out.String()
}

// The undox binary, built once per test process (or given as
// BENCH_UNDOX_BIN, as run.sh does).
var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
	buildDir  string
)

func undoxBinary(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("BENCH_UNDOX_BIN"); p != "" {
		return p
	}
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "bench-takedown-bin-")
		if buildErr != nil {
			return
		}
		builtBin = filepath.Join(buildDir, "undox")
		cmd := exec.Command(goTool(), "build", "-o", builtBin, "github.com/undox/undox/cmd/undox")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/undox: %v\n%s", err, out.String())
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return builtBin
}

// goTool is the go command: on the PATH, else in GOROOT.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if r := os.Getenv("GOROOT"); r != "" {
		return filepath.Join(r, "bin", "go")
	}
	return "go"
}

// cleanEnv is this process's environment without UNDOX_* variables: the
// benchmark gives undox every option on the command line.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "UNDOX_") {
			env = append(env, kv)
		}
	}
	return env
}

var listenRE = regexp.MustCompile(`listening on (http://\S+)`)

// process is `undox serve` running as a process of its own.
type process struct {
	URL      string
	Data, DB string
	cmd      *exec.Cmd
	logPath  string
	done     chan error
}

// startServe starts `undox serve` with args and waits for its address.
func startServe(tb testing.TB, data, database string, args ...string) *process {
	tb.Helper()
	p := &process{Data: data, DB: database, logPath: filepath.Join(data, "serve.log"), done: make(chan error, 1)}
	all := append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0", "--log-level", "warn"}, args...)
	if database != "" {
		all = append(all, "--database", database)
	}
	// BENCH_LOG_LEVEL=debug and BENCH_SERVE_LOG=FILE keep serve's log
	// (River's too) for a look at where the time goes.
	if v := os.Getenv("BENCH_LOG_LEVEL"); v != "" {
		all = append(all, "--log-level", v)
	}
	if v := os.Getenv("BENCH_SERVE_LOG"); v != "" {
		p.logPath = v
	}
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		tb.Fatal(err)
	}
	p.cmd = exec.Command(undoxBinary(tb), all...)
	p.cmd.Env = cleanEnv()
	p.cmd.Stderr = logf
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() {
		err := p.cmd.Wait()
		logf.Close()
		p.done <- err
	}()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			if m := listenRE.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- m[1]
				sent = true
			}
		}
		if !sent {
			close(found)
		}
	}()
	select {
	case u, ok := <-found:
		if !ok {
			tb.Fatalf("undox serve exited without listening:\n%s", p.logTail())
		}
		p.URL = u
	case <-time.After(2 * time.Minute):
		p.cmd.Process.Kill()
		tb.Fatalf("undox serve did not start within 2 minutes:\n%s", p.logTail())
	}
	tb.Cleanup(func() { p.stop(tb) })
	return p
}

// stop ends the process as SIGTERM would, killing it if it does not exit.
func (p *process) stop(tb testing.TB) {
	if p.cmd == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			tb.Logf("undox serve exited: %v\n%s", err, p.logTail())
		}
	case <-time.After(time.Minute):
		p.cmd.Process.Kill()
		<-p.done
		tb.Logf("undox serve did not stop within a minute and was killed")
	}
	p.cmd = nil
}

// logTail returns the end of the process's standard error.
func (p *process) logTail() string {
	b, _ := os.ReadFile(p.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// token creates a staff token with `undox token create`.
func (p *process) token(tb testing.TB, role string) string {
	tb.Helper()
	args := []string{"token", "create", "--data", p.Data, "--role", role, "--name", "bench-" + role}
	if p.DB != "" {
		args = append(args, "--database", p.DB)
	}
	cmd := exec.Command(undoxBinary(tb), args...)
	cmd.Env = cleanEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		tb.Fatalf("undox token create: %v\n%s", err, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	return lines[len(lines)-1]
}

// api calls undox's JSON API.
type api struct {
	base   string
	token  string
	client *http.Client
}

// call sends body (JSON, when not nil) and decodes the JSON answer.
func (a *api) call(ctx context.Context, method, path string, body any) (int, map[string]any, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, err
	}
	var out map[string]any
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			return resp.StatusCode, nil, fmt.Errorf("%s %s: %s: %.200s", method, path, resp.Status, raw)
		}
	}
	return resp.StatusCode, out, nil
}

// must calls and fails the benchmark unless the answer has status want.
func (a *api) must(tb testing.TB, want int, method, path string, body any) map[string]any {
	tb.Helper()
	code, out, err := a.call(context.Background(), method, path, body)
	if err != nil {
		tb.Fatal(err)
	}
	if code != want {
		tb.Fatalf("%s %s: %d, want %d: %v", method, path, code, want, out)
	}
	return out
}

// eventually polls cond every interval until it holds or limit passes.
func eventually(tb testing.TB, limit, interval time.Duration, what string, cond func() (bool, error)) {
	tb.Helper()
	deadline := time.Now().Add(limit)
	for {
		ok, err := cond()
		if err != nil {
			tb.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(interval)
	}
}

// clockTick is the unit of /proc/PID/stat times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// procCPU returns the CPU time (user and system) a process has used.
func procCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The fields after the command name, which ends with ')': utime and
	// stime are fields 14 and 15.
	fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(fields) < 13 {
		return 0, false
	}
	ut, _ := strconv.ParseInt(fields[11], 10, 64)
	st, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(ut+st) * clockTick, true
}

// cpuSample is the CPU used so far by undox serve and, on PostgreSQL, by
// the server processes of its database.
type cpuSample struct {
	undox time.Duration
	pg    map[int]time.Duration
	ok    bool
}

func (f *fixture) cpu(ctx context.Context) cpuSample {
	var s cpuSample
	if f.proc.cmd == nil {
		return s
	}
	s.undox, s.ok = procCPU(f.proc.cmd.Process.Pid)
	if f.pg == nil {
		return s
	}
	rows, err := f.pg.QueryContext(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	if err != nil {
		s.ok = false
		return s
	}
	defer rows.Close()
	s.pg = map[int]time.Duration{}
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) != nil {
			s.ok = false
			return s
		}
		d, ok := procCPU(pid)
		if !ok {
			s.ok = false // not on this machine, or not ours to read
			continue
		}
		s.pg[pid] = d
	}
	return s
}

// since returns the CPU used from before to s: undox's, and PostgreSQL's
// (a backend that started meanwhile counts from zero).
func (s cpuSample) since(before cpuSample) (undox, pg time.Duration, ok bool) {
	for pid, d := range s.pg {
		pg += d - before.pg[pid]
	}
	return s.undox - before.undox, pg, s.ok && before.ok
}
