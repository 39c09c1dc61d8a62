package controller_test

import (
	"context"
	"testing"

	"github.com/fluxscale/fluxscale/metrics/simulated"
	"github.com/fluxscale/fluxscale/test/ctrltest"
)

// startMirror mirrors the Running pods of the test namespace's Job into sim (ctrltest.Mirror).
func startMirror(t *testing.T, e *env, sim *simulated.Cluster, job string) *ctrltest.Mirror {
	t.Helper()
	return ctrltest.StartMirror(t, e.Client, sim, testNamespace, job)
}

// runningPods is ctrltest.RunningPods in the test namespace.
func runningPods(ctx context.Context, e *env, job string) (int32, int32, error) {
	return ctrltest.RunningPods(ctx, e.Client, testNamespace, job)
}
