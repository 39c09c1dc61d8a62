package simulated

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

// TestElasticConfigScenario replays the fixtures' elastic-config scenario (a MiniCluster of
// size 4, maxSize 6, 2 cores per node) and checks State against what Flux printed there:
// 02_jobs_fmt, 02_resource_list_fmt, 03_resource_status_fmt, 03_resource_list_fmt and
// 04_resource_status_fmt_after_job_end in
// test/fluxstandin/fixture/testdata/flux/elastic-config.
func TestElasticConfigScenario(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, Options{MaxSize: 6, InitialSize: 4, CoresPerNode: 2})
	mustSubmit(t, c,
		Job{ID: 1, NNodes: 2, Runtime: time.Hour},
		Job{ID: 2, NNodes: 1, Runtime: time.Minute},
		Job{ID: 3, NNodes: 3, Runtime: time.Minute},
		Job{ID: 4, NNodes: 6, Runtime: time.Minute},
		Job{ID: 5, NNodes: 7, Runtime: time.Minute},
	)
	mustStep(t, c, epoch.Add(time.Second))
	s, err := c.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// 02_jobs_fmt: pending in queue order, then running newest first; pending jobs have no
	// ncores yet, running ones have 2 per node. The fixture's jobs had no time limit; here
	// each job's walltime is its limit (duration), and a running job expires at its start
	// plus that limit.
	wantJobs := []flux.Job{
		{ID: F58(3), State: flux.JobSched, NNodes: 3, NTasks: 3, Duration: time.Minute},
		{ID: F58(4), State: flux.JobSched, NNodes: 6, NTasks: 6, Duration: time.Minute},
		{ID: F58(5), State: flux.JobSched, NNodes: 7, NTasks: 7, Duration: time.Minute},
		{ID: F58(2), State: flux.JobRun, NNodes: 1, NTasks: 1, NCores: 2, Ranks: flux.NewRankSet(2),
			Duration: time.Minute, Expiration: epoch.Add(time.Minute)},
		{ID: F58(1), State: flux.JobRun, NNodes: 2, NTasks: 2, NCores: 4, Ranks: flux.NewRankSet(0, 1),
			Duration: time.Hour, Expiration: epoch.Add(time.Hour)},
	}
	if diff := cmp.Diff(wantJobs, s.Jobs); diff != "" {
		t.Errorf("jobs (-want +got):\n%s", diff)
	}
	want := flux.State{Size: 6, CoresPerNode: 2, PerRank: true, Counts: flux.Counts{Sched: 3, Run: 2},
		// 02_resource_list_fmt: free 1 (3), allocated 3 (0-2), down 2 (4-5).
		Nodes: flux.NodeCounts{Up: 4, Free: 1, Allocated: 3, Down: 2}}
	ignore := cmpopts.IgnoreFields(flux.State{}, "ObservedAt", "Version", "Jobs", "Ranks")
	if diff := cmp.Diff(want, s, ignore); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}

	if err := c.Drain(ctx, flux.NewRankSet(2, 3), "fluxscale: scale-down"); err != nil {
		t.Fatal(err)
	}
	s, _ = c.State(ctx)
	// 03_resource_status_fmt: avail 0-1, avail* (offline) 4-5, draining 2, drained 3.
	wantRanks := []flux.Rank{
		{Rank: 0, Online: true, Allocated: true}, {Rank: 1, Online: true, Allocated: true},
		{Rank: 2, Online: true, Allocated: true, Drain: flux.DrainDraining, Reason: "fluxscale: scale-down"},
		{Rank: 3, Online: true, Drain: flux.DrainDrained, Reason: "fluxscale: scale-down"},
		{Rank: 4}, {Rank: 5},
	}
	if diff := cmp.Diff(wantRanks, s.Ranks); diff != "" {
		t.Errorf("ranks after drain (-want +got):\n%s", diff)
	}
	// 03_resource_list_fmt: free 0, allocated 3 (0-2), down 4 (2-5): draining counts twice.
	if diff := cmp.Diff(flux.NodeCounts{Up: 2, Free: 0, Allocated: 3, Down: 4}, s.Nodes); diff != "" {
		t.Errorf("nodes after drain (-want +got):\n%s", diff)
	}

	mustStep(t, c, epoch.Add(time.Minute))
	s, _ = c.State(ctx)
	// 04: J2 ended, both drained; J3 still cannot run (only 0-1 are usable and busy).
	if s.Ranks[2].Drain != flux.DrainDrained || s.Counts.Sched != 3 {
		t.Errorf("rank 2 %q with %d pending; want drained with 3 pending", s.Ranks[2].Drain, s.Counts.Sched)
	}
}

func TestVersionChangesWithState(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, Options{MaxSize: 2, InitialSize: 2})
	v0 := mustVersion(t, c)
	mustStep(t, c, epoch.Add(time.Hour))
	if v := mustVersion(t, c); v != v0 {
		t.Errorf("version %d after time passed with no event, want %d", v, v0)
	}
	mustSubmit(t, c, Job{ID: 1, NNodes: 1, Runtime: time.Second})
	v1 := mustVersion(t, c)
	if v1 == v0 || v0 == 0 {
		t.Errorf("versions %d then %d across a submit: want non-zero and different", v0, v1)
	}
	if err := c.Drain(ctx, flux.NewRankSet(1), ""); err != nil {
		t.Fatal(err)
	}
	if v := mustVersion(t, c); v == v1 {
		t.Errorf("version unchanged by a drain")
	}
}

func mustVersion(t *testing.T, c *Cluster) uint64 {
	t.Helper()
	s, err := c.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s.Version
}

func TestJobListIsCutLikeFluxJobs(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		want  []string
	}{
		{"pending fill the list first", 3, []string{F58(3), F58(4), F58(5)}},
		{"then the newest running job", 4, []string{F58(3), F58(4), F58(5), F58(2)}},
		{"no cap", -1, []string{F58(3), F58(4), F58(5), F58(2), F58(1)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, Options{MaxSize: 4, InitialSize: 4, JobListLimit: tc.limit})
			mustSubmit(t, c, Job{ID: 1, NNodes: 2, Runtime: time.Hour})
			mustStep(t, c, epoch.Add(time.Second))
			mustSubmit(t, c, busyJobs()[1:]...)
			s, _ := c.State(context.Background())
			var got []string
			for _, j := range s.Jobs {
				got = append(got, j.ID)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("listed jobs (-want +got):\n%s", diff)
			}
			if want := (flux.Counts{Sched: 3, Run: 2}); s.Counts != want {
				t.Errorf("counts %+v, want %+v whatever the cap", s.Counts, want)
			}
		})
	}
}
