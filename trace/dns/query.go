package dns

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"

	mdns "github.com/miekg/dns"
)

// result is what one query type (with the CNAME chain followed, for A and
// AAAA) gave.
type result struct {
	records   []Record
	addrs     []netip.Addr
	chain     []string
	server    string
	truncated bool
	err       *Error
}

// query asks for one type of fqdn. For A and AAAA it follows the CNAME chain,
// asking again for the chain's end when a server returns an alias without the
// records of its target (as authoritative servers do).
func (r *Resolver) query(ctx context.Context, fqdn string, qtype uint16) result {
	var res result
	typ := mdns.TypeToString[qtype]
	follow := qtype == mdns.TypeA || qtype == mdns.TypeAAAA
	seen := map[string]bool{strings.ToLower(fqdn): true}
	cur := fqdn
	for {
		msg, server, truncated, err := r.exchange(ctx, cur, qtype)
		if res.server == "" {
			res.server = server
		}
		res.truncated = res.truncated || truncated
		if err != nil {
			err.Type = typ
			res.err = err
			return res
		}
		for _, rr := range msg.Answer {
			if rec, ok := record(rr); ok {
				res.records = append(res.records, rec)
			}
		}
		if !follow {
			if msg.Rcode == mdns.RcodeNameError {
				res.err = &Error{Code: CodeNXDomain, Name: trimDot(cur), Type: typ, Server: server}
			}
			return res
		}
		// Follow the chain inside this answer.
		start := cur
		for {
			next := cnameOf(cur, msg.Answer)
			if next == "" {
				break
			}
			key := strings.ToLower(next)
			if seen[key] {
				res.err = &Error{Code: CodeBadChain, Name: trimDot(fqdn), Type: typ, Server: server, Detail: "CNAME loop at " + trimDot(next)}
				return res
			}
			seen[key] = true
			res.chain = append(res.chain, trimDot(next))
			if len(res.chain) > r.cfg.MaxCNAMEs {
				res.err = &Error{Code: CodeBadChain, Name: trimDot(fqdn), Type: typ, Server: server, Detail: "CNAME chain longer than the limit"}
				return res
			}
			cur = next
		}
		for _, rr := range msg.Answer {
			if !strings.EqualFold(rr.Header().Name, cur) {
				continue
			}
			switch rr := rr.(type) {
			case *mdns.A:
				if a, ok := netip.AddrFromSlice(rr.A); ok {
					res.addrs = appendNew(res.addrs, a.Unmap())
				}
			case *mdns.AAAA:
				if a, ok := netip.AddrFromSlice(rr.AAAA); ok {
					res.addrs = appendNew(res.addrs, a)
				}
			}
		}
		if msg.Rcode == mdns.RcodeNameError && len(res.addrs) == 0 {
			res.err = &Error{Code: CodeNXDomain, Name: trimDot(cur), Type: typ, Server: server}
			return res
		}
		// Done unless this answer ended in an alias and left out the
		// target's records (as an authoritative server does): then ask for
		// the target. Every further round adds to the chain, which is
		// bounded.
		if len(res.addrs) > 0 || cur == start || hasType(msg.Answer, cur, qtype) {
			return res
		}
	}
}

func hasType(answer []mdns.RR, name string, qtype uint16) bool {
	for _, rr := range answer {
		if rr.Header().Rrtype == qtype && strings.EqualFold(rr.Header().Name, name) {
			return true
		}
	}
	return false
}

// cnameOf returns the target of name's CNAME record in answer, or "".
func cnameOf(name string, answer []mdns.RR) string {
	for _, rr := range answer {
		if c, ok := rr.(*mdns.CNAME); ok && strings.EqualFold(c.Hdr.Name, name) {
			return c.Target
		}
	}
	return ""
}

func trimDot(s string) string { return strings.TrimSuffix(s, ".") }

// record converts an answer record; OPT and signature records are skipped.
func record(rr mdns.RR) (Record, bool) {
	h := rr.Header()
	switch h.Rrtype {
	case mdns.TypeOPT, mdns.TypeRRSIG, mdns.TypeNSEC, mdns.TypeNSEC3:
		return Record{}, false
	}
	rec := Record{Type: mdns.TypeToString[h.Rrtype], Name: trimDot(h.Name), TTL: h.Ttl}
	switch rr := rr.(type) {
	case *mdns.A:
		rec.Value = rr.A.String()
	case *mdns.AAAA:
		rec.Value = rr.AAAA.String()
	case *mdns.CNAME:
		rec.Value = trimDot(rr.Target)
	case *mdns.NS:
		rec.Value = trimDot(rr.Ns)
	case *mdns.MX:
		rec.Value = strings.Join([]string{strconv.Itoa(int(rr.Preference)), trimDot(rr.Mx)}, " ")
	default:
		rec.Value = strings.TrimPrefix(rr.String(), h.String())
	}
	if rec.Type == "" {
		rec.Type = "TYPE" + strconv.Itoa(int(h.Rrtype))
	}
	return rec, true
}

// exchange asks the servers in turn, for 1+Retries rounds, until one gives a
// definite answer (NOERROR or NXDOMAIN). It returns that answer and the
// server, or the most telling failure: an answer's rcode (SERVFAIL, REFUSED,
// …) over a timeout or network error.
func (r *Resolver) exchange(ctx context.Context, fqdn string, qtype uint16) (*mdns.Msg, string, bool, *Error) {
	m := new(mdns.Msg)
	m.SetQuestion(fqdn, qtype)
	m.RecursionDesired = true
	m.SetEdns0(1232, false)
	var (
		rcodeErr, netErr *Error
		truncated        bool
	)
	for range 1 + r.cfg.Retries {
		for _, server := range r.servers {
			if err := ctx.Err(); err != nil {
				return nil, "", truncated, classify(err, fqdn, server)
			}
			m.Id = mdns.Id()
			msg, trunc, err := r.ask(ctx, server, m)
			truncated = truncated || trunc
			if err != nil {
				e := classify(err, fqdn, server)
				if e.Code == CodeCanceled {
					return nil, server, truncated, e
				}
				netErr = e
				continue
			}
			switch msg.Rcode {
			case mdns.RcodeSuccess, mdns.RcodeNameError:
				return msg, server, trunc, nil
			}
			rcodeErr = &Error{Code: rcodeName(msg.Rcode), Name: trimDot(fqdn), Server: server}
		}
	}
	if rcodeErr != nil {
		return nil, rcodeErr.Server, truncated, rcodeErr
	}
	if netErr != nil {
		return nil, netErr.Server, truncated, netErr
	}
	return nil, "", truncated, classify(errNoServer, fqdn, "")
}

// ask sends m to server over UDP, and again over TCP if the answer is
// truncated and the fallback is on. It reports whether the answer it returns
// is truncated.
func (r *Resolver) ask(ctx context.Context, server string, m *mdns.Msg) (*mdns.Msg, bool, error) {
	msg, err := r.send(ctx, "udp", server, m)
	if msg != nil && msg.Truncated {
		if !r.cfg.TCPFallback {
			// A truncated answer may not unpack completely; keep what did.
			return msg, true, nil
		}
		tcp, terr := r.send(ctx, "tcp", server, m)
		if terr == nil {
			return tcp, tcp.Truncated, nil
		}
		if ctx.Err() != nil {
			return nil, true, terr
		}
		// Fall back to the truncated UDP answer.
		return msg, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	return msg, false, nil
}

func (r *Resolver) send(ctx context.Context, network, server string, m *mdns.Msg) (*mdns.Msg, error) {
	c := &mdns.Client{Net: network, Timeout: r.cfg.Timeout}
	conn, err := c.DialContext(ctx, server)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	// Cancelling ctx closes the connection, ending the read at once.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	msg, _, err := c.ExchangeWithConnContext(ctx, m, conn)
	if err != nil && ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return msg, err
}

func classify(err error, fqdn, server string) *Error {
	e := &Error{Name: trimDot(fqdn), Server: server, Err: err, Detail: err.Error()}
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		e.Code = CodeCanceled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		e.Code = CodeTimeout
	default:
		e.Code = CodeNetwork
	}
	return e
}

func rcodeName(rcode int) string {
	switch rcode {
	case mdns.RcodeServerFailure:
		return CodeServFail
	case mdns.RcodeRefused:
		return CodeRefused
	}
	if s, ok := mdns.RcodeToString[rcode]; ok {
		return strings.ToLower(s)
	}
	return "rcode" + strconv.Itoa(rcode)
}
