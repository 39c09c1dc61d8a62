package main

import (
	"context"
	"sync/atomic"

	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/metrics/simulated"
)

// countingCluster is the benchmark's counting wrapper: a policy's simulated Flux cluster that
// counts the controller's reads of it (State calls) and its watch's returns, so the report
// can say how often the controller read Flux beside how many changes the watches brought (a
// pass a watch triggers may decide on the state the watch delivered rather than read).
// hangable wraps it, so a call that hangs never reaches it and is not counted. Every other
// method, the optional ones the controller looks for on a Watcher too, is the cluster's.
// The counters are safe for concurrent use.
type countingCluster struct {
	*simulated.Cluster
	reads, watchReturns, deliveries atomic.Int64
}

var (
	_ flux.Client  = (*countingCluster)(nil)
	_ flux.Watcher = (*countingCluster)(nil)
)

func (c *countingCluster) State(ctx context.Context) (flux.State, error) {
	c.reads.Add(1)
	return c.Cluster.State(ctx)
}

// Watch counts every return, and as a delivery one with a new version.
func (c *countingCluster) Watch(ctx context.Context, since uint64) (flux.State, error) {
	st, err := c.Cluster.Watch(ctx, since)
	c.watchReturns.Add(1)
	if err == nil && st.Version != since {
		c.deliveries.Add(1)
	}
	return st, err
}

// fluxCounts are counting wrappers' counters, one cluster's or summed over policies.
type fluxCounts struct {
	// reads are State calls; watchReturns Watch returns, of which deliveries brought a new
	// version.
	reads, watchReturns, deliveries int64
}

func (c *countingCluster) counts() fluxCounts {
	return fluxCounts{reads: c.reads.Load(), watchReturns: c.watchReturns.Load(), deliveries: c.deliveries.Load()}
}

// fluxCounts sums every policy's counters. Each is read atomically, the sum is not: a call
// that returns meanwhile lands in this sum or the next one.
func (s simSources) fluxCounts() fluxCounts {
	var sum fluxCounts
	for _, h := range s {
		sum = sum.add(h.counts())
	}
	return sum
}

func (c fluxCounts) add(o fluxCounts) fluxCounts {
	return fluxCounts{reads: c.reads + o.reads, watchReturns: c.watchReturns + o.watchReturns, deliveries: c.deliveries + o.deliveries}
}

// sub is c minus an earlier o: the calls between them.
func (c fluxCounts) sub(o fluxCounts) fluxCounts {
	return fluxCounts{reads: c.reads - o.reads, watchReturns: c.watchReturns - o.watchReturns, deliveries: c.deliveries - o.deliveries}
}
