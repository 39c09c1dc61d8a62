package main

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/simulated/workload"
	"github.com/fluxscale/fluxscale/test/builders"
	"github.com/fluxscale/fluxscale/test/harness"
)

// The demo's MiniCluster and policy, as in config/samples (size 2, maxSize 10), with the
// windows shortened so a run takes about a minute and a half.
const (
	name            = "flux-sample"
	initialSize     = 2
	maxSize         = 10
	scaleDownWindow = 10 // seconds
	pollSeconds     = 2
	// phaseBound bounds each wait of the scenario; a phase normally takes well under it.
	phaseBound = 2 * time.Minute
)

// The workload: a burst of jobs of 1 to 4 nodes running 4 to 16 s, arriving over about
// 15 s; later the application asks for 4 nodes for 15 s.
var burst = workload.GenOptions{
	Seed: 7, Jobs: 16, MaxNodes: 4, MeanInterarrival: time.Second,
	MinRuntime: 4 * time.Second, MaxRuntime: 16 * time.Second,
}

const (
	hintSize = 4
	hintTTL  = 15 * time.Second
)

// scenario is the running demo: the loop, its one target and what the timeline records.
type scenario struct {
	h      *harness.Harness
	fx     *harness.Flux
	app    *harness.App
	target v1alpha1.TargetRef
	// simStart is when the simulated Flux cluster started, for its node-second counters.
	simStart time.Time
}

// setUp creates the MiniCluster, its simulated Flux, the ScalingPolicy and the application's
// ServiceAccount, and waits for the first pods.
func setUp(ctx context.Context, h *harness.Harness) (*scenario, error) {
	simStart := h.Clock.Now()
	fx, err := h.StartFlux(ctx, name, harness.FluxOptions{Job: name, MaxSize: maxSize})
	if err != nil {
		return nil, err
	}
	target, err := h.CreateMiniCluster(ctx, name, initialSize, maxSize)
	if err != nil {
		return nil, err
	}
	app, err := h.NewApp(ctx, "solver", name)
	if err != nil {
		return nil, err
	}
	s := &scenario{h: h, fx: fx, app: app, target: target, simStart: simStart}
	return s, s.waitFor(ctx, "the first pods", func(ctx context.Context) (bool, error) {
		pods, err := h.RunningPods(ctx, name)
		return pods == initialSize, err
	})
}

// createPolicy creates the ScalingPolicy: queue depth, hints as a floor, HPA behavior with a
// short scale-down window, drain before shrink.
func (s *scenario) createPolicy(ctx context.Context) error {
	sp := builders.MakeScalingPolicy(name, s.h.Namespace).MinSize(1).MaxSize(maxSize).Flux(s.fx.Source()).
		QueueDepth(0).PollInterval(pollSeconds).
		Behavior(&v1alpha1.ScalingBehavior{ScaleDown: &v1alpha1.ScalingRules{StabilizationWindowSeconds: ptr.To[int32](scaleDownWindow)}}).
		Obj()
	if err := s.h.Client.Create(ctx, sp); err != nil {
		return fmt.Errorf("creating ScalingPolicy %s: %w", name, err)
	}
	return nil
}

// play runs the phases, noting each on the timeline.
func (s *scenario) play(ctx context.Context, tl *timeline) error {
	tl.note(ctx, fmt.Sprintf("ScalingPolicy %s created: QueueDepth, hints as a floor, scale-down window %d s, poll %d s",
		name, scaleDownWindow, pollSeconds))
	if err := s.createPolicy(ctx); err != nil {
		return err
	}
	if err := s.waitFor(ctx, "the first decision", func(ctx context.Context) (bool, error) {
		sp, err := s.h.Policy(ctx, name)
		return err == nil && sp.Status.ObservedGeneration > 0, err
	}); err != nil {
		return err
	}

	opts := burst
	opts.Start = s.h.Clock.Now()
	jobs, err := workload.Generate(opts)
	if err != nil {
		return err
	}
	tl.note(ctx, fmt.Sprintf("burst: %d Flux jobs of 1-%d nodes, %s-%s each, arriving over the next ~%.0f s",
		len(jobs), opts.MaxNodes, opts.MinRuntime, opts.MaxRuntime, jobs[len(jobs)-1].Submit.Sub(opts.Start).Seconds()))
	for _, j := range jobs {
		if err := s.fx.Sim.Submit(j); err != nil {
			return err
		}
	}
	if err := s.waitFor(ctx, "the queue to empty", func(context.Context) (bool, error) { return s.fx.Sim.Idle(), nil }); err != nil {
		return err
	}
	tl.note(ctx, "all jobs done: idle ranks drain and go after the scale-down window")
	if err := s.waitSize(ctx, 1); err != nil {
		return err
	}

	tl.note(ctx, fmt.Sprintf("the application posts a hint: %d nodes for %s", hintSize, hintTTL))
	if _, err := s.app.PostHint(ctx, hintSize, hintTTL, "setting up the next phase"); err != nil {
		return err
	}
	if err := s.waitSize(ctx, hintSize); err != nil {
		return err
	}
	if err := s.waitFor(ctx, "the hint to expire", func(ctx context.Context) (bool, error) {
		sp, err := s.h.Policy(ctx, name)
		return err == nil && len(sp.Status.ActiveHints) == 0, err
	}); err != nil {
		return err
	}
	tl.note(ctx, "the hint expired: the queue decides again")
	return s.waitSize(ctx, 1)
}

// waitSize waits for the MiniCluster's size and Running pods to be n.
func (s *scenario) waitSize(ctx context.Context, n int32) error {
	return s.waitFor(ctx, fmt.Sprintf("size %d", n), func(ctx context.Context) (bool, error) {
		size, err := s.h.TargetSize(ctx, s.target)
		if err != nil {
			return false, err
		}
		pods, err := s.h.RunningPods(ctx, name)
		return size == n && pods == n, err
	})
}

// waitFor polls cond until it holds, for at most phaseBound; read errors are retried.
func (s *scenario) waitFor(ctx context.Context, what string, cond func(context.Context) (bool, error)) error {
	var last error
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, phaseBound, true, func(ctx context.Context) (bool, error) {
		ok, err := cond(ctx)
		last = err
		return ok && err == nil, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for %s: %w (last error: %v)", what, err, last)
	}
	return nil
}
