package agent

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

// stateCollector exports the store at scrape time, so the metrics and /v1/state always
// agree. The state metrics are exported only while the latest read of Flux succeeded: a
// failing agent shows a gap, never a stale or zero queue.
type stateCollector struct {
	store *store

	jobs, pendingNodes, heldJobs, unsatisfiableJobs *prometheus.Desc
	nodes, size, coresPerNode, version              *prometheus.Desc
	lastSuccess, lastDuration, lastTime, reads      *prometheus.Desc
}

func newStateCollector(s *store) *stateCollector {
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("fluxscale_agent_"+name, help, labels, nil)
	}
	return &stateCollector{
		store: s,
		jobs:  desc("jobs", "Active Flux jobs by state.", "state"),
		pendingNodes: desc("pending_nodes",
			"Nodes the pending jobs ask for, as the queueDepth policy counts them: a job's node count, else "+
				"ceil(cores / cores per node), else 1. Held and unsatisfiable jobs are left out."),
		heldJobs: desc("held_jobs",
			"SCHED jobs held at priority 0 (urgency hold): the scheduler has no request for them, so they are not demand."),
		unsatisfiableJobs: desc("unsatisfiable_jobs",
			"Pending jobs asking for more nodes than Flux has ranks (size): they can never run, and pending_nodes leaves them out."),
		nodes: desc("nodes", "Flux ranks by state. The states overlap: up and down split all ranks; "+
			"free and allocated are among up, except that a draining rank is allocated and down; "+
			"offline, draining and drained are per-rank states.", "state"),
		size:         desc("size", "Ranks Flux knows, up or not (the MiniCluster's maximum size)."),
		coresPerNode: desc("cores_per_node", "Cores of one rank."),
		version:      desc("state_version", "Version of the served state; it changes whenever the state's content does."),
		lastSuccess:  desc("last_read_success", "1 if the latest read of Flux succeeded, else 0."),
		lastDuration: desc("last_read_duration_seconds", "How long the latest read of Flux took."),
		lastTime:     desc("last_read_timestamp_seconds", "When the latest read of Flux started, in seconds since the epoch."),
		reads:        desc("reads_total", "Reads of Flux state by result.", "result"),
	}
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.jobs, c.pendingNodes, c.heldJobs, c.unsatisfiableJobs,
		c.nodes, c.size, c.coresPerNode, c.version, c.lastSuccess, c.lastDuration, c.lastTime, c.reads} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	snap, _ := c.store.get()
	ch <- prometheus.MustNewConstMetric(c.reads, prometheus.CounterValue, float64(snap.OKReads), "success")
	ch <- prometheus.MustNewConstMetric(c.reads, prometheus.CounterValue, float64(snap.FailedReads), "error")
	if snap.LastRead.At.IsZero() {
		return
	}
	success := 0.0
	if snap.Err == nil {
		success = 1
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(c.lastSuccess, success)
	gauge(c.lastDuration, snap.LastRead.Duration.Seconds())
	gauge(c.lastTime, float64(snap.LastRead.At.UnixNano())/1e9)
	if !snap.current() {
		return
	}
	st := snap.State
	gauge(c.version, float64(st.Version))
	gauge(c.size, float64(st.Size))
	gauge(c.coresPerNode, float64(st.CoresPerNode))
	for state, n := range map[string]int32{
		"depend": st.Counts.Depend, "priority": st.Counts.Priority, "sched": st.Counts.Sched,
		"run": st.Counts.Run, "cleanup": st.Counts.Cleanup,
	} {
		gauge(c.jobs, float64(n), state)
	}
	d := pendingDemand(st)
	gauge(c.pendingNodes, float64(d.Nodes))
	gauge(c.heldJobs, float64(st.Counts.Held))
	gauge(c.unsatisfiableJobs, float64(d.Unsatisfiable))
	var offline, draining, drained int
	for _, r := range st.Ranks {
		if !r.Online {
			offline++
		}
		switch r.Drain {
		case flux.DrainDraining:
			draining++
		case flux.DrainDrained:
			drained++
		}
	}
	for state, n := range map[string]int{
		"up": int(st.Nodes.Up), "down": int(st.Nodes.Down), "free": int(st.Nodes.Free),
		"allocated": int(st.Nodes.Allocated), "offline": offline, "draining": draining, "drained": drained,
	} {
		gauge(c.nodes, float64(n), state)
	}
}

// demand is what the pending jobs ask for.
type demand struct {
	// Nodes is the node demand of the pending jobs that can run.
	Nodes int64
	// Unsatisfiable counts pending jobs larger than the instance.
	Unsatisfiable int
}

// pendingDemand sums the nodes pending jobs ask for the way the queueDepth policy does
// (policy's jobNodes): a job's node count, else its cores spread over whole ranks, else one
// node; held jobs are not pending (flux.Job.Pending). A job asking for more nodes than Flux
// has ranks can never run and is counted apart, as policy leaves out jobs larger than the
// max size; the agent knows no policy, so Size (the MiniCluster's maxSize) is its max.
func pendingDemand(st flux.State) demand {
	var d demand
	for _, j := range st.Jobs {
		if !j.Pending() {
			continue
		}
		n := int64(1)
		switch {
		case j.NNodes > 0:
			n = int64(j.NNodes)
		case j.NCores > 0 && st.CoresPerNode > 0:
			n = max((int64(j.NCores)+int64(st.CoresPerNode)-1)/int64(st.CoresPerNode), 1)
		}
		if st.Size > 0 && n > int64(st.Size) {
			d.Unsatisfiable++
			continue
		}
		d.Nodes += n
	}
	return d
}
