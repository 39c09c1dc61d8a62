package agent

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

// longPoll starts GET /v1/state with query in the background.
func (a *testAgent) longPoll(t testing.TB, query string) <-chan pollResult {
	done := make(chan pollResult, 1)
	go func() {
		resp, err := http.Get(a.http.URL + PathState + query)
		if err != nil {
			done <- pollResult{err: err}
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		done <- pollResult{code: resp.StatusCode, body: body, err: err}
	}()
	return done
}

type pollResult struct {
	code int
	body []byte
	err  error
}

func (r pollResult) state(t testing.TB) flux.State {
	t.Helper()
	if r.err != nil || r.code != http.StatusOK {
		t.Fatalf("long-poll: %d %s %v", r.code, r.body, r.err)
	}
	return decodeState(t, r.body)
}

func TestLongPollReturnsOnChange(t *testing.T) {
	a := newTestAgent(t)
	a.source.set(sampleState(a.clock.Now()), nil)
	a.read(t)

	done := a.longPoll(t, a.since(1, "30s"))
	a.waitForWaiters(t, 1)
	select {
	case r := <-done:
		t.Fatalf("long-poll returned before any change: %d %s", r.code, r.body)
	default:
	}
	changed := sampleState(a.clock.Now())
	changed.Counts.Run = 1
	a.source.set(changed, nil)
	a.read(t)
	if got := (<-done).state(t); got.Version != a.version(2) || got.Counts.Run != 1 {
		t.Errorf("long-poll returned version %d with %d running, want version %d with 1 running", got.Version, got.Counts.Run, a.version(2))
	}
}

func TestLongPollReturnsAtOnceWhenBehind(t *testing.T) {
	a := newTestAgent(t)
	a.source.set(sampleState(a.clock.Now()), nil)
	a.read(t)
	// No clock step: the request must not wait for a timer.
	if got := (<-a.longPoll(t, "?since=0&wait=30s")).state(t); got.Version != a.version(1) {
		t.Errorf("since=0: version %d, want %d", got.Version, a.version(1))
	}
}

func TestLongPollTimesOutWithCurrentState(t *testing.T) {
	a := newTestAgent(t)
	a.source.set(sampleState(a.clock.Now()), nil)
	a.read(t)
	// A wait above the server's maximum is cut to it.
	done := a.longPoll(t, a.since(1, "10m"))
	a.waitForWaiters(t, 1)
	a.clock.Step(DefaultMaxWait - time.Second)
	select {
	case r := <-done:
		t.Fatalf("long-poll returned before its wait passed: %d %s", r.code, r.body)
	default:
	}
	a.clock.Step(time.Second)
	if got := (<-done).state(t); got.Version != a.version(1) {
		t.Errorf("timed-out long-poll: version %d, want the current %d", got.Version, a.version(1))
	}
}

// TestLongPollWhileFailing checks a client retrying at once cannot spin while reads fail:
// the request waits, and wakes when reads recover.
func TestLongPollWhileFailing(t *testing.T) {
	a := newTestAgent(t)
	a.source.set(flux.State{}, errors.New("broker down"))
	a.read(t)
	done := a.longPoll(t, "?since=0&wait=30s")
	a.waitForWaiters(t, 1)
	a.source.set(sampleState(a.clock.Now()), nil)
	a.read(t)
	if got := (<-done).state(t); got.Version != a.version(1) {
		t.Errorf("after recovery: version %d, want %d", got.Version, a.version(1))
	}

	a.source.set(flux.State{}, errors.New("broker down"))
	a.read(t)
	done = a.longPoll(t, a.since(1, "5s"))
	a.waitForWaiters(t, 1)
	a.clock.Step(5 * time.Second)
	if r := <-done; r.code != http.StatusServiceUnavailable || !strings.Contains(string(r.body), "broker down") {
		t.Errorf("failing reads, wait passed: %d %s, want 503 with the read error", r.code, r.body)
	}
}
