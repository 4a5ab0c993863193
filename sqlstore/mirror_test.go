package sqlstore_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/mirror"
)

// post makes up a doxing post of n words (synthetic, as all test data).
func post(seed uint64, n int) string {
	words := strings.Fields(`jan de vries woont op de kerkstraat in utrecht zijn telefoon is nul zes twaalf
		hier is zijn school het adres van zijn ouders deel het met iedereen he lives at this street his phone`)
	rng := rand.New(rand.NewPCG(seed, seed+1))
	out := make([]string, n)
	for i := range out {
		out[i] = words[rng.IntN(len(words))]
	}
	return strings.Join(out, " ")
}

// A page that copies a page an analyst confirmed for a case is suggested
// for that case as a mirror, whoever reported it and on whatever site,
// without any identifier: when it is captured after the confirmation, and
// when the confirmation comes after its capture. Only confirmed pages
// count, a different page is not suggested, and erasing the case deletes
// its prints.
func TestMirrorSuggestions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		printer, err := mirror.NewPrinter([]byte("0123456789abcdef0123456789abcdef"))
		require.NoError(t, err)
		capture := func(ref, u, text string) *undox.Item {
			t.Helper()
			it := itemByURL(t, e.get(t, ref), u)
			p, ok := printer.Print(text)
			require.True(t, ok)
			raw, err := p.MarshalBinary()
			require.NoError(t, err)
			_, err = e.store.SaveCapture(e.ctx, undox.CaptureAttempt{ItemID: it.ID, Observe: undox.ObserveCaptured, Captures: []undox.Capture{{
				CaseRef: ref, FetchedAt: e.clock.Now(), RequestedBy: "system", HTTPStatus: 200, Facts: []byte(`{}`),
				Scan:      &undox.ScanResult{Findings: []byte(`[]`), Summary: []byte(`{"kinds":{},"matches":[]}`)},
				TextPrint: raw}}})
			require.NoError(t, err)
			return it
		}
		suggested := func(ref string) map[int64][]string {
			t.Helper()
			ls, err := e.store.LinkSuggestions(e.ctx, analyst, ref)
			require.NoError(t, err)
			out := map[int64][]string{}
			for _, l := range ls {
				out[l.ItemID] = l.Kinds
			}
			return out
		}
		dox := post(1, 300)

		// The victim's case: her page, captured; not yet confirmed.
		victim, _ := e.create(t, report{urls: []string{"https://dox.example/p/1"}, category: undox.CategoryDoxing})
		original := capture(victim.CaseRef, "https://dox.example/p/1", "Buurtforum · home · login\n"+dox+"\n© Buurtforum")

		// Someone else reports a copy on another site.
		other, _ := e.create(t, report{urls: []string{"https://paste.example/raw/9"}, category: undox.CategoryDoxing})
		early := capture(other.CaseRef, "https://paste.example/raw/9", "PASTE #9 "+strings.ToUpper(dox)+" views: 3")
		require.Empty(t, suggested(victim.CaseRef), "only a confirmed page's copies are suggested")

		// The analyst confirms her page: the copy captured before is suggested.
		_, _, err = e.store.ConfirmItem(e.ctx, analyst, original.ID, "her home address")
		require.NoError(t, err)
		require.Equal(t, map[int64][]string{early.ID: {undox.LinkKindMirror}}, suggested(victim.CaseRef))

		// A copy captured after the confirmation is suggested at once; a
		// different page is not.
		third, _ := e.create(t, report{urls: []string{"https://mirror.example/a", "https://mirror.example/b"}, category: undox.CategoryDoxing})
		late := capture(third.CaseRef, "https://mirror.example/a", "Mirror of dox.example — "+dox)
		capture(third.CaseRef, "https://mirror.example/b", post(2, 300))
		require.Equal(t, map[int64][]string{early.ID: {undox.LinkKindMirror}, late.ID: {undox.LinkKindMirror}}, suggested(victim.CaseRef))
		require.Contains(t, strings.Join(e.auditTrail(t, "case", victim.CaseRef), "\n"), "item.link.suggest item="+itoa(late.ID)+" kinds=mirror of="+itoa(original.ID))
		require.Empty(t, suggested(third.CaseRef), "the copy's own case gets nothing: its pages confirm nothing")

		// A later capture of her page (a re-check found it changed) is not
		// what was confirmed: a copy of the changed page is not suggested.
		e.clock.Advance(time.Hour)
		changed := post(3, 300)
		capture(victim.CaseRef, "https://dox.example/p/1", changed)
		fourth, _ := e.create(t, report{urls: []string{"https://dox.example/p/2"}, category: undox.CategoryDoxing})
		capture(fourth.CaseRef, "https://dox.example/p/2", changed)
		require.Len(t, suggested(victim.CaseRef), 2)

		// On one site every page has the site's frame: a different post
		// in it is no copy, the same post again is.
		frame := post(20, 400)
		forum, _ := e.create(t, report{urls: []string{"https://forum.example/t/1"}, category: undox.CategoryDoxing})
		confirmed := capture(forum.CaseRef, "https://forum.example/t/1", frame+" "+post(21, 40))
		_, _, err = e.store.ConfirmItem(e.ctx, analyst, confirmed.ID, "his phone number")
		require.NoError(t, err)
		// Her case is closed (its pages were removed): copies still reach it.
		_, err = e.store.CaseEvent(e.ctx, analyst, forum.CaseRef, undox.ActionClose, "all removed")
		require.NoError(t, err)
		board, _ := e.create(t, report{urls: []string{"https://forum.example/t/2", "https://forum.example/t/3"}, category: undox.CategoryDoxing})
		capture(board.CaseRef, "https://forum.example/t/2", frame+" "+post(22, 40))
		again := capture(board.CaseRef, "https://forum.example/t/3", frame+" "+post(21, 40))
		require.Equal(t, map[int64][]string{again.ID: {undox.LinkKindMirror}}, suggested(forum.CaseRef))

		// A suggestion that a capture and a confirmation at the same
		// moment left unmade (here: removed) is made by the sweep; one
		// that an analyst rejected stays rejected.
		_, err = e.db.SQL.ExecContext(e.ctx, `DELETE FROM link_suggestions WHERE item_id = $1`, again.ID)
		require.NoError(t, err)
		ls, err := e.store.LinkSuggestions(e.ctx, analyst, victim.CaseRef)
		require.NoError(t, err)
		_, err = e.store.DecideLink(e.ctx, analyst, ls[0].ID, false)
		require.NoError(t, err)
		require.NoError(t, e.store.SweepMirrors(e.ctx, 2*time.Hour))
		require.Equal(t, map[int64][]string{again.ID: {undox.LinkKindMirror}}, suggested(forum.CaseRef))
		ls, err = e.store.LinkSuggestions(e.ctx, analyst, victim.CaseRef)
		require.NoError(t, err)
		require.Equal(t, "rejected", ls[0].Status)
		require.Len(t, ls, 2)

		// Erasing her case deletes its prints; a copy of her page is no
		// longer recognised.
		_, err = e.store.CaseEvent(e.ctx, supervisor, victim.CaseRef, undox.ActionErase, "")
		require.NoError(t, err)
		var n int
		require.NoError(t, e.db.SQL.QueryRowContext(e.ctx, `SELECT count(*) FROM capture_prints p JOIN cases c ON c.id = p.case_id WHERE c.ref = $1`,
			victim.CaseRef).Scan(&n))
		require.Zero(t, n)
		require.NoError(t, e.db.SQL.QueryRowContext(e.ctx, `SELECT count(*) FROM capture_bands WHERE capture_id NOT IN (SELECT capture_id FROM capture_prints)`).Scan(&n))
		require.Zero(t, n, "no band outlives its print")
	})
}
