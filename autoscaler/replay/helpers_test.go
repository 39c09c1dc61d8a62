package replay

import (
	"context"
	"testing"
	"time"

	"github.com/fluxscale/fluxscale/metrics/simulated"
	"github.com/fluxscale/fluxscale/metrics/simulated/workload"
)

var epoch = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// genJobs is a bursty, diurnal day of work for a 32-node cluster.
func genJobs(t *testing.T, seed uint64, n int) []simulated.Job {
	t.Helper()
	jobs, err := workload.Generate(workload.GenOptions{
		Seed: seed, Jobs: n, Start: epoch, MaxNodes: 32, MeanInterarrival: 3 * time.Minute,
		DiurnalAmplitude: 0.8, BurstEvery: 4 * time.Hour, BurstJobs: 20,
		MinRuntime: 30 * time.Second, MaxRuntime: 2 * time.Hour, WalltimeFactor: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

func mustRun(t *testing.T, cfg Config, s Scaler) Result {
	t.Helper()
	r, err := Run(context.Background(), cfg, s)
	if err != nil {
		t.Fatalf("Run(%s): %v", s.Name(), err)
	}
	return r
}

// sizeAt is the size the series shows at t.
func sizeAt(series []simulated.Sample, t time.Time) int32 {
	var size int32
	for _, s := range series {
		if s.Time.After(t) {
			break
		}
		size = s.Size
	}
	return size
}
