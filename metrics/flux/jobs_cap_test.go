package flux

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// cappingRunner is a fake Runner for `flux jobs --json` that behaves as flux-core 0.88.0
// does: without -c 0 it prints at most 1,000 jobs, pending ones first, and cuts the rest
// without a word (exit 0). The resource commands answer with a 4-rank instance.
type cappingRunner struct {
	pending, running int
}

func (r cappingRunner) Run(_ context.Context, argv []string) (Result, error) {
	if res, ok := answerVersion(argv); ok {
		return res, nil
	}
	switch {
	case slices.Contains(argv, "jobs"):
		var jobs []string
		for i := range r.pending {
			jobs = append(jobs, fmt.Sprintf(`{"jobid": "fP%d", "state": "SCHED", "nnodes": 1, "priority": 16}`, i))
		}
		for i := range r.running {
			jobs = append(jobs, fmt.Sprintf(`{"jobid": "fR%d", "state": "RUN", "nnodes": 1, "ranks": "%d"}`, i, i%4))
		}
		limit := 1000
		if i := slices.Index(argv, "-c"); i >= 0 && i+1 < len(argv) && argv[i+1] == "0" {
			limit = len(jobs)
		}
		jobs = jobs[:min(limit, len(jobs))]
		return Result{Stdout: []byte(`{"jobs": [` + strings.Join(jobs, ", ") + `]}`)}, nil
	case slices.Contains(argv, "status"):
		return Result{Stdout: []byte("avail 4 0-3 h-[0-3] \n")}, nil
	case slices.Contains(argv, "list"):
		return Result{Stdout: []byte("free 0 0  \nallocated 4 8 0-3 h-[0-3]\ndown 0 0  \n")}, nil
	}
	return Result{}, fmt.Errorf("cappingRunner: nothing for %q", argv)
}

// TestStateListsEveryJob checks that a queue longer than flux jobs' default limit of 1,000
// still shows its running jobs and counts: the cut list would show 1,000 pending and none
// running.
func TestStateListsEveryJob(t *testing.T) {
	st, err := NewCLI(cappingRunner{pending: 1000, running: 5}, CLIOptions{}).State(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if want := (Counts{Sched: 1000, Run: 5}); st.Counts != want {
		t.Errorf("Counts = %+v, want %+v", st.Counts, want)
	}
	if len(st.Jobs) != 1005 {
		t.Errorf("State lists %d jobs, want 1005", len(st.Jobs))
	}
}
