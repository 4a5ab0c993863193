package sqlstore_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox"
	"github.com/undox/undox/dbtest"
)

// ScanKinds gives the counts per kind of personal data of an item's
// latest scan, from its plain summary: what an intermediary's page may
// show.
func TestScanKinds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		u := "https://dox.example/scan-kinds"
		rc, _ := e.create(t, report{urls: []string{u}, category: undox.CategoryDoxing})
		it := itemByURL(t, e.get(t, rc.CaseRef), u)

		kinds, err := e.store.ScanKinds(e.ctx, it.ID)
		require.NoError(t, err)
		require.Empty(t, kinds, "never scanned")

		for _, summary := range []string{`{"kinds":{"phone":1},"matches":[]}`, `{"kinds":{"address":1,"phone":2},"matches":[]}`} {
			_, err = e.store.SaveCapture(e.ctx, undox.CaptureAttempt{ItemID: it.ID, Observe: undox.ObserveCaptured, Captures: []undox.Capture{{
				CaseRef: rc.CaseRef, FetchedAt: e.clock.Now(), RequestedBy: "system", HTTPStatus: 200, Facts: []byte(`{}`),
				Scan: &undox.ScanResult{Findings: []byte(`[]`), Severity: 40, Summary: []byte(summary)}}}})
			require.NoError(t, err)
		}
		kinds, err = e.store.ScanKinds(e.ctx, it.ID)
		require.NoError(t, err)
		require.Equal(t, map[string]int{"address": 1, "phone": 2}, kinds, "the latest scan's")
	})
}
