package controller_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// policyStatus reads the policy's status.
func policyStatus(ctx context.Context, e *env, name string) (v1alpha1.ScalingPolicyStatus, error) {
	var sp v1alpha1.ScalingPolicy
	err := e.client.Get(ctx, client.ObjectKey{Namespace: testNamespace, Name: name}, &sp)
	return sp.Status, err
}

// conditionIs reports whether the policy's condition typ has status/reason, and what it has.
func conditionIs(ctx context.Context, e *env, name, typ, want string) (bool, string) {
	st, err := policyStatus(ctx, e, name)
	if err != nil {
		return false, err.Error()
	}
	c := meta.FindStatusCondition(st.Conditions, typ)
	if c == nil {
		return false, typ + " not set"
	}
	got := string(c.Status) + "/" + c.Reason
	return got == want, got + ": " + c.Message
}

// policyEvents returns the events recorded on the policy.
func policyEvents(ctx context.Context, e *env, name string) ([]eventsv1.Event, error) {
	return eventsOf(ctx, e, "ScalingPolicy", name)
}

// eventsOf returns the events recorded on an object of the test namespace.
func eventsOf(ctx context.Context, e *env, kind, name string) ([]eventsv1.Event, error) {
	var list eventsv1.EventList
	if err := e.client.List(ctx, &list, client.InNamespace(testNamespace)); err != nil {
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

// describe lists events one per line, for failure messages.
func describe(evs []eventsv1.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		fmt.Fprintf(&b, "  %s %s: %s\n", ev.Type, ev.Reason, ev.Note)
	}
	return b.String()
}

// eventCounts counts the policy's events by reason; a repeated event counts each time
// (events.k8s.io merges repeats into a series).
func eventCounts(evs []eventsv1.Event) map[string]int {
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

// createIndexedJob creates a bare Indexed Job of size pods pinned to the env's node.
func createIndexedJob(t *testing.T, e *env, name string, size int32) {
	t.Helper()
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNamespace},
		Spec: batchv1.JobSpec{
			Parallelism:    ptr.To(size),
			Completions:    ptr.To(size),
			CompletionMode: ptr.To(batchv1.IndexedCompletion),
			BackoffLimit:   ptr.To[int32](100),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				NodeName:      e.node,
				RestartPolicy: corev1.RestartPolicyNever,
				Containers:    []corev1.Container{{Name: "flux", Image: "flux:test"}},
			}},
		},
	}
	if err := e.client.Create(t.Context(), job); err != nil {
		t.Fatal(err)
	}
}

// jobParallelism reads a Job's parallelism (and checks completions equals it).
func jobParallelism(ctx context.Context, e *env, name string) (int32, string) {
	var j batchv1.Job
	if err := e.client.Get(ctx, client.ObjectKey{Namespace: testNamespace, Name: name}, &j); err != nil {
		return -1, err.Error()
	}
	p, c := ptr.Deref(j.Spec.Parallelism, 1), ptr.Deref(j.Spec.Completions, 1)
	if p != c {
		return -1, "parallelism differs from completions"
	}
	return p, ""
}

// lockedLog collects the manager's log lines.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) write(prefix, args string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(time.Now().Format("15:04:05.000 "))
	l.b.WriteString(prefix)
	l.b.WriteString(" ")
	l.b.WriteString(args)
	l.b.WriteString("\n")
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
