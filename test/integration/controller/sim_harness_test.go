package controller_test

import (
	"context"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
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

// submit queues n jobs of one node each running for d.
func submit(t *testing.T, sim *simulated.Cluster, firstID uint64, n int, d time.Duration) {
	t.Helper()
	for i := range n {
		if err := sim.Submit(simulated.Job{ID: firstID + uint64(i), NNodes: 1, Runtime: d}); err != nil {
			t.Fatal(err)
		}
	}
}

// mirror keeps sim's size at the number of Running pods of the Job (completion index below
// its parallelism), as brokers joining and leaving a real Flux instance would: it is what
// makes the simulated Flux follow what Kubernetes actually runs. It also tracks the largest
// parallelism the Job ever had.
type mirror struct {
	mu             sync.Mutex
	maxParallelism int32
}

func startMirror(t *testing.T, e *env, sim *simulated.Cluster, job string) *mirror {
	t.Helper()
	m := &mirror{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		wait.UntilWithContext(ctx, func(ctx context.Context) {
			n, parallelism, err := runningPods(ctx, e, job)
			if err != nil {
				return // the Job may not exist yet
			}
			m.mu.Lock()
			m.maxParallelism = max(m.maxParallelism, parallelism)
			m.mu.Unlock()
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

func (m *mirror) largestParallelism() int32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.maxParallelism
}

// runningPods counts the Job's Running, not terminating pods with an index below its
// parallelism, and returns the parallelism.
func runningPods(ctx context.Context, e *env, job string) (int32, int32, error) {
	var j batchv1.Job
	if err := e.client.Get(ctx, client.ObjectKey{Namespace: testNamespace, Name: job}, &j); err != nil {
		return 0, 0, err
	}
	var pods corev1.PodList
	if err := e.client.List(ctx, &pods, client.InNamespace(testNamespace), client.MatchingLabels{batchv1.JobNameLabel: job}); err != nil {
		return 0, 0, err
	}
	parallelism := ptr.Deref(j.Spec.Parallelism, 1)
	var n int32
	for _, p := range pods.Items {
		idx := p.Labels[batchv1.JobCompletionIndexAnnotation]
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil && indexBelow(idx, parallelism) {
			n++
		}
	}
	return min(n, parallelism), parallelism, nil
}

func indexBelow(idx string, limit int32) bool {
	var n int32
	for _, c := range idx {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int32(c-'0')
	}
	return idx != "" && n < limit
}
