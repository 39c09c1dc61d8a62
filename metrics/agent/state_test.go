package agent

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

// get does a GET on the test agent and returns the status and body.
func (a *testAgent) get(t testing.TB, path string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(a.http.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func decodeState(t testing.TB, body []byte) flux.State {
	t.Helper()
	var st flux.State
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	return st
}

func TestStateVersionsByContent(t *testing.T) {
	a := newTestAgent(t)
	if code, body := a.get(t, PathState); code != http.StatusServiceUnavailable || !strings.Contains(string(body), "no Flux state read yet") {
		t.Fatalf("before any read: %d %s, want 503 saying no state yet", code, body)
	}

	first := sampleState(a.clock.Now())
	a.source.set(first, nil)
	a.read(t)
	code, body := a.get(t, PathState)
	want := first
	want.Version = a.version(1)
	if diff := cmp.Diff(want, decodeState(t, body)); code != http.StatusOK || diff != "" {
		t.Fatalf("after the first read: %d, state (-want +got):\n%s", code, diff)
	}

	// Read again later: same content, new ObservedAt. The version stays.
	a.clock.Step(time.Second)
	a.source.set(sampleState(a.clock.Now()), nil)
	a.read(t)
	if got := decodeState(t, mustOK(t, a, PathState)); got.Version != a.version(1) || !got.ObservedAt.Equal(a.clock.Now()) {
		t.Errorf("same content read again: version %d observed %v, want version 1 observed %v", got.Version, got.ObservedAt, a.clock.Now())
	}

	changed := sampleState(a.clock.Now())
	changed.Counts.Sched = 2
	a.source.set(changed, nil)
	a.read(t)
	if got := decodeState(t, mustOK(t, a, PathState)); got.Version != a.version(2) {
		t.Errorf("changed content: version %d, want %d", got.Version, a.version(2))
	}

	a.source.set(flux.State{}, errors.New("flux-resource: ERROR: Unable to connect to Flux"))
	a.read(t)
	if code, body := a.get(t, PathState); code != http.StatusServiceUnavailable || !strings.Contains(string(body), "Unable to connect to Flux") {
		t.Errorf("after a failed read: %d %s, want 503 with the read error", code, body)
	}

	// Recovering with the content of version 2 serves version 2 again.
	a.source.set(changed, nil)
	a.read(t)
	if got := decodeState(t, mustOK(t, a, PathState)); got.Version != a.version(2) {
		t.Errorf("recovered with unchanged content: version %d, want %d", got.Version, a.version(2))
	}
}

func mustOK(t testing.TB, a *testAgent, path string) []byte {
	t.Helper()
	code, body := a.get(t, path)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, code, body)
	}
	return body
}

func TestStateBadParameters(t *testing.T) {
	a := newTestAgent(t)
	for query, wantInErr := range map[string]string{
		"?since=-1":         `since=\"-1\" is not a state version`,
		"?since=abc":        `since=\"abc\"`,
		"?since=1&wait=30":  `wait=\"30\" is not a duration`,
		"?since=1&wait=-1s": `wait=\"-1s\"`,
	} {
		code, body := a.get(t, PathState+query)
		if code != http.StatusBadRequest || !strings.Contains(string(body), wantInErr) {
			t.Errorf("GET %s%s: %d %s, want 400 containing %s", PathState, query, code, body, wantInErr)
		}
	}
}

// TestVersionsAfterRestart checks a restarted agent does not reuse the versions of the one
// before it, so a client's since from before the restart cannot match new content.
func TestVersionsAfterRestart(t *testing.T) {
	start := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	before := newStore(start)
	st := sampleState(start)
	for i := range 1000 { // 1000 changes within the agent's first second
		st.Counts.Sched = int32(i)
		before.publish(st, nil, readInfo{At: start})
	}
	last, _ := before.get()
	after := newStore(start.Add(time.Second))
	after.publish(sampleState(start), nil, readInfo{At: start})
	first, _ := after.get()
	if first.State.Version <= last.State.Version {
		t.Errorf("restarted agent's first version %d is not above the previous agent's last %d", first.State.Version, last.State.Version)
	}
	if float64(first.State.Version)+1 == float64(first.State.Version) {
		t.Errorf("version %d loses increments as a float64", first.State.Version)
	}
}

// TestEmptyQueueServesEmptyList: a Flux with no active job reads as Jobs nil (parseJobs of
// `{"jobs": []}`); the agent serves it as "jobs": [], never null.
func TestEmptyQueueServesEmptyList(t *testing.T) {
	a := newTestAgent(t)
	st := sampleState(a.clock.Now())
	st.Jobs, st.Counts = nil, flux.Counts{}
	a.source.set(st, nil)
	a.read(t)
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(mustOK(t, a, PathState), &doc); err != nil {
		t.Fatal(err)
	}
	if got := string(doc["jobs"]); got != "[]" {
		t.Errorf(`served "jobs": %s, want []`, got)
	}
}
