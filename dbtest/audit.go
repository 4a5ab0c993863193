package dbtest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox/sqlstore"
)

// AuditActions returns the audit actions recorded for an object, oldest
// first.
func AuditActions(tb testing.TB, s *sqlstore.Store, objType, objID string) []string {
	tb.Helper()
	entries, err := s.AuditEntries(context.Background(), objType, objID)
	require.NoError(tb, err)
	var out []string
	for _, en := range entries {
		out = append(out, en.Action)
	}
	return out
}
