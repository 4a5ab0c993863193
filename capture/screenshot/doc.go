// Package screenshot takes full-page screenshots of attacker-controlled pages
// with headless Chromium, without letting the browser reach anything that
// capture/fetch would not.
//
// # The proxy design
//
// Chromium does its own networking, so the address policy of fetch.Fetcher
// (no loopback, private, link-local, ... addresses; only ports 80 and 443
// unless configured) would not apply to it by itself. Instead, every request
// of the browser goes through a local HTTP forward proxy that this package
// runs on 127.0.0.1:
//
//   - plain http:// requests arrive in absolute form (GET http://host/path)
//     and are forwarded;
//   - everything else (https://, ws:// and wss://, HTTP/2) arrives as
//     CONNECT host:port and is tunnelled byte for byte: TLS stays end to end
//     between the browser and the site, and --ignore-certificate-errors keeps
//     a bad certificate from losing the evidence.
//
// The proxy opens connections only with Fetcher.DialContextVia, so name
// resolution (with the Fetcher's resolver), the address and port policy and
// the dial-time re-check are the Fetcher's. The browser hands host names to
// the proxy and resolves none itself (--host-resolver-rules makes any
// resolution it might still try fail). A refused connection is answered with
// 403 (502/504 for other failures) and recorded in Result.Blocked. The proxy
// never connects to its own listening ports, so a page cannot chain proxies
// when loopback is allowed.
//
// # An upstream proxy
//
// With Config.Proxy (by default the Fetcher's Config.Proxy) every
// connection of the browser goes through that proxy (Tor's SOCKS port, or a
// proxy that hides the hotline's network), dialled exactly as a fetch
// through it: undox resolves and checks each name itself and hands the
// proxy the checked address; only a .onion name goes to the proxy as a
// name, for Tor to resolve. The refusals above apply unchanged, before the
// proxy is asked. Result.Proxy records the proxy, without its password.
//
// Chromium is started with --proxy-server pointing at a proxy that refuses
// everything, and --proxy-bypass-list=<-loopback>, which removes Chromium's
// implicit bypass of localhost, 127.0.0.0/8 and [::1]: without it, loopback
// requests would go out directly. Each Shot then creates a fresh browser
// context (an incognito-like profile: no cookies, cache, storage or service
// workers shared with other shots) whose own proxy, again with the bypass
// list <-loopback> (a browser context does not inherit it), is a proxy
// started for that shot alone. So every refusal is attributed to the right
// shot, and every connection of a shot is cut when it ends.
//
// QUIC (which cannot go through an HTTP proxy), background networking,
// component updates and sync are disabled; WebRTC may use no UDP that does
// not go through the proxy (--webrtc-ip-handling-policy=
// disable_non_proxied_udp), so it sends no STUN/ICE packets at all.
// Downloads are denied, JavaScript dialogs are dismissed, and the page's
// requests bypass service workers (a service worker's own requests go
// through the proxy like any other).
//
// Only the Fetcher's resolver, address policy, dial timeout and proxy apply
// to the browser; its body, header, time and rate limits and its User-Agent
// do not.
//
// # Bounds
//
// One browser process is shared by all shots of a Shooter and restarted if
// it dies; at most Config.MaxTabs shots run at once. Each shot is bounded in
// time (Config.Timeout, or the caller's deadline if sooner): the page gets
// most of it to load, and then the screenshot is taken of whatever has been
// rendered, so a page that never finishes loading still yields an image
// (Result.Loaded is then false); a page that never starts (no response) is
// a Timeout error. The image's height is capped by Config.MaxHeight and its
// size by Config.MaxBytes (the image is cut shorter until it fits;
// Result.Truncated says so).
//
// # The sandbox
//
// The pages are hostile, and the browser runs their scripts. It runs in
// Chromium's sandbox (Config.Sandbox): its renderers are in user and PID
// namespaces of their own under a seccomp filter, so that a page that
// exploits a renderer is confined there. Chromium's sandbox does not run as
// root; when undox does, the browser runs as an unprivileged user
// (Config.User, "nobody" by default) either way. The browser gets none of
// undox's environment variables (which may hold secrets such as the SMTP
// URL): only PATH, TMPDIR, and a HOME inside its temporary profile. Where
// the sandbox cannot start (a container without unprivileged user
// namespaces), SandboxAuto runs the browser without it and
// Shooter.Sandboxed says why; each Result says whether its browser was
// sandboxed.
package screenshot
