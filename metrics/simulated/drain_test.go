package simulated

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

func rankDrains(t *testing.T, c *Cluster) map[int32]string {
	t.Helper()
	s, err := c.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]string{}
	for _, r := range s.Ranks {
		if r.Drain != "" {
			out[r.Rank] = r.Drain
		}
	}
	return out
}

func TestDrainLetsTheJobFinish(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, Options{MaxSize: 4, InitialSize: 4})
	mustSubmit(t, c, Job{ID: 1, NNodes: 3, Runtime: 100 * time.Second})
	if err := c.Drain(ctx, flux.NewRankSet(2, 3), "fluxscale: scale-down"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[int32]string{2: flux.DrainDraining, 3: flux.DrainDrained}, rankDrains(t, c)); diff != "" {
		t.Errorf("while job 1 runs on 0-2 (-want +got):\n%s", diff)
	}
	// A drained rank gets no new job: this one fits only on rank 3.
	mustSubmit(t, c, Job{ID: 2, NNodes: 1, Runtime: 10 * time.Second})
	mustStep(t, c, epoch.Add(99*time.Second))
	if got := recordsByID(c)[2].Outcome; got != OutcomePending {
		t.Errorf("job 2 on a drained cluster is %s, want pending", got)
	}
	mustStep(t, c, epoch.Add(100*time.Second))
	if diff := cmp.Diff(map[int32]string{2: flux.DrainDrained, 3: flux.DrainDrained}, rankDrains(t, c)); diff != "" {
		t.Errorf("after job 1 ended (-want +got):\n%s", diff)
	}
	if err := c.Resize(2); err != nil {
		t.Fatal(err)
	}
	runToEnd(t, c)
	recs := recordsByID(c)
	if recs[1].Outcome != OutcomeFinished || recs[2].Outcome != OutcomeFinished || c.Stats().Killed != 0 {
		t.Errorf("outcomes %s, %s with %d killed; want both finished, none killed", recs[1].Outcome, recs[2].Outcome, c.Stats().Killed)
	}
	// Drain marks persist on removed ranks, as in Flux: the grower must undrain them.
	if diff := cmp.Diff(map[int32]string{2: flux.DrainDrained, 3: flux.DrainDrained}, rankDrains(t, c)); diff != "" {
		t.Errorf("after the shrink (-want +got):\n%s", diff)
	}
}

func TestUndrainGivesRanksBack(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, Options{MaxSize: 4, InitialSize: 4})
	if err := c.Drain(ctx, flux.NewRankSet(0, 1, 2, 3), ""); err != nil {
		t.Fatal(err)
	}
	mustSubmit(t, c, Job{ID: 1, NNodes: 2, Runtime: time.Second})
	if err := c.Undrain(ctx, flux.NewRankSet(1, 3)); err != nil {
		t.Fatal(err)
	}
	s, _ := c.State(ctx)
	if diff := cmp.Diff(map[string]string{F58(1): "RUN 1,3"}, jobStates(s)); diff != "" {
		t.Errorf("jobs (-want +got):\n%s", diff)
	}
}

func TestDrainKeepsAnEarlierDrain(t *testing.T) {
	// The CLI client drains with -u: ranks already drained keep their reason, no error.
	ctx := context.Background()
	c := newCluster(t, Options{MaxSize: 4, InitialSize: 4})
	if err := c.Drain(ctx, flux.NewRankSet(3), "first"); err != nil {
		t.Fatal(err)
	}
	if err := c.Drain(ctx, flux.NewRankSet(2, 3), "second"); err != nil {
		t.Fatalf("draining 2-3 with 3 drained: %v", err)
	}
	s, _ := c.State(ctx)
	if s.Ranks[2].Reason != "second" || s.Ranks[3].Reason != "first" {
		t.Errorf("reasons %q, %q; want rank 2 the new one, rank 3 its first", s.Ranks[2].Reason, s.Ranks[3].Reason)
	}
}

func TestDrainErrorsLikeFlux(t *testing.T) {
	tests := []struct {
		name    string
		call    func(ctx context.Context, c *Cluster) error
		wantErr string
	}{{
		name:    "drain beyond the max size",
		call:    func(ctx context.Context, c *Cluster) error { return c.Drain(ctx, flux.NewRankSet(9), "x") },
		wantErr: "idset is out of range",
	}, {
		name:    "undrain a rank that is not drained",
		call:    func(ctx context.Context, c *Cluster) error { return c.Undrain(ctx, flux.NewRankSet(2, 3)) },
		wantErr: "rank 2 not drained",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := newCluster(t, Options{MaxSize: 4, InitialSize: 4})
			if err := c.Drain(ctx, flux.NewRankSet(3), "first"); err != nil {
				t.Fatal(err)
			}
			err := tc.call(ctx, c)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
			// A failed call changes nothing.
			if diff := cmp.Diff(map[int32]string{3: flux.DrainDrained}, rankDrains(t, c)); diff != "" {
				t.Errorf("drains after the failed call (-want +got):\n%s", diff)
			}
		})
	}
}
