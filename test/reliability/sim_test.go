package reliability

import (
	"context"
	"testing"

	"github.com/fluxscale/fluxscale/metrics/simulated"
	"github.com/fluxscale/fluxscale/test/ctrltest"
)

// startMirror mirrors the Running pods of Job ns/job into sim (ctrltest.Mirror).
func startMirror(t *testing.T, e *env, sim *simulated.Cluster, ns, job string) {
	t.Helper()
	ctrltest.StartMirror(t, e.Client, sim, ns, job)
}

// runningPods counts the Job's Running, not terminating pods with an index below its
// parallelism (ctrltest.RunningPods).
func runningPods(ctx context.Context, e *env, ns, job string) (int32, error) {
	n, _, err := ctrltest.RunningPods(ctx, e.Client, ns, job)
	return n, err
}

// podCount counts the Job's pods in any phase, terminating ones included.
func podCount(ctx context.Context, e *env, ns, job string) (int, error) {
	return ctrltest.PodCount(ctx, e.Client, ns, job)
}

// createIndexedJob creates a bare Indexed Job of size pods pinned to the env's node.
func createIndexedJob(t *testing.T, e *env, ns, name string, size int32) {
	t.Helper()
	ctrltest.CreateIndexedJob(t, e.Client, ns, name, e.Node, size)
}
