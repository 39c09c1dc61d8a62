package liveflux

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/signals"
	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/policy"
	"github.com/fluxscale/fluxscale/test/liveflux"
)

func TestIdle(t *testing.T) {
	in := liveflux.Start(t, liveflux.Options{Size: 2})
	st := readEqual(t, in, "idle")
	if len(st.Jobs) != 0 || st.Nodes.Up != 2 || st.Nodes.Free != 2 {
		t.Errorf("idle: jobs %v nodes %+v, want none and 2 up, 2 free", st.Jobs, st.Nodes)
	}
}

// TestBusy runs -N2 and -N1 jobs on 4 ranks, a job of 2 tasks without -N, and a job that
// depends on a running one.
func TestBusy(t *testing.T) {
	in := liveflux.Start(t, liveflux.Options{Size: 4})
	first := strings.TrimSpace(in.MustRun("submit", "-N2", "sleep", "300"))
	in.MustRun("submit", "-N1", "sleep", "300")
	// -N implies whole nodes; this one takes 2 cores of the fourth rank.
	in.MustRun("submit", "-n", "2", "sleep", "300")
	in.MustRun("submit", "--dependency=afterok:"+first, "true")
	in.WaitFor("3 running jobs and one DEPEND", func() bool {
		out, err := in.Run("jobs", "-A", "-n", "-o", "{state}")
		return err == nil && strings.Count(out, "RUN") == 3 && strings.Count(out, "DEPEND") == 1
	})
	st := readEqual(t, in, "busy")
	if st.Counts.Run != 3 || st.Counts.Depend != 1 {
		t.Errorf("busy: counts %+v, want 3 running and 1 depend", st.Counts)
	}
}

// TestOverThousandJobs lists 1,100 held jobs and 2 running ones: flux jobs' default cap of
// 1,000 must not cut the running ones.
func TestOverThousandJobs(t *testing.T) {
	in := liveflux.Start(t, liveflux.Options{Size: 2})
	in.MustRun("submit", "-N1", "sleep", "300")
	in.MustRun("submit", "-N1", "sleep", "300")
	in.WaitFor("2 running", func() bool {
		out, err := in.Run("jobs", "-A", "-n", "-f", "running", "-o", "{id}")
		return err == nil && strings.Count(out, "\n") == 2
	})
	in.MustRun("submit", "--quiet", "--cc=1-1100", "--urgency=hold", "true")
	st := readEqual(t, in, "1,100 held + 2 running")
	if got := strings.TrimSpace(in.MustRun("queue", "status", "-v")); !strings.Contains(got, "0 alloc requests pending") {
		t.Logf("flux queue status -v: %s", got)
	}
	if st.Counts.Run != 2 || st.Counts.Held != 1100 || st.Counts.Pending() != 0 {
		t.Errorf("counts %+v, want 2 running, 1,100 held and none pending", st.Counts)
	}
}

// TestDrainBusyAndIdle drains a rank running a job (draining; the job runs to its end with
// no exception) and an idle one (drained), then undrains a set where only some are drained.
func TestDrainBusyAndIdle(t *testing.T) {
	in := liveflux.Start(t, liveflux.Options{Size: 4})
	c := client(in)
	// The job ends when the test says so, not after a time that a loaded machine may outrun.
	release := filepath.Join(t.TempDir(), "release")
	id := strings.TrimSpace(in.MustRun("submit", "-N1", "--requires=rank:3", "sh", "-c",
		"while [ ! -e "+release+" ]; do sleep 0.1; done"))
	in.MustRun("job", "wait-event", "-t", "60", id, "start")
	if ranks := strings.TrimSpace(in.MustRun("jobs", "-n", "-o", "{ranks}", id)); ranks != "3" {
		t.Fatalf("job %s runs on ranks %q, want 3", id, ranks)
	}
	if err := c.Drain(t.Context(), flux.NewRankSet(2, 3), "fluxscale test"); err != nil {
		t.Fatal(err)
	}
	st := readEqual(t, in, "drain busy 3 and idle 2")
	if st.Ranks[3].Drain != flux.DrainDraining || st.Ranks[2].Drain != flux.DrainDrained {
		t.Errorf("ranks %+v: want 3 draining, 2 drained", st.Ranks)
	}
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	in.MustRun("job", "wait-event", "-t", "60", id, "clean")
	if ev := in.MustRun("job", "eventlog", id); strings.Contains(ev, "exception") {
		t.Errorf("job %s on a draining rank got an exception:\n%s", id, ev)
	}
	readEqual(t, in, "drained 2-3 after the job ended")
	if err := c.Undrain(t.Context(), flux.RankRange(0, 4)); err != nil {
		t.Fatalf("undrain 0-3 with only 2-3 drained: %v", err)
	}
	st = readEqual(t, in, "undrained 0-3")
	for _, r := range st.Ranks {
		if r.Drain != "" {
			t.Errorf("rank %d still %s after undrain", r.Rank, r.Drain)
		}
	}
	if err := c.Undrain(t.Context(), flux.NewRankSet(1)); err != nil {
		t.Errorf("undrain of a rank that is not drained: %v", err)
	}
}

// TestOfflineRank kills a non-leader broker: its rank reads offline.
func TestOfflineRank(t *testing.T) {
	in := liveflux.Start(t, liveflux.Options{Size: 3})
	in.KillBroker(2)
	in.WaitFor("rank 2 offline", func() bool {
		out, err := in.Run("resource", "status", "-s", "offline", "-n", "-o", "{ranks}")
		return err == nil && strings.TrimSpace(out) == "2"
	})
	st := readEqual(t, in, "rank 2 killed")
	if st.Ranks[2].Online || st.Nodes.Up != 2 {
		t.Errorf("rank 2 %+v, nodes %+v: want offline and 2 up", st.Ranks[2], st.Nodes)
	}
}

// TestStoppedInstance reads a stopped instance: a clear error, never an empty State.
func TestStoppedInstance(t *testing.T) {
	in := liveflux.Start(t, liveflux.Options{Size: 1})
	in.Stop()
	for name, c := range readers(in) {
		st, err := c.State(t.Context())
		if err == nil {
			t.Fatalf("%s: State of a stopped instance = %+v, want an error", name, st)
		}
		t.Logf("ROW stopped instance (%s) | flux: not running | fluxscale error: %v", name, err)
	}
}

// TestUnsatisfiableJob: a job asking for more nodes than the instance has stays SCHED behind
// a blocked job (Flux raises no exception). fluxscale reads it as pending with its node
// count, and the policy reports it as unsatisfiable instead of scaling for it.
func TestUnsatisfiableJob(t *testing.T) {
	in := liveflux.Start(t, liveflux.Options{Size: 2})
	in.MustRun("submit", "-N2", "sleep", "300")
	in.MustRun("submit", "-N2", "sleep", "300") // blocked: all nodes are taken
	big := strings.TrimSpace(in.MustRun("submit", "-N5", "true"))
	in.WaitFor("one running job and two SCHED", func() bool {
		out, err := in.Run("jobs", "-A", "-n", "-o", "{state}")
		return err == nil && strings.Count(out, "RUN") == 1 && strings.Count(out, "SCHED") == 2
	})
	st := readEqual(t, in, "unsatisfiable -N5 behind a blocked -N2")
	var found bool
	for _, j := range st.Jobs {
		if j.ID == big {
			found = j.Pending() && j.NNodes == 5
		}
	}
	if !found {
		t.Fatalf("jobs %+v: want %s pending with 5 nodes", st.Jobs, big)
	}
	spec := policy.Defaulted(v1alpha1.ScalingPolicySpec{MinSize: 1, MaxSize: 2,
		Policies: []v1alpha1.PolicySpec{{Type: v1alpha1.PolicyQueueDepth, QueueDepth: &v1alpha1.QueueDepthPolicy{}}}})
	d := policy.Decide(policy.Input{Now: st.ObservedAt, Spec: spec, Current: 2, FluxFresh: true, FluxLastGood: st.ObservedAt,
		Flux: signals.FluxInput(st)})
	if !slices.Contains(d.Unsatisfiable, big) || d.Desired != 2 {
		t.Errorf("decision %+v: want %s unsatisfiable and the size kept at 2", d, big)
	}
	t.Logf("ROW unsatisfiable | flux: %s SCHED, -N5 on 2 ranks | fluxscale: pending 5 nodes, policy Unsatisfiable %v, desired %d", big, d.Unsatisfiable, d.Desired)
}
