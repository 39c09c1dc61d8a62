package simulated_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fluxscale/fluxscale/metrics/agent"
	"github.com/fluxscale/fluxscale/metrics/flux"
	"github.com/fluxscale/fluxscale/metrics/simulated"
)

// TestServedByTheAgent serves a simulated cluster through the agent's real HTTP server and
// reads it with the agent's client, as the controller's Agent source does: the long-poll
// returns on a change in the model, and a drain through HTTP reaches the model.
func TestServedByTheAgent(t *testing.T) {
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	c, err := simulated.New(simulated.Options{Start: start, MaxSize: 4, InitialSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := agent.NewServer(agent.Options{Source: c, TokenFile: token})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go srv.Run(ctx)
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	client, err := agent.NewClient(hs.URL, agent.ClientOptions{Token: "secret", Wait: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}

	// The agent may not have read the model yet: wait for the first state.
	st, err := client.Watch(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Submit(simulated.Job{ID: 1, NNodes: 3, Runtime: time.Hour}); err != nil {
		t.Fatal(err)
	}
	for st.Counts.Run != 1 {
		if st, err = client.Watch(ctx, st.Version); err != nil {
			t.Fatalf("watching for the job to run: %v", err)
		}
	}
	if st.Nodes != (flux.NodeCounts{Up: 4, Free: 1, Allocated: 3}) || !st.ObservedAt.Equal(start) {
		t.Errorf("state through the agent: nodes %+v at %s; want 4 up, 1 free, 3 allocated at %s", st.Nodes, st.ObservedAt, start)
	}

	if err := client.Drain(ctx, flux.NewRankSet(2, 3), "fluxscale: scale-down"); err != nil {
		t.Fatal(err)
	}
	model, _ := c.State(ctx)
	if model.Ranks[2].Drain != flux.DrainDraining || model.Ranks[3].Drain != flux.DrainDrained {
		t.Errorf("after a drain through HTTP the model shows ranks 2, 3 %q, %q; want draining, drained", model.Ranks[2].Drain, model.Ranks[3].Drain)
	}
}
