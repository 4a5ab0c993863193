package screenshot

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Sandbox modes (Config.Sandbox).
const (
	// SandboxAuto runs the browser in Chromium's sandbox where it starts,
	// and without it where it does not (a container without user
	// namespaces): Shooter.Sandboxed says which.
	SandboxAuto = "auto"
	// SandboxOn requires the sandbox: New fails where it does not start.
	SandboxOn = "on"
	// SandboxOff never uses it.
	SandboxOff = "off"
)

// DefaultUser is the user the browser runs as when undox runs as root.
const DefaultUser = "nobody"

// isolation is how a browser process runs: in Chromium's sandbox or not,
// and as which user.
type isolation struct {
	sandbox bool
	// user is the user the browser runs as, when undox runs as root and
	// it is not root ("" otherwise); uid and gid are its ids.
	user     string
	uid, gid uint32
}

func (iso isolation) String() string {
	s := "not sandboxed"
	if iso.sandbox {
		s = "sandboxed"
	}
	if iso.user != "" {
		s += ", as user " + iso.user
	}
	return s
}

// isolations are the ways to run the browser that cfg allows, safest
// first: New takes the first that starts. As root, the browser runs as
// cfg.User, since Chromium's sandbox does not run as root (and an exploit
// of a browser that is not sandboxed should not get root). A User named in
// the configuration must exist. Where the default user does not, or where
// the browser does not start as that user (it cannot reach its profile in
// a temporary folder of root's own), SandboxAuto and SandboxOff run it as
// root without the sandbox, as a last resort that Shooter.Sandboxed
// reports.
func isolations(cfg Config) ([]isolation, error) {
	var as isolation // the user the browser runs as: undox's own, unless root
	if asRoot() {
		u, uid, gid, err := lookupUser(cfg.User)
		switch {
		case err == nil:
			as = isolation{user: u, uid: uid, gid: gid}
		case cfg.User != "" && cfg.User != DefaultUser:
			return nil, fmt.Errorf("the browser's user %q: %w", cfg.User, err)
		case cfg.Sandbox == SandboxOn:
			return nil, fmt.Errorf("the sandbox needs a user other than root to run the browser as: %w", err)
		}
	}
	var out []isolation
	if cfg.Sandbox != SandboxOff && (as.user != "" || !asRoot()) {
		sandboxed := as
		sandboxed.sandbox = true
		out = append(out, sandboxed)
	}
	if cfg.Sandbox != SandboxOn {
		out = append(out, as)
		if as.user != "" {
			out = append(out, isolation{}) // root, not sandboxed: the last resort
		}
	}
	return out, nil
}

// checkSandbox checks a Config's Sandbox mode.
func checkSandbox(mode string) error {
	switch mode {
	case SandboxAuto, SandboxOn, SandboxOff:
		return nil
	}
	return errors.New("screenshot: Config.Sandbox must be auto, on or off")
}

// tempDir is the browser's temporary folder: undox's, unless the browser
// runs as another user, who may not reach it.
func (iso isolation) tempDir() string {
	if iso.user != "" {
		return "/tmp"
	}
	return os.TempDir()
}

// prepare sets up the browser's command: the user it runs as, the kernel
// killing it when undox ends, and an environment of its own, with none of
// undox's variables (which may hold secrets) and its HOME in its
// temporary profile, which is removed with it.
func (iso isolation) prepare(cmd *exec.Cmd) {
	dir := ""
	for _, a := range cmd.Args {
		if v, ok := strings.CutPrefix(a, "--user-data-dir="); ok {
			dir = v
		}
	}
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "TMPDIR=" + iso.tempDir()}
	if dir != "" {
		cmd.Env = append(cmd.Env, "HOME="+dir)
	}
	iso.prepareProcess(cmd, dir)
}
