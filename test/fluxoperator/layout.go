package fluxoperator

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// PodMountRoot is where the emulation's root directory appears to commands run through
// pods/exec (kwok's private mount namespace binds it there). A MiniCluster's mountPath must
// lie under it; the default /mnt/flux does.
const PodMountRoot = "/mnt"

// PodPath is the image's PATH a pods/exec gets: the flux view is not on it, as in a real
// MiniCluster pod, where only the operator's entrypoint adds it.
const PodPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// pythonCommands are the flux subcommands written in Python. In a real pod they import
// flux's bindings from the view's site-packages, which only the PYTHONPATH of flux-view.sh
// makes visible; the C commands (flux version, flux getattr...) run without it.
var pythonCommands = []string{"jobs", "resource", "python", "queue", "submit", "run", "alloc", "batch",
	"bulksubmit", "cancel", "top", "pstree", "update"}

// viewFlux is the emulated view's bin/flux. It behaves as the real view's does when the
// environment lacks flux-view.sh's PYTHONPATH: the Python commands fail at import. With it,
// it runs the real flux-core that make tools built. %[1]s: the Python commands; %[2]s: the
// site-packages directory as a pod sees it; %[3]s: the real flux.
const viewFlux = `#!/bin/sh
# The emulated Flux view's flux (test/fluxoperator). Like the real view, its Python commands
# need flux-view.sh's PYTHONPATH.
case " %[1]s " in
*" $1 "*)
  case ":${PYTHONPATH:-}:" in
  *":%[2]s:"*) ;;
  *)
    echo "Traceback (most recent call last):" >&2
    echo "ModuleNotFoundError: No module named '_cffi_backend' (PYTHONPATH lacks %[2]s: source flux-view.sh)" >&2
    exit 1 ;;
  esac ;;
esac
exec %[3]s "$@"
`

// layout is one MiniCluster's mount path on the host, laid out as the operator's
// entrypoint leaves it in the pod: flux-view.sh, view/bin/flux, view/lib/python3.11/
// site-packages, and config/run/flux where rank 0's broker puts its socket.
type layout struct {
	host string // the directory on the host
	pod  string // the same directory as a pod sees it (the MiniCluster's mountPath)
}

// newLayout maps mountPath (as a pod sees it) into root.
func newLayout(root, mountPath string) (layout, error) {
	rel, ok := strings.CutPrefix(filepath.Clean(mountPath), PodMountRoot+"/")
	if !ok {
		return layout{}, fmt.Errorf("mountPath %q is not under %s, where the emulation's pods see their volume", mountPath, PodMountRoot)
	}
	return layout{host: filepath.Join(root, rel), pod: filepath.Clean(mountPath)}, nil
}

// socket is rank 0's broker socket on the host and in the pod: where this operator
// version's wait.sh puts it (-Slocal-uri=local://<mountPath>/config/run/flux/local).
func (l layout) socket() (host, pod string) {
	const rel = "config/run/flux/local"
	return filepath.Join(l.host, rel), filepath.Join(l.pod, rel)
}

// write creates the layout for the flux-core install at prefix.
func (l layout) write(prefix string) error {
	site, err := pythonDir(prefix)
	if err != nil {
		return err
	}
	bin := filepath.Join(l.host, "view", "bin")
	lib := filepath.Join(l.host, "view", "lib", "python3.11")
	for _, dir := range []string{bin, lib, filepath.Join(l.host, "config", "run", "flux")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if err := os.Symlink(site, filepath.Join(lib, "site-packages")); err != nil && !os.IsExist(err) {
		return err
	}
	podSite := filepath.Join(l.pod, "view", "lib", "python3.11", "site-packages")
	script := fmt.Sprintf(viewFlux, strings.Join(pythonCommands, " "), podSite, filepath.Join(prefix, "bin", "flux"))
	if err := os.WriteFile(filepath.Join(bin, "flux"), []byte(script), 0o755); err != nil {
		return err
	}
	_, podSocket := l.socket()
	// What the operator's entrypoint writes (pkg/flux/templates/components.sh): PATH with
	// the view's bin appended, the view's site-packages on PYTHONPATH, its lib on
	// LD_LIBRARY_PATH, and the socket.
	view := fmt.Sprintf("#!/bin/bash\nexport PATH=%s:%s\nexport PYTHONPATH=:%s\nexport LD_LIBRARY_PATH=:%s\nexport fluxsocket=local://%s\n",
		PodPath, filepath.Join(l.pod, "view", "bin"), podSite, filepath.Join(l.pod, "view", "lib"), podSocket)
	return os.WriteFile(filepath.Join(l.host, "flux-view.sh"), []byte(view), 0o644)
}

// pythonDir finds flux-core's Python bindings in its install (lib/flux/python3.X).
func pythonDir(prefix string) (string, error) {
	matches, err := filepath.Glob(filepath.Join(prefix, "lib", "flux", "python3*"))
	if err != nil || len(matches) == 0 {
		return "", fmt.Errorf("no Python bindings under %s/lib/flux: is flux-core built (make tools)?", prefix)
	}
	return matches[0], nil
}
