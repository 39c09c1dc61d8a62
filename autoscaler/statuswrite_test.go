package autoscaler

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/metrics/simulated"
)

// A policy at rest writes its status only on the heartbeat, not on every poll, yet each
// signal's lastUpdate in the API server stays within a heartbeat of now; new demand is
// written at once.
func TestStatusAtRestIsWrittenOnTheHeartbeat(t *testing.T) {
	h, sim := jobHarness(t, 2)
	// The first conditions get a time with a fraction of a second, which the API server
	// does not keep: the status kept in memory must not differ from the written one for
	// that (it did, and every pass at rest wrote).
	h.clock.Step(250 * time.Millisecond)
	submit(t, sim, 1, 2, 2*time.Hour)
	h.step(time.Second)
	h.step(time.Second)
	if got := h.jobSize(); got != 2 {
		t.Fatalf("two busy nodes: Job size %d, want 2", got)
	}
	h.statusWrites = 0
	const polls = 60 // ten minutes of 10 s polls
	for range polls {
		h.step(10 * time.Second)
		now := h.clock.Now()
		for _, s := range h.status().Signals {
			if s.LastUpdate != nil && now.Sub(s.LastUpdate.Time) > statusHeartbeat {
				t.Fatalf("at %s signal %s was last written %s ago, more than the heartbeat %s",
					now.Sub(t0), s.Name, now.Sub(s.LastUpdate.Time), statusHeartbeat)
			}
		}
	}
	// One write per heartbeat: 10 min / 3 min.
	if h.statusWrites < 3 || h.statusWrites > 4 {
		t.Errorf("%d status writes in %d polls at rest, want 3-4 (one per %s heartbeat)", h.statusWrites, polls, statusHeartbeat)
	}
	h.statusWrites = 0
	submit(t, sim, 3, 1, time.Hour)
	h.step(time.Second)
	if h.statusWrites == 0 || h.jobSize() != 3 {
		t.Errorf("new demand: %d status writes, Job size %d; want the new status written and size 3", h.statusWrites, h.jobSize())
	}
}

// The scale-down window survives a restart although the newest recommendation's time is
// not written on every pass: four jobs hold the size at 4 for ten minutes, so the status
// last recorded a recommendation of 4 up to a heartbeat before they end. The restarted
// controller reads it as lasting until the heartbeat that would have followed, so it
// shrinks no earlier than the one that kept running, and at most a heartbeat later.
func TestScaleDownWindowSurvivesARestartWithoutPerPassWrites(t *testing.T) {
	shrinkAt := func(restartAfter time.Duration) time.Duration {
		sim, err := simulated.New(simulated.Options{Start: t0, MaxSize: 6, InitialSize: 1})
		if err != nil {
			t.Fatal(err)
		}
		sp := makeScalingPolicy("p", ns).Target(jobRef("work")).Obj()
		sp.Spec.Behavior.ScaleDown.StabilizationWindowSeconds = ptr.To[int32](300)
		sp.Spec.ScaleDown.Mode = v1alpha1.ScaleDownImmediate
		h := newHarness(t, sp, sim, makeJob("work", ns).Indexed().Size(1).Obj())
		submit(t, sim, 1, 4, 10*time.Minute)
		h.step(time.Second)
		if got := h.jobSize(); got != 4 {
			t.Fatalf("four queued jobs: Job size %d, want 4", got)
		}
		var elapsed time.Duration
		restarted := false
		for elapsed < 30*time.Minute {
			h.step(10 * time.Second)
			elapsed += 10 * time.Second
			if h.jobSize() < 4 {
				return elapsed
			}
			if !restarted && restartAfter > 0 && elapsed >= restartAfter {
				h.restart()
				restarted = true
			}
		}
		t.Fatalf("no shrink within 30 min (restart after %s)", restartAfter)
		return 0
	}
	base := shrinkAt(0)
	for _, after := range []time.Duration{5 * time.Minute, 9*time.Minute + 50*time.Second, 12 * time.Minute} {
		got := shrinkAt(after)
		if got < base || got > base+statusHeartbeat {
			t.Errorf("restart after %s: shrink at %s, want between %s (no restart) and a heartbeat later", after, got, base)
		}
	}
}

// A pass whose size write conflicts takes back the scale event it recorded in status ahead of
// the write: the status it leaves holds no event, and the retry grows the Job to 4 in one
// step. A phantom event would make the rate limit count a scale that never happened (with a
// concurrent writer of the Job, the reliability suite saw the growth held to 2 while status
// writes skipped a change of scale events as if it were expiry).
func TestAFailedScaleLeavesNoScaleEventBehind(t *testing.T) {
	h, sim := jobHarness(t, 1)
	h.step(time.Second)
	submit(t, sim, 1, 4, time.Hour)
	h.failJobPatches = 1
	h.clock.Step(time.Second)
	if err := sim.Advance(time.Second); err != nil {
		t.Fatal(err)
	}
	// The conflict is the pass's result (a retry), not a test failure.
	_, _ = h.r.Reconcile(t.Context(), reconcile.Request{NamespacedName: h.key})
	if got := h.status().History.ScaleEvents; len(got) != 0 {
		t.Fatalf("after a failed size write the status keeps scale events %+v, want none", got)
	}
	h.step(time.Second)
	if got := h.jobSize(); got != 4 {
		t.Errorf("Job size %d after the retry, want 4 (no phantom event limiting the growth)", got)
	}
}

// jobHarness is a harness for policy p over Indexed Job work at size, with a simulated Flux
// of 6 ranks, size of them up.
func jobHarness(t *testing.T, size int32) (*harness, *simulated.Cluster) {
	t.Helper()
	sim, err := simulated.New(simulated.Options{Start: t0, MaxSize: 6, InitialSize: size})
	if err != nil {
		t.Fatal(err)
	}
	sp := makeScalingPolicy("p", ns).Target(jobRef("work")).Obj()
	return newHarness(t, sp, sim, makeJob("work", ns).Indexed().Size(size).Obj()), sim
}

// A scale costs one status write: the pass that scales writes its status once (ahead of the
// size), and the passes after it write only what Flux changed (the job starting on the new
// rank), not the scale event expiring on its own.
func TestAScaleIsOneStatusWrite(t *testing.T) {
	h, sim := jobHarness(t, 2)
	submit(t, sim, 1, 2, 2*time.Hour)
	h.step(time.Second)
	h.step(time.Second)
	for range 19 { // past a heartbeat: at rest
		h.step(10 * time.Second)
	}
	h.statusWrites = 0
	submit(t, sim, 3, 1, 2*time.Hour)
	h.step(time.Second)
	if got := h.jobSize(); got != 3 {
		t.Fatalf("Job size %d, want 3", got)
	}
	if h.statusWrites != 1 {
		t.Errorf("the pass that scaled wrote status %d times, want once", h.statusWrites)
	}
	if c := meta.FindStatusCondition(h.status().Conditions, v1alpha1.ConditionAbleToScale); c == nil || c.Reason != v1alpha1.ReasonSucceededRescale {
		t.Errorf("AbleToScale after the scale: %+v, want %s", c, v1alpha1.ReasonSucceededRescale)
	}
	h.statusWrites = 0
	for range 6 { // a minute of polls: the scale event leaves its 15 s period
		h.step(10 * time.Second)
	}
	st := h.status()
	if got := signalValue(&st, signalRunningJobs); h.statusWrites != 1 || got != "3" {
		t.Errorf("%d status writes in the minute after the scale with %s running jobs written; want one, for the job that started",
			h.statusWrites, got)
	}
}

// What moves on by itself after a scale waits for the heartbeat or another change: the
// scale event leaving its periods, and AbleToScale going from SucceededRescale to
// ReadyForNewScale. An event this pass took back (its size write failed) is written at once.
func TestWorthWritingAfterAScale(t *testing.T) {
	now := t0.Add(time.Minute)
	at := func(d time.Duration) metav1.Time { return metav1.NewTime(t0.Add(d)) }
	able := func(reason string) []metav1.Condition {
		return []metav1.Condition{{Type: v1alpha1.ConditionAbleToScale, Status: metav1.ConditionTrue, Reason: reason}}
	}
	scaled := v1alpha1.ScalingPolicyStatus{CurrentSize: 3, Conditions: able(v1alpha1.ReasonSucceededRescale),
		History: v1alpha1.ScalingHistory{ScaleEvents: []v1alpha1.ScaleEvent{{Time: at(0), From: 2, To: 3}}}}
	tests := []struct {
		name    string
		written v1alpha1.ScalingPolicyStatus
		cur     func(*v1alpha1.ScalingPolicyStatus)
		want    bool
	}{
		{name: "nothing moved", written: scaled, cur: func(*v1alpha1.ScalingPolicyStatus) {}},
		{name: "the event expired", written: scaled, cur: func(s *v1alpha1.ScalingPolicyStatus) { s.History.ScaleEvents = nil }},
		{name: "ready for a new scale", written: scaled, cur: func(s *v1alpha1.ScalingPolicyStatus) {
			s.Conditions = able(v1alpha1.ReasonReadyForNewScale)
		}},
		{name: "ready, and the size changed", written: scaled, want: true, cur: func(s *v1alpha1.ScalingPolicyStatus) {
			s.Conditions, s.CurrentSize = able(v1alpha1.ReasonReadyForNewScale), 2
		}},
		{name: "a failed scale", written: scaled, want: true, cur: func(s *v1alpha1.ScalingPolicyStatus) {
			s.Conditions = []metav1.Condition{{Type: v1alpha1.ConditionAbleToScale, Status: metav1.ConditionFalse, Reason: v1alpha1.ReasonFailedUpdateScale}}
		}},
		{name: "this pass's event taken back", want: true,
			written: v1alpha1.ScalingPolicyStatus{CurrentSize: 3, Conditions: able(v1alpha1.ReasonSucceededRescale),
				History: v1alpha1.ScalingHistory{ScaleEvents: []v1alpha1.ScaleEvent{{Time: at(time.Minute), From: 3, To: 4}}}},
			cur: func(s *v1alpha1.ScalingPolicyStatus) { s.History.ScaleEvents = nil }},
		{name: "a new event", written: scaled, want: true, cur: func(s *v1alpha1.ScalingPolicyStatus) {
			s.History.ScaleEvents = []v1alpha1.ScaleEvent{{Time: at(time.Minute), From: 3, To: 4}}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cur := *tc.written.DeepCopy()
			tc.cur(&cur)
			if got := worthWriting(&tc.written, &cur, now); got != tc.want {
				t.Errorf("worthWriting = %v, want %v", got, tc.want)
			}
		})
	}
}

// signalValue is the value status shows for a signal, "" when it shows none.
func signalValue(st *v1alpha1.ScalingPolicyStatus, name string) string {
	for _, s := range st.Signals {
		if s.Name == name {
			return s.Value
		}
	}
	return ""
}
