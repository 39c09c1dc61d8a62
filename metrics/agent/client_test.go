package agent

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

func (a *testAgent) client(t testing.TB, token string) *Client {
	t.Helper()
	c, err := NewClient(a.http.URL, ClientOptions{Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClientState(t *testing.T) {
	a := newTestAgent(t)
	c := a.client(t, "")
	if _, err := c.State(t.Context()); !IsUnavailable(err) || !strings.Contains(err.Error(), "no Flux state read yet") {
		t.Errorf("State before any read = %v, want the agent's 503", err)
	}
	st := sampleState(a.clock.Now())
	a.source.set(st, nil)
	a.read(t)
	got, err := c.State(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	st.Version = a.version(1)
	// JSON carries time in RFC 3339 with nanoseconds; compare instants.
	if diff := cmp.Diff(st, got, cmp.Comparer(func(x, y time.Time) bool { return x.Equal(y) })); diff != "" {
		t.Errorf("State (-want +got):\n%s", diff)
	}
}

func TestClientWatch(t *testing.T) {
	a := newTestAgent(t)
	a.source.set(sampleState(a.clock.Now()), nil)
	a.read(t)
	c := a.client(t, "")
	type result struct {
		st  flux.State
		err error
	}
	done := make(chan result, 1)
	go func() {
		st, err := c.Watch(t.Context(), a.version(1))
		done <- result{st, err}
	}()
	a.waitForWaiters(t, 1)
	changed := sampleState(a.clock.Now())
	changed.Counts.Sched = 0
	a.source.set(changed, nil)
	a.read(t)
	r := <-done
	if r.err != nil || r.st.Version != a.version(2) || r.st.Counts.Sched != 0 {
		t.Errorf("Watch = version %d, sched %d, %v; want version %d, sched 0", r.st.Version, r.st.Counts.Sched, r.err, a.version(2))
	}
}

func TestClientWatchHonorsContext(t *testing.T) {
	a := newTestAgent(t)
	a.source.set(sampleState(a.clock.Now()), nil)
	a.read(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := a.client(t, "").Watch(ctx, a.version(1))
		done <- err
	}()
	a.waitForWaiters(t, 1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Watch after cancel = %v, want context.Canceled", err)
	}
	a.waitForWaiters(t, 0) // the server let go of the request too
}

func TestClientDrainAndUndrain(t *testing.T) {
	a := newTestAgent(t)
	c := a.client(t, a.token)
	if err := c.Drain(t.Context(), flux.RankSet{4, 5}, "fluxscale: scale-down"); err != nil {
		t.Fatal(err)
	}
	if err := c.Undrain(t.Context(), flux.RankSet{4}); err != nil {
		t.Fatal(err)
	}
	_, drains, undrains := a.source.calls()
	if diff := cmp.Diff([]drainCall{{Ranks: flux.RankSet{4, 5}, Reason: "fluxscale: scale-down"}}, drains); diff != "" {
		t.Errorf("drains (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]flux.RankSet{{4}}, undrains); diff != "" {
		t.Errorf("undrains (-want +got):\n%s", diff)
	}
}

func TestClientErrors(t *testing.T) {
	a := newTestAgent(t)
	tests := []struct {
		name       string
		call       func(*Client) error
		token      string
		wantStatus int
		wantInErr  string
	}{
		{name: "wrong token", token: "nope", wantStatus: http.StatusForbidden, wantInErr: "agent drain 3: 403 Forbidden: wrong bearer token",
			call: func(c *Client) error { return c.Drain(t.Context(), flux.RankSet{3}, "x") }},
		{name: "no token", token: "", wantInErr: "no bearer token configured",
			call: func(c *Client) error { return c.Undrain(t.Context(), flux.RankSet{3}) }},
		{name: "no ranks", token: a.token, wantInErr: "agent undrain: no ranks given",
			call: func(c *Client) error { return c.Undrain(t.Context(), nil) }},
		{name: "bad reason caught before sending", token: a.token, wantInErr: "drain reason is empty",
			call: func(c *Client) error { return c.Drain(t.Context(), flux.RankSet{3}, "") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(a.client(t, tt.token))
			if err == nil || !strings.Contains(err.Error(), tt.wantInErr) {
				t.Fatalf("error = %v, want one containing %q", err, tt.wantInErr)
			}
			var se *StatusError
			if got := errors.As(err, &se); got != (tt.wantStatus != 0) || (got && se.StatusCode != tt.wantStatus) {
				t.Errorf("error %v: StatusError %v, want status %d", err, got, tt.wantStatus)
			}
		})
	}
	if _, drains, undrains := a.source.calls(); len(drains)+len(undrains) != 0 {
		t.Errorf("failed calls reached Flux: %v %v", drains, undrains)
	}
}

func TestNewClientRejectsBadURL(t *testing.T) {
	for _, u := range []string{"", "flux-sample-0:8181", "ftp://host", "http://"} {
		if _, err := NewClient(u, ClientOptions{}); err == nil {
			t.Errorf("NewClient(%q) succeeded", u)
		}
	}
}

// A rotated token Secret takes effect on the next drain: the refused request reads the token
// again and is retried once with the new one.
func TestClientRereadsARotatedToken(t *testing.T) {
	a := newTestAgent(t)
	reads := 0
	c, err := NewClient(a.http.URL, ClientOptions{Token: a.token, RefreshToken: func(context.Context) (string, error) {
		reads++
		return "rotated", nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Undrain(t.Context(), flux.RankSet{3}); err != nil {
		t.Fatalf("Undrain with the current token: %v", err)
	}
	if err := os.WriteFile(a.tokenFile, []byte("rotated\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := c.Drain(t.Context(), flux.RankSet{3}, "fluxscale: test"); err != nil {
		t.Fatalf("Drain after the rotation: %v", err)
	}
	if err := c.Undrain(t.Context(), flux.RankSet{3}); err != nil {
		t.Fatalf("Undrain after the rotation: %v", err)
	}
	if reads != 1 {
		t.Errorf("the token was read %d times, want once (on the refusal)", reads)
	}
	_, drains, undrains := a.source.calls()
	if len(drains) != 1 || len(undrains) != 2 {
		t.Errorf("agent saw %d drains and %d undrains, want 1 and 2", len(drains), len(undrains))
	}
}

// A token that stays wrong after the re-read is reported, not retried for ever.
func TestClientReportsATokenStillRefusedAfterTheReread(t *testing.T) {
	a := newTestAgent(t)
	c, err := NewClient(a.http.URL, ClientOptions{Token: "old", RefreshToken: func(context.Context) (string, error) {
		return "also-wrong", nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	var se *StatusError
	if err := c.Undrain(t.Context(), flux.RankSet{3}); !errors.As(err, &se) || se.StatusCode != http.StatusForbidden {
		t.Errorf("Undrain with a wrong token = %v, want the agent's 403", err)
	}
}
