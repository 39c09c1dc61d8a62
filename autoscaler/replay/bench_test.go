package replay

import (
	"context"
	"testing"
	"time"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/simulated"
	"github.com/fluxscale/fluxscale/metrics/simulated/workload"
)

// BenchmarkReplay replays 2,000 generated jobs (about 7 days at roughly half load) on 64
// nodes: the model alone (static) and with a policy.Decide call every 10 s and after each
// event.
func BenchmarkReplay(b *testing.B) {
	jobs, err := workload.Generate(workload.GenOptions{
		Seed: 1, Jobs: 2000, Start: epoch, MaxNodes: 16, MeanInterarrival: 6 * time.Minute,
		DiurnalAmplitude: 0.8, BurstEvery: 6 * time.Hour, BurstJobs: 40,
		MinRuntime: 30 * time.Second, MaxRuntime: 2 * time.Hour, WalltimeFactor: 2,
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, sched := range []simulated.SchedPolicy{simulated.SchedFCFS, simulated.SchedEASY} {
		cfg := Config{Cluster: simulated.Options{MaxSize: 64, NodeUpDelay: time.Minute, Sched: sched}, Jobs: jobs}
		scalers := map[string]func() Scaler{
			"static": func() Scaler { return Static{Label: "static", Size: 64} },
			"policy": func() Scaler { return NewPolicyScaler("policy", v1alpha1.ScalingPolicySpec{MinSize: 1, MaxSize: 64}) },
		}
		for _, name := range []string{"static", "policy"} {
			b.Run(string(sched)+"/"+name, func(b *testing.B) {
				decisions := 0
				for b.Loop() {
					r, err := Run(context.Background(), cfg, scalers[name]())
					if err != nil {
						b.Fatal(err)
					}
					decisions = r.Decisions
				}
				b.ReportMetric(float64(decisions), "decisions/op")
			})
		}
	}
}
