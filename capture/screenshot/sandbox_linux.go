package screenshot

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"syscall"
)

func asRoot() bool { return os.Geteuid() == 0 }

// lookupUser returns the ids of the user name ("" is DefaultUser), which
// must not be root.
func lookupUser(name string) (string, uint32, uint32, error) {
	if name == "" {
		name = DefaultUser
	}
	u, err := user.Lookup(name)
	if err != nil {
		return "", 0, 0, err
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return "", 0, 0, fmt.Errorf("user %s: ids %s:%s are not numbers", name, u.Uid, u.Gid)
	}
	if uid == 0 {
		return "", 0, 0, fmt.Errorf("user %s is root", name)
	}
	return name, uint32(uid), uint32(gid), nil
}

// prepareProcess makes the browser run as iso's user, in its profile dir
// (made by chromedp, owned by root until now), and die with undox.
func (iso isolation) prepareProcess(cmd *exec.Cmd, dir string) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = new(syscall.SysProcAttr)
	}
	// Set by the kernel after the user is changed, so that it stays.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if iso.user == "" {
		return
	}
	cmd.SysProcAttr.Credential = &syscall.Credential{Uid: iso.uid, Gid: iso.gid, Groups: []uint32{}}
	if dir != "" {
		// A failure shows as the browser not starting.
		os.Chown(dir, int(iso.uid), int(iso.gid))
	}
}
