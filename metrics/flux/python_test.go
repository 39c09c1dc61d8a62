package flux

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The program's recorded output assembles to the State that flux's own commands printed at
// the same moment (testdata/stateprogram/README.md).
func TestParseProgramStateRecorded(t *testing.T) {
	out, err := os.ReadFile("testdata/stateprogram/drain-held.json")
	if err != nil {
		t.Fatal(err)
	}
	st, err := parseProgramState(out)
	if err != nil {
		t.Fatal(err)
	}
	wantRanks := []Rank{
		{Rank: 0, Online: true, Allocated: true},
		{Rank: 1, Online: true, Allocated: true},
		{Rank: 2, Online: true, Drain: DrainDrained, Reason: "fluxscale capture"},
		{Rank: 3, Online: true, Allocated: true, Drain: DrainDraining, Reason: "fluxscale capture"},
	}
	if diff := cmp.Diff(wantRanks, st.Ranks); diff != "" {
		t.Errorf("ranks (-want +got):\n%s", diff)
	}
	if want := (Counts{Sched: 1, Held: 1, Run: 2}); st.Counts != want {
		t.Errorf("counts %+v, want %+v", st.Counts, want)
	}
	if st.Size != 4 || st.CoresPerNode != 2 || !st.PerRank {
		t.Errorf("size %d, cores per node %d, per rank %v; want 4, 2, true", st.Size, st.CoresPerNode, st.PerRank)
	}
	// Drained and draining ranks are down in the scheduler's view (flux resource list).
	if want := (NodeCounts{Up: 2, Free: 0, Allocated: 3, Down: 2}); st.Nodes != want {
		t.Errorf("nodes %+v, want %+v", st.Nodes, want)
	}
}

// A document with the scheduler's own list (testdata/stateprogram/README.md) marks the ranks
// the scheduler counts down: the drained and the draining one, not the free or the busy one.
// Without it (the recorded drain-held.json, from before) nothing is marked.
func TestParseProgramStateSchedulerView(t *testing.T) {
	out, err := os.ReadFile("testdata/stateprogram/scheduler.json")
	if err != nil {
		t.Fatal(err)
	}
	st, err := parseProgramState(out)
	if err != nil {
		t.Fatal(err)
	}
	const reason = "fluxscale: scale-down to 2 (drain 5e1f0c2a9b7d)"
	want := []Rank{
		{Rank: 0, Online: true, Allocated: true},
		{Rank: 1, Online: true},
		{Rank: 2, Online: true, Drain: DrainDrained, Reason: reason, SchedulerDown: true},
		{Rank: 3, Online: true, Allocated: true, Drain: DrainDraining, Reason: reason, SchedulerDown: true},
	}
	if diff := cmp.Diff(want, st.Ranks); diff != "" {
		t.Errorf("ranks (-want +got):\n%s", diff)
	}
	if !st.SchedulerView {
		t.Error("SchedulerView false for a document with the scheduler's own list")
	}
	old, err := os.ReadFile("testdata/stateprogram/drain-held.json")
	if err != nil {
		t.Fatal(err)
	}
	if st, err = parseProgramState(old); err != nil {
		t.Fatal(err)
	}
	if st.SchedulerView {
		t.Error("SchedulerView set for a document without the scheduler's own list")
	}
	for _, rk := range st.Ranks {
		if rk.SchedulerDown {
			t.Errorf("rank %d marked down in the scheduler by a document without its list", rk.Rank)
		}
	}
}

func TestParseProgramStateRefusesBadOutput(t *testing.T) {
	for name, out := range map[string]string{
		"not json":     "Traceback (most recent call last):",
		"no list":      `{"jobs": [], "status": {"all": "0"}}`,
		"bad idset":    `{"jobs": [], "status": {"all": "0-x"}, "list": {}}`,
		"no jobs list": `{"status": {"all": "0"}}`,
	} {
		if st, err := parseProgramState([]byte(out)); err == nil {
			t.Errorf("%s: parsed %+v, want an error", name, st)
		}
	}
}
