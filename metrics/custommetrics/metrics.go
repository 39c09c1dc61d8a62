package custommetrics

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

// Metric names flux-metrics-api exports (flux_metrics_api/metrics.py). The server also has
// job_queue_state_new_count and job_queue_state_inactive_count; flux.State has no use for them.
const (
	MetricNodeUp        = "node_up_count"
	MetricNodeFree      = "node_free_count"
	MetricCoresUp       = "node_cores_up_count"
	MetricCoresFree     = "node_cores_free_count"
	MetricQueueDepend   = "job_queue_state_depend_count"
	MetricQueuePriority = "job_queue_state_priority_count"
	MetricQueueSched    = "job_queue_state_sched_count"
	MetricQueueRun      = "job_queue_state_run_count"
	MetricQueueCleanup  = "job_queue_state_cleanup_count"
)

// stateMetrics are read in this order. Queue counts come before node counts so that
// checkQueueCounts misfires only if the queue was empty at the first read and a job was both
// submitted and started before the node reads.
var stateMetrics = []string{
	MetricQueueDepend, MetricQueuePriority, MetricQueueSched, MetricQueueRun, MetricQueueCleanup,
	MetricNodeUp, MetricNodeFree, MetricCoresUp, MetricCoresFree,
}

// result carries one metric read out of its goroutine.
type result struct {
	value int64
	err   error
}

// read fetches one metric. The k8s.io/metrics client takes no context, so the call runs in a
// goroutine that ends within the rest.Config Timeout, and read returns as soon as ctx ends.
func (c *Client) read(ctx context.Context, gk schema.GroupKind, name string) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("reading metric %s: %w", name, err)
	}
	done := make(chan result, 1)
	go func() {
		v, err := c.readNow(gk, name)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.value, r.err
	case <-ctx.Done():
		return 0, fmt.Errorf("reading metric %s: %w", name, ctx.Err())
	}
}

func (c *Client) readNow(gk schema.GroupKind, name string) (int64, error) {
	mv, err := c.metrics.NamespacedMetrics(c.object.Namespace).GetForObject(gk, c.object.Name, name, labels.Everything())
	if err != nil {
		return 0, fmt.Errorf("reading metric %s of %s %s/%s from flux-metrics-api: %w",
			name, c.object.Resource, c.object.Namespace, c.object.Name, err)
	}
	// The server names the item after the metric asked for; a server that changed the
	// case of its state keys may echo either case, so compare without it.
	if !strings.EqualFold(mv.Metric.Name, name) {
		return 0, fmt.Errorf("reading metric %s: the server answered with metric %q", name, mv.Metric.Name)
	}
	v, ok := mv.Value.AsInt64()
	if !ok || v < 0 || v > int64(^uint32(0)>>1) {
		return 0, fmt.Errorf("reading metric %s: value %s is not a count", name, mv.Value.String())
	}
	return v, nil
}

// stateFrom builds a counts-only State from metric values keyed by metric name.
func stateFrom(v map[string]int64) (flux.State, error) {
	up, free := int32(v[MetricNodeUp]), int32(v[MetricNodeFree])
	if free > up {
		return flux.State{}, fmt.Errorf("flux-metrics-api reports %d free nodes but only %d up: inconsistent read, retry", free, up)
	}
	st := flux.State{
		Counts: flux.Counts{
			Depend:   int32(v[MetricQueueDepend]),
			Priority: int32(v[MetricQueuePriority]),
			Sched:    int32(v[MetricQueueSched]),
			Run:      int32(v[MetricQueueRun]),
			Cleanup:  int32(v[MetricQueueCleanup]),
		},
		Jobs:    []flux.Job{},
		PerRank: false,
		Nodes:   flux.NodeCounts{Up: up, Free: free, Allocated: up - free},
	}
	if up > 0 {
		st.CoresPerNode = int32(v[MetricCoresUp] / int64(up))
	}
	if err := checkQueueCounts(st); err != nil {
		return flux.State{}, err
	}
	return st, nil
}

// checkQueueCounts catches flux-metrics-api's state-name bug where it shows: nodes are
// allocated, yet every queue count is 0. With that bug every queue count reads 0, and
// believing them would hide all pending work. An idle cluster cannot show the bug, so the
// counts are trusted there; any non-zero count proves the server's state names match.
func checkQueueCounts(st flux.State) error {
	c := st.Counts
	if st.Nodes.Allocated > 0 && c.Pending()+c.Run+c.Cleanup == 0 {
		return fmt.Errorf("flux-metrics-api reports %d allocated nodes but no job in any state: its queue counts "+
			"are likely all 0 because it looks up lowercase state names while Flux reports uppercase ones; "+
			"use flux.source Exec or Agent for queue state", st.Nodes.Allocated)
	}
	return nil
}
