package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/undox/undox/capture"
	"github.com/undox/undox/capture/fetch"
)

// captureCmd is `undox capture URL`: an analyst's quick look at a page,
// through the same safe fetcher as every capture, without a case.
func captureCmd(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	var (
		asJSON       bool
		proxy        string
		dnsServer    string
		allowPrivate bool
		allowAnyPort bool
		allowNets    []netip.Prefix
	)
	fs := flag.NewFlagSet("undox capture", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&asJSON, "json", false, "print one JSON object")
	fs.StringVar(&proxy, "proxy", "", "fetch through this proxy: socks5://host:port or http://host:port (UNDOX_PROXY)")
	fs.StringVar(&dnsServer, "dns-server", "", "ask this DNS server (host:port) instead of the system's (UNDOX_DNS_SERVER)")
	fs.BoolVar(&allowPrivate, "allow-private-networks", false, "allow loopback and private addresses: tests and local development only")
	fs.BoolVar(&allowAnyPort, "allow-any-port", false, "allow ports other than 80 and 443")
	fs.Func("allow-networks", "open only these ranges (CIDR,…) beyond the public internet", func(v string) error {
		for _, s := range strings.Split(v, ",") {
			p, err := netip.ParsePrefix(strings.TrimSpace(s))
			if err != nil {
				return err
			}
			allowNets = append(allowNets, p)
		}
		return nil
	})
	var target string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		target, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error())
	}
	if target == "" && fs.NArg() == 1 {
		target = fs.Arg(0)
	} else if fs.NArg() > 0 || target == "" {
		return usageError("usage: undox capture URL [--json] [--proxy URL] [--dns-server host:port] [--allow-private-networks]")
	}
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "UNDOX_PROXY="); ok && proxy == "" {
			proxy = v
		}
		if v, ok := strings.CutPrefix(kv, "UNDOX_DNS_SERVER="); ok && dnsServer == "" {
			dnsServer = v
		}
	}
	cfg := fetch.Config{AllowPrivate: allowPrivate, AllowNetworks: allowNets, AllowAnyPort: allowAnyPort, Proxy: proxy}
	if dnsServer != "" {
		cfg.Resolver = fetch.DNSServer(dnsServer)
	}
	sum, err := capture.Page(ctx, fetch.New(cfg), target)
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if eerr := enc.Encode(sum); eerr != nil {
			return eerr
		}
	} else {
		printSummary(stdout, sum)
	}
	if err != nil {
		return fmt.Errorf("capture failed: %s: %s", sum.Error.Code, sum.Error.Message)
	}
	return nil
}

func printSummary(w io.Writer, s *capture.Summary) {
	fmt.Fprintf(w, "url:        %s\n", s.URL)
	for _, r := range s.Redirects {
		fmt.Fprintf(w, "redirect:   %d %s (%s)\n", r.Status, r.URL, r.IP)
	}
	if s.FinalURL != "" {
		fmt.Fprintf(w, "final url:  %s\nstatus:     %d\naddresses:  %s\n", s.FinalURL, s.Status, strings.Join(s.IPs, ", "))
		fmt.Fprintf(w, "content:    %s, %d bytes, sha256 %s\n", s.ContentType, s.Size, s.SHA256)
		fmt.Fprintf(w, "title:      %s\ntext:       sha256 %s (%d links, %d images)\n", s.Title, s.TextSHA256, s.Links, s.Images)
	}
	if s.TLSVerifyError != "" {
		fmt.Fprintf(w, "tls:        certificate not valid: %s\n", s.TLSVerifyError)
	}
	fmt.Fprintln(w, "screenshot: none (screenshots are not built yet)")
	if s.Error != nil {
		fmt.Fprintf(w, "error:      %s: %s\n", s.Error.Code, s.Error.Message)
	}
}
