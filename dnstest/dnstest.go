// Package dnstest runs a real DNS server on loopback for tests, so that
// nothing undox resolves in a test ever reaches a DNS server outside.
//
// The server answers A and AAAA queries for the names it is given and
// NXDOMAIN for every other name. Tests give it loopback addresses only:
// undox connects to what DNS returns.
package dnstest

import (
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// Server is a DNS server on 127.0.0.1 (UDP and TCP on one port).
type Server struct {
	// Addr is "127.0.0.1:port", for --dns-server.
	Addr string

	mu      sync.Mutex
	names   map[string][]netip.Addr
	queries map[string]int
	udp     *dns.Server
	tcp     *dns.Server
}

// Start starts a server that answers for names (host → addresses); it is
// stopped when the test ends.
func Start(tb testing.TB, names map[string][]netip.Addr) *Server {
	tb.Helper()
	s, err := New(names)
	if err != nil {
		tb.Fatalf("dnstest: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// New starts a server outside a test's lifetime (such as one shared by a
// whole test binary); Close stops it.
func New(names map[string][]netip.Addr) (*Server, error) {
	s := &Server{names: map[string][]netip.Addr{}, queries: map[string]int{}}
	for n, a := range names {
		s.Set(n, a...)
	}
	// UDP and TCP on one port: the UDP port is free, the same TCP port
	// may not be; try again with another.
	var (
		pc  net.PacketConn
		ln  net.Listener
		err error
	)
	for range 50 {
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			return nil, err
		}
		if ln, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		pc.Close()
	}
	if err != nil {
		return nil, err
	}
	s.Addr = pc.LocalAddr().String()
	var started sync.WaitGroup
	started.Add(2)
	s.udp = &dns.Server{PacketConn: pc, Handler: s, NotifyStartedFunc: started.Done}
	s.tcp = &dns.Server{Listener: ln, Handler: s, NotifyStartedFunc: started.Done}
	go s.udp.ActivateAndServe()
	go s.tcp.ActivateAndServe()
	started.Wait()
	return s, nil
}

// Set makes name resolve to addrs (none: NXDOMAIN).
func (s *Server) Set(name string, addrs ...netip.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.names[dns.Fqdn(strings.ToLower(name))] = addrs
}

// Queries returns how often name was asked for.
func (s *Server) Queries(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries[dns.Fqdn(strings.ToLower(name))]
}

// Close stops the server.
func (s *Server) Close() {
	s.udp.Shutdown()
	s.tcp.Shutdown()
}

// ServeDNS implements dns.Handler.
func (s *Server) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	if len(req.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	s.mu.Lock()
	s.queries[name]++
	addrs, ok := s.names[name]
	s.mu.Unlock()
	if !ok || len(addrs) == 0 {
		m.Rcode = dns.RcodeNameError
		w.WriteMsg(m)
		return
	}
	for _, a := range addrs {
		hdr := dns.RR_Header{Name: q.Name, Class: dns.ClassINET, Ttl: 60}
		switch {
		case q.Qtype == dns.TypeA && a.Is4():
			hdr.Rrtype = dns.TypeA
			m.Answer = append(m.Answer, &dns.A{Hdr: hdr, A: net.IP(a.AsSlice())})
		case q.Qtype == dns.TypeAAAA && a.Is6():
			hdr.Rrtype = dns.TypeAAAA
			m.Answer = append(m.Answer, &dns.AAAA{Hdr: hdr, AAAA: net.IP(a.AsSlice())})
		}
	}
	w.WriteMsg(m)
}
