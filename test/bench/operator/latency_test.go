// Package operator measures the fluxscale controller's trigger-to-scale latency on the real
// Flux Operator path (test/fluxoperator: the operator's example MiniCluster, one real broker
// per Running pod, Flux read through pods/exec into rank 0): from a Flux queue change (a job
// submitted to or cancelled on the real broker) to two moments, each seen on a watch: the
// MiniCluster's spec.size (the controller's own write: what the autoscaler controls) and the
// MiniCluster's Job parallelism (which adds the operator's turn). First with the Exec source
// following Flux's journals (-flux-watch=stream) and then, in the same process on the same
// cluster and MiniCluster, reading only at the poll interval (-flux-watch=poll, the
// baseline; -poll-events of them). Optionally also from a hint posted through the real hint
// API (-hint-events).
//
//	go test -run '^$' -bench RealOperator -benchtime 1x -timeout 45m ./test/bench/operator/ -events 100
package operator

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/test/bench/internal/benchkit"
	"github.com/fluxscale/fluxscale/test/builders"
	"github.com/fluxscale/fluxscale/test/fluxoperator"
	"github.com/fluxscale/fluxscale/test/harness"
)

var (
	events     = flag.Int("events", 100, "queue events per watch mode (alternating submit and cancel)")
	pollEvents = flag.Int("poll-events", -1, "queue events of the poll baseline (-1: -events); each costs a poll or two")
	hintEvents = flag.Int("hint-events", 0, "hint events (alternating up and down), before the queue events; 0: none")
	pollPeriod = flag.Int("poll", 10, "the policy's pollIntervalSeconds (10: the default)")
	budget     = flag.Duration("budget", 30*time.Minute, "wall time per path (hints, stream, poll); a path that spends it stops and reports the events it has")
)

const (
	mc        = "flux-sample"
	eventWait = 3 * time.Minute // one event's bound: a grow waits for nothing but the write
)

func BenchmarkRealOperatorLatency(b *testing.B) {
	c, op := fluxoperator.StartForTest(b)
	h := harness.StartOnForTest(b, c, harness.Options{RealOperator: true, FluxWatch: source.WatchStream})
	ctx := b.Context()
	dyn, err := dynamic.NewForConfig(c.RESTConfig())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := dyn.Resource(fluxoperator.MiniClusterResource).Namespace(h.Namespace).
		Create(ctx, fluxoperator.Example(b, h.Namespace), metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	var in *fluxoperator.Instance
	harness.Eventually(b, eventWait, "the first broker", func(context.Context) (bool, string) {
		var ok bool
		in, ok = op.Instance(h.Namespace, mc)
		return ok, "no Running pod yet"
	})
	in.WaitStatus(b, "online", "0-1", eventWait)
	jobs, err := benchkit.WatchSizes(ctx, c.Client(), h.Namespace, nil)
	if err != nil {
		b.Fatal(err)
	}
	specs, err := benchkit.WatchMiniClusterSizes(ctx, dyn, h.Namespace)
	if err != nil {
		b.Fatal(err)
	}
	watch := watches{spec: specs, job: jobs}
	// No scale-down window, so a step down is decided at once and waits only for its drain.
	zero := &v1alpha1.ScalingBehavior{ScaleDown: &v1alpha1.ScalingRules{StabilizationWindowSeconds: ptr.To[int32](0)}}
	sp := builders.MakeScalingPolicy(mc, h.Namespace).Target("flux-framework.org/v1alpha2", "MiniCluster", mc).
		MinSize(2).MaxSize(10).QueueDepth(0).PollInterval(int32(*pollPeriod)).Behavior(zero).Obj()
	if err := h.Client.Create(ctx, sp); err != nil {
		b.Fatal(err)
	}
	// Queue path: a 3-node job makes the queue ask for 3; cancelling it gives 2. An even
	// count ends each mode at 2 with no job left.
	var job string
	queue := func(i int) (int32, error) {
		if i%2 == 0 {
			out, err := in.Flux(ctx, "submit", "-N3", "sleep", "inf")
			job = strings.TrimSpace(out)
			return 3, err
		}
		_, err := in.Flux(ctx, "cancel", job)
		return 2, err
	}
	b.ResetTimer()
	rows := [][]string{}
	add := func(name string, up, down latencies) {
		for _, d := range []struct {
			dir string
			lat latencies
		}{{"up (2 → 3)", up}, {"down (3 → 2, drain first)", down}, {"all", up.and(down)}} {
			row := []string{name, d.dir, fmt.Sprint(len(d.lat.spec))}
			for _, lat := range [][]time.Duration{d.lat.spec, d.lat.job} {
				row = append(row, benchkit.Ms(benchkit.Percentile(lat, 50)), benchkit.Ms(benchkit.Percentile(lat, 95)),
					benchkit.Ms(benchkit.Percentile(lat, 99)), benchkit.Ms(benchkit.Percentile(lat, 100)))
			}
			rows = append(rows, row)
		}
	}
	if *hintEvents > 0 {
		up, down := measureHints(b, h, watch, *hintEvents)
		add("hint posted (hint API trigger)", up, down)
	}
	waitFollowing(b, h)
	b.Logf("stream: %d events from %s (load %s)", *events, time.Now().UTC().Format(time.TimeOnly), benchkit.Load())
	up, down := measure(b, watch, queue, *events)
	add("flux submit/cancel, -flux-watch=stream", up, down)
	b.Logf("stream: %d events; starting the controller again with -flux-watch=poll", len(up.spec)+len(down.spec))
	if err := h.RestartController(ctx, source.WatchPoll); err != nil {
		b.Fatal(err)
	}
	n := *pollEvents
	if n < 0 {
		n = *events
	}
	b.Logf("poll: %d events from %s (load %s)", n, time.Now().UTC().Format(time.TimeOnly), benchkit.Load())
	up, down = measure(b, watch, queue, n)
	add(fmt.Sprintf("flux submit/cancel, -flux-watch=poll (poll %d s)", *pollPeriod), up, down)
	b.Logf("done at %s (load %s)", time.Now().UTC().Format(time.TimeOnly), benchkit.Load())
	b.StopTimer()
	fmt.Fprintf(os.Stdout, "\nFlux queue change -> MiniCluster spec.size, and -> its Job parallelism, on the real Flux Operator (%s)\n", benchkit.Machine())
	benchkit.Table(os.Stdout, []string{"path", "direction", "events",
		"spec p50", "spec p95", "spec p99", "spec max", "Job p50", "Job p95", "Job p99", "Job max"}, rows)
}

// watches are the two moments an event is measured to: the MiniCluster's spec.size (the
// controller's write) and its Job's parallelism (after the operator's turn).
type watches struct {
	spec, job *benchkit.SizeWatch
}

// latencies are events' latencies to each moment, in event order.
type latencies struct {
	spec, job []time.Duration
}

func (l latencies) and(m latencies) latencies {
	return latencies{spec: append(append([]time.Duration{}, l.spec...), m.spec...),
		job: append(append([]time.Duration{}, l.job...), m.job...)}
}

// waitFollowing waits for the policy's FluxWatch condition to say the stream follows Flux,
// so that the first stream event does not measure the exec starting.
func waitFollowing(b *testing.B, h *harness.Harness) {
	harness.Eventually(b, eventWait, "FluxWatch True/Following", func(ctx context.Context) (bool, string) {
		var sp v1alpha1.ScalingPolicy
		if err := h.Client.Get(ctx, client.ObjectKey{Namespace: h.Namespace, Name: mc}, &sp); err != nil {
			return false, err.Error()
		}
		c := meta.FindStatusCondition(sp.Status.Conditions, v1alpha1.ConditionFluxWatch)
		if c == nil {
			return false, "no FluxWatch condition"
		}
		return c.Status == metav1.ConditionTrue, c.Reason + ": " + c.Message
	})
}

// measureHints runs n hint events: Floor hints of 3, then 2 (the minSize), one after the
// other, and a short last hint of 2 so the queue path starts from rest.
func measureHints(b *testing.B, h *harness.Harness, watch watches, n int) (up, down latencies) {
	ctx := b.Context()
	app, err := h.NewApp(ctx, "bench", mc)
	if err != nil {
		b.Fatal(err)
	}
	hint := func(i int) (int32, error) {
		size := int32(3 - i%2)
		_, err := app.PostHint(ctx, size, time.Hour, "bench")
		return size, err
	}
	up, down = measure(b, watch, hint, n)
	if _, err := app.PostHint(ctx, 2, time.Second, "bench: rest"); err != nil {
		b.Fatal(err)
	}
	return up, down
}

// measure runs up to n events of trigger, each after the previous size was seen and a second
// of rest (so the reconcile caused by the controller's own write is over), and returns the
// latencies of the steps up and down, to the MiniCluster's spec.size and to its Job's
// parallelism. It stops early, after a step down (so the next path starts at rest), once it
// has spent -budget.
func measure(b *testing.B, w watches, trigger func(int) (int32, error), n int) (up, down latencies) {
	ctx := b.Context()
	deadline := time.Now().Add(*budget)
	for i := range n {
		if i%2 == 0 && time.Now().After(deadline) {
			b.Logf("budget spent after %d of %d events", i, n)
			return up, down
		}
		start := time.Now()
		want, err := trigger(i)
		if err != nil {
			b.Fatal(err)
		}
		// The Job follows the spec, so by the time its parallelism is seen the spec's
		// change has been seen too (each watch stamps its own observations).
		jobSeen, err := w.job.WaitFor(ctx, mc, want, start, eventWait)
		if err != nil {
			b.Fatalf("event %d: %v", i, err)
		}
		specSeen, err := w.spec.WaitFor(ctx, mc, want, start, eventWait)
		if err != nil {
			b.Fatalf("event %d: MiniCluster %v", i, err)
		}
		l := &up
		if i%2 == 1 {
			l = &down
		}
		l.spec = append(l.spec, specSeen.Sub(start))
		l.job = append(l.job, jobSeen.Sub(start))
		select {
		case <-ctx.Done():
			return up, down
		case <-time.After(time.Second):
		}
	}
	return up, down
}
