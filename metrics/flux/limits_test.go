package flux

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// limitsRow is one line of limits.flux-jobs.txt: what `flux jobs -o '{id.f58} {state}
// {nnodes} {ranks} {duration} {expiration}'` printed beside the recorded documents.
type limitsRow struct {
	duration   time.Duration
	expiration time.Time
}

func recordedLimits(t *testing.T) map[string]limitsRow {
	t.Helper()
	out, err := os.ReadFile("testdata/stateprogram/limits.flux-jobs.txt")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]limitsRow{}
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		// A pending job prints no ranks, so the last two fields are always the times.
		d, err1 := strconv.ParseFloat(f[len(f)-2], 64)
		e, err2 := strconv.ParseFloat(f[len(f)-1], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("line %q: %v %v", line, err1, err2)
		}
		row := limitsRow{duration: time.Duration(d * float64(time.Second))}
		if e != 0 {
			row.expiration = time.Unix(0, int64(e*1e9)).UTC()
		}
		rows[f[0]] = row
	}
	if len(rows) != 5 {
		t.Fatalf("read %d jobs from limits.flux-jobs.txt, want 5", len(rows))
	}
	return rows
}

// Both readers carry each job's time limit and a running job's expiration as flux jobs
// printed them at the same moment (testdata/stateprogram/limits.capture.sh): two running
// jobs with -t 30m and -t 1h, one running and one pending with no limit, one pending
// with -t 10m.
func TestTimeLimitsRecorded(t *testing.T) {
	want := recordedLimits(t)
	program, err := os.ReadFile("testdata/stateprogram/limits.json")
	if err != nil {
		t.Fatal(err)
	}
	st, err := parseProgramState(program)
	if err != nil {
		t.Fatal(err)
	}
	cli, err := os.ReadFile("testdata/stateprogram/limits.flux-jobs.json")
	if err != nil {
		t.Fatal(err)
	}
	cliJobs, err := parseJobs(cli)
	if err != nil {
		t.Fatal(err)
	}
	for name, jobs := range map[string][]Job{"state.py": st.Jobs, "flux jobs --json": cliJobs} {
		got := map[string]limitsRow{}
		for _, j := range jobs {
			got[j.ID] = limitsRow{duration: j.Duration, expiration: j.Expiration}
		}
		// Flux prints times to the microsecond; the documents carry the float's own digits.
		approx := cmp.Comparer(func(a, b limitsRow) bool {
			return a.duration == b.duration && a.expiration.Sub(b.expiration).Abs() < time.Microsecond
		})
		if diff := cmp.Diff(want, got, approx); diff != "" {
			t.Errorf("%s: limits (-want +got):\n%s", name, diff)
		}
	}
	var limited, unlimited int
	for _, j := range st.Jobs {
		switch {
		case j.State == JobRun && !j.Expiration.IsZero():
			if j.Expiration.Sub(time.Unix(1796304000, 0)).Abs() > time.Hour {
				t.Errorf("job %s expires at %s, not on the capture's day", j.ID, j.Expiration)
			}
			limited++
		case j.State == JobRun:
			unlimited++
		}
	}
	if limited != 2 || unlimited != 1 {
		t.Errorf("%d running jobs with an expiration and %d without, want 2 and 1", limited, unlimited)
	}
}

func TestTimeLimitsRejected(t *testing.T) {
	for name, out := range map[string]string{
		"negative duration":    `{"jobs": [{"jobid": "fA", "state": "SCHED", "duration": -1}]}`,
		"duration as a string": `{"jobs": [{"jobid": "fA", "state": "SCHED", "duration": "10m"}]}`,
		"huge duration":        `{"jobs": [{"jobid": "fA", "state": "SCHED", "duration": 1e300}]}`,
		"negative expiration":  `{"jobs": [{"jobid": "fA", "state": "RUN", "expiration": -5}]}`,
	} {
		if got, err := parseJobs([]byte(out)); err == nil {
			t.Errorf("%s: parsed %+v, want an error", name, got)
		}
	}
}
