package agent

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/fluxscale/fluxscale/metrics/flux"
)

// dials counts the connections the agents (test servers, each its own host) accept while
// each is read twice through one shared *http.Client.
func dials(t *testing.T, hc *http.Client, agents int) int64 {
	t.Helper()
	var n atomic.Int64
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(flux.State{Version: 1})
	})
	var clients []*Client
	for range agents {
		srv := httptest.NewUnstartedServer(handler)
		srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				n.Add(1)
			}
		}
		srv.Start()
		t.Cleanup(srv.Close)
		c, err := NewClient(srv.URL, ClientOptions{HTTPClient: hc})
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	for range 2 {
		for _, c := range clients {
			if _, err := c.State(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	return n.Load()
}

// With more agents than the default transport keeps idle connections (100), the shared
// client still reuses one connection per agent; the default one dials again.
func TestSharedClientKeepsAConnectionPerAgent(t *testing.T) {
	const agents = 150
	if got := dials(t, NewHTTPClient(), agents); got != agents {
		t.Errorf("shared client: %d connections for %d agents read twice, want %d", got, agents, agents)
	}
	def := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	if got := dials(t, def, agents); got <= agents {
		t.Errorf("default transport: %d connections; the test no longer shows the limit it guards against", got)
	}
}
