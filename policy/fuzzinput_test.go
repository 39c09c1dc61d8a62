package policy

import (
	"slices"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// fuzzReader turns fuzz bytes into choices; past the end every choice is 0.
type fuzzReader struct{ b []byte }

func (r *fuzzReader) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

// n is in [0, n).
func (r *fuzzReader) n(n int) int {
	v := int(r.byte())<<8 | int(r.byte())
	return v % n
}

// in is in [lo, hi].
func (r *fuzzReader) in(lo, hi int) int32 { return int32(lo + r.n(hi-lo+1)) }

func (r *fuzzReader) yes() bool { return r.byte()&1 == 1 }

func pick[T any](r *fuzzReader, choices ...T) T { return choices[r.n(len(choices))] }

// crons mixes valid, invalid and awkward expressions.
var fuzzCrons = []string{"* * * * *", "0 8 * * 1-5", "*/5 * * * *", "0 0 30 2 *", "0-30 8 * * *",
	"61 * * * *", "@daily", "TZ=UTC 0 8 * * *", "", "0 8 * * * *", "bogus"}

func fuzzInput(r *fuzzReader) Input {
	now := t0.Add(time.Duration(r.n(1<<16)) * time.Second).Add(time.Duration(r.n(1000)) * time.Millisecond)
	in := Input{
		Now:       now,
		Current:   r.in(-1, 48),
		TargetMax: pick(r, int32(0), r.in(0, 40)),
		Spec: v1alpha1.ScalingPolicySpec{
			MinSize: r.in(-1, 8),
			MaxSize: r.in(0, 40),
			Combine: pick(r, v1alpha1.CombineMode(""), v1alpha1.CombineMax, v1alpha1.CombineMin),
			Flux: v1alpha1.FluxSource{Source: pick(r, v1alpha1.FluxSourceType(""), v1alpha1.SourceExec,
				v1alpha1.SourceAgent, v1alpha1.SourceCustomMetrics, v1alpha1.SourceNone)},
			ScaleDown: v1alpha1.ScaleDownSpec{
				Mode: pick(r, v1alpha1.ScaleDownMode(""), v1alpha1.ScaleDownDrain,
					v1alpha1.ScaleDownImmediate, v1alpha1.ScaleDownNever),
				DrainTimeoutSeconds: r.in(0, 120),
			},
			Fallback: v1alpha1.FallbackSpec{AfterSeconds: r.in(-1, 300),
				Action: pick(r, v1alpha1.FallbackAction(""), v1alpha1.FallbackHold, v1alpha1.FallbackSize)},
			Hints: v1alpha1.HintsSpec{Enabled: ptr(r.yes()),
				Mode: pick(r, v1alpha1.HintMode(""), v1alpha1.HintFloor, v1alpha1.HintExact)},
			DryRun: r.yes(),
		},
		FluxFresh: r.yes(),
	}
	if in.Spec.Fallback.Action == v1alpha1.FallbackSize {
		in.Spec.Fallback.Size = ptr(r.in(0, 40))
	}
	for range r.n(4) {
		in.Spec.Policies = append(in.Spec.Policies, fuzzPolicy(r))
	}
	if r.yes() {
		in.Spec.Behavior = &v1alpha1.ScalingBehavior{ScaleUp: fuzzRules(r), ScaleDown: fuzzRules(r)}
	}
	if r.yes() {
		in.Flux = fuzzFlux(r)
	}
	if r.yes() {
		in.FluxLastGood = now.Add(-time.Duration(r.n(600)) * time.Second)
	}
	if r.yes() {
		in.Pods = &PodUsage{CPUPercent: r.in(-1, 200), Pods: r.in(0, 10)}
	}
	for range r.n(5) {
		in.Hints = append(in.Hints, Hint{ID: strconv.Itoa(len(in.Hints)), Subject: pick(r, "a", "b"),
			Size: r.in(-1, 50), Mode: pick(r, v1alpha1.HintMode(""), v1alpha1.HintFloor, v1alpha1.HintExact),
			Expires: now.Add(time.Duration(r.n(200)-100) * time.Second)})
	}
	for range r.n(12) {
		in.History.Recommendations = append(in.History.Recommendations, TimedSize{
			Time: now.Add(-time.Duration(r.n(700_000)) * time.Millisecond), Size: r.in(0, 50)})
	}
	for range r.n(7) {
		in.History.ScaleEvents = append(in.History.ScaleEvents, ScaleEvent{
			Time: now.Add(-time.Duration(r.n(700)) * time.Second), From: r.in(0, 50), To: r.in(0, 50)})
	}
	for range r.n(5) {
		in.Draining = append(in.Draining, r.in(-1, 50))
	}
	for _, rank := range in.Draining {
		if r.yes() {
			in.Removed = append(in.Removed, rank)
		}
	}
	if len(in.Draining) > 0 && r.yes() {
		in.DrainStarted = now.Add(-time.Duration(r.n(300)) * time.Second)
	}
	return in
}

func fuzzPolicy(r *fuzzReader) v1alpha1.PolicySpec {
	switch r.n(4) {
	case 0:
		return v1alpha1.PolicySpec{Type: v1alpha1.PolicyQueueDepth,
			QueueDepth: pick(r, nil, &v1alpha1.QueueDepthPolicy{PendingJobsPerNode: r.in(0, 3)})}
	case 1:
		u := &v1alpha1.UtilizationPolicy{}
		if r.yes() {
			u.TargetFreeNodes = ptr(r.in(0, 5))
		}
		if r.yes() {
			u.TargetCPUPercent = ptr(r.in(0, 100))
		}
		return v1alpha1.PolicySpec{Type: v1alpha1.PolicyUtilization, Utilization: u}
	case 2:
		p := v1alpha1.PolicySpec{Type: v1alpha1.PolicySchedule}
		for range 1 + r.n(2) {
			p.Schedule = append(p.Schedule, v1alpha1.ScheduleWindow{
				Cron: fuzzCron(r), TimeZone: pick(r, "", "Europe/Paris", "Nowhere/Else"),
				DurationMinutes: r.in(0, 10080), MinSize: r.in(0, 40)})
		}
		return p
	}
	return v1alpha1.PolicySpec{Type: "Unknown"}
}

// fuzzCron is one of fuzzCrons, or raw fuzz bytes so that the cron parser meets anything.
func fuzzCron(r *fuzzReader) string {
	if r.n(4) > 0 {
		return pick(r, fuzzCrons...)
	}
	b := make([]byte, r.n(24))
	for i := range b {
		b[i] = r.byte()
	}
	return string(b)
}

func fuzzRules(r *fuzzReader) *v1alpha1.ScalingRules {
	if r.yes() {
		return nil
	}
	rules := &v1alpha1.ScalingRules{}
	if r.yes() {
		rules.StabilizationWindowSeconds = ptr(r.in(-1, 600))
	}
	if r.yes() {
		rules.SelectPolicy = ptr(pick(r, v1alpha1.SelectMax, v1alpha1.SelectMin, v1alpha1.SelectDisabled))
	}
	for range r.n(3) {
		rules.Policies = append(rules.Policies, v1alpha1.ScalingRatePolicy{
			Type:  pick(r, v1alpha1.RatePods, v1alpha1.RatePercent, "Other"),
			Value: r.in(0, 300), PeriodSeconds: r.in(0, 120)})
	}
	if r.yes() {
		rules.Tolerance = ptr(resource.MustParse(pick(r, "0", "100m", "500m", "2")))
	}
	return rules
}

func fuzzFlux(r *fuzzReader) *FluxState {
	f := &FluxState{CoresPerNode: r.in(0, 4),
		Counts: QueueCounts{Depend: r.in(0, 3), Priority: r.in(0, 3), Sched: r.in(0, 20), Run: r.in(0, 10)},
		Nodes:  NodeCounts{Up: r.in(0, 48), Allocated: r.in(0, 48), Free: r.in(0, 48)}}
	if r.yes() {
		f.Ranks = []Rank{}
		for i := range r.in(0, 48) {
			b := r.byte()
			f.Ranks = append(f.Ranks, Rank{Rank: i, Up: b&1 == 1, Allocated: b&2 == 2, Drained: b&4 == 4})
		}
	}
	for range r.n(20) {
		f.Pending = append(f.Pending, PendingJob{ID: "j" + strconv.Itoa(len(f.Pending)),
			NNodes: r.in(0, 50), NCores: r.in(0, 100)})
	}
	return f
}

// cloneInput copies in so that no memory is shared.
func cloneInput(in Input) Input {
	out := in
	out.Spec = *in.Spec.DeepCopy()
	if in.Flux != nil {
		f := *in.Flux
		f.Pending = slices.Clone(in.Flux.Pending)
		f.Ranks = slices.Clone(in.Flux.Ranks)
		out.Flux = &f
	}
	if in.Pods != nil {
		p := *in.Pods
		out.Pods = &p
	}
	out.Hints = slices.Clone(in.Hints)
	out.History.Recommendations = slices.Clone(in.History.Recommendations)
	out.History.ScaleEvents = slices.Clone(in.History.ScaleEvents)
	out.Draining = slices.Clone(in.Draining)
	out.Removed = slices.Clone(in.Removed)
	return out
}
