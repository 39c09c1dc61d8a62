// Package flux reads Flux queue and resource state and drains ranks, by running the flux CLI
// through a Runner (locally in the agent, or in the rank-0 pod through pods/exec).
package flux

import (
	"context"
	"time"
)

// Client reads Flux state and drains or undrains ranks. Implementations: the CLI client in
// this package, the agent's HTTP client (metrics/agent), the flux-metrics-api reader
// (metrics/custommetrics) and the simulated cluster (metrics/simulated).
type Client interface {
	// State returns one consistent-enough snapshot. An error means no usable state: callers
	// must not treat it as zero jobs.
	State(ctx context.Context) (State, error)
	// Drain stops new work landing on ranks; running jobs are left alone.
	Drain(ctx context.Context, ranks RankSet, reason string) error
	// Undrain gives drained ranks back to the scheduler.
	Undrain(ctx context.Context, ranks RankSet) error
}

// Watcher is a Client that can wait for Flux state to change (the agent's long-poll, the
// simulated cluster). The controller turns each return into a reconcile trigger.
type Watcher interface {
	// Watch blocks until the state's Version differs from since, ctx ends, or the source's
	// own wait bound passes, and returns the state it then has.
	Watch(ctx context.Context, since uint64) (State, error)
}

// State is Flux's queue and resources at one moment.
type State struct {
	// ObservedAt is when the state was read (by the source's clock).
	ObservedAt time.Time `json:"observedAt"`
	// Version changes whenever the state changes (0: the source does not version states).
	Version uint64 `json:"version,omitempty"`
	// Size is the number of ranks Flux knows (the MiniCluster's maxSize), up or not.
	Size int32 `json:"size"`
	// CoresPerNode is the cores of one rank (ranks of a MiniCluster are alike).
	CoresPerNode int32 `json:"coresPerNode"`
	// Counts are active jobs per state.
	Counts Counts `json:"counts"`
	// Jobs are the active jobs (pending and running), pending ones in queue order.
	Jobs []Job `json:"jobs"`
	// Ranks is per-rank state, ordered by rank; empty when PerRank is false.
	Ranks []Rank `json:"ranks"`
	// PerRank is false for sources that only have counts (flux-metrics-api): such state
	// can never justify a drain or a shrink.
	PerRank bool `json:"perRank"`
	// Nodes are node counts; sources without per-rank state fill only these.
	Nodes NodeCounts `json:"nodes"`
	// SchedulerView is set when the allocations (Rank.Allocated) and Rank.SchedulerDown are
	// the scheduler's own answer, asked after the drains were read (the state program,
	// state.py): a rank shown drained, down in the scheduler and unallocated had no job when
	// the scheduler answered, and the scheduler had taken the drain in.
	SchedulerView bool `json:"schedulerView,omitempty"`
}

// Counts are jobs per Flux job state. Held jobs are counted apart from Sched: Flux's own
// SCHED count (flux jobs --stats-only) is Sched + Held.
type Counts struct {
	Depend   int32 `json:"depend"`
	Priority int32 `json:"priority"`
	// Sched are SCHED jobs that are not held: the scheduler has their requests.
	Sched int32 `json:"sched"`
	// Held are SCHED jobs held at priority 0 (see Job.Held); never demand. Sources that
	// only have Flux's counts cannot tell them and report 0.
	Held    int32 `json:"held"`
	Run     int32 `json:"run"`
	Cleanup int32 `json:"cleanup"`
}

// Pending is the number of jobs waiting for resources; held jobs are not.
func (c Counts) Pending() int32 { return c.Depend + c.Priority + c.Sched }

// Job states as Flux prints them.
const (
	JobDepend   = "DEPEND"
	JobPriority = "PRIORITY"
	JobSched    = "SCHED"
	JobRun      = "RUN"
	JobCleanup  = "CLEANUP"
)

// Job is one active Flux job.
type Job struct {
	// ID as Flux prints it (f58).
	ID string `json:"id"`
	// State is one of the Job* constants.
	State string `json:"state"`
	// NNodes asked for (pending) or held (running); 0 when the job gave no node count.
	NNodes int32 `json:"nnodes"`
	// NCores asked for or held; 0 when Flux has not computed it yet.
	NCores int32 `json:"ncores"`
	// NTasks asked for.
	NTasks int32 `json:"ntasks"`
	// Ranks the job runs on (running jobs only).
	Ranks RankSet `json:"ranks,omitempty"`
	// Held is true for a SCHED job with priority 0 (submitted with --urgency=hold, or held
	// with flux job urgency ID hold): the scheduler gets no request for it until it is
	// released, so it is not demand.
	Held bool `json:"held,omitempty"`
	// Duration is the time limit the job asked for (flux submit -t); 0 when it set none.
	Duration time.Duration `json:"duration,omitempty"`
	// Expiration is when a running job reaches its time limit and Flux ends it, so its
	// ranks are free by then; zero for pending jobs and jobs with no limit.
	Expiration time.Time `json:"expiration,omitzero"`
}

// Pending reports whether the job waits for resources. A held job does not: it waits for
// someone to release it.
func (j Job) Pending() bool {
	return (j.State == JobDepend || j.State == JobPriority || j.State == JobSched) && !j.Held
}

// Rank is one broker rank's state.
type Rank struct {
	Rank int32 `json:"rank"`
	// Online is false for ranks whose broker is not up (pods not started: "avail*"/offline).
	Online bool `json:"online"`
	// Allocated is true when a job runs on the rank.
	Allocated bool `json:"allocated"`
	// Drain is "", DrainDraining or DrainDrained.
	Drain string `json:"drain,omitempty"`
	// Reason is the drain reason.
	Reason string `json:"reason,omitempty"`
	// SchedulerDown is set, in a state with SchedulerView, when the scheduler counted the
	// rank down (drained, offline, or not its own) when it answered: it places no job there.
	// A drained rank it does not count down is one whose drain it has not taken in yet.
	SchedulerDown bool `json:"schedulerDown,omitempty"`
}

// Drain states. Draining means drained but still running a job.
const (
	DrainDraining = "draining"
	DrainDrained  = "drained"
)

// NodeCounts are node counts over all ranks.
type NodeCounts struct {
	// Up ranks can run work: the scheduler has them and they are not down (the CLI client:
	// free or allocated, and not down, in flux resource list).
	Up int32 `json:"up"`
	// Free ranks are up and run nothing at all.
	Free int32 `json:"free"`
	// Allocated ranks run at least one job; a draining rank is allocated (and down).
	Allocated int32 `json:"allocated"`
	// Down ranks are all the others: offline, drained, excluded, or unknown to the scheduler.
	Down int32 `json:"down"`
}
