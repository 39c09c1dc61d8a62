package harness

import (
	"context"
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/test/minicluster"
)

// TargetSize reads the size fluxscale writes: a MiniCluster's spec.size, a Job's parallelism.
func (h *Harness) TargetSize(ctx context.Context, ref v1alpha1.TargetRef) (int32, error) {
	key := client.ObjectKey{Namespace: h.Namespace, Name: ref.Name}
	switch {
	case ref.Kind == minicluster.Kind:
		var mc minicluster.MiniCluster
		if err := h.Client.Get(ctx, key, &mc); err != nil {
			return 0, err
		}
		return mc.Spec.Size, nil
	case ref.Kind == "Job" && ref.APIVersion == "batch/v1":
		var j batchv1.Job
		if err := h.Client.Get(ctx, key, &j); err != nil {
			return 0, err
		}
		p, c := ptr.Deref(j.Spec.Parallelism, 1), ptr.Deref(j.Spec.Completions, 1)
		if p != c {
			return 0, fmt.Errorf("Job %s has parallelism %d but completions %d: an elastic Indexed Job keeps them equal", ref.Name, p, c)
		}
		return p, nil
	}
	return 0, fmt.Errorf("the harness reads MiniClusters and batch/v1 Jobs, not %s %s", ref.APIVersion, ref.Kind)
}

// RunningPods counts the Job's Running pods that are not being deleted.
func (h *Harness) RunningPods(ctx context.Context, job string) (int32, error) {
	var pods corev1.PodList
	if err := h.Client.List(ctx, &pods, client.InNamespace(h.Namespace), client.MatchingLabels{batchv1.JobNameLabel: job}); err != nil {
		return 0, err
	}
	var n int32
	for _, p := range pods.Items {
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
			n++
		}
	}
	return n, nil
}

// Policy reads a ScalingPolicy of the harness namespace.
func (h *Harness) Policy(ctx context.Context, name string) (*v1alpha1.ScalingPolicy, error) {
	var sp v1alpha1.ScalingPolicy
	if err := h.Client.Get(ctx, client.ObjectKey{Namespace: h.Namespace, Name: name}, &sp); err != nil {
		return nil, err
	}
	return &sp, nil
}

// EventCounts counts the events recorded on an object of the harness namespace by reason; a
// repeated event counts each time (events.k8s.io merges repeats into a series).
func (h *Harness) EventCounts(ctx context.Context, kind, name string) (map[string]int, error) {
	var list eventsv1.EventList
	if err := h.Client.List(ctx, &list, client.InNamespace(h.Namespace)); err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, ev := range list.Items {
		if ev.Regarding.Kind != kind || ev.Regarding.Name != name {
			continue
		}
		n := 1
		if ev.Series != nil {
			n = int(ev.Series.Count)
		}
		out[ev.Reason] += n
	}
	return out, nil
}

// Metric sums a counter, or a histogram's count and sum, of the controller's metric name
// over the series whose labels include every label given.
func (c *Controller) Metric(name string, labels map[string]string) (count uint64, sum float64, err error) {
	families, err := c.Registry.Gather()
	if err != nil {
		return 0, 0, fmt.Errorf("gathering the controller's metrics: %w", err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			matched := 0
			for _, l := range m.GetLabel() {
				if v, ok := labels[l.GetName()]; ok && v == l.GetValue() {
					matched++
				}
			}
			if matched != len(labels) {
				continue
			}
			if hist := m.GetHistogram(); hist != nil {
				count += hist.GetSampleCount()
				sum += hist.GetSampleSum()
			}
			if ctr := m.GetCounter(); ctr != nil {
				count += uint64(ctr.GetValue())
			}
		}
	}
	return count, sum, nil
}
