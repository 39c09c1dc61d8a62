package minicluster_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/test/minicluster"
)

// waitFor polls cond every 100 ms for up to a minute; on timeout it fails with what the last
// successful poll saw, which cond returns as its string. An error from cond stops the wait.
func waitFor(t *testing.T, what string, cond func(ctx context.Context) (bool, string, error)) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		ok, seen, err := cond(ctx)
		if err == nil {
			last = seen
		}
		return ok, err
	})
	if err != nil {
		t.Fatalf("waiting for %s: %v; last seen: %s", what, err, last)
	}
}

// scaleTo writes spec.replicas through the MiniCluster's /scale subresource, as fluxscale
// and `kubectl scale` do.
func scaleTo(t *testing.T, c client.Client, ns, name string, size int32) {
	t.Helper()
	mc := miniClusterKey(ns, name)
	scale := &autoscalingv1.Scale{}
	if err := c.SubResource("scale").Get(t.Context(), mc, scale); err != nil {
		t.Fatalf("reading /scale: %v", err)
	}
	scale.Spec.Replicas = size
	if err := c.SubResource("scale").Update(t.Context(), mc, client.WithSubResourceBody(scale)); err != nil {
		t.Fatalf("scaling to %d through /scale: %v", size, err)
	}
}

// miniClusterKey is a typed MiniCluster naming ns/name: controller-runtime's unstructured
// client cannot take a typed Scale as a subresource body.
func miniClusterKey(ns, name string) *minicluster.MiniCluster {
	mc := &minicluster.MiniCluster{}
	mc.Namespace, mc.Name = ns, name
	return mc
}

// readScale returns "spec=N status=M selector=S" from the /scale subresource.
func readScale(ctx context.Context, c client.Client, ns, name string) (string, error) {
	scale := &autoscalingv1.Scale{}
	if err := c.SubResource("scale").Get(ctx, miniClusterKey(ns, name), scale); err != nil {
		return "", err
	}
	return fmt.Sprintf("spec=%d status=%d selector=%s", scale.Spec.Replicas, scale.Status.Replicas, scale.Status.Selector), nil
}

// waitJobSize waits until the Job has parallelism == completions == size.
func waitJobSize(t *testing.T, c client.Client, ns, name string, size int32) {
	t.Helper()
	waitFor(t, fmt.Sprintf("Job %s parallelism and completions %d", name, size), func(ctx context.Context) (bool, string, error) {
		job := &batchv1.Job{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, job); err != nil {
			return false, err.Error(), client.IgnoreNotFound(err)
		}
		p, comp := ptr.Deref(job.Spec.Parallelism, -1), ptr.Deref(job.Spec.Completions, -1)
		return p == size && comp == size, fmt.Sprintf("parallelism=%d completions=%d", p, comp), nil
	})
}

// waitRunning waits until the MiniCluster's pods are exactly indexes 0..size-1, all Running,
// none being deleted, each labelled job-index with its completion index.
func waitRunning(t *testing.T, c client.Client, ns, name string, size int) {
	t.Helper()
	want := make([]string, size)
	for i := range size {
		want[i] = fmt.Sprintf("%d:Running:job-index=%d", i, i)
	}
	waitFor(t, fmt.Sprintf("%d Running pods", size), func(ctx context.Context) (bool, string, error) {
		pods := &corev1.PodList{}
		if err := c.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels{minicluster.SelectorLabel: name}); err != nil {
			return false, err.Error(), err
		}
		var got []string
		for _, p := range pods.Items {
			state := string(p.Status.Phase)
			if p.DeletionTimestamp != nil {
				state = "Deleting"
			}
			got = append(got, fmt.Sprintf("%s:%s:job-index=%s", p.Annotations[batchv1.JobCompletionIndexAnnotation], state, p.Labels[minicluster.IndexLabel]))
		}
		slices.SortFunc(got, byIndex)
		return slices.Equal(got, want), strings.Join(got, " "), nil
	})
}

func byIndex(a, b string) int {
	ai, _ := strconv.Atoi(strings.SplitN(a, ":", 2)[0])
	bi, _ := strconv.Atoi(strings.SplitN(b, ":", 2)[0])
	return ai - bi
}

// waitEvent waits for an event on the MiniCluster with reason and a note containing text.
func waitEvent(t *testing.T, c client.Client, ns, name, reason, text string) {
	t.Helper()
	waitFor(t, fmt.Sprintf("event %s %q", reason, text), func(ctx context.Context) (bool, string, error) {
		events := &eventsv1.EventList{}
		if err := c.List(ctx, events, client.InNamespace(ns)); err != nil {
			return false, err.Error(), err
		}
		var seen []string
		for _, e := range events.Items {
			if e.Regarding.Name != name || e.Regarding.Kind != minicluster.Kind {
				continue
			}
			seen = append(seen, e.Reason+": "+e.Note)
			if e.Reason == reason && strings.Contains(e.Note, text) {
				return true, "", nil
			}
		}
		return false, strings.Join(seen, "; "), nil
	})
}
