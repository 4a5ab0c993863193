package personal

import "testing"

// TestMayTrigger: the eight-byte test agrees with the trigger table.
func TestMayTrigger(t *testing.T) {
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 8; pos++ {
			for _, fill := range []byte{'a', ' ', 0xc3, 0x00, 0xff, 'Z'} {
				if trigger[fill] != 0 {
					continue
				}
				b := []byte{fill, fill, fill, fill, fill, fill, fill, fill}
				b[pos] = byte(c)
				if got, want := mayTrigger(load64(string(b), 0)), trigger[c] != 0; got != want {
					t.Fatalf("byte %#x at %d among %#x: %v, want %v", c, pos, fill, got, want)
				}
			}
		}
	}
}
