package sqlstore_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/undox/undox/dbtest"
	"github.com/undox/undox/policy"
)

// The store tells which takedown policy it works by: the default until one
// is set.
func TestStorePolicy(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		e := setup(t, b)
		require.Equal(t, policy.Default().Digest(), e.store.Policy().Digest())
		own, err := policy.Parse([]byte(strings.Replace(string(policy.DefaultFile()), "deadline_hours = 24", "deadline_hours = 30", 1)))
		require.NoError(t, err)
		e.store.SetPolicy(own)
		require.Same(t, own, e.store.Policy())
		require.Equal(t, 30, e.store.Policy().For("doxing", false).DeadlineHours)
	})
}
