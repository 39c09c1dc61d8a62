package signals

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/policy"
)

// recordedRunner answers the Python reader with recorded output: `flux version` and the
// state program.
type recordedRunner struct{ version, state []byte }

func (r recordedRunner) Run(_ context.Context, argv []string) (flux.Result, error) {
	if slices.Contains(argv, "version") {
		return flux.Result{Stdout: r.version}, nil
	}
	return flux.Result{Stdout: r.state}, nil
}

// The time limits Flux printed reach policy through the real reader: a pending job's
// duration, and on each rank the expiration of the job holding it, except the rank whose
// job has no limit.
func TestTimeLimitsReachPolicy(t *testing.T) {
	version, err := os.ReadFile("testdata/flux-version.txt")
	if err != nil {
		t.Fatal(err)
	}
	state, err := os.ReadFile("testdata/limits.json")
	if err != nil {
		t.Fatal(err)
	}
	st, err := flux.NewPython(recordedRunner{version: version, state: state}, flux.CLIOptions{}).State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := FluxInput(st)
	unix := func(sec, nsec int64) time.Time { return time.Unix(sec, nsec).UTC() }
	// Ranks 0-1: -t 30m; rank 2: -t 1h; rank 3: no limit (limits.flux-jobs.txt).
	r01, r2 := unix(1796304839, 978630304), unix(1796306640, 166016101)
	want := []policy.Rank{
		{Rank: 0, Up: true, Allocated: true, Expires: r01}, {Rank: 1, Up: true, Allocated: true, Expires: r01},
		{Rank: 2, Up: true, Allocated: true, Expires: r2}, {Rank: 3, Up: true, Allocated: true},
	}
	near := cmp.Comparer(func(a, b time.Time) bool { return a.Sub(b).Abs() < time.Microsecond })
	if diff := cmp.Diff(want, got.Ranks, near); diff != "" {
		t.Errorf("ranks (-want +got):\n%s", diff)
	}
	wantPending := []policy.PendingJob{
		{ID: "ƒgU3t7R", NNodes: 4, Duration: 10 * time.Minute}, {ID: "ƒn1mCGF", NNodes: 1},
	}
	if diff := cmp.Diff(wantPending, got.Pending); diff != "" {
		t.Errorf("pending (-want +got):\n%s", diff)
	}
}

// A rank shared by two jobs is free when the later one expires; one job with no limit
// makes it unknown. A rank no listed job holds is unknown too.
func TestRankExpirationIsTheLastJobsLimit(t *testing.T) {
	t0 := time.Unix(1000, 0).UTC()
	st := flux.State{
		PerRank: true, Counts: flux.Counts{Run: 3},
		Jobs: []flux.Job{
			{ID: "a", State: flux.JobRun, Ranks: flux.NewRankSet(0, 1), Expiration: t0.Add(time.Hour)},
			{ID: "b", State: flux.JobRun, Ranks: flux.NewRankSet(1), Expiration: t0.Add(2 * time.Hour)},
			{ID: "c", State: flux.JobCleanup, Ranks: flux.NewRankSet(0, 2)},
		},
		Ranks: []flux.Rank{
			{Rank: 0, Online: true, Allocated: true}, {Rank: 1, Online: true, Allocated: true},
			{Rank: 2, Online: true, Allocated: true}, {Rank: 3, Online: true, Allocated: true},
			{Rank: 4, Online: true},
		},
	}
	var got []time.Time
	for _, r := range FluxInput(st).Ranks {
		got = append(got, r.Expires)
	}
	want := []time.Time{{}, t0.Add(2 * time.Hour), {}, {}, {}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("expirations by rank (-want +got):\n%s", diff)
	}
}
