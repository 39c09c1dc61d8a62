package harness

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/go-logr/logr"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	"github.com/fluxscale/fluxscale/metrics/simulated"
)

// Mirror keeps a simulated Flux cluster's size equal to the number of its Job's Running pods
// whose completion index is below the Job's parallelism: brokers join a real Flux instance
// when their pods run and leave when the Job drops them. It is what makes the simulated Flux
// follow what Kubernetes actually runs. It reacts to pod and Job events (informers), so a
// rank is up as soon as kwok marks its pod Running.
type Mirror struct {
	mu             sync.Mutex
	maxParallelism int32
}

// MaxParallelism is the largest parallelism the Job was seen with.
func (m *Mirror) MaxParallelism() int32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.maxParallelism
}

func (h *Harness) startMirror(ctx context.Context, job string, sim *simulated.Cluster, log logr.Logger) (*Mirror, error) {
	factory := informers.NewSharedInformerFactoryWithOptions(h.Clientset, 0, informers.WithNamespace(h.Namespace))
	jobs, pods := factory.Batch().V1().Jobs(), factory.Core().V1().Pods()
	nudge := make(chan struct{}, 1)
	poke := func() {
		select {
		case nudge <- struct{}{}:
		default: // a sync is already due; it will read the latest state
		}
	}
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { poke() },
		UpdateFunc: func(any, any) { poke() },
		DeleteFunc: func(any) { poke() },
	}
	for _, inf := range []cache.SharedIndexInformer{jobs.Informer(), pods.Informer()} {
		if _, err := inf.AddEventHandler(handler); err != nil {
			return nil, fmt.Errorf("watching the pods of Job %s: %w", job, err)
		}
	}
	runCtx, cancel := context.WithCancel(context.Background())
	factory.Start(runCtx.Done())
	done := make(chan struct{})
	m := &Mirror{}
	stop := func() {
		cancel()
		factory.Shutdown()
		<-done
	}
	go func() {
		defer close(done)
		for {
			select {
			case <-runCtx.Done():
				return
			case <-nudge:
			}
			n, parallelism, err := runningRanks(jobs.Lister().Jobs(h.Namespace), pods.Lister().Pods(h.Namespace), job)
			if err != nil {
				log.Error(err, "reading the Job's pods")
				continue
			}
			m.mu.Lock()
			m.maxParallelism = max(m.maxParallelism, parallelism)
			m.mu.Unlock()
			if n != sim.Size() {
				if err := sim.Resize(n); err != nil {
					log.Error(err, "mirroring Running pods into the simulated cluster", "pods", n)
				}
			}
		}
	}()
	syncCtx, cancelSync := context.WithTimeout(ctx, syncTimeout)
	defer cancelSync()
	for typ, ok := range factory.WaitForCacheSync(syncCtx.Done()) {
		if !ok {
			stop()
			return nil, fmt.Errorf("mirror of Job %s: the %v informer did not sync", job, typ)
		}
	}
	h.onStop(stop)
	poke()
	return m, nil
}

// runningRanks counts the Job's Running, not terminating pods with a completion index below
// its parallelism, and returns that parallelism; a Job not created yet has none.
func runningRanks(jobs interface {
	Get(name string) (*batchv1.Job, error)
}, pods interface {
	List(selector labels.Selector) ([]*corev1.Pod, error)
}, job string) (int32, int32, error) {
	j, err := jobs.Get(job)
	if apierrors.IsNotFound(err) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	list, err := pods.List(labels.SelectorFromSet(labels.Set{batchv1.JobNameLabel: job}))
	if err != nil {
		return 0, 0, err
	}
	parallelism := ptr.Deref(j.Spec.Parallelism, 1)
	var n int32
	for _, p := range list {
		idx, err := strconv.Atoi(p.Labels[batchv1.JobCompletionIndexAnnotation])
		if err == nil && idx < int(parallelism) && p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
			n++
		}
	}
	return min(n, parallelism), parallelism, nil
}
