package controller_test

import (
	"context"
	"fmt"
	"math"
	"net"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
	"github.com/fluxscale/fluxscale/autoscaler/source"
	"github.com/fluxscale/fluxscale/autoscaler/target"
	"github.com/fluxscale/fluxscale/test/ctrltest"
	"github.com/fluxscale/fluxscale/test/scaler"
)

// noSources is the SourceFactory of policies with flux.source None: no Flux, no watcher.
type noSources struct{}

func (noSources) NewSource(context.Context, *v1alpha1.ScalingPolicy, *target.Info) (source.Source, error) {
	return source.Source{}, nil
}

// startScaler serves s on a real loopback TCP listener until the test ends.
func startScaler(t *testing.T, s *scaler.Server) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Serve(lis))
	return lis.Addr().String()
}

// externalJobPolicy scales Job job between 1 and 8 by the External scaler at addr alone
// (flux.source None), polling every poll seconds, shrinking at once (no window, no drain:
// there is no Flux to drain), each scaler call bounded by 1 s.
func externalJobPolicy(name, job, addr string, poll int32) *v1alpha1.ScalingPolicy {
	sp := jobPolicy(name, job, 1, 8)
	sp.Spec.PollIntervalSeconds = poll
	sp.Spec.Flux.Source = v1alpha1.SourceNone
	sp.Spec.ScaleDown.Mode = v1alpha1.ScaleDownImmediate
	zero := int32(0)
	sp.Spec.Behavior.ScaleDown.StabilizationWindowSeconds = &zero
	sp.Spec.Policies = []v1alpha1.PolicySpec{{Type: v1alpha1.PolicyExternal,
		External: &v1alpha1.ExternalPolicy{Address: addr, TimeoutSeconds: 1}}}
	return sp
}

// waitParallelism waits for the Job's parallelism to be want and returns how long it took
// from since.
func waitParallelism(t *testing.T, e *env, job string, want int32, since time.Time) time.Duration {
	t.Helper()
	var took time.Duration
	ctrltest.Eventually(t, time.Minute, fmt.Sprintf("Job %s parallelism %d", job, want), func(ctx context.Context) (bool, string) {
		p, msg := jobParallelism(ctx, e, job)
		took = time.Since(since)
		return p == want, fmt.Sprintf("parallelism %d %s", p, msg)
	})
	return took
}

// scalingActive is the policy's ScalingActive condition as "Status/Reason: message".
func scalingActive(ctx context.Context, e *env, name string) (reason, text string) {
	st, err := policyStatus(ctx, e, name)
	if err != nil {
		return "", err.Error()
	}
	c := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionScalingActive)
	if c == nil {
		return "", "no ScalingActive yet"
	}
	return c.Reason, fmt.Sprintf("%s/%s: %s", c.Status, c.Reason, c.Message)
}

// scalerFailedEvents counts the policy's Warning ExternalScalerFailed events.
func scalerFailedEvents(ctx context.Context, e *env, name string) (int, string) {
	evs, err := policyEvents(ctx, e, name)
	if err != nil {
		return -1, err.Error()
	}
	n := 0
	for _, ev := range evs {
		if ev.Reason == v1alpha1.EventExternalScalerFailed && ev.Type == "Warning" {
			n++
			if ev.Series != nil {
				n += int(ev.Series.Count) - 1
			}
		}
	}
	return n, describe(evs)
}

// A real KEDA external scaler (test/scaler over gRPC on a TCP port) drives an Indexed Job
// 1 -> 5 -> 1 by StreamIsActive pushes: the poll is an hour, so only a push explains a
// scale. Then each fault (scaler down, slower than timeoutSeconds, a negative, NaN or huge
// value) holds the Job at 5 with ScalingActive ExternalScalerFailed and one Warning event,
// and the scaler's recovery clears it.
func TestExternalScalerPushScalesJob(t *testing.T) {
	e := startEnv(t)
	s := scaler.New("backlog", 2, 0)
	addr := startScaler(t, s)
	createIndexedJob(t, e, "ext", 1)
	rc := startController(t, e, noSources{})
	if err := e.Client.Create(t.Context(), externalJobPolicy("ext-policy", "ext", addr, 3600)); err != nil {
		t.Fatal(err)
	}
	const healthy = v1alpha1.ReasonSourceNone
	ctrltest.Eventually(t, time.Minute, "the first decision and the controller's stream", func(ctx context.Context) (bool, string) {
		reason, text := scalingActive(ctx, e, "ext-policy")
		return reason == healthy && s.Streams() == 1, fmt.Sprintf("%s; %d streams", text, s.Streams())
	})

	start := time.Now()
	s.Set(10) // ceil(10 / 2) = 5
	up := waitParallelism(t, e, "ext", 5, start)
	t.Logf("MEASURED push -> Job parallelism 5: %dms", up.Milliseconds())

	faults := []struct {
		row    string
		inject func()
		want   string // in the condition's message
		heal   func()
	}{
		{row: "scaler down", inject: func() { s.SetDown(true) }, want: "scaler is down", heal: func() { s.SetDown(false) }},
		{row: "slow (3 s, timeoutSeconds 1)", inject: func() { s.SetDelay(3 * time.Second) }, want: "no answer within 1s",
			heal: func() { s.SetDelay(0) }},
		{row: "negative value", inject: func() { s.Set(-4) }, want: `metric "backlog" has negative value -4`},
		{row: "NaN value", inject: func() { s.Set(math.NaN()) }, want: `metric "backlog" has value NaN`},
		{row: "huge value", inject: func() { s.Set(1e12) }, want: "above the limit of 1e+09"},
	}
	for _, f := range faults {
		before, _ := scalerFailedEvents(t.Context(), e, "ext-policy")
		f.inject()
		s.Set(s.Value()) // a push, so the controller reads the fault now
		var cond string
		ctrltest.Eventually(t, time.Minute, f.row+": ScalingActive ExternalScalerFailed", func(ctx context.Context) (bool, string) {
			reason, text := scalingActive(ctx, e, "ext-policy")
			cond = text
			return reason == v1alpha1.ReasonExternalScalerFailed && strings.Contains(text, f.want), text
		})
		if !strings.Contains(cond, "no size from scaler "+addr+" (policies[0])") || !strings.Contains(cond, "nothing shrinks until it answers") {
			t.Errorf("%s: condition %q does not say which scaler failed and that nothing shrinks", f.row, cond)
		}
		ctrltest.Eventually(t, 30*time.Second, f.row+": a Warning ExternalScalerFailed event", func(ctx context.Context) (bool, string) {
			n, evs := scalerFailedEvents(ctx, e, "ext-policy")
			return n > before, evs
		})
		held, msg := jobParallelism(t.Context(), e, "ext")
		if held != 5 {
			t.Errorf("%s: parallelism %d (%s), want 5 held", f.row, held, msg)
		}
		st, err := policyStatus(t.Context(), e, "ext-policy")
		if err != nil {
			t.Fatal(err)
		}
		if st.DesiredSize != 5 {
			t.Errorf("%s: desiredSize %d, want 5 held", f.row, st.DesiredSize)
		}

		// Heal: back to a good value; the condition leaves the failure.
		if f.heal != nil {
			f.heal()
		}
		s.Set(10)
		ctrltest.Eventually(t, time.Minute, f.row+": recovery", func(ctx context.Context) (bool, string) {
			reason, text := scalingActive(ctx, e, "ext-policy")
			return reason == healthy, text
		})
		after, evs := scalerFailedEvents(t.Context(), e, "ext-policy")
		if after-before != 1 {
			t.Errorf("%s: %d ExternalScalerFailed events, want 1:\n%s", f.row, after-before, evs)
		}
		t.Logf("FAULT %s: held at %d, condition %s, events ExternalScalerFailed x%d", f.row, held, cond, after-before)
	}
	if p, msg := jobParallelism(t.Context(), e, "ext"); p != 5 {
		t.Fatalf("after the faults: parallelism %d (%s), want 5", p, msg)
	}

	start = time.Now()
	s.Set(2) // ceil(2 / 2) = 1
	down := waitParallelism(t, e, "ext", 1, start)
	t.Logf("MEASURED push -> Job parallelism 1: %dms", down.Milliseconds())
	// The controller's own measure, from the push's arrival to the write (flux.source None:
	// every trigger here is an external push).
	if count, sum := rc.Metric(t, "fluxscale_trigger_to_scale_seconds", "ext-policy"); count > 0 {
		t.Logf("MEASURED trigger_to_scale_seconds (external push): %d observations, mean %.1f ms", count, 1000*sum/float64(count))
	} else {
		t.Errorf("no trigger_to_scale_seconds observation: the scales were not answers to a push")
	}
}

// Without StreamIsActive (the scaler answers Unimplemented) the policy's poll of 2 s is the
// only trigger: the Job still follows the scaler 1 -> 5 -> 1, later.
func TestExternalScalerPollScalesJob(t *testing.T) {
	e := startEnv(t)
	s := scaler.New("backlog", 2, 0)
	s.DisableStream()
	addr := startScaler(t, s)
	createIndexedJob(t, e, "extpoll", 1)
	startController(t, e, noSources{})
	if err := e.Client.Create(t.Context(), externalJobPolicy("extpoll-policy", "extpoll", addr, 2)); err != nil {
		t.Fatal(err)
	}
	ctrltest.Eventually(t, time.Minute, "the first decision", func(ctx context.Context) (bool, string) {
		reason, text := scalingActive(ctx, e, "extpoll-policy")
		return reason == v1alpha1.ReasonSourceNone, text
	})

	start := time.Now()
	s.Set(10)
	up := waitParallelism(t, e, "extpoll", 5, start)
	t.Logf("MEASURED poll -> Job parallelism 5: %dms (pollIntervalSeconds 2)", up.Milliseconds())
	start = time.Now()
	s.Set(2)
	down := waitParallelism(t, e, "extpoll", 1, start)
	t.Logf("MEASURED poll -> Job parallelism 1: %dms (pollIntervalSeconds 2)", down.Milliseconds())
}
