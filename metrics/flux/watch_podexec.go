package flux

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"
)

var _ StreamRunner = (*PodExecRunner)(nil)

// Stream execs argv in the target container as one long-lived pods/exec and writes its
// stdout to stdout as it comes (websocket first, SPDY when the upgrade fails, as Run). The
// exec ends when the command exits, ctx ends, or the connection is cut (the pod restarted,
// the API server went away): the last is an error. A command that outlives a cut exec
// must end by itself: watch.py does at its next write.
func (r *PodExecRunner) Stream(ctx context.Context, argv []string, stdout io.Writer) (Result, error) {
	executor, err := r.executor(argv)
	if err != nil {
		return Result{}, err
	}
	stderr := newCappedBuffer(stderrCap)
	err = executor.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: stdout, Stderr: stderr})
	res := Result{Stderr: stderr.Bytes()}
	var exitErr utilexec.ExitError
	switch {
	case errors.As(err, &exitErr) && exitErr.Exited():
		res.ExitCode = exitErr.ExitStatus()
	case err != nil:
		// The API server's message may echo the whole argv, and with it a program of a few
		// kilobytes: name the program instead.
		msg := err.Error()
		for _, a := range argv {
			if len(a) > 200 {
				msg = strings.ReplaceAll(msg, a, "<program>")
			}
		}
		return Result{}, fmt.Errorf("exec stream %s in pod %s/%s: %s", argv[0], r.target.Namespace, r.target.Pod, msg)
	}
	return res, nil
}
