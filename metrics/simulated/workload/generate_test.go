package workload

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func genOptions(seed uint64) GenOptions {
	return GenOptions{Seed: seed, Jobs: 2000, Start: epoch, MaxNodes: 64, MeanInterarrival: 2 * time.Minute,
		DiurnalAmplitude: 0.8, BurstEvery: 6 * time.Hour, BurstJobs: 30,
		MinRuntime: 10 * time.Second, MaxRuntime: 4 * time.Hour, WalltimeFactor: 2}
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, errA := Generate(genOptions(1))
	b, errB := Generate(genOptions(1))
	c, errC := Generate(genOptions(2))
	if errA != nil || errB != nil || errC != nil {
		t.Fatal(errA, errB, errC)
	}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed, different jobs (-first +second):\n%s", diff)
	}
	if cmp.Equal(a, c) {
		t.Error("seeds 1 and 2 gave the same jobs")
	}
}

func TestGenerateShape(t *testing.T) {
	o := genOptions(7)
	jobs, err := Generate(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != o.Jobs {
		t.Fatalf("%d jobs, want %d", len(jobs), o.Jobs)
	}
	byHour := make([]int, 24)
	for i, j := range jobs {
		if j.ID != uint64(i+1) || (i > 0 && j.Submit.Before(jobs[i-1].Submit)) {
			t.Fatalf("job %d (ID %d) at %s is out of submit order", i, j.ID, j.Submit)
		}
		if j.NNodes < 1 || j.NNodes > o.MaxNodes || j.Runtime < o.MinRuntime || j.Runtime > o.MaxRuntime ||
			j.Walltime < j.Runtime || j.Walltime > 2*j.Runtime || j.Runtime%time.Second != 0 {
			t.Fatalf("job %+v is outside the options", j)
		}
		if j.Submit.Minute() > 1 || j.Submit.Hour()%6 != 0 {
			byHour[j.Submit.Hour()]++
		}
	}
	// With amplitude 0.8 the 14:00 hour gets about 9 times the arrivals of the 02:00 hour.
	if byHour[14] < 3*byHour[2] {
		t.Errorf("arrivals at 14:00 %d, at 02:00 %d: want the afternoon far busier", byHour[14], byHour[2])
	}
	bursts := 0
	for _, j := range jobs {
		if j.Submit.Sub(epoch)%(6*time.Hour) < time.Minute && j.Submit.After(epoch) {
			bursts++
		}
	}
	if bursts < o.BurstJobs {
		t.Errorf("%d jobs in the first minute of burst hours, want at least one burst of %d", bursts, o.BurstJobs)
	}
}

func TestGenerateRejectsBadOptions(t *testing.T) {
	o := genOptions(1)
	o.DiurnalAmplitude = 1.5
	if _, err := Generate(o); err == nil {
		t.Error("amplitude 1.5 accepted")
	}
}
