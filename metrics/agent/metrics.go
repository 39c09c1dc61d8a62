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

	jobs, pendingNodes, nodes, size, coresPerNode, version *prometheus.Desc
	lastSuccess, lastDuration, lastTime, reads             *prometheus.Desc
}

func newStateCollector(s *store) *stateCollector {
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("fluxscale_agent_"+name, help, labels, nil)
	}
	return &stateCollector{
		store: s,
		jobs:  desc("jobs", "Active Flux jobs by state.", "state"),
		pendingNodes: desc("pending_nodes",
			"Nodes the pending jobs ask for; a job that gave only tasks or cores counts ceil(cores / cores per node)."),
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
	for _, d := range []*prometheus.Desc{c.jobs, c.pendingNodes, c.nodes, c.size, c.coresPerNode,
		c.version, c.lastSuccess, c.lastDuration, c.lastTime, c.reads} {
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
	gauge(c.pendingNodes, float64(pendingNodeDemand(st)))
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

// pendingNodeDemand sums the nodes pending jobs ask for. A job that gave no node count asks for
// its cores (or, failing that, one core per task) spread over whole ranks.
func pendingNodeDemand(st flux.State) int64 {
	var total int64
	for _, j := range st.Jobs {
		if !j.Pending() {
			continue
		}
		cores := int64(j.NCores)
		if cores == 0 {
			cores = int64(j.NTasks)
		}
		switch {
		case j.NNodes > 0:
			total += int64(j.NNodes)
		case cores > 0 && st.CoresPerNode > 0:
			total += (cores + int64(st.CoresPerNode) - 1) / int64(st.CoresPerNode)
		default:
			total++
		}
	}
	return total
}
