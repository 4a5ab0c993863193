package sqlstore_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/dbtest"
)

// BUG: CaseEvent reads a case's status and legal hold, then updates the row
// without checking that neither changed meanwhile. On PostgreSQL (READ
// COMMITTED, several connections) a close racing an erase leaves an erased
// case "closed" (so it can be reopened), and an erase racing a legal hold
// erases a case that is held. SQLite serializes writers and is not affected.
func TestCaseEventRaces(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		const n = 40
		race := func(t *testing.T, other func(ref string)) []*undox.Case {
			refs := make([]string, n)
			for i := range refs {
				r, _ := e.create(t, report{urls: []string{"https://paste.example/race/" + randHex(t, 4)}, email: "r@example.org"})
				refs[i] = r.CaseRef
			}
			start := make(chan struct{})
			var wg sync.WaitGroup
			for _, ref := range refs {
				wg.Go(func() { <-start; e.store.CaseEvent(e.ctx, supervisor, ref, undox.ActionErase, "") })
				wg.Go(func() { <-start; other(ref) })
			}
			close(start)
			wg.Wait()
			out := make([]*undox.Case, n)
			for i, ref := range refs {
				out[i] = e.get(t, ref)
			}
			return out
		}

		t.Run("close", func(t *testing.T) {
			var bad []string
			for _, c := range race(t, func(ref string) { e.store.CaseEvent(e.ctx, analyst, ref, undox.ActionClose, "") }) {
				if c.ErasedAt != nil && c.Status != undox.CaseErased {
					bad = append(bad, c.Ref+" is "+string(c.Status))
				}
			}
			require.Empty(t, bad, "erased cases that a racing close stepped on")
		})
		t.Run("hold", func(t *testing.T) {
			var bad []string
			for _, c := range race(t, func(ref string) { e.store.SetLegalHold(e.ctx, supervisor, ref, "court order") }) {
				if c.Status == undox.CaseErased && c.LegalHold != "" {
					bad = append(bad, c.Ref)
				}
			}
			require.Empty(t, bad, "cases erased although under a legal hold")
		})
	})
}
