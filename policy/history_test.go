package policy

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

func TestHistoryRecommendations(t *testing.T) {
	at := func(ago time.Duration, size int32) TimedSize { return TimedSize{Time: t0.Add(-ago), Size: size} }
	cases := []struct {
		name     string
		up, down int32
		old      []TimedSize
		rec      int32
		want     []TimedSize
	}{{
		name: "steady sizes keep only the newest",
		down: 300, old: []TimedSize{at(60*time.Second, 4), at(30*time.Second, 4)}, rec: 4,
		want: []TimedSize{at(0, 4)},
	}, {
		name: "an older value between newer ones decides no window",
		down: 300, up: 300,
		old: []TimedSize{at(90*time.Second, 9), at(60*time.Second, 5), at(30*time.Second, 2)}, rec: 7,
		want: []TimedSize{at(90*time.Second, 9), at(30*time.Second, 2), at(0, 7)},
	}, {
		name: "only the longest window is kept",
		up:   60, down: 120,
		old: []TimedSize{at(120*time.Second, 9), at(119*time.Second, 8)}, rec: 1,
		want: []TimedSize{at(119*time.Second, 8), at(0, 1)},
	}, {
		name: "no window: nothing kept",
		old:  []TimedSize{at(10*time.Second, 9)}, rec: 1,
	}, {
		name: "times become whole seconds and out-of-order input is sorted",
		down: 300, old: []TimedSize{at(10*time.Second-300*time.Millisecond, 3), at(20*time.Second, 9)}, rec: 1,
		want: []TimedSize{at(20*time.Second, 9), at(10*time.Second, 3), at(0, 1)},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := makeInput(4, 10).busy(tc.rec).behavior(&v1alpha1.ScalingBehavior{
				ScaleUp: scaling(tc.up, ""), ScaleDown: scaling(tc.down, ""),
			}).obj()
			in.History.Recommendations = tc.old
			got := Decide(in).History.Recommendations
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Recommendations (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHistoryBoundedAndExact: however many recommendations come in, at most 256 are kept,
// and the windows computed from the kept ones equal those computed from all.
func TestHistoryBoundedAndExact(t *testing.T) {
	b := &v1alpha1.ScalingBehavior{ScaleUp: scaling(3600, ""), ScaleDown: scaling(3600, "")}
	// The first decision finds nothing on record and records the current size first.
	all := []TimedSize{{Time: t0, Size: 50}}
	var kept []TimedSize
	for i := range 3000 {
		now := t0.Add(time.Duration(i) * time.Second)
		rec := int32((i*7919)%97 + 1) // a deterministic jumble of sizes in [1, 97]
		in := makeInput(50, 100).busy(rec).behavior(b).obj()
		in.Now = now
		in.History.Recommendations = kept
		kept = Decide(in).History.Recommendations
		all = append(all, TimedSize{Time: now, Size: rec})
		if len(kept) > maxHistory {
			t.Fatalf("step %d: %d recommendations kept, want at most %d", i, len(kept), maxHistory)
		}
		for _, window := range []time.Duration{time.Second, 10 * time.Second, 600 * time.Second, 3600 * time.Second} {
			lo1, hi1 := windowRange(all, now, window)
			lo2, hi2 := windowRange(kept, now, window)
			if lo1 != lo2 || hi1 != hi2 {
				t.Fatalf("step %d, window %s: kept gives [%d, %d], all give [%d, %d]", i, window, lo2, hi2, lo1, hi1)
			}
		}
	}
}

// windowRange is the lowest and highest size recorded within (now-window, now].
func windowRange(recs []TimedSize, now time.Time, window time.Duration) (int32, int32) {
	lo, hi := int32(1<<30), int32(-1)
	for _, r := range recs {
		if r.Time.After(now.Add(-window)) {
			lo, hi = min(lo, r.Size), max(hi, r.Size)
		}
	}
	return lo, hi
}

func TestHistoryScaleEvents(t *testing.T) {
	old := []ScaleEvent{
		{Time: t0.Add(-61 * time.Second), From: 1, To: 2},
		{Time: t0.Add(-59 * time.Second), From: 2, To: 3},
	}
	b := &v1alpha1.ScalingBehavior{ScaleUp: scaling(0, "", pods(100, 60)), ScaleDown: scaling(0, "", pods(100, 30))}
	cases := []struct {
		name   string
		rec    int32
		dryRun bool
		want   []ScaleEvent
	}{
		{name: "a scale is recorded; events older than the longest period are dropped", rec: 5,
			want: []ScaleEvent{old[1], {Time: t0, From: 3, To: 5}}},
		{name: "no scale, no event", rec: 3, want: []ScaleEvent{old[1]}},
		{name: "a dry run records nothing", rec: 5, dryRun: true, want: []ScaleEvent{old[1]}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := makeInput(3, 10).busy(tc.rec).behavior(b).obj()
			in.Spec.DryRun = tc.dryRun
			in.History.ScaleEvents = append([]ScaleEvent(nil), old...)
			got := Decide(in)
			if diff := cmp.Diff(tc.want, got.History.ScaleEvents); diff != "" {
				t.Errorf("ScaleEvents (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(old, in.History.ScaleEvents); diff != "" {
				t.Errorf("Input.History was modified (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHistoryRoundTrip: History survives the trip through the status (metav1.Time is whole
// seconds in JSON), so a controller restart decides the same.
func TestHistoryRoundTrip(t *testing.T) {
	in := makeInput(3, 10).busy(6).behavior(nil).obj()
	in.Now = t0.Add(700 * time.Millisecond)
	in.History = History{
		Recommendations: []TimedSize{{Time: t0.Add(-100*time.Second + 400*time.Millisecond), Size: 9}},
		ScaleEvents:     []ScaleEvent{{Time: t0.Add(-5*time.Second + 900*time.Millisecond), From: 2, To: 3}},
	}
	h := Decide(in).History

	var status v1alpha1.ScalingHistory
	for _, r := range h.Recommendations {
		status.Recommendations = append(status.Recommendations, v1alpha1.TimedSize{Time: metav1.NewTime(r.Time), Size: r.Size})
	}
	for _, e := range h.ScaleEvents {
		status.ScaleEvents = append(status.ScaleEvents, v1alpha1.ScaleEvent{Time: metav1.NewTime(e.Time), From: e.From, To: e.To})
	}
	raw, err := json.Marshal(status)
	if err != nil {
		t.Fatal(err)
	}
	var back v1alpha1.ScalingHistory
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	var got History
	for _, r := range back.Recommendations {
		got.Recommendations = append(got.Recommendations, TimedSize{Time: r.Time.Time, Size: r.Size})
	}
	for _, e := range back.ScaleEvents {
		got.ScaleEvents = append(got.ScaleEvents, ScaleEvent{Time: e.Time.Time, From: e.From, To: e.To})
	}
	// metav1.Time unmarshals in the local zone; compare instants.
	if diff := cmp.Diff(h, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("History after the round trip (-want +got):\n%s", diff)
	}
	if len(h.Recommendations) != 2 || len(h.ScaleEvents) != 2 {
		t.Errorf("History = %+v, want 2 recommendations and 2 events", h)
	}
}

// TestNewPolicyWaitsTheScaleDownWindow (issue 19, item 8): a policy created next to a 2-pod
// MiniCluster with an empty queue must not cut it to 1 at once. HPA seeds a new HPA's
// history with the current replica count (recordInitialRecommendation), so the shrink waits
// the default 300 s scale-down window; growth is not delayed (the scale-up window is 0).
func TestNewPolicyWaitsTheScaleDownWindow(t *testing.T) {
	current := int32(2)
	var h History
	shrunkAt := time.Duration(-1)
	for at := time.Duration(0); at <= 600*time.Second; at += 15 * time.Second {
		in := makeInput(current, 10).behavior(nil).obj() // HPA defaults, nothing on record
		in.Now = t0.Add(at)
		in.History = h
		d := Decide(in)
		h = d.History
		if d.Scale {
			current, shrunkAt = d.Desired, at
			break
		}
		if d.Desired != 2 || d.Limit != v1alpha1.ReasonScaleDownStabilized {
			t.Fatalf("at t0+%s: Desired, Limit = %d, %s; want 2, ScaleDownStabilized (%s)", at, d.Desired, d.Limit, d.Message)
		}
		if at == 0 {
			// The seed, then the queue's 0 (minSize raises Desired to 1 after the window).
			want := []TimedSize{{Time: t0, Size: 2}, {Time: t0, Size: 0}}
			if diff := cmp.Diff(want, d.History.Recommendations); diff != "" {
				t.Errorf("first decision's recommendations (-want +got):\n%s", diff)
			}
		}
	}
	if current != 1 || shrunkAt != 300*time.Second {
		t.Errorf("shrank to %d at t0+%s, want 1 at t0+300s", current, shrunkAt)
	}

	grow := makeInput(2, 10).pending(4).behavior(nil).obj()
	if d := Decide(grow); d.Desired != 4 || !d.Scale {
		t.Errorf("growth with nothing on record: Desired, Scale = %d, %v; want 4, true (%s)", d.Desired, d.Scale, d.Message)
	}
}
