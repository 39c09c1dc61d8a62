// Package podmetrics reads the CPU and memory use of a scale target's pods from
// metrics.k8s.io (metrics-server) and relates it to the pods' requests, the way the
// HorizontalPodAutoscaler does for resource metrics.
package podmetrics

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	metricsv1beta1 "k8s.io/metrics/pkg/client/clientset/versioned/typed/metrics/v1beta1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Usage is the resource use of a target's pods. Percents are request-weighted means: the
// sum of the counted pods' usage over the sum of their requests (as HPA computes
// utilization), which is the plain mean for pods alike, as a MiniCluster's are.
type Usage struct {
	// CPUPercent is the CPU use as a percent of the CPU requests (may exceed 100).
	CPUPercent int32
	// Pods is how many pods CPUPercent covers.
	Pods int32
	// MemoryPercent is the memory working set as a percent of the memory requests, over the
	// MemoryPods counted pods that request memory for every container.
	MemoryPercent int32
	// MemoryPods is how many pods MemoryPercent covers; 0 means MemoryPercent is unknown.
	MemoryPods int32
	// NoCPURequest counts running pods skipped because a container has no CPU request:
	// their use cannot be a percent of anything.
	NoCPURequest int32
	// NoMetrics counts running pods skipped because metrics-server has no sample for them
	// yet (new pods) or not for every container.
	NoMetrics int32
	// Skipped names up to MaxSkippedNames of the skipped pods, for messages.
	Skipped []string
}

// MaxSkippedNames bounds Usage.Skipped.
const MaxSkippedNames = 5

// Reader reads pod usage. It is safe for concurrent use.
type Reader struct {
	metrics metricsv1beta1.PodMetricsesGetter
	pods    client.Reader
}

// NewReader returns a Reader that lists pods through pods (a manager's cached client: the
// cache must be allowed to list pods in the namespaces read) and their metrics through
// metrics (versioned.NewForConfig(cfg).MetricsV1beta1()).
func NewReader(metrics metricsv1beta1.PodMetricsesGetter, pods client.Reader) *Reader {
	return &Reader{metrics: metrics, pods: pods}
}

// Read returns the use of the running pods in namespace that selector matches. Pods that are
// not running, or are being deleted, are left out; running pods without a CPU request on
// every container, or without metrics, are skipped and counted. It is an error when no pod
// could be counted, so a caller never mistakes "unknown" for 0 %.
func (r *Reader) Read(ctx context.Context, namespace string, selector labels.Selector) (Usage, error) {
	var pods corev1.PodList
	if err := r.pods.List(ctx, &pods, client.InNamespace(namespace), client.MatchingLabelsSelector{Selector: selector}); err != nil {
		return Usage{}, fmt.Errorf("listing pods %q in %s: %w", selector.String(), namespace, err)
	}
	list, err := r.metrics.PodMetricses(namespace).List(ctx, listOptions(selector))
	if err != nil {
		return Usage{}, fmt.Errorf("reading pod metrics %q in %s from metrics.k8s.io: %w", selector.String(), namespace, err)
	}
	samples := make(map[string]map[string]corev1.ResourceList, len(list.Items))
	for _, pm := range list.Items {
		byName := make(map[string]corev1.ResourceList, len(pm.Containers))
		for _, c := range pm.Containers {
			byName[c.Name] = c.Usage
		}
		samples[pm.Name] = byName
	}
	u := compute(pods.Items, samples)
	if u.Pods == 0 {
		return u, fmt.Errorf("no pod %q in %s has both CPU requests and metrics (%d without a CPU request, %d without metrics; e.g. %v): "+
			"set resources.requests.cpu on every container and check that metrics-server runs",
			selector.String(), namespace, u.NoCPURequest, u.NoMetrics, u.Skipped)
	}
	return u, nil
}
