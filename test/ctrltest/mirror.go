package ctrltest

import (
	"context"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/metrics/simulated"
)

// Mirror keeps a simulated Flux cluster's size at the number of Running pods of a Job
// (completion index below its parallelism), as brokers joining and leaving a real Flux
// instance would: it is what makes the simulated Flux follow what Kubernetes actually runs.
// It also tracks the largest parallelism the Job ever had.
type Mirror struct {
	mu             sync.Mutex
	maxParallelism int32
}

// StartMirror mirrors the Job ns/job into sim every 25 ms until the test ends. A Job that
// does not exist (yet, or any more) leaves sim as it is.
func StartMirror(t *testing.T, c client.Client, sim *simulated.Cluster, ns, job string) *Mirror {
	t.Helper()
	m := &Mirror{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		wait.UntilWithContext(ctx, func(ctx context.Context) {
			n, parallelism, err := RunningPods(ctx, c, ns, job)
			if err != nil {
				return // the Job may not exist (yet, or any more)
			}
			m.mu.Lock()
			defer m.mu.Unlock()
			m.maxParallelism = max(m.maxParallelism, parallelism)
			if n != sim.Size() {
				if err := sim.Resize(n); err != nil {
					t.Errorf("mirroring %d running pods into the simulated cluster: %v", n, err)
				}
			}
		}, 25*time.Millisecond)
	}()
	t.Cleanup(func() { cancel(); <-done })
	return m
}

// LargestParallelism is the largest parallelism the Job was seen with.
func (m *Mirror) LargestParallelism() int32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.maxParallelism
}

// RunningPods counts the Job's Running, not terminating pods with a completion index below
// its parallelism, and returns that parallelism.
func RunningPods(ctx context.Context, c client.Client, ns, job string) (int32, int32, error) {
	var j batchv1.Job
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: job}, &j); err != nil {
		return 0, 0, err
	}
	var pods corev1.PodList
	// By the Job's uid, not its name: pods of a deleted Job of the same name are not ranks.
	if err := c.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabels{batchv1.ControllerUidLabel: string(j.UID)}); err != nil {
		return 0, 0, err
	}
	parallelism := ptr.Deref(j.Spec.Parallelism, 1)
	var n int32
	for _, p := range pods.Items {
		idx, ok := completionIndex(p.Labels[batchv1.JobCompletionIndexAnnotation])
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil && ok && idx < parallelism {
			n++
		}
	}
	return min(n, parallelism), parallelism, nil
}

// PodCount counts the pods labelled with the Job's name in any phase, terminating ones
// included.
func PodCount(ctx context.Context, c client.Client, ns, job string) (int, error) {
	var pods corev1.PodList
	err := c.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabels{batchv1.JobNameLabel: job})
	return len(pods.Items), err
}

// completionIndex parses a completion index label; false when it is not a small decimal.
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
