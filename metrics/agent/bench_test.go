package agent

import (
	"strconv"
	"testing"
)

// BenchmarkLongPollWake measures, over loopback HTTP, the time from the agent publishing a
// changed state to a parked long-poll client holding the response: ns/op is that latency.
// Parking the request is setup and is not timed.
func BenchmarkLongPollWake(b *testing.B) {
	a := newTestAgent(b)
	st := sampleState(a.clock.Now())
	a.source.set(st, nil)
	a.read(b)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		version := a.version(uint64(i + 1))
		done := a.longPoll(b, "?since="+strconv.FormatUint(version, 10)+"&wait=30s")
		a.waitForWaiters(b, 1)
		st.Counts.Sched = int32(i%2 + 10) // differs from the previous read's
		a.source.set(st, nil)
		b.StartTimer()
		a.read(b)
		r := <-done
		b.StopTimer()
		if got := r.state(b); got.Version != version+1 {
			b.Fatalf("woke with version %d, want %d", got.Version, version+1)
		}
		b.StartTimer()
	}
}
