package sqlstore_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/dbtest"
)

// Protected persons' identifiers: sealed under the case's key, read by
// staff with an audit entry, all read by undox itself to build the watch
// index, gone with the case.
func TestIdentifiers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		r1, _ := e.create(t, report{urls: []string{"https://dox.example/1"}, category: undox.CategoryDoxing, minor: true})
		r2, _ := e.create(t, report{urls: []string{"https://dox.example/2"}, category: undox.CategoryDoxing})
		gen0, err := e.store.WatchGeneration(e.ctx)
		require.NoError(t, err)

		const name, phone = "Syntha Testperson", "06 98 76 54 32"
		a, err := e.store.AddIdentifier(e.ctx, analyst, r1.CaseRef, 1, undox.KindName, name)
		require.NoError(t, err)
		_, err = e.store.AddIdentifier(e.ctx, analyst, r1.CaseRef, 1, undox.KindPhone, phone)
		require.NoError(t, err)
		_, err = e.store.AddIdentifier(e.ctx, analyst, r2.CaseRef, 1, undox.KindEmail, "other.synthetic@mail.example")
		require.NoError(t, err)
		_, err = e.store.AddIdentifier(e.ctx, analyst, r1.CaseRef, 1, "shoe_size", "42")
		requireCode(t, undox.EINVALID, err, "unknown kind")
		_, err = e.store.AddIdentifier(e.ctx, auditor, r1.CaseRef, 1, undox.KindName, "x")
		requireCode(t, undox.EFORBIDDEN, err, "auditors read only")

		ids, err := e.store.Identifiers(e.ctx, auditor, r1.CaseRef)
		require.NoError(t, err)
		require.Len(t, ids, 2)
		require.Equal(t, name, ids[0].Value)
		require.Equal(t, phone, ids[1].Value)

		// Nothing in the database holds a value in plain text.
		require.Zero(t, e.count(t, `SELECT count(*) FROM identifiers WHERE value_enc IS NULL`))
		var details []string
		rows, err := e.db.SQL.Query(`SELECT detail FROM audit_entries`)
		require.NoError(t, err)
		for rows.Next() {
			var d string
			require.NoError(t, rows.Scan(&d))
			details = append(details, d)
		}
		rows.Close()
		for _, d := range details {
			require.NotContains(t, d, "Syntha")
			require.NotContains(t, d, "98 76")
		}
		require.Contains(t, details, "person=1 kind=phone")
		require.Contains(t, e.actions(t, "case", r1.CaseRef), "identifier.list")

		all, gen, err := e.store.WatchIdentifiers(e.ctx)
		require.NoError(t, err)
		require.Len(t, all, 3)
		require.Greater(t, gen, gen0)
		require.Equal(t, undox.PersonID(r1.CaseRef, 1), undox.PersonID(all[0].CaseRef, all[0].Person))

		require.NoError(t, e.store.RemoveIdentifier(e.ctx, analyst, r1.CaseRef, a.ID))
		requireCode(t, undox.ENOTFOUND, e.store.RemoveIdentifier(e.ctx, analyst, r2.CaseRef, a.ID), "another case's identifier")
		_, err = e.store.CaseEvent(e.ctx, supervisor, r2.CaseRef, undox.ActionErase, "test")
		require.NoError(t, err)
		all, gen2, err := e.store.WatchIdentifiers(e.ctx)
		require.NoError(t, err)
		require.Greater(t, gen2, gen)
		require.Len(t, all, 1, "removed and erased identifiers leave the watch")
		require.Equal(t, phone, all[0].Value)
	})
}
