package flux

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Version is a flux-core release, as `flux version` prints it (0.88.0, or 0.88.0-59-gabc
// for a build past a tag: the suffix is ignored).
type Version struct {
	Major, Minor, Patch int
}

// String prints the version as flux does, without a build suffix.
func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// Less reports whether v is an older release than w.
func (v Version) Less(w Version) bool {
	if v.Major != w.Major {
		return v.Major < w.Major
	}
	if v.Minor != w.Minor {
		return v.Minor < w.Minor
	}
	return v.Patch < w.Patch
}

// MinVersion is the oldest flux-core the CLI client drives: `flux resource undrain -u`,
// which makes Undrain idempotent, came in 0.81.0.
func MinVersion() Version { return Version{Major: 0, Minor: 81} }

// versionArgs prints the versions of flux's commands, libflux-core and the broker.
func versionArgs() []string { return []string{"version"} }

// ParseVersion reads `flux version` output and returns the version of the commands (the
// flux CLI we run), or of libflux-core when there is no commands line. flux-core 0.88.0
// prints "commands:    \t\t0.88.0" and "libflux-core:\t\t0.88.0" among other lines.
func ParseVersion(out []byte) (Version, error) {
	found := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if ok {
			found[strings.TrimSpace(key)] = strings.TrimSpace(value)
		}
	}
	for _, key := range []string{"commands", "libflux-core"} {
		if s, ok := found[key]; ok {
			v, err := parseVersionString(s)
			if err != nil {
				return Version{}, fmt.Errorf("flux version %s %q: %w", key, s, err)
			}
			return v, nil
		}
	}
	return Version{}, fmt.Errorf("no commands or libflux-core line in flux version output %q", truncate(string(out)))
}

// parseVersionString reads MAJOR.MINOR.PATCH, ignoring a build suffix after '-' or '+'.
func parseVersionString(s string) (Version, error) {
	core, _, _ := strings.Cut(strings.TrimPrefix(s, "v"), "-")
	core, _, _ = strings.Cut(core, "+")
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return Version{}, fmt.Errorf("not a MAJOR.MINOR.PATCH version")
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return Version{}, fmt.Errorf("%q is not a version number", p)
		}
		n[i] = v
	}
	return Version{Major: n[0], Minor: n[1], Patch: n[2]}, nil
}

// CheckVersion runs `flux version` once through r (command is the argv prefix that runs
// flux; empty for "flux") and returns the version found. It fails when flux-core is older
// than MinVersion, naming both versions and what needs the newer one.
func CheckVersion(ctx context.Context, r Runner, command []string) (Version, error) {
	return NewCLI(r, CLIOptions{Command: command}).checkVersion(ctx)
}

func (c *CLI) checkVersion(ctx context.Context) (Version, error) {
	argv := c.argv(versionArgs())
	out, err := c.output(ctx, argv)
	if err != nil {
		return Version{}, fmt.Errorf("checking the flux-core version: %w", err)
	}
	v, err := ParseVersion(out)
	if err != nil {
		return Version{}, fmt.Errorf("checking the flux-core version with %s: %w", quoteArgv(argv), err)
	}
	if v.Less(MinVersion()) {
		return v, fmt.Errorf("flux-core %s (%s) is older than %s, which fluxscale needs for flux resource undrain -u: "+
			"run fluxscale against flux-core %s or newer", v, quoteArgv(argv), MinVersion(), MinVersion())
	}
	return v, nil
}

// ensureVersion checks the flux-core version before the client's first command, and again
// after a failed check (the pod may not have been ready); once a check succeeds it is not
// repeated. Concurrent callers wait for one check.
func (c *CLI) ensureVersion(ctx context.Context) error {
	c.versionMu.Lock()
	defer c.versionMu.Unlock()
	if c.versionOK {
		return nil
	}
	if _, err := c.checkVersion(ctx); err != nil {
		return err
	}
	c.versionOK = true
	return nil
}
