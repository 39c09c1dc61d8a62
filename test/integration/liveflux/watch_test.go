package liveflux

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/test/liveflux"
)

// countingClient counts the State reads a real client makes.
type countingClient struct {
	flux.Client
	reads atomic.Int64
}

func (c *countingClient) State(ctx context.Context) (flux.State, error) {
	c.reads.Add(1)
	return c.Client.State(ctx)
}

// cuttableStream is the real local stream runner with a handle to cut the running stream,
// as a pods/exec cut or a killed process would.
type cuttableStream struct {
	flux.LocalStreamRunner
	mu  sync.Mutex
	cut context.CancelFunc
}

func (s *cuttableStream) Stream(ctx context.Context, argv []string, stdout io.Writer) (flux.Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.mu.Lock()
	s.cut = cancel
	s.mu.Unlock()
	return s.LocalStreamRunner.Stream(ctx, argv, stdout)
}

func (s *cuttableStream) cutNow() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cut()
}

type watchRig struct {
	t       *testing.T
	in      *liveflux.Instance
	client  *countingClient
	stream  *cuttableStream
	watcher *flux.JournalWatcher
	since   uint64
}

// newWatchRig follows in's journals with the Python reader. Resync is long: in these tests a
// Watch returns only because a line came.
func newWatchRig(t *testing.T, in *liveflux.Instance) *watchRig {
	opts := flux.CLIOptions{Command: []string{in.Flux()}}
	r := &watchRig{t: t, in: in,
		client: &countingClient{Client: flux.NewPython(flux.LocalRunner{Env: in.Env()}, opts)},
		stream: &cuttableStream{LocalStreamRunner: flux.LocalStreamRunner{Env: in.Env()}},
	}
	r.watcher = flux.NewJournalWatcher(r.client, r.stream, flux.JournalOptions{Command: opts.Command, Resync: 10 * time.Minute,
		// A short heartbeat, so a lost broker is noticed within a second.
		Heartbeat: time.Second})
	t.Cleanup(r.watcher.Close)
	return r
}

// until watches until cond holds for a state read after a line, for at most 60 s; it fails
// the test if it never does (the action made no line, or the read missed it).
func (r *watchRig) until(what string, cond func(flux.State) bool) flux.State {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(r.t.Context(), 60*time.Second)
	defer cancel()
	for {
		st, err := r.watcher.Watch(ctx, r.since)
		if err != nil {
			r.t.Fatalf("waiting for %s: %v", what, err)
		}
		if st.Version <= r.since {
			r.t.Fatalf("waiting for %s: Watch(%d) returned version %d", what, r.since, st.Version)
		}
		r.since = st.Version
		if cond(st) {
			return st
		}
	}
}

func rank(st flux.State, n int32) flux.Rank {
	for _, r := range st.Ranks {
		if r.Rank == n {
			return r
		}
	}
	return flux.Rank{Rank: -1}
}

// TestWatchLines checks that each change fluxscale sizes on reaches the watcher as a line
// that triggers a read: a submit, a hold and its release, a drain and a killed broker.
func TestWatchLines(t *testing.T) {
	in := liveflux.Start(t, liveflux.Options{Size: 3})
	r := newWatchRig(t, in)
	r.until("the first state", func(st flux.State) bool { return st.Nodes.Up == 3 })

	in.MustRun("submit", "--urgency=hold", "-N1", "true")
	r.until("a held job", func(st flux.State) bool { return st.Counts.Held == 1 })

	in.MustRun("job", "urgency", strings.TrimSpace(in.MustRun("job", "last")), "default")
	r.until("the released job to finish", func(st flux.State) bool { return len(st.Jobs) == 0 })

	in.MustRun("resource", "drain", "1", "fluxscale test")
	r.until("rank 1 drained", func(st flux.State) bool { return rank(st, 1).Drain == flux.DrainDrained })

	in.KillBroker(2)
	r.until("rank 2 offline", func(st flux.State) bool { return !rank(st, 2).Online })
}

// TestWatchBurst submits 1,000 jobs at once: the lines fold into few reads.
func TestWatchBurst(t *testing.T) {
	in := liveflux.Start(t, liveflux.Options{Size: 2})
	r := newWatchRig(t, in)
	r.until("the first state", func(st flux.State) bool { return st.Nodes.Up == 2 })
	start, before := r.since, r.client.reads.Load()

	in.MustRun("submit", "--quiet", "--cc=1-1000", "--urgency=hold", "true")
	r.until("1,000 held jobs", func(st flux.State) bool { return st.Counts.Held == 1000 })
	reads, changes := r.client.reads.Load()-before, r.since-start
	t.Logf("1,000 submits: %d changes, %d state reads", changes, reads)
	// Each held submit is at least three changes (submit, depend, priority).
	if changes < 3000 {
		t.Errorf("%d changes for 1,000 held submits, want at least 3,000", changes)
	}
	if reads*20 > int64(changes) {
		t.Errorf("%d reads for %d changes: want at least 20 changes folded into each read", reads, changes)
	}
}

// TestWatchStreamCut cuts the stream, then stops the broker: each ends the Watch in flight
// with an error, and after the cut the next Watch reconnects.
func TestWatchStreamCut(t *testing.T) {
	in := liveflux.Start(t, liveflux.Options{Size: 2})
	r := newWatchRig(t, in)
	r.until("the first state", func(st flux.State) bool { return st.Nodes.Up == 2 })

	watchErr := func(act func()) error {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		defer cancel()
		got := make(chan error, 1)
		go func() { _, err := r.watcher.Watch(ctx, r.since); got <- err }()
		act()
		return <-got
	}
	err := watchErr(r.stream.cutNow)
	if err == nil || errors.Is(err, flux.ErrJournalUnavailable) || ctxDone(t) {
		t.Fatalf("Watch across a cut stream = %v, want a stream error", err)
	}
	t.Logf("cut: %v", err)
	r.until("a reconnected stream", func(flux.State) bool { return true })

	// Stopping the broker makes lines (ranks leave) whose reads fail at once; the stream
	// ends at the next heartbeat's ping.
	in.Stop()
	var last error
	in.WaitFor("the stream's end after the broker stopped", func() bool {
		_, last = r.watcher.Watch(t.Context(), r.since)
		return last != nil && strings.HasPrefix(last.Error(), "journal watcher")
	})
	t.Logf("broker stopped: %v", last)
}

func ctxDone(t *testing.T) bool { return t.Context().Err() != nil }
