package screenshot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
)

// browserNames are looked up in PATH, in order, when Config.Browser is "".
var browserNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"}

// debianChromium is the real binary behind Debian's /usr/bin/chromium, a
// shell script that sources /etc/chromium.d (which adds flags such as
// --load-extension and --enable-remote-extensions).
const (
	debianWrapper  = "/usr/bin/chromium"
	debianChromium = "/usr/lib/chromium/chromium"
)

// Available reports the browser that New would use for cfg, and whether
// there is one: cfg.Browser if it names an executable (a path, or a name in
// PATH), else the first of chromium, chromium-browser, google-chrome,
// google-chrome-stable and chrome found in PATH. Debian's launcher script
// /usr/bin/chromium is replaced by the binary it runs, so that the
// distribution's extra flags do not apply.
func Available(cfg Config) (path string, ok bool) {
	if cfg.Browser != "" {
		p, err := exec.LookPath(cfg.Browser)
		if err != nil {
			return "", false
		}
		return p, true
	}
	for _, name := range browserNames {
		p, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		if real, err := filepath.EvalSymlinks(p); err == nil && real == debianWrapper {
			if st, err := os.Stat(debianChromium); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
				return debianChromium, true
			}
		}
		return p, true
	}
	return "", false
}

// viewportHeight is the height of the window, in CSS pixels; the screenshot
// itself covers the whole page (up to MaxHeight).
const viewportHeight = 800

// flags are Chromium's command-line switches, and how its process runs.
// proxyURL is the browser-wide proxy (which refuses everything: every shot
// gets its own).
func flags(cfg Config, path, proxyURL string, iso isolation) []chromedp.ExecAllocatorOption {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		// false: chromedp adds no --no-sandbox as root either.
		chromedp.Flag("no-sandbox", !iso.sandbox),
		chromedp.NoInheritEnv,
		chromedp.ModifyCmdFunc(iso.prepare),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("window-size", fmt.Sprintf("%d,%d", cfg.Width, viewportHeight)),
		chromedp.Flag("force-device-scale-factor", "1"),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("disable-dev-shm-usage", true),

		// All traffic through the policy proxy, loopback included.
		chromedp.Flag("proxy-server", proxyURL),
		chromedp.Flag("proxy-bypass-list", "<-loopback>"),
		chromedp.Flag("ignore-certificate-errors", true),

		// No traffic that would not go through the proxy, and as little
		// traffic of the browser's own as possible.
		chromedp.Flag("disable-quic", true),
		// The proxy resolves every name; should the browser try to resolve
		// one itself (DNS prefetch, ...), it gets nothing. The proxy's own
		// address is a literal and stays usable.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"),
		chromedp.Flag("webrtc-ip-handling-policy", "disable_non_proxied_udp"),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,"+
			"InterestFeedContentSuggestions,CertificateTransparencyComponentUpdater,AutofillServerCommunication,"+
			"NetworkTimeServiceQuerying"),
		chromedp.Flag("password-store", "basic"),

		// No prompts, no permission grants, nothing that waits for a user.
		chromedp.Flag("deny-permission-prompts", true),
		chromedp.Flag("disable-notifications", true),
		chromedp.Flag("disable-hang-monitor", true),
		chromedp.Flag("disable-prompt-on-repost", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),

		chromedp.CombinedOutput(io.Discard),
	}
	if cfg.UserAgent != "" {
		opts = append(opts, chromedp.UserAgent(cfg.UserAgent))
	}
	// No user-data-dir flag: chromedp then makes a fresh temporary one per
	// browser process and removes it (after killing any child process still
	// using it) when the process ends.
	return opts
}

// browser is one Chromium process and its browser-wide proxy.
type browser struct {
	allocCancel context.CancelFunc
	ctx         context.Context // the browser's chromedp context; done when the browser is gone
	cancel      context.CancelFunc
	proxy       *proxy // refuses everything
	dir         string // the temporary user data directory
	socketDir   string // Chromium's singleton socket directory, outside dir
	version     string // product/version
	iso         isolation
}

// startTimeout bounds the start of Chromium.
const startTimeout = 30 * time.Second

// startBrowser starts a browser in the safest way that starts (see
// isolations). Once the safest way started, restarts use it alone; a
// browser that runs less isolated tries the safer ways again when it is
// restarted (they may have failed for a reason that has passed, such as a
// start that timed out on a busy machine), so that a fallback does not
// last for the life of the process. The caller holds s.mu, or has s to
// itself.
func (s *Shooter) startBrowser() (*browser, error) {
	if s.iso != nil && *s.iso == s.isos[0] {
		return s.startAs(*s.iso)
	}
	var errs []error
	for _, iso := range s.isos {
		b, err := s.startAs(iso)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", iso, err))
			continue
		}
		s.iso = &iso
		s.sandboxErr = nil
		// Less isolated than asked for (auto), or running as root: say why.
		if !iso.sandbox && s.cfg.Sandbox == SandboxAuto || asRoot() && iso.user == "" {
			s.sandboxErr = errors.Join(errs...)
			if s.sandboxErr == nil {
				s.sandboxErr = errors.New("no user other than root to run the browser as")
			}
		}
		return b, nil
	}
	return nil, errors.Join(errs...)
}

// startAs starts a browser that runs as iso says.
func (s *Shooter) startAs(iso isolation) (*browser, error) {
	px, err := startProxy(s.cfg.Fetcher, s.cfg.Proxy, s.isSelf, "outside any screenshot's browser context")
	if err != nil {
		return nil, err
	}
	s.addSelf(px.addr())
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), flags(s.cfg, s.path, px.url(), iso)...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	b := &browser{allocCancel: allocCancel, ctx: ctx, cancel: cancel, proxy: px, iso: iso}

	// The first Do starts the process and binds it to ctx, so it must not
	// get a context with a deadline; a timer stops a start that hangs.
	timer := time.AfterFunc(startTimeout, cancel)
	err = chromedp.Do(ctx)
	stopped := !timer.Stop()
	if err != nil {
		b.close(s)
		if stopped {
			err = fmt.Errorf("did not start within %s: %w", startTimeout, err)
		}
		return nil, fmt.Errorf("screenshot: cannot start %s: %w", s.path, err)
	}
	if c := chromedp.FromContext(ctx); c != nil && c.Browser != nil && c.Browser.Process() != nil {
		b.dir = userDataDir(c.Browser.Process().Pid)
		b.socketDir = singletonSocketDir(b.dir, iso.tempDir())
	}
	vctx, vcancel := context.WithTimeout(ctx, 10*time.Second)
	defer vcancel()
	if v, err := chromedp.CallBrowser(vctx, cdpbrowser.GetVersion, cdp.Empty{}); err == nil {
		b.version = v.Product
	}
	return b, nil
}

// alive reports whether the browser process is still usable.
func (b *browser) alive() bool {
	return b.ctx.Err() == nil
}

// close stops the browser (chromedp removes its user data directory) and
// its proxy.
func (b *browser) close(s *Shooter) {
	b.cancel()
	b.allocCancel()
	b.proxy.close()
	s.removeSelf(b.proxy.addr())
	// A killed Chromium leaves the directory of its singleton socket
	// behind (/tmp/org.chromium.Chromium.XXXXXX).
	if b.socketDir != "" {
		os.RemoveAll(b.socketDir)
	}
}

// singletonSocketDir is the directory that Chromium made in tmp for the
// socket of its process singleton, which the user data directory's
// SingletonSocket links to; "" if there is none or it does not look like
// one.
func singletonSocketDir(userDataDir, tmp string) string {
	if userDataDir == "" {
		return ""
	}
	target, err := os.Readlink(filepath.Join(userDataDir, "SingletonSocket"))
	if err != nil || !filepath.IsAbs(target) || filepath.Base(target) != "SingletonSocket" {
		return ""
	}
	dir := filepath.Dir(target)
	base := filepath.Base(dir)
	if filepath.Dir(dir) != filepath.Clean(tmp) ||
		!(strings.HasPrefix(base, "org.chromium.Chromium.") || strings.HasPrefix(base, "com.google.Chrome.")) {
		return ""
	}
	return dir
}

// userDataDir reads the --user-data-dir of process pid (for tests and
// diagnostics; "" if unknown).
func userDataDir(pid int) string {
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return ""
	}
	const prefix = "--user-data-dir="
	start := 0
	for i, c := range cmdline {
		if c != 0 {
			continue
		}
		arg := string(cmdline[start:i])
		start = i + 1
		if len(arg) > len(prefix) && arg[:len(prefix)] == prefix {
			return arg[len(prefix):]
		}
	}
	return ""
}

// isSelf reports whether ap may be one of this Shooter's proxies: a
// loopback or unspecified address with one of their ports.
func (s *Shooter) isSelf(ap netip.AddrPort) bool {
	a := ap.Addr().Unmap()
	if !a.IsLoopback() && !a.IsUnspecified() {
		return false
	}
	s.selfMu.Lock()
	defer s.selfMu.Unlock()
	_, ok := s.selfPorts[ap.Port()]
	return ok
}

func (s *Shooter) addSelf(ap netip.AddrPort) {
	s.selfMu.Lock()
	defer s.selfMu.Unlock()
	s.selfPorts[ap.Port()]++
}

func (s *Shooter) removeSelf(ap netip.AddrPort) {
	s.selfMu.Lock()
	defer s.selfMu.Unlock()
	if s.selfPorts[ap.Port()]--; s.selfPorts[ap.Port()] <= 0 {
		delete(s.selfPorts, ap.Port())
	}
}

// ErrClosed is wrapped by the error of a Shot after Close.
var ErrClosed = errors.New("screenshot: the Shooter is closed")
