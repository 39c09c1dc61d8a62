package benchkit

import (
	"context"
	"fmt"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// waitPoll is how often a waiter looks at the watch's record. It does not bound the
// precision of a measurement: each observation is timestamped by the watch itself.
const waitPoll = 2 * time.Millisecond

// SizeWatch watches a namespace's Jobs and records, per Job, every parallelism change and
// when the watch saw it: the moment a user or a kubectl watch would see the new size.
type SizeWatch struct {
	onChange func(job string, size int32)

	mu   sync.Mutex
	seen map[string][]Observation
}

// Observation is a Job's parallelism as seen by the watch at a time.
type Observation struct {
	Size int32
	At   time.Time
}

// WatchSizes runs a watch of the namespace's Jobs until ctx ends. onChange, when not nil,
// is called (from the watch's goroutine) with each new parallelism before it is recorded.
func WatchSizes(ctx context.Context, cs kubernetes.Interface, namespace string, onChange func(job string, size int32)) (*SizeWatch, error) {
	w := &SizeWatch{seen: map[string][]Observation{}, onChange: onChange}
	list, err := cs.BatchV1().Jobs(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing Jobs: %w", err)
	}
	for _, j := range list.Items {
		w.observe(j.Name, ptr.Deref(j.Spec.Parallelism, 1), time.Now())
	}
	rv := list.ResourceVersion
	go func() {
		for ctx.Err() == nil {
			wi, err := cs.BatchV1().Jobs(namespace).Watch(ctx, metav1.ListOptions{ResourceVersion: rv})
			if err != nil {
				time.Sleep(100 * time.Millisecond) // a program, not a test: pause before re-watching
				continue
			}
			for ev := range wi.ResultChan() {
				j, ok := ev.Object.(*batchv1.Job)
				if !ok {
					continue
				}
				rv = j.ResourceVersion
				if ev.Type == watch.Added || ev.Type == watch.Modified {
					w.observe(j.Name, ptr.Deref(j.Spec.Parallelism, 1), time.Now())
				}
			}
			wi.Stop()
		}
	}()
	return w, nil
}

func (w *SizeWatch) observe(name string, size int32, at time.Time) {
	w.mu.Lock()
	obs := w.seen[name]
	if n := len(obs); n > 0 && obs[n-1].Size == size {
		w.mu.Unlock()
		return
	}
	w.mu.Unlock()
	// Before the observation is recorded, so whoever waits for it finds onChange done.
	if w.onChange != nil {
		w.onChange(name, size)
	}
	w.mu.Lock()
	w.seen[name] = append(w.seen[name], Observation{Size: size, At: at})
	w.mu.Unlock()
}

// Current returns the Job's last seen parallelism (0: never seen).
func (w *SizeWatch) Current(job string) int32 {
	w.mu.Lock()
	defer w.mu.Unlock()
	obs := w.seen[job]
	if len(obs) == 0 {
		return 0
	}
	return obs[len(obs)-1].Size
}

// Changes returns how many parallelism changes of the Job the watch has seen.
func (w *SizeWatch) Changes(job string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.seen[job])
}

// WaitFor waits up to timeout for the Job to be seen at size at or after since, and returns
// the first such time.
func (w *SizeWatch) WaitFor(ctx context.Context, job string, size int32, since time.Time, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for {
		w.mu.Lock()
		for _, o := range w.seen[job] {
			if o.Size == size && !o.At.Before(since) {
				w.mu.Unlock()
				return o.At, nil
			}
		}
		w.mu.Unlock()
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("job %s: parallelism %d, want %d after %s", job, w.Current(job), size, timeout)
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-time.After(waitPoll):
		}
	}
}

// WaitCount waits up to timeout until n Jobs are last seen at size, and returns when the
// last of them got there.
func (w *SizeWatch) WaitCount(ctx context.Context, n int, size int32, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for {
		got, last := w.countAt(size)
		if got >= n {
			return last, nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("%d of %d Jobs at parallelism %d after %s", got, n, size, timeout)
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (w *SizeWatch) countAt(size int32) (int, time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var n int
	var last time.Time
	for _, obs := range w.seen {
		if o := obs[len(obs)-1]; o.Size == size {
			n++
			last = maxTime(last, o.At)
		}
	}
	return n, last
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Reached returns, for each object seen at size at or after since, how long after since it
// first got there: the spread behind WaitCount's last time.
func (w *SizeWatch) Reached(size int32, since time.Time) []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []time.Duration
	for _, obs := range w.seen {
		for _, o := range obs {
			if o.Size == size && !o.At.Before(since) {
				out = append(out, o.At.Sub(since))
				break
			}
		}
	}
	return out
}
