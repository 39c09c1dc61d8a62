package reliability

import (
	"context"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/metrics/simulated"
)

// newSim is a simulated Flux cluster of maxSize ranks, none up until the mirror sees pods,
// whose virtual time follows the real clock.
func newSim(t *testing.T, maxSize int32) *simulated.Cluster {
	t.Helper()
	sim, err := simulated.New(simulated.Options{Start: time.Now(), MaxSize: maxSize})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sim.Follow(ctx, clock.RealClock{}, 20*time.Millisecond) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("simulated cluster: %v", err)
		}
	})
	return sim
}

// submit queues n jobs of one node each running for d, with ids from firstID.
func submit(t *testing.T, sim *simulated.Cluster, firstID uint64, n int, d time.Duration) {
	t.Helper()
	for i := range n {
		if err := sim.Submit(simulated.Job{ID: firstID + uint64(i), NNodes: 1, Runtime: d}); err != nil {
			t.Fatal(err)
		}
	}
}

// startMirror keeps sim's size at the number of Running pods of the Job (completion index
// below its parallelism), as brokers joining and leaving a real Flux instance would.
func startMirror(t *testing.T, e *env, sim *simulated.Cluster, ns, job string) {
	t.Helper()
	var mu sync.Mutex
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		wait.UntilWithContext(ctx, func(ctx context.Context) {
			n, err := runningPods(ctx, e, ns, job)
			if err != nil {
				return // the Job may not exist (yet, or any more)
			}
			mu.Lock()
			defer mu.Unlock()
			if n != sim.Size() {
				if err := sim.Resize(n); err != nil {
					t.Errorf("mirroring %d running pods into the simulated cluster: %v", n, err)
				}
			}
		}, 25*time.Millisecond)
	}()
	t.Cleanup(func() { cancel(); <-done })
}

// runningPods counts the Job's Running, not terminating pods with an index below its
// parallelism.
func runningPods(ctx context.Context, e *env, ns, job string) (int32, error) {
	var j batchv1.Job
	if err := e.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: job}, &j); err != nil {
		return 0, err
	}
	var pods corev1.PodList
	// By the Job's uid, not its name: pods of a deleted Job of the same name are not ranks.
	if err := e.client.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabels{batchv1.ControllerUidLabel: string(j.UID)}); err != nil {
		return 0, err
	}
	parallelism := ptr.Deref(j.Spec.Parallelism, 1)
	var n int32
	for _, p := range pods.Items {
		idx, ok := completionIndex(p.Labels[batchv1.JobCompletionIndexAnnotation])
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil && ok && idx < parallelism {
			n++
		}
	}
	return min(n, parallelism), nil
}

// podCount counts the Job's pods in any phase, terminating ones included.
func podCount(ctx context.Context, e *env, ns, job string) (int, error) {
	var pods corev1.PodList
	err := e.client.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabels{batchv1.JobNameLabel: job})
	return len(pods.Items), err
}

func completionIndex(s string) (int32, bool) {
	var n int32
	for _, c := range s {
		if c < '0' || c > '9' || n > 1<<20 {
			return 0, false
		}
		n = n*10 + int32(c-'0')
	}
	return n, s != ""
}

// createIndexedJob creates a bare Indexed Job of size pods pinned to the env's node.
func createIndexedJob(t *testing.T, e *env, ns, name string, size int32) {
	t.Helper()
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
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
