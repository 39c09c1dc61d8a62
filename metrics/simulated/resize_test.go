package simulated

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestGrownRanksComeUpAfterTheDelay(t *testing.T) {
	c := newCluster(t, Options{MaxSize: 8, InitialSize: 2, NodeUpDelay: time.Minute})
	mustSubmit(t, c, Job{ID: 1, NNodes: 4, Runtime: time.Hour})
	if err := c.Resize(4); err != nil {
		t.Fatal(err)
	}
	if next, _ := c.NextEvent(); !next.Equal(epoch.Add(time.Minute)) {
		t.Errorf("next event %s, want the ranks up at %s", next, epoch.Add(time.Minute))
	}
	mustStep(t, c, epoch.Add(59*time.Second))
	s, _ := c.State(context.Background())
	if s.Nodes.Up != 2 || s.Ranks[2].Online || s.Counts.Sched != 1 {
		t.Errorf("at 59 s: %d up, rank 2 online %v, %d pending; want 2 up, rank 2 offline, 1 pending", s.Nodes.Up, s.Ranks[2].Online, s.Counts.Sched)
	}
	mustStep(t, c, epoch.Add(time.Minute))
	if r := recordsByID(c)[1]; !r.Start.Equal(epoch.Add(time.Minute)) {
		t.Errorf("job 1 started at %s, want when ranks 2-3 came up (%s)", r.Start, epoch.Add(time.Minute))
	}
}

func TestShrinkKillsJobsOnRemovedRanks(t *testing.T) {
	c := newCluster(t, Options{MaxSize: 4, InitialSize: 4})
	mustSubmit(t, c,
		Job{ID: 1, NNodes: 2, Runtime: time.Hour}, // ranks 0-1
		Job{ID: 2, NNodes: 2, Runtime: time.Hour}, // ranks 2-3
	)
	mustStep(t, c, epoch.Add(10*time.Second))
	if err := c.Resize(3); err != nil {
		t.Fatal(err)
	}
	recs := recordsByID(c)
	if recs[1].Outcome != OutcomeRunning || recs[2].Outcome != OutcomeKilled || !recs[2].End.Equal(epoch.Add(10*time.Second)) {
		t.Errorf("job 1 %s, job 2 %s at %s; want running, killed at 10 s", recs[1].Outcome, recs[2].Outcome, recs[2].End)
	}
	s, _ := c.State(context.Background())
	// The killed job's surviving rank 2 is free again; rank 3 is gone.
	want := struct{ Up, Free, Allocated, Down int32 }{3, 1, 2, 1}
	got := struct{ Up, Free, Allocated, Down int32 }{s.Nodes.Up, s.Nodes.Free, s.Nodes.Allocated, s.Nodes.Down}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("nodes (-want +got):\n%s", diff)
	}
	runToEnd(t, c)
	st := c.Stats()
	// Conservation with a kill: busy time is the finished job's hour plus the killed job's 10 s.
	if want := 2*3600.0 + 2*10.0; st.Killed != 1 || st.Finished != 1 || st.BusyNodeSeconds != want {
		t.Errorf("killed %d finished %d busy %v; want 1, 1, %v", st.Killed, st.Finished, st.BusyNodeSeconds, want)
	}
}

func TestShrinkCancelsBootingRanks(t *testing.T) {
	c := newCluster(t, Options{MaxSize: 4, InitialSize: 1, NodeUpDelay: time.Minute})
	if err := c.Resize(4); err != nil {
		t.Fatal(err)
	}
	mustStep(t, c, epoch.Add(30*time.Second))
	if err := c.Resize(2); err != nil {
		t.Fatal(err)
	}
	runToEnd(t, c)
	s, _ := c.State(context.Background())
	if s.Nodes.Up != 2 || s.Ranks[2].Online || s.Ranks[3].Online {
		t.Errorf("%d up (ranks 2, 3 online: %v, %v); want 2 up, ranks 2-3 offline", s.Nodes.Up, s.Ranks[2].Online, s.Ranks[3].Online)
	}
}

func TestResizeBounds(t *testing.T) {
	c := newCluster(t, Options{MaxSize: 4, InitialSize: 1})
	for _, n := range []int32{-1, 5} {
		if err := c.Resize(n); err == nil {
			t.Errorf("Resize(%d) succeeded on a max size of 4", n)
		}
	}
}

func TestOversizedJobFailsAtTheHead(t *testing.T) {
	c := newCluster(t, Options{MaxSize: 4, InitialSize: 4})
	mustSubmit(t, c,
		Job{ID: 1, NNodes: 4, Runtime: time.Minute},
		Job{ID: 2, NNodes: 4, Runtime: time.Minute},
		Job{ID: 3, NNodes: 5, Runtime: time.Minute},
		Job{ID: 4, NNodes: 1, Runtime: time.Minute},
	)
	if got := recordsByID(c)[3].Outcome; got != OutcomePending {
		t.Errorf("oversized job behind a pending one is %s, want pending (Flux fails it only at the head)", got)
	}
	runToEnd(t, c)
	recs := recordsByID(c)
	if recs[3].Outcome != OutcomeUnsatisfiable || !recs[3].End.Equal(epoch.Add(time.Minute)) || c.Stats().Unsatisfiable != 1 {
		t.Errorf("job 3 %s at %s, %d unsatisfiable; want unsatisfiable when job 2 started at 1 min, 1",
			recs[3].Outcome, recs[3].End, c.Stats().Unsatisfiable)
	}
	if !recs[4].Start.Equal(epoch.Add(2 * time.Minute)) {
		t.Errorf("job 4 started at %s, want after job 2 at 2 min", recs[4].Start)
	}
}
