// Package simulated is a Flux cluster model on a virtual clock: ranks that come up some time
// after a resize, a queue, an FCFS scheduler with optional EASY backfill, drains, and the
// counters a trace replay reports. It implements flux.Client and flux.Watcher, so the same
// code that reads a real Flux instance (the controller, the agent's HTTP server) can read it.
//
// Time moves only when the owner calls Step or Advance, from event to event (job end, rank
// up, job submit), never tick by tick, so a 10,000-job trace replays in well under a second
// of scheduling work. Every method is safe for concurrent use.
package simulated

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"k8s.io/utils/clock"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

var (
	_ flux.Client        = (*Cluster)(nil)
	_ flux.Watcher       = (*Cluster)(nil)
	_ clock.PassiveClock = (*Cluster)(nil)
)

// noJob marks a rank that runs nothing.
const noJob = -1

// rank is one broker rank.
type rank struct {
	online bool
	// upAt is when a booting rank (added by a resize, not yet online) comes online.
	upAt    time.Time
	job     int // index into Cluster.jobs, or noJob
	drained bool
	reason  string
	// suspended ranks exist in the target but are powered off (Suspend): offline and not
	// provisioned, until Resume boots them again.
	suspended bool
}

func (r rank) booting() bool { return !r.online && !r.upAt.IsZero() }

// jobState is a submitted job and the ranks it holds while running.
type jobState struct {
	rec JobRecord
	// fluxID is the ID as State shows it, computed once.
	fluxID string
	ranks  []int32
}

// Cluster is a simulated Flux instance with MaxSize ranks, of which the first Size exist.
type Cluster struct {
	mu    sync.Mutex
	opts  Options
	now   time.Time
	size  int32
	ranks []rank
	jobs  []jobState
	ids   map[uint64]struct{}
	// arrivals are indexes of jobs submitted for a future time, by Submit, ties in
	// submission order; arrivals[:arrived] have entered the queue.
	arrivals []int
	arrived  int
	// queue holds the pending jobs in queue order (equal priority: submission order).
	queue   []int
	running endHeap
	// pendingNodes is the node demand of the pending jobs the cluster could ever run.
	pendingNodes int64
	allocated    int32
	// booting counts ranks waiting to come up, so most event searches skip the rank scan.
	booting int
	// suspended counts suspended ranks within the size; they cost no node-seconds.
	suspended int32
	// idle classifies the idle ranks of the current state (see classifyIdle).
	idle    idleCounts
	version uint64
	changed chan struct{}
	stats   Stats
	series  []Sample
}

// New returns a cluster at opts.Start with ranks 0..InitialSize-1 online and idle.
func New(opts Options) (*Cluster, error) {
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("simulated cluster: %w", err)
	}
	c := &Cluster{
		opts:    opts,
		now:     opts.Start,
		size:    opts.InitialSize,
		ranks:   make([]rank, opts.MaxSize),
		ids:     map[uint64]struct{}{},
		version: 1,
		changed: make(chan struct{}),
	}
	for i := range c.ranks {
		c.ranks[i].job = noJob
		c.ranks[i].online = int32(i) < opts.InitialSize
	}
	c.idle = c.classifyIdle()
	c.record()
	return c, nil
}

// Now is the cluster's virtual time.
func (c *Cluster) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Since is the virtual time elapsed since t.
func (c *Cluster) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// Size is the number of ranks the target has (the last Resize, or InitialSize).
func (c *Cluster) Size() int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size
}

// MaxSize is the number of ranks Flux knows.
func (c *Cluster) MaxSize() int32 { return c.opts.MaxSize }

// Submit adds a job: to the queue now if its Submit time is zero or not after now, else when
// Step reaches its Submit time. IDs must be unique.
func (c *Cluster) Submit(j Job) error {
	if err := j.validate(); err != nil {
		return fmt.Errorf("submitting: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.ids[j.ID]; dup {
		return fmt.Errorf("submitting: job ID %d was already submitted", j.ID)
	}
	c.ids[j.ID] = struct{}{}
	if j.Submit.IsZero() || !j.Submit.After(c.now) {
		j.Submit = c.now
	}
	c.jobs = append(c.jobs, jobState{rec: JobRecord{Job: j, Outcome: OutcomePending}, fluxID: F58(j.ID)})
	idx := len(c.jobs) - 1
	if j.Submit.After(c.now) {
		// After any queued arrival at the same time, so equal times keep submission order.
		pos := c.arrived + findArrival(c.arrivals[c.arrived:], func(k int) bool {
			return c.jobs[k].rec.Submit.After(j.Submit)
		})
		c.arrivals = slices.Insert(c.arrivals, pos, idx)
		return nil
	}
	c.enqueue(idx)
	c.schedule()
	c.bump()
	return nil
}

// findArrival is the first index in s for which after holds (s is sorted by it).
func findArrival(s []int, after func(int) bool) int {
	lo, hi := 0, len(s)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if after(s[mid]) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// Resize sets the number of ranks the target has, as the MiniCluster's size does. Added
// ranks come online NodeUpDelay later. Removed ranks (the highest) go at once: a job with a
// shell on one of them is killed, as Flux raises a node-failure exception. Drain marks
// persist on removed ranks, as in Flux.
func (c *Cluster) Resize(n int32) error {
	if n < 0 || n > c.opts.MaxSize {
		return fmt.Errorf("resize to %d: the size must be within 0..%d (the max size)", n, c.opts.MaxSize)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if n == c.size {
		return nil
	}
	for r := c.size; r < n; r++ {
		if c.opts.NodeUpDelay == 0 {
			c.ranks[r].online = true
		} else {
			c.ranks[r].upAt = c.now.Add(c.opts.NodeUpDelay)
			c.booting++
		}
	}
	for r := n; r < c.size; r++ {
		if j := c.ranks[r].job; j != noJob {
			c.end(j, OutcomeKilled)
		}
		if c.ranks[r].booting() {
			c.booting--
		}
		if c.ranks[r].suspended {
			c.ranks[r].suspended = false
			c.suspended--
		}
		c.ranks[r].online = false
		c.ranks[r].upAt = time.Time{}
	}
	c.size = n
	c.stats.Resizes++
	c.schedule()
	c.bump()
	return nil
}

// bump publishes a state change: a new Version, a sample, and a wake-up for watchers.
func (c *Cluster) bump() {
	c.version++
	close(c.changed)
	c.changed = make(chan struct{})
	c.idle = c.classifyIdle()
	c.record()
}
