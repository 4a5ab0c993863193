package sqlstore

import "github.com/undox/undox/policy"

// Policy is the takedown policy that the store works by: the one given to
// SetPolicy, else the default.
func (s *Store) Policy() *policy.Policy {
	if s.policy != nil {
		return s.policy
	}
	return defaultPolicy()
}
