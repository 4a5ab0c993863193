package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strings"

	"github.com/undox/undox/capture/fetch"
	"github.com/undox/undox/capture/screenshot"
)

// fetchOptions are the options of everything that fetches a reported URL:
// `undox capture`, and the capture jobs of serve and worker.
type fetchOptions struct {
	allowPrivate  bool
	allowNets     []netip.Prefix
	allowAnyPort  bool
	proxy         string
	dnsServer     string
	userAgent     string
	maxBodyBytes  int64
	maxImageBytes int64
	maxImages     int
	screenshots   string // auto, on, off
	browser       string
	sandbox       string // auto, on, off
	browserUser   string
}

// fetchFlags registers the fetch options on fs.
func fetchFlags(fs *flag.FlagSet, o *fetchOptions) {
	fs.BoolVar(&o.allowPrivate, "allow-private-networks", false, "accept and fetch URLs on loopback and private addresses: tests and local development only (UNDOX_ALLOW_PRIVATE_NETWORKS)")
	fs.Func("allow-networks", "open only these ranges (CIDR,…) beyond the public internet (UNDOX_ALLOW_NETWORKS)", func(v string) error {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return err
			}
			o.allowNets = append(o.allowNets, p)
		}
		return nil
	})
	fs.BoolVar(&o.allowAnyPort, "allow-any-port", false, "fetch from ports other than 80 and 443 (UNDOX_ALLOW_ANY_PORT)")
	fs.StringVar(&o.proxy, "proxy", "", "fetch and take screenshots through this proxy: socks5://host:port (Tor's SOCKS port) or http://host:port (UNDOX_PROXY)")
	fs.StringVar(&o.dnsServer, "dns-server", "", "ask this DNS server (host:port) instead of the system's resolver (UNDOX_DNS_SERVER)")
	fs.StringVar(&o.userAgent, "user-agent", "", "User-Agent of every fetch and screenshot (UNDOX_USER_AGENT; default a common desktop browser's, so that a site cannot tell undox's fetches from its visitors' and hide the page from them alone)")
	fs.Int64Var(&o.maxBodyBytes, "max-body-bytes", fetch.DefaultMaxBodyBytes, "largest page kept, in bytes (UNDOX_MAX_BODY_BYTES)")
	fs.Int64Var(&o.maxImageBytes, "max-image-bytes", 5<<20, "largest image of a page kept, in bytes (UNDOX_MAX_IMAGE_BYTES)")
	fs.IntVar(&o.maxImages, "max-images", 20, "images of a page fetched; 0 for none (UNDOX_MAX_IMAGES)")
	fs.StringVar(&o.screenshots, "screenshots", "auto", "screenshots with headless Chromium: auto (when installed), on (required), off (UNDOX_SCREENSHOTS)")
	fs.StringVar(&o.browser, "browser", "", "path of Chromium or Chrome (UNDOX_BROWSER; default: chromium in PATH)")
	fs.StringVar(&o.sandbox, "browser-sandbox", screenshot.SandboxAuto, "run the browser in Chromium's sandbox, which confines a page that exploits it: auto (where the sandbox starts), on (required), off (UNDOX_BROWSER_SANDBOX)")
	fs.StringVar(&o.browserUser, "browser-user", screenshot.DefaultUser, "user the browser runs as when undox runs as root (UNDOX_BROWSER_USER)")
}

// fetchers returns the page fetcher and the image fetcher.
func (o *fetchOptions) fetchers() (page, images *fetch.Fetcher, err error) {
	switch o.screenshots {
	case "auto", "on", "off":
	default:
		return nil, nil, usageError("--screenshots must be auto, on or off")
	}
	switch o.sandbox {
	case screenshot.SandboxAuto, screenshot.SandboxOn, screenshot.SandboxOff:
	default:
		return nil, nil, usageError("--browser-sandbox must be auto, on or off")
	}
	// A bad proxy would otherwise show only as every capture failing.
	if _, err := fetch.RedactProxy(o.proxy); err != nil {
		return nil, nil, usageError("--proxy: " + err.Error())
	}
	cfg := fetch.Config{AllowPrivate: o.allowPrivate, AllowNetworks: o.allowNets, AllowAnyPort: o.allowAnyPort,
		Proxy: o.proxy, UserAgent: o.userAgent, MaxBodyBytes: o.maxBodyBytes}
	if o.dnsServer != "" {
		cfg.Resolver = fetch.DNSServer(o.dnsServer)
	}
	page = fetch.New(cfg)
	cfg.MaxBodyBytes = o.maxImageBytes
	return page, fetch.New(cfg), nil
}

// shooter starts the browser for screenshots as --screenshots says: nil
// (and no error) when they are off, or on auto when no browser is
// installed.
func (o *fetchOptions) shooter(f *fetch.Fetcher, log *slog.Logger) (*screenshot.Shooter, error) {
	if o.screenshots == "off" {
		return nil, nil
	}
	// Every connection of the browser goes through --proxy too, dialled
	// as the fetches are (a .onion page is shot through Tor).
	ua := cmp.Or(o.userAgent, fetch.DefaultUserAgent) // not headless Chromium's own, which names it
	sh, err := screenshot.New(screenshot.Config{Browser: o.browser, Fetcher: f, Proxy: o.proxy, UserAgent: ua,
		Sandbox: o.sandbox, User: o.browserUser})
	if err != nil {
		if errors.Is(err, screenshot.ErrNoBrowser) && o.screenshots == "auto" {
			log.Warn("no screenshots: no Chromium is installed (apt-get install chromium); captures say so", "err", err)
			return nil, nil
		}
		return nil, fmt.Errorf("screenshots: %w", err)
	}
	if _, why := sh.Sandboxed(); why != nil {
		log.Warn("screenshots: the browser runs less isolated than it should: without Chromium's sandbox (it needs unprivileged "+
			"user namespaces) or as root (--browser-user names the user it runs as; it must reach the temporary folder). "+
			"A page that exploits the browser is not confined. --browser-sandbox on makes this an error",
			"browser", sh.Isolation(), "err", why)
	}
	return sh, nil
}

// vantage names this instance for the evidence: where undox fetched from.
func vantage(o *fetchOptions) string {
	host, _ := os.Hostname()
	v := "undox@" + host
	if o.proxy != "" {
		v += " via proxy"
	}
	return v
}
