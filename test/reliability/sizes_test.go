package reliability

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
)

// sizeRecord is one size the target had, with when the watch saw it and whether the source
// was faulty then.
type sizeRecord struct {
	size   int32
	at     time.Time
	faulty bool
}

// sizeRecorder records every parallelism a Job had, through a watch (not polling, which
// could miss a short-lived size), tagged with the fault state at that moment.
type sizeRecorder struct {
	faulty func() bool

	mu      sync.Mutex
	records []sizeRecord
}

// recordSizes watches the Job until the test ends; faulty says whether the source is faulty.
func recordSizes(t *testing.T, e *env, ns, job string, faulty func() bool) *sizeRecorder {
	t.Helper()
	r := &sizeRecorder{faulty: faulty}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	jobs := e.Cluster.Client().BatchV1().Jobs(ns)
	sel := fields.OneTermEqualSelector("metadata.name", job).String()
	go func() {
		defer close(done)
		rv := ""
		for ctx.Err() == nil {
			w, err := jobs.Watch(ctx, metav1.ListOptions{FieldSelector: sel, ResourceVersion: rv, AllowWatchBookmarks: true})
			if err != nil {
				rv = "" // e.g. resourceVersion too old: start again from now
				select {
				case <-ctx.Done():
				case <-time.After(50 * time.Millisecond):
				}
				continue
			}
			for ev := range w.ResultChan() {
				j, ok := ev.Object.(*batchv1.Job)
				if !ok {
					continue
				}
				rv = j.ResourceVersion
				if ev.Type == watch.Added || ev.Type == watch.Modified {
					r.add(ptr.Deref(j.Spec.Parallelism, 1))
				}
			}
			w.Stop()
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return r
}

func (r *sizeRecorder) add(size int32) {
	faulty := r.faulty()
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.records); n > 0 && r.records[n-1].size == size && r.records[n-1].faulty == faulty {
		return // a change to something else than the size
	}
	r.records = append(r.records, sizeRecord{size: size, at: time.Now(), faulty: faulty})
}

// sizes returns the distinct consecutive sizes seen.
func (r *sizeRecorder) sizes() []int32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int32
	for _, rec := range r.records {
		if len(out) == 0 || out[len(out)-1] != rec.size {
			out = append(out, rec.size)
		}
	}
	return out
}

// decreaseWhileFaulty returns a description of the first size decrease seen while the
// source was faulty, or "".
func (r *sizeRecorder) decreaseWhileFaulty() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := 1; i < len(r.records); i++ {
		prev, cur := r.records[i-1], r.records[i]
		if cur.faulty && cur.size < prev.size {
			return fmt.Sprintf("size %d -> %d at %s while the source was faulty", prev.size, cur.size, cur.at.Format("15:04:05.000"))
		}
	}
	return ""
}
