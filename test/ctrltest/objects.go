package ctrltest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// PolicyStatus reads the policy's status.
func PolicyStatus(ctx context.Context, c client.Client, ns, name string) (v1alpha1.ScalingPolicyStatus, error) {
	var sp v1alpha1.ScalingPolicy
	err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &sp)
	return sp.Status, err
}

// ConditionIs reports whether the policy's condition typ reads want ("True/Reason"), and
// what it reads.
func ConditionIs(ctx context.Context, c client.Client, ns, name, typ, want string) (bool, string) {
	st, err := PolicyStatus(ctx, c, ns, name)
	if err != nil {
		return false, err.Error()
	}
	cond := meta.FindStatusCondition(st.Conditions, typ)
	if cond == nil {
		return false, typ + " not set"
	}
	got := string(cond.Status) + "/" + cond.Reason
	return got == want, got + ": " + cond.Message
}

// EventsOf returns the events recorded on the object kind ns/name.
func EventsOf(ctx context.Context, c client.Client, ns, kind, name string) ([]eventsv1.Event, error) {
	var list eventsv1.EventList
	if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	var out []eventsv1.Event
	for _, ev := range list.Items {
		if ev.Regarding.Kind == kind && ev.Regarding.Name == name {
			out = append(out, ev)
		}
	}
	return out, nil
}

// Describe lists events one per line, for failure messages.
func Describe(evs []eventsv1.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		fmt.Fprintf(&b, "  %s %s: %s\n", ev.Type, ev.Reason, ev.Note)
	}
	return b.String()
}

// EventCounts counts events by reason; a repeated event counts each time (events.k8s.io
// merges repeats into a series).
func EventCounts(evs []eventsv1.Event) map[string]int {
	out := map[string]int{}
	for _, ev := range evs {
		n := 1
		if ev.Series != nil {
			n = int(ev.Series.Count)
		}
		out[ev.Reason] += n
	}
	return out
}

// CreateIndexedJob creates a bare Indexed Job ns/name of size pods pinned to node.
func CreateIndexedJob(t *testing.T, c client.Client, ns, name, node string, size int32) {
	t.Helper()
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: batchv1.JobSpec{
			Parallelism:    ptr.To(size),
			Completions:    ptr.To(size),
			CompletionMode: ptr.To(batchv1.IndexedCompletion),
			BackoffLimit:   ptr.To[int32](100),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				NodeName:      node,
				RestartPolicy: corev1.RestartPolicyNever,
				Containers:    []corev1.Container{{Name: "flux", Image: "flux:test"}},
			}},
		},
	}
	if err := c.Create(t.Context(), job); err != nil {
		t.Fatal(err)
	}
}

// JobParallelism reads a Job's parallelism; -1 and why when it cannot, or when completions
// differs from it.
func JobParallelism(ctx context.Context, c client.Client, ns, name string) (int32, string) {
	var j batchv1.Job
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &j); err != nil {
		return -1, err.Error()
	}
	p, completions := ptr.Deref(j.Spec.Parallelism, 1), ptr.Deref(j.Spec.Completions, 1)
	if p != completions {
		return -1, "parallelism differs from completions"
	}
	return p, ""
}
