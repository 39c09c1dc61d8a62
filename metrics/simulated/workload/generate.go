package workload

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/fluxscale/fluxscale/metrics/simulated"
)

// GenOptions describe a synthetic workload. The same options give the same jobs.
type GenOptions struct {
	// Seed picks the workload.
	Seed uint64
	// Jobs is how many jobs to make.
	Jobs int
	// Start is when the first arrival may happen.
	Start time.Time
	// MaxNodes bounds job sizes (1..MaxNodes, log-uniform, mostly powers of two).
	MaxNodes int32
	// MeanInterarrival is the mean gap between background arrivals over a day.
	MeanInterarrival time.Duration
	// DiurnalAmplitude in [0, 1] swings the arrival rate by ±amplitude over each day, busiest
	// at 14:00 and quietest at 02:00 (UTC of Start's clock).
	DiurnalAmplitude float64
	// BurstEvery, when above 0, adds BurstJobs jobs within a minute at every multiple of it.
	BurstEvery time.Duration
	BurstJobs  int
	// MinRuntime and MaxRuntime bound run times (log-uniform, whole seconds, at least 1 s).
	MinRuntime, MaxRuntime time.Duration
	// WalltimeFactor >= 1 makes each walltime its run time times a factor drawn from
	// [1, WalltimeFactor] (users over-ask); 0 or 1 makes them equal.
	WalltimeFactor float64
}

func (o GenOptions) validate() error {
	switch {
	case o.Jobs < 0:
		return fmt.Errorf("job count %d is negative", o.Jobs)
	case o.MaxNodes < 1:
		return fmt.Errorf("max nodes %d: want at least 1", o.MaxNodes)
	case o.MeanInterarrival <= 0:
		return fmt.Errorf("mean interarrival %s: want a positive duration", o.MeanInterarrival)
	case o.DiurnalAmplitude < 0 || o.DiurnalAmplitude > 1:
		return fmt.Errorf("diurnal amplitude %g: want a value in [0, 1]", o.DiurnalAmplitude)
	case o.BurstEvery < 0 || (o.BurstEvery > 0 && o.BurstJobs < 1):
		return fmt.Errorf("bursts every %s of %d jobs: want a positive interval and at least 1 job", o.BurstEvery, o.BurstJobs)
	case o.MinRuntime < time.Second || o.MaxRuntime < o.MinRuntime:
		return fmt.Errorf("run times %s..%s: want 1s <= min <= max", o.MinRuntime, o.MaxRuntime)
	case o.WalltimeFactor != 0 && o.WalltimeFactor < 1:
		return fmt.Errorf("walltime factor %g: want 0 or at least 1", o.WalltimeFactor)
	}
	return nil
}

// Generate makes a workload: background arrivals (a Poisson process whose rate follows the
// daily cycle, drawn by thinning) merged with the bursts, IDs 1..Jobs in submit order.
func Generate(o GenOptions) ([]simulated.Job, error) {
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("generating a workload: %w", err)
	}
	g := generator{o: o, rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x5851f42d4c957f2d))}
	jobs := make([]simulated.Job, 0, o.Jobs)
	background := g.nextBackground(o.Start)
	burst, inBurst := o.Start.Add(o.BurstEvery), 0
	for len(jobs) < o.Jobs {
		var at time.Time
		if o.BurstEvery > 0 && burst.Before(background) {
			at = burst.Add(time.Duration(g.rng.IntN(60)) * time.Second)
			if inBurst++; inBurst == o.BurstJobs {
				burst, inBurst = burst.Add(o.BurstEvery), 0
			}
		} else {
			at = background
			background = g.nextBackground(background)
		}
		jobs = append(jobs, g.job(uint64(len(jobs)+1), at))
	}
	// Burst jobs spread over a minute can land after a later background arrival.
	sortBySubmit(jobs)
	for i := range jobs {
		jobs[i].ID = uint64(i + 1)
	}
	return jobs, nil
}

type generator struct {
	o   GenOptions
	rng *rand.Rand
}

// nextBackground draws the next background arrival after t by thinning: candidates come at
// the peak rate and are kept with probability rate(t)/peak.
func (g *generator) nextBackground(t time.Time) time.Time {
	a := g.o.DiurnalAmplitude
	peakGap := g.o.MeanInterarrival.Seconds() / (1 + a)
	for {
		t = t.Add(time.Duration(math.Ceil(g.rng.ExpFloat64()*peakGap)) * time.Second)
		hour := float64(t.Hour()) + float64(t.Minute())/60
		rate := 1 + a*math.Sin(2*math.Pi*(hour-8)/24)
		if g.rng.Float64()*(1+a) < rate {
			return t
		}
	}
}

// job draws one job's size and times.
func (g *generator) job(id uint64, at time.Time) simulated.Job {
	lo, hi := g.o.MinRuntime.Seconds(), g.o.MaxRuntime.Seconds()
	run := math.Round(math.Exp(math.Log(lo) + g.rng.Float64()*(math.Log(hi)-math.Log(lo))))
	nodes := int32(math.Round(math.Exp(g.rng.Float64() * math.Log(float64(g.o.MaxNodes)))))
	if g.rng.Float64() < 0.7 {
		// Parallel workloads favor powers of two (Lublin and Feitelson, 2003).
		nodes = int32(1) << int(math.Round(math.Log2(float64(nodes))))
	}
	nodes = min(max(nodes, 1), g.o.MaxNodes)
	wall := run
	if f := g.o.WalltimeFactor; f > 1 {
		wall = math.Ceil(run * (1 + g.rng.Float64()*(f-1)))
	}
	return simulated.Job{
		ID: id, Submit: at, NNodes: nodes,
		Runtime: time.Duration(run) * time.Second, Walltime: time.Duration(wall) * time.Second,
	}
}

// sortBySubmit orders jobs by submit time, keeping generation order for ties.
func sortBySubmit(jobs []simulated.Job) {
	slices.SortStableFunc(jobs, func(a, b simulated.Job) int { return a.Submit.Compare(b.Submit) })
}
