package flux

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
)

// StreamRunner runs one long-lived command and hands its stdout over as it is written,
// instead of collecting it as Runner does. The agent streams a local process; a pods/exec
// stream (remotecommand's StreamWithContext also takes an io.Writer) fits the same shape.
type StreamRunner interface {
	// Stream runs argv until it exits or ctx ends, writing its stdout to stdout as it
	// comes. The Result carries stderr (capped) and the exit status; its Stdout is empty.
	// As with Runner, an error means the command could not be run or was cut off.
	Stream(ctx context.Context, argv []string, stdout io.Writer) (Result, error)
}

// LocalStreamRunner streams commands on this machine.
type LocalStreamRunner struct {
	// Env, when not nil, is the whole environment of the command; nil inherits ours.
	Env []string
}

var _ StreamRunner = LocalStreamRunner{}

// stderrCap bounds the stderr a stream keeps: only its end explains an exit.
const stderrCap = 64 << 10

// Stream starts argv[0] (looked up in PATH) and copies its stdout to stdout.
func (r LocalStreamRunner) Stream(ctx context.Context, argv []string, stdout io.Writer) (Result, error) {
	if len(argv) == 0 {
		return Result{}, errors.New("no command to run")
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = r.Env
	stderr := newCappedBuffer(stderrCap)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	if ctxErr := ctx.Err(); ctxErr != nil {
		return Result{}, fmt.Errorf("streaming %s: %w", argv[0], ctxErr)
	}
	res := Result{Stderr: stderr.Bytes()}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr) && exitErr.Exited():
		res.ExitCode = exitErr.ExitCode()
	case err != nil:
		return Result{}, fmt.Errorf("streaming %s: %w", argv[0], err)
	}
	return res, nil
}

// MiniClusterStreamRunner streams flux commands in a Flux Operator pod, as MiniClusterRunner
// runs them: argv names flux first, and a failure of where it ran becomes an error.
type MiniClusterStreamRunner struct {
	Pod StreamRunner
	// MountPath and Where as in MiniClusterRunner.
	MountPath string
	Where     string
}

var _ StreamRunner = MiniClusterStreamRunner{}

// Stream runs argv (argv[0] is flux) in the pod.
func (m MiniClusterStreamRunner) Stream(ctx context.Context, argv []string, stdout io.Writer) (Result, error) {
	if len(argv) == 0 {
		return Result{}, errors.New("no command to run")
	}
	res, err := m.Pod.Stream(ctx, append(MiniClusterCommand(m.MountPath), argv[1:]...), stdout)
	if err != nil {
		return Result{}, err
	}
	if problem := MiniClusterProblem(res); problem != "" {
		return Result{}, fmt.Errorf("%s: %s", m.Where, problem)
	}
	return res, nil
}
