package simulated

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

func TestSuspendedRanksCostNothingAndResumeAfterTheDelay(t *testing.T) {
	c := newCluster(t, Options{MaxSize: 4, InitialSize: 4, NodeUpDelay: time.Minute})
	if err := c.Suspend(flux.NewRankSet(2, 3)); err != nil {
		t.Fatal(err)
	}
	mustStep(t, c, epoch.Add(time.Hour))
	// A 3-node job cannot start on the two online ranks: resume one, it waits for the boot.
	mustSubmit(t, c, Job{ID: 1, NNodes: 3, Runtime: time.Hour})
	if err := c.Resume(flux.NewRankSet(3)); err != nil {
		t.Fatal(err)
	}
	s, _ := c.State(context.Background())
	if s.Ranks[2].Online || s.Ranks[3].Online || s.Counts.Sched != 1 {
		t.Errorf("after resuming rank 3: ranks 2, 3 online %v, %v with %d pending; want both offline, 1 pending", s.Ranks[2].Online, s.Ranks[3].Online, s.Counts.Sched)
	}
	runToEnd(t, c)
	r := recordsByID(c)[1]
	if want := epoch.Add(time.Hour + time.Minute); !r.Start.Equal(want) || len(r.Ranks) != 3 || r.Ranks[2] != 3 {
		t.Errorf("job 1 started at %s on %v, want at %s on ranks 0, 1, 3", r.Start, r.Ranks, want)
	}
	st := c.Stats()
	// Two ranks for the first hour, three for the boot minute and the job's hour.
	if want := (2*3600 + 3*60 + 3*3600) * 1.0; st.ProvisionedNodeSeconds != want || st.Suspends != 2 || st.Resumes != 1 {
		t.Errorf("provisioned %.0f node-seconds, %d suspends, %d resumes; want %.0f, 2, 1", st.ProvisionedNodeSeconds, st.Suspends, st.Resumes, want)
	}
}

func TestSuspendRefusesRanksItCannotPowerOff(t *testing.T) {
	tests := []struct {
		name    string
		call    func(c *Cluster) error
		wantErr string
	}{
		{"a busy rank", func(c *Cluster) error { return c.Suspend(flux.NewRankSet(0)) }, "rank 0 runs a job"},
		{"outside the size", func(c *Cluster) error { return c.Suspend(flux.NewRankSet(3)) }, "rank 3 is outside the size 3"},
		{"twice", func(c *Cluster) error { return c.Suspend(flux.NewRankSet(2)) }, "rank 2 is not online"},
		{"resume an online rank", func(c *Cluster) error { return c.Resume(flux.NewRankSet(1)) }, "rank 1 is not suspended"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, Options{MaxSize: 4, InitialSize: 3})
			mustSubmit(t, c, Job{ID: 1, NNodes: 1, Runtime: time.Hour})
			if err := c.Suspend(flux.NewRankSet(2)); err != nil {
				t.Fatal(err)
			}
			if err := tc.call(c); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
			if st := c.Stats(); st.Suspends != 1 || st.Resumes != 0 {
				t.Errorf("%d suspends, %d resumes after the refused call; want 1, 0", st.Suspends, st.Resumes)
			}
		})
	}
}
