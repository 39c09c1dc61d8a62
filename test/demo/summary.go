package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/controllermetrics"
	"github.com/fluxscale/fluxscale/metrics/simulated"
)

// summary is what the run amounted to.
type summary struct {
	scaleActions     int
	finished, killed int
	provisioned      float64 // node-seconds the MiniCluster's pods existed
	busy             float64 // node-seconds a job ran
	static           float64 // node-seconds a MiniCluster fixed at maxSize would have used meanwhile
	meanWait         time.Duration
	maxWait          time.Duration
	waited           int
	triggerScales    uint64
	triggerMean      time.Duration
}

func (s *scenario) summarize(ctx context.Context) (summary, error) {
	var out summary
	counts, err := s.h.EventCounts(ctx, "ScalingPolicy", name)
	if err != nil {
		return out, err
	}
	out.scaleActions = counts[v1alpha1.EventSuccessfulRescale]
	st := s.fx.Sim.Stats()
	out.finished, out.killed = st.Finished, st.Killed
	out.provisioned, out.busy = st.ProvisionedNodeSeconds, st.BusyNodeSeconds
	out.static = maxSize * s.fx.Sim.Since(s.simStart).Seconds()
	var total time.Duration
	for _, r := range s.fx.Sim.Records() {
		if r.Start.IsZero() || r.Outcome == simulated.OutcomePending {
			continue
		}
		w := r.Start.Sub(r.Submit)
		total += w
		out.maxWait = max(out.maxWait, w)
		out.waited++
	}
	if out.waited > 0 {
		out.meanWait = total / time.Duration(out.waited)
	}
	for _, trig := range []string{controllermetrics.TriggerFluxState, controllermetrics.TriggerHint} {
		n, sum, err := s.h.Controller.Metric("fluxscale_trigger_to_scale_seconds", map[string]string{"policy": name, "trigger": trig})
		if err != nil {
			return out, err
		}
		out.triggerScales += n
		out.triggerMean += time.Duration(sum * float64(time.Second))
	}
	if out.triggerScales > 0 {
		out.triggerMean /= time.Duration(out.triggerScales)
	}
	return out, nil
}

func (s summary) print(w io.Writer) {
	fmt.Fprintln(w, "summary")
	fmt.Fprintf(w, "  scale actions      %d (SuccessfulRescale events)\n", s.scaleActions)
	fmt.Fprintf(w, "  jobs run           %d finished, %d killed by a shrink\n", s.finished, s.killed)
	util := 0.0
	if s.provisioned > 0 {
		util = 100 * s.busy / s.provisioned
	}
	fmt.Fprintf(w, "  node-seconds       %.0f provisioned, %.0f busy (%.0f%% used); fixed at %d nodes: %.0f\n",
		s.provisioned, s.busy, util, maxSize, s.static)
	fmt.Fprintf(w, "  wait for nodes     mean %.1f s, max %.1f s over %d jobs (submit to start)\n",
		s.meanWait.Seconds(), s.maxWait.Seconds(), s.waited)
	if s.triggerScales > 0 {
		fmt.Fprintf(w, "  trigger -> scale   mean %s over %d scales started by a Flux change or a hint\n",
			s.triggerMean.Round(time.Millisecond), s.triggerScales)
	}
}
