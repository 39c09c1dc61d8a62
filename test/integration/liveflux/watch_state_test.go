package liveflux

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/test/liveflux"
)

// newStateRig is newWatchRig with the watcher program reading the state itself
// (flux.JournalReadsProgram, the agent's default): the Client must never be asked.
func newStateRig(t *testing.T, in *liveflux.Instance) *watchRig {
	r := newWatchRig(t, in)
	r.watcher.Close()
	opts := flux.CLIOptions{Command: []string{in.Flux()}}
	r.watcher = flux.NewJournalWatcher(r.client, r.stream, flux.JournalOptions{Command: opts.Command, Resync: 10 * time.Minute,
		Heartbeat: time.Second, Reads: flux.JournalReadsProgram})
	t.Cleanup(r.watcher.Close)
	return r
}

// TestWatchProgramFaults is the fault table of issue 14 for the in-program reads, on live
// Flux: a burst of 1,000 submits, a job gone before its events are read, a cut stream and
// a stopped broker. In every case no State read went through the Client (no flux python
// per change), and a broken stream is an error, never an old state.
func TestWatchProgramFaults(t *testing.T) {
	in := liveflux.Start(t, liveflux.Options{Size: 2})
	r := newStateRig(t, in)
	r.until("the first state", func(st flux.State) bool { return st.Nodes.Up == 2 })

	// 1,000 submits in a burst: coalesced into few states, the last with every job.
	start := r.since
	states := 0
	in.MustRun("submit", "--quiet", "--cc=1-1000", "--urgency=hold", "true")
	r.until("1,000 held jobs", func(st flux.State) bool { states++; return st.Counts.Held == 1000 })
	t.Logf("1,000 submits: %d changes, %d states sent", r.since-start, states)
	// Coalescing is what matters: the 3,000 events (submit, depend, priority per job) fold
	// into a few states. How many changes the versions have counted when the whole burst is
	// visible is not fixed: a read started mid-burst sees the job list, which can be ahead
	// of the journal (seen: 1,673 of them, in CI under load).
	if changes := r.since - start; states > 50 || uint64(states) > changes {
		t.Errorf("%d changes in %d states: want 1,000 submits folded into 50 states or fewer", changes, states)
	}
	in.MustRun("cancel", "--all", "--quiet")
	r.until("the held jobs gone", func(st flux.State) bool { return len(st.Jobs) == 0 })

	// A job whose events arrive after it is gone: the state read after them has no job.
	in.MustRun("run", "true")
	st := r.until("the finished job gone", func(st flux.State) bool { return len(st.Jobs) == 0 && st.Counts.Run == 0 })
	if st.Counts.Pending() != 0 {
		t.Errorf("state after a job that is already gone: %+v, want nothing pending or running", st.Counts)
	}

	// A cut stream: the Watch in flight fails; the next one reconnects with a newer state.
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	got := make(chan error, 1)
	go func() { _, err := r.watcher.Watch(ctx, r.since); got <- err }()
	r.stream.cutNow()
	if err := <-got; err == nil {
		t.Fatal("Watch across a cut stream returned a state, want an error")
	}
	before := r.since
	r.until("a reconnected stream", func(flux.State) bool { return true })
	if r.since <= before {
		t.Errorf("reconnected at version %d, want above %d", r.since, before)
	}

	// A stopped broker: the stream ends with an error, not a last good state.
	in.Stop()
	var last error
	in.WaitFor("the stream's end after the broker stopped", func() bool {
		_, last = r.watcher.Watch(t.Context(), r.since)
		return last != nil && strings.HasPrefix(last.Error(), "journal watcher")
	})
	t.Logf("broker stopped: %v", last)
	if n := r.client.reads.Load(); n != 0 {
		t.Errorf("%d State reads through the Client, want 0: the program reads", n)
	}
}
