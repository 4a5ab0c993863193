package staff

import "sync/atomic"

// CountPasswordChecks makes s count the passwords it checks (against an
// account's hash or, for an unknown address, the stand-in hash) and
// returns the count so far.
func CountPasswordChecks(s *Service) func() int64 {
	var n atomic.Int64
	s.verify = func(hash, password string) (bool, error) {
		n.Add(1)
		return VerifyPassword(hash, password)
	}
	return n.Load
}
