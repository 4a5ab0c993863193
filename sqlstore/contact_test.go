package sqlstore_test

import (
	"net/netip"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/dbtest"
)

// The contact book: entries by domain, network, AS and organisation, each
// change a version in the entry's history, matched against what a trace
// found.
func TestContactBook(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		paste, err := e.store.PutContact(e.ctx, analyst, undox.Contact{Scope: undox.ScopeDomain, Key: "Paste.Example.", Role: undox.RolePlatform,
			Name: "Paste Example B.V.", WebForm: "https://paste.example/report", Language: "nl", Platform: true})
		require.NoError(t, err)
		require.Equal(t, "paste.example", paste.Key, "keys are kept in canonical form")
		require.Equal(t, 1, paste.Version)
		net, err := e.store.PutContact(e.ctx, analyst, undox.Contact{Scope: undox.ScopeNetwork, Key: "127.0.9.7/16", Role: undox.RoleHost,
			Name: "Synthetic Hosting", Email: "abuse@hosting.example", Country: "nl"})
		require.NoError(t, err)
		require.Equal(t, "127.0.0.0/16", net.Key)
		require.Equal(t, "NL", net.Country)
		as, err := e.store.PutContact(e.ctx, supervisor, undox.Contact{Scope: undox.ScopeASN, Key: "AS64500", Role: undox.RoleUpstream,
			Name: "Upstream Transit", Email: "noc@transit.example"})
		require.NoError(t, err)
		require.Equal(t, "64500", as.Key)
		org, err := e.store.PutContact(e.ctx, analyst, undox.Contact{Scope: undox.ScopeOrg, Key: "Bulletproof, Ltd.", Role: undox.RoleHost,
			Name: "Bulletproof Ltd", API: "https://api.bulletproof.example/notices"})
		require.NoError(t, err)

		// One entry per scope, key and role.
		_, err = e.store.PutContact(e.ctx, analyst, undox.Contact{Scope: undox.ScopeDomain, Key: "paste.example", Role: undox.RolePlatform,
			Name: "Again", Email: "x@paste.example"})
		require.Equal(t, undox.ECONFLICT, undox.ErrorCode(err))
		// Bad input is refused with the fields named.
		_, err = e.store.PutContact(e.ctx, analyst, undox.Contact{Scope: "planet", Key: "x", Role: "boss", Email: "not mail"})
		var ue *undox.Error
		require.ErrorAs(t, err, &ue)
		require.Equal(t, undox.EINVALID, ue.Code)
		require.Contains(t, ue.Fields, "scope")
		require.Contains(t, ue.Fields, "role")
		require.Contains(t, ue.Fields, "email")
		require.Contains(t, ue.Fields, "name")
		// Auditors read; they do not curate.
		_, err = e.store.PutContact(e.ctx, auditor, undox.Contact{Scope: undox.ScopeASN, Key: "1", Role: undox.RoleHost, Name: "n", Email: "a@b.example"})
		require.Equal(t, undox.EFORBIDDEN, undox.ErrorCode(err))

		matched, err := e.store.MatchContacts(e.ctx, undox.ContactQuery{
			Domains: []string{"www.paste.example"}, Addrs: []netip.Addr{netip.MustParseAddr("127.0.200.1")},
			ASNs: []uint32{64500}, Orgs: []string{"BULLETPROOF LTD."}})
		require.NoError(t, err)
		var ids []int64
		for _, c := range matched {
			ids = append(ids, c.ID)
		}
		require.ElementsMatch(t, []int64{paste.ID, net.ID, as.ID, org.ID}, ids)
		none, err := e.store.MatchContacts(e.ctx, undox.ContactQuery{Domains: []string{"notpaste.example"}, Addrs: []netip.Addr{netip.MustParseAddr("127.1.0.1")}})
		require.NoError(t, err)
		require.Empty(t, none, "a domain's entry covers its subdomains, not look-alikes")

		// A change is a new version; removal keeps the history.
		paste.Email, paste.Notes = "abuse@paste.example", "answers within a day"
		changed, err := e.store.PutContact(e.ctx, supervisor, *paste)
		require.NoError(t, err)
		require.Equal(t, 2, changed.Version)
		require.NoError(t, e.store.RemoveContact(e.ctx, analyst, paste.ID))
		hist, err := e.store.ContactHistory(e.ctx, auditor, paste.ID)
		require.NoError(t, err)
		require.Len(t, hist, 3)
		require.Equal(t, []string{"created", "updated", "removed"}, []string{hist[0].Change, hist[1].Change, hist[2].Change})
		require.Equal(t, "token:3:sue", hist[1].Actor)
		require.Equal(t, "answers within a day", hist[1].Contact.Notes)
		require.Empty(t, hist[0].Contact.Notes)
		live, err := e.store.Contacts(e.ctx, auditor)
		require.NoError(t, err)
		require.Len(t, live, 3)
		_, err = e.store.PutContact(e.ctx, analyst, *changed)
		require.Equal(t, undox.ETRANSITION, undox.ErrorCode(err), "a removed entry is not changed")
		// The key is free again once removed.
		_, err = e.store.PutContact(e.ctx, analyst, undox.Contact{Scope: undox.ScopeDomain, Key: "paste.example", Role: undox.RolePlatform,
			Name: "Paste Example B.V.", Email: "abuse@paste.example"})
		require.NoError(t, err)

		entries, err := e.store.AuditEntries(e.ctx, "contact", strconv.FormatInt(paste.ID, 10))
		require.NoError(t, err)
		require.Len(t, entries, 3)
		require.Equal(t, "contact.removed", entries[2].Action)
	})
}
