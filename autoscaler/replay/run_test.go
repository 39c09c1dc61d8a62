package replay

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/simulated"
)

func TestPolicyGrowsAndShrinksWithoutKilling(t *testing.T) {
	cfg := Config{Cluster: simulated.Options{MaxSize: 32, NodeUpDelay: time.Minute, Sched: simulated.SchedEASY}, Jobs: genJobs(t, 1, 300)}
	r := mustRun(t, cfg, NewPolicyScaler("default", v1alpha1.ScalingPolicySpec{MinSize: 1, MaxSize: 32}))
	s := Summarize(r, LowerBoundNodeHours(cfg.Jobs))
	if s.Finished != len(cfg.Jobs) || s.Killed != 0 || s.Unfinished != 0 || r.GaveUp {
		t.Errorf("finished %d of %d, killed %d, unfinished %d, gave up %v; want all finished by draining, none killed",
			s.Finished, len(cfg.Jobs), s.Killed, s.Unfinished, r.GaveUp)
	}
	if s.Drains == 0 || s.ScaleActions < 2 {
		t.Errorf("%d drains, %d scale actions: the workload should make the policy grow, then drain and shrink", s.Drains, s.ScaleActions)
	}
	static := Summarize(mustRun(t, cfg, Static{Label: "max", Size: 32}), LowerBoundNodeHours(cfg.Jobs))
	if s.NodeHours >= static.NodeHours {
		t.Errorf("policy used %.0f node-hours, static max %.0f: an autoscaler should use fewer on a bursty workload", s.NodeHours, static.NodeHours)
	}
	if s.LowerBoundRatio < 1 || static.LowerBoundRatio < 1 {
		t.Errorf("node-hours below the physical lower bound: policy x%.2f, static x%.2f", s.LowerBoundRatio, static.LowerBoundRatio)
	}
}

func TestEventsTriggerDecisions(t *testing.T) {
	// Two jobs arrive 3 s after the first decision; with a 60 s poll, only the event
	// trigger can grow the cluster before 60 s.
	jobs := []simulated.Job{
		{ID: 1, Submit: epoch, NNodes: 1, Runtime: time.Hour},
		{ID: 2, Submit: epoch.Add(3 * time.Second), NNodes: 4, Runtime: time.Minute},
		{ID: 3, Submit: epoch.Add(3 * time.Second), NNodes: 1, Runtime: time.Minute},
	}
	spec := v1alpha1.ScalingPolicySpec{MinSize: 1, MaxSize: 8, PollIntervalSeconds: 60}
	r := mustRun(t, Config{Cluster: simulated.Options{MaxSize: 8}, Jobs: jobs}, NewPolicyScaler("p", spec))
	// 1 busy + 5 pending nodes asks for 6; the default scale-up limit, max(+100 %, +4)
	// per 15 s from 1, allows 5.
	if got := sizeAt(r.Series, epoch.Add(3*time.Second)); got != 5 {
		t.Errorf("size at 3 s is %d, want 5 right after the submit", got)
	}
	hpa := mustRun(t, Config{Cluster: simulated.Options{MaxSize: 8}, Jobs: jobs}, NewHPAScaler("hpa", 1, 8))
	if got := sizeAt(hpa.Series, epoch.Add(14*time.Second)); got != 1 {
		t.Errorf("HPA size at 14 s is %d, want 1: it syncs every 15 s and reacts to no event", got)
	}
	if got := sizeAt(hpa.Series, epoch.Add(15*time.Second)); got != 2 {
		t.Errorf("HPA size at 15 s is %d, want 2: one pod per pending job, whatever its size", got)
	}
}

func TestHPAKillsJobsWhenThePendingCountDrops(t *testing.T) {
	// Two pending jobs take HPA to 2 pods at its first sync; job 2 starts on pod 1 and one
	// job stays pending, so HPA wants 1 pod and, once the 300 s window passes, removes
	// pod 1 with job 2 on it. Job 3 runs after job 1.
	jobs := []simulated.Job{
		{ID: 1, Submit: epoch, NNodes: 1, Runtime: time.Hour},
		{ID: 2, Submit: epoch, NNodes: 1, Runtime: time.Hour},
		{ID: 3, Submit: epoch, NNodes: 1, Runtime: time.Hour},
	}
	r := mustRun(t, Config{Cluster: simulated.Options{MaxSize: 4}, Jobs: jobs}, NewHPAScaler("hpa", 1, 4))
	want := map[uint64]simulated.Outcome{1: simulated.OutcomeFinished, 2: simulated.OutcomeKilled, 3: simulated.OutcomeFinished}
	got := map[uint64]simulated.Outcome{}
	for _, rec := range r.Records {
		got[rec.ID] = rec.Outcome
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if got := sizeAt(r.Series, epoch.Add(300*time.Second)); got != 1 {
		t.Errorf("HPA size at 300 s is %d, want 1 once 2 left the scale-down window", got)
	}
}

func TestStaticNeverDecidesAndGivesUpOnJobsItCannotRun(t *testing.T) {
	jobs := []simulated.Job{
		{ID: 1, Submit: epoch, NNodes: 2, Runtime: time.Minute},
		{ID: 2, Submit: epoch.Add(48 * time.Hour), NNodes: 1, Runtime: time.Minute},
	}
	r := mustRun(t, Config{Cluster: simulated.Options{MaxSize: 4}, Jobs: jobs}, Static{Label: "min", Size: 1})
	s := Summarize(r, LowerBoundNodeHours(jobs))
	// FCFS: job 1 (2 nodes on a 1-node cluster) blocks job 2 for good; the replay waits for
	// job 2's arrival two days later before giving up.
	if !r.GaveUp || r.Decisions != 0 || s.Unfinished != 2 || !r.End.Equal(epoch.Add(48*time.Hour)) {
		t.Errorf("gave up %v at %s after %d decisions with %d unfinished; want given up at the last arrival (48 h), 0 decisions, 2 unfinished",
			r.GaveUp, r.End.Sub(epoch), r.Decisions, s.Unfinished)
	}
}

func TestSummarize(t *testing.T) {
	at := func(s int) time.Time { return epoch.Add(time.Duration(s) * time.Second) }
	rec := func(id uint64, submit, start, run int, o simulated.Outcome) simulated.JobRecord {
		return simulated.JobRecord{Job: simulated.Job{ID: id, Submit: at(submit), NNodes: 2, Runtime: time.Duration(run) * time.Second},
			Outcome: o, Start: at(start), End: at(start + run)}
	}
	r := Result{
		Name: "p", Start: at(0), End: at(200),
		Records: []simulated.JobRecord{
			rec(1, 0, 0, 100, simulated.OutcomeFinished),  // wait 0, slowdown 1
			rec(2, 0, 20, 5, simulated.OutcomeFinished),   // wait 20, slowdown (20+5)/10 = 2.5
			rec(3, 10, 100, 100, simulated.OutcomeKilled), // wait 90, no slowdown
			{Job: simulated.Job{ID: 4, NNodes: 1}, Outcome: simulated.OutcomePending},
		},
		Stats: simulated.Stats{Finished: 2, Killed: 1, BusyNodeSeconds: 3600, ProvisionedNodeSeconds: 7200, Resizes: 3, Drains: 1},
	}
	want := Summary{Policy: "p", Jobs: 4, Finished: 2, Killed: 1, Unfinished: 1, MeanWait: 110.0 / 3, P95Wait: 90,
		MeanBoundedSlowdown: 1.75, Makespan: 200, NodeHours: 2, BusyNodeHours: 1, Utilization: 0.5, LowerBoundRatio: 4,
		ScaleActions: 3, Drains: 1}
	if diff := cmp.Diff(want, Summarize(r, 0.5)); diff != "" {
		t.Errorf("Summarize (-want +got):\n%s", diff)
	}
}
