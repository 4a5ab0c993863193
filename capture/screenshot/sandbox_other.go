//go:build !linux

package screenshot

import (
	"errors"
	"os"
	"os/exec"
)

func asRoot() bool { return os.Geteuid() == 0 }

func lookupUser(string) (string, uint32, uint32, error) {
	return "", 0, 0, errors.New("running the browser as another user is only done on Linux")
}

func (iso isolation) prepareProcess(*exec.Cmd, string) {}
