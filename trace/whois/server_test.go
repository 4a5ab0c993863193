package whois

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// testServer is a real WHOIS server on 127.0.0.1: it accepts TCP
// connections, reads the query line, hands it to handle and closes.
type testServer struct {
	addr string
	done chan struct{}
	got  chan string // every query, as it arrives

	mu      sync.Mutex
	queries []string
}

func serve(t *testing.T, handle func(s *testServer, c net.Conn, query string)) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &testServer{addr: ln.Addr().String(), done: make(chan struct{}), got: make(chan string, 64)}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { _ = c.Close() }()
				stop := make(chan struct{})
				defer close(stop)
				go func() {
					select {
					case <-s.done: // the test is over: unblock the handler
						_ = c.Close()
					case <-stop:
					}
				}()
				line, err := bufio.NewReader(io.LimitReader(c, 1024)).ReadString('\n')
				if err != nil {
					return
				}
				q := strings.TrimRight(line, "\r\n")
				s.mu.Lock()
				s.queries = append(s.queries, q)
				s.mu.Unlock()
				s.got <- q
				handle(s, c, q)
			}()
		}
	}()
	t.Cleanup(func() {
		close(s.done)
		_ = ln.Close()
		wg.Wait()
	})
	return s
}

func (s *testServer) Queries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.queries...)
}

// answering serves the texts of answers by query; unknown queries get no
// answer at all (the connection is closed).
func answering(t *testing.T, answers map[string]string) *testServer {
	return serve(t, func(_ *testServer, c net.Conn, q string) {
		if a, ok := answers[q]; ok {
			_, _ = io.WriteString(c, a)
		}
	})
}

// silent reads the query and never answers.
func silent(t *testing.T) *testServer {
	return serve(t, func(s *testServer, _ net.Conn, _ string) { <-s.done })
}

// endless answers with line, over and over, until the client hangs up (or
// 64 MiB have been sent).
func endless(t *testing.T, line string) *testServer {
	return serve(t, func(_ *testServer, c net.Conn, _ string) {
		chunk := []byte(strings.Repeat(line, 4096/len(line)+1))
		for sent := 0; sent < 64<<20; sent += len(chunk) {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	})
}

// testNet is the only network the tests' clients have: names map to
// loopback listeners, and nothing but loopback is ever dialled.
type testNet struct {
	names map[string]string // "host:port" → loopback "ip:port"

	mu     sync.Mutex
	dialed []string
}

func (n *testNet) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	n.mu.Lock()
	n.dialed = append(n.dialed, addr)
	n.mu.Unlock()
	if to, ok := n.names[addr]; ok {
		addr = to
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("test network: %s is not reachable from the tests", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

func (n *testNet) Dialed() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.dialed...)
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return string(b)
}
