package flux

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	clocktesting "k8s.io/utils/clock/testing"
)

// ourReads are the three commands State runs with the default flux command.
func ourReads() [][]string { return NewCLI(nil, CLIOptions{}).StateCommands() }

// TestStateFromFixtures assembles State from recorded outputs. elastic-config is a
// MiniCluster of size 4 with maxSize 6: ranks 4-5 never came up. At step 3 ranks 2-3 were
// drained while rank 2 still ran a job; `flux jobs` was last captured at step 2, and the jobs
// did not change until step 4 (J2 is cancelled after step 3's captures).
func TestStateFromFixtures(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	jobsElasticConfig := []Job{
		{ID: "ƒ3mF5Nej", State: JobSched, NNodes: 3, NTasks: 3},
		{ID: "ƒ3qFqRts", State: JobSched, NNodes: 6, NTasks: 6},
		{ID: "ƒ3u7hZSw", State: JobSched, NNodes: 7, NTasks: 7},
		{ID: "ƒ3FEZuou", State: JobRun, NNodes: 1, NTasks: 1, NCores: 2, Ranks: RankSet{2}},
		{ID: "ƒ3AQNFYj", State: JobRun, NNodes: 2, NTasks: 2, NCores: 4, Ranks: RankSet{0, 1}},
	}
	jobsElastic := []Job{
		{ID: "ƒ3j9WPYT", State: JobSched, NNodes: 3, NTasks: 3},
		{ID: "ƒ3oHgPCK", State: JobSched, NNodes: 6, NTasks: 6},
		{ID: "ƒ3ryAbmy", State: JobSched, NNodes: 7, NTasks: 7},
		{ID: "ƒ3DoYc2b", State: JobRun, NNodes: 1, NTasks: 1, NCores: 2, Ranks: RankSet{2}},
		{ID: "ƒ39pGY4o", State: JobRun, NNodes: 2, NTasks: 2, NCores: 4, Ranks: RankSet{0, 1}},
	}
	busyRanks := []Rank{
		{Rank: 0, Online: true, Allocated: true}, {Rank: 1, Online: true, Allocated: true},
		{Rank: 2, Online: true, Allocated: true}, {Rank: 3, Online: true},
		{Rank: 4}, {Rank: 5},
	}
	tests := []struct {
		scenario string
		step     int
		want     State
	}{
		{scenario: "elastic-config", step: 2, want: State{
			ObservedAt: now, Size: 6, CoresPerNode: 2,
			Counts: Counts{Sched: 3, Run: 2}, Jobs: jobsElasticConfig,
			Ranks: busyRanks, PerRank: true,
			Nodes: NodeCounts{Up: 4, Free: 1, Allocated: 3, Down: 2},
		}},
		{scenario: "elastic-config", step: 3, want: State{
			ObservedAt: now, Size: 6, CoresPerNode: 2,
			Counts: Counts{Sched: 3, Run: 2}, Jobs: jobsElasticConfig,
			Ranks: []Rank{
				{Rank: 0, Online: true, Allocated: true}, {Rank: 1, Online: true, Allocated: true},
				{Rank: 2, Online: true, Allocated: true, Drain: DrainDraining, Reason: "fluxscale: scale-down"},
				{Rank: 3, Online: true, Drain: DrainDrained, Reason: "fluxscale: scale-down"},
				{Rank: 4}, {Rank: 5},
			},
			PerRank: true,
			Nodes:   NodeCounts{Up: 2, Free: 0, Allocated: 3, Down: 4},
		}},
		// Without R in the configuration the scheduler does not know ranks 4-5 at all; they
		// still count: resource status lists them offline.
		{scenario: "elastic", step: 2, want: State{
			ObservedAt: now, Size: 6, CoresPerNode: 2,
			Counts: Counts{Sched: 3, Run: 2}, Jobs: jobsElastic,
			Ranks: busyRanks, PerRank: true,
			Nodes: NodeCounts{Up: 4, Free: 1, Allocated: 3, Down: 2},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			runner := newFixtureRunner(t, tt.scenario, tt.step)
			cli := NewCLI(runner, CLIOptions{Clock: clocktesting.NewFakePassiveClock(now)})
			got, err := cli.State(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("State (-want +got):\n%s", diff)
			}
			calls := runner.Calls()
			slices.SortFunc(calls, slices.Compare)
			want := ourReads()
			slices.SortFunc(want, slices.Compare)
			if diff := cmp.Diff(want, calls); diff != "" {
				t.Errorf("commands run (-want +got):\n%s", diff)
			}
		})
	}
}

// scriptedRunner is a fake Runner: it answers commands from a table keyed by the argv
// joined with spaces, and records the commands in order. Unless scripted, `flux version`
// gets the recorded 0.88.0 answer and is not recorded (see answerVersion).
type scriptedRunner struct {
	answers map[string]Result
	errs    map[string]error

	mu    sync.Mutex
	calls []string
}

func (r *scriptedRunner) Run(_ context.Context, argv []string) (Result, error) {
	key := strings.Join(argv, " ")
	_, scripted := r.answers[key]
	if _, failing := r.errs[key]; !scripted && !failing {
		if res, ok := answerVersion(argv); ok {
			return res, nil
		}
	}
	r.mu.Lock()
	r.calls = append(r.calls, key)
	r.mu.Unlock()
	if err, ok := r.errs[key]; ok {
		return Result{}, err
	}
	res, ok := r.answers[key]
	if !ok {
		return Result{}, errors.New("scriptedRunner: nothing scripted for " + key)
	}
	return res, nil
}

func (r *scriptedRunner) Calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

func TestStateErrors(t *testing.T) {
	s := loadScenario(t, "elastic-config")
	jobs, status, list := ourReads()[0], ourReads()[1], ourReads()[2]
	good := map[string]Result{
		strings.Join(jobs, " "):   {Stdout: recorded(t, s, "02_jobs_json", recordedJobs())},
		strings.Join(status, " "): {Stdout: recorded(t, s, "02_resource_status_fmt", status)},
		strings.Join(list, " "):   {Stdout: recorded(t, s, "02_resource_list_fmt", list)},
	}
	with := func(argv []string, res Result) map[string]Result {
		m := map[string]Result{}
		for k, v := range good {
			m[k] = v
		}
		m[strings.Join(argv, " ")] = res
		return m
	}
	tests := []struct {
		name      string
		runner    *scriptedRunner
		wantInErr string
	}{
		{name: "runner fails", runner: &scriptedRunner{answers: good, errs: map[string]error{strings.Join(list, " "): errors.New("pod not found")}},
			wantInErr: "pod not found"},
		{name: "command fails", runner: &scriptedRunner{answers: with(status, Result{ExitCode: 1, Stderr: []byte("flux-resource: ERROR: Unable to connect to Flux\n")})},
			wantInErr: "flux resource status -n -o '{state} {nnodes} {ranks} {nodelist} {reason}' exited 1: flux-resource: ERROR: Unable to connect to Flux"},
		{name: "unparsable line names command and line", runner: &scriptedRunner{answers: with(list, Result{Stdout: []byte("free 1 2 3 h\nallocated 0 0  \nbogus 0 0  \n")})},
			wantInErr: `reading flux resource list -n -o '{state} {nnodes} {ncores} {ranks} {nodelist}': line 3 "bogus 0 0  ": unknown state "bogus"`},
		{name: "unparsable jobs", runner: &scriptedRunner{answers: with(jobs, Result{Stdout: []byte("ƒ3mF5Nej SCHED 3 3\n")})},
			wantInErr: "reading flux jobs -A -c 0 --json: not a flux jobs JSON document"},
		{name: "status misses a listed rank", runner: &scriptedRunner{answers: with(status, Result{Stdout: []byte("avail 3 0-2 h-[0-2] \n")})},
			wantInErr: "rank 3 is in flux resource list but not in flux resource status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewCLI(tt.runner, CLIOptions{}).State(t.Context())
			if err == nil || !strings.Contains(err.Error(), tt.wantInErr) {
				t.Fatalf("State() = %+v, %v; want an error containing %q", got, err, tt.wantInErr)
			}
		})
	}
}

func TestCommandPrefix(t *testing.T) {
	runner := &scriptedRunner{errs: map[string]error{}}
	cli := NewCLI(runner, CLIOptions{Command: []string{"/opt/flux/bin/flux"}})
	if _, err := cli.State(t.Context()); err == nil {
		t.Fatal("State() with nothing scripted succeeded")
	}
	want := "/opt/flux/bin/flux jobs -A -c 0 --json"
	if calls := runner.Calls(); !slices.Contains(calls, want) {
		t.Errorf("commands run = %q, want one of them to be %q", calls, want)
	}
}
