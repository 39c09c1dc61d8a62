package simulated

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

// TestIdleBreakdownClasses walks one 4-rank cluster through each cause in turn, 10 s each.
func TestIdleBreakdownClasses(t *testing.T) {
	c := newCluster(t, Options{MaxSize: 6, InitialSize: 4, NodeUpDelay: 10 * time.Second})
	at := func(s int) time.Time { return epoch.Add(time.Duration(s) * time.Second) }
	// 0-10 s: job 1 on rank 0 only, nothing waits: ranks 1-3 are releasable.
	mustSubmit(t, c, Job{ID: 1, NNodes: 1, Runtime: time.Hour})
	mustStep(t, c, at(10))
	// 10-20 s: a 4-node job waits for rank 0: ranks 1-3 are held for it.
	mustSubmit(t, c, Job{ID: 2, NNodes: 4, Runtime: 10 * time.Second})
	mustStep(t, c, at(20))
	// 20-30 s: growing to 6 boots ranks 4-5 (and job 2 still waits).
	if err := c.Resize(6); err != nil {
		t.Fatal(err)
	}
	mustStep(t, c, at(30))
	// 30-40 s: job 2 runs on 1-4 (ranks 4-5 came up at 30 s), job 1 on 0: rank 5 is
	// releasable.
	mustStep(t, c, at(40))
	got := c.Stats().Idle
	want := IdleSeconds{Releasable: 3*10 + 1*10, HeldForPending: 3*10 + 3*10, Booting: 2 * 10}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("idle node-seconds at 40 s (-want +got):\n%s", diff)
	}
}

func TestIdleBelowABusyHigherRankAndDrained(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, Options{MaxSize: 4, InitialSize: 4})
	mustSubmit(t, c,
		Job{ID: 1, NNodes: 2, Runtime: 10 * time.Second}, // ranks 0-1
		Job{ID: 2, NNodes: 1, Runtime: time.Hour},        // rank 2
	)
	// 0-10 s: rank 3 releasable. 10-20 s: ranks 0-1 below busy rank 2, rank 3 releasable.
	mustStep(t, c, epoch.Add(20*time.Second))
	// 20-30 s: rank 3 drained, 0-1 still below rank 2. 30-40 s: rank 1 drained too; it
	// still waits for the job on rank 2, so it stays below busy.
	if err := c.Drain(ctx, flux.NewRankSet(3), "x"); err != nil {
		t.Fatal(err)
	}
	mustStep(t, c, epoch.Add(30*time.Second))
	if err := c.Drain(ctx, flux.NewRankSet(1), "x"); err != nil {
		t.Fatal(err)
	}
	mustStep(t, c, epoch.Add(40*time.Second))
	want := IdleSeconds{Releasable: 20, BelowBusy: 2*10 + 2*10 + 2*10, Draining: 10 + 10}
	if diff := cmp.Diff(want, c.Stats().Idle); diff != "" {
		t.Errorf("idle node-seconds (-want +got):\n%s", diff)
	}
}

// TestIdleBreakdownSumsToTheIdleTime drives random resizes and drains: whatever happens,
// every idle provisioned node-second lands in exactly one class.
func TestIdleBreakdownSumsToTheIdleTime(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 11))
	c := newCluster(t, Options{MaxSize: 16, InitialSize: 4, NodeUpDelay: 30 * time.Second, Sched: SchedEASY})
	mustSubmit(t, c, randomJobs(3, 200, 12)...)
	for i := 0; i < 400; i++ {
		mustStep(t, c, c.Now().Add(time.Duration(rng.IntN(90))*time.Second))
		switch rng.IntN(3) {
		case 0:
			if err := c.Resize(1 + rng.Int32N(16)); err != nil {
				t.Fatal(err)
			}
		case 1:
			r := rng.Int32N(16)
			if err := c.Drain(ctx, flux.NewRankSet(r), "x"); err != nil {
				t.Fatal(err)
			}
		default:
			s, _ := c.State(ctx)
			var drained []int32
			for _, r := range s.Ranks {
				if r.Drain != "" {
					drained = append(drained, r.Rank)
				}
			}
			if err := c.Undrain(ctx, flux.NewRankSet(drained...)); err != nil {
				t.Fatal(err)
			}
		}
	}
	st := c.Stats()
	idle := st.ProvisionedNodeSeconds - st.BusyNodeSeconds
	if math.Abs(st.Idle.Total()-idle) > 1e-6*idle || st.Idle.Booting == 0 || st.Idle.Draining == 0 || st.Idle.HeldForPending == 0 {
		t.Errorf("idle classes %+v sum to %.1f node-seconds, want %.1f (provisioned %.1f - busy %.1f), with booting, draining and held all seen",
			st.Idle, st.Idle.Total(), idle, st.ProvisionedNodeSeconds, st.BusyNodeSeconds)
	}
}
