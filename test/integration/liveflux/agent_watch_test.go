package liveflux

import (
	"context"
	"net/http/httptest"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/fluxscale/fluxscale/metrics/agent"
	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/test/liveflux"
)

// Ways the agent learns of changes, as `fluxscale agent --watch` wires them.
const (
	modePoll    = "poll"
	modeJournal = "journal"
	// modeJournalState: the watcher program reads and sends the state (the agent's default).
	modeJournalState = "journal-state"
)

// liveAgent is an agent server over a live instance, served over HTTP, with a client.
type liveAgent struct {
	client *agent.Client
	// stop ends the server and the watcher program, so their CPU is in RUSAGE_CHILDREN.
	stop func()
}

func startAgent(tb testing.TB, in *liveflux.Instance, mode string) *liveAgent {
	tb.Helper()
	opts := flux.CLIOptions{Command: []string{in.Flux()}}
	var source flux.Client = flux.NewPython(flux.LocalRunner{Env: in.Env()}, opts)
	closeSource := func() {}
	if mode == modeJournal || mode == modeJournalState {
		jo := flux.JournalOptions{Command: opts.Command}
		if mode == modeJournalState {
			jo.Reads = flux.JournalReadsProgram
		}
		w := flux.NewJournalWatcher(source, flux.LocalStreamRunner{Env: in.Env()}, jo)
		source, closeSource = w, w.Close
	}
	srv, err := agent.NewServer(agent.Options{Source: source, Interval: time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { srv.Run(ctx); close(ran) }()
	hs := httptest.NewServer(srv.Handler())
	client, err := agent.NewClient(hs.URL, agent.ClientOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	a := &liveAgent{client: client}
	stopped := false
	a.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		hs.Close()
		<-ran
		closeSource()
	}
	tb.Cleanup(a.stop)
	return a
}

// watchUntil long-polls the agent until cond holds, for at most 60 s.
func (a *liveAgent) watchUntil(tb testing.TB, since uint64, what string, cond func(flux.State) bool) flux.State {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		st, err := a.client.Watch(ctx, since)
		if err != nil {
			tb.Fatalf("waiting for %s: %v", what, err)
		}
		if cond(st) {
			return st
		}
		since = st.Version
	}
}

// submitDelays submits n jobs, one per pace, each held so the state stays put after it, and
// returns how long after each `flux submit` returned the agent's long-poll did. The pace
// is the load: isolated submits, as a person or a workflow makes them.
func submitDelays(tb testing.TB, in *liveflux.Instance, a *liveAgent, n int, pace time.Duration) []time.Duration {
	tb.Helper()
	st := a.watchUntil(tb, 0, "a first state", func(flux.State) bool { return true })
	var delays []time.Duration
	ticker := time.NewTicker(pace)
	defer ticker.Stop()
	for range n {
		<-ticker.C
		held := st.Counts.Held
		got := make(chan time.Time, 1)
		since := st.Version
		go func() {
			st = a.watchUntil(tb, since, "the submitted job", func(s flux.State) bool { return s.Counts.Held == held+1 })
			got <- time.Now()
		}()
		in.MustRun("submit", "--urgency=hold", "true")
		submitted := time.Now()
		at := <-got
		delays = append(delays, max(at.Sub(submitted), 0))
	}
	return delays
}

// TestAgentJournalLongPoll: an agent following the journals answers a long-poll when a job
// is submitted and when a rank is drained.
func TestAgentJournalLongPoll(t *testing.T) {
	in := liveflux.Start(t, liveflux.Options{Size: 2})
	a := startAgent(t, in, modeJournalState)
	delays := submitDelays(t, in, a, 3, 1500*time.Millisecond)
	t.Logf("long-poll delay after flux submit: %v", delays)
	st := a.watchUntil(t, 0, "a state", func(flux.State) bool { return true })
	in.MustRun("resource", "drain", "1", "test")
	a.watchUntil(t, st.Version, "rank 1 drained", func(s flux.State) bool { return rank(s, 1).Drain == flux.DrainDrained })
}

// BenchmarkAgentCPU measures the agent's CPU (its own process and every flux python it
// runs) on an idle and a busy live instance, polling every second (the old agent) and
// following the journals (the new), in the same run; and the long-poll delay after `flux
// submit`. Metrics: cores (CPU-seconds per second; x3600 for CPU-seconds per hour).
//
//	FLUXSCALE_BIN=$PWD/bin go test -run '^$' -bench BenchmarkAgentCPU -benchtime 1x -timeout 30m ./test/integration/liveflux/
func BenchmarkAgentCPU(b *testing.B) {
	window := 30 * time.Second
	for b.Loop() {
		cores := map[string]float64{}
		for _, mode := range []string{modePoll, modeJournal, modeJournalState} {
			for _, load := range []string{"idle", "busy"} {
				in := liveflux.Start(b, liveflux.Options{Size: 2})
				if load == "busy" {
					// Jobs of one second on 2 ranks, 2 at a time: a state change about every
					// half second for the whole window. Submitted before the measurement:
					// flux submit's own CPU is not the agent's.
					in.MustRun("submit", "--quiet", "--cc=1-80", "-N1", "sleep", "0.75")
				}
				a := startAgent(b, in, mode)
				a.watchUntil(b, 0, "a first state", func(flux.State) bool { return true })
				before := agentCPU(b)
				deadline := time.Now().Add(window)
				// Keep a long-poll parked, as a controller would.
				var since uint64
				for time.Now().Before(deadline) {
					ctx, cancel := context.WithDeadline(context.Background(), deadline)
					st, err := a.client.Watch(ctx, since)
					cancel()
					if err == nil {
						since = st.Version
					}
				}
				a.stop()
				used := agentCPU(b) - before
				cores[mode+"-"+load] = used.Seconds() / window.Seconds()
				b.ReportMetric(cores[mode+"-"+load], mode+"-"+load+"-cores")
				in.Stop()
			}
			in := liveflux.Start(b, liveflux.Options{Size: 2})
			a := startAgent(b, in, mode)
			delays := submitDelays(b, in, a, 15, 1500*time.Millisecond)
			// Stopped before the next mode's windows: a leftover agent would read into them.
			a.stop()
			slices.Sort(delays)
			b.ReportMetric(delays[len(delays)/2].Seconds(), mode+"-submit-p50-s")
			b.ReportMetric(delays[len(delays)-1].Seconds(), mode+"-submit-max-s")
			in.Stop()
		}
		for _, load := range []string{"idle", "busy"} {
			b.ReportMetric(cores[modePoll+"-"+load]/max(cores[modeJournal+"-"+load], 1e-9), "poll/journal-"+load)
			b.ReportMetric(cores[modeJournal+"-"+load]/max(cores[modeJournalState+"-"+load], 1e-9), "journal/journal-state-"+load)
		}
	}
}

// agentCPU is this process's CPU plus that of its finished children (the flux python
// programs; the brokers are children of flux start and only finish at Stop).
func agentCPU(b *testing.B) time.Duration {
	var self, children syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &self); err != nil {
		b.Fatal(err)
	}
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children); err != nil {
		b.Fatal(err)
	}
	sum := func(r syscall.Rusage) int64 { return r.Utime.Nano() + r.Stime.Nano() }
	return time.Duration(sum(self) + sum(children))
}
