package autoscaler

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/fluxscale/fluxscale/api/v1alpha1"
)

// After a drain times out, the next drain waits (doubling with each timeout in a row)
// instead of starting again on the next pass, and the condition says what to do.
func TestDrainTimeoutBacksOffBeforeDrainingAgain(t *testing.T) {
	sp := makeScalingPolicy("p", ns).Target(jobRef("work")).Obj()
	sp.Spec.ScaleDown.DrainTimeoutSeconds = 60
	h, sim := drainingHarness(t, sp)
	drains := sim.Stats().Drains

	h.step(61 * time.Second) // the busy rank 5 outlives the timeout: all given back
	if got := drainedRanks(t, sim); len(got) != 0 {
		t.Fatalf("ranks %v still drained after the timeout", got)
	}
	timedOut := h.clock.Now()

	h.step(time.Second)
	if got := sim.Stats().Drains; got != drains {
		t.Errorf("drained again %d time(s) a second after the timeout, want a backoff", got-drains)
	}
	st := h.status()
	c := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionDraining)
	if c == nil || c.Reason != v1alpha1.ReasonDrainTimedOut || !strings.Contains(c.Message, "raise scaleDown.drainTimeoutSeconds") {
		t.Errorf("Draining condition %+v, want DrainTimedOut saying what to do", c)
	}
	if want := wholeSeconds(timedOut.Add(time.Minute)); st.DrainTimeouts != 1 || st.DrainRetryTime == nil || !st.DrainRetryTime.Equal(&want) {
		t.Errorf("drainTimeouts %d, drainRetryTime %v; want 1 and %v", st.DrainTimeouts, st.DrainRetryTime, want)
	}

	h.step(time.Minute) // the wait is over: drain again
	if got := sim.Stats().Drains; got != drains+1 {
		t.Errorf("%d drain(s) after the backoff, want 1", got-drains)
	}
	h.step(61 * time.Second) // and time out again: the next wait doubles
	if st := h.status(); st.DrainTimeouts != 2 || st.DrainRetryTime == nil ||
		st.DrainRetryTime.Sub(h.clock.Now().Truncate(time.Second)) != 2*time.Minute {
		t.Errorf("after a second timeout: drainTimeouts %d, drainRetryTime %v; want 2 and two minutes on", st.DrainTimeouts, st.DrainRetryTime)
	}
	if st := sim.Stats(); st.Killed != 0 {
		t.Errorf("%d simulated jobs killed", st.Killed)
	}
}
