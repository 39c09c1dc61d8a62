package replay

import (
	"context"
	"testing"
	"time"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/simulated"
	"github.com/fluxscale/fluxscale/metrics/simulated/workload"
	"github.com/fluxscale/fluxscale/policy"
)

// burstyWeek is about two weeks of bursty work for 128 nodes: a light diurnal background
// (a job every 20 minutes on average) and, every 8 hours, 40 jobs within a minute; jobs
// ask for 1 to 32 nodes and run 1 to 30 minutes, the kind of load an elastic MiniCluster
// is for. (With jobs of up to 2 hours, even the clairvoyant top-only bound needs more
// node-hours than Slurm's power saving: see BENCHMARKS.md.)
func burstyWeek(t testing.TB) []simulated.Job {
	t.Helper()
	jobs, err := workload.Generate(workload.GenOptions{
		Seed: 42, Jobs: 1000, Start: epoch, MaxNodes: 32, MeanInterarrival: 20 * time.Minute,
		DiurnalAmplitude: 0.8, BurstEvery: 8 * time.Hour, BurstJobs: 40,
		MinRuntime: time.Minute, MaxRuntime: 30 * time.Minute, WalltimeFactor: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

// TestDefaultAgainstSlurmPowerSaveOnBurstyWork replays the bursty week under the default
// policy and Slurm's power saving (defaults, 10 min SuspendTime) on 128 nodes with a 60 s
// node start delay, and checks the claim BENCHMARKS.md makes: the default uses fewer
// node-hours at a mean wait no more than 60 s longer.
func TestDefaultAgainstSlurmPowerSaveOnBurstyWork(t *testing.T) {
	jobs := burstyWeek(t)
	cfg := Config{Cluster: simulated.Options{MaxSize: 128, NodeUpDelay: time.Minute, Sched: simulated.SchedEASY}, Jobs: jobs}
	spec := policy.Defaulted(v1alpha1.ScalingPolicySpec{MinSize: 1, MaxSize: 128})
	// HPA's default scale-up (+100 % or +4 pods per 15 s) takes 90 s to grow from 1 to
	// 128; the variant lifts it, to show how much of the wait that is.
	fast, err := Sweep(spec, "behavior.scaleUp.policies[1].value=128")
	if err != nil {
		t.Fatal(err)
	}
	results, err := RunAll(context.Background(), cfg, []Scaler{
		NewPolicyScaler("default", spec),
		NewSlurmScaler("slurm-power-save", 128, DefaultSlurmOptions()),
		NewPolicyScaler(fast[0].Name, fast[0].Spec),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	lb := LowerBoundNodeHours(jobs)
	def, slurm, quick := Summarize(results[0], lb), Summarize(results[1], lb), Summarize(results[2], lb)
	t.Logf("%s: %.0f node-hours (%.3fx), mean wait %.0f s, %d killed", quick.Policy, quick.NodeHours, quick.LowerBoundRatio, quick.MeanWait, quick.Killed)
	t.Logf("default: %.0f node-hours (%.3fx), mean wait %.0f s, %d killed; slurm-power-save: %.0f (%.3fx), %.0f s, %d killed",
		def.NodeHours, def.LowerBoundRatio, def.MeanWait, def.Killed,
		slurm.NodeHours, slurm.LowerBoundRatio, slurm.MeanWait, slurm.Killed)
	if def.Killed != 0 || def.Unfinished != 0 {
		t.Errorf("default: %d killed, %d unfinished; want none", def.Killed, def.Unfinished)
	}
	if def.NodeHours >= slurm.NodeHours || def.MeanWait > slurm.MeanWait+60 {
		t.Errorf("default %.0f node-hours at mean wait %.0f s; want fewer than slurm-power-save's %.0f at no more than %.0f s",
			def.NodeHours, def.MeanWait, slurm.NodeHours, slurm.MeanWait+60)
	}
}
