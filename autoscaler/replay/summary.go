package replay

import (
	"math"
	"slices"
	"time"

	"github.com/fluxscale/fluxscale/metrics/simulated"
)

// slowdownTau is the bounded slowdown's floor on run time, so very short jobs do not
// dominate the mean (Feitelson et al., "Theory and practice in parallel job scheduling").
const slowdownTau = 10 * time.Second

// Summary is one replay in numbers. Times are in seconds.
type Summary struct {
	Policy string `json:"policy"`
	// Jobs is the workload size; Finished, Killed (by a shrink) and Unsatisfiable (wider
	// than the cluster) ended; Unfinished never ended (the replay gave up on them).
	Jobs          int `json:"jobs"`
	Finished      int `json:"finished"`
	Killed        int `json:"killed"`
	Unsatisfiable int `json:"unsatisfiable"`
	Unfinished    int `json:"unfinished"`
	// MeanWait and P95Wait are over the jobs that started (finished or killed).
	MeanWait float64 `json:"meanWaitSeconds"`
	P95Wait  float64 `json:"p95WaitSeconds"`
	// MeanBoundedSlowdown is over finished jobs: max(1, (wait+run)/max(run, 10 s)).
	MeanBoundedSlowdown float64 `json:"meanBoundedSlowdown"`
	// Makespan is from the first submit to the last job's end.
	Makespan float64 `json:"makespanSeconds"`
	// NodeHours is the size integrated over the makespan; BusyNodeHours the busy ranks.
	NodeHours     float64 `json:"nodeHours"`
	BusyNodeHours float64 `json:"busyNodeHours"`
	// Utilization is BusyNodeHours / NodeHours.
	Utilization float64 `json:"utilization"`
	// LowerBoundRatio is NodeHours over the trace's busy node-hours (1 is the floor).
	LowerBoundRatio float64 `json:"lowerBoundRatio"`
	// ScaleActions counts size changes; Drains the drain calls; Decisions the scaler's runs.
	ScaleActions int `json:"scaleActions"`
	Drains       int `json:"drains"`
	Decisions    int `json:"decisions"`
	// Idle is where NodeHours - BusyNodeHours went.
	Idle IdleHours `json:"idleNodeHours"`
	// Bound is true for a row computed from another replay's schedule (clairvoyant): a
	// line to aim at, not a policy one can deploy.
	Bound bool `json:"bound,omitempty"`
}

// IdleHours are simulated.IdleSeconds in node-hours.
type IdleHours struct {
	Booting        float64 `json:"booting"`
	Draining       float64 `json:"draining"`
	HeldForPending float64 `json:"heldForPending"`
	BelowBusy      float64 `json:"belowBusy"`
	Releasable     float64 `json:"releasable"`
}

func idleHours(s simulated.IdleSeconds) IdleHours {
	return IdleHours{Booting: s.Booting / 3600, Draining: s.Draining / 3600, HeldForPending: s.HeldForPending / 3600,
		BelowBusy: s.BelowBusy / 3600, Releasable: s.Releasable / 3600}
}

// LowerBoundNodeHours is the trace's busy node-hours, sum(nnodes * run time): no size
// schedule can run the work on fewer.
func LowerBoundNodeHours(jobs []simulated.Job) float64 {
	var s float64
	for _, j := range jobs {
		s += float64(j.NNodes) * j.Runtime.Seconds()
	}
	return s / 3600
}

// Summarize computes r's numbers; lowerBound is LowerBoundNodeHours of its workload.
func Summarize(r Result, lowerBound float64) Summary {
	s := Summary{
		Policy: r.Name, Jobs: len(r.Records),
		Killed: r.Stats.Killed, Unsatisfiable: r.Stats.Unsatisfiable, Finished: r.Stats.Finished,
		Makespan:      r.End.Sub(r.Start).Seconds(),
		NodeHours:     r.Stats.ProvisionedNodeSeconds / 3600,
		BusyNodeHours: r.Stats.BusyNodeSeconds / 3600,
		ScaleActions:  r.Stats.Resizes, Drains: r.Stats.Drains, Decisions: r.Decisions,
		Idle: idleHours(r.Stats.Idle),
	}
	s.Unfinished = s.Jobs - s.Finished - s.Killed - s.Unsatisfiable
	var waits []float64
	var slowdown float64
	for _, rec := range r.Records {
		if rec.Start.IsZero() {
			continue
		}
		wait := rec.Start.Sub(rec.Submit).Seconds()
		waits = append(waits, wait)
		if rec.Outcome == simulated.OutcomeFinished {
			run := rec.Runtime.Seconds()
			slowdown += max(1, (wait+run)/max(run, slowdownTau.Seconds()))
		}
	}
	if len(waits) > 0 {
		var sum float64
		for _, w := range waits {
			sum += w
		}
		s.MeanWait = sum / float64(len(waits))
		s.P95Wait = percentile(waits, 0.95)
	}
	if s.Finished > 0 {
		s.MeanBoundedSlowdown = slowdown / float64(s.Finished)
	}
	if s.NodeHours > 0 {
		s.Utilization = s.BusyNodeHours / s.NodeHours
	}
	if lowerBound > 0 {
		s.LowerBoundRatio = s.NodeHours / lowerBound
	}
	return s
}

// percentile is the nearest-rank percentile p (0..1] of v; v is sorted in place.
func percentile(v []float64, p float64) float64 {
	slices.Sort(v)
	rank := int(math.Ceil(p*float64(len(v)))) - 1
	return v[min(max(rank, 0), len(v)-1)]
}
