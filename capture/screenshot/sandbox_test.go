package screenshot

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// proc is a process of a browser, as /proc shows it.
type proc struct {
	pid     int
	typ     string // Chromium's --type: "" for the browser process, renderer, zygote, …
	uid     string
	seccomp string // 0 none, 2 a filter
	userNS  string
	env     []string
}

// browserProcs are the processes of the browser b: those started with its
// user data directory.
func browserProcs(t *testing.T, b *browser) []proc {
	t.Helper()
	entries, _ := os.ReadDir("/proc")
	var out []proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		dir := "/proc/" + e.Name()
		cmdline, err := os.ReadFile(dir + "/cmdline")
		if err != nil {
			continue
		}
		// Chromium's child processes rewrite their command line as one
		// string, with spaces.
		args := strings.FieldsFunc(string(cmdline), func(r rune) bool { return r == 0 || r == ' ' })
		p := proc{pid: pid}
		mine := false
		for _, a := range args {
			mine = mine || a == "--user-data-dir="+b.dir
			if v, ok := strings.CutPrefix(a, "--type="); ok {
				p.typ = v
			}
		}
		if !mine {
			continue
		}
		status, err := os.ReadFile(dir + "/status")
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(status), "\n") {
			k, v, _ := strings.Cut(line, ":")
			switch k {
			case "Uid":
				p.uid = strings.Fields(v)[1] // effective
			case "Seccomp":
				p.seccomp = strings.TrimSpace(v)
			}
		}
		p.userNS, _ = os.Readlink(dir + "/ns/user")
		if env, err := os.ReadFile(dir + "/environ"); err == nil {
			p.env = strings.Split(strings.TrimRight(string(env), "\x00"), "\x00")
		}
		out = append(out, p)
	}
	return out
}

// renderers waits for the browser's renderer processes (a renderer starts
// for its first tab).
func renderers(t *testing.T, b *browser) []proc {
	t.Helper()
	require.NotEmpty(t, b.dir)
	var rs []proc
	require.Eventually(t, func() bool {
		rs = rs[:0]
		for _, p := range browserProcs(t, b) {
			if p.typ == "renderer" {
				rs = append(rs, p)
			}
		}
		return len(rs) > 0
	}, 10*time.Second, 50*time.Millisecond, "no renderer process")
	return rs
}

// The browser runs in Chromium's sandbox: each renderer, which runs a
// page's scripts, is in a user namespace of its own under a seccomp
// filter; as root, the browser runs as an unprivileged user. It gets none
// of undox's environment. This machine kind has unprivileged user
// namespaces, so the sandbox is required here.
func TestSandbox(t *testing.T) {
	requireBrowser(t)
	if runtime.GOOS != "linux" {
		t.Skip("the sandbox's processes are read from Linux's /proc")
	}
	t.Setenv("UNDOX_SMTP_URL", "smtp://user:secret-password@127.0.0.1:25")
	s, err := New(Config{Fetcher: loopbackFetcher(), Width: 400, Sandbox: SandboxOn})
	require.NoError(t, err)
	defer s.Close()
	sandboxed, why := s.Sandboxed()
	require.True(t, sandboxed)
	require.NoError(t, why)

	// The page's image is held back until its renderer has been looked at.
	waiting, release := make(chan struct{}), make(chan struct{})
	mux := http.NewServeMux()
	mux.Handle("/", pageHandler(`<!doctype html><title>in the sandbox</title><img src="/slow.png">`))
	mux.HandleFunc("/slow.png", func(w http.ResponseWriter, r *http.Request) {
		close(waiting)
		<-release
	})
	srv := newServer(t, "127.0.0.1", false, mux)
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) }) // before the server closes
	type shot struct {
		res *Result
		err error
	}
	done := make(chan shot, 1)
	go func() {
		res, err := s.Shot(context.Background(), srv.URL+"/")
		done <- shot{res, err}
	}()
	select {
	case <-waiting:
	case <-time.After(20 * time.Second):
		t.Fatal("the page's image was never asked for")
	}
	ourNS, err := os.Readlink("/proc/self/ns/user")
	require.NoError(t, err)
	for _, r := range renderers(t, s.cur) {
		require.Equal(t, "2", r.seccomp, "renderer %d has no seccomp filter", r.pid)
		require.NotEqual(t, ourNS, r.userNS, "renderer %d is in undox's user namespace", r.pid)
	}
	once.Do(func() { close(release) })
	got := <-done
	require.NoError(t, got.err)
	require.Equal(t, "in the sandbox", got.res.Title)
	require.True(t, got.res.Sandboxed)

	for _, p := range browserProcs(t, s.cur) {
		if os.Geteuid() == 0 {
			require.NotEqual(t, "0", p.uid, "process %d (%q) runs as root", p.pid, p.typ)
			require.Equal(t, "sandboxed, as user nobody", s.Isolation())
		}
		if p.typ == "" {
			require.NotEmpty(t, p.env)
			require.Contains(t, p.env, "HOME="+s.cur.dir)
			for _, kv := range p.env {
				require.NotContains(t, kv, "secret-password")
			}
		}
	}
}

func pageHandler(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { servePage(w, body) }
}

// Where the sandbox does not start, SandboxAuto runs the browser without
// it and says why; SandboxOn does not run it. A wrapper that refuses to
// start the browser without --no-sandbox stands for such a machine.
func TestSandboxFallback(t *testing.T) {
	requireBrowser(t)
	if runtime.GOOS != "linux" {
		t.Skip("a shell script stands for the browser")
	}
	real, _ := Available(Config{})
	// In /tmp, which the browser's user (nobody, when the tests run as
	// root) can reach, as it may not reach the test's own temporary folder.
	dir, err := os.MkdirTemp("/tmp", "undox-sandbox-test-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	// The sandbox fails while the file broken is there.
	broken := filepath.Join(dir, "broken")
	require.NoError(t, os.WriteFile(broken, nil, 0o644))
	wrapper := filepath.Join(dir, "chromium-without-sandbox")
	script := "#!/bin/sh\ncase \" $* \" in *\" --no-sandbox \"*) exec " + real + " \"$@\";; esac\n" +
		"[ -e " + broken + " ] || exec " + real + " \"$@\"\n" +
		"echo 'No usable sandbox!' >&2\nexit 1\n"
	require.NoError(t, os.WriteFile(wrapper, []byte(script), 0o755))

	_, err = New(Config{Fetcher: loopbackFetcher(), Browser: wrapper, Sandbox: SandboxOn})
	require.Error(t, err)

	s, err := New(Config{Fetcher: loopbackFetcher(), Browser: wrapper, Width: 400})
	require.NoError(t, err)
	defer s.Close()
	sandboxed, why := s.Sandboxed()
	require.False(t, sandboxed)
	require.Error(t, why)
	require.Contains(t, s.Isolation(), "not sandboxed")
	if os.Geteuid() == 0 {
		require.Equal(t, "not sandboxed, as user nobody", s.Isolation())
		for _, p := range browserProcs(t, s.cur) {
			require.NotEqual(t, "0", p.uid, "process %d (%q) runs as root", p.pid, p.typ)
		}
	}
	srv := newServer(t, "127.0.0.1", false, pageHandler(`<!doctype html><title>no sandbox</title>`))
	res, err := s.Shot(context.Background(), srv.URL+"/")
	require.NoError(t, err)
	require.Equal(t, "no sandbox", res.Title)
	require.False(t, res.Sandboxed)

	// Once the sandbox works again, the next start of the browser (after
	// it died) uses it: the fallback does not last for the process's life.
	require.NoError(t, os.Remove(broken))
	s.mu.Lock()
	s.cur.cancel()
	s.mu.Unlock()
	res, err = s.Shot(context.Background(), srv.URL+"/")
	require.NoError(t, err)
	require.True(t, res.Sandboxed)
	sandboxed, why = s.Sandboxed()
	require.True(t, sandboxed)
	require.NoError(t, why)

	// And off means off, whatever the machine can do.
	off, err := New(Config{Fetcher: loopbackFetcher(), Width: 400, Sandbox: SandboxOff})
	require.NoError(t, err)
	defer off.Close()
	sandboxed, why = off.Sandboxed()
	require.False(t, sandboxed)
	require.NoError(t, why)
}

// As root, the browser runs as the configured user, which must exist;
// root without the sandbox is the last resort of auto and off only.
func TestIsolationsAsRoot(t *testing.T) {
	if !asRoot() {
		t.Skip("the choices as root; these tests run as root in CI")
	}
	_, err := isolations(Config{User: "no-such-user-undox", Sandbox: SandboxAuto})
	require.ErrorContains(t, err, `the browser's user "no-such-user-undox"`)
	names := func(isos []isolation) []string {
		var out []string
		for _, iso := range isos {
			out = append(out, iso.String())
		}
		return out
	}
	for mode, want := range map[string][]string{
		SandboxAuto: {"sandboxed, as user nobody", "not sandboxed, as user nobody", "not sandboxed"},
		SandboxOn:   {"sandboxed, as user nobody"},
		SandboxOff:  {"not sandboxed, as user nobody", "not sandboxed"},
	} {
		isos, err := isolations(Config{Sandbox: mode})
		require.NoError(t, err, mode)
		require.Equal(t, want, names(isos), mode)
	}
}

// A temporary folder that only root can reach: the browser's user cannot
// reach its profile there, so auto runs it as root, unsandboxed, and says
// so; on refuses.
func TestSandboxPrivateTempDir(t *testing.T) {
	requireBrowser(t)
	if !asRoot() {
		t.Skip("as root only")
	}
	private := t.TempDir()
	require.NoError(t, os.Chmod(private, 0o700))
	t.Setenv("TMPDIR", private)
	_, err := New(Config{Fetcher: loopbackFetcher(), Width: 400, Sandbox: SandboxOn})
	require.Error(t, err)
	s, err := New(Config{Fetcher: loopbackFetcher(), Width: 400})
	require.NoError(t, err)
	defer s.Close()
	sandboxed, why := s.Sandboxed()
	require.False(t, sandboxed)
	require.Error(t, why)
	require.Equal(t, "not sandboxed", s.Isolation())
}
