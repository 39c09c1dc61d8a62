package fluxoperator_test

import (
	"context"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
)

// sizeLog records every parallelism the MiniCluster's Job had, as a watch saw it, so a row
// can ask for the smallest size between two instants: a shrink that came and went between
// two polls is still seen.
type sizeLog struct {
	mu    sync.Mutex
	steps []sizeStep
}

type sizeStep struct {
	at   time.Time
	size int32
}

// watchSizes follows Job name in namespace until t ends.
func watchSizes(t *testing.T, cs kubernetes.Interface, namespace, name string) *sizeLog {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &sizeLog{}
	lw := &cache.ListWatch{WatchFunc: func(o metav1.ListOptions) (watch.Interface, error) {
		o.FieldSelector = fields.OneTermEqualSelector("metadata.name", name).String()
		return cs.BatchV1().Jobs(namespace).Watch(ctx, o)
	}}
	list, err := cs.BatchV1().Jobs(namespace).List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := watchtools.NewRetryWatcherWithContext(ctx, list.ResourceVersion, lw)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.ResultChan() {
			if job, ok := ev.Object.(*batchv1.Job); ok && job.Spec.Parallelism != nil {
				l.add(*job.Spec.Parallelism)
			}
		}
	}()
	for _, j := range list.Items {
		if j.Name == name && j.Spec.Parallelism != nil {
			l.add(*j.Spec.Parallelism)
		}
	}
	t.Cleanup(func() {
		cancel()
		w.Stop()
		<-done
	})
	return l
}

func (l *sizeLog) add(size int32) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.steps); n == 0 || l.steps[n-1].size != size {
		l.steps = append(l.steps, sizeStep{at: time.Now(), size: size})
	}
}

// minSince is the smallest size the Job had at or after from (the size it had at from
// included), and 0 before the first one is seen.
func (l *sizeLog) minSince(from time.Time) int32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	var low int32
	for i, s := range l.steps {
		if s.at.Before(from) && i+1 < len(l.steps) && !l.steps[i+1].at.After(from) {
			continue // replaced before from
		}
		if low == 0 || s.size < low {
			low = s.size
		}
	}
	return low
}

// sizes lists the sizes in order, for the fault table.
func (l *sizeLog) sizes() []int32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]int32, len(l.steps))
	for i, s := range l.steps {
		out[i] = s.size
	}
	return out
}
