package flux

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/kubernetes/scheme"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"
)

// PodTarget names the container commands run in.
type PodTarget struct {
	Namespace string
	Pod       string
	// Container is the container with the flux CLI; empty means the pod's only container
	// (the API server refuses an empty name when the pod has several).
	Container string
}

// PodExecRunner runs commands in a pod through the pods/exec subresource, the way kubectl
// exec does: nothing is installed in the pod. The caller needs RBAC create on pods/exec (and
// get, for the websocket upgrade) in the pod's namespace.
type PodExecRunner struct {
	config *rest.Config
	client rest.Interface
	target PodTarget
}

var _ Runner = (*PodExecRunner)(nil)

// NewPodExecRunner returns a runner for target using cfg's credentials.
func NewPodExecRunner(cfg *rest.Config, target PodTarget) (*PodExecRunner, error) {
	if target.Namespace == "" || target.Pod == "" {
		return nil, fmt.Errorf("pod exec target %+v needs a namespace and a pod name", target)
	}
	core, err := corev1client.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("building the core/v1 client: %w", err)
	}
	return &PodExecRunner{config: rest.CopyConfig(cfg), client: core.RESTClient(), target: target}, nil
}

// executor prepares the exec of argv in the target container: websocket first, SPDY when
// the API server (or a proxy in between) cannot upgrade to websocket, as kubectl does.
func (r *PodExecRunner) executor(argv []string) (remotecommand.Executor, error) {
	if len(argv) == 0 {
		return nil, errors.New("no command to run")
	}
	req := r.client.Post().Resource("pods").Namespace(r.target.Namespace).Name(r.target.Pod).
		SubResource("exec").VersionedParams(&corev1.PodExecOptions{
		Container: r.target.Container,
		Command:   argv,
		Stdout:    true,
		Stderr:    true,
	}, scheme.ParameterCodec)
	websocket, err := remotecommand.NewWebSocketExecutor(r.config, "GET", req.URL().String())
	if err != nil {
		return nil, fmt.Errorf("preparing websocket exec: %w", err)
	}
	spdy, err := remotecommand.NewSPDYExecutor(r.config, "POST", req.URL())
	if err != nil {
		return nil, fmt.Errorf("preparing SPDY exec: %w", err)
	}
	executor, err := remotecommand.NewFallbackExecutor(websocket, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	if err != nil {
		return nil, fmt.Errorf("preparing exec: %w", err)
	}
	return executor, nil
}

// Run execs argv in the target container. The command's exit status comes back from the API
// server as a CodeExitError.
func (r *PodExecRunner) Run(ctx context.Context, argv []string) (Result, error) {
	executor, err := r.executor(argv)
	if err != nil {
		return Result{}, err
	}
	stdout, stderr := newCappedBuffer(MaxOutputBytes), newCappedBuffer(MaxOutputBytes)
	err = executor.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: stdout, Stderr: stderr})
	if ctxErr := ctx.Err(); ctxErr != nil {
		// A canceled stream returns before its copies end: what they hold is partial.
		return Result{}, fmt.Errorf("exec %q in pod %s/%s: %w", argv, r.target.Namespace, r.target.Pod, ctxErr)
	}
	if overflow := errors.Join(stdout.overflow(), stderr.overflow()); overflow != nil {
		return Result{}, fmt.Errorf("exec %q in pod %s/%s: %w", argv, r.target.Namespace, r.target.Pod, overflow)
	}
	res := Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	var exitErr utilexec.ExitError
	switch {
	case errors.As(err, &exitErr) && exitErr.Exited():
		res.ExitCode = exitErr.ExitStatus()
	case err != nil:
		return Result{}, fmt.Errorf("exec %q in pod %s/%s: %w", argv, r.target.Namespace, r.target.Pod, err)
	}
	return res, nil
}
