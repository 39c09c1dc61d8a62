package replay

import (
	"context"
	"fmt"
	"time"

	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/metrics/simulated"
)

// slurmPeriod is how often the power-save baseline looks at idle nodes, besides after
// every change; it bounds how late past SuspendTime a node suspends.
const slurmPeriod = 10 * time.Second

// SlurmOptions are the slurm.conf power saving settings the baseline models
// (https://slurm.schedmd.com/power_save.html, https://slurm.schedmd.com/slurm.conf.html).
type SlurmOptions struct {
	// SuspendTime is how long a node stays idle before it suspends.
	SuspendTime time.Duration
	// SuspendRate and ResumeRate are nodes per minute; 0 means no limit.
	SuspendRate, ResumeRate int
}

// DefaultSlurmOptions are slurm.conf's documented defaults for SuspendRate (60 nodes per
// minute) and ResumeRate (300), and a SuspendTime of 10 minutes: Slurm's own default (-1,
// INFINITE) turns power saving off, so a site that uses it sets one, and 10 minutes is
// ten times the node start delay, the usual "longer than a boot" choice.
func DefaultSlurmOptions() SlurmOptions {
	return SlurmOptions{SuspendTime: 10 * time.Minute, SuspendRate: 60, ResumeRate: 300}
}

// Validate rejects settings Slurm would not run with.
func (o SlurmOptions) Validate() error {
	switch {
	case o.SuspendTime <= 0:
		return fmt.Errorf("--slurm-suspend-time %s: must be positive (Slurm's -1 turns power saving off: use static-max for that)", o.SuspendTime)
	case o.SuspendRate < 0 || o.ResumeRate < 0:
		return fmt.Errorf("--slurm-suspend-rate %d / --slurm-resume-rate %d: rates are nodes per minute, 0 or more", o.SuspendRate, o.ResumeRate)
	}
	return nil
}

// SlurmScaler is Slurm's power saving on a fixed set of MaxSize nodes, as HPC sites run it:
// any node idle for SuspendTime is powered off (not only the top ranks, as on bare metal
// there is no index order), and suspended nodes are resumed when pending jobs need more
// nodes than are up; a resumed node joins after the node start delay. The cluster size
// never changes. Node-hours count powered-on nodes.
//
// How much to resume: the pending jobs' nodes beyond the idle and booting ones, as Slurm's
// scheduler treats powered-off nodes as available and resumes the nodes it allocates.
// SuspendTimeout (30 s by default, the time a node takes to power off) is not charged.
type SlurmScaler struct {
	label string
	size  int32
	opts  SlurmOptions
	// idleSince is when each rank was last seen become idle (zero: busy or off).
	idleSince []time.Time
	// suspended and resuming are the ranks powered off, and those powered on but not up.
	suspended, resuming map[int32]bool
	// suspendTokens and resumeTokens are the rate limits' budgets; last when they filled.
	suspendTokens, resumeTokens float64
	last                        time.Time
}

// NewSlurmScaler runs power saving on size nodes.
func NewSlurmScaler(label string, size int32, opts SlurmOptions) *SlurmScaler {
	return &SlurmScaler{
		label: label, size: size, opts: opts, idleSince: make([]time.Time, size),
		suspended: map[int32]bool{}, resuming: map[int32]bool{},
		suspendTokens: float64(opts.SuspendRate), resumeTokens: float64(opts.ResumeRate),
	}
}

// Name is the label.
func (s *SlurmScaler) Name() string { return s.label }

// InitialSize is every node, up: Slurm's nodes exist before power saving starts.
func (s *SlurmScaler) InitialSize() int32 { return s.size }

// Cadence is every slurmPeriod and after each change.
func (s *SlurmScaler) Cadence() Cadence {
	return Cadence{Period: slurmPeriod, OnChange: true, MinGap: eventGap}
}

// Decide resumes nodes for the pending jobs, then suspends nodes idle for SuspendTime.
func (s *SlurmScaler) Decide(ctx context.Context, cl *simulated.Cluster) error {
	st, err := cl.State(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", s.label, err)
	}
	now := cl.Now()
	s.refill(now)
	var idleUp int64
	for _, r := range st.Ranks {
		switch {
		case r.Online && !r.Allocated:
			delete(s.resuming, r.Rank)
			if s.idleSince[r.Rank].IsZero() {
				s.idleSince[r.Rank] = now
			}
			if r.Drain == "" {
				idleUp++
			}
		case r.Online:
			delete(s.resuming, r.Rank)
			s.idleSince[r.Rank] = time.Time{}
		default:
			s.idleSince[r.Rank] = time.Time{}
		}
	}
	need := pendingNodes(st, s.size) - idleUp - int64(len(s.resuming))
	var resume []int32
	for r := int32(0); r < s.size && need > 0 && (s.opts.ResumeRate == 0 || s.resumeTokens >= 1); r++ {
		if s.suspended[r] {
			resume = append(resume, r)
			delete(s.suspended, r)
			s.resuming[r] = true
			need--
			s.resumeTokens--
		}
	}
	if len(resume) > 0 {
		if err := cl.Resume(flux.NewRankSet(resume...)); err != nil {
			return fmt.Errorf("%s at %s: %w", s.label, now.Format(time.RFC3339), err)
		}
	}
	var suspend []int32
	for _, r := range st.Ranks {
		if need > 0 || (s.opts.SuspendRate != 0 && s.suspendTokens < 1) {
			break
		}
		since := s.idleSince[r.Rank]
		if r.Online && !r.Allocated && !since.IsZero() && now.Sub(since) >= s.opts.SuspendTime {
			suspend = append(suspend, r.Rank)
			s.suspended[r.Rank] = true
			s.idleSince[r.Rank] = time.Time{}
			s.suspendTokens--
		}
	}
	if len(suspend) > 0 {
		if err := cl.Suspend(flux.NewRankSet(suspend...)); err != nil {
			return fmt.Errorf("%s at %s: %w", s.label, now.Format(time.RFC3339), err)
		}
	}
	return nil
}

// refill adds the rate limits' budget for the time since the last decision, up to one
// minute's worth.
func (s *SlurmScaler) refill(now time.Time) {
	if !s.last.IsZero() {
		dt := now.Sub(s.last).Minutes()
		s.suspendTokens = min(s.suspendTokens+dt*float64(s.opts.SuspendRate), float64(s.opts.SuspendRate))
		s.resumeTokens = min(s.resumeTokens+dt*float64(s.opts.ResumeRate), float64(s.opts.ResumeRate))
	}
	s.last = now
}

// pendingNodes is the node demand of the pending jobs that fit in size nodes; jobs counted
// but cut from the list ask for one node each.
func pendingNodes(st flux.State, size int32) int64 {
	var n, listed int64
	for _, j := range st.Jobs {
		if !j.Pending() {
			continue
		}
		listed++
		if j.NNodes <= size {
			n += int64(max(j.NNodes, 1))
		}
	}
	return n + max(int64(st.Counts.Sched)-listed, 0)
}
