package flux

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
)

// DefaultMountPath is where a MiniCluster mounts the flux view when
// spec.flux.container.mountPath is not set.
const DefaultMountPath = "/mnt/flux"

// Exit statuses of the MiniCluster wrapper for what it could not find. They sit below 126,
// which the shell keeps for itself, and above what flux's own commands return (0-2), so a
// failed flux command is never mistaken for a missing piece.
const (
	exitNoView   = 80
	exitNoFlux   = 81
	exitNoSocket = 82
)

// wrapperMarker starts every message the wrapper prints about what it could not find.
const wrapperMarker = "fluxscale: "

// miniClusterScript runs "$@" with flux in a Flux Operator pod as the operator's entrypoint
// would. pods/exec gets the image's environment, not the entrypoint's: the flux CLI's Python
// commands import from the view only through the PYTHONPATH that <mountPath>/flux-view.sh
// exports, so the script sources it. The socket moved between operator versions
// (<mountPath>/config/run/flux/local now, <mountPath>/view/run/flux/local up to 0.2.1, and
// local-0 in the same directories with spec.flux.disableSocket), so it takes the one
// flux-view.sh names when it exists and looks for the others otherwise. %[1]s is the quoted
// mount path; %[2]d-%[4]d are the exit statuses above.
const miniClusterScript = `mp=%[1]s
if [ ! -r "$mp/flux-view.sh" ]; then
  echo "fluxscale: no $mp/flux-view.sh: the operator's entrypoint writes it when the container starts; check spec.flux.container.mountPath and that flux.exec.container runs the broker" >&2
  exit %[2]d
fi
. "$mp/flux-view.sh"
flux=$(command -v flux || true)
[ -n "$flux" ] || [ ! -x "$mp/view/bin/flux" ] || flux=$mp/view/bin/flux
if [ -z "$flux" ]; then
  echo "fluxscale: flux not found at $mp/view/bin/flux nor on the PATH flux-view.sh sets" >&2
  exit %[3]d
fi
sock=
for s in "${fluxsocket#local://}" "$mp/config/run/flux/local" "$mp/config/run/flux/local-0" "$mp/view/run/flux/local" "$mp/view/run/flux/local-0"; do
  if [ -n "$s" ] && [ -S "$s" ]; then sock=$s; break; fi
done
if [ -z "$sock" ]; then
  echo "fluxscale: no broker socket at ${fluxsocket:-$mp/config/run/flux/local} (nor local-0 there, nor under $mp/view/run/flux): is the lead broker running?" >&2
  exit %[4]d
fi
FLUX_URI=local://$sock
export FLUX_URI
exec "$flux" "$@"`

// MiniClusterCommand is the argv prefix that runs flux inside a Flux Operator MiniCluster
// pod from outside the operator's entrypoint (pods/exec, or a sidecar that does not source
// the operator's environment). mountPath is the MiniCluster's spec.flux.container.mountPath
// (default DefaultMountPath). The arguments after the prefix reach flux unchanged: the
// script is sh -c's program and they are its positional parameters, never parsed by a shell.
// When the view, flux or the socket is missing, the command exits with a status that
// MiniClusterProblem explains.
func MiniClusterCommand(mountPath string) []string {
	if mountPath == "" {
		mountPath = DefaultMountPath
	}
	return []string{"sh", "-c", fmt.Sprintf(miniClusterScript, shellQuote(mountPath), exitNoView, exitNoFlux, exitNoSocket), "flux"}
}

// MiniClusterRunner runs flux commands in a Flux Operator pod through Pod, a runner that
// reaches the pod (pods/exec, or a local runner in a sidecar that shares the view's volume).
// Each argv names flux first; the runner swaps that for MiniClusterCommand, so the clients
// above it keep their plain argv (and their error messages stay readable). A command that
// failed because of where it ran becomes an error naming Where and what is missing.
type MiniClusterRunner struct {
	Pod Runner
	// MountPath is the MiniCluster's spec.flux.container.mountPath; empty means the default.
	MountPath string
	// Where names the pod and container for messages, e.g. `pod ns/mc-0-x container "mc"`.
	Where string
}

var _ Runner = MiniClusterRunner{}

// Run runs argv (argv[0] is flux) in the pod.
func (m MiniClusterRunner) Run(ctx context.Context, argv []string) (Result, error) {
	if len(argv) == 0 {
		return Result{}, errors.New("no command to run")
	}
	res, err := m.Pod.Run(ctx, append(MiniClusterCommand(m.MountPath), argv[1:]...))
	if err != nil {
		return Result{}, err
	}
	if problem := MiniClusterProblem(res); problem != "" {
		return Result{}, fmt.Errorf("%s: %s", m.Where, problem)
	}
	return res, nil
}

// MiniClusterProblem explains a result of a command run through MiniClusterCommand that
// failed before or because of where it ran, rather than because of what flux was asked:
// the view, flux or the broker socket missing, or a request refused because the exec does
// not run as the instance owner. It returns "" for any other result.
func MiniClusterProblem(res Result) string {
	if res.ExitCode == 0 {
		return ""
	}
	stderr := string(bytes.TrimSpace(res.Stderr))
	switch res.ExitCode {
	case exitNoView, exitNoFlux, exitNoSocket:
		if msg, ok := strings.CutPrefix(lastLine(stderr), wrapperMarker); ok {
			return msg
		}
	}
	if strings.Contains(stderr, "requires owner credentials") {
		return "permission: not the instance owner (Flux answered \"Request requires owner credentials\"): " +
			"exec into the container that runs the broker (flux.exec.container), as its user"
	}
	return ""
}

func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// shellQuote quotes s as one word for sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
