package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/utils/ptr"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/test/builders"
	"github.com/fluxscale/fluxscale/test/fluxoperator"
	"github.com/fluxscale/fluxscale/test/harness"
	"github.com/fluxscale/fluxscale/test/localcluster"
)

// realBurst are the real Flux jobs of the default demo: nodes and seconds of sleep each,
// submitted one a second.
var realBurst = []struct{ nodes, seconds int }{
	{1, 8}, {2, 10}, {1, 6}, {3, 12}, {2, 8}, {1, 10}, {4, 10}, {2, 6}, {1, 8}, {3, 8},
}

// runReal is the default demo on real parts: the real Flux Operator runs the operator's
// example MiniCluster (flux-sample, size 2, maxSize 10), each Running pod gets a real flux
// broker (test/fluxoperator), and the controller reads Flux through pods/exec into rank 0.
// Real Flux jobs run for real seconds.
func runReal(ctx context.Context, outDir string, log io.Writer) error {
	root, err := os.MkdirTemp("", "fo")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	opts := fluxoperator.ClusterOptions(root, 1)
	opts.LogDir = filepath.Join(outDir, "demo-cluster-logs")
	started := time.Now()
	c, err := localcluster.Start(ctx, opts)
	if err != nil {
		return fmt.Errorf("starting the local control plane: %w", err)
	}
	defer c.Stop()
	logf := func(format string, args ...any) { fmt.Fprintf(log, format+"\n", args...) }
	op, err := fluxoperator.Run(ctx, c, root, logf)
	if err != nil {
		return err
	}
	defer op.Stop()
	h, err := harness.StartOn(ctx, c, harness.Options{RealOperator: true, Log: log})
	if err != nil {
		return err
	}
	defer func() {
		fmt.Println("stopping everything...")
		h.Stop()
	}()
	dyn, err := dynamic.NewForConfig(c.RESTConfig())
	if err != nil {
		return err
	}
	mc, err := fluxoperator.LoadExample(h.Namespace)
	if err != nil {
		return err
	}
	if _, err := dyn.Resource(fluxoperator.MiniClusterResource).Namespace(h.Namespace).Create(ctx, mc, metav1.CreateOptions{}); err != nil {
		return err
	}
	var in *fluxoperator.Instance
	if err := poll(ctx, "the first broker", func(ctx context.Context) bool {
		var ok bool
		in, ok = op.Instance(h.Namespace, name)
		if !ok {
			return false
		}
		online, err := in.ResourceStatus(ctx, "online")
		return err == nil && online == "0-1"
	}); err != nil {
		return err
	}
	fmt.Printf("ready in %s: the real Flux Operator, MiniCluster %s with 2 real brokers; logs: %s\n\n",
		time.Since(started).Round(100*time.Millisecond), name, opts.LogDir)

	d := &realDemo{h: h, in: in, start: time.Now(), out: os.Stdout}
	fmt.Fprintln(d.out, "  time    jobs         size        Flux ranks\n          pend/run     spec/pods   online    decision")
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { defer close(done); d.watch(ctx, stop) }()
	err = d.play(ctx)
	close(stop)
	<-done
	if err != nil {
		return err
	}
	return d.summary(ctx)
}

// realDemo narrates the real-Flux demo.
type realDemo struct {
	h     *harness.Harness
	in    *fluxoperator.Instance
	start time.Time
	out   io.Writer
	last  string
}

var demoRef = v1alpha1.TargetRef{APIVersion: "flux-framework.org/v1alpha2", Kind: "MiniCluster", Name: name}

func (d *realDemo) play(ctx context.Context) error {
	sp := builders.MakeScalingPolicy(name, d.h.Namespace).Target(demoRef.APIVersion, demoRef.Kind, demoRef.Name).
		MinSize(1).MaxSize(maxSize).QueueDepth(0).PollInterval(pollSeconds).
		Behavior(&v1alpha1.ScalingBehavior{ScaleDown: &v1alpha1.ScalingRules{StabilizationWindowSeconds: ptr.To[int32](scaleDownWindow)}}).
		Obj()
	d.note(fmt.Sprintf("ScalingPolicy %s created: QueueDepth, Exec source (pods/exec into rank 0), scale-down window %d s, poll %d s",
		name, scaleDownWindow, pollSeconds))
	if err := d.h.Client.Create(ctx, sp); err != nil {
		return err
	}
	d.note(fmt.Sprintf("burst: %d real Flux jobs of 1-4 nodes, 6-12 s each, one a second", len(realBurst)))
	for _, j := range realBurst {
		if _, err := d.in.Flux(ctx, "submit", "--quiet", fmt.Sprintf("-N%d", j.nodes), "sleep", fmt.Sprint(j.seconds)); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	if err := poll(ctx, "the queue to empty", func(ctx context.Context) bool {
		out, err := d.in.Flux(ctx, "jobs", "-n", "-o", "{id}")
		return err == nil && strings.TrimSpace(out) == ""
	}); err != nil {
		return err
	}
	d.note("all jobs done: idle ranks drain and go after the scale-down window")
	if err := d.waitOnline(ctx, "0"); err != nil {
		return err
	}
	app, err := d.h.NewApp(ctx, "solver", name)
	if err != nil {
		return err
	}
	d.note(fmt.Sprintf("the application posts a hint: %d nodes for %s", hintSize, hintTTL))
	if _, err := app.PostHint(ctx, hintSize, hintTTL, "setting up the next phase"); err != nil {
		return err
	}
	if err := d.waitOnline(ctx, "0-3"); err != nil {
		return err
	}
	if err := d.waitOnline(ctx, "0"); err != nil {
		return err
	}
	d.note("the hint expired: the queue decided again")
	return nil
}

func (d *realDemo) waitOnline(ctx context.Context, ranks string) error {
	return poll(ctx, "Flux ranks "+ranks+" online", func(ctx context.Context) bool {
		online, err := d.in.ResourceStatus(ctx, "online")
		return err == nil && online == ranks
	})
}

// watch prints a line whenever what it samples changes.
func (d *realDemo) watch(ctx context.Context, stop <-chan struct{}) {
	for {
		d.sample(ctx)
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (d *realDemo) sample(ctx context.Context) {
	states, err := d.in.Flux(ctx, "jobs", "-n", "-o", "{state}")
	if err != nil {
		return
	}
	pend, run := strings.Count(states, "SCHED")+strings.Count(states, "DEPEND")+strings.Count(states, "PRIORITY"), strings.Count(states, "RUN")
	size, _ := d.h.TargetSize(ctx, demoRef)
	pods, _ := d.h.RunningPods(ctx, name)
	online, _ := d.in.ResourceStatus(ctx, "online")
	decision := ""
	if sp, err := d.h.Policy(ctx, name); err == nil && sp.Status.ObservedGeneration > 0 {
		decision = fmt.Sprintf("desired %2d", sp.Status.DesiredSize)
		for _, c := range sp.Status.Conditions {
			if c.Type == v1alpha1.ConditionScalingLimited && c.Status == metav1.ConditionTrue {
				decision += " [" + c.Reason + "]"
			}
		}
	}
	line := fmt.Sprintf("%3d/%-3d     %3d/%-3d     %-9s %s", pend, run, size, pods, online, decision)
	if line != d.last {
		d.last = line
		fmt.Fprintf(d.out, "%6.1fs   %s\n", time.Since(d.start).Seconds(), line)
	}
}

func (d *realDemo) note(msg string) {
	fmt.Fprintf(d.out, "%6.1fs   >> %s\n", time.Since(d.start).Seconds(), msg)
}

// summary says what Flux and the API server recorded.
func (d *realDemo) summary(ctx context.Context) error {
	results, err := d.in.Flux(ctx, "jobs", "-a", "-n", "-o", "{result}")
	if err != nil {
		return err
	}
	events, err := d.h.EventCounts(ctx, "ScalingPolicy", name)
	if err != nil {
		return err
	}
	fmt.Fprintln(d.out, "\nsummary")
	fmt.Fprintf(d.out, "  scale actions      %d (SuccessfulRescale events), %d drains\n",
		events[v1alpha1.EventSuccessfulRescale], events[v1alpha1.EventDrainStarted])
	fmt.Fprintf(d.out, "  Flux jobs          %d COMPLETED, %d other (Flux's own results: none may be killed)\n",
		strings.Count(results, "COMPLETED"), len(strings.Fields(results))-strings.Count(results, "COMPLETED"))
	fmt.Fprintf(d.out, "  took               %s\n", time.Since(d.start).Round(time.Second))
	return nil
}

// poll waits up to phaseBound for cond.
func poll(ctx context.Context, what string, cond func(context.Context) bool) error {
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, phaseBound, true, func(ctx context.Context) (bool, error) {
		return cond(ctx), nil
	})
	if err != nil {
		return fmt.Errorf("waiting for %s: %w", what, err)
	}
	return nil
}
