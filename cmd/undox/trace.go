package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/undox/undox"
	"github.com/undox/undox/capture/fetch"
	"github.com/undox/undox/trace"
	"github.com/undox/undox/trace/asn"
	"github.com/undox/undox/trace/cdn"
	"github.com/undox/undox/trace/dns"
	"github.com/undox/undox/trace/rdap"
	"github.com/undox/undox/trace/whois"
)

// traceOptions are the options of everything that traces: `undox trace`,
// and the trace jobs of serve and worker.
type traceOptions struct {
	// fetch are the network options trace shares with capture
	// (--dns-server, --allow-private-networks, --allow-networks,
	// --allow-any-port): the caller registers them with fetchFlags and sets
	// this field before calling service. nil: the defaults.
	fetch *fetchOptions

	rdapBootstrap string
	rdapOverrides map[string][]string
	rdapRate      float64
	whoisServers  map[string]string
	asnTable      string
	cdnData       string
	police        string
	policeEmail   string
	policeWebForm string
}

// traceFlags registers the trace options on fs. The network options come
// from fetchFlags, which the caller registers too.
func traceFlags(fs *flag.FlagSet, o *traceOptions) {
	fs.StringVar(&o.rdapBootstrap, "rdap-bootstrap", "", "read the IANA RDAP bootstrap files from DIR (see undox rdap refresh) instead of the copy built in (UNDOX_RDAP_BOOTSTRAP)")
	fs.Func("rdap-override", "send RDAP queries to other servers: KEY=URL,… where KEY is a TLD, a CIDR, an AS number or range, \"*\", or a URL prefix to rewrite; KEY= (no URL) means no RDAP server (UNDOX_RDAP_OVERRIDE)", func(v string) error {
		if o.rdapOverrides == nil {
			o.rdapOverrides = map[string][]string{}
		}
		return parsePairs(v, func(k, u string) error {
			if u == "" {
				if _, ok := o.rdapOverrides[k]; !ok {
					o.rdapOverrides[k] = []string{}
				}
				return nil
			}
			if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
				return fmt.Errorf("%s: %q is not an http(s) URL", k, u)
			}
			o.rdapOverrides[k] = append(o.rdapOverrides[k], u)
			return nil
		})
	})
	fs.Float64Var(&o.rdapRate, "rdap-rate", rdap.DefaultPerServerRate, "RDAP requests per second to each server; negative: no limit (UNDOX_RDAP_RATE)")
	fs.Func("whois-server", "WHOIS server of a TLD: TLD=host:port,… (UNDOX_WHOIS_SERVER)", func(v string) error {
		if o.whoisServers == nil {
			o.whoisServers = map[string]string{}
		}
		return parsePairs(v, func(k, s string) error {
			if s == "" {
				return fmt.Errorf("%s: no server given", k)
			}
			o.whoisServers[strings.TrimPrefix(strings.ToLower(k), ".")] = s
			return nil
		})
	})
	fs.StringVar(&o.asnTable, "asn-table", "", "IP-to-ASN table: a table saved by undox ("+asn.FileName+"), or iptoasn.com TSV files (.tsv, .tsv.gz), comma-separated (UNDOX_ASN_TABLE)")
	fs.StringVar(&o.cdnData, "cdn-data", "", "CDN data file to use instead of the one built in (UNDOX_CDN_DATA)")
	fs.StringVar(&o.police, "police", "Politie", "whom a .onion site is referred to (UNDOX_POLICE)")
	fs.StringVar(&o.policeEmail, "police-email", "", "the police's e-mail address for referrals (UNDOX_POLICE_EMAIL)")
	fs.StringVar(&o.policeWebForm, "police-web-form", "", "the police's web form for referrals (UNDOX_POLICE_WEB_FORM)")
}

// parsePairs calls fn for each KEY=VALUE of a comma-separated list.
func parsePairs(v string, fn func(k, val string) error) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		k, val, ok := strings.Cut(p, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return fmt.Errorf("%q: want KEY=VALUE", p)
		}
		if err := fn(strings.TrimSpace(k), strings.TrimSpace(val)); err != nil {
			return err
		}
	}
	return nil
}

// service builds the trace service. fetcher fetches the sites' security.txt
// (nil: none is fetched); contacts is the contact book (nil: none).
//
// DNS goes to --dns-server, else the system's nameservers. RDAP and WHOIS
// servers are reached under the safe fetcher's address policy (public
// addresses only, unless --allow-private-networks or --allow-networks open
// more), on their ports (443, 80, 43; any with --allow-any-port), since
// servers name other servers in their answers.
func (o *traceOptions) service(fetcher *fetch.Fetcher, contacts trace.ContactMatcher, log *slog.Logger) (*trace.Service, error) {
	fo := o.fetch
	if fo == nil {
		fo = &fetchOptions{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dcfg := dns.DefaultConfig()
	if fo.dnsServer != "" {
		dcfg.Servers = []string{fo.dnsServer}
	}
	resolver, err := dns.New(dcfg)
	if err != nil {
		return nil, err
	}
	dialer := fetch.New(fetch.Config{AllowPrivate: fo.allowPrivate, AllowNetworks: fo.allowNets,
		AllowAnyPort: fo.allowAnyPort, AllowPorts: []uint16{43}, Resolver: resolver.FetchResolver()})

	boot := rdap.DefaultBootstrap()
	if o.rdapBootstrap != "" {
		if boot, err = rdap.LoadBootstrap(o.rdapBootstrap); err != nil {
			return nil, fmt.Errorf("--rdap-bootstrap: %w", err)
		}
	}
	tr := &http.Transport{Proxy: nil, DialContext: dialer.DialContext, ForceAttemptHTTP2: true,
		TLSHandshakeTimeout: 10 * time.Second, MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second}
	rc, err := rdap.New(rdap.Config{Bootstrap: boot, Overrides: o.rdapOverrides, PerServerRate: o.rdapRate,
		HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		return nil, fmt.Errorf("--rdap-override: %w", err)
	}
	wc := whois.New(whois.Config{Servers: o.whoisServers, Dial: dialer.DialContext})

	det := cdn.Default()
	if o.cdnData != "" {
		if err := det.Load(o.cdnData); err != nil {
			return nil, fmt.Errorf("--cdn-data: %w", err)
		}
	}
	var table *asn.Table
	if o.asnTable != "" {
		var files []string
		for _, f := range strings.Split(o.asnTable, ",") {
			if f = strings.TrimSpace(f); f != "" {
				files = append(files, f)
			}
		}
		if len(files) == 1 && !strings.Contains(files[0], ".tsv") {
			table, err = asn.LoadFile(files[0])
		} else {
			table, err = asn.ImportFiles(files...)
		}
		if err != nil {
			return nil, fmt.Errorf("--asn-table: %w", err)
		}
	}
	return trace.New(trace.Config{DNS: resolver, RDAP: rc, WHOIS: wc, CDN: det, ASN: table, Fetcher: fetcher,
		Contacts: contacts, Logger: log,
		Police: trace.Recipient{Organisation: o.police, Email: o.policeEmail, WebForm: o.policeWebForm}})
}

// traceCmd is `undox trace URL`: who hosts a page and whom to notify, in
// the order of escalation, with the sources.
func traceCmd(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	var (
		fo      fetchOptions
		to      traceOptions
		asJSON  bool
		noFetch bool
		headers = http.Header{}
	)
	fs := flag.NewFlagSet("undox trace", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&asJSON, "json", false, "print one JSON object")
	fs.BoolVar(&noFetch, "no-fetch", false, "look up DNS and RDAP/WHOIS only: fetch nothing from the site (no security.txt)")
	fs.Func("header", "a response header seen at capture, \"Name: value\", a CDN signal (repeatable)", func(v string) error {
		k, val, ok := strings.Cut(v, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return errors.New(`want "Name: value"`)
		}
		headers.Add(strings.TrimSpace(k), strings.TrimSpace(val))
		return nil
	})
	fetchFlags(fs, &fo)
	traceFlags(fs, &to)
	to.fetch = &fo
	target, err := parseOne(fs, args, env)
	if err != nil {
		return err
	}
	if target == "" {
		return usageError("usage: undox trace URL [--json] [--dns-server host:port] [--rdap-bootstrap DIR] [--rdap-override KEY=URL,…] [--whois-server TLD=host:port,…] [--asn-table FILE] [--allow-private-networks] [--allow-networks CIDR] [--allow-any-port]")
	}
	if _, err := undox.NormalizeURL(target); err != nil {
		return usageError(fmt.Sprintf("%s: %s", target, undox.ErrorMessage(err)))
	}
	page, _, err := fo.fetchers()
	if err != nil {
		return err
	}
	defer page.CloseIdleConnections()
	if noFetch {
		page = nil
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	svc, err := to.service(page, nil, log)
	if err != nil {
		return err
	}
	a, err := svc.Trace(ctx, target, trace.Options{NoFetch: noFetch, Headers: headers})
	if a == nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if eerr := enc.Encode(a); eerr != nil {
			return eerr
		}
	} else {
		printAnswer(stdout, a)
	}
	return err // nil, or ctx's error when interrupted
}

// printAnswer prints the chain for a person.
func printAnswer(w io.Writer, a *trace.Answer) {
	fmt.Fprintf(w, "url:          %s\n", a.URL)
	if a.RegistrableDomain != "" && a.RegistrableDomain != a.Domain {
		fmt.Fprintf(w, "domain:       %s (registrable: %s)\n", a.Domain, a.RegistrableDomain)
	} else {
		fmt.Fprintf(w, "domain:       %s\n", a.Domain)
	}
	if a.HostHiddenReason == "onion" {
		fmt.Fprintln(w, "host:         hidden (.onion): nothing is looked up")
	}
	types := make([]string, 0, len(a.DNS))
	for t := range a.DNS {
		types = append(types, t)
	}
	order := map[string]int{"A": 0, "AAAA": 1, "CNAME": 2, "NS": 3, "MX": 4}
	sort.Slice(types, func(i, j int) bool {
		oi, ok1 := order[types[i]]
		oj, ok2 := order[types[j]]
		if ok1 != ok2 {
			return ok1
		}
		if oi != oj {
			return oi < oj
		}
		return types[i] < types[j]
	})
	for _, t := range types {
		var vals []string
		for _, r := range a.DNS[t] {
			vals = append(vals, fmt.Sprintf("%s (ttl %d)", r.Value, r.TTL))
		}
		fmt.Fprintf(w, "dns %-6s    %s\n", t+":", strings.Join(vals, ", "))
	}
	for _, ad := range a.Addresses {
		fmt.Fprintf(w, "address:      %s\n", ad.IP)
		if n := ad.Network; n != nil {
			rng := strings.Join(n.CIDRs, ", ")
			if rng == "" {
				rng = n.Start + " - " + n.End
			}
			fmt.Fprintf(w, "  network:    %s %s (%s)%s\n", n.Name, n.Handle, rng, cdnMark(ad.CDN))
			fmt.Fprintf(w, "  holder:     %s%s\n", ad.Org, paren(ad.Country))
			if ad.AbuseEmail != "" {
				fmt.Fprintf(w, "  abuse:      %s (%s)\n", ad.AbuseEmail, n.AbuseConfidence)
			}
		}
		if ad.ASN != nil {
			as := fmt.Sprintf("AS%d", *ad.ASN)
			if ad.AS != nil {
				as += " " + strings.TrimSpace(ad.AS.Name+" "+paren(ad.AS.Org))
				if ad.AS.AbuseEmail != "" {
					as += ", abuse " + ad.AS.AbuseEmail
				}
			}
			fmt.Fprintf(w, "  as:         %s\n", as)
		}
		for _, p := range ad.Parents {
			org := p.Org
			if org == "" {
				org = p.Name
			}
			line := fmt.Sprintf("%s %s: %s", p.Name, p.Handle, org)
			if p.AbuseEmail != "" {
				line += ", abuse " + p.AbuseEmail
			}
			fmt.Fprintf(w, "  above:      %s\n", line)
		}
	}
	if a.CDN != nil {
		line := *a.CDN
		if e := a.CDNEvidence; e != nil {
			line += fmt.Sprintf(" (%s confidence: %s)", e.Confidence, strings.Join(e.Signals, ", "))
		}
		if a.HostHidden {
			line += "; the real host is hidden"
		}
		fmt.Fprintf(w, "cdn:          %s\n", line)
	}
	if r := a.Registrar; r != nil {
		line := r.Name
		if r.IANAID != "" {
			line += " (IANA " + r.IANAID + ")"
		}
		if r.AbuseEmail != "" {
			line += ", abuse " + r.AbuseEmail
		}
		fmt.Fprintf(w, "registrar:    %s [%s]\n", line, r.Source)
	}
	if g := a.Registration; g != nil {
		var parts []string
		if !g.Registered.IsZero() {
			parts = append(parts, "registered "+g.Registered.Format("2006-01-02"))
		}
		if !g.Expires.IsZero() {
			parts = append(parts, "expires "+g.Expires.Format("2006-01-02"))
		}
		if len(g.Status) > 0 {
			parts = append(parts, "status "+strings.Join(g.Status, ", "))
		}
		if len(g.Nameservers) > 0 {
			parts = append(parts, "nameservers "+strings.Join(g.Nameservers, ", "))
		}
		fmt.Fprintf(w, "registration: %s [%s %s]\n", strings.Join(parts, "; "), g.Source, g.Server)
	}
	if r := a.Registry; r != nil {
		fmt.Fprintf(w, "registry:     %s (.%s)\n", r.Name, r.TLD)
	}
	if s := a.SecurityTxt; s != nil {
		fmt.Fprintf(w, "security.txt: %s: %s\n", s.URL, strings.Join(s.Contacts, ", "))
	}
	fmt.Fprintln(w, "recipients, in the order of escalation:")
	n := 0
	for _, r := range a.Recipients {
		num := "-."
		if r.Notify {
			n++
			num = fmt.Sprintf("%d.", n)
		}
		var ch []string
		for _, c := range []string{r.Email, r.WebForm, r.API, r.Phone} {
			if c != "" {
				ch = append(ch, c)
			}
		}
		channel := strings.Join(ch, ", ")
		if channel == "" {
			channel = "no channel known"
		}
		fmt.Fprintf(w, "  %-3s %-9s %s%s: %s [%s, %s]", num, r.Role, r.Organisation, paren(r.Country), channel, r.Source, r.Confidence)
		if !r.Notify {
			fmt.Fprint(w, " not notified")
		}
		fmt.Fprintln(w)
		if r.Note != "" {
			fmt.Fprintf(w, "                %s\n", r.Note)
		}
	}
	if len(a.Recipients) == 0 {
		fmt.Fprintln(w, "  none found")
	}
	if len(a.Errors) > 0 {
		fmt.Fprintln(w, "lookups that failed:")
		for _, e := range a.Errors {
			fmt.Fprintf(w, "  %s %s: %s: %s\n", e.Lookup, e.Query, e.Code, e.Message)
		}
	}
	if a.HostID != "" {
		fmt.Fprintf(w, "host key:     %s\n", a.HostID)
	}
	fmt.Fprintf(w, "traced at:    %s (%d raw RDAP/WHOIS answers kept; --json shows them)\n", a.TracedAt.Format(time.RFC3339), len(a.Evidence))
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func cdnMark(b bool) string {
	if b {
		return ", the CDN's"
	}
	return ""
}

// rdapRefreshCmd is `undox rdap refresh --dir DIR`: download the IANA RDAP
// bootstrap files into DIR, for --rdap-bootstrap, on a machine with
// internet. Nothing is written unless all four files download and parse.
func rdapRefreshCmd(ctx context.Context, args, env []string, stdout, stderr io.Writer) error {
	const use = "usage: undox rdap refresh --dir DIR [--bootstrap-url URL]"
	if len(args) == 0 || args[0] != "refresh" {
		return usageError(use)
	}
	var dir, base string
	fs := flag.NewFlagSet("undox rdap refresh", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&dir, "dir", "", "folder to write dns.json, ipv4.json, ipv6.json and asn.json to; created if needed (default: UNDOX_RDAP_BOOTSTRAP)")
	fs.StringVar(&base, "bootstrap-url", rdap.DefaultBootstrapBaseURL, "where the bootstrap files are published (UNDOX_BOOTSTRAP_URL)")
	if err := parse(fs, args[1:], env); err != nil {
		return err
	}
	if dir == "" {
		for _, kv := range env {
			if v, ok := strings.CutPrefix(kv, "UNDOX_RDAP_BOOTSTRAP="); ok {
				dir = v
			}
		}
	}
	if dir == "" {
		return usageError(use)
	}
	b, err := rdap.RefreshBootstrap(ctx, dir, rdap.RefreshOptions{BaseURL: base})
	if err != nil {
		return fmt.Errorf("rdap refresh: %w", err)
	}
	for _, f := range rdap.BootstrapFiles {
		fmt.Fprintf(stdout, "%-10s published %s\n", f, b.Publication[f])
	}
	fmt.Fprintf(stdout, "written to %s; use it with --rdap-bootstrap %s (UNDOX_RDAP_BOOTSTRAP)\n", dir, dir)
	return nil
}
