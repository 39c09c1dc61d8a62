package replay

import (
	"context"
	"fmt"
	"time"

	"github.com/fluxscale/fluxscale/metrics/simulated"
)

// defaultGiveUp is how long a replay goes on with jobs waiting and nothing changing before
// it stops and reports them unfinished; far longer than any stabilization window (1 h max).
const defaultGiveUp = 24 * time.Hour

// Config is one workload on one kind of cluster.
type Config struct {
	// Cluster describes the cluster; Start and InitialSize are set by Run (the first
	// submit time and the scaler's initial size).
	Cluster simulated.Options
	// Jobs is the workload.
	Jobs []simulated.Job
	// Progress, when set, is called with the jobs done (finished, killed or failed) and the
	// total each time the count changes. It must be cheap; the caller throttles any output.
	Progress func(done, total int)
	// GiveUpAfter stops a replay once jobs have waited this long with no change in the
	// cluster; 0 means a day.
	GiveUpAfter time.Duration
}

// Result is what one replay produced.
type Result struct {
	Name string
	// Start is the first submit; End when the last job was done (or the replay gave up).
	Start, End time.Time
	Stats      simulated.Stats
	Records    []simulated.JobRecord
	Series     []simulated.Sample
	// Decisions counts the scaler's decisions.
	Decisions int
	// GaveUp is true when jobs were left waiting with nothing more to happen.
	GaveUp bool
}

// Run replays cfg.Jobs under s. Decisions happen when the scaler's cadence says: every
// Period of virtual time, and (OnChange) right after events that changed the Flux state,
// no sooner than MinGap after the previous decision. Virtual time jumps from event to event.
func Run(ctx context.Context, cfg Config, s Scaler) (Result, error) {
	opts := cfg.Cluster
	opts.Start = firstSubmit(cfg.Jobs)
	opts.InitialSize = s.InitialSize()
	cl, err := simulated.New(opts)
	if err != nil {
		return Result{}, fmt.Errorf("replaying %s: %w", s.Name(), err)
	}
	for _, j := range cfg.Jobs {
		if err := cl.Submit(j); err != nil {
			return Result{}, fmt.Errorf("replaying %s: %w", s.Name(), err)
		}
	}
	r := runner{cfg: cfg, s: s, cl: cl, cad: s.Cadence(), giveUp: cfg.GiveUpAfter}
	if r.giveUp <= 0 {
		r.giveUp = defaultGiveUp
	}
	res := Result{Name: s.Name(), Start: opts.Start}
	res.GaveUp, err = r.loop(ctx, opts.Start)
	if err != nil {
		return Result{}, fmt.Errorf("replaying %s: %w", s.Name(), err)
	}
	res.End = cl.Now()
	res.Stats, res.Records, res.Series, res.Decisions = cl.Stats(), cl.Records(), cl.Series(), r.decisions
	return res, nil
}

func firstSubmit(jobs []simulated.Job) time.Time {
	var first time.Time
	for i, j := range jobs {
		if i == 0 || j.Submit.Before(first) {
			first = j.Submit
		}
	}
	return first
}

type runner struct {
	cfg       Config
	s         Scaler
	cl        *simulated.Cluster
	cad       Cadence
	giveUp    time.Duration
	decisions int
}

// loop steps the cluster until every job is done; true when it gave up on waiting jobs.
func (r *runner) loop(ctx context.Context, start time.Time) (bool, error) {
	total := len(r.cfg.Jobs)
	nextPoll, lastDecision := start, time.Time{}
	decided := r.cl.Version()
	lastChange, lastVersion, lastDone := start, decided, -1
	for {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		done := r.done()
		if done != lastDone && r.cfg.Progress != nil {
			r.cfg.Progress(done, total)
		}
		lastDone = done
		if done == total {
			return false, nil
		}
		now := r.cl.Now()
		v := r.cl.Version()
		if v != lastVersion {
			lastChange, lastVersion = now, v
		}
		next, modelEvent := r.cl.NextEvent()
		ok := modelEvent
		if r.cad.Period > 0 && (!ok || nextPoll.Before(next)) {
			next, ok = nextPoll, true
		}
		if r.cad.OnChange && v != decided {
			if due := laterOf(now, lastDecision.Add(r.cad.MinGap)); !ok || due.Before(next) {
				next, ok = due, true
			}
		}
		// Jobs wait with nothing left to happen in the cluster: only the scaler could still
		// move them, and it has not for giveUp.
		if !ok || (!modelEvent && next.Sub(lastChange) > r.giveUp) {
			return true, nil
		}
		if err := r.cl.Step(next); err != nil {
			return false, err
		}
		changed := r.cad.OnChange && r.cl.Version() != decided && !next.Before(lastDecision.Add(r.cad.MinGap))
		if (r.cad.Period > 0 && !next.Before(nextPoll)) || changed {
			if err := r.s.Decide(ctx, r.cl); err != nil {
				return false, err
			}
			r.decisions++
			lastDecision, nextPoll = next, next.Add(r.cad.Period)
			decided = r.cl.Version()
		}
	}
}

func (r *runner) done() int {
	st := r.cl.Stats()
	return st.Finished + st.Killed + st.Unsatisfiable
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
