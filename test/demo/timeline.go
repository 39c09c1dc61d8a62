package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/test/harness"
)

// sampleEvery is how often the timeline looks at the loop.
const sampleEvery = 200 * time.Millisecond

// sample is the loop at one moment: the Flux queue, the target and the controller's decision.
type sample struct {
	at                time.Duration
	pending, running  int32 // Flux jobs
	busy, demand      int32 // nodes running a job; busy plus the nodes pending jobs ask for
	spec, pods        int32 // the MiniCluster's spec.size and its Running pods
	desired           int32
	decision, limited string
	draining          string
}

// key is what a timeline line is printed for: a change in any of it.
func (s sample) key() string {
	return fmt.Sprintf("%d %d %d %d %d %s %s %s", s.pending, s.running, s.spec, s.pods, s.desired, s.decision, s.limited, s.draining)
}

func (s sample) line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%6.1fs   %2d/%-2d      %2d/%-2d     desired %2d <- %s", s.at.Seconds(), s.pending, s.running, s.spec, s.pods, s.desired, s.decision)
	if s.limited != "" {
		b.WriteString(" [" + s.limited + "]")
	}
	if s.draining != "" {
		b.WriteString(" draining ranks " + s.draining)
	}
	return b.String()
}

// header names the columns of line.
const header = "  time    queue      size\n          pend/run   spec/pods   decision"

// mark is a labelled moment of the scenario.
type mark struct {
	at    time.Duration
	label string
}

// timeline samples the loop, prints one line per change and keeps every sample for the chart.
type timeline struct {
	h      *harness.Harness
	fx     *harness.Flux
	target v1alpha1.TargetRef
	policy string
	out    io.Writer
	start  time.Time

	// sampling orders samples and notes, so lines print in time order.
	sampling sync.Mutex
	mu       sync.Mutex
	samples  []sample
	marks    []mark
	lastKey  string
}

// run samples until stop is closed. Reads use ctx, which stop does not cancel, so a read in
// flight is never cut short (client-go would log that).
func (tl *timeline) run(ctx context.Context, stop <-chan struct{}) {
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	for {
		tl.sampleNow(ctx)
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sampleNow takes a sample and prints it if anything changed.
func (tl *timeline) sampleNow(ctx context.Context) {
	tl.sampling.Lock()
	defer tl.sampling.Unlock()
	tl.sampleLocked(ctx)
}

func (tl *timeline) sampleLocked(ctx context.Context) {
	if s, err := tl.sample(ctx); err == nil {
		// Stamped once read, so no line shows a time before that of the note it follows.
		s.at = time.Since(tl.start)
		tl.add(s)
	}
}

// note prints a scenario step, after the state that led to it, and keeps it for the chart.
func (tl *timeline) note(ctx context.Context, label string) {
	tl.sampling.Lock()
	defer tl.sampling.Unlock()
	tl.sampleLocked(ctx)
	tl.mu.Lock()
	defer tl.mu.Unlock()
	at := time.Since(tl.start)
	tl.marks = append(tl.marks, mark{at: at, label: label})
	fmt.Fprintf(tl.out, "%6.1fs   >> %s\n", at.Seconds(), label)
}

func (tl *timeline) add(s sample) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	tl.samples = append(tl.samples, s)
	if k := s.key(); k != tl.lastKey {
		tl.lastKey = k
		fmt.Fprintln(tl.out, s.line())
	}
}

func (tl *timeline) sample(ctx context.Context) (sample, error) {
	var s sample
	st, err := tl.fx.Sim.State(ctx)
	if err != nil {
		return s, err
	}
	s.pending, s.running, s.busy = st.Counts.Pending(), st.Counts.Run, st.Nodes.Allocated
	s.demand = s.busy
	for _, j := range st.Jobs {
		if j.Pending() && j.NNodes <= st.Size {
			s.demand += j.NNodes
		}
	}
	if s.spec, err = tl.h.TargetSize(ctx, tl.target); err != nil {
		return s, err
	}
	if s.pods, err = tl.h.RunningPods(ctx, tl.target.Name); err != nil {
		return s, err
	}
	sp, err := tl.h.Policy(ctx, tl.policy)
	if apierrors.IsNotFound(err) {
		s.decision = "(no ScalingPolicy yet)"
		return s, nil
	}
	if err != nil {
		return s, err
	}
	s.desired = sp.Status.DesiredSize
	var recs []string
	for _, r := range sp.Status.Recommendations {
		recs = append(recs, fmt.Sprintf("%s %d (%s)", r.Policy, r.Size, r.Reason))
	}
	s.decision = strings.Join(recs, ", ")
	if len(recs) == 0 {
		s.decision = "(no decision yet)"
	}
	if c := meta.FindStatusCondition(sp.Status.Conditions, v1alpha1.ConditionScalingLimited); c != nil && c.Status == "True" {
		// The message lists the decision's steps, "; "-separated; the last one is what held it.
		steps := strings.Split(c.Message, "; ")
		s.limited = c.Reason + ": " + steps[len(steps)-1]
	}
	if c := meta.FindStatusCondition(sp.Status.Conditions, v1alpha1.ConditionDraining); c != nil && c.Status == "True" {
		s.draining = sp.Status.DrainingRanks
	}
	return s, nil
}

// snapshot returns copies of the samples and marks.
func (tl *timeline) snapshot() ([]sample, []mark) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return append([]sample(nil), tl.samples...), append([]mark(nil), tl.marks...)
}
