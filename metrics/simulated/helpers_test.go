package simulated

import (
	"math/rand/v2"
	"testing"
	"time"
)

// epoch is the tests' virtual start time.
var epoch = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

func newCluster(t *testing.T, opts Options) *Cluster {
	t.Helper()
	if opts.Start.IsZero() {
		opts.Start = epoch
	}
	c, err := New(opts)
	if err != nil {
		t.Fatalf("New(%+v): %v", opts, err)
	}
	return c
}

func mustSubmit(t *testing.T, c *Cluster, jobs ...Job) {
	t.Helper()
	for _, j := range jobs {
		if err := c.Submit(j); err != nil {
			t.Fatalf("Submit(%+v): %v", j, err)
		}
	}
}

func mustStep(t *testing.T, c *Cluster, until time.Time) {
	t.Helper()
	if err := c.Step(until); err != nil {
		t.Fatalf("Step(%s): %v", until, err)
	}
}

// runToEnd steps through every event.
func runToEnd(t *testing.T, c *Cluster) {
	t.Helper()
	for {
		next, ok := c.NextEvent()
		if !ok {
			return
		}
		mustStep(t, c, next)
	}
}

// randomJobs makes n jobs arriving over time, of 1..maxNodes nodes, with walltimes at or
// above their run times (as users over-ask), so EASY reservations are upper bounds.
func randomJobs(seed uint64, n int, maxNodes int32) []Job {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	jobs := make([]Job, n)
	at := epoch
	for i := range jobs {
		at = at.Add(time.Duration(rng.IntN(120)) * time.Second)
		run := time.Duration(1+rng.IntN(600)) * time.Second
		jobs[i] = Job{
			ID:       uint64(i + 1),
			Submit:   at,
			NNodes:   1 + rng.Int32N(maxNodes),
			Runtime:  run,
			Walltime: run + time.Duration(rng.IntN(300))*time.Second,
		}
	}
	return jobs
}

func recordsByID(c *Cluster) map[uint64]JobRecord {
	out := map[uint64]JobRecord{}
	for _, r := range c.Records() {
		out[r.ID] = r
	}
	return out
}
