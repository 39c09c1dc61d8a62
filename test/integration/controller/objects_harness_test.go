package controller_test

import (
	"context"
	"testing"

	eventsv1 "k8s.io/api/events/v1"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/test/ctrltest"
)

// policyStatus reads the policy's status.
func policyStatus(ctx context.Context, e *env, name string) (v1alpha1.ScalingPolicyStatus, error) {
	return ctrltest.PolicyStatus(ctx, e.Client, testNamespace, name)
}

// conditionIs reports whether the policy's condition typ has status/reason, and what it has.
func conditionIs(ctx context.Context, e *env, name, typ, want string) (bool, string) {
	return ctrltest.ConditionIs(ctx, e.Client, testNamespace, name, typ, want)
}

// policyEvents returns the events recorded on the policy.
func policyEvents(ctx context.Context, e *env, name string) ([]eventsv1.Event, error) {
	return eventsOf(ctx, e, "ScalingPolicy", name)
}

// eventsOf returns the events recorded on an object of the test namespace.
func eventsOf(ctx context.Context, e *env, kind, name string) ([]eventsv1.Event, error) {
	return ctrltest.EventsOf(ctx, e.Client, testNamespace, kind, name)
}

// describe is ctrltest.Describe.
func describe(evs []eventsv1.Event) string { return ctrltest.Describe(evs) }

// eventCounts is ctrltest.EventCounts.
func eventCounts(evs []eventsv1.Event) map[string]int { return ctrltest.EventCounts(evs) }

// createIndexedJob creates a bare Indexed Job of size pods pinned to the env's node.
func createIndexedJob(t *testing.T, e *env, name string, size int32) {
	t.Helper()
	ctrltest.CreateIndexedJob(t, e.Client, testNamespace, name, e.Node, size)
}

// jobParallelism reads a Job's parallelism (and checks completions equals it).
func jobParallelism(ctx context.Context, e *env, name string) (int32, string) {
	return ctrltest.JobParallelism(ctx, e.Client, testNamespace, name)
}
