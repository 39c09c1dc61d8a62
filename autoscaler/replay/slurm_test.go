package replay

import (
	"testing"
	"time"

	"github.com/fluxscale/fluxscale/metrics/simulated"
)

// TestSlurmSuspendsIdleNodesAndResumesOnDemand: 4 nodes, SuspendTime 10 min, start delay
// 1 min. A 1-node job at 0 runs an hour on rank 0; ranks 1-3 suspend at 10 min, rank 0 at
// 1 h 10 min. A 3-node job arriving at 2 h finds no node up, resumes three and starts a
// minute later; the replay ends with it at 3 h 1 min.
func TestSlurmSuspendsIdleNodesAndResumesOnDemand(t *testing.T) {
	jobs := []simulated.Job{
		{ID: 1, Submit: epoch, NNodes: 1, Runtime: time.Hour},
		{ID: 2, Submit: epoch.Add(2 * time.Hour), NNodes: 3, Runtime: time.Hour},
	}
	cfg := Config{Cluster: simulated.Options{MaxSize: 4, NodeUpDelay: time.Minute, Sched: simulated.SchedEASY}, Jobs: jobs}
	r := mustRun(t, cfg, NewSlurmScaler("slurm", 4, DefaultSlurmOptions()))
	start := r.Records[1].Start
	if want := epoch.Add(2*time.Hour + time.Minute); !start.Equal(want) {
		t.Errorf("job 2 started at %s, want %s (resumed nodes up after the start delay)", start.Sub(epoch), want.Sub(epoch))
	}
	if r.Stats.Suspends != 4 || r.Stats.Resumes != 3 || r.Stats.Killed != 0 {
		t.Errorf("%d suspends, %d resumes, %d killed; want 4, 3, none killed",
			r.Stats.Suspends, r.Stats.Resumes, r.Stats.Killed)
	}
	// On: 4 nodes for 10 min, rank 0 for the next 60 min, 3 for 1 + 60 min after 2 h. Each
	// suspend happens within one 10 s period past SuspendTime.
	want := (4*10 + 60 + 3*61) * 60.0
	if got := r.Stats.ProvisionedNodeSeconds; got < want || got > want+4*slurmPeriod.Seconds() {
		t.Errorf("provisioned %.0f node-seconds, want %.0f to %.0f", got, want, want+4*slurmPeriod.Seconds())
	}
}
