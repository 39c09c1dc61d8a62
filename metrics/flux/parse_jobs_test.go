package flux

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseJobsFixtures parses every recorded `flux jobs -a --json` (the JSON our
// `flux jobs -A --json` prints; see recordedJobs).
func TestParseJobsFixtures(t *testing.T) {
	sched := func(id string, nnodes, ntasks, ncores int32) Job {
		return Job{ID: id, State: JobSched, NNodes: nnodes, NTasks: ntasks, NCores: ncores}
	}
	run := func(id string, nnodes, ntasks, ncores int32, ranks ...int32) Job {
		return Job{ID: id, State: JobRun, NNodes: nnodes, NTasks: ntasks, NCores: ncores, Ranks: NewRankSet(ranks...)}
	}
	drainJobs := []Job{run("ƒT6gMj5", 1, 1, 2, 2), run("ƒNuYPWX", 2, 2, 4, 0, 1)}
	tests := []struct {
		scenario, name string
		want           []Job
	}{
		{scenario: "idle", name: "jobs_a_json", want: nil},
		// J3 -N2 and J4 -N4 are pending with no ncores yet; J5 -n1 has ncores but no nnodes.
		{scenario: "busy", name: "jobs_a_json", want: []Job{
			sched("ƒWrcY9m", 2, 2, 0), sched("ƒbQWLK9", 4, 4, 0), sched("ƒgX1rg7", 0, 1, 1),
			run("ƒSY4dXV", 1, 1, 2, 2), run("ƒMhryGK", 2, 2, 4, 0, 1)}},
		{scenario: "drain", name: "02_draining_jobs_a_json", want: []Job{
			run("ƒXSiFdh", 1, 1, 2, 3), run("ƒT6gMj5", 1, 1, 2, 2), run("ƒNuYPWX", 2, 2, 4, 0, 1)}},
		// The job that ran on rank 3 is INACTIVE from here on and is left out.
		{scenario: "drain", name: "05_drained_jobs_a_json", want: drainJobs},
		{scenario: "drain", name: "07_undrained_jobs_a_json", want: drainJobs},
		{scenario: "drain", name: "09_drain_2-3_jobs_a_json", want: drainJobs},
		{scenario: "elastic", name: "02_jobs_json", want: []Job{
			sched("ƒ3j9WPYT", 3, 3, 0), sched("ƒ3oHgPCK", 6, 6, 0), sched("ƒ3ryAbmy", 7, 7, 0),
			run("ƒ3DoYc2b", 1, 1, 2, 2), run("ƒ39pGY4o", 2, 2, 4, 0, 1)}},
		{scenario: "elastic-config", name: "02_jobs_json", want: []Job{
			sched("ƒ3mF5Nej", 3, 3, 0), sched("ƒ3qFqRts", 6, 6, 0), sched("ƒ3u7hZSw", 7, 7, 0),
			run("ƒ3FEZuou", 1, 1, 2, 2), run("ƒ3AQNFYj", 2, 2, 4, 0, 1)}},
		// Every job has finished (two failed as unsatisfiable): no active job.
		{scenario: "unsatisfiable", name: "07_jobs_a_json", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.scenario+"/"+tt.name, func(t *testing.T) {
			out := recorded(t, loadScenario(t, tt.scenario), tt.name, recordedJobs())
			got, err := parseJobs(out)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseJobs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseJobsStates(t *testing.T) {
	out := `{"jobs": [
		{"jobid": "fA", "state": "DEPEND"}, {"jobid": "fB", "state": "PRIORITY", "nnodes": 1},
		{"jobid": "fC", "state": "CLEANUP", "nnodes": 1, "ranks": "4"}, {"jobid": "fD", "state": "NEW"}]}`
	want := []Job{
		{ID: "fA", State: JobDepend}, {ID: "fB", State: JobPriority, NNodes: 1},
		{ID: "fC", State: JobCleanup, NNodes: 1, Ranks: RankSet{4}},
	}
	got, err := parseJobs([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parseJobs (-want +got):\n%s", diff)
	}
}

func TestParseJobsRejects(t *testing.T) {
	tests := []struct {
		name      string
		out       string
		wantInErr string
	}{
		{name: "empty output", out: "", wantInErr: "not a flux jobs JSON document"},
		{name: "table instead of JSON", out: "       JOBID USER     NAME       ST NTASKS NNODES     TIME INFO\n", wantInErr: "not a flux jobs JSON document"},
		{name: "no jobs key", out: `{"version": 1}`, wantInErr: `no "jobs" list`},
		{name: "null jobs", out: `{"jobs": null}`, wantInErr: `no "jobs" list`},
		{name: "unknown state", out: `{"jobs": [{"jobid": "fA", "state": "WAITING"}]}`, wantInErr: `job 0 ("fA"): unknown state "WAITING"`},
		{name: "no jobid", out: `{"jobs": [{"state": "RUN"}]}`, wantInErr: "no jobid"},
		{name: "negative nnodes", out: `{"jobs": [{"jobid": "fA", "state": "SCHED", "nnodes": -1}]}`, wantInErr: "nnodes -1 is not a count"},
		{name: "huge ncores", out: `{"jobs": [{"jobid": "fA", "state": "SCHED", "ncores": 4294967296}]}`, wantInErr: "ncores 4294967296 is not a count"},
		{name: "fractional ntasks", out: `{"jobs": [{"jobid": "fA", "state": "SCHED", "ntasks": 1.5}]}`, wantInErr: "not a flux jobs JSON document"},
		{name: "bad ranks", out: `{"jobs": [{"jobid": "fA", "state": "RUN", "ranks": "[0-x]"}]}`, wantInErr: `"x" is not a rank`},
		{name: "trailing garbage", out: `{"jobs": []} {"jobs": []}`, wantInErr: "not a flux jobs JSON document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseJobs([]byte(tt.out))
			if err == nil || !strings.Contains(err.Error(), tt.wantInErr) {
				t.Fatalf("parseJobs(%q) = %+v, %v; want an error containing %q", tt.out, got, err, tt.wantInErr)
			}
		})
	}
}
