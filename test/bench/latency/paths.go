package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/fluxscale/fluxscale/autoscaler/hints"
	"github.com/fluxscale/fluxscale/metrics/simulated"
	"github.com/fluxscale/fluxscale/test/bench/internal/benchkit"
)

// Targets and the sizes each path alternates between.
const (
	hintJob, hintPolicy   = "hint-target", "hint-policy"
	queueJob, queuePolicy = "queue-target", "queue-policy"
	// The hint path's policy rests at minSize 1; hints (Floor) ask for 3, then 2, ...
	hintMin, hintUp, hintDown = 1, 3, 2
	// The queue path's policy rests at minSize 2; a running 4-node job makes it 4.
	queueMin, queueUp = 2, 4
	maxSize           = 8
)

// path is one way of triggering a resize: trigger(i) causes event i, whose Job size is
// want(i).
type path struct {
	name    string
	job     string
	trigger func(ctx context.Context, i int) error
	want    func(i int) int32
}

// hintPath posts Floor hints through the real hint API, alternating hintUp and hintDown.
func hintPath(c *hints.Client) path {
	pol := types.NamespacedName{Namespace: benchkit.Namespace, Name: hintPolicy}
	want := func(i int) int32 {
		if i%2 == 0 {
			return hintUp
		}
		return hintDown
	}
	return path{name: "hint posted (hint API)", job: hintJob, want: want, trigger: func(ctx context.Context, i int) error {
		_, err := c.Post(ctx, pol, hints.HintRequest{Size: ptr.To(want(i)), TTLSeconds: ptr.To[int32](3600), Reason: "bench"})
		return err
	}}
}

// queuePath changes the simulated queue, which the controller sees through the agent:
// even events submit a 4-node job (pending: only queueMin ranks are up until the Job
// grows), odd events advance the simulated clock past its end (it runs for 1 s of
// simulated time once the ranks are there). nextID keeps job IDs unique
// across runs on the same cluster.
func queuePath(sim *simulated.Cluster, nextID *uint64) path {
	want := func(i int) int32 {
		if i%2 == 0 {
			return queueUp
		}
		return queueMin
	}
	return path{name: "queue change (agent long-poll)", job: queueJob, want: want, trigger: func(_ context.Context, i int) error {
		if i%2 == 0 {
			*nextID++
			return sim.Submit(simulated.Job{ID: *nextID, NNodes: queueUp, Runtime: time.Second})
		}
		return sim.Advance(1500 * time.Millisecond) // past the 1 s job's end
	}}
}

// run causes n events on p one after the other and returns each one's latency: from just
// before the trigger to the first time the watch sees the new size. Each event waits gap
// after the previous size was seen, so the reconcile the controller's own write causes (its
// Job watch) is over and cannot answer the next event in place of its trigger or poll.
func run(ctx context.Context, w *benchkit.SizeWatch, p path, n int, timeout, gap time.Duration) ([]time.Duration, error) {
	out := make([]time.Duration, 0, n)
	for i := range n {
		select {
		case <-ctx.Done():
			return out, ctx.Err()
		case <-time.After(gap):
		}
		start := time.Now()
		if err := p.trigger(ctx, i); err != nil {
			return out, fmt.Errorf("%s, event %d: %w", p.name, i, err)
		}
		at, err := w.WaitFor(ctx, p.job, p.want(i), start, timeout)
		if err != nil {
			return out, fmt.Errorf("%s, event %d: %w", p.name, i, err)
		}
		out = append(out, at.Sub(start))
		if (i+1)%50 == 0 {
			fmt.Fprintf(os.Stderr, "%s %s: %d/%d events\n", time.Now().Format("15:04:05"), p.name, i+1, n)
		}
	}
	return out, nil
}
