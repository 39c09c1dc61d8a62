// Package operator measures the fluxscale controller's trigger-to-scale latency on the real
// Flux Operator path (test/fluxoperator: the operator's example MiniCluster, one real broker
// per Running pod, Flux read through pods/exec into rank 0): from a hint posted through the
// real hint API, and from a Flux queue change (a job submitted to the real broker), to the
// MiniCluster's Job parallelism seen on a watch. The Exec source has no change stream, so the
// queue path waits for a poll: it is the poll-only baseline, run in the same process on the
// same cluster.
//
//	go test -run '^$' -bench RealOperator -benchtime 1x -timeout 60m ./test/bench/operator/ -events 100 -baseline-events 20
package operator

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/utils/ptr"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/test/bench/internal/benchkit"
	"github.com/fluxscale/fluxscale/test/builders"
	"github.com/fluxscale/fluxscale/test/fluxoperator"
	"github.com/fluxscale/fluxscale/test/harness"
)

var (
	events     = flag.Int("events", 100, "hint events (alternating up and down)")
	baseline   = flag.Int("baseline-events", 20, "queue events (poll-only: each waits up to a poll interval)")
	pollPeriod = flag.Int("poll", 10, "the policy's pollIntervalSeconds (10: the default)")
)

const (
	mc        = "flux-sample"
	eventWait = 3 * time.Minute // one event's bound: a grow waits for nothing but the write
)

func BenchmarkRealOperatorLatency(b *testing.B) {
	c, op := fluxoperator.StartForTest(b)
	h := harness.StartOnForTest(b, c, harness.Options{RealOperator: true})
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
	watch, err := benchkit.WatchSizes(ctx, c.Client(), h.Namespace, nil)
	if err != nil {
		b.Fatal(err)
	}
	// No scale-down window, so a step down is decided at once and waits only for its drain.
	zero := &v1alpha1.ScalingBehavior{ScaleDown: &v1alpha1.ScalingRules{StabilizationWindowSeconds: ptr.To[int32](0)}}
	sp := builders.MakeScalingPolicy(mc, h.Namespace).Target("flux-framework.org/v1alpha2", "MiniCluster", mc).
		MinSize(2).MaxSize(10).QueueDepth(0).PollInterval(int32(*pollPeriod)).Behavior(zero).Obj()
	if err := h.Client.Create(ctx, sp); err != nil {
		b.Fatal(err)
	}
	app, err := h.NewApp(ctx, "bench", mc)
	if err != nil {
		b.Fatal(err)
	}
	// Hint path: Floor hints of 3, then 2 (the minSize), one after the other.
	hint := func(i int) (int32, error) {
		size := int32(3 - i%2)
		_, err := app.PostHint(ctx, size, time.Hour, "bench")
		return size, err
	}
	// Queue path (poll-only): a 3-node job makes the queue ask for 3; cancelling it gives 2.
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
	for _, p := range []struct {
		name    string
		trigger func(int) (int32, error)
		n       int
	}{{"hint posted (hint API trigger)", hint, *events}, {fmt.Sprintf("flux submit/cancel (Exec, poll %ds)", *pollPeriod), queue, *baseline}} {
		up, down := measure(b, watch, p.trigger, p.n)
		for _, d := range []struct {
			dir string
			lat []time.Duration
		}{{"up", up}, {"down (drain first)", down}} {
			rows = append(rows, []string{p.name, d.dir, fmt.Sprint(len(d.lat)),
				benchkit.Ms(benchkit.Percentile(d.lat, 50)), benchkit.Ms(benchkit.Percentile(d.lat, 95)),
				benchkit.Ms(benchkit.Percentile(d.lat, 99)), benchkit.Ms(benchkit.Percentile(d.lat, 100))})
		}
		// Back to rest between paths: the hint path's last word is 2, the queue's is none.
		if _, err := app.PostHint(ctx, 2, time.Second, "bench: rest"); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	fmt.Fprintf(os.Stdout, "\ntrigger -> MiniCluster Job parallelism on the real Flux Operator (%s)\n", benchkit.Machine())
	benchkit.Table(os.Stdout, []string{"path", "direction", "events", "p50", "p95", "p99", "max"}, rows)
}

// measure runs n events of trigger, each after the previous size was seen and a second of
// rest (so the reconcile caused by the controller's own write is over), and returns the
// latencies of the steps up and down.
func measure(b *testing.B, w *benchkit.SizeWatch, trigger func(int) (int32, error), n int) (up, down []time.Duration) {
	ctx := b.Context()
	for i := range n {
		start := time.Now()
		want, err := trigger(i)
		if err != nil {
			b.Fatal(err)
		}
		seen, err := w.WaitFor(ctx, mc, want, start, eventWait)
		if err != nil {
			b.Fatalf("event %d: %v", i, err)
		}
		if i%2 == 0 {
			up = append(up, seen.Sub(start))
		} else {
			down = append(down, seen.Sub(start))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
	return up, down
}
