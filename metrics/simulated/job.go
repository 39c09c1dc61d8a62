package simulated

import (
	"fmt"
	"time"
)

// Job is a job to submit: whole nodes for a known run time, as `flux submit -N`.
type Job struct {
	// ID is the job's number; State shows it as Flux's F58 form. IDs must be distinct.
	ID uint64
	// Submit is when the job enters the queue; a zero or past time means when submitted.
	Submit time.Time
	// NNodes is the number of whole nodes the job needs; at least 1.
	NNodes int32
	// Runtime is how long the job runs once started.
	Runtime time.Duration
	// Walltime is the time limit the job asked for, which the EASY scheduler plans with;
	// zero means Runtime. It may not be shorter than Runtime (Flux would kill the job at its
	// limit: shorten Runtime instead).
	Walltime time.Duration
}

func (j Job) validate() error {
	switch {
	case j.NNodes < 1:
		return fmt.Errorf("job %d asks for %d nodes: it needs at least 1", j.ID, j.NNodes)
	case j.Runtime < 0:
		return fmt.Errorf("job %d has a negative run time %s", j.ID, j.Runtime)
	case j.Walltime != 0 && j.Walltime < j.Runtime:
		return fmt.Errorf("job %d has walltime %s shorter than its run time %s: Flux would kill it at its limit, so shorten the run time",
			j.ID, j.Walltime, j.Runtime)
	}
	return nil
}

// walltime is the limit the scheduler plans with.
func (j Job) walltime() time.Duration {
	if j.Walltime == 0 {
		return j.Runtime
	}
	return j.Walltime
}

// Outcome is how a job left (or has not left) the cluster.
type Outcome string

// Job outcomes.
const (
	// OutcomePending jobs are still waiting (or not yet submitted) when the record is taken.
	OutcomePending Outcome = "pending"
	// OutcomeRunning jobs hold nodes when the record is taken.
	OutcomeRunning Outcome = "running"
	// OutcomeFinished jobs ran to completion.
	OutcomeFinished Outcome = "finished"
	// OutcomeKilled jobs lost a rank to a shrink: Flux raises a node-failure exception.
	OutcomeKilled Outcome = "killed"
	// OutcomeUnsatisfiable jobs asked for more nodes than the cluster has ranks; Flux fails
	// them when they reach the head of the queue.
	OutcomeUnsatisfiable Outcome = "unsatisfiable"
)

// JobRecord is what happened to one job.
type JobRecord struct {
	Job
	Outcome Outcome
	// Start is when the job got nodes (zero: never).
	Start time.Time
	// Ranks are the ranks the job ran on (nil: never started). Callers must not modify them.
	Ranks []int32
	// End is when it finished, was killed or was failed (zero: not yet).
	End time.Time
	// Reserved is the earliest start the EASY scheduler promised the job when it first
	// reached the head of the queue and could not start (zero: never reserved).
	Reserved time.Time
}

// f58Alphabet is Flux's FLUID F58 alphabet (base 58 without 0, O, I, l).
const f58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// F58 writes a job ID as Flux prints it in a UTF-8 locale ("ƒ" and base 58 digits).
func F58(id uint64) string {
	var digits [12]byte
	i := len(digits)
	for {
		i--
		digits[i] = f58Alphabet[id%58]
		id /= 58
		if id == 0 {
			break
		}
	}
	return "ƒ" + string(digits[i:])
}
