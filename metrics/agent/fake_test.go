package agent

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

// fakeSource is a flux.Client whose state the test sets; it records drains.
type fakeSource struct {
	mu           sync.Mutex
	state        flux.State
	err          error
	stateCalls   int
	drains       []drainCall
	undrains     []flux.RankSet
	nextDrainErr error
}

type drainCall struct {
	Ranks  flux.RankSet
	Reason string
}

var _ flux.Client = (*fakeSource)(nil)

func (f *fakeSource) State(context.Context) (flux.State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stateCalls++
	return f.state, f.err
}

func (f *fakeSource) Drain(_ context.Context, ranks flux.RankSet, reason string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.drains = append(f.drains, drainCall{Ranks: ranks, Reason: reason})
	err := f.nextDrainErr
	f.nextDrainErr = nil
	return err
}

func (f *fakeSource) Undrain(_ context.Context, ranks flux.RankSet) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.undrains = append(f.undrains, ranks)
	err := f.nextDrainErr
	f.nextDrainErr = nil
	return err
}

func (f *fakeSource) set(st flux.State, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.state, f.err = st, err
}

func (f *fakeSource) calls() (states int, drains []drainCall, undrains []flux.RankSet) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stateCalls, append([]drainCall(nil), f.drains...), append([]flux.RankSet(nil), f.undrains...)
}

// sampleState is a MiniCluster of size 4 with maxSize 6 and ranks 2-3 drained while rank 2
// runs a job (what the elastic-config fixtures show at step 3).
func sampleState(observedAt time.Time) flux.State {
	return flux.State{
		ObservedAt: observedAt, Size: 6, CoresPerNode: 2,
		Counts: flux.Counts{Sched: 3, Run: 2},
		Jobs: []flux.Job{
			{ID: "ƒ3mF5Nej", State: flux.JobSched, NNodes: 3, NTasks: 3},
			{ID: "ƒ3qFqRts", State: flux.JobSched, NNodes: 6, NTasks: 6},
			{ID: "ƒ3u7hZSw", State: flux.JobSched, NTasks: 3},
			{ID: "ƒ3FEZuou", State: flux.JobRun, NNodes: 1, NTasks: 1, NCores: 2, Ranks: flux.RankSet{2}},
			{ID: "ƒ3AQNFYj", State: flux.JobRun, NNodes: 2, NTasks: 2, NCores: 4, Ranks: flux.RankSet{0, 1}},
		},
		Ranks: []flux.Rank{
			{Rank: 0, Online: true, Allocated: true}, {Rank: 1, Online: true, Allocated: true},
			{Rank: 2, Online: true, Allocated: true, Drain: flux.DrainDraining, Reason: "fluxscale: scale-down"},
			{Rank: 3, Online: true, Drain: flux.DrainDrained, Reason: "fluxscale: scale-down"},
			{Rank: 4}, {Rank: 5},
		},
		PerRank: true,
		Nodes:   flux.NodeCounts{Up: 2, Free: 0, Allocated: 3, Down: 4},
	}
}

// testAgent is a Server over a fake source, served on loopback.
type testAgent struct {
	server *Server
	source *fakeSource
	clock  *clocktesting.FakeClock
	http   *httptest.Server
	token  string
	// tokenFile holds token; rewrite it to rotate.
	tokenFile string
}

func newTestAgent(t testing.TB) *testAgent {
	t.Helper()
	a := &testAgent{
		source:    &fakeSource{},
		clock:     clocktesting.NewFakeClock(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)),
		token:     "s3cret-token",
		tokenFile: filepath.Join(t.TempDir(), "token"),
	}
	if err := os.WriteFile(a.tokenFile, []byte(a.token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(Options{Source: a.source, TokenFile: a.tokenFile, Clock: a.clock})
	if err != nil {
		t.Fatal(err)
	}
	a.server = srv
	a.http = httptest.NewServer(srv.Handler())
	t.Cleanup(a.http.Close)
	return a
}

// read makes the server read its source once, as its poll loop would.
func (a *testAgent) read(t testing.TB) {
	t.Helper()
	a.server.read(context.Background())
}

// waitForWaiters polls until n timers or tickers wait on the fake clock, i.e. until n
// long-polls are parked.
func (a *testAgent) waitForWaiters(t testing.TB, n int) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), time.Millisecond, 10*time.Second, true,
		func(context.Context) (bool, error) { return a.clock.Waiters() == n, nil })
	if err != nil {
		t.Fatalf("%d clock waiters after 10s, want %d", a.clock.Waiters(), n)
	}
}

// waitForVersion polls until the server serves state version v.
func (a *testAgent) waitForVersion(t testing.TB, v uint64) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), time.Millisecond, 10*time.Second, true,
		func(context.Context) (bool, error) {
			snap, _ := a.server.store.get()
			return snap.State.Version == v, nil
		})
	if err != nil {
		t.Fatalf("state version %d not served within 10s", v)
	}
}

// version returns the n-th version the server hands out (1: the first state).
func (a *testAgent) version(n uint64) uint64 { return a.server.store.first + n - 1 }

// since is the query asking for a change from the n-th version.
func (a *testAgent) since(n uint64, wait string) string {
	return fmt.Sprintf("?since=%d&wait=%s", a.version(n), wait)
}
