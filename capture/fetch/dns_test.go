package fetch_test

import (
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/require"

	"github.com/undox/undox/capture/fetch"
)

// dnsTestServer runs a tiny authoritative server on 127.0.0.1 (UDP and TCP on
// one port). Its answers only ever point at loopback addresses.
func dnsTestServer(t *testing.T) string {
	t.Helper()
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		name, qtype := strings.ToLower(q.Question[0].Name), q.Question[0].Qtype
		rr := func(s string) dns.RR {
			r, err := dns.NewRR(s)
			require.NoError(t, err)
			return r
		}
		_, overUDP := w.RemoteAddr().(*net.UDPAddr)
		switch {
		case name == "site.test.":
			m.Answer = append(m.Answer, rr("site.test. 300 IN CNAME www.site.test."))
			if qtype == dns.TypeA {
				m.Answer = append(m.Answer, rr("www.site.test. 60 IN A 127.0.0.1"))
			} else if qtype == dns.TypeAAAA {
				m.Answer = append(m.Answer, rr("www.site.test. 60 IN AAAA ::1"))
			}
		case name == "internal.test." && qtype == dns.TypeA:
			m.Answer = append(m.Answer, rr("internal.test. 5 IN A 127.0.0.2"))
		case name == "internal.test.":
		case name == "tc.test." && overUDP:
			m.Truncated = true
		case name == "tc.test." && qtype == dns.TypeA:
			m.Answer = append(m.Answer, rr("tc.test. 30 IN A 127.0.0.1"))
		case name == "tc.test.":
		case name == "stray.test." && qtype == dns.TypeA:
			// An answer for another name is not an answer for this one.
			m.Answer = append(m.Answer, rr("other.test. 30 IN A 127.0.0.1"))
		case name == "stray.test.":
		default:
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})

	var pc net.PacketConn
	var ln net.Listener
	for range 10 {
		var err error
		pc, err = net.ListenPacket("udp", "127.0.0.1:0")
		require.NoError(t, err)
		ln, err = net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			break
		}
		pc.Close()
	}
	require.NotNil(t, ln, "no port free for both UDP and TCP")
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: handler}, {Listener: ln, Handler: handler}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go srv.ActivateAndServe()
		<-started
		t.Cleanup(func() { srv.Shutdown() })
	}
	return pc.LocalAddr().String()
}

func TestDNSServerResolver(t *testing.T) {
	server := dnsTestServer(t)
	_, port := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "resolved") }))
	cfg := testConfig(port)
	cfg.Resolver = fetch.DNSServer(server)
	f := fetch.New(cfg)

	r, err := f.Fetch(fetchCtx(t), hostURL("site.test", port, "/"))
	require.NoError(t, err)
	require.Equal(t, "resolved", string(r.Body))
	require.Equal(t, "dns://"+server, r.Resolver)
	require.Len(t, r.DNS, 1)
	l := r.DNS[0]
	require.Equal(t, "dns://"+server, l.Server)
	require.ElementsMatch(t, []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}, l.Addrs)
	require.Contains(t, strings.Join(l.Records, "\n"), "site.test.\t300\tIN\tCNAME\twww.site.test.")
	require.Contains(t, strings.Join(l.Records, "\n"), "www.site.test.\t60\tIN\tA\t127.0.0.1")
	require.Equal(t, netip.MustParseAddr("127.0.0.1"), r.Remote.Addr(), "::1 is not allowed, 127.0.0.1 is")

	_, err = f.Fetch(fetchCtx(t), hostURL("internal.test", port, "/"))
	requireCode(t, err, fetch.BlockedAddress)

	r, err = f.Fetch(fetchCtx(t), hostURL("nx.test", port, "/"))
	requireCode(t, err, fetch.DNSFailure)
	require.Contains(t, r.DNS[0].Error, "NXDOMAIN")

	r, err = f.Fetch(fetchCtx(t), hostURL("tc.test", port, "/"))
	require.NoError(t, err, "a truncated answer is asked again over TCP")
	require.Equal(t, []netip.Addr{netip.MustParseAddr("127.0.0.1")}, r.IPs)

	r, err = f.Fetch(fetchCtx(t), hostURL("stray.test", port, "/"))
	requireCode(t, err, fetch.DNSFailure)
	require.Empty(t, r.IPs)

	// Nobody listening: a DNS failure, not a hang.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := pc.LocalAddr().String()
	pc.Close()
	cfg.Resolver = fetch.DNSServer(dead)
	_, err = fetch.New(cfg).Fetch(fetchCtx(t), hostURL("site.test", port, "/"))
	requireCode(t, err, fetch.DNSFailure)
}
