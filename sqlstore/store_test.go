// The conformance suite of the SQL store: every test runs against SQLite
// and, when UNDOX_TEST_POSTGRES_URL is set, PostgreSQL.
package sqlstore_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/job"
	"github.com/undox/undox/secret"
	"github.com/undox/undox/sqlstore"
)

// 1. Cases, items and their triage jobs.

func TestCreateCaseStoresCaseAndItems(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		u1, u2, u3 := "https://paste.example/doxed", "https://forum.example/t/1", "https://img.example/a.png"

		r1, b1 := e.create(t, report{urls: []string{u1, u2, u1}, category: undox.CategoryDoxing,
			email: "one@example.org", description: "my address is online"})
		require.Equal(t, b1.nc.Ref, r1.CaseRef)
		require.Equal(t, b1.nc.Receipt.StatusURL, r1.StatusURL)
		require.False(t, r1.Duplicate)

		c1 := e.get(t, r1.CaseRef)
		require.Equal(t, undox.CaseOpen, c1.Status)
		require.Equal(t, undox.CategoryDoxing, c1.Category)
		require.Equal(t, undox.CategoryDoxing, c1.Handling)
		require.Equal(t, "nl", c1.Language)
		require.Equal(t, "public", c1.Source)
		require.True(t, c1.Consent)
		require.False(t, c1.IsMinor)
		require.Equal(t, b1.nc.Priority, c1.Priority)
		require.Equal(t, e.clock.Now(), c1.CreatedAt)
		require.Nil(t, c1.ErasedAt)
		require.Len(t, c1.Items, 2, "the same URL twice in one report is one item")
		it1 := itemByURL(t, c1, u1)
		require.Equal(t, 1, it1.ReportCount, "the same URL twice in one report counts once")
		require.Equal(t, undox.ItemNew, it1.Status)
		require.Equal(t, "paste.example", it1.Host)
		require.Equal(t, undox.CategoryDoxing, it1.Category)

		r2, _ := e.create(t, report{urls: []string{u3, u1}, category: undox.CategoryDoxing})
		c2 := e.get(t, r2.CaseRef)
		require.Len(t, c2.Items, 2)
		require.Equal(t, it1.ID, itemByURL(t, c2, u1).ID, "one URL is one item across cases")

		it, err := e.store.Item(e.ctx, analyst, it1.ID)
		require.NoError(t, err)
		require.Equal(t, u1, it.URL)
		require.Equal(t, 2, it.ReportCount)
		require.Equal(t, []string{r1.CaseRef, r2.CaseRef}, it.Cases)
		it2, err := e.store.Item(e.ctx, analyst, itemByURL(t, c1, u2).ID)
		require.NoError(t, err)
		require.Equal(t, 1, it2.ReportCount)
		require.Equal(t, []string{r1.CaseRef}, it2.Cases)

		require.Equal(t, 2, e.countCases(t))
		require.Equal(t, 3, e.count(t, `SELECT count(*) FROM items`))
		require.Equal(t, 4, e.count(t, `SELECT count(*) FROM case_items`))

		// A referral-only case is queued for triage exactly once; the
		// others' items wait for the capture dispatch.
		require.Zero(t, e.countTriageJobs(t))
		require.Equal(t, 3, e.count(t, `SELECT count(*) FROM items WHERE dispatched = 0`))
		r3, _ := e.create(t, report{urls: []string{u1}, category: undox.CategoryCSAM})
		require.Equal(t, []int64{e.get(t, r3.CaseRef).ID}, e.triageCaseIDs(t), "a referral-only case is queued for triage")

		require.Equal(t, []string{"case.create", "case.read"}, e.actions(t, "case", r1.CaseRef))
		require.Equal(t, []string{"item.read"}, e.actions(t, "item", strconv.FormatInt(it1.ID, 10)))
		// The case's entry names the items it linked.
		entries, err := e.store.AuditEntries(e.ctx, "case", r2.CaseRef)
		require.NoError(t, err)
		require.Regexp(t, `items=([0-9]+,)?`+strconv.FormatInt(it1.ID, 10)+`(,|$)`, entries[0].Detail)
	})
}

// BUG: the receipt counts the URLs submitted, not the items created.
func TestReceiptCountsDistinctItems(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		u := "https://paste.example/twice"
		r, _ := e.create(t, report{urls: []string{u, u, "https://paste.example/other"}})
		require.Len(t, e.get(t, r.CaseRef).Items, 2)
		require.Equal(t, 2, r.Items, "the receipt tells the reporter how many items the case has")
	})
}

func TestItemKeepsReferralHandling(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		u := "https://img.example/p/1"
		r1, _ := e.create(t, report{urls: []string{u}, category: undox.CategoryDoxing})
		it := e.get(t, r1.CaseRef).Items[0]
		require.Equal(t, undox.CategoryDoxing, it.Category)
		require.False(t, it.IsMinor)
		require.Equal(t, undox.Priority(undox.EffectiveCategory(undox.CategoryDoxing, false), false), it.Priority)

		// A minor's intimate images are handled as CSAM: the item follows.
		e.create(t, report{urls: []string{u}, category: undox.CategoryIntimateImages, minor: true})
		csam := undox.EffectiveCategory(undox.CategoryIntimateImages, true)
		require.Equal(t, undox.CategoryCSAM, csam.Code)
		it, err := e.store.Item(e.ctx, analyst, it.ID)
		require.NoError(t, err)
		require.Equal(t, undox.CategoryCSAM, it.Category)
		require.True(t, it.IsMinor)
		require.Equal(t, undox.Priority(csam, true), it.Priority)

		// A later, less serious report does not lower it.
		e.create(t, report{urls: []string{u}, category: undox.CategoryHarassment})
		it, err = e.store.Item(e.ctx, analyst, it.ID)
		require.NoError(t, err)
		require.Equal(t, undox.CategoryCSAM, it.Category)
		require.True(t, it.IsMinor)
		require.Equal(t, undox.Priority(csam, true), it.Priority)
		require.Equal(t, 3, it.ReportCount)
	})
}

// BUG: an item keeps the category of its first report unless a later one is
// referral-only, although Item.Category is documented as "the most serious
// category it was reported under".
func TestItemCategoryIsMostSerious(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		for _, tc := range []struct{ first, later string }{
			{"", undox.CategoryDoxing}, // not yet assessed, then doxing
			{undox.CategoryHarassment, undox.CategoryDoxing},
		} {
			u := "https://paste.example/" + randHex(t, 4)
			r, _ := e.create(t, report{urls: []string{u}, category: tc.first})
			e.create(t, report{urls: []string{u}, category: tc.later})
			it, err := e.store.Item(e.ctx, analyst, e.get(t, r.CaseRef).Items[0].ID)
			require.NoError(t, err)
			require.Equal(t, undox.Priority(undox.EffectiveCategory(tc.later, false), false), it.Priority)
			require.Equal(t, tc.later, it.Category, "reported as %q, then as %q", tc.first, tc.later)
		}
	})
}

// 2. Idempotency keys.

func TestIdempotencyKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		rep := report{urls: []string{"https://paste.example/x"}, idemKey: "key-1", idemHash: "body-1", email: "r@example.org", category: undox.CategoryCSAM}
		r1, _ := e.create(t, rep)
		require.False(t, r1.Duplicate)

		// A retry (the client made a new ref and token, as each request does)
		// answers with the first receipt and creates nothing.
		r2, _ := e.create(t, rep)
		require.True(t, r2.Duplicate)
		require.Equal(t, r1.CaseRef, r2.CaseRef)
		require.Equal(t, r1.StatusURL, r2.StatusURL)
		require.Equal(t, r1.Items, r2.Items)
		require.Equal(t, 1, e.countCases(t))
		require.Equal(t, 1, e.count(t, `SELECT count(*) FROM items`))
		require.Equal(t, 1, e.countTriageJobs(t))
		require.Equal(t, 1, e.get(t, r1.CaseRef).Items[0].ReportCount)

		// The same key for another request is refused.
		other := rep
		other.idemHash = "body-2"
		_, err := e.store.CreateCase(e.ctx, undox.Public, newCase(t, other).nc)
		requireCode(t, undox.EIDEMPOTENCY, err, "same key, other request")
		require.Equal(t, 1, e.countCases(t))

		// Another key is another request.
		fresh := rep
		fresh.idemKey = "key-2"
		r3, _ := e.create(t, fresh)
		require.False(t, r3.Duplicate)
		require.NotEqual(t, r1.CaseRef, r3.CaseRef)
		require.Equal(t, 2, e.countCases(t))

		// A day later the key is forgotten: the same request makes a new case.
		e.clock.Advance(25 * time.Hour)
		r4, b4 := e.create(t, rep)
		require.False(t, r4.Duplicate)
		require.Equal(t, b4.nc.Ref, r4.CaseRef)
		require.NotEqual(t, r1.CaseRef, r4.CaseRef)
		require.Equal(t, 3, e.countCases(t))
		require.Equal(t, 3, e.countTriageJobs(t))

		// ... and the key now answers for the new case.
		r5, _ := e.create(t, rep)
		require.True(t, r5.Duplicate)
		require.Equal(t, r4.CaseRef, r5.CaseRef)
		require.Equal(t, r4.StatusURL, r5.StatusURL)
		require.Equal(t, 3, e.countCases(t))
	})
}

func TestIdempotencyConcurrentRetries(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		const n = 20
		rep := report{urls: []string{"https://paste.example/race"}, idemKey: "race", idemHash: "body", category: undox.CategoryCSAM}
		receipts := make([]undox.Receipt, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			nc := newCase(t, rep).nc
			wg.Go(func() { receipts[i], errs[i] = e.store.CreateCase(e.ctx, undox.Public, nc) })
		}
		wg.Wait()
		created := 0
		for i := range n {
			require.NoError(t, errs[i])
			require.Equal(t, receipts[0].CaseRef, receipts[i].CaseRef)
			require.Equal(t, receipts[0].StatusURL, receipts[i].StatusURL)
			if !receipts[i].Duplicate {
				created++
			}
		}
		require.Equal(t, 1, created)
		require.Equal(t, 1, e.countCases(t))
		require.Equal(t, 1, e.countTriageJobs(t))
		require.Equal(t, 1, e.get(t, receipts[0].CaseRef).Items[0].ReportCount)
	})
}

// BUG: erasing a case deletes its idempotency key, so a retry of the
// erased report silently creates the case again instead of answering
// EERASED.
func TestIdempotentRetryAfterErase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		rep := report{urls: []string{"https://paste.example/e"}, idemKey: "erase-me", idemHash: "body", email: "gone@example.org"}
		r, _ := e.create(t, rep)
		_, err := e.store.CaseEvent(e.ctx, supervisor, r.CaseRef, undox.ActionErase, "reporter asked")
		require.NoError(t, err)

		_, err = e.store.CreateCase(e.ctx, undox.Public, newCase(t, rep).nc)
		requireCode(t, undox.EERASED, err, "retry of an erased case's request")
		require.Equal(t, 1, e.countCases(t), "an erased report must not come back")
	})
}

// BUG: CreateCase retries every unique violation by calling itself, so a
// reference (or status token hash) that exists already loops until the
// context ends instead of failing.
func TestCreateCaseDuplicateRef(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		r, _ := e.create(t, report{urls: []string{"https://paste.example/1"}})
		clash := newCase(t, report{urls: []string{"https://paste.example/2"}, ref: r.CaseRef})
		// The deadline only stops a store that loops; a correct one answers at once.
		ctx, cancel := context.WithTimeout(e.ctx, 3*time.Second)
		defer cancel()
		_, err := e.store.CreateCase(ctx, undox.Public, clash.nc)
		require.Error(t, err)
		require.NotErrorIs(t, err, context.DeadlineExceeded, "CreateCase kept retrying a duplicate reference")
		require.Equal(t, undox.ECONFLICT, undox.ErrorCode(err), "error: %v", err)
		require.Equal(t, 1, e.countCases(t))
	})
}

// 3. External references of partner imports.

func TestExternalRefPerPartner(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		rep := report{urls: []string{"https://paste.example/imp"}, partner: partnerA.Name, externalRef: "EXT-1", category: undox.CategoryTerrorism}
		r1, _ := e.create(t, rep)
		require.False(t, r1.Duplicate)
		c := e.get(t, r1.CaseRef)
		require.Equal(t, "EXT-1", c.ExternalRef)
		require.Equal(t, "import:partner-a", c.Source)

		r2, _ := e.create(t, rep)
		require.True(t, r2.Duplicate)
		require.Equal(t, r1.CaseRef, r2.CaseRef)
		require.Equal(t, 1, e.countCases(t))
		require.Equal(t, 1, e.countTriageJobs(t))

		// Another partner's EXT-1 is another case.
		repB := rep
		repB.partner = partnerB.Name
		r3, _ := e.create(t, repB)
		require.False(t, r3.Duplicate)
		require.NotEqual(t, r1.CaseRef, r3.CaseRef)
		require.Equal(t, 2, e.countCases(t))

		// Another reference of the same partner, too.
		repC := rep
		repC.externalRef = "EXT-2"
		r4, _ := e.create(t, repC)
		require.False(t, r4.Duplicate)
		require.Equal(t, 3, e.countCases(t))

		// The shared URL is one item reported three times.
		it, err := e.store.Item(e.ctx, analyst, c.Items[0].ID)
		require.NoError(t, err)
		require.Equal(t, 3, it.ReportCount)
	})
}

// 4. Personal data is encrypted at rest.

const (
	syntheticEmail = "victim.synthetic@example.org"
	syntheticDesc  = "Synthetic description: they posted my home address, Testlaan 42 Voorbeeldstad"
)

func TestPersonalDataEncryptedAtRest(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		rep := report{urls: []string{"https://paste.example/pd"}, email: syntheticEmail, description: syntheticDesc,
			category: undox.CategoryDoxing, idemKey: "pd-key", idemHash: "pd-body"}
		r, bc := e.create(t, rep)
		other, _ := e.create(t, report{urls: []string{"https://paste.example/other"}, email: "other@example.org"})

		// The raw columns hold ciphertext only.
		var emailEnc, descEnc []byte
		require.NoError(t, e.db.SQL.QueryRowContext(e.ctx,
			`SELECT reporter_email_enc, description_enc FROM cases WHERE ref = $1`, r.CaseRef).Scan(&emailEnc, &descEnc))
		require.NotEmpty(t, emailEnc)
		require.NotEmpty(t, descEnc)
		require.False(t, bytes.Contains(emailEnc, []byte(syntheticEmail)))
		require.False(t, bytes.Contains(descEnc, []byte(syntheticDesc)))
		require.False(t, bytes.Contains(descEnc, []byte("Testlaan")))

		// No column of any table holds the plaintext; the stored receipt does
		// not show the status link either. (The case reference is found, so
		// the scan does read the data.)
		found := e.scanAllTables(t, syntheticEmail, "Testlaan", bc.token, r.CaseRef)
		require.Empty(t, found[syntheticEmail], "e-mail in plain text")
		require.Empty(t, found["Testlaan"], "description in plain text")
		require.Empty(t, found[bc.token], "status token in plain text")
		require.Contains(t, found[r.CaseRef], "cases")

		// Nor do the SQLite files on disk (the WAL included).
		if e.db.Dialect == sqlstore.SQLite {
			var disk []byte
			for _, p := range []string{e.db.Path, e.db.Path + "-wal"} {
				bs, err := os.ReadFile(p)
				if errors.Is(err, os.ErrNotExist) {
					continue
				}
				require.NoError(t, err)
				disk = append(disk, bs...)
			}
			require.True(t, bytes.Contains(disk, []byte(r.CaseRef)), "the files hold the case")
			require.False(t, bytes.Contains(disk, []byte(syntheticEmail)), "e-mail in plain text on disk")
			require.False(t, bytes.Contains(disk, []byte("Testlaan")), "description in plain text on disk")
		}

		// Staff and the reporter read them decrypted.
		c := e.get(t, r.CaseRef)
		require.Equal(t, syntheticEmail, c.ReporterEmail)
		require.Equal(t, syntheticDesc, c.Description)
		mine, err := e.store.CaseByStatusToken(e.ctx, secret.Hash(bc.token))
		require.NoError(t, err)
		require.Equal(t, r.CaseRef, mine.Ref)
		require.Equal(t, syntheticEmail, mine.ReporterEmail)
		require.Equal(t, syntheticDesc, mine.Description)

		// A ciphertext is bound to its case: moved to another, it does not open.
		_, err = e.db.SQL.ExecContext(e.ctx, `UPDATE cases SET reporter_email_enc =
            (SELECT reporter_email_enc FROM cases WHERE ref = $1) WHERE ref = $2`, r.CaseRef, other.CaseRef)
		require.NoError(t, err)
		moved, err := e.store.Case(e.ctx, analyst, other.CaseRef)
		require.Error(t, err)
		require.Nil(t, moved)
	})
}

// scanAllTables returns, for each needle, the tables in which some column
// contains it.
func (e *env) scanAllTables(t *testing.T, needles ...string) map[string][]string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if e.isPostgres() {
		q = `SELECT tablename FROM pg_tables WHERE schemaname = current_schema()`
	}
	rows, err := e.db.SQL.QueryContext(e.ctx, q)
	require.NoError(t, err)
	var tables []string
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		tables = append(tables, n)
	}
	require.NoError(t, rows.Err())
	rows.Close()
	require.Contains(t, tables, "cases")

	found := map[string][]string{}
	for _, table := range tables {
		rows, err := e.db.SQL.QueryContext(e.ctx, `SELECT * FROM `+table)
		require.NoError(t, err)
		cols, err := rows.Columns()
		require.NoError(t, err)
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			require.NoError(t, rows.Scan(ptrs...))
			for _, v := range vals {
				var bs []byte
				switch v := v.(type) {
				case []byte:
					bs = v
				case string:
					bs = []byte(v)
				default:
					bs = fmt.Append(nil, v)
				}
				for _, n := range needles {
					if bytes.Contains(bs, []byte(n)) && !slices.Contains(found[n], table) {
						found[n] = append(found[n], table)
					}
				}
			}
		}
		require.NoError(t, rows.Err())
		rows.Close()
	}
	return found
}

// 5. Reading is audited; listing shows no personal data.

func TestCaseReadIsAudited(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		r, _ := e.create(t, report{urls: []string{"https://paste.example/r"}, email: syntheticEmail, description: syntheticDesc})
		require.Equal(t, []string{"case.create"}, e.actions(t, "case", r.CaseRef))

		c := e.get(t, r.CaseRef)
		require.Equal(t, syntheticEmail, c.ReporterEmail)
		_, err := e.store.Case(e.ctx, auditor, r.CaseRef)
		require.NoError(t, err)
		_, err = e.store.Case(e.ctx, partnerA, r.CaseRef)
		requireCode(t, undox.EFORBIDDEN, err, "partner reads a case")

		entries, err := e.store.AuditEntries(e.ctx, "case", r.CaseRef)
		require.NoError(t, err)
		require.Len(t, entries, 3)
		require.Equal(t, "case.create", entries[0].Action)
		require.Equal(t, "public", entries[0].Actor)
		for i, want := range []string{analyst.Label(), auditor.Label()} {
			en := entries[i+1]
			require.Equal(t, "case.read", en.Action)
			require.Equal(t, want, en.Actor)
			require.Equal(t, "case", en.ObjectType)
			require.Equal(t, r.CaseRef, en.ObjectID)
			require.Equal(t, e.clock.Now(), en.Time)
			require.NotContains(t, en.Detail, syntheticEmail)
		}

		list, err := e.store.Cases(e.ctx, analyst, undox.CaseFilter{})
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, r.CaseRef, list[0].Ref)
		require.Empty(t, list[0].ReporterEmail, "a list shows no personal field")
		require.Empty(t, list[0].Description, "a list shows no personal field")
		require.Equal(t, []string{"case.list"}, e.actions(t, "case", "*"))

		// A list of items shows their URLs: audited too, with the count,
		// the queue's as well.
		items, err := e.store.Items(e.ctx, auditor, undox.ItemFilter{Limit: 500})
		require.NoError(t, err)
		require.Len(t, items, 1)
		_, err = e.store.QueueItems(e.ctx, analyst, undox.ItemFilter{})
		require.NoError(t, err)
		_, err = e.store.Items(e.ctx, partnerA, undox.ItemFilter{})
		requireCode(t, undox.EFORBIDDEN, err, "partner lists items")
		listed, err := e.store.AuditEntries(e.ctx, "item", "*")
		require.NoError(t, err)
		require.Len(t, listed, 2)
		for i, want := range []string{auditor.Label(), analyst.Label()} {
			require.Equal(t, "item.list", listed[i].Action)
			require.Equal(t, want, listed[i].Actor)
			require.Equal(t, "count=1", listed[i].Detail)
		}
		// Listing is not a read of the case.
		require.Len(t, e.actions(t, "case", r.CaseRef), 3)
	})
}

// 6. The item lifecycle and roles.

func TestItemLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		r, _ := e.create(t, report{urls: []string{"https://paste.example/life"}, category: undox.CategoryDoxing})
		id := e.get(t, r.CaseRef).Items[0].ID
		status := func() undox.ItemStatus {
			it, err := e.store.Item(e.ctx, analyst, id)
			require.NoError(t, err)
			return it.Status
		}

		_, err := e.store.ItemEvent(e.ctx, analyst, id, undox.ActionConfirm, "")
		requireCode(t, undox.ETRANSITION, err, "confirm before capture")
		_, err = e.store.ItemEvent(e.ctx, analyst, id, undox.ObserveCaptured, "")
		requireCode(t, undox.EFORBIDDEN, err, "captured requested by staff")
		_, err = e.store.ItemEvent(e.ctx, analyst, id, "frobnicate", "")
		requireCode(t, undox.EINVALID, err, "unknown event")
		require.Equal(t, undox.ItemNew, status())

		it, err := e.store.ObserveItem(e.ctx, id, undox.ObserveCaptured, "fetched", nil)
		require.NoError(t, err)
		require.Equal(t, undox.ItemCaptured, it.Status)
		require.Equal(t, []string{r.CaseRef}, it.Cases)
		require.Equal(t, e.clock.Now(), it.UpdatedAt)

		e.clock.Advance(time.Minute)
		it, err = e.store.ItemEvent(e.ctx, analyst, id, undox.ActionConfirm, "home address visible")
		require.NoError(t, err)
		require.Equal(t, undox.ItemConfirmed, it.Status)
		require.Equal(t, e.clock.Now(), it.UpdatedAt)

		// Removal is observed by undox, never requested.
		_, err = e.store.ItemEvent(e.ctx, analyst, id, undox.ObserveGone, "")
		requireCode(t, undox.EFORBIDDEN, err, "gone requested by staff")
		_, err = e.store.ObserveItem(e.ctx, id, undox.ActionClose, "", nil)
		requireCode(t, undox.ETRANSITION, err, "an action as observation")
		require.Equal(t, undox.ItemConfirmed, status())

		steps := []struct {
			ev       undox.Event
			observed bool
			to       undox.ItemStatus
		}{
			{undox.ObserveNotified, true, undox.ItemNotified},
			{undox.ActionEscalate, false, undox.ItemEscalated},
			{undox.ObserveGone, true, undox.ItemRemoved},
			{undox.ObserveBack, true, undox.ItemReappeared},
			{undox.ActionClose, false, undox.ItemClosed},
			{undox.ActionReopen, false, undox.ItemNew},
		}
		for _, s := range steps {
			if s.observed {
				it, err = e.store.ObserveItem(e.ctx, id, s.ev, "job saw "+string(s.ev), nil)
			} else {
				it, err = e.store.ItemEvent(e.ctx, analyst, id, s.ev, "staff "+string(s.ev))
			}
			require.NoError(t, err, s.ev)
			require.Equal(t, s.to, it.Status, s.ev)
		}

		hist, err := e.store.ItemHistory(e.ctx, id)
		require.NoError(t, err)
		type step struct{ ev, from, to, actor, reason string }
		var got []step
		for _, h := range hist {
			got = append(got, step{h.Event, h.From, h.To, h.Actor, h.Reason})
		}
		ana := analyst.Label()
		require.Equal(t, []step{
			{"captured", "new", "captured", "system", "fetched"},
			{"confirm", "captured", "confirmed", ana, "home address visible"},
			{"notified", "confirmed", "notified", "system", "job saw notified"},
			{"escalate", "notified", "escalated", ana, "staff escalate"},
			{"gone", "escalated", "removed", "system", "job saw gone"},
			{"back", "removed", "reappeared", "system", "job saw back"},
			{"close", "reappeared", "closed", ana, "staff close"},
			{"reopen", "closed", "new", ana, "staff reopen"},
		}, got)
		require.Equal(t, e.clock.Now(), hist[1].At)

		acts := e.actions(t, "item", strconv.FormatInt(id, 10))
		require.Contains(t, acts, "item.confirm")
		require.Contains(t, acts, "item.gone")
	})
}

// TestItemTransitionTable drives items through every step of undox's item
// lifecycle, and checks that every step not in it is refused.
func TestItemTransitionTable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		table := undox.ItemTransitions()
		paths := pathsFromNew(table)
		var events []undox.Event
		for _, tr := range table {
			if !slices.Contains(events, tr.Event) {
				events = append(events, tr.Event)
			}
		}
		states := make([]string, 0, len(paths))
		for s := range paths {
			states = append(states, s)
		}
		slices.Sort(states)
		require.Len(t, states, 11, "every item state is reachable from new")

		urls := make([]string, len(table)+len(states))
		for i := range urls {
			urls[i] = fmt.Sprintf("https://paste.example/tt/%d", i)
		}
		r, _ := e.create(t, report{urls: urls})
		items := e.get(t, r.CaseRef).Items
		require.Len(t, items, len(urls))

		apply := func(id int64, tr undox.Transition) (*undox.Item, error) {
			if tr.Observed {
				return e.store.ObserveItem(e.ctx, id, tr.Event, "", nil)
			}
			return e.store.ItemEvent(e.ctx, analyst, id, tr.Event, "")
		}
		drive := func(id int64, to string) {
			for _, tr := range paths[to] {
				it, err := apply(id, tr)
				require.NoError(t, err, "%s -%s-> %s", tr.From, tr.Event, tr.To)
				require.Equal(t, tr.To, string(it.Status))
			}
		}

		// Every allowed step, each on an item of its own.
		for i, tr := range table {
			id := items[i].ID
			drive(id, tr.From)
			if tr.Observed {
				_, err := e.store.ItemEvent(e.ctx, analyst, id, tr.Event, "")
				requireCode(t, undox.EFORBIDDEN, err, fmt.Sprintf("%s: %s requested by staff", tr.From, tr.Event))
			} else {
				_, err := e.store.ObserveItem(e.ctx, id, tr.Event, "", nil)
				requireCode(t, undox.ETRANSITION, err, fmt.Sprintf("%s: action %s as observation", tr.From, tr.Event))
			}
			it, err := apply(id, tr)
			require.NoError(t, err, "%s -%s-> %s", tr.From, tr.Event, tr.To)
			require.Equal(t, tr.To, string(it.Status), "%s -%s->", tr.From, tr.Event)
			if !tr.Observed {
				require.NotEqual(t, undox.ItemRemoved, it.Status, "only an observation removes an item")
			}
		}

		// Every step not in the table is refused and changes nothing.
		for j, s := range states {
			id := items[len(table)+j].ID
			drive(id, s)
			before, err := e.store.ItemHistory(e.ctx, id)
			require.NoError(t, err)
			for _, ev := range events {
				if slices.ContainsFunc(table, func(tr undox.Transition) bool { return tr.From == s && tr.Event == ev }) {
					continue
				}
				_, err := e.store.ItemEvent(e.ctx, analyst, id, ev, "")
				requireCode(t, undox.ETRANSITION, err, fmt.Sprintf("%s: requested %s", s, ev))
				_, err = e.store.ObserveItem(e.ctx, id, ev, "", nil)
				requireCode(t, undox.ETRANSITION, err, fmt.Sprintf("%s: observed %s", s, ev))
			}
			it, err := e.store.Item(e.ctx, analyst, id)
			require.NoError(t, err)
			require.Equal(t, s, string(it.Status))
			after, err := e.store.ItemHistory(e.ctx, id)
			require.NoError(t, err)
			require.Equal(t, before, after)
		}
	})
}

// pathsFromNew returns, for every state, a shortest path of steps from new.
func pathsFromNew(table []undox.Transition) map[string][]undox.Transition {
	paths := map[string][]undox.Transition{"new": nil}
	queue := []string{"new"}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, tr := range table {
			if tr.From != s {
				continue
			}
			if _, seen := paths[tr.To]; seen {
				continue
			}
			paths[tr.To] = append(slices.Clone(paths[s]), tr)
			queue = append(queue, tr.To)
		}
	}
	return paths
}

func TestObserveItemIsAtomic(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		r, _ := e.create(t, report{urls: []string{"https://paste.example/atomic"}})
		id := e.get(t, r.CaseRef).Items[0].ID
		boom := errors.New("storing the capture failed")
		_, err := e.store.ObserveItem(e.ctx, id, undox.ObserveCaptured, "", func(tx *sql.Tx) error { return boom })
		require.ErrorIs(t, err, boom)

		it, err := e.store.Item(e.ctx, analyst, id)
		require.NoError(t, err)
		require.Equal(t, undox.ItemNew, it.Status)
		hist, err := e.store.ItemHistory(e.ctx, id)
		require.NoError(t, err)
		require.Empty(t, hist)
		require.NotContains(t, e.actions(t, "item", strconv.FormatInt(id, 10)), "item.captured")
	})
}

func TestRoles(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		r, _ := e.create(t, report{urls: []string{"https://paste.example/roles"}, email: "x@example.org"})
		id := e.get(t, r.CaseRef).Items[0].ID
		_, err := e.store.ObserveItem(e.ctx, id, undox.ObserveCaptured, "", nil)
		require.NoError(t, err)

		// An auditor reads but cannot act.
		c, err := e.store.Case(e.ctx, auditor, r.CaseRef)
		require.NoError(t, err)
		require.Equal(t, "x@example.org", c.ReporterEmail)
		list, err := e.store.Cases(e.ctx, auditor, undox.CaseFilter{})
		require.NoError(t, err)
		require.Len(t, list, 1)
		_, err = e.store.Item(e.ctx, auditor, id)
		require.NoError(t, err)
		items, err := e.store.Items(e.ctx, auditor, undox.ItemFilter{})
		require.NoError(t, err)
		require.Len(t, items, 1)
		_, err = e.store.ItemEvent(e.ctx, auditor, id, undox.ActionConfirm, "")
		requireCode(t, undox.EFORBIDDEN, err, "auditor confirms")
		_, err = e.store.CaseEvent(e.ctx, auditor, r.CaseRef, undox.ActionClose, "")
		requireCode(t, undox.EFORBIDDEN, err, "auditor closes")
		_, err = e.store.CaseEvent(e.ctx, auditor, r.CaseRef, undox.ActionErase, "")
		requireCode(t, undox.EFORBIDDEN, err, "auditor erases")
		_, err = e.store.SetLegalHold(e.ctx, auditor, r.CaseRef, "hold")
		requireCode(t, undox.EFORBIDDEN, err, "auditor holds")
		requireCode(t, undox.EFORBIDDEN, e.store.RotateStatusToken(e.ctx, auditor, r.CaseRef, secret.Hash("t")), "auditor rotates")

		// A partner imports only.
		_, err = e.store.Case(e.ctx, partnerA, r.CaseRef)
		requireCode(t, undox.EFORBIDDEN, err, "partner reads a case")
		_, err = e.store.Cases(e.ctx, partnerA, undox.CaseFilter{})
		requireCode(t, undox.EFORBIDDEN, err, "partner lists cases")
		_, err = e.store.Item(e.ctx, partnerA, id)
		requireCode(t, undox.EFORBIDDEN, err, "partner reads an item")
		_, err = e.store.Items(e.ctx, partnerA, undox.ItemFilter{})
		requireCode(t, undox.EFORBIDDEN, err, "partner lists items")
		_, err = e.store.ItemEvent(e.ctx, partnerA, id, undox.ActionConfirm, "")
		requireCode(t, undox.EFORBIDDEN, err, "partner confirms")
		_, err = e.store.CaseEvent(e.ctx, partnerA, r.CaseRef, undox.ActionClose, "")
		requireCode(t, undox.EFORBIDDEN, err, "partner closes")

		// An analyst acts, but neither erases nor holds.
		_, err = e.store.CaseEvent(e.ctx, analyst, r.CaseRef, undox.ActionErase, "")
		requireCode(t, undox.EFORBIDDEN, err, "analyst erases")
		_, err = e.store.SetLegalHold(e.ctx, analyst, r.CaseRef, "hold")
		requireCode(t, undox.EFORBIDDEN, err, "analyst holds")

		// Nothing refused changed anything.
		c = e.get(t, r.CaseRef)
		require.Equal(t, undox.CaseOpen, c.Status)
		require.Empty(t, c.LegalHold)
		require.Equal(t, "x@example.org", c.ReporterEmail)
		require.Equal(t, undox.ItemCaptured, c.Items[0].Status)
		hist, err := e.store.ItemHistory(e.ctx, id)
		require.NoError(t, err)
		require.Len(t, hist, 1)
		mine, err := e.store.CaseByStatusToken(e.ctx, secret.Hash("t"))
		requireCode(t, undox.ENOTFOUND, err, "token of a refused rotation")
		require.Nil(t, mine)

		it, err := e.store.ItemEvent(e.ctx, analyst, id, undox.ActionConfirm, "")
		require.NoError(t, err)
		require.Equal(t, undox.ItemConfirmed, it.Status)
	})
}

// 7. The case lifecycle, legal hold and erasure.

func TestCaseEvents(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		r, _ := e.create(t, report{urls: []string{"https://paste.example/ce"}})

		e.clock.Advance(time.Hour)
		c, err := e.store.CaseEvent(e.ctx, analyst, r.CaseRef, undox.ActionClose, "handled")
		require.NoError(t, err)
		require.Equal(t, undox.CaseClosed, c.Status)
		require.Equal(t, e.clock.Now(), c.UpdatedAt)
		require.Len(t, c.Items, 1)

		c, err = e.store.CaseEvent(e.ctx, analyst, r.CaseRef, undox.ActionReopen, "came back")
		require.NoError(t, err)
		require.Equal(t, undox.CaseOpen, c.Status)

		_, err = e.store.CaseEvent(e.ctx, analyst, r.CaseRef, undox.ActionReopen, "")
		requireCode(t, undox.ETRANSITION, err, "reopen an open case")
		_, err = e.store.CaseEvent(e.ctx, analyst, r.CaseRef, "explode", "")
		requireCode(t, undox.EINVALID, err, "unknown case event")

		c, err = e.store.CaseEvent(e.ctx, analyst, r.CaseRef, undox.ActionWithdraw, "")
		require.NoError(t, err)
		require.Equal(t, undox.CaseWithdrawn, c.Status)
		_, err = e.store.CaseEvent(e.ctx, analyst, r.CaseRef, undox.ActionReopen, "")
		requireCode(t, undox.ETRANSITION, err, "reopen a withdrawn case")
		_, err = e.store.CaseEvent(e.ctx, analyst, r.CaseRef, undox.ActionClose, "")
		requireCode(t, undox.ETRANSITION, err, "close a withdrawn case")

		require.Equal(t, []string{"case.create", "case.close", "case.reopen", "case.withdraw"}, e.actions(t, "case", r.CaseRef))
		entries, err := e.store.AuditEntries(e.ctx, "case", r.CaseRef)
		require.NoError(t, err)
		require.Equal(t, "open->closed", entries[1].Detail)
		require.Equal(t, analyst.Label(), entries[1].Actor)

		// The reporter withdraws through the status link.
		r2, _ := e.create(t, report{urls: []string{"https://paste.example/ce2"}})
		c, err = e.store.CaseEvent(e.ctx, undox.Public, r2.CaseRef, undox.ActionWithdraw, "")
		require.NoError(t, err)
		require.Equal(t, undox.CaseWithdrawn, c.Status)
	})
}

// BUG: CaseEvent skips every permission check for the public actor, so an
// anonymous caller may close, reopen or even erase a case; only withdraw is
// meant for the reporter.
func TestPublicMayOnlyWithdraw(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		for _, tc := range []struct {
			ev    undox.Event
			setup undox.Event // a staff step first, if any
		}{
			{ev: undox.ActionErase},
			{ev: undox.ActionClose},
			{ev: undox.ActionReopen, setup: undox.ActionClose},
		} {
			t.Run(string(tc.ev), func(t *testing.T) {
				r, _ := e.create(t, report{urls: []string{"https://paste.example/" + randHex(t, 4)}, email: "p@example.org"})
				if tc.setup != "" {
					_, err := e.store.CaseEvent(e.ctx, analyst, r.CaseRef, tc.setup, "")
					require.NoError(t, err)
				}
				before := e.get(t, r.CaseRef)
				_, err := e.store.CaseEvent(e.ctx, undox.Public, r.CaseRef, tc.ev, "")
				requireCode(t, undox.EFORBIDDEN, err, "public "+string(tc.ev))
				after := e.get(t, r.CaseRef)
				require.Equal(t, before.Status, after.Status)
				require.Equal(t, "p@example.org", after.ReporterEmail)
			})
		}
	})
}

func TestEraseAndLegalHold(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		r, bc := e.create(t, report{urls: []string{"https://paste.example/erase"}, email: syntheticEmail,
			description: syntheticDesc, partner: partnerA.Name, externalRef: "EXT-ERASE"})
		id := e.get(t, r.CaseRef).ID
		require.Equal(t, 1, e.count(t, `SELECT count(*) FROM cases WHERE id = $1 AND data_key IS NOT NULL`, id))

		c, err := e.store.SetLegalHold(e.ctx, supervisor, r.CaseRef, "court order 2024/17")
		require.NoError(t, err)
		require.Equal(t, "court order 2024/17", c.LegalHold)
		_, err = e.store.CaseEvent(e.ctx, supervisor, r.CaseRef, undox.ActionErase, "")
		requireCode(t, undox.ELEGALHOLD, err, "erase a held case")
		_, err = e.store.CaseEvent(e.ctx, undox.System, r.CaseRef, undox.ActionErase, "retention")
		requireCode(t, undox.ELEGALHOLD, err, "retention erases a held case")
		c = e.get(t, r.CaseRef)
		require.Equal(t, undox.CaseOpen, c.Status)
		require.Equal(t, syntheticEmail, c.ReporterEmail)
		require.Nil(t, c.ErasedAt)
		require.Equal(t, 1, e.count(t, `SELECT count(*) FROM cases WHERE id = $1 AND data_key IS NOT NULL`, id))

		c, err = e.store.SetLegalHold(e.ctx, supervisor, r.CaseRef, "")
		require.NoError(t, err)
		require.Empty(t, c.LegalHold)

		e.clock.Advance(time.Hour)
		c, err = e.store.CaseEvent(e.ctx, supervisor, r.CaseRef, undox.ActionErase, "reporter asked")
		require.NoError(t, err)
		require.Equal(t, undox.CaseErased, c.Status)
		require.NotNil(t, c.ErasedAt)
		require.Equal(t, e.clock.Now(), *c.ErasedAt)
		require.Empty(t, c.ReporterEmail)
		require.Empty(t, c.Description)
		require.Empty(t, c.ExternalRef)

		// The key is destroyed and the ciphertexts are gone.
		require.Equal(t, 0, e.count(t, `SELECT count(*) FROM cases WHERE id = $1 AND data_key IS NOT NULL`, id))
		require.Equal(t, 1, e.count(t, `SELECT count(*) FROM cases WHERE id = $1
            AND reporter_email_enc IS NULL AND description_enc IS NULL AND external_ref IS NULL`, id))

		c = e.get(t, r.CaseRef)
		require.Equal(t, undox.CaseErased, c.Status)
		require.NotNil(t, c.ErasedAt)
		require.Empty(t, c.ReporterEmail)
		require.Empty(t, c.Description)
		require.Len(t, c.Items, 1, "the reported URL is not the reporter's personal data")

		_, err = e.store.CaseByStatusToken(e.ctx, secret.Hash(bc.token))
		requireCode(t, undox.ENOTFOUND, err, "status link of an erased case")
		_, err = e.store.CaseEvent(e.ctx, supervisor, r.CaseRef, undox.ActionErase, "")
		requireCode(t, undox.ETRANSITION, err, "erase twice")
		_, err = e.store.CaseEvent(e.ctx, supervisor, r.CaseRef, undox.ActionReopen, "")
		requireCode(t, undox.ETRANSITION, err, "reopen an erased case")
		_, err = e.store.SetLegalHold(e.ctx, supervisor, r.CaseRef, "too late")
		requireCode(t, undox.ENOTFOUND, err, "hold an erased case")
		requireCode(t, undox.ENOTFOUND, e.store.RotateStatusToken(e.ctx, undox.Public, r.CaseRef, secret.Hash("new")), "rotate an erased case")

		// The partner's reference is free again: a new import is a new case.
		r2, _ := e.create(t, report{urls: []string{"https://paste.example/erase"}, partner: partnerA.Name, externalRef: "EXT-ERASE"})
		require.False(t, r2.Duplicate)
		require.NotEqual(t, r.CaseRef, r2.CaseRef)

		acts := e.actions(t, "case", r.CaseRef)
		for _, a := range []string{"case.hold.set", "case.hold.lift", "case.erase"} {
			require.Contains(t, acts, a)
		}
		require.Empty(t, e.scanAllTables(t, syntheticEmail)[syntheticEmail])

		// Retention erases as the system; a withdrawn case may be erased.
		r3, _ := e.create(t, report{urls: []string{"https://paste.example/w"}, email: "w@example.org"})
		_, err = e.store.CaseEvent(e.ctx, undox.Public, r3.CaseRef, undox.ActionWithdraw, "")
		require.NoError(t, err)
		c, err = e.store.CaseEvent(e.ctx, undox.System, r3.CaseRef, undox.ActionErase, "retention")
		require.NoError(t, err)
		require.Equal(t, undox.CaseErased, c.Status)
		require.Empty(t, c.ReporterEmail)
	})
}

// 8. Status tokens.

func TestRotateStatusToken(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		r, bc := e.create(t, report{urls: []string{"https://paste.example/tok"}, email: "me@example.org"})
		other, otherB := e.create(t, report{urls: []string{"https://paste.example/tok2"}})

		c, err := e.store.CaseByStatusToken(e.ctx, secret.Hash(bc.token))
		require.NoError(t, err)
		require.Equal(t, r.CaseRef, c.Ref)

		newToken, err := secret.Token(32)
		require.NoError(t, err)
		require.NoError(t, e.store.RotateStatusToken(e.ctx, undox.Public, r.CaseRef, secret.Hash(newToken)))

		_, err = e.store.CaseByStatusToken(e.ctx, secret.Hash(bc.token))
		requireCode(t, undox.ENOTFOUND, err, "old status link")
		c, err = e.store.CaseByStatusToken(e.ctx, secret.Hash(newToken))
		require.NoError(t, err)
		require.Equal(t, r.CaseRef, c.Ref)
		require.Equal(t, "me@example.org", c.ReporterEmail)

		// The other case's link is untouched.
		c, err = e.store.CaseByStatusToken(e.ctx, secret.Hash(otherB.token))
		require.NoError(t, err)
		require.Equal(t, other.CaseRef, c.Ref)

		// An analyst may not: the new link would let them withdraw the
		// case, and a withdrawn case is erased, which only a supervisor may
		// do. The victim's link keeps working.
		third, err := secret.Token(32)
		require.NoError(t, err)
		requireCode(t, undox.EFORBIDDEN, e.store.RotateStatusToken(e.ctx, analyst, r.CaseRef, secret.Hash(third)), "analyst rotates")
		_, err = e.store.CaseByStatusToken(e.ctx, secret.Hash(newToken))
		require.NoError(t, err, "the victim's link after an analyst's refused rotation")

		// A supervisor may; an unknown case is not found.
		require.NoError(t, e.store.RotateStatusToken(e.ctx, supervisor, r.CaseRef, secret.Hash(third)))
		_, err = e.store.CaseByStatusToken(e.ctx, secret.Hash(newToken))
		requireCode(t, undox.ENOTFOUND, err, "second-last status link")
		requireCode(t, undox.ENOTFOUND, e.store.RotateStatusToken(e.ctx, supervisor, "UX-nope", secret.Hash("x")), "unknown case")

		require.Equal(t, []string{"case.create", "case.token.rotate", "case.token.rotate"}, e.actions(t, "case", r.CaseRef))
	})
}

// 9. Filters and paging.

func TestCaseFiltersAndPaging(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		specs := []report{
			{urls: []string{"https://paste.example/aaa"}, category: undox.CategoryDoxing},
			{urls: []string{"https://forum.example/thread_1"}, category: undox.CategoryHarassment},
			{urls: []string{"https://img.example/x"}, category: undox.CategoryIntimateImages, minor: true},
			{urls: []string{"https://paste.example/bbb"}, category: undox.CategoryDoxing, minor: true},
			{urls: []string{"https://forum.example/thread-2"}, category: undox.CategoryThreat},
			{urls: []string{"https://other.example/UniqueNeedle"}},
			{urls: []string{"https://paste.example/ccc"}, category: undox.CategoryDoxing},
		}
		refs := make([]string, len(specs))
		for i, s := range specs {
			r, _ := e.create(t, s)
			refs[i] = r.CaseRef
		}
		_, err := e.store.CaseEvent(e.ctx, analyst, refs[6], undox.ActionClose, "")
		require.NoError(t, err)

		list := func(f undox.CaseFilter) []string {
			t.Helper()
			cs, err := e.store.Cases(e.ctx, analyst, f)
			require.NoError(t, err)
			out := []string{}
			for _, c := range cs {
				out = append(out, c.Ref)
			}
			return out
		}
		pick := func(ix ...int) []string { // newest first
			out := []string{}
			for _, i := range ix {
				out = append(out, refs[i])
			}
			return out
		}
		yes, no := true, false

		require.Equal(t, pick(6, 5, 4, 3, 2, 1, 0), list(undox.CaseFilter{}))
		require.Equal(t, pick(6), list(undox.CaseFilter{Status: "closed"}))
		require.Equal(t, pick(5, 4, 3, 2, 1, 0), list(undox.CaseFilter{Status: "open"}))
		require.Equal(t, pick(), list(undox.CaseFilter{Status: "withdrawn"}))
		require.Equal(t, pick(6, 3, 0), list(undox.CaseFilter{Category: undox.CategoryDoxing}))
		require.Equal(t, pick(2), list(undox.CaseFilter{Category: undox.CategoryCSAM}), "handled as CSAM")
		require.Equal(t, pick(2), list(undox.CaseFilter{Category: undox.CategoryIntimateImages}), "reported as intimate images")
		require.Equal(t, pick(5), list(undox.CaseFilter{Category: undox.CategoryUnassessed}))
		require.Equal(t, pick(3, 2), list(undox.CaseFilter{Minor: &yes}))
		require.Equal(t, pick(6, 5, 4, 1, 0), list(undox.CaseFilter{Minor: &no}))
		require.Equal(t, pick(6, 0), list(undox.CaseFilter{Category: undox.CategoryDoxing, Minor: &no}))
		require.Equal(t, pick(0), list(undox.CaseFilter{Category: undox.CategoryDoxing, Minor: &no, Status: "open"}))

		// Query matches the reference or an item URL, ignoring case.
		require.Equal(t, pick(4), list(undox.CaseFilter{Query: refs[4]}))
		require.Equal(t, pick(4), list(undox.CaseFilter{Query: strings.ToLower(refs[4])}))
		require.Equal(t, pick(4), list(undox.CaseFilter{Query: strings.ToUpper(refs[4][3:])}))
		require.Equal(t, pick(5), list(undox.CaseFilter{Query: "uniqueneedle"}))
		require.Equal(t, pick(6, 3, 0), list(undox.CaseFilter{Query: "paste.example/"}))
		require.Equal(t, pick(4, 1), list(undox.CaseFilter{Query: "forum.example/thread"}))
		require.Equal(t, pick(), list(undox.CaseFilter{Query: "nowhere.example"}))
		require.Equal(t, pick(6), list(undox.CaseFilter{Query: "paste.example", Status: "closed"}))

		// Keyset paging returns every case exactly once, newest first.
		for _, size := range []int{1, 2, 3, 7, 8} {
			var got []string
			after := int64(0)
			for pages := 0; ; pages++ {
				require.Less(t, pages, 10, "paging does not end")
				cs, err := e.store.Cases(e.ctx, analyst, undox.CaseFilter{Limit: size, After: after})
				require.NoError(t, err)
				require.LessOrEqual(t, len(cs), size)
				if len(cs) == 0 {
					break
				}
				for _, c := range cs {
					got = append(got, c.Ref)
				}
				after = cs[len(cs)-1].ID
			}
			require.Equal(t, pick(6, 5, 4, 3, 2, 1, 0), got, "page size %d", size)
		}

		// Paging combines with a filter.
		cs, err := e.store.Cases(e.ctx, analyst, undox.CaseFilter{Category: undox.CategoryDoxing, Limit: 2})
		require.NoError(t, err)
		require.Len(t, cs, 2)
		rest, err := e.store.Cases(e.ctx, analyst, undox.CaseFilter{Category: undox.CategoryDoxing, Limit: 2, After: cs[1].ID})
		require.NoError(t, err)
		require.Len(t, rest, 1)
		require.Equal(t, refs[0], rest[0].Ref)
	})
}

func TestItemFiltersAndPaging(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		urls := []string{
			"https://a.example/1", "https://a.example/2", "https://b.example/1",
			"https://a.example/3", "https://b.example/2",
		}
		r, _ := e.create(t, report{urls: urls})
		c := e.get(t, r.CaseRef)
		ids := make([]int64, len(urls))
		for i, u := range urls {
			ids[i] = itemByURL(t, c, u).ID
		}
		for _, i := range []int{1, 2} {
			_, err := e.store.ObserveItem(e.ctx, ids[i], undox.ObserveCaptured, "", nil)
			require.NoError(t, err)
		}

		list := func(f undox.ItemFilter) []int64 {
			t.Helper()
			its, err := e.store.Items(e.ctx, analyst, f)
			require.NoError(t, err)
			out := []int64{}
			for _, it := range its {
				out = append(out, it.ID)
			}
			return out
		}
		pick := func(ix ...int) []int64 {
			out := []int64{}
			for _, i := range ix {
				out = append(out, ids[i])
			}
			return out
		}
		require.Equal(t, pick(4, 3, 2, 1, 0), list(undox.ItemFilter{}))
		require.Equal(t, pick(2, 1), list(undox.ItemFilter{Status: "captured"}))
		require.Equal(t, pick(4, 3, 0), list(undox.ItemFilter{Status: "new"}))
		require.Equal(t, pick(), list(undox.ItemFilter{Status: "removed"}))
		require.Equal(t, pick(4, 2), list(undox.ItemFilter{Host: "b.example"}))
		require.Equal(t, pick(4, 2), list(undox.ItemFilter{Host: "B.Example"}))
		require.Equal(t, pick(3, 1, 0), list(undox.ItemFilter{Host: "a.example"}))
		require.Equal(t, pick(1), list(undox.ItemFilter{Host: "a.example", Status: "captured"}))
		require.Equal(t, pick(), list(undox.ItemFilter{Host: "c.example"}))

		var got []int64
		after := int64(0)
		for pages := 0; ; pages++ {
			require.Less(t, pages, 10, "paging does not end")
			page := list(undox.ItemFilter{Limit: 2, After: after})
			require.LessOrEqual(t, len(page), 2)
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			after = page[len(page)-1]
		}
		require.Equal(t, pick(4, 3, 2, 1, 0), got)
		require.Equal(t, pick(3, 1), list(undox.ItemFilter{Host: "a.example", Limit: 2, After: ids[4]}))
	})
}

// 10. Referrals.

func TestReferral(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		const authority = "Offlimits (test)"
		r, _ := e.create(t, report{urls: []string{"https://img.example/csam-ref"}, category: undox.CategoryIntimateImages, minor: true})
		c := e.get(t, r.CaseRef)
		require.Equal(t, undox.CategoryCSAM, c.Handling)
		id := c.Items[0].ID

		batch, err := e.store.TriageBatch(e.ctx, []int64{c.ID})
		require.NoError(t, err)
		require.Len(t, batch, 1)
		require.Equal(t, undox.CategoryCSAM, batch[0].Category.Code)
		require.True(t, batch[0].Category.ReferralOnly)
		require.Equal(t, []sqlstore.TriageItem{{ID: id, Status: undox.ItemNew}}, batch[0].Items)

		require.NoError(t, e.store.AddReferral(e.ctx, id, authority))
		it, err := e.store.Item(e.ctx, analyst, id)
		require.NoError(t, err)
		require.Equal(t, undox.ItemReferred, it.Status)
		refs, err := e.store.Referrals(e.ctx, id)
		require.NoError(t, err)
		require.Equal(t, []string{authority}, refs)
		hist, err := e.store.ItemHistory(e.ctx, id)
		require.NoError(t, err)
		require.Len(t, hist, 1)
		h := hist[0]
		require.Equal(t, []string{"routed", "new", "referred", "system", "authority=" + authority},
			[]string{h.Event, h.From, h.To, h.Actor, h.Reason})
		require.Equal(t, e.clock.Now(), h.At)

		// Once referred, it is not routed again.
		requireCode(t, undox.ETRANSITION, e.store.AddReferral(e.ctx, id, authority), "refer twice")
		refs, err = e.store.Referrals(e.ctx, id)
		require.NoError(t, err)
		require.Equal(t, []string{authority}, refs)

		// An item already captured (first reported as doxing) that is later
		// reported as referral-only content is referred all the same.
		r2, _ := e.create(t, report{urls: []string{"https://paste.example/captured"}, category: undox.CategoryDoxing})
		id2 := e.get(t, r2.CaseRef).Items[0].ID
		_, err = e.store.ObserveItem(e.ctx, id2, undox.ObserveCaptured, "", nil)
		require.NoError(t, err)
		require.NoError(t, e.store.AddReferral(e.ctx, id2, authority))
		refs, err = e.store.Referrals(e.ctx, id2)
		require.NoError(t, err)
		require.Equal(t, []string{authority}, refs)

		batch, err = e.store.TriageBatch(e.ctx, []int64{987654})
		require.NoError(t, err)
		require.Empty(t, batch, "an unknown case has nothing to triage")
	})
}

// 11. API tokens.

func TestTokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		secretA, err := secret.Token(32)
		require.NoError(t, err)
		tok, err := e.store.CreateToken(e.ctx, "alice", undox.RoleAnalyst, secret.Hash(secretA), 0)
		require.NoError(t, err)
		require.Positive(t, tok.ID)
		require.Equal(t, "alice", tok.Name)
		require.Equal(t, undox.RoleAnalyst, tok.Role)

		tokB, err := e.store.CreateToken(e.ctx, "importer", undox.RolePartner, secret.Hash("other-secret"), 0)
		require.NoError(t, err)
		require.NotEqual(t, tok.ID, tokB.ID)

		got, err := e.store.TokenByHash(e.ctx, secret.Hash(secretA))
		require.NoError(t, err)
		require.Equal(t, tok.ID, got.ID)
		require.Equal(t, "alice", got.Name)
		require.Equal(t, undox.RoleAnalyst, got.Role)
		require.Equal(t, e.clock.Now(), got.CreatedAt)
		require.Nil(t, got.RevokedAt)

		got, err = e.store.TokenByHash(e.ctx, secret.Hash("other-secret"))
		require.NoError(t, err)
		require.Equal(t, undox.RolePartner, got.Role)

		_, err = e.store.TokenByHash(e.ctx, secret.Hash("never issued"))
		requireCode(t, undox.EUNAUTHORIZED, err, "unknown token")
		_, err = e.store.TokenByHash(e.ctx, nil)
		requireCode(t, undox.EUNAUTHORIZED, err, "no token")

		_, err = e.store.CreateToken(e.ctx, "alice-again", undox.RoleAdmin, secret.Hash(secretA), 0)
		require.Error(t, err, "two tokens with one secret")
		got, err = e.store.TokenByHash(e.ctx, secret.Hash(secretA))
		require.NoError(t, err)
		require.Equal(t, undox.RoleAnalyst, got.Role)

		require.Equal(t, []string{"token.create"}, e.actions(t, "token", strconv.FormatInt(tok.ID, 10)))

		// An admin lists the tokens and revokes one (audited, once): it no
		// longer authenticates, and the list says since when.
		_, err = e.store.Tokens(e.ctx, analyst)
		requireCode(t, undox.EFORBIDDEN, err, "an analyst lists tokens")
		_, err = e.store.RevokeToken(e.ctx, supervisor, tok.ID)
		requireCode(t, undox.EFORBIDDEN, err, "a supervisor revokes a token")
		list, err := e.store.Tokens(e.ctx, admin)
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Equal(t, "alice", list[0].Name)
		require.Nil(t, list[0].RevokedAt)
		e.clock.Advance(time.Hour)
		revoked, err := e.store.RevokeToken(e.ctx, admin, tok.ID)
		require.NoError(t, err)
		require.NotNil(t, revoked.RevokedAt)
		require.Equal(t, e.clock.Now(), *revoked.RevokedAt)
		_, err = e.store.TokenByHash(e.ctx, secret.Hash(secretA))
		requireCode(t, undox.EUNAUTHORIZED, err, "revoked token")
		again, err := e.store.RevokeToken(e.ctx, admin, tok.ID)
		require.NoError(t, err, "revoked already")
		require.Equal(t, revoked.RevokedAt, again.RevokedAt)
		_, err = e.store.RevokeToken(e.ctx, admin, 999999)
		requireCode(t, undox.ENOTFOUND, err, "an unknown token")
		require.Equal(t, []string{"token.create", "token.revoke"}, e.actions(t, "token", strconv.FormatInt(tok.ID, 10)))
		list, err = e.store.Tokens(e.ctx, admin)
		require.NoError(t, err)
		require.Equal(t, revoked.RevokedAt, list[0].RevokedAt)
		require.Nil(t, list[1].RevokedAt, "the other token lives on")
		_, err = e.store.TokenByHash(e.ctx, secret.Hash("other-secret"))
		require.NoError(t, err)

		// A token made for a staff account says whose it is, and works
		// while the account does.
		u, err := e.store.CreateUser(e.ctx, undox.System, undox.NewUser{Email: "ana@hotline.example", Name: "Ana", Role: undox.RoleAnalyst,
			PasswordHash: "x", TOTPSecret: "JBSWY3DPEHPK3PXP"})
		require.NoError(t, err)
		_, err = e.store.CreateToken(e.ctx, "ana", undox.RoleAnalyst, secret.Hash("of-nobody"), 999999)
		requireCode(t, undox.ENOTFOUND, err, "an account that does not exist")
		own, err := e.store.CreateToken(e.ctx, "ana", undox.RoleAnalyst, secret.Hash("ana's"), u.ID)
		require.NoError(t, err)
		require.Equal(t, u.ID, own.UserID)
		got, err = e.store.TokenByHash(e.ctx, secret.Hash("ana's"))
		require.NoError(t, err)
		require.Equal(t, u.ID, got.UserID)
		entries, err := e.store.AuditEntries(e.ctx, "token", strconv.FormatInt(own.ID, 10))
		require.NoError(t, err)
		require.Equal(t, "role=analyst user="+strconv.FormatInt(u.ID, 10), entries[0].Detail)
		// At most the account's rights, and no more once it has fewer.
		_, err = e.store.CreateToken(e.ctx, "ana", undox.RoleAdmin, secret.Hash("ana's admin"), u.ID)
		requireCode(t, undox.EINVALID, err, "a token with more rights than its account")
		_, err = e.db.SQL.ExecContext(e.ctx, `UPDATE users SET role = 'auditor' WHERE id = $1`, u.ID)
		require.NoError(t, err)
		got, err = e.store.TokenByHash(e.ctx, secret.Hash("ana's"))
		require.NoError(t, err)
		require.Equal(t, undox.RoleAuditor, got.Role, "the account was made an auditor: so is its token")
		_, err = e.store.DisableUser(e.ctx, undox.System, "ana@hotline.example")
		require.NoError(t, err)
		_, err = e.store.TokenByHash(e.ctx, secret.Hash("ana's"))
		requireCode(t, undox.EUNAUTHORIZED, err, "the token of a disabled account")
		all, err := e.store.Tokens(e.ctx, undox.System)
		require.NoError(t, err)
		for _, tk := range all {
			require.Equal(t, tk.ID == own.ID, tk.AccountDisabled, "token %d: the list says which do not work for their account", tk.ID)
		}
		_, err = e.store.CreateToken(e.ctx, "ana", undox.RoleAnalyst, secret.Hash("ana's next"), u.ID)
		requireCode(t, undox.ECONFLICT, err, "a token for a disabled account")
	})
}

// 12. Concurrency.

func TestConcurrentCreateCase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		const n = 200
		shared := "https://paste.example/shared-by-all"
		ncs := make([]undox.NewCase, n)
		for i := range ncs {
			ncs[i] = newCase(t, report{urls: []string{fmt.Sprintf("https://paste.example/own/%d", i), shared},
				email: fmt.Sprintf("r%d@example.org", i), category: undox.CategoryCSAM}).nc
		}
		errs := make([]error, n)
		receipts := make([]undox.Receipt, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				receipts[i], errs[i] = e.store.CreateCase(e.ctx, undox.Public, ncs[i])
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			require.NoError(t, err, "report %d", i)
			require.Equal(t, ncs[i].Ref, receipts[i].CaseRef)
			require.False(t, receipts[i].Duplicate)
		}
		require.Equal(t, n, e.countCases(t))
		require.Equal(t, n+1, e.count(t, `SELECT count(*) FROM items`))
		require.Equal(t, n, e.countTriageJobs(t))
		ids := e.triageCaseIDs(t)
		slices.Sort(ids)
		require.Len(t, slices.Compact(ids), n, "one triage job per case")

		its, err := e.store.Items(e.ctx, analyst, undox.ItemFilter{Host: "paste.example", Limit: 500})
		require.NoError(t, err)
		require.Len(t, its, n+1)
		var sharedID int64
		for _, it := range its {
			if it.URL == shared {
				sharedID = it.ID
			}
		}
		it, err := e.store.Item(e.ctx, analyst, sharedID)
		require.NoError(t, err)
		require.Equal(t, n, it.ReportCount)
		require.Len(t, it.Cases, n)

		// Each case opens with its own key.
		c := e.get(t, ncs[n/2].Ref)
		require.Equal(t, fmt.Sprintf("r%d@example.org", n/2), c.ReporterEmail)
	})
}

// 13. Migrations.

func TestMigrate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		var db *sqlstore.DB
		var err error
		if dbtest.IsPostgres(b.Name) {
			db, err = sqlstore.Open(ctx, dbtest.PostgresURL(t), "")
		} else {
			db, err = sqlstore.Open(ctx, "", t.TempDir())
		}
		require.NoError(t, err)
		t.Cleanup(func() { db.Close() })

		pending, err := db.PendingMigrations(ctx)
		require.NoError(t, err)
		require.Positive(t, pending)

		// Two starting processes migrate at once: each migration runs once.
		var (
			wg      sync.WaitGroup
			applied [2][]string
			errs    [2]error
		)
		for i := range 2 {
			wg.Go(func() { applied[i], errs[i] = db.Migrate(ctx) })
		}
		wg.Wait()
		require.NoError(t, errs[0])
		require.NoError(t, errs[1])
		all := append(slices.Clone(applied[0]), applied[1]...)
		require.Len(t, all, pending)
		require.Contains(t, all, "001_init.sql")

		pending, err = db.PendingMigrations(ctx)
		require.NoError(t, err)
		require.Zero(t, pending)
		again, err := db.Migrate(ctx)
		require.NoError(t, err)
		require.Empty(t, again)

		// A migrated database from dbtest: migrating it again changes nothing,
		// its data included.
		e := setup(t, b)
		r, _ := e.create(t, report{urls: []string{"https://paste.example/m"}, email: "m@example.org"})
		again, err = e.db.Migrate(ctx)
		require.NoError(t, err)
		require.Empty(t, again)
		pending, err = e.db.PendingMigrations(ctx)
		require.NoError(t, err)
		require.Zero(t, pending)
		current, err := job.MigrationsCurrent(ctx, e.db)
		require.NoError(t, err)
		require.True(t, current)
		require.Equal(t, "m@example.org", e.get(t, r.CaseRef).ReporterEmail)
	})
}

// 14. Retention and expiry.

func TestRetentionCandidates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		mk := func(cat string) string {
			r, _ := e.create(t, report{urls: []string{"https://paste.example/" + randHex(t, 4)}, category: cat})
			return r.CaseRef
		}
		closed, withdrawn, held, _ /* stays open */, erased, heldW := mk(undox.CategoryDoxing), mk(undox.CategoryThreat), mk(""), mk(""), mk(""), mk("")
		ev := func(actor undox.Actor, ref string, ev undox.Event) {
			t.Helper()
			_, err := e.store.CaseEvent(e.ctx, actor, ref, ev, "")
			require.NoError(t, err)
		}
		hold := func(ref, reason string) {
			t.Helper()
			_, err := e.store.SetLegalHold(e.ctx, supervisor, ref, reason)
			require.NoError(t, err)
		}

		tClosed := e.clock.Advance(time.Hour)
		ev(analyst, closed, undox.ActionClose)
		tWithdrawn := e.clock.Advance(time.Hour)
		ev(undox.Public, withdrawn, undox.ActionWithdraw)
		tHeldClosed := e.clock.Advance(time.Hour)
		ev(analyst, held, undox.ActionClose)
		hold(held, "investigation")
		ev(undox.Public, heldW, undox.ActionWithdraw)
		hold(heldW, "investigation")
		ev(analyst, erased, undox.ActionClose)
		ev(supervisor, erased, undox.ActionErase)

		type cand struct {
			ref, category string
			status        undox.CaseStatus
			at            time.Time
		}
		cands, err := e.store.RetentionCandidates(e.ctx, 10)
		require.NoError(t, err)
		var got []cand
		for _, c := range cands {
			got = append(got, cand{c.Ref, c.Category, c.Status, c.StatusAt})
		}
		require.Equal(t, []cand{
			{closed, undox.CategoryDoxing, undox.CaseClosed, tClosed},
			{withdrawn, undox.CategoryThreat, undox.CaseWithdrawn, tWithdrawn},
		}, got)

		cands, err = e.store.RetentionCandidates(e.ctx, 1)
		require.NoError(t, err)
		require.Len(t, cands, 1)
		require.Equal(t, closed, cands[0].Ref)

		// Lifting the hold makes the case a candidate again; its retention
		// still counts from when it was closed.
		e.clock.Advance(time.Hour)
		hold(held, "")
		cands, err = e.store.RetentionCandidates(e.ctx, 10)
		require.NoError(t, err)
		var refs []string
		for _, c := range cands {
			refs = append(refs, c.Ref)
		}
		require.Equal(t, []string{closed, withdrawn, held}, refs)
		require.Equal(t, undox.CategoryUnassessed, cands[2].Category)
		require.Equal(t, tHeldClosed, cands[2].StatusAt)

		// What the maintenance job does with them: erase those due.
		ret, err := undox.ParseRetention("*/closed=2h,*/withdrawn=0s")
		require.NoError(t, err)
		for _, c := range cands {
			if ret.Due(c.Category, c.Status, c.StatusAt, e.store.Now()) {
				_, err := e.store.CaseEvent(e.ctx, undox.System, c.Ref, undox.ActionErase, "retention")
				require.NoError(t, err)
			}
		}
		cands, err = e.store.RetentionCandidates(e.ctx, 10)
		require.NoError(t, err)
		require.Len(t, cands, 1)
		require.Equal(t, held, cands[0].Ref, "closed an hour ago, kept two")
	})
}

func TestExpireIdempotencyKeys(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		rep1 := report{urls: []string{"https://paste.example/k1"}, idemKey: "k1", idemHash: "b1"}
		rep2 := report{urls: []string{"https://paste.example/k2"}, idemKey: "k2", idemHash: "b2"}
		r1, _ := e.create(t, rep1)
		e.clock.Advance(23 * time.Hour)
		r2, _ := e.create(t, rep2)

		n, err := e.store.ExpireIdempotencyKeys(e.ctx)
		require.NoError(t, err)
		require.Zero(t, n)

		// Exactly a day old is not older than a day.
		e.clock.Advance(time.Hour)
		n, err = e.store.ExpireIdempotencyKeys(e.ctx)
		require.NoError(t, err)
		require.Zero(t, n)
		require.Equal(t, 2, e.count(t, `SELECT count(*) FROM idempotency_keys`))

		e.clock.Advance(time.Second)
		n, err = e.store.ExpireIdempotencyKeys(e.ctx)
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		require.Equal(t, 1, e.count(t, `SELECT count(*) FROM idempotency_keys`))
		n, err = e.store.ExpireIdempotencyKeys(e.ctx)
		require.NoError(t, err)
		require.Zero(t, n)

		// k2 still answers; k1 is forgotten.
		again2, _ := e.create(t, rep2)
		require.True(t, again2.Duplicate)
		require.Equal(t, r2.CaseRef, again2.CaseRef)
		again1, _ := e.create(t, rep1)
		require.False(t, again1.Duplicate)
		require.NotEqual(t, r1.CaseRef, again1.CaseRef)
		require.Equal(t, 3, e.countCases(t))
	})
}

// Unknown objects.

func TestNotFound(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		_, err := e.store.Case(e.ctx, analyst, "UX-missing")
		requireCode(t, undox.ENOTFOUND, err, "Case")
		_, err = e.store.CaseByStatusToken(e.ctx, secret.Hash("missing"))
		requireCode(t, undox.ENOTFOUND, err, "CaseByStatusToken")
		_, err = e.store.Item(e.ctx, analyst, 424242)
		requireCode(t, undox.ENOTFOUND, err, "Item")
		_, err = e.store.ItemEvent(e.ctx, analyst, 424242, undox.ActionConfirm, "")
		requireCode(t, undox.ENOTFOUND, err, "ItemEvent")
		_, err = e.store.ObserveItem(e.ctx, 424242, undox.ObserveCaptured, "", nil)
		requireCode(t, undox.ENOTFOUND, err, "ObserveItem")
		_, err = e.store.CaseEvent(e.ctx, analyst, "UX-missing", undox.ActionClose, "")
		requireCode(t, undox.ENOTFOUND, err, "CaseEvent")
		_, err = e.store.SetLegalHold(e.ctx, supervisor, "UX-missing", "x")
		requireCode(t, undox.ENOTFOUND, err, "SetLegalHold")
		requireCode(t, undox.ENOTFOUND, e.store.RotateStatusToken(e.ctx, undox.Public, "UX-missing", secret.Hash("x")), "RotateStatusToken")
		cs, err := e.store.Cases(e.ctx, analyst, undox.CaseFilter{})
		require.NoError(t, err)
		require.Empty(t, cs)
	})
}

// BUG: Query is used as a LIKE pattern without escaping, so "_" and "%"
// (common in URLs: "thread_1", "%20") match any character(s).
func TestCaseQueryIsLiteral(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		r1, _ := e.create(t, report{urls: []string{"https://forum.example/thread_1"}})
		r2, _ := e.create(t, report{urls: []string{"https://forum.example/thread-2/a%20b"}})
		e.create(t, report{urls: []string{"https://forum.example/thread-3/a20b"}})
		list := func(q string) []string {
			t.Helper()
			cs, err := e.store.Cases(e.ctx, analyst, undox.CaseFilter{Query: q})
			require.NoError(t, err)
			out := []string{}
			for _, c := range cs {
				out = append(out, c.Ref)
			}
			return out
		}
		require.Equal(t, []string{r1.CaseRef}, list("thread_1"))
		require.Equal(t, []string{}, list("thread_2"), `"_" is not a wildcard`)
		require.Equal(t, []string{r2.CaseRef}, list("a%20b"), `"%" is not a wildcard`)
	})
}

// Referral-only content is never fetched: once closed, it cannot be
// reopened into "new", the state that capture takes on.
func TestReferralOnlyItemIsNeverReopenedForCapture(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		r, _ := e.create(t, report{urls: []string{"https://paste.example/never"}, category: undox.CategoryCSAM})
		id := e.get(t, r.CaseRef).Items[0].ID
		require.NoError(t, e.store.AddReferral(e.ctx, id, "hotline"))
		_, err := e.store.ItemEvent(e.ctx, analyst, id, undox.ActionClose, "")
		require.NoError(t, err)
		_, err = e.store.ItemEvent(e.ctx, analyst, id, undox.ActionReopen, "")
		requireCode(t, undox.ETRANSITION, err, "reopen referral-only content")
		it, err := e.store.Item(e.ctx, analyst, id)
		require.NoError(t, err)
		require.Equal(t, undox.ItemClosed, it.Status)

		// A doxing item can be reopened.
		r2, _ := e.create(t, report{urls: []string{"https://paste.example/dox"}, category: undox.CategoryDoxing})
		id2 := e.get(t, r2.CaseRef).Items[0].ID
		_, err = e.store.ItemEvent(e.ctx, analyst, id2, undox.ActionClose, "")
		require.NoError(t, err)
		_, err = e.store.ItemEvent(e.ctx, analyst, id2, undox.ActionReopen, "")
		require.NoError(t, err)
	})
}

// Staff notes (reasons, legal holds) may name people: they are sealed too,
// and still read back in the history and on the case.
func TestStaffNotesEncryptedAtRest(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		const why, hold = "Synthetic Jansen's home address is on it", "Police report of Synthetic Pietersen"
		r, _ := e.create(t, report{urls: []string{"https://paste.example/notes"}})
		c := e.get(t, r.CaseRef)
		_, err := e.store.ItemEvent(e.ctx, analyst, c.Items[0].ID, undox.ActionReject, why)
		require.NoError(t, err)
		_, err = e.store.SetLegalHold(e.ctx, supervisor, r.CaseRef, hold)
		require.NoError(t, err)

		hist, err := e.store.ItemHistory(e.ctx, c.Items[0].ID)
		require.NoError(t, err)
		require.Equal(t, why, hist[len(hist)-1].Reason)
		require.Equal(t, hold, e.get(t, r.CaseRef).LegalHold)

		var reason, held []byte
		require.NoError(t, e.db.SQL.QueryRowContext(e.ctx, `SELECT reason FROM item_events ORDER BY id DESC LIMIT 1`).Scan(&reason))
		require.NoError(t, e.db.SQL.QueryRowContext(e.ctx, `SELECT legal_hold FROM cases`).Scan(&held))
		require.NotContains(t, string(reason), "Jansen")
		require.NotContains(t, string(held), "Pietersen")
		if e.db.Path != "" {
			for _, p := range []string{e.db.Path, e.db.Path + "-wal"} {
				raw, err := os.ReadFile(p)
				if err == nil {
					require.NotContains(t, string(raw), "Jansen", p)
					require.NotContains(t, string(raw), "Pietersen", p)
				}
			}
		}
	})
}
