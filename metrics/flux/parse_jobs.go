package flux

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// jobsJSON is `flux jobs --json`: {"jobs": [...]}, jobs in Flux's listing order (pending by
// priority and submit time, then running, then inactive).
type jobsJSON struct {
	Jobs *[]jobJSON `json:"jobs"`
}

// jobJSON holds the fields we read. Flux leaves a field out when it has no value yet: a
// pending job has no ncores (unless it asked for cores), no ranks, and no nnodes when it
// asked only for tasks (-n).
type jobJSON struct {
	JobID  string  `json:"jobid"`
	State  string  `json:"state"`
	NNodes *int64  `json:"nnodes"`
	NTasks *int64  `json:"ntasks"`
	NCores *int64  `json:"ncores"`
	Ranks  *string `json:"ranks"`
	// Priority is the job's priority once the job manager assigned one (flux jobs prints
	// it from PRIORITY on); 0 holds the job (urgency 0, `flux job urgency ID hold`).
	Priority *int64 `json:"priority"`
	// Duration is the time limit in seconds (0.0: none); Expiration a running job's limit
	// as Unix seconds, left out (or 0.0) when it has none. Both are floats in Flux.
	Duration   *float64 `json:"duration"`
	Expiration *float64 `json:"expiration"`
}

// parseJobs reads `flux jobs --json` output and returns the active jobs in Flux's order.
// Inactive jobs (present with -a) are skipped, as are NEW jobs: the job manager moves a job
// out of NEW as it accepts it, and the next read sees it as DEPEND or later.
func parseJobs(out []byte) ([]Job, error) {
	var doc jobsJSON
	if err := json.Unmarshal(out, &doc); err != nil {
		return nil, fmt.Errorf("not a flux jobs JSON document: %w (output starts %q)", err, truncate(string(out)))
	}
	if doc.Jobs == nil {
		return nil, fmt.Errorf(`no "jobs" list in %q`, truncate(string(out)))
	}
	var jobs []Job
	for i, raw := range *doc.Jobs {
		job, active, err := raw.job()
		if err != nil {
			return nil, fmt.Errorf("job %d (%q): %w", i, raw.JobID, err)
		}
		if active {
			jobs = append(jobs, job)
		}
	}
	return jobs, nil
}

// job converts one JSON job; active is false for jobs that are not pending or running.
func (j jobJSON) job() (job Job, active bool, err error) {
	if j.JobID == "" {
		return Job{}, false, errors.New("no jobid")
	}
	switch j.State {
	case JobDepend, JobPriority, JobSched, JobRun, JobCleanup:
	case "NEW", "INACTIVE":
		return Job{}, false, nil
	default:
		return Job{}, false, fmt.Errorf("unknown state %q", j.State)
	}
	// A held job sits in SCHED with priority 0 and the scheduler gets no request for it
	// (flux queue status -v: 0 alloc requests pending on flux-core 0.88.0).
	job = Job{ID: j.JobID, State: j.State, Held: j.State == JobSched && j.Priority != nil && *j.Priority == 0}
	for _, f := range []struct {
		name string
		in   *int64
		out  *int32
	}{{"nnodes", j.NNodes, &job.NNodes}, {"ntasks", j.NTasks, &job.NTasks}, {"ncores", j.NCores, &job.NCores}} {
		if f.in == nil {
			continue
		}
		if *f.in < 0 || *f.in > math.MaxInt32 {
			return Job{}, false, fmt.Errorf("%s %d is not a count", f.name, *f.in)
		}
		*f.out = int32(*f.in)
	}
	if j.Ranks != nil {
		if job.Ranks, err = ParseRankSet(*j.Ranks); err != nil {
			return Job{}, false, err
		}
	}
	if job.Duration, err = durationField(j.Duration); err != nil {
		return Job{}, false, err
	}
	if job.Expiration, err = expirationField(j.Expiration); err != nil {
		return Job{}, false, err
	}
	return job, true, nil
}

// maxLimitSeconds bounds the time fields: a century, far beyond any Flux time limit, and
// well inside what time.Duration and time.Time hold.
const maxLimitSeconds = 100 * 365 * 24 * 3600

// durationField reads a job's time limit in seconds; nil and 0.0 mean none.
func durationField(v *float64) (time.Duration, error) {
	if v == nil {
		return 0, nil
	}
	if math.IsNaN(*v) || *v < 0 || *v > maxLimitSeconds {
		return 0, fmt.Errorf("duration %v is not a time limit in seconds", *v)
	}
	return time.Duration(*v * float64(time.Second)), nil
}

// expirationField reads when a job's limit ends, in Unix seconds; nil and 0.0 mean none.
func expirationField(v *float64) (time.Time, error) {
	if v == nil || *v == 0 {
		return time.Time{}, nil
	}
	if math.IsNaN(*v) || *v < 0 || *v > 2*maxLimitSeconds {
		return time.Time{}, fmt.Errorf("expiration %v is not a time in Unix seconds", *v)
	}
	sec, frac := math.Modf(*v)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}
