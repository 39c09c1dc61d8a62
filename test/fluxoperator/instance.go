package fluxoperator

import (
	"context"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// Instance is a MiniCluster's Flux instance as tests see it.
type Instance struct{ in *instance }

// Flux runs the real flux CLI on the host against rank 0's broker: Flux's own view.
func (i *Instance) Flux(ctx context.Context, args ...string) (string, error) {
	return i.in.Flux(ctx, args...)
}

// ResourceStatus returns the idset Flux lists in the given state column of `flux resource
// status -s STATE -n -o {ranks}` (e.g. "online", "offline", "drained", "draining").
func (i *Instance) ResourceStatus(ctx context.Context, state string) (string, error) {
	out, err := i.Flux(ctx, "resource", "status", "-s", state, "-n", "-o", "{ranks}")
	return strings.TrimSpace(out), err
}

// WaitStatus polls Flux until ranks in state read want, or fails t after timeout.
func (i *Instance) WaitStatus(t testing.TB, state, want string, timeout time.Duration) {
	t.Helper()
	var last string
	var lastErr error
	err := wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		last, lastErr = i.ResourceStatus(ctx, state)
		return lastErr == nil && last == want, nil
	})
	if err != nil {
		t.Fatalf("Flux ranks %s = %q (err %v), want %q within %s", state, last, lastErr, want, timeout)
	}
}
