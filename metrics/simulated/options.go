package simulated

import (
	"fmt"
	"math"
	"time"
)

// SchedPolicy is the queue policy of the simulated scheduler.
type SchedPolicy string

// Queue policies. Flux's sched-simple and fluxion's default queue-policy are strictly FCFS;
// fluxion's "easy" adds EASY backfill.
const (
	// SchedFCFS starts jobs strictly in queue order: a head job that does not fit blocks
	// every job behind it. The zero SchedPolicy means SchedFCFS.
	SchedFCFS SchedPolicy = "fcfs"
	// SchedEASY starts the head job when it fits, and otherwise lets later jobs that fit now
	// run ahead of it if they cannot delay the head job's reservation.
	SchedEASY SchedPolicy = "easy"
)

// ParseSchedPolicy reads "fcfs" or "easy".
func ParseSchedPolicy(s string) (SchedPolicy, error) {
	switch p := SchedPolicy(s); p {
	case SchedFCFS, SchedEASY:
		return p, nil
	}
	return "", fmt.Errorf("scheduler %q is not known: use fcfs or easy", s)
}

// DefaultNodeUpDelay is how long a rank a resize adds usually takes to join in a MiniCluster
// (pod scheduled, image present, broker started and connected to rank 0).
const DefaultNodeUpDelay = 60 * time.Second

// DefaultJobListLimit is how many jobs `flux jobs` lists when not given --count.
const DefaultJobListLimit = 1000

// Options describe a simulated Flux cluster.
type Options struct {
	// Start is the model's initial virtual time.
	Start time.Time
	// MaxSize is the number of ranks Flux knows (the MiniCluster's maxSize); at least 1.
	MaxSize int32
	// InitialSize ranks (0..InitialSize-1) are online at Start.
	InitialSize int32
	// NodeUpDelay is how long a rank takes to come online after a resize adds it; zero means
	// at once. Callers that want Flux-like behavior use DefaultNodeUpDelay.
	NodeUpDelay time.Duration
	// Sched is the queue policy; empty means SchedFCFS.
	Sched SchedPolicy
	// CoresPerNode is the cores of one rank; 0 means 1.
	CoresPerNode int32
	// ShortJobsHigh, when above 0, places jobs whose walltime is below it on the highest
	// free ranks instead of the lowest (see Cluster.place). Flux's schedulers have no such
	// per-job placement; it measures what one would be worth.
	ShortJobsHigh time.Duration
	// JobListLimit caps State's job list as `flux jobs --count` does; 0 means
	// DefaultJobListLimit, negative means no cap. Counts always cover every job.
	JobListLimit int
}

func (o Options) validate() error {
	if o.MaxSize < 1 {
		return fmt.Errorf("max size %d: a Flux cluster needs at least 1 rank", o.MaxSize)
	}
	if o.InitialSize < 0 || o.InitialSize > o.MaxSize {
		return fmt.Errorf("initial size %d is outside 0..%d (the max size)", o.InitialSize, o.MaxSize)
	}
	if o.NodeUpDelay < 0 {
		return fmt.Errorf("node up delay %s is negative", o.NodeUpDelay)
	}
	if o.ShortJobsHigh < 0 {
		return fmt.Errorf("short-jobs-high %s is negative", o.ShortJobsHigh)
	}
	if o.CoresPerNode < 0 {
		return fmt.Errorf("cores per node %d is negative", o.CoresPerNode)
	}
	if _, err := ParseSchedPolicy(string(o.sched())); err != nil {
		return err
	}
	return nil
}

func (o Options) sched() SchedPolicy {
	if o.Sched == "" {
		return SchedFCFS
	}
	return o.Sched
}

func (o Options) jobListLimit() int {
	switch {
	case o.JobListLimit == 0:
		return DefaultJobListLimit
	case o.JobListLimit < 0:
		return math.MaxInt
	}
	return o.JobListLimit
}

func (o Options) coresPerNode() int32 {
	if o.CoresPerNode == 0 {
		return 1
	}
	return o.CoresPerNode
}
