package dns

import (
	"context"
	"time"

	"github.com/undox/undox/capture/fetch"
)

// FetchResolver returns r as a resolver for the safe fetcher
// (fetch.Config.Resolver). Resolver's own Lookup returns a full *Answer, so
// the fetcher gets this adapter: it asks for A and AAAA only, follows CNAME
// chains, and records the answer records in zone-file form.
func (r *Resolver) FetchResolver() fetch.Resolver { return fetchResolver{r} }

type fetchResolver struct{ r *Resolver }

func (f fetchResolver) String() string { return f.r.String() }

func (f fetchResolver) Lookup(ctx context.Context, host string) (fetch.DNSLookup, error) {
	l := fetch.DNSLookup{Name: host, Server: f.r.String(), At: time.Now().UTC()}
	addrs, results, err := f.r.lookupAddrs(ctx, "ip", host)
	l.Addrs = addrs
	seen := map[string]bool{}
	for _, res := range results {
		if res.server != "" && l.Server == f.r.String() {
			l.Server = "dns://" + res.server
		}
		for _, rec := range res.records {
			if s := rec.String(); !seen[s] {
				seen[s] = true
				l.Records = append(l.Records, s)
			}
		}
	}
	if err != nil {
		l.Error = err.Error()
	}
	return l, err
}
